"""The case rows this process last committed, by id (läs-dina-skrivningar): a transition needs no read first.

Every change to a case row goes through the engine and raises its version, and the write of a
transition is a compare-and-set on the case's id, version and status. So a row kept here from
the last transition this process committed is either still the row in the database, or the
compare-and-set misses and nothing is written. The engine keeps a row only once its transaction
is durable, forgets it whenever a transition runs inside a caller's transaction, and on any
refusal or miss reads the case afresh and decides again: a kept row can make a transition
cheaper, never different. One cache per database engine, bounded in size.
"""

from __future__ import annotations

from sqlalchemy import Engine

from workflow.db import per_engine
from workflow.hotpath import CaseRow


class CaseCache:
    """Committed case rows by id; plain dict operations, atomic under the interpreter lock."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._rows: dict[int, CaseRow] = {}

    def get(self, case_id: int) -> CaseRow | None:
        return self._rows.get(case_id)

    def keep(self, row: CaseRow) -> None:
        """Remember a committed row (the whole cache is dropped when full: cheaper than ordering it)."""
        if len(self._rows) >= self.size:
            self._rows.clear()
        self._rows[row.id] = row

    def forget(self, case_id: int) -> None:
        self._rows.pop(case_id, None)


def case_cache(engine: Engine) -> CaseCache:
    """The engine's case cache (one per engine: rows of another database must never be mistaken for these)."""
    return per_engine(engine, "case_cache", lambda _engine: CaseCache())
