"""Opening a case needs the link its case type is about (subject), as the spec declares."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.world import World
from workflow.cases.opening import open_case
from workflow.engine.errors import InvalidInput
from workflow.schema.tables import Case

pytestmark = pytest.mark.integration


def _cases(world: World) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Case)).scalar_one())


@pytest.mark.parametrize(
    ("case_type", "kind", "needs"),
    [
        ("follow_up", "screening", "a provider"),
        ("deviation", "invoice_error", "a provider"),
        ("agreement", None, "an agreement"),
        ("call_off_suspension", None, "an agreement"),
        ("monthly_report", None, "a placement"),
    ],
)
def test_a_case_without_the_link_it_is_about_is_refused(
    world: World, case_type: str, kind: str | None, needs: str
) -> None:
    with pytest.raises(InvalidInput, match=f"{case_type} needs {needs}"):
        open_case(world.wf, case_type, world.actor("NORTH", "contract_strategist"), "no link", kind=kind)
    assert _cases(world) == 0


def test_a_provider_named_directly_is_enough_for_a_case_about_a_provider(world: World) -> None:
    opened = open_case(
        world.wf,
        "follow_up",
        world.actor("NORTH", "contract_strategist"),
        "screening",
        kind="screening",
        provider_id=world.providers["Acme Care AB"],
    )
    assert opened.status == "planned"


def test_a_complaint_may_arrive_before_anyone_knows_the_provider(world: World) -> None:
    opened = open_case(world.wf, "complaint", world.actor("NORTH", "contract_strategist"), "a call", kind="anonymous")
    assert opened.status == "received"
