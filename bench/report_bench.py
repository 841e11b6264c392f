"""Board reports over a large register: the annual and terminated-agreements reports as JSON.

    .venv/bin/python bench/report_bench.py [--db sqlite|postgresql|all] [--cases N] [--repeats R]

Bulk-loads ``--cases`` cases (default 1,000,000) spread over five years (2022–2026), five
boards and every case type, with their audit events (about two per case) and the
decision rows behind exclusions, requests, terminations and rescissions: raw
``executemany`` on SQLite, ``COPY`` on PostgreSQL, never through the engine. Then times
``build_report`` plus JSON rendering for the busiest board and 2025, cold (first run)
and warm (median of ``--repeats``), against the goal of one second each. PostgreSQL runs
in a schema the bench creates and drops; SQLite in a temporary file.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, text

from states.registry import CASE_TYPES
from states.vocab import (
    CONTRACT_OUTCOMES,
    EXCLUSION_REASONS,
    FINDING_TOPICS,
    NOT_PERFORMED_REASONS,
    TERMINATION_REASONS,
)
from tests.pg_schema import scratch_schema
from workflow.clock import STOCKHOLM
from workflow.reports.catalogue import build_report
from workflow.reports.render import render
from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade

PG_URL = os.environ.get("UPPF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
YEARS = range(2022, 2027)
ORGS = [
    ("SN", "central_board"),
    ("NORRMALM", "district_board"),
    ("SODERMALM", "district_board"),
    ("FARSTA", "district_board"),
    ("SKARPNACK", "district_board"),
]
ORG_WEIGHTS = (0.16, 0.30, 0.20, 0.18, 0.16)  # the busiest board (NORRMALM) is the one timed
#: Share of cases per type; agreement cases end in termination or rescission about a third of the time.
MIX = [
    ("follow_up", 0.30),
    ("deviation", 0.18),
    ("complaint", 0.10),
    ("rectification_request", 0.10),
    ("call_off_suspension", 0.05),
    ("agreement", 0.04),
    ("control_check", 0.13),
    ("implementation_plan", 0.05),
    ("monthly_report", 0.05),
]
AREAS = 10
PROVIDERS = 300
AGREEMENTS_PER_ORG = 200
DECISIONS = {  # (case_type, status reached) -> (trigger, decision kind)
    ("call_off_suspension", "active"): ("decide", "temporary_exclusion"),
    ("call_off_suspension", "lifted"): ("decide", "temporary_exclusion"),
    ("agreement", "terminated"): ("terminate", "terminate_agreement"),
    ("agreement", "rescinded"): ("rescind", "rescind_agreement"),
    ("rectification_request", "sent"): ("send", "request_supplementation"),
    ("rectification_request", "approved"): ("send", "request_supplementation"),
}
CASE_COLS = (
    "id",
    "case_type",
    "kind",
    "status",
    "version",
    "organisation_id",
    "provider_id",
    "agreement_id",
    "placement_id",
    "contract_area_id",
    "parent_case_id",
    "owner_id",
    "title",
    "in_house",
    "plan_year",
    "outcome",
    "reason_code",
    "topic",
    "initiator",
    "attributes",
    "opened_at",
    "updated_at",
    "closed_at",
    "opened_on",
    "last_occurred_on",
)
EVENT_COLS = (
    "id",
    "organisation_id",
    "seq",
    "case_id",
    "trigger",
    "from_status",
    "to_status",
    "actor_id",
    "actor_role",
    "reason",
    "decision_kind",
    "mandate",
    "registry_number",
    "params",
    "occurred_at",
    "occurred_on",
    "prev_hash",
    "hash",
)
DECISION_COLS = (
    "id",
    "organisation_id",
    "case_id",
    "event_id",
    "decision_kind",
    "decided_by_id",
    "role",
    "delegation_order_id",
    "rule_ref",
    "substitute",
    "under_delegation",
    "registry_number",
    "decided_at",
    "decided_on",
    "reason_code",
    "initiator",
)


@dataclass
class Rows:
    cases: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    decisions: list[tuple[Any, ...]]


class Generator:
    """Deterministic rows for the register, produced in chunks."""

    def __init__(self, total: int, seed: int = 2026) -> None:
        self.total = total
        self.rng = random.Random(seed)
        self.case_id = self.event_id = self.decision_id = 0
        self.seq = dict.fromkeys(range(1, len(ORGS) + 1), 0)
        self.types = [t for t, _ in MIX]
        self.weights = [w for _, w in MIX]
        self.finals = {name: sorted(spec.finals) for name, spec in CASE_TYPES.items()}
        self.states = {name: [str(s) for s in spec.states] for name, spec in CASE_TYPES.items()}

    def chunks(self, size: int) -> Iterator[Rows]:
        made = 0
        while made < self.total:
            n = min(size, self.total - made)
            yield self._chunk(n)
            made += n

    def _chunk(self, n: int) -> Rows:
        rng = self.rng
        cases, events, decisions = [], [], []
        for _ in range(n):
            self.case_id += 1
            cid = self.case_id
            org = rng.choices(range(1, len(ORGS) + 1), ORG_WEIGHTS)[0]
            year = rng.choice(YEARS)
            case_type = rng.choices(self.types, self.weights)[0]
            spec = CASE_TYPES.get(case_type)
            if spec is None:
                case_type, spec = "deviation", CASE_TYPES["deviation"]
            status = rng.choice(self.states[case_type])
            opened = datetime(year, 1, 1, 7, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 525_000))
            updated = opened + timedelta(days=rng.randrange(0, 60))
            kind = rng.choice(spec.kinds) if spec.kinds else None
            area = rng.randrange(1, AREAS + 1)
            agreement = (org - 1) * AGREEMENTS_PER_ORG + rng.randrange(1, AGREEMENTS_PER_ORG + 1)
            provider = (agreement * 7) % PROVIDERS + 1
            outcome = reason = topic = initiator = None
            plan_year = None
            if case_type == "follow_up":
                plan_year = year
                if status in ("assessed", "closed"):
                    outcome = rng.choice(CONTRACT_OUTCOMES)
                if status == "not_performed":
                    reason = rng.choice(NOT_PERFORMED_REASONS)
                if status != "planned":
                    topic = rng.choice(FINDING_TOPICS)
            elif case_type in ("deviation", "complaint", "rectification_request"):
                topic = rng.choice(FINDING_TOPICS) if status not in ("reported", "received", "drafted") else None
            elif case_type == "call_off_suspension":
                reason = rng.choice(EXCLUSION_REASONS)
            elif case_type == "agreement" and status in ("terminated", "rescinded"):
                reason = rng.choice(TERMINATION_REASONS if status == "terminated" else ("permit_not_applied",))
                initiator = rng.choice(("municipality", "provider", "mutual")) if status == "terminated" else None
            elif case_type == "control_check" and status in ("checked_no_remarks", "checked_with_remarks", "closed"):
                outcome = "remarks" if status == "checked_with_remarks" else "no_remarks"
            closed = updated if status in self.finals[case_type] else None
            cases.append(
                (
                    cid,
                    case_type,
                    kind,
                    status,
                    2,
                    org,
                    provider,
                    agreement,
                    None,
                    area,
                    None,
                    None,
                    "",
                    False,
                    plan_year,
                    outcome,
                    reason,
                    topic,
                    initiator,
                    "{}",
                    opened,
                    updated,
                    closed,
                    _day(opened),
                    _day(updated),
                )
            )
            events.append(self._event(org, cid, "open", None, spec.initial, opened, None))
            if status != spec.initial:
                decision = DECISIONS.get((case_type, status))
                trigger = decision[0] if decision else "move"
                eid = self._event(org, cid, trigger, spec.initial, status, updated, decision[1] if decision else None)
                events.append(eid)
                if decision:
                    self.decision_id += 1
                    board = decision[1] in ("terminate_agreement", "rescind_agreement")
                    decisions.append(
                        (
                            self.decision_id,
                            org,
                            cid,
                            eid[0],
                            decision[1],
                            None,
                            "board" if board else "department_head",
                            None,
                            "4.3",
                            False,
                            not board,
                            f"BEN-{year}-{self.decision_id:07d}",
                            updated,
                            _day(updated),
                            reason,
                            initiator,
                        )
                    )
        return Rows(cases, events, decisions)

    def _event(
        self, org: int, cid: int, trigger: str, src: str | None, dest: str, at: datetime, kind: str | None
    ) -> tuple[Any, ...]:
        self.event_id += 1
        self.seq[org] += 1
        return (
            self.event_id,
            org,
            self.seq[org],
            cid,
            trigger,
            src,
            dest,
            None,
            "contract_strategist",
            "bench",
            kind,
            "delegation order 2026-1 item 4.3" if kind else None,
            f"BEN-{self.event_id:08d}" if kind else None,
            "{}",
            at,
            _day(at),
            "0" * 64,
            f"{self.event_id:064x}",
        )


def _day(at: datetime) -> date:
    """The Stockholm date of an instant, as the engine dates an event recorded on the day it happened."""
    return at.astimezone(STOCKHOLM).date()


def reference_rows() -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    orgs = [(i, code, code.title(), kind, None if i == 1 else 1) for i, (code, kind) in enumerate(ORGS, start=1)]
    areas = [(i, f"area{i}", f"Contract area {i}", "LOU", 1) for i in range(1, AREAS + 1)]
    providers = [(i, f"559{i:03d}-{i:04d}", f"Provider {i} AB", False, None, None) for i in range(1, PROVIDERS + 1)]
    agreements = []
    for org in range(1, len(ORGS) + 1):
        for k in range(1, AGREEMENTS_PER_ORG + 1):
            aid = (org - 1) * AGREEMENTS_PER_ORG + k
            parent = k if org > 1 else None  # districts call off from the central board's agreements
            agreements.append(
                (
                    aid,
                    f"{ORGS[org - 1][0][:3]}-2021-{aid:05d}",
                    "framework_lou" if org == 1 else "call_off",
                    org,
                    (aid * 7) % PROVIDERS + 1,
                    (k % AREAS) + 1,
                    parent,
                    date(2021, 1, 1),
                    date(2027, 12, 31),
                    "active",
                    1_000_000,
                    None,
                )
            )
    return {
        "organisation": (("id", "code", "name", "kind", "parent_id"), orgs),
        "contract_area": (("id", "code", "name", "regime", "organisation_id"), areas),
        "provider": (("id", "org_number", "name", "in_house", "contact_email", "owner_organisation_id"), providers),
        "agreement": (
            (
                "id",
                "registry_number",
                "agreement_type",
                "organisation_id",
                "provider_id",
                "contract_area_id",
                "parent_id",
                "starts_on",
                "ends_on",
                "status",
                "purchase_value_sek",
                "case_id",
            ),
            agreements,
        ),
    }


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, date):
        return v.isoformat()
    return v


def load_sqlite(path: Path, total: int) -> float:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    t0 = time.perf_counter()
    con.execute("BEGIN")
    for table, (cols, rows) in reference_rows().items():
        con.executemany(
            f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})',
            [tuple(_sqlite_value(v) for v in r) for r in rows],
        )
    for chunk in Generator(total).chunks(100_000):
        for table, cols, rows in (
            ("case", CASE_COLS, chunk.cases),
            ("case_event", EVENT_COLS, chunk.events),
            ("decision", DECISION_COLS, chunk.decisions),
        ):
            con.executemany(
                f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})',
                [tuple(_sqlite_value(v) for v in r) for r in rows],
            )
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - t0


def _copy_value(v: Any) -> str:
    if v is None:
        return r"\N"
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def load_postgresql(schema: str, total: int) -> float:
    import psycopg

    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    t0 = time.perf_counter()
    with psycopg.connect(dsn, options=f"-csearch_path={schema}") as con:
        with con.cursor() as cur:

            def copy(table: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
                buf = io.StringIO()
                for r in rows:
                    buf.write("\t".join(_copy_value(v) for v in r))
                    buf.write("\n")
                with cur.copy(f'COPY "{table}" ({", ".join(cols)}) FROM STDIN') as cp:
                    cp.write(buf.getvalue())

            for table, (cols, rows) in reference_rows().items():
                copy(table, cols, rows)
            for chunk in Generator(total).chunks(100_000):
                copy("case", CASE_COLS, chunk.cases)
                copy("case_event", EVENT_COLS, chunk.events)
                copy("decision", DECISION_COLS, chunk.decisions)
            for table in ("organisation", "contract_area", "provider", "agreement", "case", "case_event", "decision"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))"
                )
        con.commit()
        con.autocommit = True
        con.execute("VACUUM ANALYZE")
    return time.perf_counter() - t0


@contextmanager
def database(kind: str, total: int) -> Iterator[tuple[Engine, float]]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "reports.db"
            engine = make_engine(f"sqlite:///{path}")
            upgrade(engine)
            engine.dispose()
            seconds = load_sqlite(path, total)
            engine = make_engine(f"sqlite:///{path}")
            try:
                yield engine, seconds
            finally:
                engine.dispose()
        return
    with scratch_schema(PG_URL, "bench") as schema:
        engine = make_engine(PG_URL, schema=schema, pool_size=2)
        try:
            upgrade(engine)
            seconds = load_postgresql(schema, total)
            yield engine, seconds
        finally:
            engine.dispose()


def time_report(engine: Engine, name: str, repeats: int) -> tuple[float, list[float], int]:
    def once() -> tuple[float, int]:
        t0 = time.perf_counter()
        with engine.connect() as conn:
            report = build_report(conn, name, 2, date(2025, 1, 1), date(2025, 12, 31))
        body = render(report, "json")
        return time.perf_counter() - t0, len(body)

    cold, size = once()
    return cold, [once()[0] for _ in range(repeats)], size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "all"], default="all")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    print(
        f"# report bench: {args.cases:,} cases over {YEARS.start}–{YEARS.stop - 1}, {len(ORGS)} boards; "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores"
    )
    kinds = ["sqlite", "postgresql"] if args.db == "all" else [args.db]
    for kind in kinds:
        with database(kind, args.cases) as (engine, load_s):
            with engine.connect() as conn:
                counts = {
                    t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar()
                    for t in ("case", "case_event", "decision")
                }
                in_scope = conn.execute(
                    text(
                        'SELECT count(*) FROM "case" WHERE organisation_id = 2 AND '
                        "(plan_year = 2025 OR (opened_at >= :a AND opened_at < :b))"
                    ),
                    {
                        "a": "2025-01-01" if kind == "sqlite" else datetime(2025, 1, 1, tzinfo=UTC),
                        "b": "2026-01-01" if kind == "sqlite" else datetime(2026, 1, 1, tzinfo=UTC),
                    },
                ).scalar()
            print(
                f"\n## {kind}: loaded {counts['case']:,} cases, {counts['case_event']:,} events, "
                f"{counts['decision']:,} decisions in {load_s:.1f} s; NORRMALM 2025 ≈ {in_scope:,} cases"
            )
            print("| report (NORRMALM, 2025, JSON) | cold s | warm median s | warm min s | JSON bytes | goal 1 s |")
            print("|---|---:|---:|---:|---:|---|")
            for name in ("annual", "terminations"):
                cold, warm, size = time_report(engine, name, args.repeats)
                med = statistics.median(warm)
                print(
                    f"| {name} | {cold:.3f} | {med:.3f} | {min(warm):.3f} | {size:,} | "
                    f"{'met' if max(cold, med) < 1 else 'MISSED'} ({med:.2f}× of goal) |"
                )


if __name__ == "__main__":
    main()
