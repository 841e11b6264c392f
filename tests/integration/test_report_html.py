"""The HTML reports open in headless Chromium without console errors, with their charts drawn.

Chromium is Debian's ``chromium`` package. When it is missing the test installs it if it
may (root with apt-get, under CI, ``UPPF_REQUIRE_PG=1`` or ``UPPF_INSTALL_CHROMIUM=1``); it skips locally
and fails under CI when it still cannot find it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.report_scenario import build_year
from workflow.reports.catalogue import REPORTS, build_report
from workflow.reports.render import render

pytestmark = pytest.mark.integration
CI = bool(os.environ.get("CI")) or os.environ.get("UPPF_REQUIRE_PG") == "1"  # .ci/run sets the latter


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    may_install = (CI or os.environ.get("UPPF_INSTALL_CHROMIUM") == "1") and os.geteuid() == 0
    if found is None and may_install and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=False, capture_output=True, timeout=900)
        found = shutil.which("chromium")
    if found is None:
        if CI:
            pytest.fail("Chromium is needed for the HTML report test: apt-get install -y chromium")
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    return found


def _open(chromium: str, page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            *extra,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("name", list(REPORTS))
def test_the_html_report_opens_in_chromium_without_errors(engine: Engine, tmp_path: Path, name: str) -> None:
    chromium = _chromium()
    s = build_year(engine, 21)
    with engine.connect() as conn:
        report = build_report(conn, name, s.w.orgs["NORTH"], date(2026, 1, 1), date(2026, 12, 31))
    page = tmp_path / f"{name}.html"
    page.write_bytes(render(report, "html"))

    dom = _open(chromium, page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    for t in report.tables:
        assert f'id="{t.key}"' in dom.stdout
    charts = [t for t in report.tables if t.chart and t.rows]
    assert dom.stdout.count("<svg") == len(charts)

    shot = tmp_path / f"{name}.png"
    res = _open(chromium, page, f"--screenshot={shot}", "--window-size=1200,1600")
    assert res.returncode == 0 and shot.stat().st_size > 10_000


def test_the_annual_html_shows_every_percentage_with_its_n(engine: Engine) -> None:
    s = build_year(engine, 22)
    with engine.connect() as conn:
        report = build_report(conn, "annual", s.w.orgs["NORTH"], date(2026, 1, 1), date(2026, 12, 31))
    html = render(report, "html").decode()
    outcomes = html[html.index('id="outcomes"') : html.index('id="other_follow_ups"')]
    assert '<th scope="col">n</th>' in outcomes
    assert re.search(r"n = \d+", outcomes)  # the chart labels each bar with its n
    assert "%" in outcomes
