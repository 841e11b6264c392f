"""The terminated-agreements and delegation-decision reports: exactly the period, only the board's own."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from tests.report_scenario import AREAS, build_year
from tests.world import build_world
from workflow.cases.opening import open_case
from workflow.engine.errors import NotFound
from workflow.engine.firing import Actor
from workflow.reports.catalogue import build_report
from workflow.reports.model import Report

pytestmark = pytest.mark.integration


def _report(engine: Engine, name: str, viewer: int, start: date, end: date, org: int | None = None) -> Report:
    with engine.connect() as conn:
        return build_report(conn, name, viewer, start, end, org)


def test_the_terminations_report_lists_exactly_the_agreements_ended_in_the_period(engine: Engine) -> None:
    s = build_year(engine, 11)
    north = s.w.orgs["NORTH"]
    rows = _report(engine, "terminations", north, date(2026, 1, 1), date(2026, 12, 31)).table("ended_agreements").rows
    assert [r["registry_number"] for r in rows] == [e["registry_number"] for e in s.exp.ended]
    assert not {r["registry_number"] for r in rows} & set(s.exp.other_org_ended)
    for got, want in zip(rows, s.exp.ended, strict=True):
        assert got["date"] == want["date"]
        assert got["measure"].startswith("Termination" if want["measure_code"] == "terminated" else "Rescission")
        assert (got["area"], got["reason"], got["initiator"], got["framework"]) == (
            want["area"],
            want["reason"],
            want["initiator"],
            want["framework"],
        )
        assert got["provider"] == "Beta Stöd AB"
        assert got["decided_by"] == "board of NORTH"
        assert got["mandate"].startswith("The board itself")
    by_reason = _report(engine, "terminations", north, date(2026, 1, 1), date(2026, 12, 31)).table("by_reason").rows
    assert sum(r["total"] for r in by_reason) == len(s.exp.ended)


def test_a_termination_late_on_new_years_eve_belongs_to_that_year_in_stockholm(engine: Engine) -> None:
    w = build_world(engine)
    north = w.orgs["NORTH"]
    cid = open_case(
        w.wf,
        "agreement",
        w.actor("NORTH", "contract_strategist"),
        "register",
        agreement_id=w.agreements["north_calloff"],
    ).case_id
    w.clock.now = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)  # 23:30 in Stockholm
    w.wf.fire(
        cid,
        "terminate",
        w.actor("NORTH", "board"),
        "wound down",
        registry_number="NOR-2026-00999",
        params={"termination_reason": "wound_down", "initiator": "provider"},
    )
    in_2026 = _report(engine, "terminations", north, date(2026, 1, 1), date(2026, 12, 31))
    in_2027 = _report(engine, "terminations", north, date(2027, 1, 1), date(2027, 12, 31))
    assert [r["registry_number"] for r in in_2026.table("ended_agreements").rows] == ["NOR-2026-00999"]
    assert in_2027.table("ended_agreements").rows == []
    row = in_2026.table("ended_agreements").rows[0]
    assert (row["date"], row["initiator"], row["reason"]) == (
        date(2026, 12, 31),
        "Provider",
        "Wound down",
    )


def test_the_other_boards_terminations_are_not_found_from_a_district(engine: Engine) -> None:
    s = build_year(engine, 2)
    with pytest.raises(NotFound):
        _report(engine, "terminations", s.w.orgs["NORTH"], date(2026, 1, 1), date(2026, 12, 31), s.w.orgs["SOUTH"])
    south = _report(engine, "terminations", s.w.orgs["SOUTH"], date(2026, 1, 1), date(2026, 12, 31))
    assert [r["registry_number"] for r in south.table("ended_agreements").rows] == s.exp.other_org_ended


def _sanction_on_a_placement(w: object) -> str:
    from tests.world import World

    assert isinstance(w, World)
    cid = open_case(
        w.wf,
        "implementation_plan",
        w.actor("NORTH", "social_worker"),
        "plan requested",
        placement_id=w.placements["north"],
        params={"due_date": "2026-03-10"},
    ).case_id
    w.clock.now = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    system = Actor.system(w.orgs["NORTH"])
    w.wf.fire(cid, "mark_overdue", system, "due date passed")
    w.wf.fire(cid, "flag_for_sanction", system, "still missing")
    w.wf.fire(
        cid,
        "impose_sanction",
        w.actor("NORTH", "department_head"),
        "plan 10 days late (client KL-0001)",
        registry_number="NOR-2026-00777",
    )
    return "NOR-2026-00777"


def test_decisions_on_individual_cases_are_listed_only_inside_the_ordering_board(engine: Engine) -> None:
    w = build_world(engine)
    sanction_rn = _sanction_on_a_placement(w)
    cid = open_case(
        w.wf,
        "rectification_request",
        w.actor("NORTH", "contract_strategist"),
        "deficient routines",
        kind="rectification",
        agreement_id=w.agreements["north_calloff"],
    ).case_id
    w.wf.fire(
        cid,
        "send",
        w.actor("NORTH", "contract_strategist"),
        "routines missing",
        registry_number="NOR-2026-00778",
        params={"response_due": "2026-04-20"},
    )
    north, central = w.orgs["NORTH"], w.orgs["CENTRAL"]
    own = _report(engine, "decisions", north, date(2026, 1, 1), date(2026, 12, 31))
    rows = own.table("decisions").rows
    assert [r["registry_number"] for r in rows] == [sanction_rn, "NOR-2026-00778"]
    assert rows[0]["reason"] == "plan 10 days late (client KL-0001)"
    assert rows[1]["mandate"] == "2026-1 item 4.2" and rows[1]["role"].code == "contract_strategist"

    seen_centrally = _report(engine, "decisions", central, date(2026, 1, 1), date(2026, 12, 31), north)
    rows = seen_centrally.table("decisions").rows
    assert [r["registry_number"] for r in rows] == ["NOR-2026-00778"]
    assert all("reason" not in r for r in rows)
    assert "KL-0001" not in str(seen_centrally.as_dict())
    assert any("individual-level" in n for n in seen_centrally.notes)


def test_board_decisions_are_not_reported_as_decisions_under_delegation(engine: Engine) -> None:
    s = build_year(engine, 4)
    rows = _report(engine, "decisions", s.w.orgs["NORTH"], date(2026, 1, 1), date(2026, 12, 31)).table("decisions").rows
    ended = {e["registry_number"] for e in s.exp.ended}
    assert rows and not {r["registry_number"] for r in rows} & ended
    assert AREAS  # the scenario's areas exist
