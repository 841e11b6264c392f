"""The command line speaks Swedish (issue 14): every help text and every message meant for a person comes from the
one catalogue, Swedish by default and English with ``UPPF_CLI_LANGUAGE=en``; machine output stays as it is.

Help texts are read from the environment when the modules load, so the help pages are collected in a fresh
interpreter per language; messages are read when they are said, so those tests set the variable in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine

import workflow.runtime as rt
from tests.smtp_sink import free_port
from workflow import i18n
from workflow.cli import main
from workflow.settings import get_settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

#: Runs in a fresh interpreter: every command's help, its options' help and its ``--help`` page, as JSON.
HELP_PAGES = """
import json
import click
from click.testing import CliRunner
from workflow.cli import main

pages = {}

def walk(command, path):
    output = CliRunner().invoke(main, [*path, "--help"]).output
    options = {p.name: p.help for p in command.params if isinstance(p, click.Option) and p.help and p.name != "help"}
    pages[" ".join(path)] = {"help": command.help, "options": options, "output": output}
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            walk(sub, [*path, name])

walk(main, [])
print(json.dumps(pages))
"""


def help_pages(language: str | None) -> dict[str, dict[str, object]]:
    env = {k: v for k, v in os.environ.items() if k != i18n.CLI_LANGUAGE_ENV}
    if language is not None:
        env[i18n.CLI_LANGUAGE_ENV] = language
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", HELP_PAGES], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    pages: dict[str, dict[str, object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return pages


@pytest.fixture(scope="module")
def swedish() -> dict[str, dict[str, object]]:
    return help_pages(None)


@pytest.fixture(scope="module")
def english() -> dict[str, dict[str, object]]:
    return help_pages("en")


def test_uppfoljning_help_is_swedish_by_default_and_english_on_request(
    swedish: dict[str, dict[str, object]], english: dict[str, dict[str, object]]
) -> None:
    sv, en = str(swedish[""]["output"]), str(english[""]["output"])
    assert "Uppföljning: uppföljning av utförare inom socialtjänsten." in sv
    assert "SQLAlchemy-URL (standard: SQLite-fil)" in sv
    assert "Läs in demokommunen i en tom databas." in sv
    assert "Uppföljning: follow-up of social-service providers." in en
    assert "Load the demo municipality into an empty database." in en
    assert "Läs in demokommunen" not in en
    assert sv.startswith("Användning: ") and "Flaggor:" in sv and "Kommandon:" in sv  # click's own words too
    assert "Visa den här hjälpen och avsluta." in sv and "Usage:" not in sv and "Options:" not in sv
    assert en.startswith("Usage: ") and "Options:" in en and "Show this message and exit." in en


def test_clicks_own_refusals_are_in_the_command_lines_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(i18n.CLI_LANGUAGE_ENV, raising=False)
    swedish = CliRunner().invoke(main, ["report", "--nope"])
    assert swedish.exit_code == 2 and "Fel: Det finns ingen flagga '--nope'." in swedish.output
    assert "report --help' för hjälp." in swedish.output
    monkeypatch.setenv(i18n.CLI_LANGUAGE_ENV, "en")
    english = CliRunner().invoke(main, ["report", "--nope"])
    assert english.exit_code == 2 and "Error: No such option '--nope'." in english.output


def test_every_command_and_option_has_its_help_in_swedish_and_in_english(
    swedish: dict[str, dict[str, object]], english: dict[str, dict[str, object]]
) -> None:
    assert swedish.keys() == english.keys()
    assert {"", "init-db", "verify-audit", "mail test", "report", "board generate", "retention run", "token"} <= set(
        swedish
    )
    assert {"admin user create", "scheduler", "backup", "restore", "serve"} <= set(swedish)
    untranslated = []
    for path, page in english.items():
        sv_page = swedish[path]
        source = str(page["help"])
        if not source or i18n.gettext("sv", source) == source or sv_page["help"] != i18n.gettext("sv", source):
            untranslated.append(f"{path or 'uppfoljning'}: {source!r}")
        assert str(sv_page["help"]).split("\n")[0].split(" (")[0][:30] in " ".join(str(sv_page["output"]).split())
        options_en = dict(page["options"])  # type: ignore[call-overload]
        options_sv = dict(sv_page["options"])  # type: ignore[call-overload]
        assert options_sv.keys() == options_en.keys(), path
        for name, text in options_en.items():
            if i18n.gettext("sv", text) == text or options_sv[name] != i18n.gettext("sv", text):
                untranslated.append(f"{path or 'uppfoljning'} --{name}: {text!r}")
    assert untranslated == []


def test_an_unknown_cli_language_falls_back_to_swedish(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(i18n.CLI_LANGUAGE_ENV, "de")
    assert i18n.cli_locale() == "sv"
    assert i18n.say(i18n.N_("schema is up to date")) == "databasschemat är aktuellt"
    monkeypatch.setenv(i18n.CLI_LANGUAGE_ENV, "en")
    assert i18n.say(i18n.N_("schema is up to date")) == "schema is up to date"


@pytest.fixture
def cli_env(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command line on the parametrised database, its anchors in a temporary directory, no language chosen."""
    monkeypatch.delenv(i18n.CLI_LANGUAGE_ENV, raising=False)
    monkeypatch.setenv("UPPF_AUDIT_ANCHOR_PATH", str(tmp_path / "anchors.jsonl"))
    monkeypatch.setattr(rt, "engine_for", lambda _url=None: engine)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["--log-level", "WARNING", *args])


@pytest.mark.parametrize(
    ("language", "expected"),
    [(None, "databasschemat är aktuellt"), ("en", "schema is up to date")],
)
def test_init_db_says_the_schema_is_up_to_date_in_the_command_lines_language(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, language: str | None, expected: str
) -> None:
    if language:
        monkeypatch.setenv(i18n.CLI_LANGUAGE_ENV, language)
    result = run("init-db")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [(None, "loggkedjan är obruten (ankare i "), ("en", "audit chain intact (anchors in ")],
)
def test_verify_audit_on_an_empty_database_says_the_chain_is_intact_in_the_command_lines_language(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, language: str | None, expected: str
) -> None:
    if language:
        monkeypatch.setenv(i18n.CLI_LANGUAGE_ENV, language)
    result = run("verify-audit")
    assert result.exit_code == 0, result.output
    assert f"{expected}{tmp_path / 'anchors.jsonl'})" in result.output


@pytest.mark.parametrize(
    ("language", "expected"),
    [(None, "tog inte emot testmeddelandet: "), ("en", "did not take the test message: ")],
)
def test_mail_test_refuses_in_the_command_lines_language_when_no_server_answers(
    monkeypatch: pytest.MonkeyPatch, language: str | None, expected: str
) -> None:
    monkeypatch.delenv(i18n.CLI_LANGUAGE_ENV, raising=False)
    if language:
        monkeypatch.setenv(i18n.CLI_LANGUAGE_ENV, language)
    port = free_port()
    monkeypatch.setenv("UPPF_SMTP_PORT", str(port))
    monkeypatch.setenv("UPPF_SMTP_TIMEOUT_SECONDS", "2")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["mail", "test", "--to", "strateg@kommun.test.invalid"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert f"{'Error' if language else 'Fel'}: 127.0.0.1:{port} {expected}" in result.output


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "ingen aktiv användare 'nobody'; demokommunens användare heter t.ex. norrmalm.strateg"),
        ("en", "no active user 'nobody'; demo users look like norrmalm.strateg"),
    ],
)
def test_the_token_command_refuses_an_unknown_user_in_the_command_lines_language(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, language: str | None, expected: str
) -> None:
    if language:
        monkeypatch.setenv(i18n.CLI_LANGUAGE_ENV, language)
    result = run("token", "nobody")
    assert result.exit_code == 1
    assert expected in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("language", "expected"),
    [(None, "finns redan; välj en ny fil"), ("en", "exists already; choose a new file")],
)
def test_a_refused_backup_says_why_in_the_command_lines_language(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, language: str | None, expected: str
) -> None:
    if language:
        monkeypatch.setenv(i18n.CLI_LANGUAGE_ENV, language)
    target = tmp_path / "taken.db"
    target.write_bytes(b"already here")
    result = run("backup", str(target))
    assert result.exit_code == 1
    assert f"{'Error' if language else 'Fel'}: {target} {expected}" in result.output
    assert target.read_bytes() == b"already here"


def test_machine_output_stays_as_it_is_in_either_language(cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    swedish = run("audit-key")
    monkeypatch.setenv(i18n.CLI_LANGUAGE_ENV, "en")
    english = run("audit-key")
    for result in (swedish, english):
        assert result.exit_code == 0, result.output
        key = result.output.strip().splitlines()[-1]
        assert len(key) == 64 and int(key, 16) >= 0
