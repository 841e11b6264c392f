"""Every agreement has its agreement case from registration; no call-off under an agreement that has ended;
agreements whose period has ended move to expired by the scheduler's job, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from scheduler.service import SchedulerService
from tests.integration.conftest import migrated_to
from tests.world import World, build_world
from workflow.bootstrap import Application
from workflow.engine.commands import FireTrigger, OpenCase
from workflow.engine.errors import Refused
from workflow.registers import contracts, placements
from workflow.registers.agreement_cases import ensure_agreement_cases, expire_ended_agreements
from workflow.registers.commands import RegisterAgreement, RegisterPlacement
from workflow.schema.migrate import upgrade
from workflow.schema.tables import AGREEMENT, CASE, EVENT
from workflow.settings import Settings

pytestmark = pytest.mark.integration


def _agreement(world: World, agreement_id: int) -> dict[str, Any]:
    with world.engine.connect() as conn:
        return dict(conn.execute(select(AGREEMENT).where(AGREEMENT.c.id == agreement_id)).mappings().one())


def _events(world: World, case_id: int) -> list[tuple[str, int | None]]:
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(EVENT.c.trigger, EVENT.c.actor_id).where(EVENT.c.case_id == case_id).order_by(EVENT.c.seq)
        )
        return [(r.trigger, r.actor_id) for r in rows]


def test_a_registered_agreement_has_its_agreement_case_and_can_be_excluded_at_once(
    app: Application, world: World
) -> None:
    strategist = world.actor("NORTH", "contract_strategist")
    terms = contracts.AgreementTerms(
        "NOR-2026-00077", "call_off", world.providers["Acme Care AB"], date(2026, 3, 1), date(2027, 2, 28),
        parent_id=world.agreements["framework"],
    )  # fmt: skip
    made = app.execute(RegisterAgreement(terms), strategist)
    assert made["case_id"] is not None and made["status"] == "active"
    with world.engine.connect() as conn:
        case = conn.execute(select(CASE).where(CASE.c.id == made["case_id"])).mappings().one()
    assert (case["case_type"], case["status"], case["agreement_id"]) == ("agreement", "active", made["id"])
    assert case["owner_id"] == strategist.user_id
    assert _events(world, made["case_id"]) == [("open", strategist.user_id)]
    suspended = app.execute(
        FireTrigger(
            made["case_id"], "suspend", "IVO supervision case", registry_number="NOR-2026-00078",
            params={"reason_code": "ivo_supervision_case", "evidence": "IVO's letter"},
        ),
        world.actor("NORTH", "department_head"),
    )  # fmt: skip
    assert suspended.to_status == "suspended" and _agreement(world, made["id"])["status"] == "suspended"
    with pytest.raises(Refused) as refused:
        app.execute(OpenCase("agreement", "a second lifecycle", agreement_id=made["id"]), strategist)
    assert refused.value.context["rule"] == "agreement_has_case"


def test_no_call_off_is_made_under_an_agreement_whose_end_date_has_passed(app: Application, world: World) -> None:
    central = world.actor("CENTRAL", "contract_strategist")
    ended = app.execute(
        RegisterAgreement(
            contracts.AgreementTerms(
                "CEN-2022-00001", "framework_lou", world.providers["Acme Care AB"], date(2022, 1, 1), date(2026, 1, 31)
            )
        ),
        central,
    )
    assert ended["status"] == "active", "the scheduler has not expired it yet"
    call_off = contracts.AgreementTerms(
        "NOR-2026-00099", "call_off", world.providers["Acme Care AB"], date(2026, 3, 1), parent_id=ended["id"]
    )
    with pytest.raises(Refused, match="ended on 2026-01-31") as refused:
        app.execute(RegisterAgreement(call_off), world.actor("NORTH", "contract_strategist"))
    assert refused.value.context["rule"] == "agreement_ended"
    # A placement is a call-off too: south's individual agreement ended on 2026-01-31 but is still active.
    south = world.actor("SOUTH", "social_worker")
    placement = placements.PlacementTerms(world.agreements["south_individual"], "KL-0042", date(2026, 1, 15))
    with pytest.raises(Refused) as refused:
        app.execute(RegisterPlacement(placement), south)
    assert refused.value.context["rule"] == "agreement_ended"


def test_no_placement_is_made_under_an_agreement_that_is_not_active(app: Application, world: World) -> None:
    ensure_agreement_cases(world.engine, world.clock)
    case_id = _agreement(world, world.agreements["north_calloff"])["case_id"]
    app.execute(
        FireTrigger(int(case_id), "open_termination_investigation", "serious findings", registry_number="NOR-2026-1"),
        world.actor("NORTH", "department_head"),
    )
    terms = placements.PlacementTerms(world.agreements["north_calloff"], "KL-0043", date(2026, 3, 2))
    with pytest.raises(Refused, match="termination_investigation") as refused:
        app.execute(RegisterPlacement(terms), world.actor("NORTH", "social_worker"))
    assert refused.value.context["rule"] == "agreement_not_open"


def test_agreements_past_their_end_date_expire_by_the_scheduler_once_and_on_the_record(world: World) -> None:
    assert ensure_agreement_cases(world.engine, world.clock) == 4
    assert ensure_agreement_cases(world.engine, world.clock) == 0
    assert expire_ended_agreements(world.engine, world.clock) == 1
    assert expire_ended_agreements(world.engine, world.clock) == 0
    ended = _agreement(world, world.agreements["south_individual"])
    assert ended["status"] == "expired"
    assert _events(world, int(ended["case_id"])) == [("open", None), ("expire", None)]
    assert {_agreement(world, world.agreements[k])["status"] for k in ("framework", "north_calloff")} == {"active"}
    world.clock.advance(days=365)  # the framework and north's call-off end on 2027-02-28
    assert expire_ended_agreements(world.engine, world.clock) == 2
    assert _agreement(world, world.agreements["north_in_house"])["status"] == "active", "no end date: runs on"


def test_the_schedulers_leader_job_opens_missing_agreement_cases_and_expires_ended_agreements(world: World) -> None:
    service = SchedulerService(world.engine, Settings(), clock=world.clock)
    assert service.controls() is not None, "this instance is the leader"
    assert _agreement(world, world.agreements["south_individual"])["status"] == "expired"
    assert all(_agreement(world, a)["case_id"] is not None for a in world.agreements.values())
    with world.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(EVENT)).scalar_one()
    service.controls()
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EVENT)).scalar_one() == before, "a rerun changes nothing"


def test_an_agreement_under_termination_investigation_waits_for_it_before_it_expires(world: World) -> None:
    ensure_agreement_cases(world.engine, world.clock)
    case_id = int(_agreement(world, world.agreements["south_individual"])["case_id"])
    world.wf.fire(
        case_id, "open_termination_investigation", world.actor("SOUTH", "department_head"), "findings",
        registry_number="SOU-2026-00001",
    )  # fmt: skip
    assert expire_ended_agreements(world.engine, world.clock) == 0
    assert _agreement(world, world.agreements["south_individual"])["status"] == "termination_investigation"


BEFORE_AGREEMENT_CASES = "0013_event_dates"  # the revision before 0014_agreement_cases


@pytest.fixture
def database_at_0008(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A database migrated only up to the revision before agreement cases were opened on registration."""
    with migrated_to(BEFORE_AGREEMENT_CASES, backend, tmp_path, request) as engine:
        yield engine


def test_the_migration_opens_the_agreement_case_of_every_live_agreement_without_one(
    database_at_0008: Engine,
) -> None:
    world = build_world(database_at_0008)
    with database_at_0008.begin() as conn:
        conn.execute(
            AGREEMENT.update().where(AGREEMENT.c.id == world.agreements["framework"]).values(status="terminated")
        )
    upgrade(database_at_0008)
    with database_at_0008.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(AGREEMENT))}
        cases = conn.execute(select(CASE.c.agreement_id, CASE.c.case_type, CASE.c.status)).all()
    assert rows[world.agreements["framework"]].case_id is None, "an ended agreement is not made active again"
    live = [world.agreements[k] for k in ("north_calloff", "south_individual", "north_in_house")]
    assert all(rows[a].case_id is not None and rows[a].status == "active" for a in live)
    assert sorted(cases) == sorted((a, "agreement", "active") for a in live)
    assert ensure_agreement_cases(database_at_0008) == 0, "the backfill is idempotent"


def test_an_agreement_registered_after_it_took_effect_has_its_case_from_its_start_so_past_decisions_can_be_recorded(
    app: Application, world: World
) -> None:
    strategist = world.actor("NORTH", "contract_strategist")
    terms = contracts.AgreementTerms(
        "NOR-2025-00012", "call_off", world.providers["Acme Care AB"], date(2025, 5, 1), date(2027, 2, 28),
        parent_id=world.agreements["framework"],
    )  # fmt: skip
    made = app.execute(RegisterAgreement(terms), strategist)
    with world.engine.connect() as conn:
        opened = conn.execute(
            select(EVENT.c.occurred_on, EVENT.c.late_entry).where(EVENT.c.case_id == made["case_id"], EVENT.c.seq == 1)
        ).one()
    assert (opened.occurred_on, opened.late_entry) == (date(2025, 5, 1), True)
    app.execute(
        FireTrigger(
            made["case_id"], "suspend", "IVO supervision case", registry_number="NOR-2025-00090",
            params={"reason_code": "ivo_supervision_case", "evidence": "IVO's letter"},
            occurred_on=date(2025, 9, 2), late_reason="the decision was taken before the agreement was registered",
        ),
        world.actor("NORTH", "department_head"),
    )  # fmt: skip
    with world.engine.connect() as conn:
        decided = conn.execute(select(EVENT.c.occurred_on).where(EVENT.c.case_id == made["case_id"], EVENT.c.seq == 2))
        assert decided.scalar_one() == date(2025, 9, 2)
