"""Schema migrations with Alembic (databasmigreringar), run from code.

Alembic (with Mako and Pygments behind it, about a fifth of a second to import) is loaded only when a database
is not yet at :data:`HEAD`: every process start (the API, each scheduler, each command) checks its database, and
nearly always finds it current.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest revision (tests/unit/test_migration_head.py keeps it equal to the migration scripts' one head).
HEAD = "0019_open_case_tally"


def config(engine: Engine) -> Config:
    """An Alembic config pointing at this package's migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser treats % as interpolation; a URL may hold %-escapes (passwords, libpq options).
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def at_head(engine: Engine) -> bool:
    """Whether the database's schema stands at :data:`HEAD` (False for a new database)."""
    try:
        with engine.connect() as conn:
            found = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    except DBAPIError:  # no version table yet
        return False
    return found == {HEAD}


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database's schema up to ``revision`` (nothing to do, and Alembic not loaded, when it is there)."""
    if revision in ("heads", "head", HEAD) and at_head(engine):
        return
    from alembic import command

    cfg = config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
