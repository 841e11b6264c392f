"""The access review's alert: a user reading more individual-level records in a day than the threshold gives a
WARNING log line (ids and counts only) and one message to its municipality's administrators, once per day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select
from structlog.testing import capture_logs

from tests.world import NOW, World
from workflow.admin import access_review
from workflow.admin.access_review import AccessFilter, RaiseAccessAlerts
from workflow.bootstrap import Application
from workflow.cases.paging import PageRequest
from workflow.engine.errors import NotPermitted
from workflow.engine.firing import Actor
from workflow.schema.tables import ACCESS_LOG, OUTBOX

pytestmark = pytest.mark.integration


def reads(world: World, org: str, role: str, n: int, entity: str = "case", at_offset: timedelta = timedelta()) -> None:
    with world.engine.begin() as conn:
        conn.execute(
            insert(ACCESS_LOG),
            [
                {"organisation_id": world.orgs[org], "user_id": world.users[(org, role)], "entity": entity,
                 "entity_id": i + 1, "action": "read", "at": NOW - timedelta(seconds=i) + at_offset}
                for i in range(n)
            ],
        )  # fmt: skip


def test_an_unusual_volume_is_logged_and_mailed_to_the_administrators_once(app: Application, world: World) -> None:
    reads(world, "NORTH", "social_worker", 4)
    reads(world, "NORTH", "unit_manager", 3)  # at the threshold: nothing
    reads(world, "NORTH", "social_worker", 10, entity="access_log")  # reviews never count
    reads(world, "SOUTH", "social_worker", 2, at_offset=timedelta(days=1))  # another day
    with capture_logs() as logs:
        found = app.execute(RaiseAccessAlerts(date(2026, 3, 2), 3), Actor.system(0))
    assert [(a["username"], a["reads"]) for a in found] == [("north.social_worker", 4)]
    (line,) = [entry for entry in logs if entry["event"] == "access.unusual_volume"]
    assert (
        line["log_level"] == "warning"
        and line["reads"] == 4
        and line["user_id"] == world.users[("NORTH", "social_worker")]
    )
    assert "north.social_worker" not in str(line)
    with world.engine.connect() as conn:
        (mail,) = conn.execute(select(OUTBOX)).all()
    assert mail.recipients == ["administrator@north.test.invalid"] and mail.kind == "access_alert"
    assert "north.social_worker" in mail.body and "4" in mail.body and "uppgifter på individnivå" in mail.body
    app.execute(RaiseAccessAlerts(date(2026, 3, 2), 3), Actor.system(0))
    with world.engine.connect() as conn:
        assert len(conn.execute(select(OUTBOX.c.id)).all()) == 1


def test_the_day_is_the_stockholm_day(app: Application, world: World) -> None:
    # 23:30 UTC on 1 March is 00:30 on 2 March in Stockholm
    reads(world, "NORTH", "social_worker", 4, at_offset=-(NOW - NOW.replace(hour=0, minute=0)) - timedelta(minutes=30))
    assert len(app.execute(RaiseAccessAlerts(date(2026, 3, 2), 3), Actor.system(0))) == 1
    assert app.execute(RaiseAccessAlerts(date(2026, 3, 1), 3), Actor.system(0)) == []


def test_the_review_is_refused_to_everyone_but_administrators_and_sees_only_their_municipality(
    app: Application, world: World
) -> None:
    reads(world, "NORTH", "social_worker", 2)
    reads(world, "SOUTH", "social_worker", 2)
    with pytest.raises(NotPermitted):
        access_review.list_access(app.uow, world.actor("NORTH", "director"), AccessFilter(), PageRequest())
    with pytest.raises(NotPermitted):
        access_review.export_csv(app.uow, world.actor("NORTH", "social_worker"), AccessFilter())
    page = access_review.list_access(app.uow, world.actor("SOUTH", "administrator"), AccessFilter(), PageRequest())
    assert {r["organisation_code"] for r in page.items} == {"SOUTH"} and page.total == 2


def test_the_schedulers_housekeeping_raises_todays_alerts_once(world: World) -> None:
    from scheduler.service import SchedulerService
    from workflow.settings import Settings

    reads(world, "SOUTH", "placement_coordinator", 6)
    service = SchedulerService(world.engine, Settings(access_alert_daily_reads=5), world.clock)
    with capture_logs() as logs:
        service.housekeeping()
        service.housekeeping()
    assert [e["reads"] for e in logs if e["event"] == "access.unusual_volume"] == [6]
    with world.engine.connect() as conn:
        assert conn.execute(select(OUTBOX.c.recipients)).scalars().all() == [["administrator@south.test.invalid"]]
