"""The three servers of ``api_bench.py``, each started as ``python bench/api_bench_apps.py KIND PORT DB``.

* ``real``: the product's app (``api.app.create_app``): bearer JWT, user lookup, scoping,
  ``Workflow.fire`` with compare-and-set, audit chain, deadlines, structlog JSON lines.
* ``raw``: a plain Litestar endpoint inserting one row with raw ``sqlite3`` (WAL, FULL).
* ``naive``: SQLModel ORM + a ``transitions`` Machine built per request, audit row via the
  ORM, attributes read after commit; no authentication, no deadlines, no hash chain.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvicorn
from litestar import Litestar, get, post
from sqlmodel import Session, select
from transitions import Machine

from states.registry import CASE_TYPES
from workflow.logging import configure
from workflow.schema.db import make_engine
from workflow.schema.tables import Case, CaseEvent


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


def raw_app(db: str) -> Litestar:
    local = threading.local()
    gate = threading.Lock()  # one writer at a time: threads queue here, not in SQLite's sleeping busy handler

    def conn() -> sqlite3.Connection:
        c = getattr(local, "conn", None)
        if c is None:
            c = sqlite3.connect(db, isolation_level=None, check_same_thread=False, timeout=30)
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("PRAGMA synchronous=FULL")
            c.execute("CREATE TABLE IF NOT EXISTS hit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, body TEXT NOT NULL)")
            local.conn = c
        return c

    @post("/raw/{n:int}", sync_to_thread=os.environ.get("RAW_THREAD") == "1", status_code=200)
    def insert(n: int) -> dict[str, int]:
        c = conn()
        with gate:
            c.execute("BEGIN IMMEDIATE")
            cur = c.execute("INSERT INTO hit (at, body) VALUES (?, ?)", (datetime.now(UTC).isoformat(), str(n)))
            c.execute("COMMIT")
        return {"id": int(cur.lastrowid or 0)}

    return Litestar([health, insert])


def naive_app(db: str) -> Litestar:
    # Threads against SQLite without a gate stall in its busy handler under 32 connections (measured:
    # ~10 requests/s), so the naive handler runs on the event loop, one request at a time.
    engine = make_engine(f"sqlite:///{db}")
    spec = CASE_TYPES["complaint"]
    table = [{"trigger": t.trigger, "source": list(t.source), "dest": t.dest} for t in spec.transitions]

    class Model:
        state: str

    @post("/naive/cases/{case_id:int}/transitions", sync_to_thread=False, status_code=200)
    def fire(case_id: int, data: dict[str, Any]) -> dict[str, Any]:
        with Session(engine) as s:
            case = s.get(Case, case_id)
            if case is None:
                return {"error": "not found"}
            model = Model()
            Machine(model=model, states=[str(x) for x in spec.states], transitions=table, initial=case.status)
            getattr(model, data["trigger"])()
            src = case.status
            case.status = model.state
            case.version += 1
            case.updated_at = datetime.now(UTC)
            last = s.exec(
                select(CaseEvent)
                .where(CaseEvent.organisation_id == case.organisation_id)
                .order_by(CaseEvent.seq.desc())
                .limit(1)
            ).first()  # type: ignore[attr-defined]
            s.add(
                CaseEvent(
                    organisation_id=case.organisation_id,
                    seq=(last.seq if last else 0) + 1,
                    case_id=case.id,
                    trigger=data["trigger"],
                    from_status=src,
                    to_status=model.state,
                    reason=data.get("reason", ""),
                    occurred_at=datetime.now(UTC),
                    prev_hash=last.hash if last else "0" * 64,
                    hash="0" * 64,
                )
            )
            s.add(case)
            s.commit()
            return {"case_id": case.id, "status": case.status, "version": case.version}

    return Litestar([health, fire])


def real_app(db: str) -> Litestar:
    from api.app import create_app
    from api.gc_tuning import tune_gc
    from workflow.bootstrap import bootstrap

    app = create_app(bootstrap(engine=make_engine(f"sqlite:///{db}")))
    if os.environ.get("BENCH_GC", "1") == "1":  # as ``uppfoljning serve`` runs it (api.app.create_server_app)
        app.on_startup.append(tune_gc)
    return app


def main() -> None:
    kind, port, db = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    configure("INFO")
    app = {"raw": raw_app, "naive": naive_app, "real": real_app}[kind](db)
    uvicorn.run(app, host="127.0.0.1", port=port, workers=1, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
