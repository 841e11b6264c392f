"""Administration: the administrator's organisations (Organisationer) and users (Användare).

The same commands and query functions as ``/admin/...`` (``workflow.admin``); a refusal is said on the page in
the user's language and nothing is saved. Other roles are told who may use the pages (403), objects outside the
administrator's municipality are not found (404).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter, PathParameter
from litestar.response import Redirect, Template

from api.auth import CurrentUser
from api.web import forms
from api.web.page import render, translator, uow_of
from api.web.viewer import current, locale_of
from states.roles import Role
from workflow import i18n
from workflow.admin import queries
from workflow.admin.commands import (
    ORGANISATION_KINDS,
    ROLES,
    CreateOrganisation,
    CreateUser,
    DeactivateOrganisation,
    DeactivateUser,
    ReactivateUser,
)
from workflow.admin.scope import is_administrator
from workflow.cases.paging import PageRequest
from workflow.engine.errors import Conflict, NotFound, WorkflowError
from workflow.i18n import N_

RowId = Annotated[int, PathParameter(description="row id")]
Done = Annotated[str | None, Parameter(max_length=16)]
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

#: What the pages say for each rule that refuses (the API names the rule itself).
REFUSALS = {
    "organisation_has_active_users": N_("The organisation has active users. Deactivate or move them first."),
    "organisation_has_open_cases": N_("The organisation has open cases. They must be closed first."),
    "organisation_has_active_children": N_("Organisations below it are still active. Deactivate them first."),
    "organisation_has_role_mappings": N_("Groups from the identity provider still give access to the organisation."),
    "organisation_inactive": N_("The organisation is deactivated."),
    "own_account": N_("You cannot deactivate, move or demote yourself. Ask another administrator."),
    "role_unknown": N_("Choose roles from the list."),
    "roles_required": N_("Choose at least one role."),
    "email": N_("Write an e-mail address, for example anna.andersson@kommun.se."),
    "username": N_("A username is 2 to 64 letters, digits, dots, dashes or underscores."),
    "organisation_code": N_("A code is 2 to 32 letters, digits, dashes or underscores."),
    "organisation_kind": N_("Choose the kind of organisation."),
    "name": N_("Write a name of at most 200 characters."),
    "display_name": N_("Write a name of at most 200 characters."),
    "conflict": N_("The code or username is taken already."),
}
#: The field a rule is about, so its message stands next to that field; other refusals stand in the summary only.
FIELD_OF_RULE = {
    "email": "email",
    "username": "username",
    "organisation_code": "code",
    "organisation_kind": "kind",
    "name": "name",
    "display_name": "display_name",
    "role_unknown": "roles",
    "roles_required": "roles",
}
KIND_LABELS = {
    "central_board": N_("Central board"),
    "district_board": N_("District board"),
    "education_board": N_("Education board"),
}
DONE = {
    "org": N_("Saved: the organisation was added."),
    "org_off": N_("Saved: the organisation was deactivated."),
    "user": N_("Saved: the user was added."),
    "user_off": N_("Saved: the user was deactivated."),
    "user_on": N_("Saved: the user was activated again."),
}


def _denied(request: Request[Any, Any, Any], user: CurrentUser) -> Template:
    _ = translator(request)
    role = i18n.label(locale_of(request), "role", Role.ADMINISTRATOR.value).lower()
    message = _("Administration requires the role %(role)s.") % {"role": role}
    return render(request, "error.html", _("Not available"), user, status_code=403, message=message)


def _rule(exc: WorkflowError) -> str:
    return "conflict" if isinstance(exc, Conflict) else str(exc.context.get("rule", exc.code))


def _refusal(request: Request[Any, Any, Any], exc: WorkflowError) -> str:
    _ = translator(request)
    return _(REFUSALS.get(_rule(exc), N_("The information could not be saved. Check the fields and try again.")))


def _submission(
    request: Request[Any, Any, Any], values: dict[str, Any], exc: WorkflowError, conflict_field: str
) -> tuple[str | None, forms.Submission]:
    """The refusal as the form shows it: next to its field when it is about one, else in the summary."""
    rule = _rule(exc)
    name = conflict_field if rule == "conflict" else FIELD_OF_RULE.get(rule)
    if name is None:
        return _refusal(request, exc), forms.Submission(values)
    return None, forms.Submission(values, {name: _refusal(request, exc)})


def _all_organisations(request: Request[Any, Any, Any], user: CurrentUser) -> list[dict[str, Any]]:
    return queries.list_organisations(uow_of(request), user.actor, None, PageRequest(1, 100)).items


def _active(organisations: list[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(o["id"]), o["name"]) for o in organisations if o["active"])


def _organisation_inputs(request: Request[Any, Any, Any], organisations: list[dict[str, Any]]) -> list[forms.Field]:
    _ = translator(request)
    kinds = tuple((k, _(KIND_LABELS[k])) for k in ORGANISATION_KINDS)
    return [
        forms.Field("name", _("Name"), "text", True),
        forms.Field(
            "code", _("Code"), "text", True, hint=_("Letters, digits, dashes or underscores, for example NORRMALM.")
        ),
        forms.Field("kind", _("Kind"), "select", True, kinds, choose=False),
        forms.Field("parent_id", _("Below"), "select", True, _active(organisations), choose=False),
    ]


def _user_inputs(request: Request[Any, Any, Any], organisations: list[dict[str, Any]]) -> list[forms.Field]:
    _ = translator(request)
    roles = tuple((r, i18n.label(locale_of(request), "role", r)) for r in ROLES)
    return [
        forms.Field("display_name", _("Name"), "text", True),
        forms.Field(
            "username", _("Username"), "text", True, hint=_("As in the identity provider, for example anna.andersson.")
        ),
        forms.Field("email", _("E-mail"), "text", True),
        forms.Field("organisation_id", _("Organisation"), "select", True, _active(organisations), choose=False),
        forms.Field("roles", _("Roles"), "checkboxes", True, roles),
    ]


def _organisations_page(
    request: Request[Any, Any, Any],
    user: CurrentUser,
    done: str | None,
    refusal: str | None = None,
    submission: forms.Submission | None = None,
) -> Template:
    _ = translator(request)
    organisations = _all_organisations(request, user)
    submission = submission or forms.Submission({})
    return render(
        request,
        "admin_organisations.html",
        _("Organisations"),
        user,
        status_code=422 if refusal or submission.errors else 200,
        organisations=organisations,
        kinds=[(k, _(KIND_LABELS[k])) for k in ORGANISATION_KINDS],
        done=_(DONE[done]) if done in DONE else None,
        refusal=refusal,
        submission=submission,
        inputs=_organisation_inputs(request, organisations),
    )


def _users_page(
    request: Request[Any, Any, Any],
    user: CurrentUser,
    done: str | None,
    refusal: str | None = None,
    submission: forms.Submission | None = None,
) -> Template:
    _ = translator(request)
    locale = locale_of(request)
    users = queries.list_users(uow_of(request), user.actor, queries.UserFilter(), PageRequest(1, 100))
    organisations = _all_organisations(request, user)
    submission = submission or forms.Submission({})
    return render(
        request,
        "admin_users.html",
        _("Users"),
        user,
        status_code=422 if refusal or submission.errors else 200,
        users=users.items,
        total=users.total,
        org_names={o["id"]: o["name"] for o in organisations},
        roles=[(r, i18n.label(locale, "role", r)) for r in ROLES],
        done=_(DONE[done]) if done in DONE else None,
        refusal=refusal,
        submission=submission,
        inputs=_user_inputs(request, organisations),
        me=user.user_id,
    )


def _checked(request: Request[Any, Any, Any], inputs: list[forms.Field], data: dict[str, Any]) -> forms.Submission:
    """Every field filled in and every choice among the alternatives, each message next to its field."""
    clock = request.app.state.web_application.clock
    return forms.check(locale_of(request), inputs, data, forms.today_of(clock()))


def _int(value: Any) -> int | None:
    text = value[-1] if isinstance(value, list) else value
    return int(text) if isinstance(text, str) and text.isdigit() and len(text) < 10 else None


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name, "")
    return str(value[-1] if isinstance(value, list) else value).strip()


@get("/administration", sync_to_thread=False)
def administration() -> Redirect:
    """The section starts with the organisations."""
    return Redirect("/administration/organisationer", status_code=303)


@get("/administration/organisationer", sync_to_thread=True)
def organisations_page(request: Request[Any, Any, Any], klart: Done = None) -> Template:
    """The administered organisations, a form to add one, and deactivation."""
    user = current(request)
    if not is_administrator(user.actor):
        return _denied(request, user)
    return _organisations_page(request, user, klart)


@post("/administration/organisationer", sync_to_thread=True, status_code=303)
def add_organisation(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Add an organisation below the chosen parent."""
    user = current(request)
    if not is_administrator(user.actor):
        return _denied(request, user)
    checked = _checked(request, _organisation_inputs(request, _all_organisations(request, user)), data)
    if checked.errors:
        return _organisations_page(request, user, None, None, checked)
    values = {k: _text(data, k) for k in ("code", "name", "kind", "parent_id")}
    command = CreateOrganisation(values["code"], values["name"], values["kind"], _int(values["parent_id"]), via="web")
    try:
        request.app.state.web_application.execute(command, user.actor)
    except NotFound:
        raise
    except WorkflowError as exc:
        return _organisations_page(request, user, None, *_submission(request, values, exc, "code"))
    return Redirect("/administration/organisationer?klart=org", status_code=303)


@post("/administration/organisationer/{organisation_id:int}/inaktivera", sync_to_thread=True, status_code=303)
def deactivate_organisation(request: Request[Any, Any, Any], organisation_id: RowId) -> Template | Redirect:
    """Deactivate an organisation nothing active depends on."""
    user = current(request)
    if not is_administrator(user.actor):
        return _denied(request, user)
    if not 1 <= organisation_id < 2**31:
        raise NotFound("no such organisation")
    try:
        request.app.state.web_application.execute(DeactivateOrganisation(organisation_id, via="web"), user.actor)
    except NotFound:
        raise
    except WorkflowError as exc:
        return _organisations_page(request, user, None, _refusal(request, exc))
    return Redirect("/administration/organisationer?klart=org_off", status_code=303)


@get("/administration/anvandare", sync_to_thread=True)
def users_page(request: Request[Any, Any, Any], klart: Done = None) -> Template:
    """The users of the administered organisations, a form to add one, deactivation and reactivation."""
    user = current(request)
    if not is_administrator(user.actor):
        return _denied(request, user)
    return _users_page(request, user, klart)


@post("/administration/anvandare", sync_to_thread=True, status_code=303)
def add_user(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    """Add a user with its organisation and roles."""
    user = current(request)
    if not is_administrator(user.actor):
        return _denied(request, user)
    checked = _checked(request, _user_inputs(request, _all_organisations(request, user)), data)
    if checked.errors:
        return _users_page(request, user, None, None, checked)
    values: dict[str, Any] = {k: _text(data, k) for k in ("username", "display_name", "email", "organisation_id")}
    raw_roles = data.get("roles", [])
    values["roles"] = [str(r) for r in (raw_roles if isinstance(raw_roles, list) else [raw_roles]) if r]
    organisation = _int(values["organisation_id"]) or 0
    command = CreateUser(
        values["username"], values["display_name"], values["email"], organisation, tuple(values["roles"]), via="web"
    )
    try:
        request.app.state.web_application.execute(command, user.actor)
    except NotFound:
        raise
    except WorkflowError as exc:
        return _users_page(request, user, None, *_submission(request, values, exc, "username"))
    return Redirect("/administration/anvandare?klart=user", status_code=303)


def _set_active(request: Request[Any, Any, Any], user_id: int, active: bool) -> Template | Redirect:
    user = current(request)
    if not is_administrator(user.actor):
        return _denied(request, user)
    if not 1 <= user_id < 2**31:
        raise NotFound("no such user")
    command = ReactivateUser(user_id, via="web") if active else DeactivateUser(user_id, via="web")
    try:
        request.app.state.web_application.execute(command, user.actor)
    except NotFound:
        raise
    except WorkflowError as exc:
        return _users_page(request, user, None, _refusal(request, exc))
    return Redirect(f"/administration/anvandare?klart={'user_on' if active else 'user_off'}", status_code=303)


@post("/administration/anvandare/{user_id:int}/inaktivera", sync_to_thread=True, status_code=303)
def deactivate_user(request: Request[Any, Any, Any], user_id: RowId) -> Template | Redirect:
    """Stop a user from signing in."""
    return _set_active(request, user_id, False)


@post("/administration/anvandare/{user_id:int}/aktivera", sync_to_thread=True, status_code=303)
def reactivate_user(request: Request[Any, Any, Any], user_id: RowId) -> Template | Redirect:
    """Let a user sign in again."""
    return _set_active(request, user_id, True)


HANDLERS = [
    administration,
    organisations_page,
    add_organisation,
    deactivate_organisation,
    users_page,
    add_user,
    deactivate_user,
    reactivate_user,
]
