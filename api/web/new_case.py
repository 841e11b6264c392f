"""Opening a case (nytt ärende) from a form: the fields come from the case type's spec in ``states``.

The kinds, the link to what the case is about (provider, agreement or placement, chosen from lists
of the user's organisation) and the first due date where the case type's first deadline takes one.
The command is :class:`~workflow.engine.commands.OpenCase`; wrong input is shown beside the field in
Swedish with what was typed kept, and nothing is written.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from api.auth import CurrentUser
from api.web import forms
from api.web.page import render, translator, uow_of
from api.web.params import Name
from api.web.viewer import current, locale_of
from states.registry import CASE_TYPES
from states.spec import CaseTypeSpec, Subject
from workflow import i18n
from workflow.bootstrap import Application
from workflow.cases import scoping
from workflow.cases.paging import PageRequest
from workflow.engine import idempotency
from workflow.engine.commands import OpenCase
from workflow.engine.create_once import CreateOnce
from workflow.engine.errors import EventDateRefused, InvalidInput, NotFound, NotPermitted, Refused
from workflow.registers.placement_queries import PlacementFilter, list_placements
from workflow.registers.queries import AgreementFilter, list_agreements, provider_choices

#: The case types staff open by hand from the pages, in the order the chooser lists them.
OPENABLE = ("deviation", "complaint", "follow_up", "rectification_request", "implementation_plan", "monthly_report")
TITLE_LIMIT = 300
#: The form's own key: sent twice, the same form opens one case (the second submit shows the first).
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,40}$")


def _spec(case_type: str) -> CaseTypeSpec:
    if case_type not in OPENABLE:
        raise NotFound("no such case type to open")
    return CASE_TYPES[case_type]


def _choices(
    request: Request[Any, Any, Any], user: CurrentUser, spec: CaseTypeSpec
) -> dict[str, list[tuple[str, str]]]:
    """The select lists of the user's organisation: its agreements in force, their providers, its ongoing placements."""
    uow = uow_of(request)
    today = forms.today_of(uow.clock())
    agreements = list_agreements(
        uow,
        user.actor,
        AgreementFilter(organisation_id=user.organisation_id, active_on=today, sort="id"),
        PageRequest(page_size=100),
    ).items
    names = {p["id"]: p["name"] for p in provider_choices(uow, user.actor)}
    held = sorted({a["provider_id"] for a in agreements}, key=lambda i: names.get(i, ""))
    out: dict[str, list[tuple[str, str]]] = {
        "provider_id": [(str(i), names.get(i, str(i))) for i in held],
        "agreement_id": [
            (str(a["id"]), f"{a['registry_number']} – {names.get(a['provider_id'], '')}")
            for a in sorted(agreements, key=lambda a: a["registry_number"])
        ],
        "placement_id": [],
    }
    if spec.subject is Subject.PLACEMENT and scoping.sees_individuals(user.actor):
        placements = list_placements(
            uow, user.actor, PlacementFilter(ongoing_on=today), PageRequest(page_size=100)
        ).items  # the read is logged
        out["placement_id"] = [
            (str(p["id"]), f"{p['client_ref']} – {names.get(p['provider_id'], '')}") for p in placements
        ]
    return out


def _inputs(locale: str, spec: CaseTypeSpec, choices: dict[str, list[tuple[str, str]]]) -> list[forms.Field]:
    _ = i18n.translations(locale).gettext
    out = []
    if spec.kinds:
        kinds = tuple((k, i18n.label(locale, "kind", k)) for k in spec.kinds)
        out.append(forms.Field("kind", _("Kind"), "select", True, kinds))
    if spec.subject is Subject.PLACEMENT:
        out.append(
            forms.Field(
                "placement_id",
                _("Placement"),
                "select",
                True,
                tuple(choices["placement_id"]),
                _("Pseudonym and provider."),
            )
        )
    elif spec.subject is Subject.AGREEMENT:
        out.append(forms.Field("agreement_id", _("Agreement"), "select", True, tuple(choices["agreement_id"])))
    else:
        out.append(
            forms.Field("provider_id", _("Provider"), "select", spec.subject_required, tuple(choices["provider_id"]))
        )
        out.append(
            forms.Field(
                "agreement_id",
                _("Agreement"),
                "select",
                False,
                tuple(choices["agreement_id"]),
                _("The provider's agreement the case concerns, if it concerns one."),
            )
        )
    policy = spec.deadlines.get(spec.initial)
    if policy is not None and policy.due_param:
        out.append(
            forms.Field(
                policy.due_param,
                i18n.label(locale, "param", policy.due_param),
                "date",
                False,
                hint=_("Leave empty for the usual time. For example 2026-12-24."),
            )
        )
    out.append(
        forms.Field("title", _("Heading (ärendemening)"), "text", False, hint=_("What the case is about, briefly."))
    )
    out.append(
        forms.Field("reason", _("Description"), "textarea", True, hint=_("What happened or why the case is opened."))
    )
    return out + forms.event_inputs(locale, False)


def _form(
    request: Request[Any, Any, Any],
    user: CurrentUser,
    spec: CaseTypeSpec,
    inputs: list[forms.Field],
    submission: forms.Submission | None = None,
    refusal: str | None = None,
    status_code: int = 200,
    form_key: str | None = None,
) -> Template:
    _ = translator(request)
    label = i18n.label(locale_of(request), "case type", spec.name)
    return render(
        request,
        "new_case.html",
        _("New case: %(type)s") % {"type": label},
        user,
        status_code=status_code,
        spec=spec,
        type_label=label,
        inputs=inputs,
        submission=submission or forms.Submission({}),
        refusal=refusal,
        form_key=form_key if form_key and _KEY.match(form_key) else secrets.token_urlsafe(18),
    )


@get("/arenden/nytt", sync_to_thread=True)
def choose_type(request: Request[Any, Any, Any]) -> Template:
    """Which kind of case to open."""
    user = current(request)
    _ = translator(request)
    return render(request, "new_case_types.html", _("New case"), user, types=[CASE_TYPES[t] for t in OPENABLE])


@get("/arenden/nytt/{case_type:str}", sync_to_thread=True)
def new_case_form(request: Request[Any, Any, Any], case_type: Name) -> Template:
    """The form for a new case of one type."""
    user = current(request)
    spec = _spec(case_type)
    inputs = _inputs(locale_of(request), spec, _choices(request, user, spec))
    app: Application = request.app.state.web_application
    today = forms.today_of(app.clock()).isoformat()
    return _form(request, user, spec, inputs, forms.Submission({"occurred_on": today}))


def _id(value: str | None) -> int | None:
    return int(value) if value else None


@post("/arenden/nytt/{case_type:str}", sync_to_thread=True, status_code=303)
def open_new_case(
    request: Request[Any, Any, Any],
    case_type: Name,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    """Open the case through ``OpenCase``; to the new case with a confirmation, or the form again."""
    user = current(request)
    spec = _spec(case_type)
    _ = translator(request)
    locale = locale_of(request)
    app: Application = request.app.state.web_application
    inputs = _inputs(locale, spec, _choices(request, user, spec))
    form = {k: v for k, v in data.items() if isinstance(v, str)}
    key = form.get("form_key", "")
    submission = forms.check(locale, inputs, form, forms.today_of(app.clock()))
    values = submission.values
    if len(values.get("title", "")) > TITLE_LIMIT and "title" not in submission.errors:
        submission.errors["title"] = _("At most %(limit)d characters.") % {"limit": TITLE_LIMIT}
    if submission.errors:
        return _form(request, user, spec, inputs, submission, None, 422, key)
    policy = spec.deadlines.get(spec.initial)
    due_param = policy.due_param if policy is not None else None
    params = {due_param: date.fromisoformat(values[due_param])} if due_param and values.get(due_param) else None
    command = OpenCase(
        spec.name,
        values["reason"],
        kind=values.get("kind") or None,
        title=values.get("title", ""),
        provider_id=_id(values.get("provider_id")),
        agreement_id=_id(values.get("agreement_id")),
        placement_id=_id(values.get("placement_id")),
        params=params,
        occurred_on=forms.parse_date(values.get("occurred_on", "")),
        late_reason=values.get("late_reason") or None,
    )
    try:
        if _KEY.match(key):
            digest = idempotency.fingerprint(
                "POST", request.url.path, *(f"{f.name}={values.get(f.name, '')}" for f in inputs)
            )
            created = app.execute(
                CreateOnce(command, f"web:{key}", digest, lambda result, _uow: str(result.case_id).encode(), 303),
                user.actor,
            )
            case_id = int(created.body)
        else:
            case_id = app.execute(command, user.actor).case_id
    except EventDateRefused as exc:
        where, message = forms.date_refusal(locale, exc)
        submission.errors[where] = message
        return _form(request, user, spec, inputs, submission, None, 422, key)
    except NotPermitted:
        refusal = _("Only staff of the organisation may open cases. Nothing was saved.")
        return _form(request, user, spec, inputs, submission, refusal, 403, key)
    except Refused as exc:
        if exc.context.get("rule") == "delivery_request_open" and "placement_id" in values:
            submission.errors["placement_id"] = _(
                "The placement already has an open request of this kind: it must be closed before a new one."
            )
            return _form(request, user, spec, inputs, submission, None, 422, key)
        refusal = _("A rule does not allow the case to be opened. Nothing was saved.")
        return _form(request, user, spec, inputs, submission, refusal, 422, key)
    except (InvalidInput, NotFound) as exc:
        if "agreement's provider" in str(exc):
            submission.errors["agreement_id"] = _(
                "The agreement is with another provider: choose the provider's agreement."
            )
        elif "placement" in str(exc) and "placement_id" in values:
            submission.errors["placement_id"] = _("Choose one of the alternatives.")
        elif "provider" in str(exc) and "provider_id" in values:
            submission.errors["provider_id"] = _("Choose the provider the case concerns.")
        else:
            refusal = _("The information could not be saved. Check the fields and try again.")
            return _form(request, user, spec, inputs, submission, refusal, 422, key)
        return _form(request, user, spec, inputs, submission, None, 422, key)
    return Redirect(f"/arenden/{case_id}?utfort=open", status_code=303)


HANDLERS = [choose_type, new_case_form, open_new_case]
