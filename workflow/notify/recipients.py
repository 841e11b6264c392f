"""Who is told (mottagare): the names a ladder or transition uses, resolved to e-mail addresses.

``owner`` is the case's owner, ``provider_contact`` the provider's contact address, and a
role name means every active user of the case's organisation holding that role. For a case
about a placement, ``social_worker`` is the placing social worker rather than the whole role;
``responsible_role`` is every user holding the role the case names in its ``responsible_role`` attribute.
Addresses come only from the owning organisation's users and the provider row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from states.roles import OWNER, PROVIDER, RESPONSIBLE_ROLE, Role
from workflow.schema.tables import CASE, PLACEMENT, USER
from workflow.schema.tables import PROVIDER as PROVIDER_T  # PROVIDER is the role (states.roles)


@dataclass
class Directory:
    """Addresses needed for a batch of cases, read with a handful of queries."""

    user_email: dict[int, str] = field(default_factory=dict)
    role_emails: dict[tuple[int, str], list[str]] = field(default_factory=dict)
    provider_email: dict[int, str] = field(default_factory=dict)
    placement_worker: dict[int, int] = field(default_factory=dict)

    def resolve(self, case: Any, names: Iterable[str]) -> list[str]:
        """The sorted, de-duplicated addresses for ``names`` on ``case`` (a row with the case columns)."""
        out: set[str] = set()
        for name in names:
            if "@" in name:
                out.add(name)
            elif name == OWNER:
                if case.owner_id in self.user_email:
                    out.add(self.user_email[case.owner_id])
            elif name == RESPONSIBLE_ROLE:
                role = (getattr(case, "attributes", None) or {}).get(RESPONSIBLE_ROLE)
                if role:
                    out.update(self.role_emails.get((case.organisation_id, role), ()))
            elif name == PROVIDER:
                if case.provider_id in self.provider_email:
                    out.add(self.provider_email[case.provider_id])
            elif name == Role.SOCIAL_WORKER and case.placement_id in self.placement_worker:
                worker = self.placement_worker[case.placement_id]
                if worker in self.user_email:
                    out.add(self.user_email[worker])
            else:
                out.update(self.role_emails.get((case.organisation_id, name), ()))
        return sorted(out)


def directory(conn: Connection, cases: Iterable[Any]) -> Directory:
    """Load every address the given cases may need."""
    cases = list(cases)
    d = Directory()
    orgs = {c.organisation_id for c in cases}
    providers = {c.provider_id for c in cases if c.provider_id is not None}
    placements = {c.placement_id for c in cases if c.placement_id is not None}
    if placements:
        for r in conn.execute(
            select(PLACEMENT.c.id, PLACEMENT.c.social_worker_id).where(PLACEMENT.c.id.in_(placements))
        ):
            if r.social_worker_id is not None:
                d.placement_worker[r.id] = r.social_worker_id
    if providers:
        for r in conn.execute(
            select(PROVIDER_T.c.id, PROVIDER_T.c.contact_email).where(PROVIDER_T.c.id.in_(providers))
        ):
            if r.contact_email:
                d.provider_email[r.id] = r.contact_email
    roles: dict[tuple[int, str], list[str]] = defaultdict(list)
    if orgs:
        for u in conn.execute(
            select(USER.c.id, USER.c.organisation_id, USER.c.email, USER.c.roles, USER.c.active).where(
                USER.c.organisation_id.in_(orgs)
            )
        ):
            d.user_email[u.id] = u.email
            if u.active:
                for role in u.roles or ():
                    roles[(u.organisation_id, role)].append(u.email)
    d.role_emails = dict(roles)
    return d


def for_case(conn: Connection, case_id: int, names: Iterable[str]) -> list[str]:
    """Resolve ``names`` for one case (used for messages the engine wrote with symbolic recipients)."""
    case = conn.execute(
        select(CASE.c.id, CASE.c.organisation_id, CASE.c.owner_id, CASE.c.provider_id, CASE.c.placement_id).where(
            CASE.c.id == case_id
        )
    ).first()
    if case is None:
        return sorted(n for n in names if "@" in n)
    return directory(conn, [case]).resolve(case, names)
