"""A token's roles count only where the user holds them: a token can narrow a user's roles, never widen them."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import TEST_SETTINGS, Api
from workflow.tokens import mint

pytestmark = pytest.mark.e2e


def _get(api: Api, roles: list[str], path: str) -> int:
    token = mint(TEST_SETTINGS, "north.social_worker", "NORTH", roles, now=api.world.clock())
    return int(api.client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code)


def test_a_role_the_user_does_not_hold_is_not_granted_by_the_token(api: Api) -> None:
    pid = api.world.placements["north"]
    assert _get(api, ["social_worker"], f"/placements/{pid}") == 200
    assert _get(api, ["unit_manager"], f"/placements/{pid}") == 403  # claimed, not held: no role left
    assert _get(api, ["social_worker", "board"], f"/placements/{pid}") == 200
