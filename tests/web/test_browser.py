"""The staff pages in Chromium: no axe-core violations (WCAG 2.1 AA), no console errors, 1366 and 768 px wide.

Each page is screenshotted at both widths under ``test-output/screenshots/`` (git-ignored).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.web.browser import SHOTS, WIDTHS, axe_violations, launched_chromium, served
from workflow.demo.municipality import Demo
from workflow.engine.firing import CASE
from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade
from workflow.schema.tables import Organisation

pytestmark = pytest.mark.e2e
USER = "Avtalsstrateg, Norrmalms stadsdelsnämnd"


@dataclass
class Site:
    """The served application, a signed-in browser page and the demo's case ids."""

    base: str
    page: Any
    cases: dict[tuple[str, str], int]
    errors: list[str]

    def go(self, path: str) -> None:
        self.errors.clear()
        res = self.page.goto(self.base + path)
        assert res is not None

    def next_page(self, path: str) -> str:
        """The address of the page after ``path`` (its "Nästa sida" link)."""
        return self.first_link(path, 'a[rel="next"]')

    def first_link(self, path: str, selector: str) -> str:
        """Where the first link matching ``selector`` on ``path`` leads."""
        self.go(path)
        href = self.page.locator(selector).first.get_attribute("href")
        assert href
        return str(href)

    def note(self, message: Any) -> None:
        """Record a console error; the page's own status (404, 422) is not one."""
        if message.type == "error" and message.location.get("url") != self.page.url:
            self.errors.append(message.text)


def _cases(engine: Engine) -> dict[tuple[str, str], int]:
    with engine.connect() as conn:
        org = conn.execute(select(Organisation.id).where(Organisation.code == "NORRMALM")).scalar_one()  # type: ignore[arg-type]
        rows = conn.execute(
            select(CASE.c.id, CASE.c.case_type, CASE.c.status).where(CASE.c.organisation_id == org).order_by(CASE.c.id)
        ).all()
    out: dict[tuple[str, str], int] = {}
    for r in rows:
        out.setdefault((r.case_type, r.status), r.id)
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    Demo(engine).load()
    cases = _cases(engine)
    engine.dispose()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with served(url) as base, launched_chromium() as browser:
        context = browser.new_context(locale="sv-SE", viewport={"width": WIDTHS[0], "height": 900})
        page = context.new_page()
        errors: list[str] = []
        site = Site(base, page, cases, errors)
        page.on("console", site.note)
        page.on("pageerror", lambda e: errors.append(str(e)))
        site.go("/logga-in/utveckling")
        _look(site, "logga-in")
        page.get_by_role("button", name=f"Logga in som {USER}").click()
        page.wait_for_url(f"{base}/oversikt")
        yield site


def _look(site: Site, name: str) -> None:
    """At both widths: no console error (CSP refusals are errors), no axe violation; a full-page screenshot."""
    for width in WIDTHS:
        site.page.set_viewport_size({"width": width, "height": 900})
        shot: Path = SHOTS / f"{name}-{width}.png"
        site.page.screenshot(path=str(shot), full_page=True)
        site.page.screenshot(path=str(shot.with_name(f"{name}-{width}-forsta-skarmen.png")))  # the first screenful
        assert site.errors == [], f"{name} at {width}px: {site.errors}"
        violations = axe_violations(site.page)
        assert violations == [], f"{name} at {width}px:\n" + "\n".join(violations)
        overflow = site.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways at {width}px"
    site.page.set_viewport_size({"width": WIDTHS[0], "height": 900})


PAGES: dict[str, Callable[[Site], str]] = {
    "oversikt": lambda s: "/oversikt",
    "arenden": lambda s: "/arenden",
    "arenden-filtrerade": lambda s: "/arenden?typ=deviation&forsenade=1",
    "arenden-sok": lambda s: "/arenden?dnr=20&utforarnamn=a&sortera=nyast",
    "arenden-sida-2": lambda s: s.next_page("/arenden?sortera=nyast"),
    "arende-avvikelse": lambda s: f"/arenden/{s.cases[('deviation', 'investigating')]}",
    "arende-avstangning": lambda s: f"/arenden/{s.cases[('call_off_suspension', 'under_review')]}",
    "atgard": lambda s: f"/arenden/{s.cases[('deviation', 'investigating')]}/atgard/require_rectification",
    "nytt-arende": lambda s: "/arenden/nytt",
    "nytt-arende-avvikelse": lambda s: "/arenden/nytt/deviation",
    "nytt-arende-uppfoljning": lambda s: "/arenden/nytt/follow_up",
    "utskick-nekad": lambda s: "/utskick",
    "bevakningar": lambda s: "/bevakningar",
    "bevakning-forlang": lambda s: s.first_link(
        f"/arenden/{s.cases[('deviation', 'investigating')]}", 'main a[href$="/forlang"]'
    ),
    "rapporter": lambda s: "/rapporter",
    "namnd": lambda s: "/namnd",
    "utforare": lambda s: "/utforare",
    "utforare-sida": lambda s: s.first_link("/utforare", 'main a[href^="/utforare/"]'),
    "avtal": lambda s: s.first_link(f"/arenden/{s.cases[('deviation', 'investigating')]}", 'main a[href^="/avtal/"]'),
    "arendetyper": lambda s: "/arendetyper",
    "tillstandsdiagram": lambda s: "/arendetyper/rectification_request",
    "hittades-inte": lambda s: "/arenden/987654",
    "tillganglighet": lambda s: "/tillganglighet",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_has_no_accessibility_violations_at_1366_and_768_pixels(site: Site, name: str) -> None:
    site.go(PAGES[name](site))
    assert site.page.locator("h1").count() == 1
    assert site.page.get_attribute("html", "lang") == "sv"
    _look(site, name)


def test_a_form_with_errors_lists_them_first_and_keeps_what_was_typed(site: Site) -> None:
    path = f"/arenden/{site.cases[('deviation', 'investigating')]}/atgard/require_rectification"
    site.go(path)
    site.page.get_by_label("Svarsfrist").fill("2020-01-01")
    site.page.get_by_label("Motivering").fill("Rutin för avvikelser saknas.")
    site.page.get_by_role("button", name="Begär rättelse av utföraren").click()
    site.page.wait_for_load_state()
    summary = site.page.get_by_role("alert")
    assert "Inget sparades" in summary.inner_text()
    assert site.page.evaluate("document.activeElement.id") == "fel"  # the summary is read first
    assert site.page.get_by_label("Motivering").input_value() == "Rutin för avvikelser saknas."
    assert site.page.get_by_label("Svarsfrist").input_value() == "2020-01-01"
    _look(site, "atgard-med-fel")


def test_the_skip_link_is_the_first_stop_and_leads_to_the_main_content(site: Site) -> None:
    site.go("/oversikt")
    site.page.keyboard.press("Tab")
    focused = site.page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Hoppa till huvudinnehållet"
    box = site.page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0  # visible when focused
    site.page.keyboard.press("Enter")
    assert site.page.evaluate("document.activeElement.id") == "huvudinnehall"


def test_filtering_the_case_list_updates_the_list_and_the_address_without_losing_focus(site: Site) -> None:
    site.go("/arenden")
    site.page.evaluate("window.notReloaded = true")
    select = site.page.get_by_label("Ärendetyp")
    select.focus()
    select.select_option("complaint")
    site.page.wait_for_url("**/arenden?typ=complaint*")
    site.page.wait_for_function("document.querySelectorAll('#arendelista a[href^=\"/arenden/\"]').length > 0")
    links = site.page.locator('#arendelista td a[href^="/arenden/"]').all_inner_texts()
    assert links and all(text.startswith("Klagomål") for text in links)
    assert site.page.evaluate("window.notReloaded") is True  # a partial update, not a new page
    assert site.page.evaluate("document.activeElement.id") == "typ"
    assert "ärende" in site.page.get_by_role("status").first.inner_text()
    assert site.errors == []


def test_an_action_taken_in_the_browser_is_confirmed_on_the_case_page(site: Site) -> None:
    case_id = site.cases[("complaint", "received")]
    site.go(f"/arenden/{case_id}")
    site.page.get_by_role("link", name="Bekräfta och utred").click()
    site.page.get_by_label("Motivering").fill("Klagomålet gäller bemötande; vi utreder.")
    site.page.get_by_role("button", name="Bekräfta och utred").click()
    site.page.wait_for_url(f"**/arenden/{case_id}?utfort=investigate")
    assert "Sparat: ärendet har nu status Utreds." in site.page.get_by_role("status").first.inner_text()
    _look(site, "arende-efter-atgard")


def test_a_deadline_extended_in_the_browser_is_confirmed_and_a_wrong_date_kept_in_the_field(site: Site) -> None:
    case_id = site.cases[("deviation", "investigating")]
    site.go(f"/arenden/{case_id}")
    site.page.locator('main a[href$="/forlang"]').first.click()
    site.page.get_by_label("Ny sista dag").fill("2026-02-30")
    site.page.get_by_label("Motivering").fill("Utföraren har begärt anstånd.")
    site.page.get_by_role("button", name="Förläng bevakningen").click()
    assert site.page.get_by_label("Ny sista dag").input_value() == "2026-02-30"
    assert "Skriv datumet" in site.page.locator("#fel-new_due").inner_text()
    site.page.get_by_label("Ny sista dag").fill("2027-06-30")
    site.page.get_by_role("button", name="Förläng bevakningen").click()
    site.page.wait_for_url(f"**/arenden/{case_id}?andrad=forlang*")
    assert "Sparat: bevakningen förlängdes" in site.page.get_by_role("status").first.inner_text()
    assert site.errors == []


def test_a_deviation_opened_in_the_browser_keeps_what_was_typed_until_it_is_complete(site: Site) -> None:
    site.go("/arenden/nytt/deviation")
    site.page.get_by_label("Ärendemening").fill("Brister i tillsynen nattetid")
    site.page.get_by_role("button", name="Öppna ärendet").click()
    assert site.page.get_by_label("Ärendemening").input_value() == "Brister i tillsynen nattetid"
    assert site.page.locator(".error-summary").is_visible()
    site.page.locator("#falt-kind").select_option(index=1)
    site.page.locator("#falt-provider_id").select_option(index=1)
    site.page.get_by_label("Beskrivning").fill("Anmält av nattpersonal.")
    site.page.get_by_role("button", name="Öppna ärendet").click()
    site.page.wait_for_url("**/arenden/*?utfort=open")
    assert "Sparat: ärendet har nu status" in site.page.get_by_role("status").first.inner_text()
    assert site.errors == []


def test_utskick_for_a_department_head_has_no_accessibility_violations(site: Site) -> None:
    """Runs last: it signs the browser in as another user."""
    site.go("/logga-in/utveckling")
    site.page.get_by_role("button", name="Logga in som Avdelningschef, Norrmalms stadsdelsnämnd").click()
    site.page.wait_for_url("**/oversikt")
    site.page.get_by_role("link", name="Utskick").click()
    site.page.wait_for_url("**/utskick")
    assert site.page.locator("h1").inner_text() == "Utskick"
    _look(site, "utskick")


def test_several_reasons_are_ticked_in_a_named_group_of_checkboxes_and_other_asks_for_words(site: Site) -> None:
    case_id = site.cases[("follow_up", "planned")]
    site.go(f"/arenden/{case_id}/atgard/mark_not_performed")
    group = site.page.get_by_role("group", name="Skäl till att den inte genomfördes (ett eller flera)")
    assert group.get_by_role("checkbox").count() == 5
    _look(site, "atgard-flera-skal")
    group.get_by_label("Utföraren ställde in besöket").check()
    group.get_by_label("Annat").focus()
    site.page.keyboard.press("Space")  # a checkbox is ticked from the keyboard
    site.page.get_by_label("Motivering").fill("Besöket ställdes in och avtalet löpte sedan ut.")
    site.page.get_by_role("button", name="Inte genomförd").click()
    site.page.wait_for_load_state()
    assert "Du valde Annat: skriv med egna ord vad det är." in site.page.get_by_role("alert").inner_text()
    assert group.get_by_label("Annat").is_checked() and group.get_by_label("Utföraren ställde in besöket").is_checked()
    _look(site, "atgard-flera-skal-med-fel")
    group.get_by_label("Annat").uncheck()
    group.get_by_label("Avtalet har löpt ut").check()
    site.page.get_by_role("button", name="Inte genomförd").click()
    site.page.wait_for_url(f"**/arenden/{case_id}?utfort=mark_not_performed")
    assert "Sparat: ärendet har nu status" in site.page.get_by_role("status").first.inner_text()
