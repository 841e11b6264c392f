"""The purge (gallring): personal data past its time removed or pseudonymised, and what was purged logged.

For each rule of the organisation's schedule in force, the records whose anchor lies before
``today − period`` are purged in batches, each batch in its own write transaction with its purge
log row (rule, version, kind, count, the anchor date before which; never contents). What the
reports count stays: placements keep their gender, provider and dates; cases their type, kind,
states, outcome, reason codes and dates; events their triggers, states, times and parameters;
follow-up answers their ratings. So the reports of earlier years give the same figures after a purge.

Safe on several processes at once: on PostgreSQL each batch locks its rows with
``FOR UPDATE SKIP LOCKED`` and re-checks that they still need purging; SQLite's writes are
serialised by ``BEGIN IMMEDIATE``. A purged record no longer matches, so a second run purges nothing.

The audit chain stays verifiable: an event written with a salt is hashed over sha256(salt ‖ reason)
(``workflow.engine.audit``); blanking its reason keeps that digest in ``redacted`` and drops the salt.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import structlog
from sqlalchemy import Connection, Select, bindparam, delete, exists, func, insert, select, update

from states.registry import CASE_TYPES
from workflow.clock import STOCKHOLM
from workflow.engine.audit import GENESIS, event_hash, redaction
from workflow.engine.uow import UnitOfWork
from workflow.retention.schedule import Rule, Schedule
from workflow.schema.tables import ACCESS_LOG, CASE, CHANGE, DEADLINE, EVENT, OUTBOX, PLACEMENT, PURGE

log = structlog.get_logger("retention")

#: What a purged placement's client reference becomes (a fixed marker, the same for every placement).
PURGED_CLIENT_REF = "[gallrad]"
#: Case types whose cases are about one person (individual level): their free texts are purged.
INDIVIDUAL_CASE_TYPES = tuple(sorted(name for name, spec in CASE_TYPES.items() if spec.individual))
#: Outbox messages no longer waiting or being sent.
DONE_MESSAGES = ("sent", "failed")
BATCH = 500


@dataclass(frozen=True, slots=True)
class Purged:
    """What one rule purged (or, in a dry run, would purge) in one run."""

    record_kind: str
    action: str
    anchored_before: date
    records: int
    legal_basis: str


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """One run for one organisation: the schedule version it followed and what each rule purged."""

    organisation_id: int
    run_id: str
    schedule_version: str | None
    dry_run: bool
    purged: tuple[Purged, ...]

    @property
    def records(self) -> int:
        return sum(p.records for p in self.purged)


def _instant(day: date) -> datetime:
    """Midnight at the start of ``day`` in Stockholm (anchors stored as instants compare to it)."""
    return datetime.combine(day, time(0), tzinfo=STOCKHOLM)


# --- which records are due, per kind (the same query counts them for a dry run and picks the batches) ----------


def _due_placements(org: int, before: date) -> Select[Any]:
    return select(PLACEMENT.c.id).where(
        PLACEMENT.c.organisation_id == org,
        PLACEMENT.c.ends_on.is_not(None),
        PLACEMENT.c.ends_on < before,
        PLACEMENT.c.client_ref != PURGED_CLIENT_REF,
    )


def _due_cases(org: int, before: date) -> Select[Any]:
    unredacted = exists().where(EVENT.c.case_id == CASE.c.id, EVENT.c.redacted.is_(None))
    return select(CASE.c.id).where(
        CASE.c.organisation_id == org,
        CASE.c.case_type.in_(INDIVIDUAL_CASE_TYPES),
        CASE.c.closed_at.is_not(None),
        CASE.c.closed_at < _instant(before),
        unredacted,
    )


def _due_messages(org: int, before: date) -> Select[Any]:
    return select(OUTBOX.c.id).where(
        OUTBOX.c.organisation_id == org,
        OUTBOX.c.status.in_(DONE_MESSAGES),
        OUTBOX.c.created_at < _instant(before),
        OUTBOX.c.body != "",
    )


def _due_reads(org: int, before: date) -> Select[Any]:
    return select(ACCESS_LOG.c.id).where(ACCESS_LOG.c.organisation_id == org, ACCESS_LOG.c.at < _instant(before))


# --- what the purge does to one batch (ids already locked) ------------------------------------------------------


def _pseudonymise_placements(conn: Connection, ids: list[int]) -> list[int]:
    conn.execute(update(PLACEMENT).where(PLACEMENT.c.id.in_(ids)).values(client_ref=PURGED_CLIENT_REF))
    return ids


def _intact(events: list[Any]) -> bool:
    """Whether a case's events (in seq order) still match their hashes: a purge must not launder a tampered event."""
    prev = GENESIS
    for e in events:
        legacy_purged = e["redacted"] and e["redacted"].get("digest") is None
        if e["prev_hash"] != prev or (not legacy_purged and event_hash(prev, dict(e)) != e["hash"]):
            return False
        prev = e["hash"]
    return True


def _blank_case_texts(conn: Connection, ids: list[int]) -> list[int]:
    """Title, event reasons (keeping their digests) and deadline change reasons of the cases (mail: its own rule).

    A case whose audit chain no longer matches is left as it is (verify-audit names it): blanking would
    replace the tampered text by a digest that matches, and so hide the tampering.
    """
    chains: dict[int, list[Any]] = {i: [] for i in ids}
    for e in conn.execute(
        select(EVENT).where(EVENT.c.case_id.in_(ids)).order_by(EVENT.c.case_id, EVENT.c.seq)
    ).mappings():
        chains[e["case_id"]].append(e)
    broken = [i for i, events in chains.items() if not _intact(events)]
    if broken:
        log.warning("retention.case_skipped", reason="audit chain broken", case_ids=broken)
    ids = [i for i in ids if i not in broken]
    if not ids:
        return []
    conn.execute(update(CASE).where(CASE.c.id.in_(ids)).values(title=""))
    events = [e for i in ids for e in chains[i] if e["redacted"] is None]
    if events:
        conn.execute(
            update(EVENT)
            .where(EVENT.c.id == bindparam("event_id"))
            .values(reason="", text_salt=None, redacted=bindparam("seal")),
            [{"event_id": e["id"], "seal": redaction(dict(e))} for e in events],
        )
    conn.execute(update(DEADLINE).where(DEADLINE.c.case_id.in_(ids)).values(change_reason=None))
    conn.execute(update(CHANGE).where(CHANGE.c.case_id.in_(ids)).values(reason=""))
    return ids


def _blank_messages(conn: Connection, ids: list[int]) -> list[int]:
    conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids)).values(body=""))
    return ids


def _delete_reads(conn: Connection, ids: list[int]) -> list[int]:
    conn.execute(delete(ACCESS_LOG).where(ACCESS_LOG.c.id.in_(ids)))
    return ids


_KINDS: dict[str, tuple[Callable[[int, date], Select[Any]], Any, Callable[[Connection, list[int]], list[int]]]] = {
    "placement_client_ref": (_due_placements, PLACEMENT, _pseudonymise_placements),
    "individual_case_texts": (_due_cases, CASE, _blank_case_texts),
    "outbox_message_bodies": (_due_messages, OUTBOX, _blank_messages),
    "access_log_entries": (_due_reads, ACCESS_LOG, _delete_reads),
}


def _count(conn: Connection, org: int, rule: Rule, before: date) -> int:
    due, _table, _act = _KINDS[rule.record_kind]
    return int(conn.execute(select(func.count()).select_from(due(org, before).subquery())).scalar_one())


@dataclass(frozen=True, slots=True)
class _Batch:
    picked: int  # due records looked at
    last_id: int  # the highest id among them (the next batch starts after it)
    purged: int  # purged (a case with a broken audit chain is picked but left)


def _batch(
    conn: Connection,
    org: int,
    schedule: Schedule,
    rule: Rule,
    before: date,
    run_id: str,
    now: datetime,
    size: int,
    after: int,
) -> _Batch:
    """Purge and log up to ``size`` due records of one rule with ids above ``after`` (caller's transaction)."""
    due, table, act = _KINDS[rule.record_kind]
    q = due(org, before).where(table.c.id > after).order_by(table.c.id).limit(size)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(of=table, skip_locked=True)
    ids = [int(r[0]) for r in conn.execute(q)]
    if not ids:
        return _Batch(0, after, 0)
    purged = act(conn, ids)
    if not purged:
        return _Batch(len(ids), ids[-1], 0)
    conn.execute(
        insert(PURGE).values(
            organisation_id=org,
            run_id=run_id,
            schedule_id=schedule.id,
            schedule_version=schedule.version,
            rule_id=rule.id,
            record_kind=rule.record_kind,
            action=rule.action,
            anchored_before=before,
            records=len(purged),
            purged_at=now,
        )
    )
    return _Batch(len(ids), ids[-1], len(purged))


def purge(
    uow: UnitOfWork,
    schedule: Schedule | None,
    organisation_id: int,
    today: date,
    now: datetime,
    dry_run: bool = False,
    batch: int = BATCH,
) -> PurgeResult:
    """Run ``schedule`` (the organisation's version in force) for ``today``; a dry run only counts what is due."""
    run_id = str(uuid.uuid4())
    if schedule is None:
        return PurgeResult(organisation_id, run_id, None, dry_run, ())
    done = []
    for rule in schedule.rules:
        before = rule.anchored_before(today)
        if dry_run:
            n = uow.read(lambda c, rule=rule, before=before: _count(c, organisation_id, rule, before))  # type: ignore[misc]
        else:
            n, after = 0, 0
            while True:
                step = uow.write(
                    lambda c, rule=rule, before=before, after=after: _batch(  # type: ignore[misc]
                        c, organisation_id, schedule, rule, before, run_id, now, batch, after
                    )
                )
                n, after = n + step.purged, step.last_id
                if step.picked < batch:
                    break
        done.append(Purged(rule.record_kind, rule.action, before, n, rule.legal_basis))
    result = PurgeResult(organisation_id, run_id, schedule.version, dry_run, tuple(done))
    log.info(
        "retention.dry_run" if dry_run else "retention.purged",
        organisation_id=organisation_id,
        run_id=run_id,
        schedule_version=schedule.version,
        **{p.record_kind: p.records for p in done},
    )
    return result
