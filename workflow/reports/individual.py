"""Individual follow-up results (individuppföljning, pilot model domain.md §4.4), REQ-IND-02/03/06.

Registration rate, response rate per question, rating distributions and a breakdown
by gender (women, men, other) and by provider. Only aggregates leave this module.
Inside the ordering board every figure is shown. Seen from the central board, whether
for one district or compiled over all districts, any group with fewer than
``SMALL_N`` follow-ups is suppressed (shown empty and marked), so that no individual
can be recognised.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Connection, select

from workflow.clock import utcnow
from workflow.i18n import N_
from workflow.reports.model import Chart, Column, Msg, Plural, Report, Table, pct
from workflow.reports.recording import ASSESSMENT_QUESTIONS, QUESTIONS, RATINGS
from workflow.reports.scope import SMALL_N, Period, Scope
from workflow.schema.tables import ANSWER, INDIVIDUAL_FOLLOW_UP, ORG, PLACEMENT, PROVIDER

QUESTION_LABELS = {
    "C1": Msg("C1 Do you get the support stated in the decision?"),
    "C2": Msg("C2 Have you been able to influence the support?"),
    "C3": Msg("C3 How has your situation changed through the support?"),
    "A1": Msg("A1 Has the provider worked according to plan/order?"),
    "A2": Msg("A2 Has the provider worked with the agreed support and activities?"),
    "A3": Msg("A3 How has the provider met its duty to inform about departures?"),
    "A4": Msg("A4 Overall assessment of how the assignment was performed"),
}
GENDERS = (("female", Msg("Women")), ("male", Msg("Men")), ("other", Msg("Other")), ("unknown", Msg("Not recorded")))
RATING_LABELS = {
    "deficient": N_("Deficient"),
    "could_do_better": N_("Could do better"),
    "approved": N_("Approved"),
    "very_good": N_("Very good"),
}
SUPPRESSED = Msg("suppressed (n < %(small)s)", small=SMALL_N)


def build(conn: Connection, scope: Scope, period: Period) -> Report:
    """Aggregated individual follow-up results for the board, or compiled over the districts centrally."""
    compiled = scope.kind == "central_board" and scope.own
    if compiled:
        orgs = [
            r[0]
            for r in conn.execute(
                select(ORG.c.id).where((ORG.c.parent_id == scope.organisation_id) | (ORG.c.kind == "district_board"))
            )
        ]
    else:
        orgs = [scope.organisation_id]
    suppress = compiled or not scope.individual_level
    org_names = {r.id: r.name for r in conn.execute(select(ORG.c.id, ORG.c.name).where(ORG.c.id.in_(orgs or [-1])))}
    fus = list(
        conn.execute(
            select(
                INDIVIDUAL_FOLLOW_UP.c.id,
                INDIVIDUAL_FOLLOW_UP.c.organisation_id,
                INDIVIDUAL_FOLLOW_UP.c.registered,
                PLACEMENT.c.gender,
                PROVIDER.c.name.label("provider"),
            )
            .join(PLACEMENT, PLACEMENT.c.id == INDIVIDUAL_FOLLOW_UP.c.placement_id)
            .join(PROVIDER, PROVIDER.c.id == INDIVIDUAL_FOLLOW_UP.c.provider_id)
            .where(
                INDIVIDUAL_FOLLOW_UP.c.organisation_id.in_(orgs or [-1]),
                INDIVIDUAL_FOLLOW_UP.c.performed_on >= period.start,
                INDIVIDUAL_FOLLOW_UP.c.performed_on <= period.end,
            )
        )
    )
    registered = {f.id: f for f in fus if f.registered}
    answers: dict[int, dict[str, str]] = defaultdict(dict)
    ids = list(registered)
    for chunk in range(0, len(ids), 5000):
        part = ids[chunk : chunk + 5000]
        for fid, q, rating in conn.execute(
            select(ANSWER.c.follow_up_id, ANSWER.c.question, ANSWER.c.rating).where(ANSWER.c.follow_up_id.in_(part))
        ):
            answers[fid][q] = rating
    report = Report(
        "individual",
        N_("Individual follow-up results"),
        scope.as_dict(),
        period.start,
        period.end,
        utcnow(),
        notes=[
            N_(
                "Registration rate = follow-ups registered in the survey / follow-ups performed. Client questions "
                "are voluntary, assessment questions mandatory."
            ),
            N_("Aggregates only: no individual follow-up is listed."),
        ],
    )
    if suppress:
        report.notes.append(
            Msg("Seen outside the ordering board: groups with fewer than %(small)s are suppressed.", small=SMALL_N)
        )
    if compiled:
        report.notes.append(
            Plural("Compiled over %(n)s district board.", "Compiled over %(n)s district boards.", len(orgs))
        )
    report.tables += [
        _registration(fus, org_names, suppress),
        _response_rates(registered, answers, suppress),
        _ratings(answers, suppress),
        _by_group(
            registered, answers, "gender", dict(GENDERS), "by_gender", N_("Overall assessment (A4) by gender"), suppress
        ),
        _by_group(
            registered, answers, "provider", {}, "by_provider", N_("Overall assessment (A4) by provider"), suppress
        ),
    ]
    return report


def _hide(row: dict[str, Any], n: int, keys: list[str], suppress: bool) -> dict[str, Any]:
    if suppress and 0 < n < SMALL_N:
        for k in keys:
            row[k] = None
        row["suppressed"] = SUPPRESSED
    else:
        row["suppressed"] = ""
    return row


def _registration(fus: list[Any], org_names: dict[int, str], suppress: bool) -> Table:
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for f in fus:
        c = per[org_names.get(f.organisation_id, str(f.organisation_id))]
        c["performed"] += 1
        c["registered"] += bool(f.registered)
    rows = []
    for name, c in sorted(per.items()):
        row = {
            "board": name,
            "performed": c["performed"],
            "registered": c["registered"],
            "registered_pct": pct(c["registered"], c["performed"]),
        }
        rows.append(_hide(row, c["performed"], ["performed", "registered", "registered_pct"], suppress))
    total_p, total_r = len(fus), sum(bool(f.registered) for f in fus)
    if len(per) > 1 or not rows:
        rows.append(
            _hide(
                {
                    "board": Msg("Total"),
                    "performed": total_p,
                    "registered": total_r,
                    "registered_pct": pct(total_r, total_p),
                },
                total_p,
                ["performed", "registered", "registered_pct"],
                suppress,
            )
        )
    return Table(
        "registration",
        N_("Registration rate"),
        [
            Column("board", N_("Board")),
            Column("performed", N_("Performed (n)"), "int"),
            Column("registered", N_("Registered"), "int"),
            Column("registered_pct", N_("Registration %"), "pct"),
            Column("suppressed", N_("Note")),
        ],
        rows,
    )


def _response_rates(registered: dict[int, Any], answers: dict[int, dict[str, str]], suppress: bool) -> Table:
    n = len(registered)
    rows = []
    for q in QUESTIONS:
        answered = sum(q in answers.get(fid, {}) for fid in registered)
        row = {"question": QUESTION_LABELS[q], "n": n, "answered": answered, "answered_pct": pct(answered, n)}
        rows.append(_hide(row, n, ["n", "answered", "answered_pct"], suppress))
    return Table(
        "response_rates",
        N_("Response rate per question"),
        [
            Column("question", N_("Question")),
            Column("n", N_("Registered (n)"), "int"),
            Column("answered", N_("Answered"), "int"),
            Column("answered_pct", N_("Response %"), "pct"),
            Column("suppressed", N_("Note")),
        ],
        rows,
        note=N_("Assessment questions (A) are mandatory, so their rate is 100 % of registered follow-ups."),
    )


def _rating_cols() -> list[Column]:
    cols = []
    for r in RATINGS:
        cols += [Column(r, RATING_LABELS.get(r, r), "int"), Column(f"{r}_pct", "%", "pct")]
    return cols


def _distribution(row: dict[str, Any], ratings: list[str]) -> int:
    c = Counter(ratings)
    n = len(ratings)
    row["n"] = n
    for r in RATINGS:
        row[r] = c[r]
        row[f"{r}_pct"] = pct(c[r], n)
    return n


def _ratings(answers: dict[int, dict[str, str]], suppress: bool) -> Table:
    rows = []
    for q in QUESTIONS:
        row: dict[str, Any] = {"question": QUESTION_LABELS[q]}
        n = _distribution(row, [a[q] for a in answers.values() if q in a])
        rows.append(_hide(row, n, ["n", *(k for r in RATINGS for k in (r, f"{r}_pct"))], suppress))
    return Table(
        "ratings",
        N_("Rating distribution per question"),
        [
            Column("question", N_("Question")),
            Column("n", N_("Answered (n)"), "int"),
            *_rating_cols(),
            Column("suppressed", N_("Note")),
        ],
        rows,
        note=N_("Scale, worst first: deficient, could do better, approved, very good (full scale unknown, §4.4)."),
    )


def _by_group(
    registered: dict[int, Any],
    answers: dict[int, dict[str, str]],
    attr: str,
    labels: dict[str, str],
    key: str,
    title: str,
    suppress: bool,
) -> Table:
    groups: dict[str, list[str]] = defaultdict(list)
    for fid, f in registered.items():
        rating = answers.get(fid, {}).get(ASSESSMENT_QUESTIONS[-1])
        if rating is not None:
            groups[getattr(f, attr) or "unknown"].append(rating)
    order = list(labels) + sorted(g for g in groups if g not in labels)
    rows = []
    for g in order:
        if g not in groups and g not in ("female", "male", "other"):
            continue
        row: dict[str, Any] = {"group": labels.get(g, g)}
        n = _distribution(row, groups.get(g, []))
        rows.append(_hide(row, n, ["n", *(k for r in RATINGS for k in (r, f"{r}_pct"))], suppress))
    return Table(
        key,
        title,
        [
            Column("group", N_("Gender") if attr == "gender" else N_("Provider")),
            Column("n", "n", "int"),
            *_rating_cols(),
            Column("suppressed", N_("Note")),
        ],
        rows,
        note=N_("Counts by gender alone do not show why results differ; read them with the gender-equality analysis.")
        if attr == "gender"
        else N_("Feeds the contract follow-up of each provider."),
        chart=Chart(title, "group", RATINGS, "stacked"),
    )
