"""Test databases: every integration test runs on SQLite and on PostgreSQL.

PostgreSQL is the local server (``UPPF_TEST_PG_URL``, default 127.0.0.1:5432/test);
each test process gets its own schema, migrated once, and every test starts from
empty tables. Under CI (``CI`` set) or ``UPPF_REQUIRE_PG=1`` an unreachable
PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Engine, text

from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade

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


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[str]:
    problem = _pg_available()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required here but not reachable at {PG_URL}: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL, pool_size=1)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = make_engine(PG_URL, schema=schema, pool_size=1)
    upgrade(eng)
    eng.dispose()
    yield schema
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


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
    schema: str = request.getfixturevalue("_pg_schema")
    eng = make_engine(PG_URL, schema=schema, pool_size=4)
    with eng.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s AND tablename <> 'alembic_version'"),
                {"s": schema},
            )
        ]
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    yield eng
    eng.dispose()
