"""Property: however the ticks fall, the sweep does every due rung once and ends in the same place.

Random due dates and random gaps between ticks (minutes to days, a downtime included) must end
with the same case states, escalations and transitions as one catch-up at the final moment;
no rung is done twice and no due rung is left behind after any tick.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from tests.world import Clock, build_world
from workflow.cases.opening import open_case
from workflow.clock import STOCKHOLM
from workflow.deadlines.sweep import sweep
from workflow.engine.firing import CASE, Actor
from workflow.schema.db import make_engine
from workflow.schema.tables import DEADLINE, EFFECT

pytestmark = pytest.mark.integration
START = datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM)


def _world(path: Path, template: Path, dues: list[int]) -> tuple[Engine, Clock]:
    shutil.copy(template, path)
    engine = make_engine(f"sqlite:///{path}")
    clock = Clock(START)
    w = build_world(engine, clock)
    actor = w.actor("NORTH", "contract_strategist")
    for i, days in enumerate(dues):
        if i % 2:
            open_case(
                w.wf,
                "implementation_plan",
                Actor.system(w.orgs["NORTH"]),  # as the scheduler requests them: a person asks once per placement
                "placement started",
                placement_id=w.placements["north"],
                params={"due_date": (date(2026, 3, 2) + timedelta(days=days)).isoformat()},
            )
        else:
            cid = open_case(
                w.wf,
                "rectification_request",
                actor,
                "x",
                kind="supplementation",
                agreement_id=w.agreements["north_calloff"],
            ).case_id
            due = (date(2026, 3, 2) + timedelta(days=days)).isoformat()
            w.wf.fire(cid, "send", actor, "send", registry_number="NOR-2026-00001", params={"response_due": due})
    return engine, clock


def _end(engine: Engine) -> tuple[list[tuple[int, str]], list[tuple[int, int, str]]]:
    with engine.connect() as conn:
        statuses = [tuple(r) for r in conn.execute(select(CASE.c.id, CASE.c.status).order_by(CASE.c.id))]
        done = [
            tuple(r)
            for r in conn.execute(
                select(DEADLINE.c.case_id, EFFECT.c.rung, EFFECT.c.kind)
                .join(EFFECT, EFFECT.c.deadline_id == DEADLINE.c.id)
                .where(EFFECT.c.kind.in_(("escalation", "transition")))
                .order_by(DEADLINE.c.case_id, DEADLINE.c.id, EFFECT.c.rung)
            )
        ]
    return statuses, done  # type: ignore[return-value]


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    dues=st.lists(st.integers(0, 12), min_size=1, max_size=4),
    gaps=st.lists(st.integers(1, 4 * 24 * 60), min_size=1, max_size=12),
)
def test_any_tick_schedule_does_each_rung_once_and_ends_like_one_catch_up(
    _sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, dues: list[int], gaps: list[int]
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    ticking, clock = _world(tmp / "ticking.db", _sqlite_template, dues)
    for minutes in gaps:
        clock.advance(minutes=minutes)
        sweep(ticking, clock)
        with ticking.connect() as conn:
            left = conn.execute(
                select(func.count())
                .select_from(DEADLINE)
                .where(DEADLINE.c.status == "pending", DEADLINE.c.next_action_at <= clock.now)
            ).scalar_one()
            pairs = conn.execute(select(EFFECT.c.deadline_id, EFFECT.c.rung)).all()
        assert left == 0
        assert len(pairs) == len(set(pairs))
    once, other = _world(tmp / "once.db", _sqlite_template, dues)
    other.now = clock.now
    sweep(once, other)
    assert _end(ticking) == _end(once)
    ticking.dispose()
    once.dispose()
