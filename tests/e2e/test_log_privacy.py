"""The served product's logs never hold a personal identity number or a token, wherever a request carries them.

Runs ``uppfoljning serve`` as users run it (uvicorn, demo data), plants identity numbers and a
valid bearer token in every place a request can carry them, and scans everything the process
wrote.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.cluster import free_port, wait_healthy
from workflow.redact import redact, scrub
from workflow.settings import Settings
from workflow.tokens import mint

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]

SECRET = "log-privacy-signing-key-0123456789abcdef0123456789"
IDENTITY_NUMBERS = ("19121212-1212", "191212121212", "121212-1212", "1212121212", "20100101+0009", "121272-1218")


def test_identity_numbers_and_tokens_are_masked_wherever_they_stand() -> None:
    token = mint(Settings(jwt_secret=SECRET), "norrmalm.strateg", "NORRMALM", ["contract_strategist"])
    assert redact(f"GET /cases?status=19121212-1212&access_token={token}") == (
        "GET /cases?status=[personnummer]&access_token=[token]"
    )
    assert redact("case 42 of 2026-12-07, org 556677-8899 A") == "case 42 of 2026-12-07, org 556677-8899 A"
    assert scrub(None, "info", {"case_id": 191212121212, "n": 7, "nested": {"x": ["121212-1212"]}}) == {
        "case_id": "[personnummer]",
        "n": 7,
        "nested": {"x": ["[personnummer]"]},
    }


def test_requests_carrying_identity_numbers_and_tokens_leave_none_in_the_logs(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPPF_")}
    env.update(UPPF_JWT_SECRET=SECRET, UPPF_DATABASE_URL=f"sqlite:///{tmp_path / 'uppf.db'}", UPPF_LOG_CACHE="1")
    env.update(UPPF_DEV_MAIL_DIR=str(tmp_path / "mail"), UPPF_SMTP_PORT=str(free_port()))
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "uppfoljning"), "serve", "--port", str(port), "--no-scheduler"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(port, server, timeout=120)
        token = mint(Settings(jwt_secret=SECRET), "norrmalm.strateg", "NORRMALM", ["contract_strategist"])
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for pnr in IDENTITY_NUMBERS:
                http.get(f"/cases/{pnr}", headers=auth)
                http.get(f"/providers/{pnr}", headers=auth)
                http.get(f"/{pnr}/unknown", headers=auth)
                http.get("/cases", params={"status": pnr, "provider_id": pnr}, headers=auth)
                http.get("/cases", headers={**auth, "X-Request-ID": pnr, "User-Agent": pnr, "Referer": f"/?p={pnr}"})
                http.get("/cases", headers={"Authorization": f"Bearer {pnr}"})
                http.post("/cases", headers=auth, json={"case_type": "complaint", "reason": pnr, "title": pnr})
                http.post(
                    "/cases", headers={**auth, "Content-Type": "application/json"}, content=f'{{"x": "{pnr}'.encode()
                )
                http.post("/cases/1/transitions", headers=auth, json={"trigger": "investigate", "reason": pnr})
            http.get("/cases", params={"access_token": token})
            http.get("/cases", headers={"Cookie": f"session={token}", **auth})
            ok = http.get("/cases", headers={**auth, "X-Request-ID": "ok-request-1"})
            assert ok.status_code == 200 and ok.headers["x-request-id"] == "ok-request-1"
            bad = http.get("/cases", headers={**auth, "X-Request-ID": "19121212-1212"})
            assert bad.headers["x-request-id"] != "19121212-1212"
        time.sleep(0.5)  # the last access lines are written after their responses
    finally:
        server.terminate()
        server.wait(timeout=20)
    text = log.read_text(encoding="utf-8", errors="replace")
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    # Every log line is the product's JSON, the libraries' too (uvicorn, Litestar): none in another format.
    assert [line for line in text.splitlines() if re.match(r"(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b", line)] == []
    assert any(e.get("logger", "").startswith("uvicorn") for e in lines)
    access = [e for e in lines if e.get("event") == "http.request"]
    assert len(access) >= 9 * len(IDENTITY_NUMBERS)  # the requests were logged, as their route templates
    assert "/cases/{case_id}" in {e["route"] for e in access}
    leaks = [s for s in (*IDENTITY_NUMBERS, token, token.split(".")[1]) if s in text]
    assert leaks == []


def test_a_worker_started_by_uvicorn_alone_logs_scrubbed_json(tmp_path: Path) -> None:
    """``uvicorn --workers N api.app:create_server_app`` runs no CLI: each worker configures the logs itself."""
    probe = (
        "import structlog\n"
        "from api.app import create_server_app\n"
        "create_server_app()\n"
        "structlog.get_logger('probe').warning('probe.line', note='personnummer 19121212-1212')\n"
    )
    env = {**os.environ, "UPPF_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "UPPF_ENVIRONMENT": "development",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    env.pop("UPPF_LOG_CACHE", None)
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    probe_lines = [line for line in lines if line.get("event") == "probe.line"]
    assert len(probe_lines) == 1 and "19121212-1212" not in done.stderr + done.stdout
    assert all(line.startswith("{") for line in done.stderr.splitlines() if line.strip())
