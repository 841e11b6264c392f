"""``uppfoljning admin``: an empty database plus the bootstrap command is enough to start working; the token command
then works for the new administrator, and the org/user subcommands go through the same commands and rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner, Result
from litestar.testing import TestClient
from sqlalchemy import select

from api.app import create_app
from workflow.bootstrap import bootstrap
from workflow.cli import main
from workflow.schema.db import make_engine
from workflow.schema.tables import ACCESS_LOG, ADMIN_EVENT
from workflow.settings import Settings, get_settings

pytestmark = pytest.mark.integration

SECRET = "cli-test-signing-key-not-for-production-0123456789"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("UPPF_JWT_SECRET", SECRET)
    get_settings.cache_clear()
    yield f"sqlite:///{tmp_path / 'empty.db'}"
    get_settings.cache_clear()


def cli(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--database-url", url, "--log-level", "WARNING", *args], catch_exceptions=False)


def lines(result: Result) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


BOOTSTRAP = (
    "admin", "bootstrap", "--organisation-code", "KOMMUN", "--organisation-name", "Socialnämnden",
    "--username", "ada.admin", "--display-name", "Ada Administratör", "--email", "ada@kommun.test",
)  # fmt: skip


def test_an_empty_database_is_bootstrapped_and_the_token_command_works_for_the_administrator(url: str) -> None:
    before = cli(url, "token", "ada.admin")
    assert before.exit_code == 1 and "no active user" in before.stderr
    made = cli(url, *BOOTSTRAP)
    assert made.exit_code == 0, made.output
    assert "organisationen KOMMUN skapades" in made.stdout and "administratören ada.admin skapades" in made.stdout
    token = cli(url, "token", "ada.admin")
    assert token.exit_code == 0, token.output
    claims = jwt.decode(token.stdout.strip(), SECRET, algorithms=["HS256"], audience="uppfoljning")
    assert (claims["sub"], claims["org"], claims["roles"]) == ("ada.admin", "KOMMUN", ["administrator"])
    engine = make_engine(url)
    try:
        app = create_app(bootstrap(Settings(jwt_secret=SECRET), engine))
        with TestClient(app) as client:
            r = client.get("/admin/users", headers={"Authorization": f"Bearer {token.stdout.strip()}"})
        assert r.status_code == 200 and [u["username"] for u in r.json()["items"]] == ["ada.admin"]
    finally:
        engine.dispose()
    again = cli(url, *BOOTSTRAP[:-6], "--username", "eve.admin", "--display-name", "Eve", "--email", "e@k.test")
    assert again.exit_code == 1 and "(regel already_bootstrapped)" in again.stderr


def test_the_administrator_creates_organisations_and_users_from_the_command_line(url: str) -> None:
    assert cli(url, *BOOTSTRAP).exit_code == 0
    org = cli(url, "admin", "org", "create", "--as", "ada.admin", "--code", "NORR", "--name", "Norr",
              "--kind", "district_board")  # fmt: skip
    assert org.exit_code == 0, org.output
    (norr,) = lines(org)
    user = cli(url, "admin", "user", "create", "--as", "ada.admin", "--username", "norr.strateg",
               "--display-name", "Nils Strateg", "--email", "nils@norr.test", "--organisation-id", str(norr["id"]),
               "--role", "contract_strategist", "--role", "unit_manager")  # fmt: skip
    assert user.exit_code == 0, user.output
    assert lines(user)[0]["roles"] == ["contract_strategist", "unit_manager"]
    token = cli(url, "token", "norr.strateg")
    assert token.exit_code == 0 and jwt.decode(token.stdout.strip(), SECRET, algorithms=["HS256"],
                                               audience="uppfoljning")["org"] == "NORR"  # fmt: skip
    refused = cli(url, "admin", "org", "deactivate", "--as", "ada.admin", str(norr["id"]))
    assert refused.exit_code == 1 and "(regel organisation_has_active_users)" in refused.stderr
    not_admin = cli(url, "admin", "user", "list", "--as", "norr.strateg")
    assert not_admin.exit_code == 1 and "(regel role)" in not_admin.stderr
    listed = cli(url, "admin", "user", "list", "--as", "ada.admin")
    assert [u["username"] for u in lines(listed)] == ["ada.admin", "norr.strateg"]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            vias = conn.execute(select(ADMIN_EVENT.c.via, ADMIN_EVENT.c.action).order_by(ADMIN_EVENT.c.id)).all()
    finally:
        engine.dispose()
    assert vias == [
        ("bootstrap", "create_organisation"),
        ("bootstrap", "create_user"),
        ("cli", "create_organisation"),
        ("cli", "create_user"),
    ]


def test_the_access_log_is_exported_from_the_command_line_and_the_export_is_logged(url: str, tmp_path: Path) -> None:
    assert cli(url, *BOOTSTRAP).exit_code == 0
    target = tmp_path / "reads.csv"
    done = cli(url, "admin", "access-log", "--as", "ada.admin", "--since", "2026-01-01", "--csv", str(target))
    assert done.exit_code == 0 and "skrivet till" in done.stdout, done.output
    assert target.read_bytes().startswith(b"\xef\xbb\xbfTid;Anv\xc3\xa4ndare;")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(ACCESS_LOG.c.entity, ACCESS_LOG.c.action)).all() == [("access_log", "export")]
    finally:
        engine.dispose()


def test_the_command_line_speaks_english_when_asked(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPPF_CLI_LANGUAGE", "en")
    made = cli(url, *BOOTSTRAP)
    assert "organisation KOMMUN created" in made.stdout and "next: uppfoljning token ada.admin" in made.stdout


def test_the_administrator_creates_an_integrations_service_account_from_the_command_line(url: str) -> None:
    assert cli(url, *BOOTSTRAP).exit_code == 0
    (me,) = lines(cli(url, "admin", "user", "list", "--as", "ada.admin"))
    made = cli(url, "admin", "user", "create", "--as", "ada.admin", "--username", "ekonomisystem",
               "--display-name", "Ekonomisystemet", "--email", "it@k.test", "--integration",
               "--organisation-id", str(me["organisation_id"]), "--role", "contract_strategist")  # fmt: skip
    assert made.exit_code == 0, made.output
    assert lines(made)[0]["source"] == "integration"
