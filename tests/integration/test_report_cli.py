"""``uppfoljning report``: every format from the command line, and clear refusals."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.system_tools import need_pdf_printing
from tests.world import build_world
from workflow.cases.opening import open_case
from workflow.cli import main
from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade

pytestmark = pytest.mark.integration


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    w = build_world(engine)
    cid = open_case(
        w.wf,
        "agreement",
        w.actor("NORTH", "contract_strategist"),
        "register",
        agreement_id=w.agreements["north_calloff"],
    ).case_id
    w.wf.fire(
        cid,
        "rescind",
        w.actor("NORTH", "board"),
        "no permit",
        registry_number="NOR-2026-00314",
        params={"rescission_ground": "permit_not_applied"},
    )
    engine.dispose()
    return url


def _run(url: str, *args: str) -> object:
    return CliRunner().invoke(main, ["--database-url", url, "report", *args], catch_exceptions=False)


def test_the_report_command_writes_json_and_csv(db_url: str) -> None:
    res = _run(db_url, "terminations", "--org", "NORTH", "--year", "2026")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    doc = json.loads(res.stdout_bytes)  # type: ignore[attr-defined]
    assert doc["tables"][0]["rows"][0]["registry_number"] == "NOR-2026-00314"
    res = _run(
        db_url,
        "terminations",
        "--org",
        "NORTH",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--format",
        "csv",
        "--table",
        "ended_agreements",
    )
    rows = list(csv.DictReader(io.StringIO(res.stdout_bytes.decode("utf-8-sig")), delimiter=";"))  # type: ignore[attr-defined]
    assert [r["Skäl / grund"] for r in rows] == ["Tillstånd har inte sökts"]


def test_the_report_command_writes_html_and_excel_files(db_url: str, tmp_path: Path) -> None:
    need_pdf_printing()
    for name, fmt in (("terminations", "html"), ("annual", "xlsx"), ("terminations", "pdf")):
        out = tmp_path / f"{name}.{fmt}"
        res = _run(
            db_url,
            name,
            "--org",
            "NORTH",
            "--year",
            "2026",
            "--format",
            fmt,
            "--registry-number",
            "NOR-2027-1",
            "-o",
            str(out),
        )
        assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert "<svg" in (tmp_path / "terminations.html").read_text()
    assert "Uppsägningar per ramavtal" in load_workbook(tmp_path / "annual.xlsx").sheetnames
    assert (tmp_path / "terminations.pdf").read_bytes().startswith(b"%PDF-")
    assert "Skrev " in res.output and "byte till" in res.output  # type: ignore[attr-defined]
    res = _run(db_url, "terminations", "--org", "NORTH", "--year", "2026", "--lang", "en")
    assert json.loads(res.stdout_bytes)["title"] == "Terminated and rescinded agreements"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["annual", "--org", "NOWHERE", "--year", "2026"], "ingen organisation 'NOWHERE'"),
        (["annual", "--org", "NORTH"], "ange --year, eller både --from och --to"),
        (["annual", "--org", "NORTH", "--from", "2026-13-01", "--to", "2026-12-31"], "är inte ett ISO-datum"),
        (["annual", "--org", "NORTH", "--from", "2026-12-31", "--to", "2026-01-01"], "before it starts"),
        (["nonsense", "--org", "NORTH", "--year", "2026"], "unknown report"),
        (["annual", "--org", "NORTH", "--year", "2026", "--top", "2"], "only the plan takes options"),
        (["annual", "--org", "NORTH", "--year", "2026", "--format", "csv", "--table", "nope"], "no table"),
        (["annual", "--org", "NORTH", "--year", "2026", "--format", "csv"], "En CSV-fil rymmer en tabell"),
    ],
)
def test_the_report_command_refuses_bad_input_with_a_reason(db_url: str, args: list[str], message: str) -> None:
    res = _run(db_url, *args)
    assert res.exit_code == 2  # type: ignore[attr-defined]
    assert message in res.output  # type: ignore[attr-defined]
