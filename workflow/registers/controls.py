"""Recurring controls (återkommande kontroller) opened by the scheduler, from configuration.

``workflow/data/recurring_controls.yaml`` names each control, its interval, whom it covers
and its source. For each control, subject and period the job opens one ``control_check``
case; the ``scheduled_opening`` row with the unique key (control, subject, period) is
inserted first, so a control is opened once per period whoever runs the job and however
often. Only periods that have begun are opened; missed earlier periods of provider controls
are not backfilled (the current period's control is the one to do). A placement's
reconsideration is a duty per round (SoL 6:8): if the last round fell due while the placement
was registered and no case was opened for it (the scheduler was down throughout its opening
window), it is opened late, due today, saying when it fell due.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, and_, or_, select

from states.control_check import CONTROLS
from workflow import yaml_files
from workflow.cases.opening import open_case
from workflow.clock import utcnow
from workflow.deadlines.calendar import add_days, local_date
from workflow.deadlines.scheduled import OPENING, claim_opening, first_user_with_role, set_opening_case
from workflow.engine.errors import InvalidInput
from workflow.engine.firing import Actor, Workflow
from workflow.pacing import DutyCycle
from workflow.schema.db import write
from workflow.schema.tables import AGREEMENT, AREA, PLACEMENT, PROVIDER

log = structlog.get_logger("workflow.registers.controls")

DEFAULT_FILE = Path(__file__).parent.parent / "data" / "recurring_controls.yaml"
SUBJECTS = ("framework_providers", "contracted_providers", "placements")


@dataclass(frozen=True, slots=True)
class Control:
    """One configured recurring control."""

    id: str
    label: str
    source: str
    every_months: int
    subjects: str
    owner_role: str
    agreement_types: tuple[str, ...] = ()
    contract_areas: tuple[str, ...] = ()
    working_days_to_complete: int = 30
    lead_days: int = 30


@lru_cache(maxsize=4)
def load(path: Path = DEFAULT_FILE) -> dict[str, Any]:
    """The configuration file, checked; raises :class:`InvalidInput` naming what is wrong."""
    raw = yaml_files.safe_load(path.read_text(encoding="utf-8")) or {}
    controls = []
    for item in raw.get("controls", []):
        try:
            c = Control(
                id=item["id"],
                label=item["label"],
                source=item["source"],
                every_months=int(item["every_months"]),
                subjects=item["subjects"],
                owner_role=item["owner_role"],
                agreement_types=tuple(item.get("agreement_types", ())),
                contract_areas=tuple(item.get("contract_areas", ())),
                working_days_to_complete=int(item.get("working_days_to_complete", 30)),
                lead_days=int(item.get("lead_days", 30)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"{path.name}: control {item!r} is incomplete: {exc}") from exc
        if c.id not in CONTROLS:
            raise InvalidInput(f"{path.name}: unknown control {c.id!r}; one of {', '.join(CONTROLS)}")
        if c.subjects not in SUBJECTS or c.every_months not in (1, 2, 3, 4, 6, 12):
            raise InvalidInput(f"{path.name}: control {c.id!r} has bad subjects or interval")
        if not c.source.strip():
            raise InvalidInput(f"{path.name}: control {c.id!r} names no source")
        controls.append(c)
    return {
        "version": str(raw.get("version", "")),
        "controls": tuple(controls),
        "deliveries": raw.get("deliveries", {}),
    }


def period_of(day: date, every_months: int) -> tuple[str, date]:
    """The calendar period containing ``day`` and its first day (``2026-H1``, ``2026``, ``2026-Q3``, ``2026-M05``)."""
    index = (day.month - 1) // every_months
    first = date(day.year, index * every_months + 1, 1)
    if every_months == 12:
        return str(day.year), first
    if every_months == 6:
        return f"{day.year}-H{index + 1}", first
    if every_months == 3:
        return f"{day.year}-Q{index + 1}", first
    return f"{day.year}-M{first.month:02d}", first


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's last day."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def run_controls(
    engine: Engine,
    clock: Callable[[], datetime] = utcnow,
    path: Path = DEFAULT_FILE,
    pace: DutyCycle | None = None,
) -> int:
    """Open every control case due now that is not open yet; return how many were opened.

    ``pace`` (the scheduler's duty cycle) rests after each opening: a period's first run opens a case for every
    provider at once (290 in the cluster bench), one transaction each.
    """
    cfg = load(path)
    wf = Workflow(engine, clock)
    today = local_date(clock())
    opened = 0
    for control in cfg["controls"]:
        with engine.connect() as conn:
            subjects = list(_subjects(conn, control, today))
        for kind, subject_id, org, period, due, extra in subjects:
            started = pace.timer() if pace is not None else 0.0
            with write(engine) as conn:
                if not claim_opening(conn, control.id, kind, subject_id, period, org, clock()):
                    continue
                owner = extra.get("owner_id") or first_user_with_role(conn, org, control.owner_role)
                missed: date | None = extra.get("missed_due")
                late = f", missed: fell due {missed.isoformat()}" if missed else ""
                case = open_case(
                    wf,
                    "control_check",
                    Actor.system(org),
                    f"Recurring control {control.id} for {period} ({control.source}){late}",
                    kind=control.id,
                    title=f"{control.label} {period}{late}"[:300],
                    provider_id=subject_id if kind == "provider" else None,
                    placement_id=subject_id if kind == "placement" else None,
                    owner_id=owner,
                    params={"due_date": due.isoformat()},
                    conn=conn,
                )
                set_opening_case(conn, control.id, kind, subject_id, period, case.case_id)
                opened += 1
            if pace is not None:
                pace.rest_after(pace.timer() - started)
    if opened:
        log.info("controls.opened", count=opened)
    return opened


def _subjects(conn: Connection, c: Control, today: date) -> Iterator[tuple[str, int, int, str, date, dict[str, Any]]]:
    if c.subjects == "placements":
        yield from _placements(conn, c, today)
        return
    period, _ = period_of(today, c.every_months)
    due = add_days(today, c.working_days_to_complete, True)
    active = and_(
        AGREEMENT.c.status == "active",
        AGREEMENT.c.starts_on <= today,
        or_(AGREEMENT.c.ends_on.is_(None), AGREEMENT.c.ends_on >= today),
    )
    q = (
        select(AGREEMENT.c.provider_id, AGREEMENT.c.organisation_id)
        .join(PROVIDER, PROVIDER.c.id == AGREEMENT.c.provider_id)
        .where(active, PROVIDER.c.in_house.is_(False))
        .order_by(AGREEMENT.c.provider_id, AGREEMENT.c.organisation_id)
    )
    if c.subjects == "framework_providers":
        q = q.where(AGREEMENT.c.agreement_type.in_(c.agreement_types or ("framework_lou", "lov")))
        if c.contract_areas:
            q = q.join(AREA, AREA.c.id == AGREEMENT.c.contract_area_id).where(AREA.c.code.in_(c.contract_areas))
    seen: set[int] = set()
    for provider_id, org in conn.execute(q):
        if provider_id not in seen:
            seen.add(provider_id)
            yield "provider", provider_id, org, period, due, {}


def _placements(conn: Connection, c: Control, today: date) -> Iterator[tuple[str, int, int, str, date, dict[str, Any]]]:
    rows = conn.execute(
        select(
            PLACEMENT.c.id,
            PLACEMENT.c.organisation_id,
            PLACEMENT.c.starts_on,
            PLACEMENT.c.social_worker_id,
            PLACEMENT.c.registered_at,
        )
        .where(PLACEMENT.c.starts_on <= today, or_(PLACEMENT.c.ends_on.is_(None), PLACEMENT.c.ends_on >= today))
        .order_by(PLACEMENT.c.id)
    )
    opened = {
        (subject, period)
        for subject, period in conn.execute(
            select(OPENING.c.subject_id, OPENING.c.period).where(
                OPENING.c.control == c.id, OPENING.c.subject_kind == "placement"
            )
        )
    }
    for pid, org, starts_on, worker, registered_at in rows:
        n = 1
        while add_months(starts_on, c.every_months * n) < today:
            n += 1
        due = add_months(starts_on, c.every_months * n)
        if (due - today).days <= c.lead_days:
            yield "placement", pid, org, f"R{n}", due, {"owner_id": worker}
        # The round before fell due while the placement was registered, and nobody opened it: open it now.
        last = n - 1
        if last >= 1 and registered_at is not None and (pid, f"R{last}") not in opened:
            fell_due = add_months(starts_on, c.every_months * last)
            if local_date(registered_at) <= fell_due:
                yield "placement", pid, org, f"R{last}", today, {"owner_id": worker, "missed_due": fell_due}
