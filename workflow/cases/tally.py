"""The count of open cases (räknare av öppna ärenden) that triggers on ``case`` keep: read and folded.

Migration ``0019_open_case_tally`` installs triggers that append every change of an open case's key (organisation,
case type, placement or not, overdue state or not, week of the next deadline) to ``open_case_tally_change``. The
count of a key is its row in ``open_case_tally`` plus its changes not yet folded; :func:`fold` (run by every
scheduler on each sweep tick) moves the changes into the tally. A reader sees one snapshot of both tables in one
statement, so a fold running meanwhile never shows it a change twice or not at all.
"""

from __future__ import annotations

import structlog
from sqlalchemy import Connection, Engine, Subquery, select, text, union_all

from workflow.cases.scoping import Viewer, counted_cases
from workflow.schema.db import is_sqlite
from workflow.schema.tables import TALLY, TALLY_CHANGE

log = structlog.get_logger("tally")

KEY = "organisation_id, case_type, with_placement, overdue_state, due_week"
# PostgreSQL: the changes this statement deletes are the ones it adds, whatever is appended or folded meanwhile (a
# change another fold deleted first is skipped); the tally's rows are taken in key order, so folds cannot deadlock.
POSTGRES_FOLD = text(
    f"WITH moved AS (DELETE FROM open_case_tally_change RETURNING {KEY}, n) "
    f"INSERT INTO open_case_tally AS t ({KEY}, n) SELECT {KEY}, sum(n) FROM moved "
    f"GROUP BY {KEY} ORDER BY {KEY} ON CONFLICT ({KEY}) DO UPDATE SET n = t.n + excluded.n"
)
# SQLite has one writer at a time: what is there up to the highest id is added, then deleted.
SQLITE_ADD = text(
    f"INSERT INTO open_case_tally ({KEY}, n) SELECT {KEY}, sum(n) FROM open_case_tally_change WHERE id <= :last "
    f"GROUP BY {KEY} ON CONFLICT ({KEY}) DO UPDATE SET n = n + excluded.n"
)
SQLITE_DELETE = text("DELETE FROM open_case_tally_change WHERE id <= :last")
SQLITE_LAST = text("SELECT max(id) FROM open_case_tally_change")


def counted(viewer: Viewer) -> Subquery:
    """The open cases the viewer may see (the secrecy rule of :func:`workflow.cases.scoping.counted_cases`), as rows
    of (case type, overdue state, due week, n) to be summed: the tally's and the changes not yet folded into it."""
    columns = ("case_type", "overdue_state", "due_week", "n")
    parts = [select(*(t.c[c] for c in columns)).where(counted_cases(viewer, t)) for t in (TALLY, TALLY_CHANGE)]
    return union_all(*parts).subquery("counted")


def fold(engine: Engine) -> int:
    """Move the appended changes into the tally, in a transaction of its own (:func:`fold_changes`)."""
    with engine.begin() as conn:
        keys = fold_changes(conn)
    if keys:
        log.debug("tally.folded", keys=keys)
    return keys


def fold_changes(conn: Connection) -> int:
    """Move the appended changes into the tally in ``conn``'s transaction; how many of the tally's keys changed.

    Safe on several schedulers at once and beside any writer: each change is added once.
    """
    if not is_sqlite(conn):
        return int(conn.execute(POSTGRES_FOLD).rowcount)
    last = conn.execute(SQLITE_LAST).scalar()
    if last is None:
        return 0
    keys = conn.execute(SQLITE_ADD, {"last": last}).rowcount
    conn.execute(SQLITE_DELETE, {"last": last})
    return int(keys)
