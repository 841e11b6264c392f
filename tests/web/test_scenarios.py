"""User stories in Chromium, each a test named as a sentence, on a fresh SQLite demo municipality.

The demo is built on a clock 40 days back, so the served application (on the real clock) has overdue
deadlines for Översikt to show. Every page a story visits is checked with axe-core (WCAG 2.1 A/AA and best
practice) and for console errors, and screenshotted under ``test-output/screenshots/scenario-*.png``.

The stories use the demo's cases as they are (there is no page to open a case yet): Norrmalm's reported
deviation, its agreement cases under investigation and active, its received complaint.
Only SQLite: the browser harness (``tests/web/browser.served``) serves one database file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.web.browser import SHOTS, axe_violations, launched_chromium, served
from workflow.demo.municipality import Demo
from workflow.engine.firing import CASE
from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade
from workflow.schema.tables import Organisation

pytestmark = pytest.mark.e2e
DAYS_BACK = 40
NAMES = {
    "norrmalm.strateg": "Avtalsstrateg, Norrmalms stadsdelsnämnd",
    "norrmalm.ordforande": "Nämndens ordförande, Norrmalms stadsdelsnämnd",
    "norrmalm.sekreterare": "Nämndsekreterare, Norrmalms stadsdelsnämnd",
    "sodermalm.strateg": "Avtalsstrateg, Södermalms stadsdelsnämnd",
}
# The focused element draws the product's focus ring (outline or box shadow) and matches :focus-visible.
FOCUS_VISIBLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  const s = getComputedStyle(el);
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
  return el.matches(':focus-visible') && ring;
}"""


@dataclass
class Demo40:
    """The served demo: its address, the browser, and Norrmalm's first case per (type, status)."""

    base: str
    browser: Any
    cases: dict[tuple[str, str], int]


@dataclass
class Visit:
    """One signed-in user's browser tab; ``look`` checks and photographs the page it is on."""

    base: str
    page: Any
    story: str
    errors: list[str] = field(default_factory=list)
    seen: int = 0

    def note(self, message: Any) -> None:
        if message.type == "error" and message.location.get("url") != self.page.url:
            self.errors.append(message.text)

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def look(self, step: str) -> None:
        """No console error and no axe violation on the page; a full-page screenshot of it."""
        self.page.wait_for_load_state()
        self.seen += 1
        shot: Path = SHOTS / f"scenario-{self.story}-{self.seen:02d}-{step}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        assert self.errors == [], f"{self.story}/{step}: {self.errors}"
        violations = axe_violations(self.page)
        assert violations == [], f"{self.story}/{step}:\n" + "\n".join(violations)
        self.errors.clear()

    def main_text(self) -> str:
        return str(self.page.locator("main").inner_text())


def _cases(url: str) -> dict[tuple[str, str], int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            org = conn.execute(select(Organisation.id).where(Organisation.code == "NORRMALM")).scalar_one()  # type: ignore[call-overload,arg-type]
            rows = conn.execute(
                select(CASE.c.id, CASE.c.case_type, CASE.c.status)
                .where(CASE.c.organisation_id == org)
                .order_by(CASE.c.id)
            ).all()
    finally:
        engine.dispose()
    out: dict[tuple[str, str], int] = {}
    for r in rows:
        out.setdefault((r.case_type, r.status), r.id)
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo40]:
    url = f"sqlite:///{tmp_path_factory.mktemp('scenarios') / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    Demo(engine, lambda: datetime.now(UTC) - timedelta(days=DAYS_BACK)).load()
    engine.dispose()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with served(url) as base, launched_chromium() as browser:
        yield Demo40(base, browser, _cases(url))


@pytest.fixture
def visit(demo: Demo40, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Opens a fresh browser context for a user and signs in through the development sign-in."""
    contexts: list[Any] = []

    def open_as(username: str, story: str) -> Visit:
        context = demo.browser.new_context(locale="sv-SE", viewport={"width": 1366, "height": 900})
        contexts.append(context)
        page = context.new_page()
        v = Visit(demo.base, page, story)
        page.on("console", v.note)
        page.on("pageerror", lambda e: v.errors.append(str(e)))
        v.go("/logga-in/utveckling")
        v.look("logga-in")
        page.get_by_role("button", name=f"Logga in som {NAMES[username]}").click()
        page.wait_for_url(f"{demo.base}/oversikt")
        return v

    yield open_as
    for context in contexts:
        context.close()


def _act(v: Visit, case_id: int, trigger: str) -> str:
    """Open the action ``trigger`` from the case page by its link; answers the action's label."""
    link = v.page.locator(f'a[href="/arenden/{case_id}/atgard/{trigger}"]')
    label = str(link.inner_text()).strip()
    link.click()
    v.page.wait_for_url(f"**/arenden/{case_id}/atgard/{trigger}")
    return label


def _submit(v: Visit, label: str) -> None:
    v.page.locator("main").get_by_role("button", name=label).click()
    v.page.wait_for_load_state()


def _status(v: Visit) -> str:
    found = re.search(r"Status\s+(.+)", v.main_text())
    assert found, v.main_text()[:400]
    return found[1].strip()


def test_a_strategist_finds_an_overdue_deviation_investigates_it_requests_rectification_and_accepts_it(
    visit: Any, demo: Demo40
) -> None:
    v = visit("norrmalm.strateg", "strateg")
    v.look("oversikt")
    overdue = v.page.locator("main tr", has_text="försenad").filter(has_text="Avvikelse")
    assert overdue.count() >= 1, "Översikt shows no overdue deviation"
    overdue.first.get_by_role("link").first.click()
    v.page.wait_for_url(re.compile(r".*/arenden/\d+$"))
    case_id = int(v.page.url.rsplit("/", 1)[1])
    assert case_id == demo.cases[("deviation", "reported")]
    assert _status(v) == "Anmäld"
    assert "försenad" in v.main_text()
    v.look("avvikelse-anmald")

    label = _act(v, case_id, "investigate")
    v.look("starta-utredning")
    v.page.get_by_role("combobox", name="Område").select_option(label="Rutin saknas")
    v.page.get_by_label("Motivering").fill("Utföraren saknar rutin för avvikelser; vi utreder.")
    _submit(v, label)
    v.page.wait_for_url(f"**/arenden/{case_id}?utfort=investigate")
    assert _status(v) == "Utreds"
    v.look("avvikelse-utreds")

    label = _act(v, case_id, "require_rectification")
    assert "Det här är ett beslut" in v.main_text()  # a decision: it needs a registry number
    v.page.get_by_label("Svarsfrist").fill((date.today() + timedelta(days=21)).isoformat())
    v.page.get_by_label("Motivering").fill("Rutin för avvikelser ska tas fram och införas.")
    _submit(v, label)  # without a diarienummer
    assert "Inget sparades" in str(v.page.get_by_role("alert").inner_text())
    assert v.page.get_by_label("Motivering").input_value() == "Rutin för avvikelser ska tas fram och införas."
    v.look("begar-rattelse-utan-diarienummer")
    v.page.get_by_label("Diarienummer").fill("NOR-2026-04711")
    _submit(v, label)
    v.page.wait_for_url(f"**/arenden/{case_id}?utfort=require_rectification")
    assert _status(v) == "Rättelse pågår"
    text = v.main_text()
    assert "NOR-2026-04711" in text and "Mandat: delegationsordningen" in text
    v.look("rattelse-pagar")

    label = _act(v, case_id, "accept_rectification")
    v.look("godta-rattelse")
    v.page.get_by_label("Motivering").fill("Utföraren har visat en införd rutin.")
    _submit(v, label)
    v.page.wait_for_url(f"**/arenden/{case_id}?utfort=accept_rectification")
    assert "Sparat" in str(v.page.get_by_role("status").first.inner_text())
    assert _status(v).startswith("Godtagen (avslutat ")
    v.look("rattelse-godtagen")


def test_a_strategist_may_not_terminate_an_agreement_and_is_told_the_board_holds_the_mandate(
    visit: Any, demo: Demo40
) -> None:
    case_id = demo.cases[("agreement", "active")]
    v = visit("norrmalm.strateg", "strateg-nekas")
    v.go(f"/arenden/{case_id}")
    actions = v.page.locator("main").inner_text()
    assert re.search(
        r"Säg upp avtalet\s+Inte tillgänglig: Kräver nämnden – delegationsordningen 2026-1 p\. 4\.7", actions
    )
    assert v.page.locator(f'a[href="/arenden/{case_id}/atgard/terminate"]').count() == 0  # no link to a dead end
    v.look("avtal-uppsagning-ej-tillganglig")
    v.go(f"/arenden/{case_id}/atgard/terminate")  # typed by hand: the server refuses with the same reason
    text = v.main_text()
    assert "Du kan inte göra den här åtgärden" in text
    assert "Kräver nämnden – delegationsordningen 2026-1 p. 4.7" in text
    v.look("avtal-uppsagning-nekad")


def test_the_board_chair_terminates_an_agreement_as_a_board_decision_with_mandate_and_registry_number(
    visit: Any, demo: Demo40
) -> None:
    case_id = demo.cases[("agreement", "termination_investigation")]
    v = visit("norrmalm.ordforande", "ordforande")
    v.look("oversikt")
    v.go(f"/arenden/{case_id}")
    assert _status(v) == "Uppsägning utreds"
    v.look("avtal-uppsagning-utreds")
    label = _act(v, case_id, "terminate")
    assert "Det här är ett beslut" in v.main_text()
    v.look("sag-upp-avtalet")
    v.page.get_by_label("Skäl för uppsägning").select_option(label="Brister som inte rättats")
    v.page.get_by_label("Initiativ").select_option(label="Kommunen")
    v.page.get_by_label("Diarienummer").fill("NOR-2026-05001")
    v.page.get_by_label("Motivering").fill("Nämnden beslutar att säga upp avtalet: bristerna har inte rättats.")
    _submit(v, label)
    v.page.wait_for_url(f"**/arenden/{case_id}?utfort=terminate")
    assert _status(v).startswith("Uppsagt (avslutat ")  # a final state: the case closed with the decision
    text = v.main_text()
    assert "Beslut: Säga upp avtal · Diarienummer NOR-2026-05001" in text, text
    assert "Nämndens eget beslut (inte ett delegationsbeslut)." in text, text  # the board's own, not delegated
    assert "Nämndens ordförande, Norrmalms stadsdelsnämnd (Nämnden)" in text, text
    v.look("avtal-uppsagt")


def test_the_board_secretary_downloads_the_annual_report_as_an_excel_workbook(visit: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    v = visit("norrmalm.sekreterare", "sekreterare")
    v.page.get_by_role("link", name="Rapporter").click()
    v.page.wait_for_url("**/rapporter")
    v.look("rapporter")
    year = str(date.today().year)
    v.page.locator("#ar-annual").select_option(year)
    v.page.locator("#format-annual").select_option(label="Excel (.xlsx)")
    with v.page.expect_download() as info:
        v.page.get_by_role("button", name="Ladda ner årsrapport för uppföljning").click()
    download = info.value
    assert download.suggested_filename == f"annual-norrmalm-{year}.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    workbook = load_workbook(saved, read_only=True)
    assert workbook.sheetnames, "the workbook has no sheet"
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert len(cells) > 10
    workbook.close()


def test_a_district_strategist_gets_not_found_for_another_boards_case_by_its_address(visit: Any, demo: Demo40) -> None:
    norrmalms = demo.cases[("deviation", "investigating")]
    v = visit("sodermalm.strateg", "sodermalm")
    res = v.go(f"/arenden/{norrmalms}")
    assert res.status == 404
    assert v.page.locator("h1").inner_text().strip() == "Hittades inte"
    assert "Avvikelse" not in v.main_text() and "Lindängen" not in v.main_text()  # nothing of the case leaks
    foreign = v.main_text()
    v.look("annan-namnds-arende")
    unknown = v.go("/arenden/987654")
    assert unknown.status == 404
    assert v.main_text() == foreign  # the same page as for an id that does not exist


def _tab_to(v: Visit, test: str, limit: int = 120) -> None:
    """Press Tab until the focused element satisfies ``test`` (a JS predicate), the focus visible at every stop."""
    for _ in range(limit):
        v.page.keyboard.press("Tab")
        tag = v.page.evaluate("document.activeElement.tagName")
        if tag in ("A", "BUTTON", "INPUT", "SELECT", "TEXTAREA"):
            assert v.page.evaluate(FOCUS_VISIBLE), (
                f"focus not visible on {v.page.evaluate('document.activeElement.outerHTML')[:200]}"
            )
        if v.page.evaluate(f"(el => {test})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached {test}")


def test_a_case_worker_walks_a_complaint_from_overview_to_decision_with_the_keyboard_alone(
    visit: Any, demo: Demo40
) -> None:
    case_id = demo.cases[("complaint", "received")]
    v = visit("norrmalm.strateg", "tangentbord")
    v.go("/oversikt")
    v.page.keyboard.press("Tab")
    assert v.page.evaluate("document.activeElement.textContent.trim()") == "Hoppa till huvudinnehållet"
    assert v.page.evaluate(FOCUS_VISIBLE)
    v.page.keyboard.press("Enter")
    assert v.page.evaluate("document.activeElement.id") == "huvudinnehall"
    _tab_to(v, f"el.getAttribute('href') === '/arenden/{case_id}'")
    v.page.keyboard.press("Enter")
    v.page.wait_for_url(f"**/arenden/{case_id}")
    v.look("klagomal")
    _tab_to(v, f"el.getAttribute('href') === '/arenden/{case_id}/atgard/investigate'")
    v.page.keyboard.press("Enter")
    v.page.wait_for_url(f"**/arenden/{case_id}/atgard/investigate")
    v.look("bekrafta-och-utred")
    _tab_to(v, "el.tagName === 'TEXTAREA' && el.name === 'reason'")
    v.page.keyboard.type("Klagomålet gäller bemötande; vi utreder.")
    _tab_to(v, "el.tagName === 'BUTTON' && el.type === 'submit' && !!el.closest('main')")
    v.page.keyboard.press("Space")
    v.page.wait_for_url(f"**/arenden/{case_id}?utfort=investigate")
    assert "Sparat: ärendet har nu status Utreds." in str(v.page.get_by_role("status").first.inner_text())
    v.look("klagomal-utreds")
