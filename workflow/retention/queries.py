"""What the retention schedule says and what the purges did (query functions; counts only, never contents)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select

from workflow.retention.schedule import Schedule, in_force
from workflow.schema.tables import PURGE


@dataclass(frozen=True, slots=True)
class PurgeLogEntry:
    """One row of the purge log: when, under which version and rule, how many records, anchored before when."""

    purged_at: datetime
    run_id: str
    schedule_version: str
    record_kind: str
    action: str
    anchored_before: date
    records: int


def schedule_in_force(conn: Connection, organisation_id: int, on: date) -> Schedule | None:
    """The organisation's retention schedule version in force on ``on``."""
    return in_force(conn, organisation_id, on)


def purge_log(conn: Connection, organisation_id: int, limit: int = 50) -> list[PurgeLogEntry]:
    """The organisation's newest purge log rows, newest first."""
    return [
        PurgeLogEntry(r.purged_at, r.run_id, r.schedule_version, r.record_kind, r.action, r.anchored_before, r.records)
        for r in conn.execute(
            select(PURGE)
            .where(PURGE.c.organisation_id == organisation_id)
            .order_by(PURGE.c.purged_at.desc(), PURGE.c.id.desc())
            .limit(limit)
        )
    ]
