"""The API's writer: grouped commits on SQLite keep each write all-or-nothing on its own."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, Engine, func, insert, select

from api.deps import write_gate
from api.writer import Writer
from tests.world import build_world
from workflow.tables import AccessLog

pytestmark = pytest.mark.e2e

LOG = AccessLog.__table__  # type: ignore[attr-defined]


class Boom(Exception):
    pass


def test_a_failing_write_in_a_batch_leaves_nothing_and_spares_the_others(engine: Engine) -> None:
    world = build_world(engine)
    org = world.orgs["NORTH"]
    writer = Writer(engine, write_gate(engine))
    release = threading.Event()

    def write(entity_id: int, fail: bool = False, wait: bool = False) -> int:
        def fn(conn: Connection | None) -> int:
            if conn is None:  # PostgreSQL: the command owns its transaction
                with engine.begin() as own:
                    return fn(own)
            if wait:
                release.wait(5)  # holds the writer so the next ones queue up into one batch
            row = {"organisation_id": org, "entity": "case", "entity_id": entity_id, "action": "read"}
            conn.execute(insert(LOG).values(**row, at=datetime.now(UTC)))
            if fail:
                raise Boom(f"refused {entity_id}")
            return entity_id

        return fn  # type: ignore[return-value]

    async def go() -> list[object]:
        first = asyncio.ensure_future(writer.transact(write(1, wait=True)))
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(writer.transact(write(i, fail=i % 2 == 0))) for i in range(2, 8)]
        await asyncio.sleep(0.05)
        release.set()
        return await asyncio.gather(first, *rest, return_exceptions=True)

    try:
        results = asyncio.run(go())
    finally:
        writer.close()
    assert results[0] == 1
    assert [r if not isinstance(r, Boom) else "boom" for r in results[1:]] == ["boom", 3, "boom", 5, "boom", 7]
    with engine.connect() as conn:
        ids = sorted(conn.execute(select(LOG.c.entity_id)).scalars())
        assert ids == [1, 3, 5, 7]
        assert conn.execute(select(func.count()).select_from(LOG)).scalar_one() == 4
