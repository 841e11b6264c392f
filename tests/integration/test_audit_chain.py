"""Tampering with the audit trail is detected by verify-audit: each case's chain, and the organisation checkpoints."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, delete, select, update

from tests.world import World, build_world
from workflow.cases.opening import open_case
from workflow.cli import main
from workflow.engine.audit import GENESIS, take_checkpoint, take_checkpoints, verify
from workflow.schema.tables import CASE, CHECKPOINT, EVENT, Deadline, Decision, Outbox

pytestmark = pytest.mark.integration


def _history(engine: Engine) -> tuple[World, list[int]]:
    """Three resolved complaints in NORTH (three events each) and one just opened in SOUTH."""
    world = build_world(engine)
    a = world.actor("NORTH", "contract_strategist")
    cases = []
    for _ in range(3):
        cid = open_case(
            world.wf, "complaint", a, "received", kind="client", agreement_id=world.agreements["north_calloff"]
        ).case_id
        world.wf.fire(cid, "investigate", a, "looking into it", params={"topic": "premises"})
        world.wf.fire(cid, "resolve", a, "resolved with the provider")
        cases.append(cid)
    open_case(
        world.wf,
        "complaint",
        world.actor("SOUTH", "unit_manager"),
        "received",
        kind="client",
        agreement_id=world.agreements["south_individual"],
    )
    return world, cases


def _checkpointed(engine: Engine) -> tuple[World, list[int]]:
    world, cases = _history(engine)
    assert len(take_checkpoints(engine, world.clock())) == 2
    return world, cases


def _event_id(engine: Engine, case_id: int, seq: int) -> int:
    with engine.connect() as conn:
        return conn.execute(select(EVENT.c.id).where(EVENT.c.case_id == case_id, EVENT.c.seq == seq)).scalar_one()


def _breaks(engine: Engine) -> list[tuple[int | None, int, int | None]]:
    with engine.connect() as conn:
        return [(b.case_id, b.seq, b.event_id) for b in verify(conn)]


def test_an_untouched_history_with_checkpoints_verifies(engine: Engine) -> None:
    _checkpointed(engine)
    with engine.connect() as conn:
        assert verify(conn) == []


def test_each_case_is_its_own_chain_numbered_by_its_version(engine: Engine) -> None:
    _world, cases = _history(engine)
    with engine.connect() as conn:
        for cid in cases:
            events = conn.execute(
                select(EVENT.c.seq, EVENT.c.prev_hash, EVENT.c.hash).where(EVENT.c.case_id == cid).order_by(EVENT.c.seq)
            ).all()
            version, head = conn.execute(select(CASE.c.version, CASE.c.audit_hash).where(CASE.c.id == cid)).one()
            assert [e.seq for e in events] == [1, 2, 3] and version == 3
            assert events[0].prev_hash == GENESIS and [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
            assert head == events[-1].hash


@pytest.mark.parametrize(
    "column,value",
    [("reason", "nothing to see"), ("to_status", "rejected"), ("actor_id", None), ("registry_number", "X-1")],
)
def test_editing_any_field_of_an_event_is_detected_at_that_event(engine: Engine, column: str, value: object) -> None:
    _world, cases = _checkpointed(engine)
    target = _event_id(engine, cases[1], 2)
    with engine.begin() as conn:
        conn.execute(update(EVENT).where(EVENT.c.id == target).values({column: value}))
    assert _breaks(engine)[0] == (cases[1], 2, target)


def test_deleting_an_event_in_the_middle_of_a_case_is_detected(engine: Engine) -> None:
    _world, cases = _checkpointed(engine)
    target = _event_id(engine, cases[0], 2)
    with engine.begin() as conn:
        conn.execute(delete(EVENT).where(EVENT.c.id == target))
    with engine.connect() as conn:
        first = verify(conn)[0]
    assert (first.case_id, first.seq) == (cases[0], 2) and "missing" in first.problem


def test_deleting_a_cases_last_event_is_detected_by_its_version(engine: Engine) -> None:
    _world, cases = _history(engine)  # no checkpoint: the case row alone gives it away
    target = _event_id(engine, cases[2], 3)
    with engine.begin() as conn:
        conn.execute(delete(EVENT).where(EVENT.c.id == target))
    with engine.connect() as conn:
        (b,) = verify(conn)
    assert b.case_id == cases[2] and "version 3" in b.problem and "ends at seq 2" in b.problem


def test_swapping_two_events_of_a_case_is_detected(engine: Engine) -> None:
    _world, cases = _checkpointed(engine)
    a, b = _event_id(engine, cases[0], 2), _event_id(engine, cases[0], 3)
    with engine.begin() as conn:
        conn.execute(update(EVENT).where(EVENT.c.id == a).values(seq=-1))
        conn.execute(update(EVENT).where(EVENT.c.id == b).values(seq=2))
        conn.execute(update(EVENT).where(EVENT.c.id == a).values(seq=3))
    assert _breaks(engine)[0] == (cases[0], 2, b)


def _rewind(engine: Engine, case_id: int, to_seq: int) -> None:
    """Cut a case's tail off and set its head back to the last event kept: its own chain is whole again."""
    with engine.begin() as conn:
        kept = conn.execute(select(EVENT.c.hash).where(EVENT.c.case_id == case_id, EVENT.c.seq == to_seq)).scalar_one()
        cut = select(EVENT.c.id).where(EVENT.c.case_id == case_id, EVENT.c.seq > to_seq).scalar_subquery()
        conn.execute(delete(Decision.__table__).where(Decision.__table__.c.event_id.in_(cut)))  # type: ignore[attr-defined]
        conn.execute(delete(EVENT).where(EVENT.c.case_id == case_id, EVENT.c.seq > to_seq))
        conn.execute(
            update(CASE).where(CASE.c.id == case_id).values(version=to_seq, audit_hash=kept, status="investigating")
        )


def test_cutting_a_cases_tail_and_rewinding_its_head_is_detected_against_the_checkpoint(engine: Engine) -> None:
    _world, cases = _checkpointed(engine)
    _rewind(engine, cases[1], 2)
    with engine.connect() as conn:
        (b,) = verify(conn)
    assert (b.case_id, b.seq) == (cases[1], 3) and "checkpoint 1" in b.problem and "gone" in b.problem


def test_a_tail_cut_before_any_checkpoint_cannot_be_seen(engine: Engine) -> None:
    """The limit of the design, stated: only what a checkpoint has recorded can be missed."""
    _world, cases = _history(engine)
    _rewind(engine, cases[1], 2)
    assert _breaks(engine) == []


def test_deleting_a_whole_case_with_its_events_is_detected_against_the_checkpoint(engine: Engine) -> None:
    _world, cases = _checkpointed(engine)
    victim = cases[0]
    with engine.begin() as conn:
        for table in (Decision, Outbox, Deadline):
            t = table.__table__  # type: ignore[attr-defined]
            conn.execute(delete(t).where(t.c.case_id == victim))
        conn.execute(delete(EVENT).where(EVENT.c.case_id == victim))
        conn.execute(delete(CASE).where(CASE.c.id == victim))
    with engine.connect() as conn:
        (b,) = verify(conn)
    assert b.case_id == victim and "gone" in b.problem


def test_rewriting_a_whole_case_chain_consistently_is_detected_by_the_checkpoints_digest(engine: Engine) -> None:
    from workflow.engine.audit import chained

    _world, cases = _checkpointed(engine)
    with engine.begin() as conn:
        rows = conn.execute(select(EVENT).where(EVENT.c.case_id == cases[2]).order_by(EVENT.c.seq)).mappings().all()
        prev = GENESIS
        for row in rows:  # a new reason everywhere, every hash recomputed: the case's own chain is whole
            linked = chained({**dict(row), "reason": "rewritten"}, row["seq"], prev)
            conn.execute(
                update(EVENT)
                .where(EVENT.c.id == row["id"])
                .values(reason="rewritten", prev_hash=prev, hash=linked["hash"])
            )
            prev = linked["hash"]
        conn.execute(update(CASE).where(CASE.c.id == cases[2]).values(audit_hash=prev))
    with engine.connect() as conn:
        (b,) = verify(conn)
    assert b.case_id is None and "digest" in b.problem


def test_deleting_a_checkpoint_is_detected(engine: Engine) -> None:
    world, _cases = _checkpointed(engine)
    opened = open_case(
        world.wf,
        "complaint",
        world.actor("NORTH", "contract_strategist"),
        "received",
        kind="client",
        agreement_id=world.agreements["north_calloff"],
    ).case_id
    assert opened and len(take_checkpoints(engine, world.clock())) == 1  # NORTH moved, SOUTH did not
    with engine.begin() as conn:
        conn.execute(
            delete(CHECKPOINT).where(CHECKPOINT.c.organisation_id == world.orgs["NORTH"], CHECKPOINT.c.seq == 1)
        )
    with engine.connect() as conn:
        (b,) = verify(conn)
    assert b.case_id is None and "checkpoint 1 is missing" in b.problem


def test_a_checkpoint_is_taken_only_when_the_organisations_cases_moved(engine: Engine) -> None:
    world, _cases = _history(engine)
    with engine.begin() as conn:
        first = take_checkpoint(conn, world.orgs["NORTH"], world.clock())
        again = take_checkpoint(conn, world.orgs["NORTH"], world.clock())
        empty = take_checkpoint(conn, world.orgs["CENTRAL"], world.clock())
    assert first is not None and (first.seq, first.cases, first.events) == (1, 3, 9)
    assert again is None and empty is None


def test_the_command_names_the_first_broken_event_and_fails(engine: Engine) -> None:
    world, cases = _checkpointed(engine)
    org = world.orgs["NORTH"]
    target = _event_id(engine, cases[1], 3)
    with engine.begin() as conn:
        conn.execute(update(EVENT).where(EVENT.c.id == target).values(reason="edited"))
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    import workflow.runtime as rt

    rt.engine_for.cache_clear()
    original = rt.engine_for
    rt.engine_for = lambda _url=None: engine  # type: ignore[assignment]
    try:
        result = runner.invoke(main, ["--database-url", url, "--log-level", "WARNING", "verify-audit"])
    finally:
        rt.engine_for = original
    assert result.exit_code == 1
    assert (
        f"organisation {org}, ärende {cases[1]}: första brottet vid löpnummer 3 (händelse-id {target})" in result.output
    )


def test_the_schedulers_housekeeping_checkpoints_every_organisation_whose_cases_moved(engine: Engine) -> None:
    from scheduler.service import SchedulerService
    from workflow.settings import Settings

    world, _cases = _history(engine)
    service = SchedulerService(engine, Settings(), clock=world.clock)
    service.housekeeping()
    service.housekeeping()  # nothing moved in between: no second checkpoint
    with engine.connect() as conn:
        taken = conn.execute(
            select(CHECKPOINT.c.organisation_id, CHECKPOINT.c.seq, CHECKPOINT.c.cases, CHECKPOINT.c.events).order_by(
                CHECKPOINT.c.organisation_id
            )
        ).all()
    assert [tuple(r) for r in taken] == [(world.orgs["NORTH"], 1, 3, 9), (world.orgs["SOUTH"], 1, 1, 1)]
