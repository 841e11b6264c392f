"""Risk-based selection of providers for follow-up (riskbaserat urval), domain.md §3.3.

For each provider the board has an active agreement with, four inputs are read:

* ``V`` purchase value: the sum of the board's active agreements' purchase values;
* ``P`` placements: placements at the provider running on the reference date;
* ``D`` signals: deviations plus twice the complaints opened in the 24 months before it
  (a complaint comes from outside the administration and weighs more);
* ``T`` time since the provider's last performed follow-up, in years, capped at 5
  (never followed up counts as 5).

Each of V, P and D is divided by the largest value among the candidates (0 when all are 0);
T is divided by 5. The score is ``100 × (0.25·V + 0.20·P + 0.30·D + 0.25·T)``, from 0 to 100.
A board sees its own placements and signals; the central board sees counts over every
board (aggregates only, never the rows).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, and_, func, or_, select

from workflow.reports.scope import Scope
from workflow.schema.tables import AGREEMENT, CASE, EVENT, PLACEMENT, PROVIDER

WEIGHTS = {"value": 0.25, "placements": 0.20, "signals": 0.30, "time": 0.25}
MAX_YEARS = 5.0
PERFORMED = ("findings_recorded", "awaiting_provider", "assessed", "closed")
LIVE = ("active", "suspended", "termination_investigation")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A provider with its risk inputs and score, in one contract area."""

    provider_id: int
    name: str
    in_house: bool
    area_id: int | None
    purchase_value: int
    placements: int
    deviations: int
    complaints: int
    last_follow_up: date | None
    years_since: float
    score: float


def candidates(conn: Connection, scope: Scope, ref: date) -> list[Candidate]:
    """Every provider with a live agreement of the board (in-house units included), scored, best first."""
    org = scope.organisation_id
    agreements = conn.execute(
        select(AGREEMENT.c.provider_id, AGREEMENT.c.contract_area_id, func.sum(AGREEMENT.c.purchase_value_sek))
        .where(
            AGREEMENT.c.organisation_id == org,
            AGREEMENT.c.status.in_(LIVE),
            or_(AGREEMENT.c.ends_on.is_(None), AGREEMENT.c.ends_on >= ref),
        )
        .group_by(AGREEMENT.c.provider_id, AGREEMENT.c.contract_area_id)
    ).all()
    owned = conn.execute(
        select(PROVIDER.c.id).where(PROVIDER.c.in_house.is_(True), PROVIDER.c.owner_organisation_id == org)
    ).all()
    per: dict[tuple[int, int | None], int] = {(r[0], r[1]): int(r[2] or 0) for r in agreements}
    for (pid,) in owned:
        if not any(k[0] == pid for k in per):
            per[(pid, None)] = 0
    if not per:
        return []
    ids = sorted({k[0] for k in per})
    names = {
        r.id: (r.name, bool(r.in_house))
        for r in conn.execute(select(PROVIDER.c.id, PROVIDER.c.name, PROVIDER.c.in_house).where(PROVIDER.c.id.in_(ids)))
    }
    everyone = scope.kind == "central_board"
    placements = _count_placements(conn, org, ids, ref, everyone)
    signals = _count_signals(conn, org, ids, ref, everyone)
    last = _last_follow_up(conn, ids)
    v_max = max(per.values()) or 1
    p_max = max(placements.values(), default=0) or 1
    d_max = max((signals[p]["deviation"] + 2 * signals[p]["complaint"] for p in ids), default=0) or 1
    out = []
    for (pid, area), value in per.items():
        seen = last.get(pid)
        years = MAX_YEARS if seen is None else min(MAX_YEARS, max(0.0, (ref - seen).days / 365.25))
        d = signals[pid]["deviation"] + 2 * signals[pid]["complaint"]
        score = 100 * (
            WEIGHTS["value"] * value / v_max
            + WEIGHTS["placements"] * placements.get(pid, 0) / p_max
            + WEIGHTS["signals"] * d / d_max
            + WEIGHTS["time"] * years / MAX_YEARS
        )
        name, in_house = names[pid]
        out.append(
            Candidate(
                pid,
                name,
                in_house,
                area,
                value,
                placements.get(pid, 0),
                signals[pid]["deviation"],
                signals[pid]["complaint"],
                seen,
                round(years, 1),
                round(score, 1),
            )
        )
    out.sort(key=lambda c: (-c.score, c.name))
    return out


def _count_placements(conn: Connection, org: int, ids: list[int], ref: date, everyone: bool) -> dict[int, int]:
    q = (
        select(PLACEMENT.c.provider_id, func.count())
        .where(
            PLACEMENT.c.provider_id.in_(ids),
            PLACEMENT.c.starts_on <= ref,
            or_(PLACEMENT.c.ends_on.is_(None), PLACEMENT.c.ends_on >= ref),
        )
        .group_by(PLACEMENT.c.provider_id)
    )
    if not everyone:
        q = q.where(PLACEMENT.c.organisation_id == org)
    return {r[0]: int(r[1]) for r in conn.execute(q)}


def _count_signals(conn: Connection, org: int, ids: list[int], ref: date, everyone: bool) -> dict[int, dict[str, int]]:
    since = ref - timedelta(days=730)
    q = (
        select(CASE.c.provider_id, CASE.c.case_type, func.count())
        .where(
            CASE.c.provider_id.in_(ids),
            CASE.c.case_type.in_(("deviation", "complaint")),
            and_(CASE.c.opened_on >= since, CASE.c.opened_on <= ref),
        )
        .group_by(CASE.c.provider_id, CASE.c.case_type)
    )
    if not everyone:
        q = q.where(CASE.c.organisation_id == org)
    out: dict[int, dict[str, int]] = defaultdict(lambda: {"deviation": 0, "complaint": 0})
    for pid, case_type, n in conn.execute(q):
        out[pid][case_type] = int(n)
    return out


def _last_follow_up(conn: Connection, ids: list[int]) -> dict[int, date]:
    """The date of each provider's latest performed follow-up by any board (a contract-level fact).

    A follow-up is performed on the day its findings were recorded as happening (the event's ``occurred_on``),
    so a visit recorded afterwards counts from the day it took place.
    """
    q = (
        select(CASE.c.provider_id, func.max(EVENT.c.occurred_on))
        .join(EVENT, EVENT.c.case_id == CASE.c.id)
        .where(
            EVENT.c.from_status == "in_progress",
            EVENT.c.to_status == "findings_recorded",
            CASE.c.provider_id.in_(ids),
            CASE.c.case_type == "follow_up",
            CASE.c.kind != "continuous",
            CASE.c.status.in_(PERFORMED),
        )
        .group_by(CASE.c.provider_id)
    )
    out = {}
    for pid, on in conn.execute(q):
        if isinstance(on, str):  # SQLite's MAX() hands back the stored text
            on = date.fromisoformat(on)
        if on is not None:
            out[pid] = on
    return out
