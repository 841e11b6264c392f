"""A server worker warms up before it takes requests (workflow.warm_up)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from workflow.bootstrap import Application
from workflow.deadlines import calendar
from workflow.schema.tables import ACCESS_LOG
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
