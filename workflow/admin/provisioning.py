"""Users from the identity provider's groups (just-in-time provisioning, gruppmappning).

A token (or the staff sign-in's ID token) carries the user's groups in a configurable claim
(``UPPF_OIDC_GROUPS_CLAIM``, default ``groups``). The active role mappings say which organisation and roles
each group gives. When the groups map to exactly one organisation:

* a user the database does not know is created with the union of the mapped roles (``source = idp``);
* a user created that way earlier follows the mapping: its organisation and roles are brought in line;
* a user an administrator created (``source = manual``) is never changed by the mapping.

Groups that no mapping names are reported (the log line ``auth.unknown_groups`` at WARNING, and the 401's
detail when nothing maps), never silently dropped. Groups mapping to several organisations refuse the
sign-in (rule ``groups_several_organisations``): a user acts for one organisation. Every creation and
change is in the admin audit record with ``via = idp``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, update

from workflow.admin import audit
from workflow.admin.commands import USER_FIELDS, _fields, _insert_user, organisation_row, user_row
from workflow.engine.commands import handles
from workflow.engine.errors import Refused
from workflow.engine.firing import Actor
from workflow.engine.uow import UnitOfWork
from workflow.schema.tables import ROLE_MAPPING, USER

_EMAIL = re.compile(r"^[^@\s]{1,100}@[^@\s]{1,99}$")


@dataclass(frozen=True, slots=True)
class GroupResolution:
    """What a user's groups give: one organisation and its roles, and the groups no mapping knows."""

    organisation_id: int | None
    roles: tuple[str, ...]
    mapped: tuple[str, ...]
    unknown: tuple[str, ...]
    organisations: tuple[int, ...] = field(default=())


def resolve_groups(conn: Connection, groups: list[str]) -> GroupResolution:
    """The active mappings of ``groups``."""
    wanted = sorted(set(groups))
    rows = conn.execute(
        select(ROLE_MAPPING.c.group_name, ROLE_MAPPING.c.organisation_id, ROLE_MAPPING.c.roles).where(
            ROLE_MAPPING.c.group_name.in_(wanted), ROLE_MAPPING.c.active.is_(True)
        )
    ).all()
    known = {r.group_name for r in rows}
    orgs = tuple(sorted({r.organisation_id for r in rows}))
    roles: dict[str, None] = {}
    for r in sorted(rows, key=lambda r: r.group_name):
        roles.update(dict.fromkeys(r.roles))
    return GroupResolution(
        orgs[0] if len(orgs) == 1 else None,
        tuple(roles) if len(orgs) == 1 else (),
        tuple(sorted(known)),
        tuple(g for g in wanted if g not in known),
        orgs,
    )


@dataclass(frozen=True, slots=True)
class ProvisionUser:
    """Create or bring in line the user ``username`` from its identity-provider groups."""

    username: str
    groups: tuple[str, ...]
    display_name: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Provisioned:
    """The user after provisioning (``None`` if it is a manual user left as it was) and what the groups gave."""

    user: dict[str, Any] | None
    resolution: GroupResolution
    changed: bool


@handles(ProvisionUser)
def provision_user(cmd: ProvisionUser, actor: Actor, uow: UnitOfWork) -> Provisioned:
    """Provision the user; reads first, and writes only when something is to change."""

    def decide(conn: Connection) -> tuple[GroupResolution, dict[str, Any] | None]:
        found = conn.execute(select(USER.c.id).where(USER.c.username == cmd.username)).scalar()
        return resolve_groups(conn, list(cmd.groups)), user_row(conn, int(found)) if found is not None else None

    resolution, existing = uow.read(decide)
    if existing is not None and existing["source"] != "idp":
        return Provisioned(existing, resolution, False)
    if len(resolution.organisations) > 1:
        raise Refused(
            f"the groups {', '.join(resolution.mapped)} map to several organisations; a user acts for one",
            rule="groups_several_organisations",
        )
    if resolution.organisation_id is None:
        unknown = ", ".join(resolution.unknown) or "none"
        raise Refused(
            f"none of the user's groups is mapped to an organisation (unknown groups: {unknown})",
            rule="no_mapped_group",
        )
    org, roles = resolution.organisation_id, list(resolution.roles)
    if existing is not None and existing["organisation_id"] == org and existing["roles"] == roles:
        return Provisioned(existing, resolution, False)

    def work(conn: Connection) -> Provisioned:
        target = organisation_row(conn, org)
        if target is None or not target["active"]:
            raise Refused("the groups map to a deactivated organisation", rule="organisation_inactive")
        who = Actor(None, org, actor.roles)
        now = uow.clock()
        if existing is None:
            email = cmd.email.strip() if _EMAIL.match(cmd.email.strip()) else ""
            display = cmd.display_name.strip()[:200] or cmd.username
            uid = _insert_user(conn, cmd.username, display, email or "unknown@invalid", org, roles, "idp")
            if not email:
                conn.execute(update(USER).where(USER.c.id == uid).values(email=""))
            row = user_row(conn, uid)
            assert row is not None
            audit.record(conn, who, "idp", "provision_user", "user", uid, org, None, _fields(row, USER_FIELDS), now)
            return Provisioned(row, resolution, True)
        conn.execute(update(USER).where(USER.c.id == existing["id"]).values(organisation_id=org, roles=roles))
        row = user_row(conn, existing["id"])
        assert row is not None
        audit.record(
            conn,
            who,
            "idp",
            "sync_user",
            "user",
            existing["id"],
            org,
            _fields(existing, USER_FIELDS),
            _fields(row, USER_FIELDS),
            now,
        )
        return Provisioned(row, resolution, True)

    return uow.write(work)
