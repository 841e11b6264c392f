"""Logging reads of individual-level records (åtkomstloggning).

Reading a placement or an individual-level case is itself recorded, in the same
transaction as the read, so nothing individual is shown without a trace.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, insert

from workflow.engine.firing import Actor
from workflow.schema.tables import ACCESS_LOG


def record_reads(conn: Connection, actor: Actor, entity: str, ids: Iterable[int], action: str, now: datetime) -> int:
    """Add one access-log row per record read; return how many."""
    rows = [
        {
            "organisation_id": actor.organisation_id,
            "user_id": actor.user_id,
            "entity": entity,
            "entity_id": i,
            "action": action,
            "at": now,
        }
        for i in ids
    ]
    if rows:
        conn.execute(insert(ACCESS_LOG), rows)
    return len(rows)
