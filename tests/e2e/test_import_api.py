"""``POST /imports``: the import over HTTP answers the same report as the command line."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.e2e.conftest import Api, problem_of
from workflow.schema.tables import AGREEMENT

pytestmark = pytest.mark.e2e

AGREEMENTS = (
    "\ufeffDiarienummer;Avtalstyp;Leverantör orgnr;Startdatum\r\n"
    "NOR-2025-0801;individual;550001-0000;2025-01-01\r\n"
    "NOR-2025-0802;individual;550001-0000;2025-01-01\r\n"
).encode()


def _agreements(api: Api) -> int:
    with api.world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AGREEMENT)).scalar_one())


def test_a_dry_run_upload_answers_the_report_and_saves_nothing(api: Api) -> None:
    before = _agreements(api)
    r = api.client.post(
        "/imports",
        files={"file": ("avtal.csv", AGREEMENTS, "text/csv")},
        data={"dry_run": "true"},
        headers=api.auth("NORTH", "contract_strategist"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] is True and body["committed"] is False
    assert body["counts"] == {"agreements": {"created": 2, "unchanged": 0, "errors": 0}}
    assert _agreements(api) == before


def test_an_upload_saves_all_rows_and_a_second_upload_changes_nothing(api: Api) -> None:
    before = _agreements(api)
    auth = api.auth("NORTH", "contract_strategist")
    r = api.client.post("/imports", files={"file": ("avtal.csv", AGREEMENTS, "text/csv")}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["committed"] is True
    assert _agreements(api) == before + 2
    again = api.client.post("/imports", files={"file": ("avtal.csv", AGREEMENTS, "text/csv")}, headers=auth).json()
    assert again["counts"]["agreements"] == {"created": 0, "unchanged": 2, "errors": 0}
    assert _agreements(api) == before + 2


def test_an_upload_with_a_bad_row_saves_nothing_and_names_it(api: Api) -> None:
    before = _agreements(api)
    bad = AGREEMENTS.replace(b"0802;individual;550001-0000", b"0802;individual;000000-0000")
    r = api.client.post(
        "/imports",
        files={"file": ("agreements.csv", bad, "text/csv")},
        headers=api.auth("NORTH", "contract_strategist"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["committed"] is False
    assert [(e["line"], e["column"], e["rule"]) for e in body["errors"]] == [
        (3, "provider_org_number", "import_reference")
    ]
    assert _agreements(api) == before


def test_a_role_that_registers_no_agreements_may_not_import(api: Api) -> None:
    r = api.client.post(
        "/imports",
        files={"file": ("avtal.csv", AGREEMENTS, "text/csv")},
        headers=api.auth("NORTH", "social_worker"),
    )
    assert r.status_code == 403
    assert problem_of(r)["rule"] == "role"


def test_a_file_that_is_neither_excel_nor_csv_is_refused_with_its_rule(api: Api) -> None:
    r = api.client.post(
        "/imports",
        files={"file": ("avtal.pdf", b"%PDF-1.4", "application/pdf")},
        headers=api.auth("NORTH", "contract_strategist"),
    )
    assert r.status_code == 422
    assert problem_of(r)["rule"] == "import_format"


def test_the_import_endpoint_is_in_the_openapi_document(api: Api) -> None:
    doc = api.client.get("/schema/openapi.json").json()
    op = doc["paths"]["/imports"]["post"]
    assert op["operationId"] == "importFile"
    assert "multipart/form-data" in op["requestBody"]["content"]


def test_an_administrator_uploads_organisations(api: Api) -> None:
    content = "kod;namn;typ\r\nEAST;Östra nämnden;district_board\r\n".encode()
    r = api.client.post(
        "/imports",
        files={"file": ("organisationer.csv", content, "text/csv")},
        headers=api.auth("CENTRAL", "administrator"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["counts"] == {"organisations": {"created": 1, "unchanged": 0, "errors": 0}}
    assert r.json()["committed"] is True
