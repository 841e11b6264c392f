"""User accounts (användarkonton): who a signed-in name is, for every entry point's authentication."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from workflow.engine.uow import UnitOfWork
from workflow.schema.tables import ORG, USER


@dataclass(frozen=True, slots=True)
class Account:
    """A user row with its organisation: what a token's claims are checked against."""

    user_id: int
    organisation_id: int
    organisation_code: str
    organisation_kind: str
    roles: tuple[str, ...]
    active: bool
    source: str = "manual"  # manual | idp (provisioned from groups) | integration (a service account)
    display_name: str = ""
    organisation_name: str = ""


def find_account(uow: UnitOfWork, username: str) -> Account | None:
    """The account of ``username``, or ``None`` if there is no such user."""

    def read(conn: Connection) -> Account | None:
        row = conn.execute(
            select(
                USER.c.id,
                USER.c.organisation_id,
                ORG.c.code,
                ORG.c.kind,
                USER.c.roles,
                USER.c.active,
                USER.c.source,
                USER.c.display_name,
                ORG.c.name,
            )
            .join(ORG, ORG.c.id == USER.c.organisation_id)
            .where(USER.c.username == username)
        ).first()
        if row is None:
            return None
        return Account(row[0], row[1], row[2], row[3], tuple(row[4]), bool(row[5]), row[6], row[7] or "", row[8] or "")

    return uow.read(read)
