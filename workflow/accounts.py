"""User accounts (användarkonton): who a signed-in name is, for every entry point's authentication."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


_ACCOUNT = select(
    USER.c.id,
    USER.c.organisation_id,
    ORG.c.code,
    ORG.c.kind,
    USER.c.roles,
    USER.c.active,
    USER.c.source,
    USER.c.display_name,
    ORG.c.name,
).join(ORG, ORG.c.id == USER.c.organisation_id)

#: At most this many accounts are loaded by :func:`active_accounts` (a server worker's warm-up).
MOST_ACCOUNTS = 20_000


def _account(row: Any) -> Account:
    return Account(row[0], row[1], row[2], row[3], tuple(row[4]), bool(row[5]), row[6], row[7] or "", row[8] or "")


def find_account(uow: UnitOfWork, username: str) -> Account | None:
    """The account of ``username``, or ``None`` if there is no such user."""

    def read(conn: Connection) -> Account | None:
        row = conn.execute(_ACCOUNT.where(USER.c.username == username)).first()
        return _account(row) if row else None

    return uow.read(read)


def active_accounts(uow: UnitOfWork, most: int = MOST_ACCOUNTS) -> dict[str, Account]:
    """Every active account by username, in one statement (at most ``most``): what a server worker loads before it
    listens, so that its first request from each user does not look the user up on its own."""

    def read(conn: Connection) -> dict[str, Account]:
        rows = conn.execute(
            _ACCOUNT.add_columns(USER.c.username).where(USER.c.active.is_(True)).order_by(USER.c.id).limit(most)
        )
        return {row[9]: _account(row) for row in rows}

    return uow.read(read)
