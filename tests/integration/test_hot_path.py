"""The transition writer (SQL on the driver's cursor): what it stores, and what it never stores."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.exc import IntegrityError

from states.registry import CASE_TYPES
from tests.world import NOW, World
from workflow.cases.opening import open_case
from workflow.deadlines import rules as deadlines
from workflow.engine import writers as hotpath
from workflow.engine.audit import verify
from workflow.engine.errors import Conflict
from workflow.schema.tables import Case, CaseEvent, Deadline, Decision, Outbox

pytestmark = pytest.mark.integration

T: dict[str, Any] = {
    t.name: t
    for t in (m.__table__ for m in (Case, CaseEvent, Deadline, Decision, Outbox))  # type: ignore[attr-defined,union-attr]
}


def _request(world: World) -> int:
    return open_case(
        world.wf,
        "rectification_request",
        world.actor("NORTH", "contract_strategist"),
        "deficient routines",
        kind="supplementation",
        agreement_id=world.agreements["north_calloff"],
    ).case_id


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key))] for name, t in T.items()}


def test_a_sent_request_stores_its_rows_as_the_orm_reads_them(world: World) -> None:
    cid = _request(world)
    res = world.wf.fire(
        cid,
        "send",
        world.actor("NORTH", "contract_strategist"),
        "routines missing",
        registry_number="NOR-2026-00042",
        params={"response_due": "2026-03-27"},
    )
    with world.engine.connect() as conn:
        case = conn.execute(select(T["case"]).where(T["case"].c.id == cid)).mappings().one()
        deadline = conn.execute(select(T["deadline"]).where(T["deadline"].c.id == res.deadline_ids[0])).mappings().one()
        event = conn.execute(select(T["case_event"]).where(T["case_event"].c.id == res.event_id)).mappings().one()
        decision = conn.execute(select(T["decision"]).where(T["decision"].c.id == res.decision_id)).mappings().one()
        outbox = conn.execute(select(T["outbox"]).where(T["outbox"].c.case_id == cid)).mappings().one()
        first = conn.execute(
            select(T["deadline"]).where(T["deadline"].c.case_id == cid, T["deadline"].c.state == "drafted")
        ).mappings()
        first_deadlines = list(first)
    assert (case["status"], case["version"], case["updated_at"]) == ("sent", 2, NOW)
    assert case["attributes"] == {"response_due": "2026-03-27"} and case["closed_at"] is None
    policy = CASE_TYPES["rectification_request"].deadlines["sent"]
    expected = deadlines.opening_row(policy, "sent", NOW, {"response_due": "2026-03-27"})
    assert {k: deadline[k] for k in expected} == expected
    assert deadline["due_at"].tzinfo is not None and deadline["organisation_id"] == world.orgs["NORTH"]
    assert event["occurred_at"] == NOW and event["params"] == {"response_due": "2026-03-27"}
    assert (event["from_status"], event["to_status"], event["registry_number"]) == ("drafted", "sent", "NOR-2026-00042")
    assert decision["event_id"] == res.event_id and decision["decided_at"] == NOW
    assert decision["substitute"] is False and decision["under_delegation"] is True
    assert outbox["dedupe_key"] == f"event:{res.event_id}" and outbox["recipients"] == ["provider_contact", "owner"]
    assert outbox["next_attempt_at"] == NOW and outbox["status"] == "pending"
    assert all(d["status"] != "pending" for d in first_deadlines)
    with world.engine.connect() as conn:
        assert verify(conn) == []


class _StaleAfterLoad:
    """A writer whose case is changed by 'someone else' between the engine's read and its write."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def load(self, conn: Connection, case_id: int) -> Any:
        loaded = self.inner.load(conn, case_id)
        conn.execute(text('UPDATE "case" SET version = version + 1 WHERE id = :id'), {"id": case_id})
        return loaded

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_compare_and_set_that_misses_writes_nothing_even_in_the_callers_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _request(world)
    a = world.actor("NORTH", "contract_strategist")
    world.wf.fire(cid, "send", a, "sent", registry_number="NOR-2026-7", params={"response_due": "2026-03-27"})
    before = _rows(world.engine)
    real = hotpath.writer_for
    monkeypatch.setattr(hotpath, "writer_for", lambda engine: _StaleAfterLoad(real(engine)))
    with world.engine.begin() as conn:
        try:
            world.wf.fire(cid, "answer", a, "answer received", conn=conn)
        except Conflict:
            pass  # the caller catches the conflict and commits its transaction anyway
        else:
            pytest.fail("the stale compare-and-set did not conflict")
    after = _rows(world.engine)
    bumped = [(r[0], r[4]) for r in after["case"]]
    assert bumped == [(r[0], r[4] + (1 if r[0] == cid else 0)) for r in before["case"]]
    for name in ("case_event", "deadline", "decision", "outbox"):
        assert after[name] == before[name], name


class _MeanwhileAfterLoad:
    """A writer that runs ``meanwhile`` on another connection after its first read."""

    def __init__(self, inner: Any, meanwhile: Any) -> None:
        self.inner, self.meanwhile, self.loads = inner, meanwhile, 0

    def load(self, conn: Connection, case_id: int) -> Any:
        loaded = self.inner.load(conn, case_id)
        self.loads += 1
        if self.loads == 1:
            self.meanwhile()
        return loaded

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _install(monkeypatch: pytest.MonkeyPatch, store: _MeanwhileAfterLoad) -> None:
    real = hotpath.writer_for

    def writer_for(engine: Engine) -> Any:
        store.inner = real(engine)
        return store

    monkeypatch.setattr(hotpath, "writer_for", writer_for)


@pytest.mark.only_on("postgresql")  # SQLite holds its write lock from the read on
def test_the_organisations_other_cases_move_while_a_transition_is_under_way(
    world: World, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _request(world)
    a = world.actor("NORTH", "contract_strategist")
    other = _request(world)

    def meanwhile() -> None:  # committed on another connection while the first transition's transaction is open
        world.wf.fire(other, "send", a, "sent", registry_number="NOR-2026-13", params={"response_due": "2026-03-27"})
        _request(world)

    store = _MeanwhileAfterLoad(None, meanwhile)
    _install(monkeypatch, store)
    res = world.wf.fire(cid, "send", a, "sent", registry_number="NOR-2026-11", params={"response_due": "2026-03-27"})
    assert store.loads >= 1 and res.to_status == "sent" and res.version == 2
    with world.engine.connect() as conn:
        assert verify(conn) == []
        seqs = conn.execute(
            select(T["case_event"].c.case_id, T["case_event"].c.seq)
            .where(T["case_event"].c.case_id.in_([cid, other]))
            .order_by(T["case_event"].c.case_id, T["case_event"].c.seq)
        ).all()
        assert [tuple(r) for r in seqs] == [(cid, 1), (cid, 2), (other, 1), (other, 2)]


@pytest.mark.only_on("postgresql")  # SQLite holds its write lock from the read on
def test_a_case_changed_between_read_and_write_conflicts_and_writes_nothing_in_its_own_unit_of_work(
    world: World, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _request(world)
    a = world.actor("NORTH", "contract_strategist")

    def bump() -> None:
        with world.engine.begin() as other:
            other.execute(text('UPDATE "case" SET version = version + 1 WHERE id = :id'), {"id": cid})

    store = _MeanwhileAfterLoad(None, bump)
    _install(monkeypatch, store)
    before = _rows(world.engine)
    with pytest.raises(Conflict):
        world.wf.fire(cid, "send", a, "sent", registry_number="NOR-2026-12", params={"response_due": "2026-03-27"})
    after = _rows(world.engine)
    assert [(r[0], r[4]) for r in after["case"]] == [(r[0], r[4] + 1) for r in before["case"]]
    for name in ("case_event", "deadline", "decision", "outbox"):
        assert after[name] == before[name], name


def test_a_driver_error_surfaces_as_sqlalchemys_and_the_transition_is_rolled_back(world: World) -> None:
    cid = _request(world)
    with world.engine.begin() as conn:
        conn.execute(
            insert(T["outbox"]),
            [
                {
                    "organisation_id": world.orgs["NORTH"],
                    "dedupe_key": f"event:{n}",
                    "kind": "test",
                    "recipients": [],
                    "subject": "s",
                    "body": "b",
                    "status": "sent",
                    "attempts": 0,
                    "next_attempt_at": NOW,
                    "created_at": NOW,
                }
                for n in range(1, 300)
            ],
        )
    before = _rows(world.engine)
    with pytest.raises(IntegrityError):
        world.wf.fire(
            cid,
            "send",
            world.actor("NORTH", "contract_strategist"),
            "sent",
            registry_number="NOR-2026-8",
            params={"response_due": "2026-03-27"},
        )
    assert _rows(world.engine) == before


@pytest.mark.only_on("sqlite")  # SQLite's write lock
def test_reading_the_options_does_not_wait_for_another_writer_on_sqlite(world: World, backend: str) -> None:
    cid = _request(world)
    writer = sqlite3.connect(world.engine.url.database or "", isolation_level=None, timeout=30)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE organisation SET name = name")
    got: list[Any] = []
    reader = threading.Thread(
        target=lambda: got.append(world.wf.options(cid, world.actor("NORTH", "contract_strategist"))), daemon=True
    )
    try:
        reader.start()
        reader.join(timeout=5)
        assert not reader.is_alive(), "options() waited for the write lock"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        reader.join(timeout=35)
    assert {o.trigger for o in got[0]} >= {"send", "withdraw"}


def test_the_deadline_of_an_answer_is_due_ten_working_days_later(world: World) -> None:
    cid = _request(world)
    a = world.actor("NORTH", "contract_strategist")
    world.wf.fire(cid, "send", a, "sent", registry_number="NOR-2026-10", params={"response_due": "2026-03-27"})
    res = world.wf.fire(cid, "answer", a, "answer received")
    with world.engine.connect() as conn:
        d = conn.execute(select(T["deadline"]).where(T["deadline"].c.id == res.deadline_ids[0])).mappings().one()
    # 2 March 2026 + 10 working days = 16 March; due at the end of that day in Stockholm (23:00 UTC).
    assert d["due_at"] == datetime(2026, 3, 16, 23, 0, tzinfo=UTC)
    assert d["state"] == "answered" and d["next_action_at"].date() == date(2026, 3, 16)


def test_concurrent_transitions_in_one_organisation_keep_every_case_chain_whole_and_gapless(world: World) -> None:
    a = world.actor("NORTH", "contract_strategist")
    cases = [[_request(world) for _ in range(3)] for _ in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(cases))

    def drive(mine: list[int]) -> None:
        try:
            barrier.wait()
            for n, cid in enumerate(mine):
                world.wf.fire(
                    cid, "send", a, "sent", registry_number=f"NOR-2026-{cid}", params={"response_due": "2026-03-27"}
                )
                world.wf.fire(cid, "answer", a, "answer received")
                world.wf.fire(cid, "approve" if n % 2 else "require_revision", a, "reviewed", params=None)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=drive, args=(mine,)) for mine in cases]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    ev = T["case_event"]
    with world.engine.connect() as conn:
        assert verify(conn) == []
        for cid in (c for mine in cases for c in mine):
            seqs = list(conn.execute(select(ev.c.seq).where(ev.c.case_id == cid).order_by(ev.c.seq)).scalars())
            version = conn.execute(select(T["case"].c.version).where(T["case"].c.id == cid)).scalar_one()
            # The opening and three transitions, each exactly one event, numbered as the case's versions.
            assert seqs == [1, 2, 3, 4] and version == 4
