"""Reports over HTTP: every format, organisation scoping, and a valid OpenAPI entry for each."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import Api, problem_of
from tests.system_tools import need_pdf_printing
from workflow.cases.opening import open_case

pytestmark = pytest.mark.e2e
PERIOD = {"from": "2026-01-01", "to": "2026-12-31"}


def _terminate_north(api: Api) -> None:
    w = api.world
    cid = open_case(
        w.wf,
        "agreement",
        w.actor("NORTH", "contract_strategist"),
        "register",
        agreement_id=w.agreements["north_calloff"],
    ).case_id
    w.wf.fire(
        cid,
        "terminate",
        w.actor("NORTH", "board"),
        "provider wound down",
        registry_number="NOR-2026-00042",
        params={"termination_reason": "wound_down", "initiator": "provider"},
    )


def test_the_board_secretary_gets_every_report_as_json(api: Api) -> None:
    _terminate_north(api)
    names = [r["name"] for r in api.client.get("/reports", headers=api.auth("NORTH", "board_secretary")).json()]
    assert {"annual", "terminations", "decisions"} <= set(names)
    for name in names:
        res = api.client.get(f"/reports/{name}", params=PERIOD, headers=api.auth("NORTH", "board_secretary"))
        assert res.status_code == 200, res.text
        assert res.json()["organisation"]["code"] == "NORTH"
    rows = api.client.get("/reports/terminations", params=PERIOD, headers=api.auth("NORTH", "board_secretary")).json()
    assert [r["registry_number"] for r in rows["tables"][0]["rows"]] == ["NOR-2026-00042"]


def test_csv_html_and_excel_carry_the_same_termination(api: Api) -> None:
    _terminate_north(api)
    h = api.auth("NORTH", "contract_strategist")
    res = api.client.get("/reports/terminations/csv", params={**PERIOD, "table": "ended_agreements"}, headers=h)
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    assert "attachment" in res.headers["content-disposition"]
    assert res.content.startswith("\ufeff".encode())  # UTF-8 with BOM, ';' between fields
    rows = list(csv.DictReader(io.StringIO(res.content.decode("utf-8-sig")), delimiter=";"))
    assert [r["Diarienummer"] for r in rows] == ["NOR-2026-00042"]
    several = api.client.get("/reports/terminations/csv", params=PERIOD, headers=h)
    assert (several.status_code, several.json()["rule"]) == (422, "table")
    assert "ended_agreements" in several.json()["detail"]

    res = api.client.get("/reports/terminations/html", params=PERIOD, headers=h)
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/html")
    assert "NOR-2026-00042" in res.text and "<svg" in res.text

    res = api.client.get("/reports/terminations/xlsx", params=PERIOD, headers=h)
    assert res.status_code == 200
    wb = load_workbook(io.BytesIO(res.content))
    sheet = wb["Uppsägningar och hävningar"]
    assert "NOR-2026-00042" in [c.value for row in sheet.iter_rows() for c in row]

    need_pdf_printing()
    res = api.client.get("/reports/terminations/pdf", params={**PERIOD, "registry_number": "NOR 2026/0042"}, headers=h)
    assert res.status_code == 200 and res.headers["content-type"] == "application/pdf"
    assert res.content.startswith(b"%PDF-") and "attachment" in res.headers["content-disposition"]

    res = api.client.get("/reports/terminations/zip", params=PERIOD, headers=h)
    assert res.status_code == 200 and res.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(res.content)) as zf:
        assert len(zf.namelist()) == 2 and all(n.endswith(".csv") for n in zf.namelist())


def test_a_report_speaks_swedish_unless_english_is_asked_for(api: Api) -> None:
    _terminate_north(api)
    h = api.auth("NORTH", "contract_strategist")
    sv = api.client.get("/reports/terminations", params=PERIOD, headers=h).json()
    en = api.client.get(
        "/reports/terminations", params=PERIOD, headers={**h, "Accept-Language": "en-GB,en;q=0.9"}
    ).json()
    by_param = api.client.get("/reports/terminations", params={**PERIOD, "lang": "en"}, headers=h).json()
    assert (sv["title"], en["title"], by_param["title"]) == (
        "Uppsagda och hävda avtal",
        "Terminated and rescinded agreements",
        "Terminated and rescinded agreements",
    )
    assert sv["tables"][0]["columns"][0]["label"] == "Datum" and en["tables"][0]["columns"][0]["label"] == "Date"
    assert sv["tables"][0]["note"] == "n = 1 beslut: 1 uppsägning, 0 hävningar."
    html = api.client.get("/reports/terminations/html", params={**PERIOD, "lang": "en"}, headers=h)
    assert '<html lang="en">' in html.text and html.headers["content-language"] == "en"
    bad = api.client.get("/reports/terminations/html", params={**PERIOD, "lang": "de"}, headers=h)
    assert bad.status_code == 422


def test_a_district_asking_for_another_boards_report_gets_not_found(api: Api) -> None:
    _terminate_north(api)
    for path in ("/reports/terminations", "/reports/terminations/csv", "/reports/annual/xlsx"):
        res = api.client.get(path, params={**PERIOD, "org": "NORTH"}, headers=api.auth("SOUTH", "department_head"))
        assert res.status_code == 404
        assert "NOR-2026-00042" not in res.text
        problem_of(res)


def test_the_central_board_sees_a_districts_decisions_without_individual_detail(api: Api) -> None:
    w = api.world
    cid = open_case(
        w.wf,
        "implementation_plan",
        w.actor("NORTH", "social_worker"),
        "plan requested",
        placement_id=w.placements["north"],
        params={"due_date": "2026-03-10"},
    ).case_id
    w.clock.now = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    from workflow.engine.firing import Actor

    w.wf.fire(cid, "mark_overdue", Actor.system(w.orgs["NORTH"]), "due date passed")
    w.wf.fire(cid, "flag_for_sanction", Actor.system(w.orgs["NORTH"]), "still missing")
    w.wf.fire(
        cid,
        "impose_sanction",
        w.actor("NORTH", "department_head"),
        "late plan for KL-0001",
        registry_number="NOR-2026-00777",
    )
    worker = api.client.get("/reports/decisions", params=PERIOD, headers=api.auth("NORTH", "department_head")).json()
    [row] = worker["tables"][0]["rows"]
    assert (row["registry_number"], row["case_id"], row["reason"]) == ("NOR-2026-00777", cid, "late plan for KL-0001")
    # The board's secretary reports every decision to the board, but sees no individual case or its grounds.
    own = api.client.get("/reports/decisions", params=PERIOD, headers=api.auth("NORTH", "board_secretary")).json()
    [row] = own["tables"][0]["rows"]
    assert (row["registry_number"], row["case_id"], row["case_type"]) == ("NOR-2026-00777", None, "Individärende")
    assert "reason" not in row and "KL-0001" not in str(own)
    central = api.client.get(
        "/reports/decisions", params={**PERIOD, "org": "NORTH"}, headers=api.auth("CENTRAL", "board_secretary")
    )
    assert central.status_code == 200
    assert central.json()["tables"][0]["rows"] == []
    assert "KL-0001" not in central.text


def test_reports_need_a_token_a_known_name_and_a_sane_period(api: Api) -> None:
    assert api.client.get("/reports/annual", params=PERIOD).status_code == 401
    h = api.auth("NORTH", "contract_strategist")
    bad = api.client.get("/reports/nonsense", params=PERIOD, headers=h)
    assert bad.status_code == 422 and "unknown report" in problem_of(bad)["detail"]  # type: ignore[operator]
    back = api.client.get("/reports/annual", params={"from": "2026-12-31", "to": "2026-01-01"}, headers=h)
    assert back.status_code == 422
    missing = api.client.get("/reports/terminations/csv", params={**PERIOD, "table": "nope"}, headers=h)
    assert missing.status_code == 422


def test_each_report_operation_is_in_the_openapi_document_with_its_media_type(api: Api) -> None:
    doc = api.client.get("/schema/openapi.json").json()
    want = {
        "/reports/{name}": "application/json",
        "/reports/{name}/csv": "text/csv",
        "/reports/{name}/zip": "application/zip",
        "/reports/{name}/html": "text/html",
        "/reports/{name}/pdf": "application/pdf",
        "/reports/{name}/xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    for path, media in want.items():
        ok = doc["paths"][path]["get"]["responses"]["200"]["content"]
        assert any(m.startswith(media) for m in ok), (path, ok)


def test_a_report_takes_a_year_as_the_command_line_does_or_from_and_to_but_not_both(api: Api) -> None:
    auth = api.auth("NORTH", "contract_strategist")
    by_year = api.client.get("/reports/terminations", params={"year": 2026}, headers=auth)
    by_dates = api.client.get("/reports/terminations", params={"from": "2026-01-01", "to": "2026-12-31"}, headers=auth)
    assert by_year.status_code == by_dates.status_code == 200
    assert by_year.json()["period"] == {"from": "2026-01-01", "to": "2026-12-31"}
    assert by_year.json()["tables"] == by_dates.json()["tables"]
    both = api.client.get("/reports/terminations", params={"year": 2026, "from": "2026-01-01"}, headers=auth)
    none = api.client.get("/reports/terminations", headers=auth)
    assert (both.status_code, both.json()["rule"]) == (422, "period")
    assert (none.status_code, none.json()["rule"]) == (422, "period")
    assert api.client.get("/reports/annual/xlsx", params={"year": 2026}, headers=auth).status_code == 200
