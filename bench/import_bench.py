"""Import of a register and its history: 10,000 agreements with a follow-up each and some decisions.

    .venv/bin/python bench/import_bench.py [--db sqlite|postgresql|all] [--format xlsx|csv|all] [--agreements N]

Generates ``--agreements`` agreements (default 10,000) of the NORTH board with 50 providers, and their history:
for each agreement a planned follow-up opened, started, with findings recorded and assessed (four events), and
for every fifth agreement a termination by the board (its agreement case opened and the decision fired, dated).
Writes them once as an .xlsx workbook (sheets Leverantörer, Avtal, Historik) and as three CSV files, then times
``uppfoljning import``'s command (``ImportFile`` through ``Application.execute``) on a fresh database: the whole
file in one transaction, every row through its command. Goal: under a minute. PostgreSQL runs in a schema the
bench creates and drops; SQLite in a temporary file.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook
from sqlalchemy import Engine

from tests.pg_schema import scratch_schema
from tests.world import Clock, build_world
from workflow.bootstrap import bootstrap
from workflow.imports.run import DATED, ImportFile, ImportReport
from workflow.logging import configure
from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade
from workflow.settings import get_settings

PG_URL = os.environ.get("UPPF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PROVIDERS = 50
HISTORY_HEADER = [
    "case_ref",
    "case_type",
    "kind",
    "agreement_registry_number",
    "trigger",
    "occurred_on",
    "registry_number",
    "reason",
    "username",
    "outcome",
    "termination_reason",
    "initiator",
]


def generate(n: int, dated: bool) -> dict[str, list[list[object]]]:
    """The sheets of the workload: providers, agreements, history (one row per event)."""
    providers = [["org_number", "name"]] + [[f"5599{p:06d}", f"Bench Omsorg {p} AB"] for p in range(PROVIDERS)]
    agreements: list[list[object]] = [
        ["registry_number", "agreement_type", "provider_org_number", "starts_on", "ends_on"]
    ]
    history: list[list[object]] = [HISTORY_HEADER if dated else [h for h in HISTORY_HEADER if h != "occurred_on"]]
    base = date(2025, 1, 2)
    for i in range(n):
        reg = f"BEN-2024-{i:05d}"
        agreements.append([reg, "individual", f"5599{i % PROVIDERS:06d}", date(2024, 1, 1), date(2027, 12, 31)])
        day = base + timedelta(days=i % 300)
        events = [
            [
                f"F{i}",
                "follow_up",
                "planned_special",
                reg,
                "open",
                day,
                None,
                "annual plan",
                "north.contract_strategist",
                None,
                None,
                None,
            ],
            [
                f"F{i}",
                None,
                None,
                None,
                "start",
                day + timedelta(days=7),
                None,
                "visit",
                "north.contract_strategist",
                None,
                None,
                None,
            ],
            [
                f"F{i}",
                None,
                None,
                None,
                "record_findings",
                day + timedelta(days=8),
                None,
                "findings",
                "north.contract_strategist",
                None,
                None,
                None,
            ],
            [
                f"F{i}",
                None,
                None,
                None,
                "assess",
                day + timedelta(days=20),
                None,
                "assessed",
                "north.contract_strategist",
                "compliant",
                None,
                None,
            ],
        ]
        if i % 5 == 0:
            events.append(
                [
                    f"A{i}",
                    "agreement",
                    None,
                    reg,
                    "terminate",
                    day + timedelta(days=40),
                    f"NOR-2025-{i:05d}",
                    "board meeting",
                    "north.board",
                    None,
                    "wound_down",
                    "provider",
                ]
            )
        for e in events:
            history.append(e if dated else e[:5] + e[6:])
    return {"Leverantörer": providers, "Avtal": agreements, "Historik": history}


def as_xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    wb = Workbook(write_only=True)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def as_csv(rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    for r in rows:
        w.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in r])
    return ("\ufeff" + buf.getvalue()).encode()


@contextmanager
def database(kind: str) -> Iterator[Engine]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as d:
            engine = make_engine(f"sqlite:///{d}/bench.db")
            upgrade(engine)
            yield engine
            engine.dispose()
        return
    with scratch_schema(PG_URL, "bench") as schema:
        engine = make_engine(PG_URL, schema=schema, pool_size=2)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def run(
    kind: str, fmt: str, files: list[tuple[str, bytes, str | None]]
) -> tuple[float, float, int, list[ImportReport]]:
    with database(kind) as engine:
        clock = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        world = build_world(engine, clock)
        app = bootstrap(get_settings(), engine, clock)
        actor = world.actor("NORTH", "contract_strategist")
        reports = []
        start, cpu = time.perf_counter(), time.process_time()
        for name, content, k in files:
            reports.append(app.execute(ImportFile(name, content, kind=k), actor))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        rows = sum(c.created for r in reports for c in r.counts.values())
        return seconds, cpu, rows, reports


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgresql", "all"], default="all")
    ap.add_argument("--format", choices=["xlsx", "csv", "all"], default="all")
    ap.add_argument("--agreements", type=int, default=10_000)
    args = ap.parse_args()
    configure("WARNING")
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    sheets = generate(args.agreements, DATED)
    if not DATED:
        print("note: the case commands take no occurred_on in this version; the history is imported undated")
    book = as_xlsx(sheets)
    csvs = [(f"{t}.csv", as_csv(rows), None) for t, rows in sheets.items()]
    events = len(sheets["Historik"]) - 1
    print(
        f"workload: {args.agreements} agreements, {PROVIDERS} providers, {events} history rows "
        f"(xlsx {len(book) / 1e6:.1f} MB, csv {sum(len(c) for _, c, _ in csvs) / 1e6:.1f} MB)"
    )
    formats = {"xlsx": [("register.xlsx", book, None)], "csv": csvs}
    for db in ("sqlite", "postgresql") if args.db == "all" else (args.db,):
        for fmt in ("xlsx", "csv") if args.format == "all" else (args.format,):
            seconds, cpu, rows, reports = run(db, fmt, formats[fmt])
            bad = sum(len(r.errors) for r in reports)
            committed = all(r.committed for r in reports)
            print(
                f"{db:10} {fmt:4}: {seconds:6.1f} s ({cpu:.1f} s CPU of this process) for {rows} rows "
                f"({rows / seconds:,.0f} rows/s), "
                f"committed={committed}, refused rows={bad}, goal < 60 s: {'met' if seconds < 60 else 'MISSED'}"
            )
            if bad:
                print("  first refusals:", [(e.where, e.message) for r in reports for e in r.errors][:3])


if __name__ == "__main__":
    main()
