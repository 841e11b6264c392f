"""The administration API: administrators manage their municipality's organisations, users and role mappings and
review the access log; everyone else is refused (403, rule ``role``) and other municipalities' objects are 404."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from tests.e2e.conftest import TEST_SETTINGS, Api, problem_of
from tests.world import NOW
from workflow.schema.tables import ACCESS_LOG, ADMIN_EVENT, OUTBOX
from workflow.tokens import mint

pytestmark = pytest.mark.e2e


def admin(api: Api, org: str = "NORTH") -> dict[str, str]:
    return api.auth(org, "administrator")


def test_an_administrator_creates_an_organisation_and_a_user_who_can_then_use_the_api(api: Api) -> None:
    org = api.client.post(
        "/admin/organisations",
        json={"code": "NORTH_EAST", "name": "Norra östra", "kind": "district_board"},
        headers=admin(api),
    )
    assert org.status_code == 201, org.text
    assert org.json()["parent_id"] == api.world.orgs["NORTH"]
    user = api.client.post(
        "/admin/users",
        json={
            "username": "ne.strateg",
            "display_name": "Nora Strateg",
            "email": "nora@ne.test",
            "organisation_id": org.json()["id"],
            "roles": ["contract_strategist"],
        },
        headers=admin(api),
    )
    assert user.status_code == 201, user.text
    token = mint(TEST_SETTINGS, "ne.strateg", "NORTH_EAST", ["contract_strategist"], now=api.world.clock())
    assert api.client.get("/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = api.client.get("/admin/users", params={"organisation_id": org.json()["id"]}, headers=admin(api)).json()
    assert [u["username"] for u in listed["items"]] == ["ne.strateg"]
    changes = api.client.get("/admin/audit-events", headers=admin(api)).json()
    assert [e["action"] for e in changes["items"]] == ["create_user", "create_organisation"]


def test_every_admin_endpoint_refuses_a_user_without_the_administrator_role(api: Api) -> None:
    w = api.world
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/admin/organisations", None),
        ("GET", f"/admin/organisations/{w.orgs['NORTH']}", None),
        ("POST", "/admin/organisations", {"code": "X_1", "name": "X", "kind": "district_board"}),
        ("PATCH", f"/admin/organisations/{w.orgs['NORTH']}", {"name": "X"}),
        ("POST", f"/admin/organisations/{w.orgs['NORTH']}/deactivate", None),
        ("GET", "/admin/users", None),
        ("GET", f"/admin/users/{w.users[('NORTH', 'director')]}", None),
        ("PATCH", f"/admin/users/{w.users[('NORTH', 'director')]}", {"roles": ["administrator"]}),
        ("POST", f"/admin/users/{w.users[('NORTH', 'social_worker')]}/deactivate", None),
        ("GET", "/admin/role-mappings", None),
        (
            "POST",
            "/admin/role-mappings",
            {"group_name": "g", "organisation_id": w.orgs["NORTH"], "roles": ["director"]},
        ),
        ("GET", "/admin/audit-events", None),
        ("GET", "/admin/access-log", None),
        ("GET", "/admin/access-log/csv", None),
        ("GET", "/admin/access-alerts", None),
    ]
    for role in ("director", "social_worker", "board_secretary"):
        for method, path, body in calls:
            r = api.client.request(method, path, json=body, headers=api.auth("NORTH", role))
            assert r.status_code == 403, (role, method, path, r.text)
            assert problem_of(r)["rule"] == "role"


def test_another_municipalitys_objects_answer_404_with_no_content(api: Api) -> None:
    w = api.world
    south_user = w.users[("SOUTH", "social_worker")]
    mapping = api.client.post(
        "/admin/role-mappings",
        json={"group_name": "sg-south", "organisation_id": w.orgs["SOUTH"], "roles": ["social_worker"]},
        headers=admin(api, "SOUTH"),
    ).json()
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/admin/organisations/{w.orgs['SOUTH']}", None),
        ("PATCH", f"/admin/organisations/{w.orgs['SOUTH']}", {"name": "Taken"}),
        ("POST", f"/admin/organisations/{w.orgs['SOUTH']}/deactivate", None),
        ("POST", "/admin/organisations", {"code": "S_2", "name": "X", "kind": "district_board",
                                          "parent_id": w.orgs["SOUTH"]}),
        ("GET", f"/admin/users/{south_user}", None),
        ("PATCH", f"/admin/users/{south_user}", {"roles": ["administrator"]}),
        ("POST", f"/admin/users/{south_user}/deactivate", None),
        ("POST", "/admin/users", {"username": "x.y", "display_name": "X", "email": "x@y.test",
                                  "organisation_id": w.orgs["SOUTH"], "roles": ["director"]}),
        ("GET", f"/admin/role-mappings/{mapping['id']}", None),
        ("PATCH", f"/admin/role-mappings/{mapping['id']}", {"roles": ["director"]}),
        ("POST", f"/admin/role-mappings/{mapping['id']}/deactivate", None),
        ("GET", "/admin/users/999999", None),
    ]  # fmt: skip
    for method, path, body in calls:
        r = api.client.request(method, path, json=body, headers=admin(api))
        assert r.status_code == 404, (method, path, r.text)
        assert "Taken" not in r.text and "sg-south" not in r.text
    listed = api.client.get("/admin/users", params={"page_size": 100}, headers=admin(api)).json()
    assert {u["organisation_id"] for u in listed["items"]} == {w.orgs["NORTH"]}


def test_refusals_name_their_rule_and_request_bodies_are_strict(api: Api) -> None:
    w = api.world
    r = api.client.post(f"/admin/organisations/{w.orgs['NORTH']}/deactivate", headers=admin(api))
    assert r.status_code == 422 and problem_of(r)["rule"] == "organisation_has_active_users"
    me = w.users[("NORTH", "administrator")]
    r = api.client.post(f"/admin/users/{me}/deactivate", headers=admin(api))
    assert r.status_code == 422 and problem_of(r)["rule"] == "own_account"
    r = api.client.post(
        "/admin/organisations",
        json={"code": "OK_1", "name": "X", "kind": "district_board", "extra": 1},
        headers=admin(api),
    )
    assert r.status_code == 422 and problem_of(r)["rule"] == "schema"
    r = api.client.patch(f"/admin/users/{me}", json={"roles": ["superuser"]}, headers=admin(api))
    assert r.status_code == 422 and problem_of(r)["rule"] == "schema"
    r = api.client.post(
        "/admin/organisations", json={"code": "SOUTH", "name": "Dup", "kind": "district_board"}, headers=admin(api)
    )
    assert r.status_code == 409


def test_role_mappings_over_http_are_created_changed_and_deactivated(api: Api) -> None:
    w = api.world
    made = api.client.post(
        "/admin/role-mappings",
        json={"group_name": "sg-north-sw", "organisation_id": w.orgs["NORTH"], "roles": ["social_worker"]},
        headers=admin(api),
    )
    assert made.status_code == 201, made.text
    mid = made.json()["id"]
    changed = api.client.patch(f"/admin/role-mappings/{mid}", json={"roles": ["unit_manager"]}, headers=admin(api))
    assert changed.json()["version"] == 2 and changed.json()["roles"] == ["unit_manager"]
    gone = api.client.post(f"/admin/role-mappings/{mid}/deactivate", headers=admin(api))
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert api.client.get("/admin/role-mappings", params={"active": "true"}, headers=admin(api)).json()["total"] == 0


def test_a_token_with_mapped_groups_provisions_its_user_and_unknown_groups_are_named(api: Api) -> None:
    w = api.world
    api.client.post(
        "/admin/role-mappings",
        json={"group_name": "sg-north-um", "organisation_id": w.orgs["NORTH"], "roles": ["unit_manager"]},
        headers=admin(api),
    )
    now = int(w.clock().timestamp())
    import jwt

    def token(sub: str, groups: list[str]) -> str:
        claims = {"iss": TEST_SETTINGS.jwt_issuer, "aud": TEST_SETTINGS.jwt_audience, "sub": sub, "groups": groups,
                  "iat": now, "exp": now + 600, "name": "Eva E", "email": "eva@north.test"}  # fmt: skip
        return jwt.encode(claims, TEST_SETTINGS.jwt_secret, algorithm="HS256")

    r = api.client.get("/cases", headers={"Authorization": f"Bearer {token('eva@north', ['sg-north-um', 'sg-other'])}"})
    assert r.status_code == 200, r.text
    users = api.client.get("/admin/users", params={"search": "eva@"}, headers=admin(api)).json()["items"]
    assert [(u["username"], u["roles"], u["source"]) for u in users] == [("eva@north", ["unit_manager"], "idp")]
    refused = api.client.get("/cases", headers={"Authorization": f"Bearer {token('olle@x', ['sg-nobody'])}"})
    assert refused.status_code == 401 and "sg-nobody" in problem_of(refused)["detail"]  # type: ignore[operator]


def _reads(api: Api, org: str, role: str, n: int, entity: str = "case", start: int = 1) -> None:
    w = api.world
    with w.engine.begin() as conn:
        conn.execute(
            insert(ACCESS_LOG),
            [
                {"organisation_id": w.orgs[org], "user_id": w.users[(org, role)], "entity": entity,
                 "entity_id": start + i, "action": "read", "at": NOW - timedelta(minutes=n - i)}
                for i in range(n)
            ],
        )  # fmt: skip


def test_the_access_log_is_listed_filtered_and_paged_by_cursor_and_the_review_is_logged(api: Api) -> None:
    w = api.world
    _reads(api, "NORTH", "social_worker", 5)
    _reads(api, "NORTH", "unit_manager", 2, entity="placement", start=100)
    _reads(api, "SOUTH", "social_worker", 3)
    first = api.client.get("/admin/access-log", params={"page_size": 3, "entity": "case"}, headers=admin(api)).json()
    assert first["total"] == 5 and len(first["items"]) == 3 and first["next_cursor"]
    rest = api.client.get(
        "/admin/access-log",
        params={"page_size": 3, "entity": "case", "cursor": first["next_cursor"]},
        headers=admin(api),
    ).json()
    ids = [i["entity_id"] for i in first["items"] + rest["items"]]
    assert ids == [5, 4, 3, 2, 1] and rest["next_cursor"] is None
    assert {i["organisation_code"] for i in first["items"]} == {"NORTH"}
    one = api.client.get(
        "/admin/access-log",
        params={"user_id": w.users[("NORTH", "unit_manager")], "entity": "placement", "entity_id": 101},
        headers=admin(api),
    ).json()
    assert [(i["username"], i["entity_id"]) for i in one["items"]] == [("north.unit_manager", 101)]
    period = api.client.get(
        "/admin/access-log",
        params={"entity": "case", "since": (NOW - timedelta(minutes=3)).isoformat(), "until": NOW.isoformat()},
        headers=admin(api),
    ).json()
    assert period["total"] == 3
    with w.engine.connect() as conn:
        reviews = conn.execute(
            select(ACCESS_LOG.c.user_id, ACCESS_LOG.c.action).where(ACCESS_LOG.c.entity == "access_log")
        ).all()
    assert reviews == [(w.users[("NORTH", "administrator")], "review")] * 4
    bad = api.client.get(
        "/admin/access-log", params={"since": NOW.isoformat(), "until": NOW.isoformat()}, headers=admin(api)
    )
    assert bad.status_code == 422 and problem_of(bad)["rule"] == "period"


def test_the_access_log_exports_as_swedish_csv_and_the_export_is_logged(api: Api) -> None:
    _reads(api, "NORTH", "social_worker", 2)
    r = api.client.get("/admin/access-log/csv", headers=admin(api))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Tid", "Användare", "Användar-id", "Organisation", "Posttyp", "Post-id", "Åtgärd"]
    assert [row[1] for row in rows[1:]] == ["north.social_worker", "north.social_worker"]
    assert rows[1][0] == "2026-03-02 09:59"  # Stockholm time of NOW - 1 minute
    english = api.client.get("/admin/access-log/csv", headers={**admin(api), "Accept-Language": "en"})
    assert english.content.decode("utf-8-sig").splitlines()[0].startswith("Time;User;")
    with api.world.engine.connect() as conn:
        actions = conn.execute(select(ACCESS_LOG.c.action).where(ACCESS_LOG.c.entity == "access_log")).scalars().all()
    assert actions == ["export", "export"]


def test_unusual_read_volumes_are_listed_as_alerts_per_user_and_day(api: Api) -> None:
    limit = TEST_SETTINGS.access_alert_daily_reads
    _reads(api, "NORTH", "social_worker", limit + 1)
    _reads(api, "NORTH", "unit_manager", limit)  # at the threshold: no alert
    _reads(api, "SOUTH", "social_worker", limit + 5)
    found = api.client.get("/admin/access-alerts", params={"day": "2026-03-02"}, headers=admin(api)).json()
    assert [(a["username"], a["reads"], a["threshold"]) for a in found] == [("north.social_worker", limit + 1, limit)]
    assert api.client.get("/admin/access-alerts", params={"day": "2026-03-03"}, headers=admin(api)).json() == []
    with api.world.engine.connect() as conn:
        assert conn.execute(select(OUTBOX.c.id)).first() is None  # listing sends nothing
        assert conn.execute(select(ADMIN_EVENT.c.id)).first() is None


def test_a_username_the_product_cannot_hold_or_unknown_roles_are_reported_not_a_server_error(api: Api) -> None:
    import jwt
    from structlog.testing import capture_logs

    w = api.world
    api.client.post(
        "/admin/role-mappings",
        json={"group_name": "sg-n", "organisation_id": w.orgs["NORTH"], "roles": ["unit_manager"]},
        headers=admin(api),
    )
    now = int(w.clock().timestamp())
    base = {"iss": TEST_SETTINGS.jwt_issuer, "aud": TEST_SETTINGS.jwt_audience, "iat": now, "exp": now + 600}
    long_name = jwt.encode({**base, "sub": "x" * 80, "groups": ["sg-n"]}, TEST_SETTINGS.jwt_secret, algorithm="HS256")
    r = api.client.get("/cases", headers={"Authorization": f"Bearer {long_name}"})
    assert r.status_code == 401
    claims = {**base, "sub": "north.director", "org": "NORTH", "roles": ["director", "superuser"]}
    token = jwt.encode(claims, TEST_SETTINGS.jwt_secret, algorithm="HS256")
    with capture_logs() as logs:
        assert api.client.get("/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert [e["roles"] for e in logs if e["event"] == "auth.unknown_roles"] == [["superuser"]]


def test_an_administrator_creates_an_integration_account_that_acts_only_with_client_credentials_tokens(
    api: Api,
) -> None:
    created = api.client.post(
        "/admin/users",
        json={
            "username": "ekonomisystem",
            "display_name": "Ekonomisystemet",
            "email": "it@north.test",
            "organisation_id": api.world.orgs["NORTH"],
            "roles": ["contract_strategist"],
            "integration": True,
        },
        headers=admin(api),
    )
    assert created.status_code == 201, created.text
    assert created.json()["source"] == "integration"
    # A person's token naming the integration's account is refused (the provider's tests cover its own tokens).
    token = mint(TEST_SETTINGS, "ekonomisystem", "NORTH", ["contract_strategist"], now=api.world.clock())
    assert api.client.get("/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 401
