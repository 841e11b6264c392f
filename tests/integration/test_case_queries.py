"""The case query functions scope by the viewer, keep the secrecy rule, log individual reads, and page by cursor."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.world import World
from workflow.bootstrap import Application
from workflow.cases.paging import PageRequest
from workflow.cases.queries import CaseFilter, case_view, list_cases, trigger_options
from workflow.deadlines.commands import ExtendDeadline
from workflow.deadlines.queries import organisation_deadlines
from workflow.deadlines.sweep import sweep
from workflow.engine.commands import FireTrigger, OpenCase
from workflow.engine.errors import InvalidInput, NotFound
from workflow.schema.tables import ACCESS_LOG

pytestmark = pytest.mark.integration


def logged(world: World) -> list[tuple[str, int, str, int]]:
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(ACCESS_LOG.c.entity, ACCESS_LOG.c.entity_id, ACCESS_LOG.c.action, ACCESS_LOG.c.user_id).order_by(
                ACCESS_LOG.c.id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def open_complaint(app: Application, world: World, title: str, provider: str = "Acme Care AB") -> int:
    cmd = OpenCase(
        "complaint", "a relative complains", kind="relative", title=title, provider_id=world.providers[provider]
    )
    return int(app.execute(cmd, world.actor("NORTH", "contract_strategist")).case_id)


def open_plan(app: Application, world: World) -> int:
    """An implementation plan about the north placement: individual-level."""
    cmd = OpenCase("implementation_plan", "plan requested", placement_id=world.placements["north"])
    return int(app.execute(cmd, world.actor("NORTH", "social_worker")).case_id)


def test_the_list_shows_only_the_viewers_organisation(app: Application, world: World) -> None:
    north = open_complaint(app, world, "north's")
    south = app.execute(
        OpenCase("complaint", "complaint", kind="relative", provider_id=world.providers["Beta Stöd AB"]),
        world.actor("SOUTH", "contract_strategist"),
    ).case_id
    seen = list_cases(app.uow, world.actor("NORTH", "unit_manager"), CaseFilter(), PageRequest())
    assert [c["id"] for c in seen.items] == [north] and seen.total == 1
    assert south not in [c["id"] for c in seen.items]


def test_roles_that_see_aggregates_never_list_an_individual_case_and_nothing_is_logged(
    app: Application, world: World
) -> None:
    complaint = open_complaint(app, world, "contract level")
    plan = open_plan(app, world)
    secretary = world.actor("NORTH", "board_secretary")
    seen = list_cases(app.uow, secretary, CaseFilter(), PageRequest())
    assert [c["id"] for c in seen.items] == [complaint]
    assert logged(world) == []
    worker = world.actor("NORTH", "social_worker")
    seen = list_cases(app.uow, worker, CaseFilter(sort="id"), PageRequest())
    assert [c["id"] for c in seen.items] == [complaint, plan]
    assert logged(world) == [("case", plan, "list", worker.user_id)]


def test_a_case_view_out_of_scope_is_not_found_and_an_individual_one_is_logged(app: Application, world: World) -> None:
    plan = open_plan(app, world)
    for viewer in (world.actor("NORTH", "board_secretary"), world.actor("SOUTH", "social_worker")):
        with pytest.raises(NotFound):
            case_view(app.uow, viewer, plan)
        with pytest.raises(NotFound):
            trigger_options(app.uow, viewer, plan)
    assert logged(world) == []
    worker = world.actor("NORTH", "social_worker")
    view = case_view(app.uow, worker, plan)
    assert view["placement_client_ref"] == "KL-0001"
    assert logged(world) == [("case", plan, "read", worker.user_id)]


def test_firing_on_an_individual_case_is_not_found_for_a_role_that_sees_aggregates(
    app: Application, world: World
) -> None:
    plan = open_plan(app, world)
    with pytest.raises(NotFound):
        app.execute(FireTrigger(plan, "cancel", "not needed"), world.actor("NORTH", "board_secretary"))
    assert case_view(app.uow, world.actor("NORTH", "social_worker"), plan)["version"] == 1


def test_a_cursor_walks_every_case_once_in_order_while_the_total_stays(app: Application, world: World) -> None:
    ids = [open_complaint(app, world, f"case {i}") for i in range(7)]
    viewer = world.actor("NORTH", "contract_strategist")
    for sort, expected in (("id", ids), ("-id", ids[::-1]), ("-opened_at", ids[::-1])):
        seen: list[int] = []
        request = PageRequest(page_size=3)
        while True:
            page = list_cases(app.uow, viewer, CaseFilter(sort=sort), request)
            assert page.total == 7
            seen += [c["id"] for c in page.items]
            if page.next_cursor is None:
                break
            request = replace(request, cursor=page.next_cursor)
        assert seen == expected, sort


def test_a_cursor_does_not_shift_when_a_case_is_opened_meanwhile(app: Application, world: World) -> None:
    ids = [open_complaint(app, world, f"case {i}") for i in range(4)]
    viewer = world.actor("NORTH", "contract_strategist")
    first = list_cases(app.uow, viewer, CaseFilter(sort="-id"), PageRequest(page_size=2))
    newest = open_complaint(app, world, "opened meanwhile")
    second = list_cases(app.uow, viewer, CaseFilter(sort="-id"), PageRequest(page_size=2, cursor=first.next_cursor))
    assert [c["id"] for c in second.items] == [ids[1], ids[0]] and second.next_cursor is None
    assert second.total == 5 and newest not in [c["id"] for c in second.items]


def test_a_cursor_of_another_sort_or_made_up_is_refused(app: Application, world: World) -> None:
    for _ in range(3):
        open_complaint(app, world, "x")
    viewer = world.actor("NORTH", "contract_strategist")
    cursor = list_cases(app.uow, viewer, CaseFilter(sort="id"), PageRequest(page_size=1)).next_cursor
    with pytest.raises(InvalidInput, match="another sort"):
        list_cases(app.uow, viewer, CaseFilter(sort="-id"), PageRequest(page_size=1, cursor=cursor))
    for bad in ("not-a-cursor", "W10", "WyJpZCIsW3siZHQiOjF9LDJdXQ"):
        with pytest.raises(InvalidInput, match="cursor"):
            list_cases(app.uow, viewer, CaseFilter(sort="id"), PageRequest(page_size=1, cursor=bad))


def test_sorting_by_next_deadline_puts_the_earliest_first_and_cases_without_one_last(
    app: Application, world: World
) -> None:
    viewer = world.actor("NORTH", "contract_strategist")
    a, b, c = (open_complaint(app, world, t) for t in "abc")
    deadlines = organisation_deadlines(app.uow, viewer, PageRequest()).items
    by_case = {d["case_id"]: d["id"] for d in deadlines}
    app.execute(ExtendDeadline(by_case[a], "awaiting documents", date(2026, 6, 30)), viewer)
    app.execute(FireTrigger(c, "reject", "not about a provider"), viewer)
    for sort in ("next_due", "overdue_first"):
        found = list_cases(app.uow, viewer, CaseFilter(sort=sort), PageRequest())
        assert [x["id"] for x in found.items] == [b, a, c], sort
        walked = list_cases(app.uow, viewer, CaseFilter(sort=sort), PageRequest(page_size=1))
        order = [walked.items[0]["id"]]
        while walked.next_cursor:
            walked = list_cases(app.uow, viewer, CaseFilter(sort=sort), PageRequest(1, 1, walked.next_cursor))
            order += [x["id"] for x in walked.items]
        assert order == [b, a, c], sort


def test_search_finds_cases_by_part_of_a_registry_number_or_a_provider_name(app: Application, world: World) -> None:
    strategist = world.actor("NORTH", "contract_strategist")
    acme = open_complaint(app, world, "acme")
    beta = open_complaint(app, world, "beta", provider="Beta Stöd AB")
    rect = app.execute(
        OpenCase(
            "rectification_request", "deficient", kind="rectification", agreement_id=world.agreements["north_calloff"]
        ),
        strategist,
    ).case_id
    app.execute(
        FireTrigger(rect, "send", "serious", registry_number="NOR-2026-00777", params={"response_due": "2026-03-20"}),
        strategist,
    )

    def found(**kw: str) -> list[int]:
        return [c["id"] for c in list_cases(app.uow, strategist, CaseFilter(sort="id", **kw), PageRequest()).items]

    assert found(registry_number="00777") == [rect]
    assert found(registry_number="nor-2024-00001") == [rect]  # its agreement's registry number, any case
    assert found(registry_number="%") == []  # a wildcard is a plain character
    assert found(provider_name="beta") == [beta]
    assert found(provider_name="acme care") == [acme, rect]


def test_a_case_view_names_what_it_is_about_and_shows_decisions_and_deadline_history(
    app: Application, world: World
) -> None:
    strategist = world.actor("NORTH", "contract_strategist")
    rect = app.execute(
        OpenCase(
            "rectification_request",
            "deficient",
            kind="rectification",
            agreement_id=world.agreements["north_calloff"],
            owner_id=strategist.user_id,
        ),
        strategist,
    ).case_id
    app.execute(
        FireTrigger(rect, "send", "serious", registry_number="NOR-2026-00778", params={"response_due": "2026-03-20"}),
        strategist,
    )
    first = case_view(app.uow, strategist, rect)["deadlines"][0]
    app.execute(ExtendDeadline(first["id"], "the provider asked", date(2026, 4, 30)), strategist)
    view = case_view(app.uow, strategist, rect)
    assert view["provider_name"] == "Acme Care AB" and view["owner_name"] == "contract_strategist of NORTH"
    assert view["agreement_registry_number"] == "NOR-2024-00001" and view["contract_area_name"] == "HVB barn"
    sent = view["timeline"][-1]
    assert sent["actor_name"] == "contract_strategist of NORTH" and sent["registry_number"] == "NOR-2026-00778"
    assert sent["decision_id"] is not None and sent["rule_ref"] == "4.2" and "4.2" in sent["mandate"]
    statuses = [(d["status"], d["open"]) for d in view["deadlines"]]
    assert ("closed", False) in statuses and ("pending", True) in statuses
    extended = next(d for d in view["deadlines"] if d["id"] == first["id"])
    assert [c["action"] for c in extended["changes"]] == ["extend"]
    assert extended["changes"][0]["changed_by_name"] == "contract_strategist of NORTH"
    assert all("rungs" in d for d in view["deadlines"])


def test_the_organisations_deadlines_come_overdue_first_and_never_another_boards(
    app: Application, world: World
) -> None:
    viewer = world.actor("NORTH", "contract_strategist")
    late = open_complaint(app, world, "late")
    world.clock.advance(days=40)
    fresh = open_complaint(app, world, "fresh")
    app.execute(
        OpenCase("complaint", "south", kind="relative", provider_id=world.providers["Beta Stöd AB"]),
        world.actor("SOUTH", "contract_strategist"),
    )
    rows = organisation_deadlines(app.uow, viewer, PageRequest()).items
    assert [(r["case_id"], r["overdue"]) for r in rows] == [(late, True), (fresh, False)]


def test_bad_list_requests_are_refused_before_anything_is_read(app: Application, world: World) -> None:
    viewer = world.actor("NORTH", "contract_strategist")
    with pytest.raises(InvalidInput):
        list_cases(app.uow, viewer, CaseFilter(sort="title"), PageRequest())
    with pytest.raises(InvalidInput):
        PageRequest(page_size=101)
    with pytest.raises(InvalidInput):
        PageRequest(page=0)
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ACCESS_LOG)).scalar_one() == 0


def test_a_delivery_past_its_due_date_is_overdue_alike_in_its_state_its_flag_and_the_filter(
    app: Application, world: World
) -> None:
    """A plan that went overdue has a next deadline (the sanction) still ahead: the state alone makes it overdue."""
    plan = app.execute(
        OpenCase(
            "implementation_plan",
            "plan requested",
            placement_id=world.placements["north"],
            params={"due_date": "2026-03-10"},
        ),
        world.actor("NORTH", "social_worker"),
    ).case_id
    world.clock.advance(days=9)
    assert sweep(world.engine, world.clock).transitions == 1
    viewer = world.actor("NORTH", "social_worker")
    view = case_view(app.uow, viewer, plan)
    assert view["status"] == "overdue" and view["next_due_at"] > world.clock()
    assert view["overdue"] is True
    listed = list_cases(app.uow, viewer, CaseFilter(case_type="implementation_plan"), PageRequest()).items
    assert [(c["id"], c["status"], c["overdue"]) for c in listed] == [(plan, "overdue", True)]
    assert [c["id"] for c in list_cases(app.uow, viewer, CaseFilter(overdue=True), PageRequest()).items] == [plan]
    assert (
        list_cases(app.uow, viewer, CaseFilter(overdue=False, case_type="implementation_plan"), PageRequest()).total
        == 0
    )
