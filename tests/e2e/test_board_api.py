"""The board's work through HTTP: matters generated, shown as JSON and HTML, templates edited, meetings, decisions,
audit responses; another board's objects answer 404."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import Api, problem_of
from tests.system_tools import need_pdf_printing, pdf_tool

pytestmark = pytest.mark.e2e

MATTER = {"matter_type": "decisions", "registry_number": "NOR-2026-00900", "from": "2026-01-01", "to": "2026-12-31"}


def test_a_matter_is_generated_listed_and_shown_as_json_and_as_its_printable_document(api: Api) -> None:
    h = api.auth("NORTH", "contract_strategist")
    made = api.client.post("/board/matters", headers=h, json=MATTER)
    assert made.status_code == 201, made.text
    mid = made.json()["id"]
    assert made.json()["template_version"] == 0
    assert [m["id"] for m in api.client.get("/board/matters", headers=h).json()] == [mid]
    shown = api.client.get(f"/board/matters/{mid}", headers=h).json()
    assert shown["registry_number"] == "NOR-2026-00900" and "Förslag till beslut" in shown["html"]
    document = api.client.get(f"/board/matters/{mid}/html", headers=h)
    assert document.headers["content-type"].startswith("text/html")
    assert document.text == shown["html"]
    taken = api.client.post("/board/matters", headers=h, json=MATTER)
    assert (taken.status_code, problem_of(taken)["rule"]) == (422, "registry_number")


def test_a_template_is_edited_into_a_new_version_and_an_unsafe_one_is_refused_naming_the_rule(api: Api) -> None:
    secretary = api.auth("NORTH", "board_secretary")
    shipped = api.client.get("/board/templates/annual", headers=secretary).json()
    assert shipped["version"] == 0 and "{% trans %}" in shipped["source"]
    edited = api.client.put(
        "/board/templates/annual", headers=secretary, json={"source": "<p>Egen text</p>", "note": "kortare"}
    )
    assert (edited.status_code, edited.json()["version"]) == (200, 1)
    listing = {t["matter_type"]: t for t in api.client.get("/board/templates", headers=secretary).json()}
    assert listing["annual"]["current_version"] == 1 and listing["terminations"]["current_version"] == 0
    unsafe = api.client.put(
        "/board/templates/annual", headers=secretary, json={"source": "{{ matter.__class__.__init__.__globals__ }}"}
    )
    assert (unsafe.status_code, problem_of(unsafe)["rule"]) == (422, "template_unsafe")
    strategist = api.client.put(
        "/board/templates/annual", headers=api.auth("NORTH", "contract_strategist"), json={"source": "<p>x</p>"}
    )
    assert (strategist.status_code, problem_of(strategist)["rule"]) == (403, "role")


def test_the_boards_decision_on_a_matter_is_recorded_at_a_meeting(api: Api) -> None:
    mid = api.client.post("/board/matters", headers=api.auth("NORTH", "contract_strategist"), json=MATTER).json()["id"]
    secretary = api.auth("NORTH", "board_secretary")
    meeting = api.client.post("/board/meetings", headers=secretary, json={"held_on": "2026-03-18"})
    assert meeting.status_code == 201
    meeting_id = meeting.json()["id"]
    decided = api.client.post(
        f"/board/meetings/{meeting_id}/decisions",
        headers=secretary,
        json={"matter_id": mid, "paragraph": "§ 14", "outcome": "adopted", "registry_number": "NOR-2026-00900"},
    )
    assert decided.status_code == 201, decided.text
    presented = api.client.post(
        f"/board/meetings/{meeting_id}/reports-presented",
        headers=secretary,
        json={"report": "decisions", "from": "2026-01-01", "to": "2026-12-31", "paragraph": "15", "matter_id": mid},
    )
    assert presented.status_code == 201, presented.text
    seen = api.client.get(f"/board/meetings/{meeting_id}", headers=secretary).json()
    assert [(d["paragraph"], d["outcome"]) for d in seen["decisions"]] == [("§ 14", "adopted")]
    assert [(p["paragraph"], p["report"]) for p in seen["reports_presented"]] == [("§ 15", "decisions")]
    matter = api.client.get(f"/board/matters/{mid}", headers=secretary).json()
    assert [(d["held_on"], d["paragraph"]) for d in matter["decisions"]] == [("2026-03-18", "§ 14")]


def test_an_audit_response_with_measures_is_recorded_and_read_back(api: Api) -> None:
    h = api.auth("NORTH", "contract_strategist")
    made = api.client.post(
        "/board/audit-responses",
        headers=h,
        json={
            "audit_report": "Revisionsrapport 2026:3",
            "response_due_on": "2026-04-15",
            "measures": [{"text": "Ny rutin", "responsible_role": "unit_manager", "follow_up_on": "2026-06-15"}],
        },
    )
    assert made.status_code == 201, made.text
    rid = made.json()["case_id"]
    seen = api.client.get(f"/board/audit-responses/{rid}", headers=h).json()
    assert seen["status"] == "drafted" and seen["response_due_on"] == "2026-04-15"
    assert [(m["text"], m["responsible_role"], m["follow_up_on"]) for m in seen["measures"]] == [
        ("Ny rutin", "unit_manager", "2026-06-15")
    ]
    measure_case = api.client.get(f"/cases/{seen['measures'][0]['case_id']}", headers=h).json()
    assert [d["kind"] for d in measure_case["deadlines"]] == ["audit_measure_follow_up"]
    board_role = api.client.post(
        f"/board/audit-responses/{rid}/measures",
        headers=h,
        json={"text": "x", "responsible_role": "board", "follow_up_on": "2026-06-15"},
    )
    assert board_role.status_code == 422


def test_another_boards_matters_meetings_and_audit_responses_answer_404(api: Api) -> None:
    north, south = api.auth("NORTH", "contract_strategist"), api.auth("SOUTH", "board_secretary")
    mid = api.client.post("/board/matters", headers=north, json=MATTER).json()["id"]
    meeting_id = api.client.post(
        "/board/meetings", headers=api.auth("NORTH", "board_secretary"), json={"held_on": "2026-03-18"}
    ).json()["id"]
    rid = api.client.post(
        "/board/audit-responses", headers=north, json={"audit_report": "R", "response_due_on": "2026-04-15"}
    ).json()["case_id"]
    south_meeting = api.client.post("/board/meetings", headers=south, json={"held_on": "2026-03-19"}).json()["id"]
    for path in (
        f"/board/matters/{mid}",
        f"/board/matters/{mid}/html",
        f"/board/meetings/{meeting_id}",
        f"/board/audit-responses/{rid}",
    ):
        assert api.client.get(path, headers=south).status_code == 404, path
    crossed = api.client.post(
        f"/board/meetings/{south_meeting}/decisions",
        headers=south,
        json={"matter_id": mid, "paragraph": "1", "outcome": "adopted", "registry_number": "SOU-1"},
    )
    assert crossed.status_code == 404
    assert api.client.get("/board/matters", headers=south).json() == []


def test_a_matter_prints_to_a_pdf_with_the_municipality_and_registry_number_on_every_page(
    api: Api, tmp_path: Path
) -> None:
    need_pdf_printing()
    h = api.auth("NORTH", "contract_strategist")
    long = {
        "assessment": "Förvaltningens bedömning i detalj. " * 110,
        "proposal": "Nämnden beslutar enligt förslaget. " * 110,
    }
    mid = api.client.post("/board/matters", headers=h, json={**MATTER, "texts": long}).json()["id"]
    pdf = api.client.get(f"/board/matters/{mid}/pdf", headers=h)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    path = tmp_path / "matter.pdf"
    path.write_bytes(pdf.content)
    pdftotext = pdf_tool("pdftotext")
    pages = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    printed = [p for p in pages.split("\f") if p.strip()]
    assert len(printed) >= 2
    for number, page in enumerate(printed, 1):
        assert "NORTH board" in page and "NOR-2026-00900" in page
        assert re.search(rf"\b{number} \({len(printed)}\)", page), page[-200:]
    assert "Förslag till beslut" in pages
    south = api.client.get(f"/board/matters/{mid}/pdf", headers=api.auth("SOUTH", "contract_strategist"))
    assert south.status_code == 404
