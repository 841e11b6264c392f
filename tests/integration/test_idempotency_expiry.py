"""Idempotency keys are kept for their retention period, then purged and usable again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, func, select

from scheduler.service import SchedulerService
from tests.world import World, build_world
from workflow.engine.errors import InvalidInput
from workflow.engine.idempotency import KEYS, StoredResponse, find, purge_expired, store
from workflow.settings import Settings

pytestmark = pytest.mark.integration
DAY = timedelta(hours=24)


def _store(w: World, key: str, hours_ago: float) -> None:
    user = w.users[("NORTH", "contract_strategist")]
    with w.engine.begin() as conn:
        store(
            conn,
            w.orgs["NORTH"],
            user,
            key,
            "digest-" + key,
            StoredResponse(201, b'{"id": 1}'),
            w.clock() - timedelta(hours=hours_ago),
        )


def _keys(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(KEYS.c.key)).scalars())


def test_keys_older_than_the_retention_are_purged_and_younger_ones_kept(engine: Engine) -> None:
    w = build_world(engine)
    _store(w, "old", hours_ago=25)
    _store(w, "just-expired", hours_ago=24.01)
    _store(w, "young", hours_ago=23.9)
    assert purge_expired(engine, w.clock(), DAY) == 2
    assert _keys(engine) == {"young"}
    assert purge_expired(engine, w.clock(), DAY) == 0


def test_a_purged_key_may_be_used_again_for_another_request(engine: Engine) -> None:
    w = build_world(engine)
    user = w.users[("NORTH", "contract_strategist")]
    _store(w, "k", hours_ago=48)
    purge_expired(engine, w.clock(), DAY)
    with engine.begin() as conn:
        assert find(conn, w.orgs["NORTH"], user, "k", "another digest") is None
        store(conn, w.orgs["NORTH"], user, "k", "another digest", StoredResponse(201, b"{}"), w.clock())
    with engine.connect() as conn:
        assert find(conn, w.orgs["NORTH"], user, "k", "another digest") == StoredResponse(201, b"{}")


def test_the_purge_goes_in_batches_until_nothing_expired_is_left(engine: Engine) -> None:
    w = build_world(engine)
    for i in range(7):
        _store(w, f"old-{i}", hours_ago=30 + i)
    _store(w, "young", hours_ago=1)
    assert purge_expired(engine, w.clock(), DAY, batch=3) == 7
    assert _keys(engine) == {"young"}


def test_a_retention_that_is_not_positive_is_refused_and_nothing_is_deleted(engine: Engine) -> None:
    w = build_world(engine)
    _store(w, "old", hours_ago=100)
    with pytest.raises(InvalidInput):
        purge_expired(engine, w.clock(), timedelta(0))
    assert _keys(engine) == {"old"}
    with pytest.raises(ValidationError, match="idempotency_retention_hours"):
        Settings(idempotency_retention_hours=-1)


def test_the_scheduler_purges_by_its_clock_and_the_configured_retention(engine: Engine) -> None:
    w = build_world(engine)
    _store(w, "two-hours", hours_ago=2)
    _store(w, "two-days", hours_ago=48)
    service = SchedulerService(engine, Settings(idempotency_retention_hours=1), clock=w.clock)
    assert service.housekeeping() == 2
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(KEYS)).scalar_one() == 0
