"""The follow-up plan: risk scores from the documented formula, coverage flags, and a plan over every area."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from tests.world import World, build_world
from workflow.cases.opening import open_case
from workflow.reports.catalogue import build_report
from workflow.reports.model import Report
from workflow.reports.recording import set_follow_up_owner
from workflow.schema.db import new_id
from workflow.schema.tables import Agreement, ContractArea, Placement

pytestmark = pytest.mark.integration
REF = date(2027, 1, 1)


@dataclass
class PlanWorld:
    w: World
    areas: dict[str, int]
    calloffs: dict[str, int]


def _close_follow_up(w: World, agreement: int, when: datetime, plan_year: int) -> None:
    w.clock.now = when
    a = w.actor("NORTH", "contract_strategist")
    cid = open_case(
        w.wf, "follow_up", a, "plan", kind="planned_special", agreement_id=agreement, plan_year=plan_year
    ).case_id
    for trig, params in (
        ("start", None),
        ("record_findings", None),
        ("assess", {"outcome": "compliant"}),
        ("close", None),
    ):
        w.wf.fire(cid, trig, a, trig, params=params)


def _setup(engine: Engine) -> PlanWorld:
    w = build_world(engine)
    T = lambda m: m.__table__  # noqa: E731
    areas: dict[str, int] = {}
    calloffs: dict[str, int] = {}
    with engine.begin() as conn:
        for code, regime in (("X", "LOU"), ("Y", "LOV")):
            areas[code] = new_id(
                conn.execute(
                    insert(T(ContractArea)).values(
                        code=code, name=f"Area {code}", regime=regime, organisation_id=w.orgs["CENTRAL"]
                    )
                )
            )
            fw = new_id(
                conn.execute(
                    insert(T(Agreement)).values(
                        registry_number=f"CEN-2024-9{code}",
                        agreement_type="framework_lou" if regime == "LOU" else "lov",
                        organisation_id=w.orgs["CENTRAL"],
                        provider_id=w.providers["Acme Care AB"],
                        contract_area_id=areas[code],
                        starts_on=date(2024, 1, 1),
                        ends_on=date(2028, 12, 31),
                    )
                )
            )
            for prov, value in (
                (("Acme Care AB", 3_000_000), ("Beta Stöd AB", 2_000_000))
                if code == "X"
                else (("Beta Stöd AB", 500_000),)
            ):
                calloffs[f"{code}:{prov}"] = new_id(
                    conn.execute(
                        insert(T(Agreement)).values(
                            registry_number=f"NOR-2024-{len(calloffs):03d}",
                            agreement_type="call_off",
                            organisation_id=w.orgs["NORTH"],
                            provider_id=w.providers[prov],
                            contract_area_id=areas[code],
                            parent_id=fw,
                            starts_on=date(2024, 1, 1),
                            ends_on=date(2028, 12, 31),
                            purchase_value_sek=value,
                        )
                    )
                )
        for ends in (date(2026, 6, 1), None):
            conn.execute(
                insert(T(Placement)).values(
                    organisation_id=w.orgs["NORTH"],
                    agreement_id=calloffs["X:Beta Stöd AB"],
                    provider_id=w.providers["Beta Stöd AB"],
                    client_ref="KL-9",
                    gender="female",
                    starts_on=date(2026, 1, 1),
                    ends_on=ends,
                )
            )
        set_follow_up_owner(
            conn,
            w.orgs["NORTH"],
            w.providers["Acme Care AB"],
            w.users[("NORTH", "contract_strategist")],
            date(2025, 1, 1),
        )
        set_follow_up_owner(
            conn, w.orgs["NORTH"], w.providers["Beta Stöd AB"], w.users[("NORTH", "unit_manager")], date(2025, 1, 1)
        )
    sw = w.actor("NORTH", "social_worker")
    for _ in range(2):
        open_case(
            w.wf, "deviation", sw, "late report", kind="late_delivery", agreement_id=w.agreements["north_calloff"]
        )
    open_case(w.wf, "complaint", sw, "relative complains", kind="relative", agreement_id=calloffs["X:Beta Stöd AB"])
    _close_follow_up(w, w.agreements["north_calloff"], datetime(2026, 3, 2, 9, tzinfo=UTC), 2026)
    _close_follow_up(w, calloffs["X:Beta Stöd AB"], datetime(2022, 5, 2, 9, tzinfo=UTC), 2022)
    return PlanWorld(w, areas, calloffs)


def _plan(pw: PlanWorld, **options: int) -> Report:
    with pw.w.engine.connect() as conn:
        return build_report(conn, "plan", pw.w.orgs["NORTH"], REF, date(2029, 12, 31), options=options or None)


def _score(
    value: float, v_max: float, placements: int, p_max: int, signals: int, d_max: int, last: date | None
) -> float:
    years = 5.0 if last is None else min(5.0, (REF - last).days / 365.25)
    return round(
        100 * (0.25 * value / v_max + 0.20 * placements / p_max + 0.30 * signals / d_max + 0.25 * years / 5), 1
    )


def test_risk_scores_follow_the_documented_formula(engine: Engine) -> None:
    pw = _setup(engine)
    rows = {(r["area"], r["provider"]): r for r in _plan(pw).table("risk_ranking").rows}
    acme_last, beta_last = date(2026, 3, 2), date(2022, 5, 2)
    # V max 3,000,000; P: Acme 1 (the world's placement), Beta 1 (one of two still running); D: Acme 2 deviations,
    # Beta 1 complaint counted twice; T from the last performed follow-up.
    want = {
        ("HVB barn", "Acme Care AB"): _score(1e6, 3e6, 1, 1, 2, 2, acme_last),
        ("HVB barn", "Egen regi enhet (in-house)"): _score(1e6, 3e6, 0, 1, 0, 2, None),
        ("Area X", "Acme Care AB"): _score(3e6, 3e6, 1, 1, 2, 2, acme_last),
        ("Area X", "Beta Stöd AB"): _score(2e6, 3e6, 1, 1, 2, 2, beta_last),
        ("Area Y", "Beta Stöd AB"): _score(5e5, 3e6, 1, 1, 2, 2, beta_last),
    }
    assert {k: v["score"] for k, v in rows.items()} == want
    assert rows[("Area X", "Beta Stöd AB")]["complaints"] == 1
    assert rows[("HVB barn", "Acme Care AB")]["deviations"] == 2
    assert rows[("Area X", "Beta Stöd AB")]["placements"] == 1


def test_coverage_flags_areas_without_a_special_follow_up_and_units_without_owner_or_recent_follow_up(
    engine: Engine,
) -> None:
    pw = _setup(engine)
    report = _plan(pw)
    areas = {r["area"]: r["flag"] for r in report.table("coverage_areas").rows}
    assert areas["HVB barn"] == ""  # followed up in 2026, inside its 2024–2027 framework period
    assert areas["Area X"] == "No special follow-up in the contract period"  # 2022 is before its period
    assert areas["Area Y"] == "No special follow-up in the contract period"
    units = {r["unit"]: r["flags"] for r in report.table("coverage_units").rows}
    assert units["Acme Care AB"] == ""
    assert units["Beta Stöd AB"] == "no follow-up for 3 years or more"
    assert units["Egen regi enhet"] == "no responsible follow-up owner; never followed up"
    relaxed = {r["unit"]: r["flags"] for r in _plan(pw, max_years_without_follow_up=5).table("coverage_units").rows}
    assert relaxed["Beta Stöd AB"] == ""


def test_the_plan_puts_every_area_in_a_year_and_uncovered_areas_first(engine: Engine) -> None:
    pw = _setup(engine)
    rows = _plan(pw, top=1).table("plan").rows
    assert sorted(r["area"] for r in rows) == ["Area X", "Area Y", "HVB barn"]
    per_year: dict[int, int] = {}
    for r in rows:
        per_year[r["year"]] = per_year.get(r["year"], 0) + 1
        assert r["selected"].count(",") == 0  # top=1
    assert max(per_year.values()) <= math.ceil(3 / 3)
    by_area: dict[str, Any] = {r["area"]: r for r in rows}
    assert by_area["HVB barn"]["year"] == 2029  # the only covered area goes last
    assert by_area["Area X"]["year"] <= 2028 and by_area["Area Y"]["year"] <= 2028  # before their periods end
    assert by_area["Area Y"]["responsible"].endswith("with the district boards (visits)")


def test_follow_ups_already_planned_stay_in_their_year(engine: Engine) -> None:
    pw = _setup(engine)
    w = pw.w
    w.clock.now = datetime(2026, 6, 1, 9, tzinfo=UTC)
    open_case(
        w.wf,
        "follow_up",
        w.actor("NORTH", "contract_strategist"),
        "plan",
        kind="planned_special",
        agreement_id=pw.calloffs["Y:Beta Stöd AB"],
        plan_year=2028,
    )
    rows = [r for r in _plan(pw).table("plan").rows if r["area"] == "Area Y"]
    assert [(r["year"], r["status"]) for r in rows] == [(2028, "already planned (1 follow-up)")]


def test_plan_options_are_checked(engine: Engine) -> None:
    from workflow.engine.errors import InvalidInput

    pw = _setup(engine)
    with pytest.raises(InvalidInput):
        _plan(pw, top=0)
    with pytest.raises(InvalidInput), pw.w.engine.connect() as conn:
        build_report(conn, "annual", pw.w.orgs["NORTH"], REF, date(2027, 12, 31), options={"top": 2})


def test_a_follow_up_recorded_after_the_fact_counts_from_the_day_its_findings_were_made(engine: Engine) -> None:
    """Risk's time since the last follow-up runs from when the visit happened, not from when it was typed in."""
    pw = _setup(engine)
    w = pw.w
    provider = w.providers["Beta Stöd AB"]
    before = {r["provider"]: r for r in _plan(pw).table("risk_ranking").rows if r["area"] == "Area Y"}
    w.clock.now = datetime(2026, 11, 30, 9, tzinfo=UTC)  # recorded in November 2026 …
    a = w.actor("NORTH", "contract_strategist")
    cid = open_case(
        w.wf, "follow_up", a, "plan", kind="planned_special", agreement_id=pw.calloffs["Y:Beta Stöd AB"],
        plan_year=2024, occurred_on=date(2024, 3, 1), late_reason="entered from the paper file",
    ).case_id  # fmt: skip
    on = date(2024, 4, 2)  # … for a visit in April 2024, assessed later that spring
    w.wf.fire(cid, "start", a, "start", occurred_on=on, late_reason="paper file")
    w.wf.fire(cid, "record_findings", a, "findings", occurred_on=on, late_reason="paper file")
    w.wf.fire(cid, "assess", a, "assess", params={"outcome": "compliant"}, occurred_on=date(2024, 5, 6),
              late_reason="paper file")  # fmt: skip
    after = {r["provider"]: r for r in _plan(pw).table("risk_ranking").rows if r["area"] == "Area Y"}
    assert provider and before["Beta Stöd AB"]["last_follow_up"] != on
    assert after["Beta Stöd AB"]["last_follow_up"] == on
