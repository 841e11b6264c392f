"""Taking an action on a case (utföra en åtgärd): the form, and the command it sends.

The command is the product's own :class:`~workflow.engine.commands.FireTrigger`, run by the
composition root like every other entry point; a refusal writes nothing and is shown in
place, in Swedish, with what the user typed kept in the form.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from api.auth import CurrentUser
from api.web import forms
from api.web.actions import why_not
from api.web.page import render, translator, uow_of
from api.web.params import CaseId, Trigger
from api.web.viewer import current, locale_of
from states.registry import CASE_TYPES
from workflow import i18n
from workflow.bootstrap import Application
from workflow.cases import screens as pages_data
from workflow.engine.commands import FireTrigger
from workflow.engine.errors import (
    Conflict,
    EventDateRefused,
    GuardFailed,
    InvalidInput,
    NotFound,
    Refused,
    WrongState,
)
from workflow.i18n import N_

GUARD_MESSAGES = {
    "outcome_matches_regime": N_(
        "The outcome does not fit the provider: in-house units are assessed against their service mandate, "
        "contracted providers against the agreement."
    ),
    "no_open_remedy_requests": N_("Requests for supplementation or rectification in the case are still open."),
    "agreement_period_ended": N_("The agreement period has not ended."),
    "outcome_is_no_remarks": N_("The outcome does not match this action."),
    "outcome_is_remarks": N_("The outcome does not match this action."),
}


def _application(request: Request[Any, Any, Any]) -> Application:
    app: Application = request.app.state.web_application
    return app


def _load(request: Request[Any, Any, Any], user: CurrentUser, case_id: int, trigger: str) -> tuple[Any, Any, Any]:
    """The case page data, the action's option and its transition; ``NotFound`` if either is unknown."""
    if not 1 <= case_id < 2**31:
        raise NotFound("no such case")
    found = pages_data.case_page(uow_of(request), user.actor, case_id)
    option = next((o for o in found.options if o.trigger == trigger), None)
    tr = CASE_TYPES[found.case["case_type"]].transition(trigger, found.case["status"])
    return found, option, tr


def _form(
    request: Request[Any, Any, Any],
    user: CurrentUser,
    found: Any,
    option: Any,
    tr: Any,
    submission: forms.Submission | None,
    version: int,
    refusal: str | None = None,
    status_code: int = 200,
) -> Template:
    locale = locale_of(request)
    spec = CASE_TYPES[found.case["case_type"]]
    label = i18n.label(locale, "trigger", option.label, option.label)
    return render(
        request,
        "action.html",
        label,
        user,
        status_code=status_code,
        found=found,
        option=option,
        action_label=label,
        inputs=forms.fields(locale, spec, tr, option.decision),
        submission=submission or forms.Submission({}),
        version=version,
        refusal=refusal,
        unavailable=None if option.allowed else why_not(locale, found, option.trigger, option.why_not),
        dest=tr.dest,
    )


def _gone(request: Request[Any, Any, Any], user: CurrentUser, found: Any, trigger: str) -> Template | Redirect:
    """The action is no longer possible: the same form sent twice shows the first result, else a conflict."""
    latest = found.timeline[0] if found.timeline else None
    case_id = found.case["id"]
    if latest is not None and latest["trigger"] == trigger and latest["actor_id"] == user.user_id:
        return Redirect(f"/arenden/{case_id}?utfort={quote(trigger)}", status_code=303)
    _ = translator(request)
    message = _("The case has changed and the action is no longer possible. Nothing was saved.")
    return render(request, "error.html", _("Nothing was saved"), user, status_code=409, message=message)


@get("/arenden/{case_id:int}/atgard/{trigger:str}", sync_to_thread=True)
def action_form(request: Request[Any, Any, Any], case_id: CaseId, trigger: Trigger) -> Template:
    """The form of one action; an action the user may not take says why instead."""
    user = current(request)
    found, option, tr = _load(request, user, case_id, trigger)
    if option is None:
        raise NotFound("no such action in the case's state")
    today = forms.today_of(_application(request).clock())
    return _form(
        request, user, found, option, tr, forms.Submission({"occurred_on": today.isoformat()}), found.case["version"]
    )


@post("/arenden/{case_id:int}/atgard/{trigger:str}", sync_to_thread=True, status_code=303)
def take_action(
    request: Request[Any, Any, Any],
    case_id: CaseId,
    trigger: Trigger,
    data: Annotated[dict[str, str | list[str]], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    """Send the action as a command; back to the case with a confirmation, or the form again with the reason."""
    user = current(request)
    found, option, tr = _load(request, user, case_id, trigger)
    locale = locale_of(request)
    _ = translator(request)
    if option is None:
        return _gone(request, user, found, trigger)
    form = {k: v for k, v in data.items() if isinstance(v, str | list)}
    spec = CASE_TYPES[found.case["case_type"]]
    inputs = forms.fields(locale, spec, tr, option.decision)
    app = _application(request)
    submission = forms.check(locale, inputs, form, forms.today_of(app.clock()))
    try:
        version = int(str(form.get("version", "")))
    except ValueError:
        version = found.case["version"]
    if submission.errors:
        return _form(request, user, found, option, tr, submission, version, status_code=422)
    values = submission.values
    params = {name: values[name] for name in tr.accepts if values.get(name)}
    command = FireTrigger(
        case_id,
        trigger,
        values["reason"],
        registry_number=values.get("registry_number") or None,
        params=params or None,
        expected_version=version,
        occurred_on=forms.parse_date(values.get("occurred_on", "")),
        late_reason=values.get("late_reason") or None,
    )
    try:
        app.execute(command, user.actor)
    except Conflict:
        refusal = _(
            "Someone changed the case after you opened the form, so nothing was saved. "
            "Read the case again and repeat the action if it is still needed."
        )
        return _form(request, user, found, option, tr, submission, found.case["version"], refusal, 409)
    except GuardFailed as exc:
        guard = str(exc.context.get("guard", ""))
        refusal = _(GUARD_MESSAGES.get(guard, N_("A condition for the action is not met.")))
        return _form(request, user, found, option, tr, submission, version, refusal, 422)
    except EventDateRefused as exc:
        where, message = forms.date_refusal(locale, exc)
        submission.errors[where] = message
        return _form(request, user, found, option, tr, submission, version, None, 422)
    except WrongState:
        refusal = _("The action is no longer possible in the case's current state. Nothing was saved.")
        return _form(request, user, found, option, tr, submission, version, refusal, 422)
    except InvalidInput:
        refusal = _("The information could not be saved. Check the fields and try again.")
        return _form(request, user, found, option, tr, submission, version, refusal, 422)
    except Refused as exc:
        refusal = why_not(locale, found, trigger, exc.message)
        return _form(request, user, found, option, tr, submission, version, refusal, 422)
    return Redirect(f"/arenden/{case_id}?utfort={quote(trigger)}", status_code=303)


HANDLERS = [action_form, take_action]
