"""Register and recording commands go through one handler each; CreateOnce keeps the key in the creating transaction."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select

from tests.world import World
from workflow.bootstrap import Application
from workflow.cases.paging import PageRequest
from workflow.engine.commands import OpenCase
from workflow.engine.create_once import CreateOnce
from workflow.engine.errors import InvalidInput, NotFound, NotPermitted
from workflow.engine.idempotency import KEYS, fingerprint
from workflow.notify.outbox_commands import RetryIncident
from workflow.registers import contracts, placements
from workflow.registers.commands import RegisterAgreement, RegisterPlacement, RegisterProvider, UpdateProvider
from workflow.registers.placement_queries import PlacementFilter, get_placement, list_placements
from workflow.registers.queries import agreement_view, get_agreement, provider_view
from workflow.reports.recording_commands import RecordIndividualFollowUp, SetFollowUpOwner
from workflow.schema.tables import PROVIDER, AccessLog, Placement

pytestmark = pytest.mark.integration


def count(world: World, table: Any) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def respond(row: Any, uow: Any) -> bytes:
    return msgspec.json.encode({"id": row["id"], "name": row["name"]})


def once(key: str, org_number: str = "556677-8899", name: str = "Gamma Omsorg AB") -> CreateOnce:
    command = RegisterProvider(org_number, name)
    return CreateOnce(command, key, fingerprint("POST", "/providers", org_number, name), respond)


def test_a_replayed_key_answers_the_first_response_and_creates_nothing(app: Application, world: World) -> None:
    strategist = world.actor("NORTH", "contract_strategist")
    before = count(world, PROVIDER)
    first = app.execute(once("k-1"), strategist)
    again = app.execute(once("k-1"), strategist)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.body == first.body and again.status_code == first.status_code == 201
    assert count(world, PROVIDER) == before + 1 and count(world, KEYS) == 1


def test_a_key_reused_for_another_request_is_refused_and_writes_nothing(app: Application, world: World) -> None:
    strategist = world.actor("NORTH", "contract_strategist")
    app.execute(once("k-2"), strategist)
    before = count(world, PROVIDER)
    with pytest.raises(InvalidInput) as refused:
        app.execute(once("k-2", "556677-0000", "Delta AB"), strategist)
    assert refused.value.context["rule"] == "idempotency_key_reused"
    assert count(world, PROVIDER) == before and count(world, KEYS) == 1


def test_keys_are_the_users_own_another_user_may_use_the_same(app: Application, world: World) -> None:
    app.execute(once("shared"), world.actor("NORTH", "contract_strategist"))
    second = app.execute(once("shared", "556677-1111", "Epsilon AB"), world.actor("NORTH", "unit_manager"))
    assert not second.replayed and count(world, KEYS) == 2


def test_a_refused_creation_stores_no_key(app: Application, world: World) -> None:
    with pytest.raises(NotPermitted):
        app.execute(once("k-3"), world.actor("NORTH", "social_worker"))
    assert count(world, KEYS) == 0
    with pytest.raises(InvalidInput, match="idempotency key"):
        app.execute(once("a key with spaces"), world.actor("NORTH", "contract_strategist"))
    assert count(world, KEYS) == 0 and count(world, PROVIDER) == 3


def test_concurrent_requests_with_one_key_create_once(app: Application, world: World) -> None:
    strategist = world.actor("NORTH", "contract_strategist")
    results: list[Any] = []
    start = threading.Barrier(6)

    def run() -> None:
        start.wait()
        results.append(app.execute(once("race"), strategist))

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.replayed for r in results) == [False] + [True] * 5
    assert len({r.body for r in results}) == 1 and count(world, PROVIDER) == 4


def test_register_commands_answer_the_row_after_the_change(app: Application, world: World) -> None:
    strategist = world.actor("CENTRAL", "contract_strategist")
    row = app.execute(RegisterProvider("556677-2222", "Zeta AB", contact_email="z@zeta.test.invalid"), strategist)
    changed = app.execute(UpdateProvider(row["id"], name="Zeta Omsorg AB"), strategist)
    assert (changed["name"], changed["contact_email"]) == ("Zeta Omsorg AB", "z@zeta.test.invalid")
    terms = contracts.AgreementTerms("SN-2026-01000", "individual", row["id"], date(2026, 3, 1))
    made = app.execute(RegisterAgreement(terms), strategist)
    assert made["status"] == "active" and made["organisation_id"] == strategist.organisation_id
    with pytest.raises(NotFound):
        get_agreement(app.uow, world.actor("SOUTH", "contract_strategist"), made["id"])


def test_placements_are_refused_to_roles_that_see_aggregates_and_nothing_is_written(
    app: Application, world: World
) -> None:
    secretary = world.actor("NORTH", "board_secretary")
    terms = placements.PlacementTerms(world.agreements["north_calloff"], "KL-0099", date(2026, 3, 2))
    placements_before = count(world, Placement.__table__)  # type: ignore[attr-defined]
    for attempt in (
        lambda: app.execute(RegisterPlacement(terms), secretary),
        lambda: list_placements(app.uow, secretary, PlacementFilter(), PageRequest()),
        lambda: get_placement(app.uow, secretary, world.placements["north"]),
        lambda: app.execute(RecordIndividualFollowUp(world.placements["north"], date(2026, 3, 1)), secretary),
    ):
        with pytest.raises(NotPermitted) as refused:
            attempt()
        assert refused.value.context["rule"] == "role"
    assert count(world, Placement.__table__) == placements_before  # type: ignore[attr-defined]
    assert count(world, AccessLog.__table__) == 0  # type: ignore[attr-defined]


def test_another_boards_placement_is_not_found_and_a_read_one_is_logged(app: Application, world: World) -> None:
    with pytest.raises(NotFound):
        get_placement(app.uow, world.actor("SOUTH", "social_worker"), world.placements["north"])
    with pytest.raises(NotFound):
        app.execute(
            RecordIndividualFollowUp(world.placements["north"], date(2026, 3, 1)), world.actor("SOUTH", "social_worker")
        )
    worker = world.actor("NORTH", "social_worker")
    assert get_placement(app.uow, worker, world.placements["north"])["client_ref"] == "KL-0001"
    assert count(world, AccessLog.__table__) == 1  # type: ignore[attr-defined]


def test_outbox_incidents_are_acted_on_by_staff_only(app: Application, world: World) -> None:
    with pytest.raises(NotPermitted):
        app.execute(RetryIncident(1), world.actor("NORTH", "board"))
    with pytest.raises(NotFound):
        app.execute(RetryIncident(999), world.actor("NORTH", "contract_strategist"))


def test_provider_and_agreement_screens_show_the_viewers_work_only(app: Application, world: World) -> None:
    acme = world.providers["Acme Care AB"]
    north = world.actor("NORTH", "contract_strategist")
    app.execute(OpenCase("complaint", "complaint", kind="relative", provider_id=acme), north)
    app.execute(SetFollowUpOwner(acme, north.user_id, date(2026, 1, 1)), north)  # type: ignore[arg-type]
    view = provider_view(app.uow, north, acme)
    assert view["name"] == "Acme Care AB" and view["open_case_count"] == 1 and view["closed_case_count"] == 0
    assert view["placement_count"] == 1 and view["follow_up_owner"]["name"] == "contract_strategist of NORTH"
    assert {a["id"] for a in view["agreements"]} == {world.agreements["framework"], world.agreements["north_calloff"]}
    south = provider_view(app.uow, world.actor("SOUTH", "contract_strategist"), acme)
    assert (south["open_case_count"], south["placement_count"], south["follow_up_owner"]) == (0, 0, None)
    assert world.agreements["north_calloff"] not in {a["id"] for a in south["agreements"]}
    framework = agreement_view(app.uow, world.actor("SOUTH", "contract_strategist"), world.agreements["framework"])
    assert framework["provider_name"] == "Acme Care AB" and framework["contract_area_name"] == "HVB barn"
    assert framework["call_offs"] == []  # the north call-off is north's own
    with pytest.raises(NotFound):
        agreement_view(app.uow, world.actor("SOUTH", "contract_strategist"), world.agreements["north_calloff"])
