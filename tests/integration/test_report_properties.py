"""Property: whatever mix of follow-ups a year holds, the annual report's counts and percentages match it.

Hypothesis draws the follow-ups (area, how far each got, its outcome); each example
drives them through the workflow under its own plan year, so examples never mix.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert

from states.vocab import CONTRACT_OUTCOMES
from tests.world import World, build_world
from workflow.cases.opening import open_case
from workflow.reports.catalogue import build_report
from workflow.reports.model import pct
from workflow.schema.db import new_id
from workflow.schema.tables import Agreement, ContractArea

pytestmark = pytest.mark.integration
PATHS = {
    "planned": [],
    "in_progress": ["start"],
    "findings_recorded": ["start", "record_findings"],
    "assessed": ["start", "record_findings", "assess"],
    "closed": ["start", "record_findings", "assess", "close"],
    "not_performed": ["mark_not_performed"],
}
PERFORMED = {"findings_recorded", "assessed", "closed"}
follow_ups = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(sorted(PATHS)), st.sampled_from(CONTRACT_OUTCOMES)),
    max_size=10,
)


def _agreements(w: World) -> list[tuple[str, int]]:
    out = []
    with w.engine.begin() as conn:
        for i in range(3):
            area = new_id(
                conn.execute(
                    insert(ContractArea.__table__).values(  # type: ignore[attr-defined]
                        code=f"p{i}", name=f"Area {i}", regime="LOU", organisation_id=w.orgs["CENTRAL"]
                    )
                )
            )
            out.append(
                (
                    f"Area {i}",
                    new_id(
                        conn.execute(
                            insert(Agreement.__table__).values(  # type: ignore[attr-defined]
                                registry_number=f"NOR-P-{i}",
                                agreement_type="call_off",
                                organisation_id=w.orgs["NORTH"],
                                provider_id=w.providers["Acme Care AB"],
                                contract_area_id=area,
                                starts_on=date(2024, 1, 1),
                            )
                        )
                    ),
                )
            )
    return out


def test_planned_performed_and_outcome_figures_match_any_year(engine: Engine) -> None:
    w = build_world(engine)
    agreements = _agreements(w)
    years = itertools.count(2016)
    actor = w.actor("NORTH", "contract_strategist")

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(plan=follow_ups)
    def check(plan: list[tuple[int, str, str]]) -> None:
        year = next(years)
        planned: dict[str, Counter[str]] = defaultdict(Counter)
        outcomes: dict[str, Counter[str]] = defaultdict(Counter)
        for area_i, target, outcome in plan:
            area, agreement = agreements[area_i]
            cid = open_case(
                w.wf, "follow_up", actor, "plan", kind="planned_special", agreement_id=agreement, plan_year=year
            ).case_id
            for trig in PATHS[target]:
                params = {"outcome": outcome} if trig == "assess" else None
                if trig == "mark_not_performed":
                    params = {"not_performed_reasons": ["provider_cancelled_visit"]}
                w.wf.fire(cid, trig, actor, trig, params=params)
            planned[area]["planned"] += 1
            planned[area][
                "performed" if target in PERFORMED else "not_performed" if target == "not_performed" else "ongoing"
            ] += 1
            if target in ("assessed", "closed"):
                outcomes[area][outcome] += 1
        with engine.connect() as conn:
            report = build_report(conn, "annual", w.orgs["NORTH"], date(year, 1, 1), date(year, 12, 31))
        rows = {r["area"]: r for r in report.table("planned_vs_performed").rows if r["area"] != "Total"}
        assert {a: (r["planned"], r["performed"], r["ongoing"], r["not_performed"]) for a, r in rows.items()} == {
            a: (c["planned"], c["performed"], c["ongoing"], c["not_performed"]) for a, c in planned.items()
        }
        got = {r["area"]: r for r in report.table("outcomes").rows}
        assert set(got) == set(outcomes)
        for area, c in outcomes.items():
            n = sum(c.values())
            assert got[area]["n"] == n
            assert [got[area][o] for o in CONTRACT_OUTCOMES] == [c[o] for o in CONTRACT_OUTCOMES]
            assert [got[area][f"{o}_pct"] for o in CONTRACT_OUTCOMES] == [pct(c[o], n) for o in CONTRACT_OUTCOMES]
            assert abs(sum(got[area][f"{o}_pct"] for o in CONTRACT_OUTCOMES) - 100) <= 0.2

    check()
