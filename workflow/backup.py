"""Backup and restore (säkerhetskopiering och återläsning) of the whole database.

SQLite: SQLite's online backup API copies a consistent snapshot while the product keeps
running (the copy reads in one transaction; writers go on in the WAL). PostgreSQL:
``pg_dump`` in its custom format, which also reads one snapshot, and ``pg_restore`` into an
empty database; for point-in-time recovery a municipality runs PostgreSQL's own WAL
archiving (README, Backup). Every backup gets a manifest beside it (``<file>.json``: when,
the database kind, the schema revision, the number of audit events, the file's SHA-256),
and a restore checks the file against it, then checks the audit chain of the restored
database before it reports success.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from workflow.clock import utcnow
from workflow.i18n import N_
from workflow.schema.db import read
from workflow.schema.tables import CaseEvent


class BackupError(Exception):
    """A backup or restore that could not be done; nothing was overwritten.

    ``message`` is the catalogue's source text (English, ``%(name)s`` placeholders) and ``values`` fill it in; the
    command line shows it in its language (``str()`` is the English text).
    """

    def __init__(self, message: str, **values: object) -> None:
        self.message = message
        self.values = values
        super().__init__(message % values)


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, written beside it."""

    taken_at: str
    dialect: str
    schema_revision: str | None
    audit_events: int
    sha256: str
    size_bytes: int


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def backup(engine: Engine, target: Path, now: datetime | None = None) -> Manifest:
    """Copy the database behind ``engine`` to ``target`` (which must not exist) while it runs."""
    if target.exists():
        raise BackupError(N_("%(target)s exists already; choose a new file"), target=target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with read(engine) as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    if engine.dialect.name == "sqlite":
        events = _sqlite_backup(engine, partial)
    elif engine.dialect.name == "postgresql":
        events = _pg_dump(engine, partial)
    else:
        raise BackupError(N_("no backup for %(dialect)s"), dialect=engine.dialect.name)
    partial.rename(target)
    digest, size = _digest(target)
    m = Manifest((now or utcnow()).isoformat(), engine.dialect.name, revision, events, digest, size)
    manifest_path(target).write_text(json.dumps(asdict(m), indent=2) + "\n", encoding="utf-8")
    return m


def _sqlite_backup(engine: Engine, target: Path) -> int:
    """SQLite's online backup of the engine's file; the number of audit events in the copy."""
    source = engine.url.database
    if not source or source == ":memory:":
        raise BackupError(N_("an in-memory SQLite database cannot be backed up"))
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # all pages in one step: one consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        (events,) = dst.execute("SELECT count(*) FROM case_event").fetchone()
    finally:
        dst.close()
        src.close()
    return int(events)


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(N_("%(name)s is not installed (PostgreSQL's client tools are needed)"), name=name)
    return found


def _pg_dump(engine: Engine, target: Path) -> int:
    """``pg_dump`` of the snapshot a transaction here exports; the number of audit events in that snapshot."""
    url = _libpq_url(engine.url.render_as_string(hide_password=False))
    cmd = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            events = int(conn.execute(select(func.count()).select_from(CaseEvent)).scalar_one())
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            if schema not in (None, "public"):  # tests work side by side in schemas of one database
                cmd.append(f"--schema={schema}")
            done = subprocess.run([*cmd, f"--snapshot={snapshot}", url], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupError(N_("pg_dump failed: %(problem)s"), problem=done.stderr.strip()[:500])
    return events


def _digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest(), path.stat().st_size


def check(source: Path) -> Manifest:
    """The backup's manifest, after checking the file is the one the manifest describes."""
    mpath = manifest_path(source)
    if not source.exists():
        raise BackupError(N_("%(source)s does not exist"), source=source)
    if not mpath.exists():
        raise BackupError(N_("%(manifest)s is missing: a backup is restored only with its manifest"), manifest=mpath)
    m = Manifest(**json.loads(mpath.read_text(encoding="utf-8")))
    digest, size = _digest(source)
    if (digest, size) != (m.sha256, m.size_bytes):
        raise BackupError(N_("%(source)s does not match its manifest (damaged or replaced)"), source=source)
    return m


def restore(source: Path, url: str) -> Manifest:
    """Restore the backup ``source`` into the empty database ``url`` (a new SQLite file or an empty database)."""
    m = check(source)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if m.dialect != "sqlite":
            raise BackupError(
                N_("%(source)s is a %(dialect)s backup; restore it into %(dialect)s"), source=source, dialect=m.dialect
            )
        target = Path(parsed.database or "")
        if not parsed.database or target.exists():
            raise BackupError(N_("%(target)s exists already; restore into a new file"), target=target)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        partial.rename(target)
        return m
    if m.dialect != "postgresql":
        raise BackupError(
            N_("%(source)s is a %(dialect)s backup; restore it into %(dialect)s"), source=source, dialect=m.dialect
        )
    libpq = _libpq_url(url)
    import psycopg

    with psycopg.connect(libpq) as c:
        tables = c.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
    if tables and tables[0]:
        raise BackupError(N_("the target database is not empty; restore into a new, empty database"))
    cmd = [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={libpq}"]
    done = subprocess.run([*cmd, str(source)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(N_("pg_restore failed: %(problem)s"), problem=done.stderr.strip()[:500])
    return m
