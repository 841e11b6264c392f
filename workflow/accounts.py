"""User accounts (användarkonton): who a signed-in name is, for every entry point's authentication."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from workflow.engine.uow import UnitOfWork
from workflow.schema.tables import AppUser, Organisation

USERS = AppUser.__table__  # type: ignore[attr-defined]
ORGS = Organisation.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Account:
    """A user row with its organisation: what a token's claims are checked against."""

    user_id: int
    organisation_id: int
    organisation_code: str
    organisation_kind: str
    roles: tuple[str, ...]
    active: bool


def find_account(uow: UnitOfWork, username: str) -> Account | None:
    """The account of ``username``, or ``None`` if there is no such user."""

    def read(conn: Connection) -> Account | None:
        row = conn.execute(
            select(USERS.c.id, USERS.c.organisation_id, ORGS.c.code, ORGS.c.kind, USERS.c.roles, USERS.c.active)
            .join(ORGS, ORGS.c.id == USERS.c.organisation_id)
            .where(USERS.c.username == username)
        ).first()
        return Account(row[0], row[1], row[2], row[3], tuple(row[4]), bool(row[5])) if row else None

    return uow.read(read)
