"""Changing a deadline (ändra bevakning): extend, pause or resume it, with a reason, through the deadline commands.

Each change is a form of its own under the deadline: the reason is required, an extension asks
for the new due date and a pause for the date it ends. Wrong input is shown beside the field with
what was typed kept, and nothing is written; the same form sent twice writes once (the second
finds the deadline already changed by the same user in the same way and shows the first result).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter
from litestar.response import Redirect, Template

from api.auth import CurrentUser
from api.web import forms
from api.web.page import render, translator, uow_of
from api.web.viewer import current, locale_of
from workflow import i18n
from workflow.bootstrap import Application
from workflow.cases import screens
from workflow.deadlines.calendar import end_of_day
from workflow.deadlines.commands import ExtendDeadline, ResumeDeadline, SuspendDeadline
from workflow.engine.errors import InvalidInput, NotFound, NotPermitted
from workflow.i18n import N_

DeadlineId = Annotated[int, PathParameter(description="deadline id")]
Change = Annotated[str, PathParameter(max_length=16)]
REASON_LIMIT = 500

#: The changes: the path's word, the status the deadline must have, the command's action, the title.
CHANGES = {
    "forlang": ("pending", "extend", N_("Extend the deadline")),
    "pausa": ("pending", "suspend", N_("Pause the deadline")),
    "ateruppta": ("suspended", "resume", N_("Resume the deadline")),
}


def _inputs(locale: str, change: str) -> list[forms.Field]:
    _ = i18n.translations(locale).gettext
    out = []
    if change == "forlang":
        out.append(forms.Field("new_due", _("New due date"), "date", True, hint=_("For example 2026-12-24.")))
    elif change == "pausa":
        out.append(
            forms.Field(
                "until", _("Paused until"), "date", True, hint=_("The last day of the pause, for example 2026-12-24.")
            )
        )
    out.append(
        forms.Field(
            "reason",
            _("Reason"),
            "textarea",
            True,
            hint=_("Why the deadline changes. Shown with the case's deadlines."),
        )
    )
    return out


def _load(request: Request[Any, Any, Any], user: CurrentUser, deadline_id: int, change: str) -> tuple[Any, Any]:
    if change not in CHANGES or not 1 <= deadline_id < 2**31:
        raise NotFound("no such deadline change")
    return screens.deadline_page(uow_of(request), user.actor, deadline_id)


def _form(
    request: Request[Any, Any, Any],
    user: CurrentUser,
    change: str,
    view: Any,
    deadline: Any,
    submission: forms.Submission | None = None,
    refusal: str | None = None,
    status_code: int = 200,
) -> Template:
    _ = translator(request)
    title = _(CHANGES[change][2])
    return render(
        request,
        "deadline_change.html",
        title,
        user,
        status_code=status_code,
        change=change,
        heading=title,
        c=view,
        d=deadline,
        inputs=_inputs(locale_of(request), change),
        submission=submission or forms.Submission({}),
        refusal=refusal,
        possible=deadline["status"] == CHANGES[change][0],
        now=uow_of(request).clock(),
    )


def _done(case_id: int, change: str) -> Redirect:
    return Redirect(f"/arenden/{case_id}?andrad={change}#frister", status_code=303)


@get("/bevakningar/{deadline_id:int}/{change:str}", sync_to_thread=True)
def change_form(request: Request[Any, Any, Any], deadline_id: DeadlineId, change: Change) -> Template:
    """The form of one change of a deadline."""
    user = current(request)
    view, deadline = _load(request, user, deadline_id, change)
    return _form(request, user, change, view, deadline)


@post("/bevakningar/{deadline_id:int}/{change:str}", sync_to_thread=True, status_code=303)
def change_deadline(
    request: Request[Any, Any, Any],
    deadline_id: DeadlineId,
    change: Change,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    """Send the change as a deadline command; back to the case with a confirmation, or the form with the reason."""
    user = current(request)
    view, deadline = _load(request, user, deadline_id, change)
    _ = translator(request)
    status, action, _title = CHANGES[change]
    if deadline["status"] != status:
        latest = deadline["changes"][-1] if deadline["changes"] else None
        if latest is not None and latest["action"] == action and latest["changed_by_id"] == user.user_id:
            return _done(view["id"], change)  # the same form sent twice: the first one was written
        refusal = _("The deadline has changed since you opened the form. Nothing was saved.")
        return _form(request, user, change, view, deadline, None, refusal, 409)
    app: Application = request.app.state.web_application
    locale = locale_of(request)
    form = {k: v for k, v in data.items() if isinstance(v, str)}
    inputs = _inputs(locale, change)
    submission = forms.check(locale, inputs, form, forms.today_of(app.clock()))
    reason = submission.values.get("reason", "")
    if len(reason) > REASON_LIMIT and "reason" not in submission.errors:
        submission.errors["reason"] = _("At most %(limit)d characters.") % {"limit": REASON_LIMIT}
    if submission.errors:
        return _form(request, user, change, view, deadline, submission, None, 422)
    values = submission.values
    command: Any
    if change == "forlang":
        command = ExtendDeadline(deadline_id, reason, date.fromisoformat(values["new_due"]))
    elif change == "pausa":
        command = SuspendDeadline(deadline_id, reason, end_of_day(date.fromisoformat(values["until"])))
    else:
        command = ResumeDeadline(deadline_id, reason)
    try:
        app.execute(command, user.actor)
    except NotPermitted:
        refusal = _("Only staff of the organisation may change a deadline. Nothing was saved.")
        return _form(request, user, change, view, deadline, submission, refusal, 403)
    except InvalidInput as exc:
        text = str(exc)
        if change == "forlang" and "later than" in text:
            submission.errors["new_due"] = _("Choose a date after the current due date, %(date)s.") % {
                "date": i18n.format_day(locale, i18n.due_date(deadline["due_at"]))
            }
        elif change == "forlang":
            submission.errors["new_due"] = _("The date is more than three years ahead.")
        elif change == "pausa":
            submission.errors["until"] = _("A pause may last at most a year.")
        else:
            return _form(request, user, change, view, deadline, submission, _("Nothing was saved."), 422)
        return _form(request, user, change, view, deadline, submission, None, 422)
    return _done(view["id"], change)


HANDLERS = [change_form, change_deadline]
