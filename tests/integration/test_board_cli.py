"""``uppfoljning board generate``: a board matter from the command line, acting as a named user."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.world import build_world
from workflow.cli import main
from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade

pytestmark = pytest.mark.integration


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    build_world(engine)
    engine.dispose()
    return url


def test_the_board_command_generates_and_stores_a_matter_and_writes_its_document(db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "matter.html"
    args = ["--database-url", db_url, "board", "generate", "terminations", "--as", "north.board_secretary"]
    result = CliRunner().invoke(main, [*args, "--registry-number", "NOR-2026-7", "--year", "2026", "-o", str(out)])
    assert result.exit_code == 0, result.output
    stored = json.loads(result.stdout)  # stdout is the answer alone: the log lines go to stderr
    assert stored["registry_number"] == "NOR-2026-7" and stored["title"].startswith("Uppsagda och hävda avtal")
    assert "Förslag till beslut" in out.read_text(encoding="utf-8")
    assert "Tjänsteutlåtande" not in result.stdout
    again = CliRunner().invoke(main, [*args, "--registry-number", "NOR-2026-7", "--year", "2026"])
    assert again.exit_code != 0 and "registry_number" in again.output


def test_the_board_command_refuses_an_unknown_user_and_a_mixed_period_in_swedish(db_url: str) -> None:
    base = ["--database-url", db_url, "board", "generate", "annual", "--registry-number", "X-1"]
    unknown = CliRunner().invoke(main, [*base, "--as", "nobody", "--year", "2026"])
    assert unknown.exit_code == 2 and "Ingen aktiv användare nobody" in unknown.output
    mixed = CliRunner().invoke(main, [*base, "--as", "north.board_secretary", "--year", "2026", "--from", "2026-01-01"])
    assert mixed.exit_code == 2 and "inte båda" in mixed.output
