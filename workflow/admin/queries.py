"""Query functions of the administration: organisations, users, role mappings and the admin audit record.

Each applies the administrator's scope (:mod:`workflow.admin.scope`): a caller without the administrator role
is refused (403, rule ``role``), an object outside its municipality is not found (404). Users and organisations
are not individual-level case data, so reading them is not written to the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from workflow.admin.commands import mapping_row, organisation_row, user_row
from workflow.admin.scope import administered, require_in_scope
from workflow.cases.paging import Order, Page, PageRequest, SortKey, fetch
from workflow.engine.firing import Actor
from workflow.engine.uow import UnitOfWork
from workflow.schema.tables import ADMIN_EVENT, ORG, ROLE_MAPPING, USER

Row = dict[str, Any]

_ORG_ORDER = Order("code", (SortKey("code", ORG.c.code), SortKey("id", ORG.c.id)))
_USER_ORDER = Order("username", (SortKey("username", USER.c.username), SortKey("id", USER.c.id)))
_MAPPING_ORDER = Order("group", (SortKey("group_name", ROLE_MAPPING.c.group_name), SortKey("id", ROLE_MAPPING.c.id)))
_EVENT_ORDER = Order(
    "-at", (SortKey("at", ADMIN_EVENT.c.at, descending=True), SortKey("id", ADMIN_EVENT.c.id, descending=True))
)


@dataclass(frozen=True, slots=True)
class UserFilter:
    """Which users to list: of one organisation, active or not, by part of the username or name."""

    organisation_id: int | None = None
    active: bool | None = None
    search: str | None = None


def list_organisations(uow: UnitOfWork, actor: Actor, active: bool | None, paging: PageRequest) -> Page:
    """The organisations the administrator administers, by code."""

    def read(conn: Connection) -> Page:
        scope = administered(conn, actor, "list organisations")
        q = select(ORG.c.id, ORG.c.code, ORG.c.name, ORG.c.kind, ORG.c.parent_id, ORG.c.active).where(
            ORG.c.id.in_(scope)
        )
        if active is not None:
            q = q.where(ORG.c.active.is_(active))
        page = fetch(conn, q, _ORG_ORDER, paging)
        for r in page.items:
            r["active"] = bool(r["active"])
        return page

    return uow.read(read)


def get_organisation(uow: UnitOfWork, actor: Actor, organisation_id: int) -> Row:
    """One administered organisation."""

    def read(conn: Connection) -> Row:
        require_in_scope(
            administered(conn, actor, "read organisations"), organisation_id, f"organisation {organisation_id}"
        )
        row = organisation_row(conn, organisation_id)
        assert row is not None
        return row

    return uow.read(read)


def list_users(uow: UnitOfWork, actor: Actor, filters: UserFilter, paging: PageRequest) -> Page:
    """The users of the administered organisations, by username."""

    def read(conn: Connection) -> Page:
        scope = administered(conn, actor, "list users")
        q = select(
            USER.c.id,
            USER.c.username,
            USER.c.display_name,
            USER.c.email,
            USER.c.organisation_id,
            USER.c.roles,
            USER.c.active,
            USER.c.source,
        ).where(USER.c.organisation_id.in_(scope))
        if filters.organisation_id is not None:
            q = q.where(USER.c.organisation_id == filters.organisation_id)
        if filters.active is not None:
            q = q.where(USER.c.active.is_(filters.active))
        if filters.search:
            like = f"%{filters.search.lower()}%"
            q = q.where(USER.c.username.ilike(like) | USER.c.display_name.ilike(like))
        page = fetch(conn, q, _USER_ORDER, paging)
        for r in page.items:
            r["roles"], r["active"] = list(r["roles"]), bool(r["active"])
        return page

    return uow.read(read)


def get_user(uow: UnitOfWork, actor: Actor, user_id: int) -> Row:
    """One user of an administered organisation."""

    def read(conn: Connection) -> Row:
        row = user_row(conn, user_id)
        require_in_scope(
            administered(conn, actor, "read users"), row["organisation_id"] if row else None, f"user {user_id}"
        )
        assert row is not None
        return row

    return uow.read(read)


def list_role_mappings(uow: UnitOfWork, actor: Actor, active: bool | None, paging: PageRequest) -> Page:
    """The role mappings into the administered organisations, by group name."""

    def read(conn: Connection) -> Page:
        scope = administered(conn, actor, "list role mappings")
        q = select(ROLE_MAPPING).where(ROLE_MAPPING.c.organisation_id.in_(scope))
        if active is not None:
            q = q.where(ROLE_MAPPING.c.active.is_(active))
        page = fetch(conn, q, _MAPPING_ORDER, paging)
        for r in page.items:
            r["roles"], r["active"] = list(r["roles"]), bool(r["active"])
        return page

    return uow.read(read)


def get_role_mapping(uow: UnitOfWork, actor: Actor, mapping_id: int) -> Row:
    """One role mapping into an administered organisation."""

    def read(conn: Connection) -> Row:
        row = mapping_row(conn, mapping_id)
        scope = administered(conn, actor, "read role mappings")
        require_in_scope(scope, row["organisation_id"] if row else None, f"role mapping {mapping_id}")
        assert row is not None
        return row

    return uow.read(read)


def list_admin_events(
    uow: UnitOfWork, actor: Actor, entity: str | None, entity_id: int | None, paging: PageRequest
) -> Page:
    """The administrative changes in the administered organisations, newest first."""

    def read(conn: Connection) -> Page:
        scope = administered(conn, actor, "read the administration log")
        q = select(ADMIN_EVENT).where(ADMIN_EVENT.c.organisation_id.in_(scope))
        if entity is not None:
            q = q.where(ADMIN_EVENT.c.entity == entity)
        if entity_id is not None:
            q = q.where(ADMIN_EVENT.c.entity_id == entity_id)
        return fetch(conn, q, _EVENT_ORDER, paging)

    return uow.read(read)
