"""Text of reminders and escalations (påminnelse, eskalering), in Swedish and English.

Messages name the case by number and type only: no client data, no provider's individual data.
"""

from __future__ import annotations

from datetime import date

_KIND_SV = {
    "provider_response": "leverantörens svar",
    "overdue_response": "försenat svar från leverantören",
    "answer_review": "granskning av leverantörens svar",
    "revision_response": "leverantörens reviderade svar",
    "implementation_plan_due": "genomförandeplan",
    "implementation_plan_overdue": "försenad genomförandeplan",
    "monthly_report_due": "månadsrapport",
    "monthly_report_overdue": "försenad månadsrapport",
    "control_due": "återkommande kontroll",
    "control_overdue": "försenad återkommande kontroll",
    "control_remarks_follow_up": "uppföljning av anmärkningar",
}
_KIND_EN = {
    "provider_response": "the provider's answer",
    "overdue_response": "the provider's overdue answer",
    "answer_review": "review of the provider's answer",
    "revision_response": "the provider's revised answer",
    "implementation_plan_due": "implementation plan",
    "implementation_plan_overdue": "overdue implementation plan",
    "monthly_report_due": "monthly report",
    "monthly_report_overdue": "overdue monthly report",
    "control_due": "recurring control",
    "control_overdue": "overdue recurring control",
    "control_remarks_follow_up": "follow-up of remarks",
}


def render(
    *, action: str, deadline_kind: str, case_id: int, case_label: str, due: date, today: date
) -> tuple[str, str]:
    """Subject and body of one reminder (``action`` is reminder or escalation)."""
    sv_what = _KIND_SV.get(deadline_kind, deadline_kind.replace("_", " "))
    en_what = _KIND_EN.get(deadline_kind, deadline_kind.replace("_", " "))
    days = (due - today).days
    if action == "escalation":
        sv_head, en_head = "Eskalering", "Escalation"
    else:
        sv_head, en_head = "Påminnelse", "Reminder"
    if days > 0:
        sv_when = f"ska vara klar senast {due.isoformat()} (om {days} dagar)"
        en_when = f"is due on {due.isoformat()} (in {days} days)"
    elif days == 0:
        sv_when = f"ska vara klar i dag, {due.isoformat()}"
        en_when = f"is due today, {due.isoformat()}"
    else:
        sv_when = f"skulle ha varit klar {due.isoformat()} ({-days} dagar sedan)"
        en_when = f"was due on {due.isoformat()} ({-days} days ago)"
    subject = f"[Uppföljning] {sv_head} / {en_head}: {sv_what}, ärende {case_id}"
    body = (
        f"{sv_head}: {sv_what} i ärende {case_id} ({case_label}) {sv_when}.\n"
        f"Öppna ärendet i Uppföljning för att se vad som återstår.\n"
        f"\n"
        f"{en_head}: {en_what} in case {case_id} ({case_label}) {en_when}.\n"
        f"Open the case in Uppföljning to see what remains.\n"
    )
    return subject, body
