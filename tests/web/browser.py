"""Driving Debian's Chromium with Playwright against the application served by uvicorn.

Chromium cannot be downloaded here: Playwright launches the system executable. When it
is missing the tests install it if they may (root with apt-get, under CI, ``UPPF_REQUIRE_PG=1``
or ``UPPF_INSTALL_CHROMIUM=1``); they skip locally and fail under CI when it still is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CI = bool(os.environ.get("CI")) or os.environ.get("UPPF_REQUIRE_PG") == "1"
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("UPPF_SCREENSHOTS", ROOT / "test-output" / "screenshots"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WIDTHS = (1366, 768)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def chromium() -> str:
    """The system Chromium's path (installed when allowed), or skip / fail as described above."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    may_install = (CI or os.environ.get("UPPF_INSTALL_CHROMIUM") == "1") and os.geteuid() == 0
    if found is None and may_install and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=False, capture_output=True, timeout=900)
        found = shutil.which("chromium")
    if found is None:
        if CI:
            pytest.fail("Chromium is needed for the browser tests: apt-get install -y chromium")
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    return found


def require_playwright() -> Any:
    """The Playwright sync API (the ``test`` extra); skip locally, fail under CI, when it is missing."""
    try:
        from playwright import sync_api
    except ImportError:
        if CI:
            pytest.fail("playwright is needed for the browser tests: pip install -e '.[test]'")
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    return sync_api


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (installed or skipped as :func:`chromium` says); closed
    when the block ends."""
    executable = chromium()
    sync_api = require_playwright()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(database_url: str, port: int | None = None, **settings: str) -> Iterator[str]:
    """The application under uvicorn on a loopback port, in development mode unless ``settings`` say otherwise."""
    port = port or free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "UPPF_DATABASE_URL": database_url,
        "UPPF_ENVIRONMENT": "development",
        "UPPF_RUN_SCHEDULER": "0",
        "UPPF_JWT_SECRET": "browser-test-signing-key-not-for-production-0123456789",
        **settings,
    }
    cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1"]
    with _running([*cmd, "--port", str(port), "--log-level", "warning"], env) as proc:
        wait_for(f"http://127.0.0.1:{port}/health", proc)
        yield f"http://127.0.0.1:{port}"


@dataclass
class Process:
    """A started process and the file its errors go to (a pipe nobody reads could block it)."""

    proc: subprocess.Popen[bytes]
    errors: Any

    def output(self) -> str:
        self.errors.seek(0)
        return str(self.errors.read().decode(errors="replace"))[-2000:]


@contextmanager
def _running(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> Iterator[Process]:
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            yield Process(proc, errors)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_for(url: str, started: Process, seconds: float = 60) -> None:
    """Wait until ``url`` answers 200, or fail with the process's error output."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as res:
                if res.status == 200:
                    return
        except OSError:
            pass
        if started.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{started.proc.args!r} did not start: {started.output()}")
        time.sleep(0.2)


def node_for_provider() -> str:
    """Node.js with the provider's packages installed (skips without Node only outside CI)."""
    folder = Path(__file__).parent / "oidc"
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if CI:
            pytest.fail("Node.js and npm are needed for the OpenID provider tests: apt-get install -y nodejs npm")
        pytest.skip("Node.js is not installed")
    with _one_process_at_a_time(folder / "node_modules.lock"):  # test processes run side by side (pytest-xdist)
        if not (folder / "node_modules" / "oidc-provider").exists():
            install = [npm, "ci", "--no-audit", "--no-fund"]
            subprocess.run(install, cwd=folder, check=True, capture_output=True, timeout=600)
    return node


@contextmanager
def _one_process_at_a_time(lock: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: one test process
        yield
        return
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield


@contextmanager
def openid_provider(port: int, redirect_uri: str, keys_file: Path | None = None) -> Iterator[str]:
    """A real OpenID provider (npm ``oidc-provider``) on loopback; yields its issuer URL.

    ``keys_file``: a private JWK Set to sign with (its first key); restarting with another set rotates keys.
    """
    folder = Path(__file__).parent / "oidc"
    node = node_for_provider()
    cmd = [node, "provider.mjs", str(port), redirect_uri, *([str(keys_file)] if keys_file else [])]
    with _running(cmd, dict(os.environ), cwd=folder) as proc:
        issuer = f"http://127.0.0.1:{port}"
        wait_for(f"{issuer}/.well-known/openid-configuration", proc)
        yield issuer


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations of WCAG 2.1 A/AA and best practice on ``page``, one readable line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]
