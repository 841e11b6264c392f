"""The administration's audit record (administrationslogg): one append-only row per change.

Before and after hold the changed object's plain fields (names, codes, roles, active); nothing secret is
ever part of an organisation, user or mapping, so nothing is left out. Rows are only ever inserted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from workflow.engine.firing import Actor
from workflow.schema.tables import ADMIN_EVENT

VIAS = frozenset({"api", "cli", "web", "idp", "bootstrap"})


def record(
    conn: Connection,
    actor: Actor,
    via: str,
    action: str,
    entity: str,
    entity_id: int,
    organisation_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    """Append one change; ``before``/``after`` are the object's audited fields (``None`` when created or gone)."""
    if via not in VIAS:
        raise ValueError(f"unknown channel {via!r}")
    conn.execute(
        insert(ADMIN_EVENT).values(
            organisation_id=organisation_id,
            actor_id=actor.user_id,
            via=via,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=_plain(before),
            after=_plain(after),
            at=now,
        )
    )


def _plain(fields: dict[str, Any] | None) -> dict[str, Any] | None:
    if fields is None:
        return None
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in fields.items()}
