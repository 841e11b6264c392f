"""The four ways of moving a rectification request that ``engine_bench.py`` compares.

Every variant drives cases along the same lifecycle (``LIFECYCLE``) and commits every
transition durably on its own:

* ``raw``: one UPDATE and one INSERT through the bare driver (sqlite3 / psycopg);
* ``raw_rows``: the rows the engine writes for the transition, through the bare driver
  with constant values and no rules: what the database alone costs;
* ``engine``: ``Workflow.fire`` with every rule (compare-and-set, delegation order, guards,
  hash-chained audit event, deadlines closed and opened, decision record, outbox);
* ``orm``: plain SQLModel sessions and python-statemachine writing the same case, audit
  event (hash-chained) and deadline rows, without the delegation check or outbox;
* ``spiff``: SpiffWorkflow with its serialized workflow kept in the case row, writing the
  same audit event and deadline rows as ``orm``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select
from statemachine import State, StateMachine

from states.registry import CASE_TYPES
from workflow.clock import utcnow
from workflow.deadlines import rules as deadlines
from workflow.engine.audit import event_hash
from workflow.engine.firing import Actor, Workflow
from workflow.schema.tables import Case, CaseEvent, Deadline

SPEC = CASE_TYPES["rectification_request"]
BPMN_FILE = Path(__file__).with_name("rectification_request.bpmn")
REGISTRY_NUMBER = "SCN-2026-00112"


def lifecycle(revisions: int) -> list[tuple[str, str]]:
    """(trigger, state reached) along send, answer, ``revisions`` × (revision, revised answer), approve."""
    steps = [("send", "sent"), ("answer", "answered")]
    steps += [("require_revision", "revision_needed"), ("answer_revision", "answered")] * revisions
    return [*steps, ("approve", "approved")]


def _params(trigger: str) -> dict[str, Any] | None:
    if trigger in ("send", "require_revision"):
        return {"response_due": (date.today() + timedelta(days=30)).isoformat()}
    return None


Step = Callable[[int, int, str, str, str], None]
"""A variant's step: (case id, client's organisation id, from status, trigger, to status)."""


# --- (a) raw driver -------------------------------------------------------------------------------------------


def raw_step_sqlite(dbapi: Any) -> Step:
    """One UPDATE and one INSERT in a ``BEGIN IMMEDIATE`` transaction on a bare sqlite3 connection."""

    def step(case_id: int, _org: int, src: str, _trigger: str, dest: str) -> None:
        now = utcnow().isoformat()
        cur = dbapi.cursor()
        cur.execute("BEGIN IMMEDIATE")
        cur.execute(
            "UPDATE raw_case SET status = ?, version = version + 1, updated_at = ? WHERE id = ? AND status = ?",
            (dest, now, case_id, src),
        )
        cur.execute(
            "INSERT INTO raw_event (case_id, from_status, to_status, occurred_at) VALUES (?, ?, ?, ?)",
            (case_id, src, dest, now),
        )
        cur.execute("COMMIT")

    return step


def raw_step_pg(dbapi: Any) -> Step:
    """One UPDATE and one INSERT in one transaction on a bare psycopg connection."""

    def step(case_id: int, _org: int, src: str, _trigger: str, dest: str) -> None:
        now = utcnow()
        with dbapi.cursor() as cur:
            cur.execute(
                "UPDATE raw_case SET status = %s, version = version + 1, updated_at = %s WHERE id = %s AND status = %s",
                (dest, now, case_id, src),
            )
            cur.execute(
                "INSERT INTO raw_event (case_id, from_status, to_status, occurred_at) VALUES (%s, %s, %s, %s)",
                (case_id, src, dest, now),
            )
        dbapi.commit()

    return step


# --- (a') raw driver, the engine's rows -------------------------------------------------------------------------


def raw_rows_step(dbapi: Any, postgres: bool) -> Step:
    """The rows a transition writes (case with its chain head, deadlines closed and opened, event, outbox, decision)
    through the bare driver: no rules, no hashing, constant values. The database's share of the engine's work."""
    ph = "%s" if postgres else "?"

    def sql(text: str) -> str:
        return text.replace("?", ph)

    def step(case_id: int, org: int, src: str, trigger: str, dest: str) -> None:
        now = utcnow() if postgres else utcnow().replace(tzinfo=None).isoformat(" ")
        tr = SPEC.transition(trigger, src)
        assert tr is not None
        cur = dbapi.cursor()
        if not postgres:
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(
            sql(
                'UPDATE "case" SET status = ?, version = version + 1, updated_at = ?, audit_hash = ? '
                "WHERE id = ? AND status = ? RETURNING version"
            ),
            (dest, now, "0" * 64, case_id, src),
        )
        seq = cur.fetchone()[0]
        if src in SPEC.deadlines:
            cur.execute(
                sql(
                    "UPDATE deadline SET status = 'closed', closed_at = ?, closed_by = ?, next_action_at = NULL "
                    "WHERE case_id = ? AND status IN ('pending', 'suspended')"
                ),
                (now, trigger, case_id),
            )
        policy = SPEC.deadlines.get(dest)
        if policy is not None:
            cur.execute(
                sql(
                    "INSERT INTO deadline (case_id, organisation_id, kind, state, due_at, status, next_rung, "
                    "next_action_at, rule_version, working_days, opened_at) "
                    "VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)"
                ),
                (case_id, org, policy.kind, dest, now, now, policy.rule_version, True, now),
            )
        cur.execute(
            sql(
                "INSERT INTO case_event (organisation_id, seq, case_id, trigger, from_status, to_status, actor_id, "
                "reason, params, occurred_at, occurred_on, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, NULL, 'r', '{}', ?, ?, ?, ?)"
            )
            + (" RETURNING id" if postgres else ""),
            (org, seq, case_id, trigger, src, dest, now, utcnow().date().isoformat(), "0" * 64, "0" * 64),
        )
        event_id = cur.fetchone()[0] if postgres else cur.lastrowid
        if tr.notify:
            cur.execute(
                sql(
                    "INSERT INTO outbox (organisation_id, case_id, dedupe_key, kind, recipients, subject, body, "
                    "status, attempts, next_attempt_at, created_at) "
                    "VALUES (?, ?, ?, 'transition', '[]', 's', 'b', 'pending', 0, ?, ?)"
                ),
                (org, case_id, f"event:{event_id}", now, now),
            )
        if tr.decision:
            cur.execute(
                sql(
                    "INSERT INTO decision (organisation_id, case_id, event_id, decision_kind, role, substitute, "
                    "under_delegation, registry_number, decided_at, decided_on) "
                    "VALUES (?, ?, ?, 'k', 'r', ?, ?, 'X-1', ?, ?)"
                ),
                (org, case_id, event_id, False, True, now, utcnow().date().isoformat()),
            )
        if postgres:
            dbapi.commit()
        else:
            cur.execute("COMMIT")

    return step


# --- the engine -----------------------------------------------------------------------------------------------


def _fire(wf: Workflow, actor: Actor, case_id: int, trigger: str, conn: Any = None) -> object:
    """``Workflow.fire`` as every engine variant calls it (in ``conn``'s transaction if given)."""
    return wf.fire(
        case_id,
        trigger,
        actor,
        "Benchmark: provider's answer handled",
        registry_number=REGISTRY_NUMBER if trigger == "send" else None,
        params=_params(trigger),
        conn=conn,
    )


def engine_step(wf: Workflow, actors: dict[int, Actor]) -> Step:
    """``Workflow.fire`` for the contract strategist of the case's organisation."""

    def step(case_id: int, org: int, _src: str, trigger: str, _dest: str) -> None:
        _fire(wf, actors[org], case_id, trigger)

    return step


# --- (b) SQLModel ORM + python-statemachine -------------------------------------------------------------------


class RectificationMachine(StateMachine):
    """The same lifecycle in python-statemachine (transitions named as in ``states``)."""

    drafted = State(initial=True)
    sent = State()
    answered = State()
    revision_needed = State()
    approved = State(final=True)
    send_to_provider = drafted.to(sent)  # "send" would shadow StateMachine.send
    answer = sent.to(answered)
    require_revision = answered.to(revision_needed)
    answer_revision = revision_needed.to(answered)
    approve = answered.to(approved)


def _orm_audit_and_deadlines(s: Session, case: Case, src: str, trigger: str, user_id: int, params: Any) -> None:
    """Close the case's pending deadlines, open the new state's, append a chained audit event."""
    now = utcnow()
    assert case.id is not None
    for d in s.exec(select(Deadline).where(Deadline.case_id == case.id, Deadline.status == "pending")):
        d.status, d.closed_at, d.closed_by = "closed", now, trigger
    policy = SPEC.deadlines.get(case.status)
    if policy is not None:
        row = deadlines.opening_row(policy, case.status, now, {**case.attributes, **(params or {})})
        s.add(Deadline(case_id=case.id, organisation_id=case.organisation_id, **row))
    event: dict[str, Any] = {
        "organisation_id": case.organisation_id,
        "seq": case.version + 1,
        "case_id": case.id,
        "trigger": trigger,
        "from_status": src,
        "to_status": case.status,
        "actor_id": user_id,
        "actor_role": "contract_strategist",
        "reason": "Benchmark: provider's answer handled",
        "decision_kind": None,
        "mandate": None,
        "registry_number": None,
        "params": params or {},
        "occurred_at": now,
    }
    event["hash"] = event_hash(case.audit_hash, event)
    s.add(CaseEvent(prev_hash=case.audit_hash, **event))
    case.audit_hash = event["hash"]
    case.version += 1
    case.updated_at = now


def orm_step(engine: Engine, users: dict[int, int]) -> Step:
    """One SQLModel session per transition; python-statemachine decides the next state."""

    def step(case_id: int, org: int, _src: str, trigger: str, _dest: str) -> None:
        with Session(engine) as s:
            case = s.get(Case, case_id)
            assert case is not None and case.organisation_id == org
            src = case.status
            sm = RectificationMachine(model=case, state_field="status")
            sm.send("send_to_provider" if trigger == "send" else trigger)
            params = _params(trigger)
            if params:
                case.attributes = {**case.attributes, **params}
            _orm_audit_and_deadlines(s, case, src, trigger, users[org], params)
            s.commit()

    return step


# --- (c) SpiffWorkflow -----------------------------------------------------------------------------------------


class Spiff:
    """The parsed BPMN process and a serializer (both built once, as a service would)."""

    def __init__(self) -> None:
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.util.task import TaskState

        parser = BpmnParser()
        parser.add_bpmn_file(str(BPMN_FILE))
        self.spec = parser.get_spec("rectification_request")
        self.serializer = BpmnWorkflowSerializer()
        self._workflow = BpmnWorkflow
        self._ready = TaskState.READY

    def new(self) -> str:
        """A started workflow, serialized (stored in the case row when the case is opened)."""
        wf = self._workflow(self.spec)
        wf.do_engine_steps()
        return str(self.serializer.serialize_json(wf))

    def advance(self, blob: str, trigger: str) -> tuple[str, str]:
        """Complete the ready user task that ``trigger`` stands for; return (new blob, its task name)."""
        wf = self.serializer.deserialize_json(blob)
        task = wf.get_next_task(state=self._ready, manual=True)
        if task is None:
            raise RuntimeError("the workflow has no ready task")
        name = task.task_spec.name
        if trigger in ("require_revision", "approve"):
            task.data["verdict"] = "revise" if trigger == "require_revision" else "approve"
        task.run()
        wf.do_engine_steps()
        return str(self.serializer.serialize_json(wf)), name


_SPIFF_TASK = {
    "send": "send",
    "answer": "answer",
    "require_revision": "review",
    "answer_revision": "answer_revision",
    "approve": "review",
}


def spiff_step(engine: Engine, spiff: Spiff, users: dict[int, int]) -> Step:
    """One SQLModel session per transition; SpiffWorkflow's serialized workflow lives in the case row."""

    def step(case_id: int, org: int, _src: str, trigger: str, dest: str) -> None:
        with Session(engine) as s:
            case = s.get(Case, case_id)
            assert case is not None and case.organisation_id == org
            src = case.status
            blob, task = spiff.advance(case.attributes["spiff"], trigger)
            if task != _SPIFF_TASK[trigger]:
                raise RuntimeError(f"SpiffWorkflow was at task {task!r}, not ready for {trigger!r}")
            params = _params(trigger)
            case.attributes = {**case.attributes, **(params or {}), "spiff": blob}
            case.status = dest
            _orm_audit_and_deadlines(s, case, src, trigger, users[org], params)
            s.commit()

    return step
