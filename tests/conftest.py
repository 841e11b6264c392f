"""Test databases: every integration test runs on SQLite and on PostgreSQL.

PostgreSQL is the local server (``UPPF_TEST_PG_URL``, default 127.0.0.1:5432/test);
each test process gets its own schema, migrated once, and every test starts from
empty tables. Under CI (``CI`` set) or ``UPPF_REQUIRE_PG=1`` an unreachable
PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Connection, Engine, MetaData, text

from tests.pg_schema import scratch_schema
from tests.world import Clock
from workflow.demo.municipality import Demo
from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade
from workflow.schema.tables import DERIVED_TABLES

os.environ["UPPF_LOG_CACHE"] = "0"  # see workflow.logging: capture_logs needs uncached loggers
# The audit checkpoint key and anchor file (workflow.engine.anchor): never the working directory's; each test gets
# its own file (below), these cover settings made at import time and the processes tests start.
TEST_AUDIT_KEY = "test-audit-checkpoint-key-not-for-production-0123456789"
os.environ.setdefault("UPPF_AUDIT_KEY", TEST_AUDIT_KEY)
os.environ.setdefault("UPPF_AUDIT_ANCHOR_PATH", os.path.join(tempfile.mkdtemp(prefix="uppf-anchors-"), "anchors.jsonl"))

PG_URL = os.environ.get("UPPF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = bool(os.environ.get("CI")) or os.environ.get("UPPF_REQUIRE_PG") == "1"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        action="store",
        default="all",
        choices=["all", "sqlite", "postgresql"],
        help="which databases integration tests run on",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        choice = metafunc.config.getoption("--db")
        backends = ["sqlite", "postgresql"] if choice == "all" else [choice]
        metafunc.parametrize("backend", backends, scope="session")


@pytest.fixture(autouse=True)
def _fresh_log_configuration() -> Iterator[None]:
    """Every test starts with structlog's defaults: a CLI test's ``--log-level WARNING`` must not
    filter out the info lines a later test captures."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _own_anchor_file(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test anchors audit checkpoints to a file of its own, signed with the test key."""
    from workflow.settings import get_settings

    path = tmp_path_factory.mktemp("anchors") / "anchors.jsonl"
    monkeypatch.setenv("UPPF_AUDIT_ANCHOR_PATH", str(path))
    monkeypatch.setenv("UPPF_AUDIT_KEY", TEST_AUDIT_KEY)
    get_settings.cache_clear()  # the command line reads the settings once per process
    yield path
    get_settings.cache_clear()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadfile`` with the long-running tests spread and started first (tests.spreading)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.spreading import LongRunningFirst

    return LongRunningFirst(config, log)  # type: ignore[arg-type]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the database variants an ``only_on`` test does not describe.

    Deselected rather than skipped, so that CI's "no PostgreSQL test was skipped" check
    keeps meaning that PostgreSQL was unavailable.
    """
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("only_on")
        backend = getattr(item, "callspec", None) and item.callspec.params.get("backend")
        (dropped if marker and backend and backend not in marker.args else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _pg_available() -> str | None:
    try:
        eng = make_engine(PG_URL, pool_size=1)
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
        return None
    except Exception as exc:  # any connection failure means "not available"
        return f"{type(exc).__name__}: {exc}"


def _pg_tables(engine: Engine, schema: str) -> list[str]:
    """The schema's tables (without Alembic's), parents before the tables whose foreign keys point at them."""
    meta = MetaData()
    meta.reflect(engine, schema=schema)
    return [t.name for t in meta.sorted_tables if t.name != "alembic_version"]


@dataclass(frozen=True)
class PgSchema:
    """A migrated schema of the test database and its tables in foreign-key order."""

    name: str
    tables: list[str]


@pytest.fixture(scope="session")
def _pg_migrated() -> Iterator[PgSchema]:
    problem = _pg_available()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required here but not reachable at {PG_URL}: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    with scratch_schema(PG_URL, "t") as schema:
        eng = make_engine(PG_URL, schema=schema, pool_size=1)
        upgrade(eng)
        tables = _pg_tables(eng, schema)
        eng.dispose()
        yield PgSchema(schema, tables)


@pytest.fixture(scope="session")
def _pg_schema(_pg_migrated: PgSchema) -> str:
    return _pg_migrated.name


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database of the parametrised backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "test.db"
        shutil.copy(template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    migrated: PgSchema = request.getfixturevalue("_pg_migrated")
    eng = make_engine(PG_URL, schema=migrated.name, pool_size=4)
    with eng.begin() as conn:
        _empty_pg_schema(conn, migrated)
    yield eng
    eng.dispose()


def _empty_pg_schema(conn: Connection, schema: PgSchema) -> None:
    """Empty the tables an earlier test wrote to and restart every sequence it drew from.

    The state TRUNCATE ... RESTART IDENTITY of every table leaves, at a fraction of the cost: TRUNCATE gives
    each table new files, while a test leaves a few hundred rows in a few tables.
    """
    probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in schema.tables)
    written = {r[0] for r in conn.execute(text(probe))}
    for table in reversed(schema.tables):  # children before the parents their foreign keys point at
        if table in written and table not in DERIVED_TABLES:
            conn.execute(text(f'DELETE FROM "{table}"'))
    for table in DERIVED_TABLES:  # last: deleting cases moved their counts (to 0)
        conn.execute(text(f'DELETE FROM "{table}"'))
    drawn = conn.execute(
        text("SELECT sequencename FROM pg_sequences WHERE schemaname = :s AND last_value IS NOT NULL"),
        {"s": schema.name},
    ).scalars()
    for sequence in drawn:  # a rolled-back insert draws from a sequence too
        conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


# --- the demo municipality, loaded once per session and copied into each test's database -------------------------


@pytest.fixture(scope="session")
def _sqlite_demo(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(_sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    Demo(eng, Clock()).load()
    eng.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_demo(_pg_migrated: PgSchema) -> Iterator[str]:
    with scratch_schema(PG_URL, "t") as schema:
        eng = make_engine(PG_URL, schema=schema, pool_size=1)
        upgrade(eng)
        Demo(eng, Clock()).load()
        eng.dispose()
        yield schema


@pytest.fixture
def demo_engine(engine: Engine, backend: str, request: pytest.FixtureRequest) -> tuple[Engine, Clock]:
    """The test database holding the demo municipality as ``Demo(engine, Clock()).load()`` leaves it.

    Loaded once per session (it takes seconds) and copied in: the demo is deterministic on a fixed clock.
    """
    if backend == "sqlite":
        source = sqlite3.connect(request.getfixturevalue("_sqlite_demo"))
        target = engine.raw_connection()
        try:
            source.backup(target.driver_connection)  # type: ignore[arg-type]
        finally:
            target.close()
            source.close()
        return engine, Clock()
    demo: str = request.getfixturevalue("_pg_demo")
    migrated: PgSchema = request.getfixturevalue("_pg_migrated")
    with engine.begin() as conn:
        for table in migrated.tables:
            if table in DERIVED_TABLES:  # the triggers count the copied cases
                continue
            conn.execute(text(f'INSERT INTO "{table}" OVERRIDING SYSTEM VALUE SELECT * FROM "{demo}"."{table}"'))
        drawn = conn.execute(
            text("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = :s AND last_value IS NOT NULL"),
            {"s": demo},
        ).all()
        for sequence, last_value in drawn:
            conn.execute(text("SELECT setval(:seq, :v, true)"), {"seq": f'"{sequence}"', "v": last_value})
    return engine, Clock()
