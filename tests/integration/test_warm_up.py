"""A server worker warms up before it takes requests (workflow.warm_up)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from api.auth import Authenticator
from workflow.accounts import active_accounts, find_account
from workflow.bootstrap import Application
from workflow.deadlines import calendar
from workflow.schema.tables import ACCESS_LOG, USER
from workflow.warm_up import WARM_CONNECTIONS, warm_up

pytestmark = pytest.mark.integration


def test_warming_up_opens_connections_loads_the_holidays_and_records_no_read(app: Application) -> None:
    calendar._holidays.cache_clear()
    app.engine.dispose()
    warm_up(app)
    pool = app.engine.pool
    assert pool.checkedin() == min(pool.size(), WARM_CONNECTIONS)  # type: ignore[attr-defined]
    hits = calendar._holidays.cache_info().hits
    today = app.clock().date()
    calendar.is_public_holiday(today)
    calendar.is_public_holiday(today + timedelta(days=366))
    assert calendar._holidays.cache_info().hits == hits + 2  # both years were loaded by the warm-up
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ACCESS_LOG)).scalar_one() == 0


def test_a_warmed_up_worker_knows_every_active_user_and_no_inactive_one_before_its_first_request(
    app: Application,
) -> None:
    with app.engine.begin() as conn:
        first = conn.execute(select(USER.c.id).order_by(USER.c.id).limit(1)).scalar_one()
        conn.execute(update(USER).where(USER.c.id == first).values(active=False))
        users = {name: bool(active) for name, active in conn.execute(select(USER.c.username, USER.c.active))}
    accounts = active_accounts(app.uow)
    assert set(accounts) == {name for name, active in users.items() if active}
    assert all(accounts[name] == find_account(app.uow, name) for name in accounts)  # as a lookup finds them
    authenticator = Authenticator(app.settings, app.uow, app.clock, user_ttl=30.0)
    before = time.monotonic()
    authenticator.remember_accounts(accounts)
    for name, account in accounts.items():
        assert authenticator.cached(name, {}) == (account, None), "known without a lookup"
    expiries = [expiry for expiry, _account in authenticator._cache.values()]
    assert all(before + 15.0 <= expiry <= time.monotonic() + 30.0 for expiry in expiries)
    assert len(set(expiries)) > 1, "the entries expire one by one, not in the same second"
