"""api.app.rebind: one application per test process, pointed at each test's database, as if made for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from api.app import create_app, rebind
from api.web.security import SESSION_STORE
from tests.e2e.conftest import TEST_SETTINGS
from tests.world import Clock, build_world
from workflow.bootstrap import bootstrap
from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade
from workflow.settings import Settings
from workflow.tokens import mint

pytestmark = pytest.mark.e2e


def _reachable(root: object, depth: int = 3) -> set[int]:
    """Ids of the objects reachable from ``root`` through attributes and container items, ``depth`` steps deep."""
    seen: set[int] = set()
    todo = [(root, 0)]
    while todo:
        obj, level = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if level < depth:
            fields = list((getattr(obj, "__dict__", None) or {}).values())
            fields += [getattr(obj, s, None) for k in type(obj).__mro__ for s in getattr(k, "__slots__", ())]
            if isinstance(obj, dict):
                fields += obj.values()
            elif isinstance(obj, list | tuple | set):
                fields += obj
            todo.extend((value, level + 1) for value in fields)
    return seen


def test_a_rebound_application_answers_from_the_new_database_and_holds_nothing_of_the_old(
    engine: Engine, tmp_path: Path
) -> None:
    old_engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(old_engine)
    old = bootstrap(TEST_SETTINGS, old_engine, Clock())
    app = create_app(old)
    world = build_world(engine, Clock())
    new = bootstrap(TEST_SETTINGS, engine, world.clock)

    assert rebind(app, new) is app
    fresh = create_app(new)
    assert set(app.state.keys()) == set(fresh.state.keys())
    held = _reachable(app.state) | _reachable(app.stores.get(SESSION_STORE))
    assert not held & {id(old), id(old.uow), id(old.engine), id(old.clock)}, "the rebound app still holds the old one"
    assert {id(new), id(new.uow)} <= held
    token = mint(TEST_SETTINGS, "north.contract_strategist", "NORTH", ["contract_strategist"], now=world.clock())
    with TestClient(app) as client:
        res = client.get("/providers", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200, res.text
    assert {p["name"] for p in res.json()["items"]} >= set(world.providers)
    old_engine.dispose()


def test_an_application_is_not_rebound_to_other_settings(engine: Engine) -> None:
    app = create_app(bootstrap(TEST_SETTINGS, engine, Clock()))
    other = Settings(jwt_secret=TEST_SETTINGS.jwt_secret)
    with pytest.raises(ValueError):
        rebind(app, bootstrap(other, engine, Clock()))
