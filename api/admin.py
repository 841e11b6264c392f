"""Administration over HTTP (``/admin/...``): organisations, users, role mappings, the access review.

Only the administrator role may use these endpoints (403 with rule ``role`` for anyone else); objects
outside the administrator's municipality answer 404. The controllers build commands and call query
functions of :mod:`workflow.admin`; they hold no rule and no SQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any

from litestar import Request, Response, get, patch, post
from litestar.params import FromQuery, JSONBody, Parameter

from api.auth import AuthUser
from api.deps import IdempotencyKeyHeader, Page, application_of, create_once, items, to
from api.problems import responses
from api.schemas.admin import (
    AccessAlertOut,
    AccessOut,
    AccessPage,
    AdminEventOut,
    AdminEventPage,
    OrganisationIn,
    OrganisationOut,
    OrganisationPage,
    OrganisationPatch,
    RoleMappingIn,
    RoleMappingOut,
    RoleMappingPage,
    RoleMappingPatch,
    UserIn,
    UserOut,
    UserPage,
    UserPatch,
)
from workflow import i18n
from workflow.admin import access_review, queries
from workflow.admin.commands import (
    CreateOrganisation,
    CreateRoleMapping,
    CreateUser,
    DeactivateOrganisation,
    DeactivateRoleMapping,
    DeactivateUser,
    ReactivateUser,
    RenameOrganisation,
    UpdateRoleMapping,
    UpdateUser,
)
from workflow.deadlines.calendar import local_date
from workflow.engine.errors import InvalidInput

PathId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
OptionalId = Annotated[int | None, Parameter(ge=1, le=2**31 - 1)]
Cursor = Annotated[
    str | None, Parameter(min_length=1, max_length=400, description="the next_cursor of the page before")
]
TAGS = ["administration"]
ADMIN_READ = responses(401, 403, 404, 422)
ADMIN_LIST = responses(401, 403, 422)
ADMIN_WRITE = responses(401, 403, 404, 409, 422)


def _row(kind: type[Any]) -> Any:
    return lambda row, uow: to(kind, row)


# --- organisations -----------------------------------------------------------------------------------------------


@get(
    "/admin/organisations",
    operation_id="listOrganisations",
    summary="List the administered organisations.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_LIST,
)
def list_organisations(
    request: Request[Any, Any, Any], user: AuthUser, paging: Page, active: FromQuery[bool | None] = None
) -> OrganisationPage:
    """The administrator's organisation and every organisation below it, by code."""
    found = queries.list_organisations(application_of(request).uow, user.actor, active, paging)
    return OrganisationPage(paging.page, paging.page_size, found.total, items(OrganisationOut, found))


@get(
    "/admin/organisations/{organisation_id:int}",
    operation_id="getOrganisation",
    summary="Read one administered organisation.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_READ,
)
def get_organisation(request: Request[Any, Any, Any], user: AuthUser, organisation_id: PathId) -> OrganisationOut:
    """One organisation of the administrator's municipality."""
    return to(OrganisationOut, queries.get_organisation(application_of(request).uow, user.actor, organisation_id))  # type: ignore[no-any-return]


@post(
    "/admin/organisations",
    operation_id="createOrganisation",
    summary="Add an organisation.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_WRITE,
)
def create_organisation(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[OrganisationIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[OrganisationOut]:
    """Add an organisation below ``parent_id`` (default: the administrator's own); its code must be new."""
    command = CreateOrganisation(data.code, data.name, data.kind, data.parent_id)
    return create_once(request, user, idempotency_key, data, command, _row(OrganisationOut))


@patch(
    "/admin/organisations/{organisation_id:int}",
    operation_id="renameOrganisation",
    summary="Rename an organisation.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_WRITE,
)
def rename_organisation(
    request: Request[Any, Any, Any], user: AuthUser, organisation_id: PathId, data: JSONBody[OrganisationPatch]
) -> OrganisationOut:
    """Rename an organisation (its code stays)."""
    row = application_of(request).execute(RenameOrganisation(organisation_id, data.name), user.actor)
    return to(OrganisationOut, row)  # type: ignore[no-any-return]


@post(
    "/admin/organisations/{organisation_id:int}/deactivate",
    operation_id="deactivateOrganisation",
    summary="Deactivate an organisation.",
    tags=TAGS,
    sync_to_thread=True,
    status_code=200,
    responses=ADMIN_WRITE,
)
def deactivate_organisation(
    request: Request[Any, Any, Any], user: AuthUser, organisation_id: PathId
) -> OrganisationOut:
    """Deactivate an organisation; refused (422, ``rule``) while it has active users
    (``organisation_has_active_users``), open cases (``organisation_has_open_cases``), active organisations
    below it (``organisation_has_active_children``) or active role mappings (``organisation_has_role_mappings``)."""
    row = application_of(request).execute(DeactivateOrganisation(organisation_id), user.actor)
    return to(OrganisationOut, row)  # type: ignore[no-any-return]


# --- users -------------------------------------------------------------------------------------------------------


@get(
    "/admin/users",
    operation_id="listUsers",
    summary="List the users of the administered organisations.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_LIST,
)
def list_users(
    request: Request[Any, Any, Any],
    user: AuthUser,
    paging: Page,
    organisation_id: OptionalId = None,
    active: FromQuery[bool | None] = None,
    search: Annotated[
        str | None, Parameter(min_length=1, max_length=100, description="part of username or name")
    ] = None,
) -> UserPage:
    """Users by username, filtered by organisation, active or not, and part of the username or name."""
    filters = queries.UserFilter(organisation_id, active, search)
    found = queries.list_users(application_of(request).uow, user.actor, filters, paging)
    return UserPage(paging.page, paging.page_size, found.total, items(UserOut, found))


@get(
    "/admin/users/{user_id:int}",
    operation_id="getUser",
    summary="Read one user.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_READ,
)
def get_user(request: Request[Any, Any, Any], user: AuthUser, user_id: PathId) -> UserOut:
    """One user of the administrator's municipality."""
    return to(UserOut, queries.get_user(application_of(request).uow, user.actor, user_id))  # type: ignore[no-any-return]


@post(
    "/admin/users",
    operation_id="createUser",
    summary="Add a user.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_WRITE,
)
def create_user(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[UserIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[UserOut]:
    """Add a user of an administered, active organisation; the username must be new."""
    command = CreateUser(
        data.username,
        data.display_name,
        data.email,
        data.organisation_id,
        tuple(data.roles),
        integration=data.integration,
    )
    return create_once(request, user, idempotency_key, data, command, _row(UserOut))


@patch(
    "/admin/users/{user_id:int}",
    operation_id="updateUser",
    summary="Change a user's name, e-mail, organisation or roles.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_WRITE,
)
def update_user(request: Request[Any, Any, Any], user: AuthUser, user_id: PathId, data: JSONBody[UserPatch]) -> UserOut:
    """Change a user; an administrator cannot move itself or take away its own administrator role (``own_account``)."""
    roles = tuple(data.roles) if data.roles is not None else None
    command = UpdateUser(user_id, data.display_name, data.email, data.organisation_id, roles)
    return to(UserOut, application_of(request).execute(command, user.actor))  # type: ignore[no-any-return]


@post(
    "/admin/users/{user_id:int}/deactivate",
    operation_id="deactivateUser",
    summary="Deactivate a user.",
    tags=TAGS,
    sync_to_thread=True,
    status_code=200,
    responses=ADMIN_WRITE,
)
def deactivate_user(request: Request[Any, Any, Any], user: AuthUser, user_id: PathId) -> UserOut:
    """Stop a user from signing in; never oneself (``own_account``)."""
    return to(UserOut, application_of(request).execute(DeactivateUser(user_id), user.actor))  # type: ignore[no-any-return]


@post(
    "/admin/users/{user_id:int}/reactivate",
    operation_id="reactivateUser",
    summary="Reactivate a user.",
    tags=TAGS,
    sync_to_thread=True,
    status_code=200,
    responses=ADMIN_WRITE,
)
def reactivate_user(request: Request[Any, Any, Any], user: AuthUser, user_id: PathId) -> UserOut:
    """Let a user sign in again; its organisation must be active (``organisation_inactive``)."""
    return to(UserOut, application_of(request).execute(ReactivateUser(user_id), user.actor))  # type: ignore[no-any-return]


# --- role mappings -------------------------------------------------------------------------------------------------


@get(
    "/admin/role-mappings",
    operation_id="listRoleMappings",
    summary="List the groups-to-roles mappings.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_LIST,
)
def list_role_mappings(
    request: Request[Any, Any, Any], user: AuthUser, paging: Page, active: FromQuery[bool | None] = None
) -> RoleMappingPage:
    """The identity-provider groups mapped into the administered organisations, by group name."""
    found = queries.list_role_mappings(application_of(request).uow, user.actor, active, paging)
    return RoleMappingPage(paging.page, paging.page_size, found.total, items(RoleMappingOut, found))


@get(
    "/admin/role-mappings/{mapping_id:int}",
    operation_id="getRoleMapping",
    summary="Read one role mapping.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_READ,
)
def get_role_mapping(request: Request[Any, Any, Any], user: AuthUser, mapping_id: PathId) -> RoleMappingOut:
    """One group's mapping."""
    return to(RoleMappingOut, queries.get_role_mapping(application_of(request).uow, user.actor, mapping_id))  # type: ignore[no-any-return]


@post(
    "/admin/role-mappings",
    operation_id="createRoleMapping",
    summary="Map a group to an organisation and roles.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_WRITE,
)
def create_role_mapping(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: JSONBody[RoleMappingIn],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[RoleMappingOut]:
    """Map an identity-provider group; users signing in with it are provisioned with these roles."""
    command = CreateRoleMapping(data.group_name, data.organisation_id, tuple(data.roles))
    return create_once(request, user, idempotency_key, data, command, _row(RoleMappingOut))


@patch(
    "/admin/role-mappings/{mapping_id:int}",
    operation_id="updateRoleMapping",
    summary="Change a role mapping.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_WRITE,
)
def update_role_mapping(
    request: Request[Any, Any, Any], user: AuthUser, mapping_id: PathId, data: JSONBody[RoleMappingPatch]
) -> RoleMappingOut:
    """Change the organisation or roles a group maps to; the version goes up."""
    roles = tuple(data.roles) if data.roles is not None else None
    row = application_of(request).execute(UpdateRoleMapping(mapping_id, data.organisation_id, roles), user.actor)
    return to(RoleMappingOut, row)  # type: ignore[no-any-return]


@post(
    "/admin/role-mappings/{mapping_id:int}/deactivate",
    operation_id="deactivateRoleMapping",
    summary="Stop mapping a group.",
    tags=TAGS,
    sync_to_thread=True,
    status_code=200,
    responses=ADMIN_WRITE,
)
def deactivate_role_mapping(request: Request[Any, Any, Any], user: AuthUser, mapping_id: PathId) -> RoleMappingOut:
    """Stop mapping a group (users provisioned from it keep their accounts)."""
    return to(RoleMappingOut, application_of(request).execute(DeactivateRoleMapping(mapping_id), user.actor))  # type: ignore[no-any-return]


# --- the administration's own audit record ----------------------------------------------------------------------


@get(
    "/admin/audit-events",
    operation_id="listAdminEvents",
    summary="List the administrative changes.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_LIST,
)
def list_admin_events(
    request: Request[Any, Any, Any],
    user: AuthUser,
    paging: Page,
    entity: FromQuery[Annotated[str | None, Parameter(pattern="^(organisation|user|role_mapping)$")]] = None,
    entity_id: OptionalId = None,
    cursor: Cursor = None,
) -> AdminEventPage:
    """Every change to organisations, users and role mappings of the municipality, newest first, with before/after."""
    found = queries.list_admin_events(
        application_of(request).uow, user.actor, entity, entity_id, replace(paging, cursor=cursor)
    )
    return AdminEventPage(found.page, found.page_size, found.total, items(AdminEventOut, found), found.next_cursor)


# --- the access review --------------------------------------------------------------------------------------------


def _access_filter(
    user_id: int | None,
    entity: str | None,
    entity_id: int | None,
    organisation_id: int | None,
    since: datetime | None,
    until: datetime | None,
) -> access_review.AccessFilter:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name} needs a time zone (e.g. 2026-12-01T00:00:00+01:00)", rule="period")
    return access_review.AccessFilter(user_id, entity, entity_id, organisation_id, since, until)


Entity = Annotated[str | None, Parameter(pattern=r"^[a-z_]{1,32}$", description="record kind: case, placement, …")]
Since = Annotated[datetime | None, Parameter(description="reads at or after this instant")]
Until = Annotated[datetime | None, Parameter(description="reads before this instant")]


@get(
    "/admin/access-log",
    operation_id="listAccessLog",
    summary="Review reads of individual-level records.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_LIST,
)
def list_access_log(
    request: Request[Any, Any, Any],
    user: AuthUser,
    paging: Page,
    user_id: OptionalId = None,
    entity: Entity = None,
    entity_id: OptionalId = None,
    organisation_id: OptionalId = None,
    since: Since = None,
    until: Until = None,
    cursor: Cursor = None,
) -> AccessPage:
    """Who read which individual-level record, when, from which organisation; newest first. Page by ``cursor``
    (each page's ``next_cursor``) to walk a long log steadily. The review is itself logged."""
    filters = _access_filter(user_id, entity, entity_id, organisation_id, since, until)
    found = access_review.list_access(application_of(request).uow, user.actor, filters, replace(paging, cursor=cursor))
    return AccessPage(found.page, found.page_size, found.total, items(AccessOut, found), found.next_cursor)


@get(
    "/admin/access-log/csv",
    operation_id="exportAccessLog",
    summary="Export reads of individual-level records.",
    tags=TAGS,
    sync_to_thread=True,
    media_type="text/csv",
    responses=ADMIN_LIST,
)
def export_access_log(
    request: Request[Any, Any, Any],
    user: AuthUser,
    user_id: OptionalId = None,
    entity: Entity = None,
    entity_id: OptionalId = None,
    organisation_id: OptionalId = None,
    since: Since = None,
    until: Until = None,
) -> Response[bytes]:
    """The filtered reads as CSV for a spreadsheet: ``;`` between fields, UTF-8 with BOM, Stockholm times, Swedish
    headings (English with ``Accept-Language: en``). The export is itself logged."""
    filters = _access_filter(user_id, entity, entity_id, organisation_id, since, until)
    locale = i18n.negotiate(None, request.headers.get("accept-language"))
    body = access_review.export_csv(application_of(request).uow, user.actor, filters, locale)
    day = local_date(application_of(request).clock()).isoformat()
    return Response(
        body, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="access-log-{day}.csv"'}
    )


@get(
    "/admin/access-alerts",
    operation_id="listAccessAlerts",
    summary="List unusual volumes of reads.",
    tags=TAGS,
    sync_to_thread=True,
    responses=ADMIN_LIST,
)
def list_access_alerts(
    request: Request[Any, Any, Any],
    user: AuthUser,
    day: Annotated[date | None, Parameter(description="the Stockholm day (default: today)")] = None,
) -> list[AccessAlertOut]:
    """Users of the municipality who read more individual-level records on ``day`` than the configured threshold
    (``UPPF_ACCESS_ALERT_DAILY_READS``). Listing them is itself logged."""
    app = application_of(request)
    found = access_review.alerts(
        app.uow, user.actor, day or local_date(app.clock()), app.settings.access_alert_daily_reads
    )
    return [to(AccessAlertOut, a) for a in found]


HANDLERS = [
    list_organisations,
    get_organisation,
    create_organisation,
    rename_organisation,
    deactivate_organisation,
    list_users,
    get_user,
    create_user,
    update_user,
    deactivate_user,
    reactivate_user,
    list_role_mappings,
    get_role_mapping,
    create_role_mapping,
    update_role_mapping,
    deactivate_role_mapping,
    list_admin_events,
    list_access_log,
    export_access_log,
    list_access_alerts,
]
