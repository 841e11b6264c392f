"""The HTML reports open in headless Chromium without console messages or page errors, with their charts drawn.

Chromium is Debian's ``chromium`` package, driven by Playwright (one browser for the module). When it is
missing the test installs it if it may (root with apt-get, under CI, ``UPPF_REQUIRE_PG=1`` or
``UPPF_INSTALL_CHROMIUM=1``); it skips locally and fails under CI when it still cannot find it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.report_scenario import build_year
from tests.web.browser import launched_chromium
from workflow.reports.catalogue import REPORTS, build_report
from workflow.reports.render import render

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module's reports (each report opens in a page of its own)."""
    with launched_chromium() as launched:
        yield launched


@pytest.mark.parametrize("name", list(REPORTS))
def test_the_html_report_opens_in_chromium_without_errors(
    engine: Engine, tmp_path: Path, name: str, browser: Any
) -> None:
    s = build_year(engine, 21)
    with engine.connect() as conn:
        report = build_report(conn, name, s.w.orgs["NORTH"], date(2026, 1, 1), date(2026, 12, 31))
    file = tmp_path / f"{name}.html"
    file.write_bytes(render(report, "html"))

    page = browser.new_page(viewport={"width": 1200, "height": 1600})
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))  # any message, as --enable-logging showed
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    try:
        page.goto(file.as_uri())
        dom = page.content()
        shot = tmp_path / f"{name}.png"
        page.screenshot(path=str(shot), full_page=True)
    finally:
        page.close()
    assert console == []
    for t in report.tables:
        assert f'id="{t.key}"' in dom
    charts = [t for t in report.tables if t.chart and t.rows]
    assert dom.count("<svg") == len(charts)
    assert shot.stat().st_size > 10_000


def test_the_annual_html_shows_every_percentage_with_its_n(engine: Engine) -> None:
    s = build_year(engine, 22)
    with engine.connect() as conn:
        report = build_report(conn, "annual", s.w.orgs["NORTH"], date(2026, 1, 1), date(2026, 12, 31))
    html = render(report, "html").decode()
    outcomes = html[html.index('id="outcomes"') : html.index('id="other_follow_ups"')]
    assert '<th scope="col">n</th>' in outcomes
    assert re.search(r"n = \d+", outcomes)  # the chart labels each bar with its n
    assert "%" in outcomes
