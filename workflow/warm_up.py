"""Warming a server worker up before it takes requests (uppvärmning); ``api.app.create_server_app`` calls it.

A fresh worker paid for its first requests with work done once per process: the first
transition imported the holiday calendar (about 50 ms of CPU), the first case view and list
compiled their statements (15 and 6 ms), and the first burst of concurrent requests opened
the pool's database connections one request at a time. With several workers starting under
load, that is a stall every worker adds at once. Done at startup instead, before the worker
listens, no request waits for it.
"""

from __future__ import annotations

from datetime import timedelta

from workflow.accounts import find_account
from workflow.bootstrap import Application
from workflow.cases import queries
from workflow.deadlines.calendar import is_public_holiday

#: Connections opened at startup: what a worker's requests usually use at once; the pool opens more as they need.
WARM_CONNECTIONS = 8


def warm_up(application: Application) -> None:
    """Open some of the pool's connections, load this year's and next year's holidays and compile the hot reads."""
    engine = application.engine
    connections = [engine.connect() for _ in range(min(getattr(engine.pool, "size", lambda: 1)(), WARM_CONNECTIONS))]
    for connection in connections:
        connection.close()  # back to the pool, open
    today = application.clock().date()
    for day in (today, today + timedelta(days=366)):
        is_public_holiday(day)
    find_account(application.uow, "")  # the authentication's user lookup (no account has an empty name)
    queries.warm_up(application.uow)
