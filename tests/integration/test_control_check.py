"""The recurring-control case type: results recorded with a consistent outcome, refusals otherwise."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from tests.world import build_world
from workflow.cases.opening import open_case
from workflow.engine.errors import GuardFailed, InvalidInput, NotPermitted
from workflow.schema.tables import CASE

pytestmark = pytest.mark.integration


def _open(engine: Engine, control: str = "ivo_check"):  # type: ignore[no-untyped-def]
    w = build_world(engine)
    actor = w.actor("CENTRAL", "contract_strategist")
    opened = open_case(
        w.wf, "control_check", actor, "half-yearly IVO check", kind=control, provider_id=w.providers["Acme Care AB"]
    )
    return w, actor, opened.case_id


def test_a_check_without_remarks_stores_its_outcome_and_closes(engine: Engine) -> None:
    w, actor, cid = _open(engine)
    w.wf.fire(cid, "record_no_remarks", actor, "IVO register clean", params={"outcome": "no_remarks"})
    w.wf.fire(cid, "close", actor, "done")
    with engine.connect() as conn:
        row = conn.execute(select(CASE.c.status, CASE.c.outcome, CASE.c.kind).where(CASE.c.id == cid)).one()
    assert tuple(row) == ("closed", "no_remarks", "ivo_check")


def test_a_check_with_remarks_cannot_claim_no_remarks(engine: Engine) -> None:
    w, actor, cid = _open(engine, "criminal_record_check")
    with pytest.raises(GuardFailed, match="contradicts 'remarks found'"):
        w.wf.fire(cid, "record_remarks", actor, "hit", params={"outcome": "no_remarks"})
    with pytest.raises(GuardFailed, match="contradicts 'no remarks'"):
        w.wf.fire(cid, "record_no_remarks", actor, "clean", params={"outcome": "remarks"})
    res = w.wf.fire(
        cid, "record_remarks", actor, "hit", params={"outcome": "remarks", "topic": "other", "topic_other": "register"}
    )
    assert res.to_status == "checked_with_remarks"


def test_an_unknown_outcome_or_control_is_refused(engine: Engine) -> None:
    w, actor, cid = _open(engine)
    with pytest.raises(InvalidInput, match="outcome 'fine' is not one of"):
        w.wf.fire(cid, "record_no_remarks", actor, "x", params={"outcome": "fine"})
    with pytest.raises(InvalidInput, match="needs a kind"):
        open_case(w.wf, "control_check", actor, "x", kind="horoscope_check")


def test_only_the_scheduler_marks_a_control_overdue(engine: Engine) -> None:
    w, actor, cid = _open(engine)
    with pytest.raises(NotPermitted, match="happens only when its deadline passes"):
        w.wf.fire(cid, "mark_overdue", actor, "late")
