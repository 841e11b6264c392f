"""The deadline sweep (bevakning av tidsfrister): one tick of the scheduler over deadline rows.

Each pass claims a small batch of due rows (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite
holds its write lock from ``BEGIN IMMEDIATE``) and, in that one transaction, writes each
due rung's effect: a reminder or escalation as an outbox message, or the expiry transition
the rule names, fired through the workflow as the system. Every effect is a
``deadline_effect`` row with the unique key (deadline, rung), committed together with its
message and the deadline's next position, so a crash, a restart or a second scheduler can
neither repeat nor lose it. Catching up after downtime needs nothing but the rows: a
reminder overtaken by a later rung that is also due is recorded as skipped, escalations
and expiries always happen, and a deadline opened by a late expiry is planned from the
moment the rule expired, not from when the scheduler woke up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import OperationalError

from states.registry import CASE_TYPES
from states.spec import DeadlinePolicy
from workflow.clock import utcnow
from workflow.deadlines import next_due
from workflow.deadlines import rules as deadlines
from workflow.deadlines.calendar import local_date
from workflow.deadlines.changes import resume_due
from workflow.engine.errors import Conflict, Refused, WorkflowError
from workflow.engine.firing import CASE, Actor, Workflow
from workflow.notify import recipients, reminder_text
from workflow.pacing import DutyCycle
from workflow.registers.deliveries import after_expiry, before_expiry
from workflow.schema.db import write
from workflow.schema.tables import DEADLINE, EFFECT

log = structlog.get_logger("workflow.deadlines.sweep")

#: Rows per claim. SQLite has one writer: small batches keep the API's writes from queueing long behind a
#: sweep. PostgreSQL locks only the claimed rows; larger batches save commits (10k due: 1.4 s against 1.9 s).
BATCH = {"sqlite": 500, "postgresql": 2000}

_SET_NEXT = (
    update(DEADLINE)
    .where(DEADLINE.c.id == bindparam("d_id"))
    .values(next_rung=bindparam("d_rung"), next_action_at=bindparam("d_at"))
)
_CLOSE_STALE = (
    update(DEADLINE)
    .where(DEADLINE.c.id == bindparam("d_id"), DEADLINE.c.status == "pending")
    .values(status="closed", closed_at=bindparam("d_now"), closed_by="stale", next_action_at=None)
)


@dataclass
class SweepResult:
    """What one sweep did."""

    claimed: int = 0
    reminders: int = 0
    escalations: int = 0
    transitions: int = 0
    skipped: int = 0
    stale: int = 0
    refused: int = 0
    deferred: int = 0
    resumed: int = 0

    def add(self, other: SweepResult) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def due_date_of(due_at: datetime) -> date:
    """The local due date of a deadline that ends at ``due_at`` (the next local midnight)."""
    return local_date(due_at) - timedelta(days=1)


@lru_cache(maxsize=4096)
def _actions(policy: DeadlinePolicy, due: date) -> tuple[deadlines.Action, ...]:
    return tuple(deadlines.actions(policy, due))


def sweep(
    engine: Engine,
    clock: Callable[[], datetime] = utcnow,
    *,
    batch: int | None = None,
    max_batches: int | None = None,
    pace: DutyCycle | None = None,
) -> SweepResult:
    """Act on every deadline rung due now; return counts. Safe to run on several instances at once.

    ``pace`` rests between batches (the scheduler's duty cycle), outside their transactions, so no claim is held
    while resting; without it the batches follow each other at once.
    """
    wf = Workflow(engine, clock)
    batch = batch or BATCH.get(engine.dialect.name, 500)
    total = SweepResult()
    deferred: set[int] = set()
    now = clock()
    with write(engine) as conn:
        total.resumed = resume_due(conn, now)
    passes = 0
    while max_batches is None or passes < max_batches:
        passes += 1
        started = pace.timer() if pace is not None else 0.0
        with write(engine) as conn:
            rows = _claim(conn, clock(), batch, deferred)
            if not rows:
                break
            result = _act(conn, wf, rows, clock(), deferred)
        total.add(result)  # each pass moves every claimed row one rung on, so this ends when the ladders do
        if pace is not None:
            pace.rest_after(pace.timer() - started)
    if total.claimed:
        log.info("sweep.done", **{f.name: getattr(total, f.name) for f in fields(total)})
    return total


def _claim(conn: Connection, now: datetime, limit: int, deferred: set[int]) -> list[Any]:
    q = (
        select(
            DEADLINE.c.id,
            DEADLINE.c.case_id,
            DEADLINE.c.organisation_id,
            DEADLINE.c.kind,
            DEADLINE.c.state,
            DEADLINE.c.due_at,
            DEADLINE.c.next_rung,
        )
        .where(DEADLINE.c.status == "pending", DEADLINE.c.next_action_at <= now)
        .order_by(DEADLINE.c.next_action_at)
        .limit(limit)
    )
    if deferred:
        q = q.where(DEADLINE.c.id.not_in(deferred))
    if conn.dialect.name != "sqlite":
        q = q.with_for_update(skip_locked=True)
    return list(conn.execute(q))


def _act(conn: Connection, wf: Workflow, rows: list[Any], now: datetime, deferred: set[int]) -> SweepResult:
    res = SweepResult(claimed=len(rows))
    case_ids = {r.case_id for r in rows}
    cases = {
        c.id: c
        for c in conn.execute(
            select(
                CASE.c.id,
                CASE.c.case_type,
                CASE.c.status,
                CASE.c.organisation_id,
                CASE.c.owner_id,
                CASE.c.provider_id,
                CASE.c.placement_id,
                CASE.c.attributes,
            ).where(CASE.c.id.in_(case_ids))
        )
    }
    book = recipients.directory(conn, cases.values())
    today = local_date(now)
    outbox: list[dict[str, Any]] = []
    effects: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    stale: list[dict[str, Any]] = []
    for d in rows:
        case = cases[d.case_id]
        spec = CASE_TYPES.get(case.case_type)
        policy = spec.deadlines.get(d.state) if spec else None
        if spec is None or policy is None or case.status != d.state:
            stale.append({"d_id": d.id, "d_now": now, "of_case": d.case_id})  # of_case names no column: not SET
            res.stale += 1
            continue
        due = due_date_of(d.due_at)
        acts = _actions(policy, due)
        idx = next((i for i, a in enumerate(acts) if a.rung == d.next_rung), None)
        if idx is None:  # the ladder was changed under this row: continue from the first rung still ahead
            ahead = next((a for a in acts if a.at > now), None)
            moves.append({"d_id": d.id, "d_rung": ahead.rung if ahead else -1, "d_at": ahead.at if ahead else None})
            continue
        act = acts[idx]
        if act.kind == "expiry":
            _expire(conn, wf, d, case, policy, act, now, res, deferred)
            continue
        superseded = act.kind == "reminder" and any(a.at <= now for a in acts[idx + 1 :])
        if superseded:
            effects.append({"deadline_id": d.id, "rung": act.rung, "kind": "skipped", "done_at": now})
            res.skipped += 1
        else:
            subject, body = reminder_text.render(
                action=act.kind, deadline_kind=d.kind, case_id=case.id, case_label=spec.label, due=due, today=today
            )
            outbox.append(
                {
                    "organisation_id": d.organisation_id,
                    "case_id": case.id,
                    "dedupe_key": f"deadline:{d.id}:{act.rung}",
                    "kind": act.kind,
                    "recipients": book.resolve(case, act.notify),
                    "subject": subject,
                    "body": body,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
            effects.append({"deadline_id": d.id, "rung": act.rung, "kind": act.kind, "done_at": now})
            if act.kind == "escalation":
                res.escalations += 1
            else:
                res.reminders += 1
        nxt = acts[idx + 1] if idx + 1 < len(acts) else None
        moves.append({"d_id": d.id, "d_rung": nxt.rung if nxt else -1, "d_at": nxt.at if nxt else None})
    _bulk_write(conn, outbox, effects, moves)
    if stale:
        conn.execute(_CLOSE_STALE, stale)
        next_due.refresh(conn, {s["of_case"] for s in stale})
    return res


_OUTBOX_COLS = (
    "organisation_id",
    "case_id",
    "dedupe_key",
    "kind",
    "recipients",
    "subject",
    "body",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)
_EFFECT_COLS = ("deadline_id", "rung", "kind", "done_at")


def _bulk_write(
    conn: Connection, outbox: list[dict[str, Any]], effects: list[dict[str, Any]], moves: list[dict[str, Any]]
) -> None:
    """The batch's three bulk statements, written for the driver.

    Through SQLAlchemy's statement path each parameter set costs about 30 µs of Python here (a
    third of a sweep of 10,000 reminders); the values are few and simple, so they are converted
    here exactly as the column types store them (UTC timestamps, JSON lists). SQLite takes a
    plain ``executemany``; PostgreSQL one statement per table over ``unnest`` of arrays, since
    psycopg's ``executemany`` still sends one statement per row.
    """
    if conn.dialect.name == "sqlite":
        _sqlite_write(conn, outbox, effects, moves)
    else:
        _pg_write(conn, outbox, effects, moves)


def _sqlite_ts(v: datetime | None) -> str | None:
    return None if v is None else v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_write(
    conn: Connection, outbox: list[dict[str, Any]], effects: list[dict[str, Any]], moves: list[dict[str, Any]]
) -> None:
    if outbox:
        for m in outbox:
            m["recipients"] = json.dumps(m["recipients"])
            m["next_attempt_at"] = m["created_at"] = _sqlite_ts(m["created_at"])
        conn.exec_driver_sql(
            f"INSERT INTO outbox ({', '.join(_OUTBOX_COLS)}) VALUES ({', '.join(':' + c for c in _OUTBOX_COLS)})",
            outbox,  # type: ignore[arg-type]
        )
    if effects:
        for e in effects:
            e["done_at"] = _sqlite_ts(e["done_at"])
        conn.exec_driver_sql(
            f"INSERT INTO deadline_effect ({', '.join(_EFFECT_COLS)}) "
            f"VALUES ({', '.join(':' + c for c in _EFFECT_COLS)})",
            effects,  # type: ignore[arg-type]
        )
    if moves:
        for mv in moves:
            mv["d_at"] = _sqlite_ts(mv["d_at"])
        conn.exec_driver_sql("UPDATE deadline SET next_rung = :d_rung, next_action_at = :d_at WHERE id = :d_id", moves)  # type: ignore[arg-type]


_PG_EFFECT = (
    "INSERT INTO deadline_effect (deadline_id, rung, kind, done_at) "
    "SELECT * FROM unnest(%(d)s::int[], %(r)s::int[], %(k)s::text[], %(t)s::timestamptz[])"
)
_PG_MOVE = (
    "UPDATE deadline AS d SET next_rung = v.rung, next_action_at = v.at "
    "FROM unnest(%(d)s::int[], %(r)s::int[], %(t)s::timestamptz[]) AS v(id, rung, at) WHERE d.id = v.id"
)


def _pg_write(
    conn: Connection, outbox: list[dict[str, Any]], effects: list[dict[str, Any]], moves: list[dict[str, Any]]
) -> None:
    if outbox:  # COPY: the message texts are most of the batch's bytes
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY outbox ({', '.join(_OUTBOX_COLS)}) FROM STDIN") as copy:
            for m in outbox:
                copy.write_row(
                    (
                        m["organisation_id"],
                        m["case_id"],
                        m["dedupe_key"],
                        m["kind"],
                        json.dumps(m["recipients"]),
                        m["subject"],
                        m["body"],
                        "pending",
                        0,
                        m["created_at"],
                        m["created_at"],
                    )
                )
    if effects:
        conn.exec_driver_sql(
            _PG_EFFECT,
            {
                "d": [e["deadline_id"] for e in effects],
                "r": [e["rung"] for e in effects],
                "k": [e["kind"] for e in effects],
                "t": [e["done_at"] for e in effects],
            },
        )
    if moves:
        conn.exec_driver_sql(
            _PG_MOVE,
            {"d": [m["d_id"] for m in moves], "r": [m["d_rung"] for m in moves], "t": [m["d_at"] for m in moves]},
        )


def _expire(
    conn: Connection,
    wf: Workflow,
    d: Any,
    case: Any,
    policy: DeadlinePolicy,
    act: deadlines.Action,
    now: datetime,
    res: SweepResult,
    deferred: set[int],
) -> None:
    """Fire the rule's expiry transition as the system, in a savepoint, never waiting on a case lock."""
    assert policy.on_expiry is not None
    try:
        with conn.begin_nested():
            if conn.dialect.name != "sqlite":
                conn.execute(select(CASE.c.id).where(CASE.c.id == case.id).with_for_update(nowait=True))
            before_expiry(conn, case, policy.on_expiry)
            fired = wf.fire(
                case.id,
                policy.on_expiry,
                Actor.system(case.organisation_id),
                f"Deadline {d.kind} passed (due {due_date_of(d.due_at).isoformat()}, rule {policy.rule_version})",
                conn=conn,
            )
            conn.execute(insert(EFFECT).values(deadline_id=d.id, rung=act.rung, kind="transition", done_at=now))
            _plan_from(conn, case, fired.to_status, fired.deadline_ids, act.at)
            _after_expiry(conn, wf, case, fired.trigger, fired.event_id, now)
        res.transitions += 1
        return
    except Conflict:
        deferred.add(d.id)  # someone moved the case just now; the next tick sees the result
        res.deferred += 1
        return
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        deferred.add(d.id)
        res.deferred += 1
        return
    except Refused as exc:
        log.warning("sweep.expiry_refused", deadline_id=d.id, case_id=case.id, code=exc.code, reason=exc.message)
    conn.execute(insert(EFFECT).values(deadline_id=d.id, rung=act.rung, kind="refused", done_at=now))
    conn.execute(_SET_NEXT, {"d_id": d.id, "d_rung": -1, "d_at": None})
    res.refused += 1


def _after_expiry(conn: Connection, wf: Workflow, case: Any, trigger: str, event_id: int, now: datetime) -> None:
    """Follow-ups of an expiry (a late-delivery deviation); a refusal there must not undo the expiry."""
    try:
        with conn.begin_nested():
            after_expiry(conn, wf, case, trigger, event_id, now)
    except WorkflowError as exc:
        log.warning("sweep.after_expiry_refused", case_id=case.id, code=exc.code, reason=exc.message)


def _plan_from(conn: Connection, case: Any, state: str, deadline_ids: tuple[int, ...], moment: datetime) -> None:
    """Plan deadlines opened by an expiry from the moment the rule expired (matters after downtime)."""
    policy = CASE_TYPES[case.case_type].deadlines.get(state)
    if policy is None or not deadline_ids:
        return
    values = deadlines.opening_row(policy, state, moment, dict(case.attributes or {}))
    conn.execute(
        update(DEADLINE)
        .where(DEADLINE.c.id.in_(deadline_ids))
        .values(due_at=values["due_at"], next_rung=values["next_rung"], next_action_at=values["next_action_at"])
    )
    next_due.refresh(conn, [case.id])
