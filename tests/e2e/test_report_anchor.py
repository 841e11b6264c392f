"""Rendering a report to the board over HTTP anchors the organisation's audit chain heads (issue 15)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import TEST_SETTINGS, Api
from workflow.engine.anchor import FileAnchorStore

pytestmark = pytest.mark.e2e


def _report_lines(org: int) -> list[tuple[int, str]]:
    lines = [json.loads(raw) for raw in FileAnchorStore(TEST_SETTINGS.audit_anchor_path).lines()]
    return [(line["seq"], line["reason"]) for line in lines if line["organisation_id"] == org]


def test_an_annual_or_terminations_report_is_anchored_and_another_report_is_not(api: Api) -> None:
    north = api.world.orgs["NORTH"]
    h = api.auth("NORTH", "contract_strategist")
    opened = api.client.post(
        "/cases",
        headers=h,
        json={
            "case_type": "complaint",
            "kind": "relative",
            "reason": "a letter",
            "agreement_id": api.world.agreements["north_calloff"],
        },
    )
    assert opened.status_code == 201, opened.text
    before = _report_lines(north)
    assert api.client.get("/reports/decisions", params={"year": 2026}, headers=h).status_code == 200
    assert _report_lines(north) == before
    assert api.client.get("/reports/annual/html", params={"year": 2026}, headers=h).status_code == 200
    assert api.client.get("/reports/terminations", params={"year": 2026}, headers=h).status_code == 200
    added = _report_lines(north)[len(before) :]
    assert [reason for _seq, reason in added] == ["report:annual", "report:terminations"]
    assert added[0][0] == added[1][0] >= 1  # nothing moved in between: the same checkpoint, anchored for each report
