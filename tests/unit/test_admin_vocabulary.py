"""The administration's request schemas name exactly the roles the product knows."""

from __future__ import annotations

from typing import get_args

from api.schemas.admin import RoleName
from states.roles import STAFF_ROLES, Role
from workflow.cases.scoping import INDIVIDUAL_ROLES, sees_individuals
from workflow.engine.firing import Actor


def test_the_api_offers_every_role_and_no_other() -> None:
    assert set(get_args(RoleName)) == {r.value for r in Role}


def test_the_administrator_is_no_case_worker_and_sees_no_individual_records() -> None:
    assert "administrator" not in STAFF_ROLES and "administrator" not in INDIVIDUAL_ROLES
    assert not sees_individuals(Actor(1, 1, ("administrator",)))
    assert sees_individuals(Actor(1, 1, ("administrator", "social_worker")))
