"""The demo municipality loads deterministically, with cases in every state of every case type."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Engine, MetaData, select, text

from states.registry import CASE_TYPES
from tests.conftest import PG_URL
from tests.pg_schema import scratch_schema
from tests.world import Clock
from workflow.demo.municipality import Demo, load_demo
from workflow.engine.audit import verify
from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade
from workflow.schema.tables import DERIVED_TABLES, Agreement, Case, Decision

pytestmark = pytest.mark.integration
FIXED = datetime(2026, 4, 14, 8, 30, tzinfo=UTC)


def _content(engine: Engine) -> list[tuple[object, ...]]:
    c = Case.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(
                    c.c.id,
                    c.c.case_type,
                    c.c.kind,
                    c.c.status,
                    c.c.version,
                    c.c.organisation_id,
                    c.c.outcome,
                    c.c.reason_code,
                ).order_by(c.c.id)
            )
        ]


def test_the_demo_has_every_state_of_every_case_type_and_an_intact_chain(engine: Engine) -> None:
    load_demo(engine, lambda: FIXED)
    c = Case.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        seen = {(r.case_type, r.status) for r in conn.execute(select(c.c.case_type, c.c.status))}
        assert verify(conn) == []
        assert conn.execute(select(Decision.__table__)).first() is not None  # type: ignore[attr-defined]
        types = {r[0] for r in conn.execute(select(Agreement.__table__.c.agreement_type))}  # type: ignore[attr-defined]
    for name, spec in CASE_TYPES.items():
        for state in spec.states:
            assert (name, state.value) in seen, f"demo lacks a {name} in {state.value}"
    assert {"framework_lou", "lov", "call_off", "individual", "direct_award", "in_house_mandate"} <= types


def test_the_demo_loads_the_same_content_every_time(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from workflow.schema.db import make_engine
    from workflow.schema.migrate import upgrade

    load_demo(engine, lambda: FIXED)
    other = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    upgrade(other)
    load_demo(other, lambda: FIXED)
    assert _content(engine) == _content(other)


def test_the_demo_refuses_to_load_twice(engine: Engine) -> None:
    load_demo(engine, lambda: FIXED)
    with pytest.raises(RuntimeError, match="already has data"):
        load_demo(engine, lambda: FIXED)


# An event's reason is hashed with a random salt (workflow.engine.audit.new_salt): two loads differ only there.
SALTED = {"text_salt", "hash", "prev_hash", "audit_hash"}


def _everything(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows in a stable order (salted values only as present or not), and PostgreSQL's sequences."""
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        rows = {
            t.name: sorted(
                (
                    tuple((v is None) if col in SALTED else v for col, v in zip(t.c.keys(), row, strict=True))
                    for row in conn.execute(select(t))
                ),
                key=repr,
            )
            for t in meta.sorted_tables
        }
        # Derived: compared as the counts they add up to (how the changes are split between them depends on when
        # they were folded, and a count that fell to 0 stays as a row).
        counts: Counter[tuple[object, ...]] = Counter()
        for r in rows.pop("open_case_tally"):
            counts[r[:-1]] += cast(int, r[-1])
        for r in rows.pop("open_case_tally_change"):
            counts[r[1:-1]] += cast(int, r[-1])
        rows["open case counts"] = sorted(((*k, n) for k, n in counts.items() if n), key=repr)
        assert set(DERIVED_TABLES) == {"open_case_tally", "open_case_tally_change"}
        if engine.dialect.name == "postgresql":
            rows["pg_sequences"] = sorted(
                conn.execute(
                    text("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()")
                ).all()
            )
    return rows


def test_the_demo_copied_into_a_test_database_is_the_demo_loaded_there(
    demo_engine: tuple[Engine, Clock], backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The fixture ``demo_engine`` copies a demo loaded once per session; the copy must equal a fresh load."""
    copied, clock = demo_engine
    if backend == "sqlite":
        path = tmp_path / "fresh.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        _loads_as_copied(copied, clock, make_engine(f"sqlite:///{path}"))
        return
    with scratch_schema(PG_URL, "t") as schema:
        fresh = make_engine(PG_URL, schema=schema, pool_size=1)
        upgrade(fresh)
        _loads_as_copied(copied, clock, fresh)


def _loads_as_copied(copied: Engine, clock: Clock, fresh: Engine) -> None:
    try:
        Demo(fresh, Clock()).load()
        assert _everything(copied) == _everything(fresh)
        with copied.connect() as conn:
            assert verify(conn) == []
        assert clock() == Clock()()
    finally:
        fresh.dispose()
