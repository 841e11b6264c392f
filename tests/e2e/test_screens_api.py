"""What the screens read over HTTP: cursor pages, search, the deadline list, case, provider and agreement views."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api, problem_of


def open_complaint(api: Api, title: str, provider: str = "Acme Care AB", org: str = "NORTH") -> int:
    r = api.client.post(
        "/cases",
        headers=api.auth(org, "contract_strategist"),
        json={
            "case_type": "complaint",
            "reason": "a relative complains",
            "kind": "relative",
            "title": title,
            "provider_id": api.world.providers[provider],
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_a_client_walks_every_case_by_cursor_with_the_total_on_each_page(api: Api) -> None:
    ids = [open_complaint(api, f"case {i}") for i in range(5)]
    h = api.auth("NORTH", "contract_strategist")
    seen: list[int] = []
    params: dict[str, Any] = {"sort": "id", "page_size": 2}
    pages = 0
    while True:
        body = api.client.get("/cases", headers=h, params=params).json()
        assert body["total"] == 5 and body["page"] == (1 if pages == 0 else None)
        seen += [c["id"] for c in body["items"]]
        pages += 1
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert seen == ids and pages == 3


def test_a_cursor_made_for_another_sort_or_made_up_is_a_problem(api: Api) -> None:
    for i in range(3):
        open_complaint(api, f"case {i}")
    h = api.auth("NORTH", "contract_strategist")
    cursor = api.client.get("/cases", headers=h, params={"sort": "id", "page_size": 1}).json()["next_cursor"]
    for params in ({"sort": "-id", "cursor": cursor}, {"sort": "id", "cursor": "bm90IGEgY3Vyc29y"}):
        r = api.client.get("/cases", headers=h, params=params)
        assert r.status_code == 422 and problem_of(r)["rule"] == "cursor"


def test_cases_are_found_by_provider_name_and_listed_with_it(api: Api) -> None:
    acme = open_complaint(api, "acme")
    beta = open_complaint(api, "beta", provider="Beta Stöd AB")
    h = api.auth("NORTH", "contract_strategist")
    items = api.client.get("/cases", headers=h, params={"provider_name": "stöd"}).json()["items"]
    assert [(c["id"], c["provider_name"]) for c in items] == [(beta, "Beta Stöd AB")]
    assert acme not in [c["id"] for c in items]


def test_the_deadline_list_puts_overdue_first_and_shows_no_other_boards(api: Api) -> None:
    late = open_complaint(api, "late")
    api.world.clock.advance(days=40)
    fresh = open_complaint(api, "fresh")
    open_complaint(api, "south's", provider="Beta Stöd AB", org="SOUTH")
    body = api.client.get("/deadlines", headers=api.auth("NORTH", "unit_manager")).json()
    assert [(d["case_id"], d["overdue"]) for d in body["items"]] == [(late, True), (fresh, False)]
    assert body["total"] == 2


def test_a_case_shows_who_acted_by_name_and_its_closed_deadlines(api: Api) -> None:
    cid = open_complaint(api, "moved")
    h = api.auth("NORTH", "contract_strategist")
    r = api.client.post(f"/cases/{cid}/transitions", headers=h, json={"trigger": "investigate", "reason": "called"})
    assert r.status_code == 200, r.text
    case = api.client.get(f"/cases/{cid}", headers=h).json()
    assert case["provider_name"] == "Acme Care AB"
    assert [e["actor_name"] for e in case["timeline"]] == ["contract_strategist of NORTH"] * 2
    assert [d["status"] for d in case["closed_deadlines"]] == ["closed"]
    assert [d["status"] for d in case["deadlines"]] == ["pending"]


def test_provider_and_agreement_overviews_show_the_callers_work_and_hide_other_boards_agreements(api: Api) -> None:
    open_complaint(api, "about acme")
    acme = api.world.providers["Acme Care AB"]
    north = api.client.get(f"/providers/{acme}/overview", headers=api.auth("NORTH", "contract_strategist")).json()
    south = api.client.get(f"/providers/{acme}/overview", headers=api.auth("SOUTH", "contract_strategist")).json()
    assert (north["open_case_count"], north["placement_count"]) == (1, 1)
    assert (south["open_case_count"], south["placement_count"]) == (0, 0)
    calloff = api.world.agreements["north_calloff"]
    assert calloff in [a["id"] for a in north["agreements"]] and calloff not in [a["id"] for a in south["agreements"]]
    r = api.client.get(f"/agreements/{calloff}/overview", headers=api.auth("SOUTH", "contract_strategist"))
    assert r.status_code == 404
    mine = api.client.get(f"/agreements/{calloff}/overview", headers=api.auth("NORTH", "contract_strategist"))
    assert mine.status_code == 200 and mine.json()["provider_name"] == "Acme Care AB"


def test_the_overview_counts_the_callers_board_only_and_changes_as_cases_do(api: Api) -> None:
    def complaints() -> tuple[int, int]:
        body = api.client.get("/overview", headers=api.auth("NORTH", "contract_strategist")).json()
        row = next((t for t in body["organisation"] if t["case_type"] == "complaint"), {"open": 0, "overdue": 0})
        return row["open"], row["overdue"]

    before = complaints()
    late = open_complaint(api, "late")
    api.world.clock.advance(days=40)
    open_complaint(api, "south's", provider="Beta Stöd AB", org="SOUTH")
    assert complaints() == (before[0] + 1, before[1] + 1)
    h = api.auth("NORTH", "contract_strategist")
    r = api.client.post(f"/cases/{late}/transitions", headers=h, json={"trigger": "reject", "reason": "not ours"})
    assert r.status_code == 200, r.text
    assert complaints() == before
