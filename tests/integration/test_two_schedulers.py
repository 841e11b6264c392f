"""Two schedulers sweeping one database at once never do an effect twice (1,000 due items), flat out or paced."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from tests.world import Clock, build_world
from workflow.cases.opening import open_case
from workflow.deadlines.sweep import SweepResult, sweep
from workflow.engine.audit import verify
from workflow.engine.firing import CASE, Actor
from workflow.pacing import DutyCycle
from workflow.schema.db import make_engine
from workflow.schema.tables import DEADLINE, EFFECT, EVENT, OUTBOX

pytestmark = pytest.mark.integration
REMINDING, EXPIRING = 600, 400
NOW = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)


def _second_engine(engine: Engine) -> Engine:
    if engine.dialect.name == "sqlite":
        return make_engine(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
    return make_engine(engine.url.render_as_string(hide_password=False), schema=schema, pool_size=2)


@pytest.mark.parametrize("share", [1.0, 0.5], ids=["flat out", "resting half the time"])
def test_two_schedulers_on_one_database_never_duplicate_an_effect(engine: Engine, share: float) -> None:
    clock = Clock(NOW - timedelta(days=40))
    w = build_world(engine, clock)
    with engine.begin() as conn:
        for i in range(REMINDING + EXPIRING):
            due = NOW.date() + timedelta(days=20) if i < REMINDING else clock.now.date() + timedelta(days=5 + i % 7)
            open_case(
                w.wf,
                "implementation_plan",
                Actor.system(w.orgs["NORTH"]),  # as the scheduler requests them: a person asks once per placement
                "placement started",
                placement_id=w.placements["north"],
                params={"due_date": date.isoformat(due)},
                conn=conn,
            )
        # The reminding ones: their first rung is due now; the expiring ones are weeks past their due date.
        conn.execute(
            update(DEADLINE)
            .where(DEADLINE.c.due_at > NOW + timedelta(days=10))
            .values(next_rung=0, next_action_at=NOW - timedelta(minutes=1))
        )
    clock.now = NOW
    other = _second_engine(engine)
    results: list[SweepResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)
    paces = [DutyCycle(share), DutyCycle(share)]

    def run(eng: Engine, pace: DutyCycle) -> None:
        try:
            start.wait()
            results.append(sweep(eng, clock, batch=25, pace=pace))
        except BaseException as exc:  # reported below; a duplicate would surface as an IntegrityError
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e, p)) for e, p in zip((engine, other), paces, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    other.dispose()
    assert errors == []
    if engine.dialect.name == "postgresql":  # SQLite runs one writer at a time; one sweeper may do it all
        assert all(r.claimed > 0 for r in results), "both schedulers must have done part of the work"
    assert sweep(engine, clock).claimed == 0, "nothing due may be left"
    if share < 1:  # each sweeper rested between its batches, at most as long as they took (a rest is capped,
        # so a batch slowed by a loaded machine rests less than it took; tests/unit/test_pacing.py has the arithmetic)
        assert all(0 < p.rested <= p.worked + 1e-6 for p in paces)

    with engine.connect() as conn:
        effects = conn.execute(select(EFFECT.c.deadline_id, EFFECT.c.rung)).all()
        outbox_keys = [r[0] for r in conn.execute(select(OUTBOX.c.dedupe_key))]
        events = Counter(
            (r.case_id, r.trigger)
            for r in conn.execute(select(EVENT.c.case_id, EVENT.c.trigger).where(EVENT.c.trigger != "open"))
        )
        statuses = Counter(
            r[0] for r in conn.execute(select(CASE.c.status).where(CASE.c.case_type == "implementation_plan"))
        )
        deviations = conn.execute(
            select(func.count())
            .select_from(CASE)
            .where(CASE.c.case_type == "deviation", CASE.c.kind == "late_delivery")
        ).scalar_one()
        chain = verify(conn)
    assert len(effects) == len(set(effects))
    assert len(outbox_keys) == len(set(outbox_keys))
    assert all(n == 1 for n in events.values()), "a transition was fired twice"
    assert statuses == {"requested": REMINDING, "sanction_flagged": EXPIRING}
    assert sum(1 for k in outbox_keys if k.endswith(":0")) >= REMINDING
    assert deviations == EXPIRING // 3, "one late-delivery deviation per three late deliveries"
    assert chain == []
    assert sum(r.claimed for r in results) == len(effects)
