"""The overview's figures (översikt): exact, counted when asked, one truth with the case list, scoped to the board."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tests.world import World
from workflow.bootstrap import Application
from workflow.cases.paging import PageRequest
from workflow.cases.queries import CaseFilter, list_cases, overview
from workflow.deadlines.sweep import sweep
from workflow.engine.commands import FireTrigger, OpenCase
from workflow.engine.firing import Actor
from workflow.schema.tables import ACCESS_LOG


def complaint(app: Application, world: World, org: str = "NORTH", owner: Actor | None = None) -> int:
    provider = "Acme Care AB" if org == "NORTH" else "Beta Stöd AB"
    cmd = OpenCase(
        "complaint",
        "a relative complains",
        kind="relative",
        provider_id=world.providers[provider],
        owner_id=owner.user_id if owner else None,
    )
    return int(app.execute(cmd, world.actor(org, "contract_strategist")).case_id)


def per_type(found: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {t["case_type"]: (t["open"], t["overdue"]) for t in found["organisation"]}


def test_the_overview_counts_open_and_overdue_cases_per_type_exactly(app: Application, world: World) -> None:
    viewer = world.actor("NORTH", "contract_strategist")
    before = per_type(overview(app.uow, viewer)).get("complaint", (0, 0))
    late = complaint(app, world)
    world.clock.advance(days=40)  # the first complaint's deadline has passed
    complaint(app, world)
    assert per_type(overview(app.uow, viewer))["complaint"] == (before[0] + 2, before[1] + 1)
    app.execute(FireTrigger(late, "investigate", "acknowledged", params={"topic": "premises"}), viewer)
    assert per_type(overview(app.uow, viewer))["complaint"] == (before[0] + 2, before[1])  # a new deadline ahead


def test_the_overview_says_overdue_of_exactly_the_cases_the_list_filter_calls_overdue(
    app: Application, world: World
) -> None:
    """One truth: a pending deadline passed, or the case stands in its overdue state (a plan, its sanction ahead)."""
    complaint(app, world)
    app.execute(
        OpenCase(
            "implementation_plan", "plan", placement_id=world.placements["north"], params={"due_date": "2026-03-10"}
        ),
        world.actor("NORTH", "social_worker"),
    )
    world.clock.advance(days=9)
    assert sweep(world.engine, world.clock).transitions == 1  # the plan is now in its overdue state
    complaint(app, world)
    viewer = world.actor("NORTH", "social_worker")
    counts = per_type(overview(app.uow, viewer))
    assert counts["implementation_plan"] == (1, 1) and counts["complaint"][1] >= 1
    for case_type, (open_n, overdue_n) in counts.items():
        listed = CaseFilter(case_type=case_type, open=True)
        assert list_cases(app.uow, viewer, listed, PageRequest()).total == open_n, case_type
        late = CaseFilter(case_type=case_type, open=True, overdue=True)
        assert list_cases(app.uow, viewer, late, PageRequest()).total == overdue_n, case_type


def test_the_overview_changes_as_soon_as_a_case_is_opened_or_closed(app: Application, world: World) -> None:
    viewer = world.actor("NORTH", "contract_strategist")
    before = per_type(overview(app.uow, viewer)).get("complaint", (0, 0))[0]
    case_id = complaint(app, world)
    assert per_type(overview(app.uow, viewer))["complaint"][0] == before + 1
    app.execute(FireTrigger(case_id, "reject", "not about a provider"), viewer)
    assert per_type(overview(app.uow, viewer)).get("complaint", (0, 0))[0] == before


def test_another_boards_cases_are_never_counted(app: Application, world: World) -> None:
    north = world.actor("NORTH", "contract_strategist")
    south = world.actor("SOUTH", "contract_strategist")
    before = overview(app.uow, north)
    complaint(app, world, "SOUTH", owner=south)
    world.clock.advance(days=40)
    after = overview(app.uow, north)
    assert per_type(after) == per_type(before)
    assert after["overdue_count"] == after["due_soon_count"] == 0 and after["mine"] == []
    assert per_type(overview(app.uow, south))["complaint"] == (1, 1)


def test_a_role_that_sees_aggregates_counts_no_individual_case(app: Application, world: World) -> None:
    app.execute(
        OpenCase("implementation_plan", "plan", placement_id=world.placements["north"]),
        world.actor("NORTH", "social_worker"),
    )
    assert per_type(overview(app.uow, world.actor("NORTH", "social_worker")))["implementation_plan"] == (1, 0)
    assert "implementation_plan" not in per_type(overview(app.uow, world.actor("NORTH", "board_secretary")))


def test_my_deadlines_are_those_of_my_cases_overdue_first_and_an_individual_one_is_logged(
    app: Application, world: World
) -> None:
    me = world.actor("NORTH", "social_worker")
    due = (world.clock() + timedelta(days=10)).date().isoformat()
    plan = app.execute(
        OpenCase(
            "implementation_plan",
            "plan",
            placement_id=world.placements["north"],
            owner_id=me.user_id,
            params={"due_date": due},
        ),
        me,
    ).case_id
    complaint(app, world)  # nobody's
    found = overview(app.uow, me)
    assert [d["case_id"] for d in found["overdue"] + found["due_soon"]] == [plan]
    assert found["overdue_count"] + found["due_soon_count"] == 1
    assert [(m["case_type"], m["count"]) for m in found["mine"]] == [("implementation_plan", 1)]
    with world.engine.connect() as conn:
        rows = conn.execute(select(ACCESS_LOG.c.entity_id, ACCESS_LOG.c.action, ACCESS_LOG.c.user_id)).all()
    assert [tuple(r) for r in rows] == [(plan, "list", me.user_id)]
