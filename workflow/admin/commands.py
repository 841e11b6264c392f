"""Commands of the administration (administrationskommandon): organisations, users, the role mapping.

Each command has one handler that writes in one unit of work, appends the change to the admin audit record
(:mod:`workflow.admin.audit`) with before and after, and answers the row as it stands after the change.
Refusals raise before anything is written and name their rule:

* ``role``: the actor is not an administrator (403); an object outside its municipality is 404;
* ``organisation_has_active_users``, ``organisation_has_open_cases``, ``organisation_has_active_children``,
  ``organisation_has_role_mappings``: an organisation is deactivated only when nothing depends on it;
* ``organisation_inactive``: users and mappings are placed in active organisations only;
* ``own_account``: an administrator neither deactivates itself nor takes away its own administrator role
  or organisation (someone else must, so a municipality never loses its last administrator by accident);
* ``role_unknown``, ``roles_required``, ``organisation_code``, ``organisation_kind``, ``email``, ``group_name``:
  invalid input;
* ``already_bootstrapped``: the bootstrap runs only while no administrator exists.

``via`` says through which entry point a change came (``api``, ``cli``, ``web``); it is recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from states.roles import Role
from workflow.admin import audit
from workflow.admin.scope import administered, require_in_scope
from workflow.engine.commands import handles
from workflow.engine.errors import Conflict, InvalidInput, Refused
from workflow.engine.firing import Actor
from workflow.engine.uow import UnitOfWork
from workflow.schema.db import new_id
from workflow.schema.tables import CASE, ORG, ROLE_MAPPING, USER

Row = dict[str, Any]

ORGANISATION_KINDS = ("central_board", "district_board", "education_board")
ROLES = tuple(r.value for r in Role)
_CODE = re.compile(r"^[A-Za-z0-9_-]{2,32}$")
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
_EMAIL = re.compile(r"^[^@\s]{1,100}@[^@\s]{1,99}$")


# --- the commands --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateOrganisation:
    """Add a board (nämnd) below ``parent_id`` (default: the administrator's own organisation)."""

    code: str
    name: str
    kind: str
    parent_id: int | None = None
    via: str = "api"


@dataclass(frozen=True, slots=True)
class RenameOrganisation:
    """Give an organisation a new name (its code stays: tokens and imports name it)."""

    organisation_id: int
    name: str
    via: str = "api"


@dataclass(frozen=True, slots=True)
class DeactivateOrganisation:
    """Deactivate an organisation that has no active users, open cases, active children or mappings."""

    organisation_id: int
    via: str = "api"


@dataclass(frozen=True, slots=True)
class CreateUser:
    """Add a user (användare) of an administered organisation with its roles.

    ``integration``: a service account (integrationsanvändare) for a system that calls the API with
    client-credentials tokens; its username is the OAuth client id and its source ``integration``.
    """

    username: str
    display_name: str
    email: str
    organisation_id: int
    roles: tuple[str, ...]
    via: str = "api"
    integration: bool = False


@dataclass(frozen=True, slots=True)
class UpdateUser:
    """Change a user's display name, e-mail, organisation or roles; ``None`` keeps the field."""

    user_id: int
    display_name: str | None = None
    email: str | None = None
    organisation_id: int | None = None
    roles: tuple[str, ...] | None = None
    via: str = "api"


@dataclass(frozen=True, slots=True)
class DeactivateUser:
    """Stop a user from signing in (its history stays)."""

    user_id: int
    via: str = "api"


@dataclass(frozen=True, slots=True)
class ReactivateUser:
    """Let a deactivated user sign in again (its organisation must be active)."""

    user_id: int
    via: str = "api"


@dataclass(frozen=True, slots=True)
class CreateRoleMapping:
    """Map an identity-provider group to an organisation and roles (users provisioned from it get them)."""

    group_name: str
    organisation_id: int
    roles: tuple[str, ...]
    via: str = "api"


@dataclass(frozen=True, slots=True)
class UpdateRoleMapping:
    """Change the organisation or roles a group maps to; its version goes up."""

    mapping_id: int
    organisation_id: int | None = None
    roles: tuple[str, ...] | None = None
    via: str = "api"


@dataclass(frozen=True, slots=True)
class DeactivateRoleMapping:
    """Stop mapping a group (users already provisioned keep their account)."""

    mapping_id: int
    via: str = "api"


@dataclass(frozen=True, slots=True)
class BootstrapAdministrator:
    """The first administrator of an empty installation, with its organisation (the root of the tree).

    An organisation with ``organisation_code`` that already exists is used as it is (e.g. the demo's
    Socialnämnden); otherwise a root organisation is created. Refused once any active administrator exists.
    """

    organisation_code: str
    organisation_name: str
    username: str
    display_name: str
    email: str
    organisation_kind: str = "central_board"


# --- rows as the handlers answer them ------------------------------------------------------------------------------

ORG_FIELDS = ("code", "name", "kind", "parent_id", "active")
USER_FIELDS = ("username", "display_name", "email", "organisation_id", "roles", "active", "source")
MAPPING_FIELDS = ("group_name", "organisation_id", "roles", "active", "version")


def organisation_row(conn: Connection, organisation_id: int) -> Row | None:
    """One organisation as a mapping (no scope check)."""
    row = conn.execute(
        select(ORG.c.id, ORG.c.code, ORG.c.name, ORG.c.kind, ORG.c.parent_id, ORG.c.active).where(
            ORG.c.id == organisation_id
        )
    ).first()
    return {**row._mapping, "active": bool(row.active)} if row else None


def user_row(conn: Connection, user_id: int) -> Row | None:
    """One user as a mapping (no scope check)."""
    row = conn.execute(
        select(
            USER.c.id,
            USER.c.username,
            USER.c.display_name,
            USER.c.email,
            USER.c.organisation_id,
            USER.c.roles,
            USER.c.active,
            USER.c.source,
        ).where(USER.c.id == user_id)
    ).first()
    return {**row._mapping, "roles": list(row.roles), "active": bool(row.active)} if row else None


def mapping_row(conn: Connection, mapping_id: int) -> Row | None:
    """One role mapping as a mapping (no scope check)."""
    row = conn.execute(select(ROLE_MAPPING).where(ROLE_MAPPING.c.id == mapping_id)).first()
    return {**row._mapping, "roles": list(row.roles), "active": bool(row.active)} if row else None


def _fields(row: Row, names: tuple[str, ...]) -> Row:
    return {k: row[k] for k in names}


# --- checks ----------------------------------------------------------------------------------------------------


def _text(value: str, what: str, limit: int = 200) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > limit:
        raise InvalidInput(f"{what} must be 1 to {limit} characters", rule=what.replace(" ", "_"))
    return cleaned


def clean_roles(roles: tuple[str, ...] | list[str]) -> list[str]:
    """The roles, each known, in order and without repeats (rule ``role_unknown``/``roles_required``)."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InvalidInput(
            f"unknown role(s) {', '.join(map(str, unknown))}; known roles: {', '.join(ROLES)}", rule="role_unknown"
        )
    if not roles:
        raise InvalidInput("a user or mapping needs at least one role", rule="roles_required")
    return list(dict.fromkeys(roles))


def _email(value: str) -> str:
    cleaned = value.strip()
    if not _EMAIL.match(cleaned):
        raise InvalidInput("the e-mail address is not valid", rule="email")
    return cleaned


def _active_org(conn: Connection, scope: set[int], organisation_id: int) -> Row:
    require_in_scope(scope, organisation_id, f"organisation {organisation_id}")
    org = organisation_row(conn, organisation_id)
    assert org is not None  # in scope means it exists
    if not org["active"]:
        raise Refused(f"organisation {org['code']} is deactivated", rule="organisation_inactive")
    return org


def _user_in_scope(conn: Connection, scope: set[int], user_id: int) -> Row:
    row = user_row(conn, user_id)
    require_in_scope(scope, row["organisation_id"] if row else None, f"user {user_id}")
    assert row is not None
    return row


def _mapping_in_scope(conn: Connection, scope: set[int], mapping_id: int) -> Row:
    row = mapping_row(conn, mapping_id)
    require_in_scope(scope, row["organisation_id"] if row else None, f"role mapping {mapping_id}")
    assert row is not None
    return row


def _insert_user(
    conn: Connection, username: str, display: str, email: str, org: int, roles: list[str], source: str
) -> int:
    if not _USERNAME.match(username):
        raise InvalidInput("a username is 2 to 64 letters, digits, dots, dashes, underscores or @", rule="username")
    if conn.execute(select(USER.c.id).where(USER.c.username == username)).first():
        raise Conflict(f"the username {username} is taken")
    return new_id(
        conn.execute(
            insert(USER).values(
                username=username,
                display_name=_text(display, "display name"),
                email=_email(email),
                organisation_id=org,
                roles=roles,
                active=True,
                source=source,
            )
        )
    )


# --- handlers: organisations ---------------------------------------------------------------------------------------


@handles(CreateOrganisation)
def create_organisation(cmd: CreateOrganisation, actor: Actor, uow: UnitOfWork) -> Row:
    """Create the organisation below an administered, active parent."""

    def work(conn: Connection) -> Row:
        scope = administered(conn, actor, "create organisations")
        parent = cmd.parent_id if cmd.parent_id is not None else actor.organisation_id
        _active_org(conn, scope, parent)
        code = cmd.code.strip()
        if not _CODE.match(code):
            raise InvalidInput("an organisation code is 2 to 32 letters, digits, _ or -", rule="organisation_code")
        if cmd.kind not in ORGANISATION_KINDS:
            raise InvalidInput(
                f"unknown organisation kind {cmd.kind}; known: {', '.join(ORGANISATION_KINDS)}",
                rule="organisation_kind",
            )
        if conn.execute(select(ORG.c.id).where(ORG.c.code == code)).first():
            raise Conflict(f"an organisation with code {code} exists")
        oid = new_id(
            conn.execute(
                insert(ORG).values(
                    code=code, name=_text(cmd.name, "name"), kind=cmd.kind, parent_id=parent, active=True
                )
            )
        )
        row = organisation_row(conn, oid)
        assert row is not None
        audit.record(
            conn,
            actor,
            cmd.via,
            "create_organisation",
            "organisation",
            oid,
            oid,
            None,
            _fields(row, ORG_FIELDS),
            uow.clock(),
        )
        return row

    return uow.write(work)


@handles(RenameOrganisation)
def rename_organisation(cmd: RenameOrganisation, actor: Actor, uow: UnitOfWork) -> Row:
    """Rename an administered organisation."""

    def work(conn: Connection) -> Row:
        scope = administered(conn, actor, "rename organisations")
        require_in_scope(scope, cmd.organisation_id, f"organisation {cmd.organisation_id}")
        before = organisation_row(conn, cmd.organisation_id)
        assert before is not None
        name = _text(cmd.name, "name")
        conn.execute(update(ORG).where(ORG.c.id == cmd.organisation_id).values(name=name))
        after = organisation_row(conn, cmd.organisation_id)
        assert after is not None
        audit.record(
            conn,
            actor,
            cmd.via,
            "rename_organisation",
            "organisation",
            cmd.organisation_id,
            cmd.organisation_id,
            _fields(before, ORG_FIELDS),
            _fields(after, ORG_FIELDS),
            uow.clock(),
        )
        return after

    return uow.write(work)


@handles(DeactivateOrganisation)
def deactivate_organisation(cmd: DeactivateOrganisation, actor: Actor, uow: UnitOfWork) -> Row:
    """Deactivate an administered organisation on which nothing active depends."""

    def work(conn: Connection) -> Row:
        scope = administered(conn, actor, "deactivate organisations")
        oid = require_in_scope(scope, cmd.organisation_id, f"organisation {cmd.organisation_id}")
        before = organisation_row(conn, oid)
        assert before is not None
        if not before["active"]:
            return before  # already deactivated: nothing changes, nothing is recorded

        def count(query: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(query.subquery())).scalar_one())

        users = count(select(USER.c.id).where(USER.c.organisation_id == oid, USER.c.active.is_(True)))
        if users:
            raise Refused(
                f"organisation {before['code']} has {users} active user(s); deactivate or move them first",
                rule="organisation_has_active_users",
            )
        cases = count(select(CASE.c.id).where(CASE.c.organisation_id == oid, CASE.c.closed_at.is_(None)))
        if cases:
            raise Refused(
                f"organisation {before['code']} has {cases} open case(s); they must be closed first",
                rule="organisation_has_open_cases",
            )
        children = count(select(ORG.c.id).where(ORG.c.parent_id == oid, ORG.c.active.is_(True)))
        if children:
            raise Refused(
                f"organisation {before['code']} has {children} active organisation(s) below it",
                rule="organisation_has_active_children",
            )
        mappings = count(
            select(ROLE_MAPPING.c.id).where(ROLE_MAPPING.c.organisation_id == oid, ROLE_MAPPING.c.active.is_(True))
        )
        if mappings:
            raise Refused(
                f"organisation {before['code']} is the target of {mappings} active role mapping(s)",
                rule="organisation_has_role_mappings",
            )
        conn.execute(update(ORG).where(ORG.c.id == oid).values(active=False))
        after = organisation_row(conn, oid)
        assert after is not None
        audit.record(
            conn,
            actor,
            cmd.via,
            "deactivate_organisation",
            "organisation",
            oid,
            oid,
            _fields(before, ORG_FIELDS),
            _fields(after, ORG_FIELDS),
            uow.clock(),
        )
        return after

    return uow.write(work)


# --- handlers: users -------------------------------------------------------------------------------------------


@handles(CreateUser)
def create_user(cmd: CreateUser, actor: Actor, uow: UnitOfWork) -> Row:
    """Create a user of an administered, active organisation."""

    def work(conn: Connection) -> Row:
        scope = administered(conn, actor, "create users")
        _active_org(conn, scope, cmd.organisation_id)
        roles = clean_roles(cmd.roles)
        source = "integration" if cmd.integration else "manual"
        uid = _insert_user(conn, cmd.username.strip(), cmd.display_name, cmd.email, cmd.organisation_id, roles, source)
        row = user_row(conn, uid)
        assert row is not None
        audit.record(
            conn,
            actor,
            cmd.via,
            "create_user",
            "user",
            uid,
            cmd.organisation_id,
            None,
            _fields(row, USER_FIELDS),
            uow.clock(),
        )
        return row

    return uow.write(work)


@handles(UpdateUser)
def update_user(cmd: UpdateUser, actor: Actor, uow: UnitOfWork) -> Row:
    """Change an administered user's name, e-mail, organisation or roles."""

    def work(conn: Connection) -> Row:
        scope = administered(conn, actor, "change users")
        before = _user_in_scope(conn, scope, cmd.user_id)
        changes: Row = {}
        if cmd.display_name is not None:
            changes["display_name"] = _text(cmd.display_name, "display name")
        if cmd.email is not None:
            changes["email"] = _email(cmd.email)
        if cmd.organisation_id is not None and cmd.organisation_id != before["organisation_id"]:
            _active_org(conn, scope, cmd.organisation_id)
            changes["organisation_id"] = cmd.organisation_id
        if cmd.roles is not None:
            changes["roles"] = clean_roles(cmd.roles)
        if cmd.user_id == actor.user_id and (
            "organisation_id" in changes or Role.ADMINISTRATOR.value not in changes.get("roles", [Role.ADMINISTRATOR])
        ):
            raise Refused(
                "an administrator cannot move itself or take away its own administrator role; another must",
                rule="own_account",
            )
        if not changes:
            return before
        conn.execute(update(USER).where(USER.c.id == cmd.user_id).values(**changes))
        after = user_row(conn, cmd.user_id)
        assert after is not None
        audit.record(
            conn,
            actor,
            cmd.via,
            "update_user",
            "user",
            cmd.user_id,
            after["organisation_id"],
            _fields(before, USER_FIELDS),
            _fields(after, USER_FIELDS),
            uow.clock(),
        )
        return after

    return uow.write(work)


def _set_user_active(cmd: DeactivateUser | ReactivateUser, actor: Actor, uow: UnitOfWork, active: bool) -> Row:
    def work(conn: Connection) -> Row:
        scope = administered(conn, actor, "deactivate or reactivate users")
        before = _user_in_scope(conn, scope, cmd.user_id)
        if before["active"] == active:
            return before  # nothing changes, nothing is recorded
        if not active and cmd.user_id == actor.user_id:
            raise Refused("an administrator cannot deactivate itself; another must", rule="own_account")
        if active:
            _active_org(conn, scope, before["organisation_id"])
        conn.execute(update(USER).where(USER.c.id == cmd.user_id).values(active=active))
        after = user_row(conn, cmd.user_id)
        assert after is not None
        audit.record(
            conn,
            actor,
            cmd.via,
            "reactivate_user" if active else "deactivate_user",
            "user",
            cmd.user_id,
            after["organisation_id"],
            _fields(before, USER_FIELDS),
            _fields(after, USER_FIELDS),
            uow.clock(),
        )
        return after

    return uow.write(work)


@handles(DeactivateUser)
def deactivate_user(cmd: DeactivateUser, actor: Actor, uow: UnitOfWork) -> Row:
    """Deactivate an administered user (not oneself)."""
    return _set_user_active(cmd, actor, uow, False)


@handles(ReactivateUser)
def reactivate_user(cmd: ReactivateUser, actor: Actor, uow: UnitOfWork) -> Row:
    """Reactivate an administered user of an active organisation."""
    return _set_user_active(cmd, actor, uow, True)


# --- handlers: the role mapping --------------------------------------------------------------------------------


@handles(CreateRoleMapping)
def create_role_mapping(cmd: CreateRoleMapping, actor: Actor, uow: UnitOfWork) -> Row:
    """Map a group to an administered, active organisation and roles."""

    def work(conn: Connection) -> Row:
        scope = administered(conn, actor, "map groups to roles")
        _active_org(conn, scope, cmd.organisation_id)
        group = _text(cmd.group_name, "group name")
        roles = clean_roles(cmd.roles)
        if conn.execute(select(ROLE_MAPPING.c.id).where(ROLE_MAPPING.c.group_name == group)).first():
            raise Conflict(f"the group {group} is mapped already; change that mapping instead")
        mid = new_id(
            conn.execute(
                insert(ROLE_MAPPING).values(
                    group_name=group,
                    organisation_id=cmd.organisation_id,
                    roles=roles,
                    active=True,
                    version=1,
                    updated_at=uow.clock(),
                )
            )
        )
        row = mapping_row(conn, mid)
        assert row is not None
        audit.record(
            conn,
            actor,
            cmd.via,
            "create_role_mapping",
            "role_mapping",
            mid,
            cmd.organisation_id,
            None,
            _fields(row, MAPPING_FIELDS),
            uow.clock(),
        )
        return row

    return uow.write(work)


@handles(UpdateRoleMapping)
def update_role_mapping(cmd: UpdateRoleMapping, actor: Actor, uow: UnitOfWork) -> Row:
    """Change an administered mapping's organisation or roles (reactivating it if it was deactivated)."""

    def work(conn: Connection) -> Row:
        scope = administered(conn, actor, "map groups to roles")
        before = _mapping_in_scope(conn, scope, cmd.mapping_id)
        changes: Row = {}
        if cmd.organisation_id is not None and cmd.organisation_id != before["organisation_id"]:
            changes["organisation_id"] = cmd.organisation_id
        target: int = changes["organisation_id"] if "organisation_id" in changes else before["organisation_id"]
        _active_org(conn, scope, target)
        if cmd.roles is not None and list(cmd.roles) != before["roles"]:
            changes["roles"] = clean_roles(cmd.roles)
        if not before["active"]:
            changes["active"] = True
        if not changes:
            return before
        changes.update(version=before["version"] + 1, updated_at=uow.clock())
        conn.execute(update(ROLE_MAPPING).where(ROLE_MAPPING.c.id == cmd.mapping_id).values(**changes))
        after = mapping_row(conn, cmd.mapping_id)
        assert after is not None
        audit.record(
            conn,
            actor,
            cmd.via,
            "update_role_mapping",
            "role_mapping",
            cmd.mapping_id,
            after["organisation_id"],
            _fields(before, MAPPING_FIELDS),
            _fields(after, MAPPING_FIELDS),
            uow.clock(),
        )
        return after

    return uow.write(work)


@handles(DeactivateRoleMapping)
def deactivate_role_mapping(cmd: DeactivateRoleMapping, actor: Actor, uow: UnitOfWork) -> Row:
    """Stop mapping an administered group."""

    def work(conn: Connection) -> Row:
        scope = administered(conn, actor, "map groups to roles")
        before = _mapping_in_scope(conn, scope, cmd.mapping_id)
        if not before["active"]:
            return before
        conn.execute(
            update(ROLE_MAPPING)
            .where(ROLE_MAPPING.c.id == cmd.mapping_id)
            .values(active=False, version=before["version"] + 1, updated_at=uow.clock())
        )
        after = mapping_row(conn, cmd.mapping_id)
        assert after is not None
        audit.record(
            conn,
            actor,
            cmd.via,
            "deactivate_role_mapping",
            "role_mapping",
            cmd.mapping_id,
            after["organisation_id"],
            _fields(before, MAPPING_FIELDS),
            _fields(after, MAPPING_FIELDS),
            uow.clock(),
        )
        return after

    return uow.write(work)


# --- the bootstrap -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bootstrapped:
    """What the bootstrap made: the organisation (new or found) and the administrator."""

    organisation: Row
    user: Row
    organisation_created: bool


def administrators(conn: Connection) -> int:
    """How many active users hold the administrator role (roles are a JSON list; the table is small)."""
    return sum(
        1
        for (roles,) in conn.execute(select(USER.c.roles).where(USER.c.active.is_(True)))
        if Role.ADMINISTRATOR.value in roles
    )


@handles(BootstrapAdministrator)
def bootstrap_administrator(cmd: BootstrapAdministrator, actor: Actor, uow: UnitOfWork) -> Bootstrapped:
    """Create the first organisation (unless its code exists) and its administrator; once only."""

    def work(conn: Connection) -> Bootstrapped:
        if administrators(conn):
            raise Refused(
                "an administrator exists already; administrators create organisations and users",
                rule="already_bootstrapped",
            )
        code = cmd.organisation_code.strip()
        found = conn.execute(select(ORG.c.id).where(ORG.c.code == code)).scalar()
        now = uow.clock()
        if found is None:
            if not _CODE.match(code):
                raise InvalidInput("an organisation code is 2 to 32 letters, digits, _ or -", rule="organisation_code")
            if cmd.organisation_kind not in ORGANISATION_KINDS:
                raise InvalidInput(f"unknown organisation kind {cmd.organisation_kind}", rule="organisation_kind")
            oid = new_id(
                conn.execute(
                    insert(ORG).values(
                        code=code, name=_text(cmd.organisation_name, "name"), kind=cmd.organisation_kind, active=True
                    )
                )
            )
        else:
            oid = int(found)
        org = organisation_row(conn, oid)
        assert org is not None
        if not org["active"]:
            raise Refused(f"organisation {code} is deactivated", rule="organisation_inactive")
        who = Actor(None, oid, actor.roles)
        if found is None:
            audit.record(
                conn,
                who,
                "bootstrap",
                "create_organisation",
                "organisation",
                oid,
                oid,
                None,
                _fields(org, ORG_FIELDS),
                now,
            )
        uid = _insert_user(
            conn, cmd.username.strip(), cmd.display_name, cmd.email, oid, [Role.ADMINISTRATOR.value], "manual"
        )
        user = user_row(conn, uid)
        assert user is not None
        audit.record(conn, who, "bootstrap", "create_user", "user", uid, oid, None, _fields(user, USER_FIELDS), now)
        return Bootstrapped(org, user, found is None)

    return uow.write(work)
