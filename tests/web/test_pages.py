"""The staff pages: scoped as the API, Swedish, with actions that say why they are not available."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import and_, func, or_, select

from states.registry import CASE_TYPES
from tests.web.conftest import DEV_SETTINGS, Staff, csrf_of
from workflow.engine.firing import CASE
from workflow.schema.tables import DEADLINE, EVENT
from workflow.tokens import mint

pytestmark = pytest.mark.integration


def _only(staff: Staff, org: str, case_type: str, status: str) -> int:
    ids = staff.case_ids(org, lambda r: r.case_type == case_type and r.status == status)  # type: ignore[attr-defined]
    assert ids, (org, case_type, status)
    return ids[0]


def test_the_overview_lists_my_overdue_deadlines_saying_how_late_in_words(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    staff.clock.advance(days=3)
    with staff.engine.connect() as conn:
        late = conn.execute(
            select(func.count())
            .select_from(DEADLINE.join(CASE, CASE.c.id == DEADLINE.c.case_id))
            .where(
                CASE.c.owner_id == staff.user_id("norrmalm.strateg"),
                DEADLINE.c.status == "pending",
                DEADLINE.c.due_at < staff.clock(),
            )
        ).scalar_one()
    assert late > 1
    page = staff.client.get("/oversikt")
    assert page.status_code == 200
    assert "<h1>Översikt</h1>" in page.text
    assert f"{late} försenade bevakningar" in page.text
    assert re.search(r'<span class="tag tag--late">\d+ dagar? försenad</span>', page.text)
    assert "Mina öppna ärenden" in page.text and "Öppna ärenden i Norrmalms stadsdelsnämnd" in page.text


def test_the_case_list_takes_its_filters_from_the_url(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    page = staff.client.get("/arenden?typ=deviation&status=investigating")
    rows = re.findall(r'<a href="/arenden/(\d+)">Avvikelse \d+</a>', page.text)
    expected = staff.case_ids("NORRMALM", lambda r: r.case_type == "deviation" and r.status == "investigating")  # type: ignore[attr-defined]
    assert sorted(int(r) for r in rows) == sorted(expected)
    assert f"{len(expected)} ärende" in page.text
    assert '<option value="deviation" selected>Avvikelse</option>' in page.text
    with staff.engine.connect() as conn:  # overdue: past a pending deadline, or in the state a missed due date leads to
        late = conn.execute(
            select(func.count(func.distinct(CASE.c.id)))
            .outerjoin(DEADLINE, DEADLINE.c.case_id == CASE.c.id)
            .where(
                CASE.c.organisation_id == staff.org_id("NORRMALM"),
                CASE.c.owner_id == staff.user_id("norrmalm.strateg"),
                or_(
                    and_(DEADLINE.c.status == "pending", DEADLINE.c.due_at < staff.clock()),
                    CASE.c.status == "overdue",
                ),
            )
        ).scalar_one()
    mine_late = staff.client.get("/arenden?forsenade=1&mina=1")
    assert len(re.findall(r'<tr>\s*<td><a href="/arenden/\d+">', mine_late.text)) == late


def test_another_boards_case_and_an_unknown_case_answer_the_same_not_found_page(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    foreign = staff.case_ids("SODERMALM")[0]
    theirs = staff.client.get(f"/arenden/{foreign}")
    unknown = staff.client.get("/arenden/987654")
    huge = staff.client.get(f"/arenden/{2**40}")
    for res in (theirs, unknown, huge):
        assert res.status_code == 404
        assert "<h1>Hittades inte</h1>" in res.text

    def body(html: str) -> str:
        return re.sub(r'value="[^"]*"', "", html)

    assert body(theirs.text) == body(unknown.text)
    assert staff.client.get(f"/arenden/{foreign}/atgard/investigate").status_code == 404


def test_an_address_no_page_has_answers_a_browser_with_the_not_found_page_and_an_api_client_with_a_problem(
    staff: Staff,
) -> None:
    staff.sign_in("norrmalm.strateg")
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    for path in ("/arenden/abc", "/finns-inte", "/utforare/x/y"):
        page = staff.client.get(path, headers=browser)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), path
        assert "<h1>Hittades inte</h1>" in page.text
    api = staff.client.get("/finns-inte", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json()["type"].endswith("/not_found")
    assert staff.client.get("/finns-inte").headers["content-type"].startswith("application/problem+json")


def test_an_unknown_filter_value_in_the_address_is_said_and_every_case_is_listed(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    everything = staff.client.get("/arenden")
    unknown = staff.client.get("/arenden?typ=nonsense&status=<b>zzz</b>")
    assert unknown.status_code == 200
    assert "Adressen anger en ärendetyp som inte finns (nonsense); alla visas." in unknown.text
    assert "Adressen anger en status som inte finns (&lt;b&gt;zzz&lt;/b&gt;); alla visas." in unknown.text
    listed = re.compile(r'<tr>\s*<td><a href="/arenden/(\d+)">')
    assert listed.findall(unknown.text) == listed.findall(everything.text) != []
    assert "Adressen anger" not in everything.text


def test_the_board_secretary_sees_aggregates_but_no_individual_level_case(staff: Staff) -> None:
    plan = _only(staff, "NORRMALM", "implementation_plan", "requested")
    staff.sign_in("norrmalm.sekreterare")
    assert staff.client.get(f"/arenden/{plan}").status_code == 404
    assert f'href="/arenden/{plan}"' not in staff.client.get("/arenden?typ=implementation_plan").text
    staff.sign_in("norrmalm.socsek")
    assert staff.client.get(f"/arenden/{plan}").status_code == 200


def test_the_case_page_shows_every_action_and_says_who_may_take_those_not_allowed(staff: Staff) -> None:
    proposed = _only(staff, "NORRMALM", "call_off_suspension", "proposed")
    staff.sign_in("norrmalm.socsek")
    page = staff.client.get(f"/arenden/{proposed}")
    assert page.status_code == 200
    assert "Tillfällig avstängning från avrop" in page.text
    assert "Besluta om avstängning" in page.text
    assert "Kräver avdelningschef – delegationsordningen 2026-1 p. 4.3 (ersättare: förvaltningsdirektör)." in page.text
    assert f'href="/arenden/{proposed}/atgard/decide"' not in page.text
    staff.sign_in("norrmalm.avdelningschef")
    page = staff.client.get(f"/arenden/{proposed}")
    assert f'href="/arenden/{proposed}/atgard/decide"' in page.text


def test_the_case_page_shows_provider_agreement_deadlines_and_timeline(staff: Staff) -> None:
    case_id = _only(staff, "NORRMALM", "deviation", "rectification")
    staff.sign_in("norrmalm.strateg")
    page = staff.client.get(f"/arenden/{case_id}").text
    assert "<dt>Utförare</dt><dd>" in page and "Diarienummer" in page
    assert "Rättelse av avvikelsen" in page  # the open deadline, by its Swedish name
    assert "Anmäld → Utreds" in page or "Utreds → Rättelse pågår" in page
    assert "Beslut: Begära komplettering" in page
    assert re.search(r"Mandat: delegationsordningen 2026-1 p\. 4\.1, som [a-zåäö]+", page)


def test_an_invalid_action_form_keeps_what_was_typed_and_says_why_beside_each_field(staff: Staff) -> None:
    case_id = _only(staff, "NORRMALM", "deviation", "investigating")
    staff.sign_in("norrmalm.avdelningschef")
    path = f"/arenden/{case_id}/atgard/require_rectification"
    form = staff.client.get(path)
    assert form.status_code == 200 and "Begär rättelse av utföraren" in form.text
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    res = staff.client.post(
        path,
        data={
            "_csrf_token": csrf_of(form.text),
            "version": version[1],
            "response_due": "31/02",
            "reason": "Brister i <rutiner>",
        },
    )
    assert res.status_code == 422
    assert "Inget sparades" in res.text
    assert "Skriv datumet som år-månad-dag, till exempel 2026-12-24." in res.text
    assert "Fyll i diarienummer." in res.text
    assert 'value="31/02"' in res.text and "Brister i &lt;rutiner&gt;</textarea>" in res.text
    assert 'aria-invalid="true"' in res.text and 'href="#falt-registry_number"' in res.text
    with staff.engine.connect() as conn:
        assert conn.execute(select(CASE.c.status).where(CASE.c.id == case_id)).scalar_one() == "investigating"


def test_an_action_sent_twice_is_recorded_once(staff: Staff) -> None:
    case_id = _only(staff, "NORRMALM", "deviation", "reported")
    staff.sign_in("norrmalm.strateg")
    path = f"/arenden/{case_id}/atgard/investigate"
    form = staff.client.get(path)
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    data = {"_csrf_token": csrf_of(form.text), "version": version[1], "topic": "routine_missing", "reason": "Utreds"}
    first = staff.client.post(path, data=data, follow_redirects=False)
    second = staff.client.post(path, data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"] == f"/arenden/{case_id}?utfort=investigate"
    with staff.engine.connect() as conn:
        events = conn.execute(
            select(func.count()).where(EVENT.c.case_id == case_id, EVENT.c.trigger == "investigate")
        ).scalar_one()
    assert events == 1
    page = staff.client.get(first.headers["location"])
    assert "Sparat: ärendet har nu status Utreds." in page.text


def test_a_refusal_by_the_delegation_order_is_shown_in_place(staff: Staff) -> None:
    case_id = _only(staff, "NORRMALM", "call_off_suspension", "proposed")
    staff.sign_in("norrmalm.socsek")
    page = staff.client.get(f"/arenden/{case_id}/atgard/decide")
    assert page.status_code == 200
    assert "Du kan inte göra den här åtgärden" in page.text
    assert "Kräver avdelningschef – delegationsordningen 2026-1 p. 4.3" in page.text
    assert '<form method="post" action="/arenden' not in page.text


def test_pages_speak_english_when_the_user_chooses_it_or_the_browser_asks_for_it(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    english = staff.client.get("/oversikt", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text and "<h1>Overview</h1>" in english.text
    swedish = staff.client.get("/oversikt", headers={"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"})
    assert '<html lang="sv">' in swedish.text
    res = staff.post_form("/sprak", {"lang": "en", "next": "/arenden"}, page="/oversikt")
    assert res.status_code == 303 and res.headers["location"] == "/arenden"  # type: ignore[attr-defined]
    assert "HttpOnly" in res.headers["set-cookie"]  # type: ignore[attr-defined]
    chosen = staff.client.get("/arenden", headers={"Accept-Language": "sv"})
    assert '<html lang="en">' in chosen.text and "<h1>Cases</h1>" in chosen.text
    assert (
        staff.post_form("/sprak", {"lang": "sv", "next": "//evil.example"}, page="/oversikt").headers[  # type: ignore[attr-defined]
            "location"
        ]
        == "/oversikt"
    )


def test_the_case_types_are_listed_alphabetically_by_their_swedish_names(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    page = staff.client.get("/arendetyper", headers={"Accept-Language": "sv"})
    assert page.status_code == 200
    linked = re.findall(r'<a href="/arendetyper/(\w+)">', page.text)
    assert sorted(linked) == sorted(CASE_TYPES)
    assert linked[:2] == ["agreement", "deviation"]  # Avtal, Avvikelse
    assert linked[-1] == "audit_measure"  # Åtgärd i yttrande: å after z


@pytest.mark.parametrize("name", list(CASE_TYPES))
def test_the_state_diagram_shows_every_state_and_transition_of_the_table(staff: Staff, name: str) -> None:
    staff.sign_in("norrmalm.strateg")
    page = staff.client.get(f"/arendetyper/{name}")
    assert page.status_code == 200
    spec = CASE_TYPES[name]
    assert page.text.count('<tr id="tillstand-') == len(list(spec.states))
    rows = re.findall(r'<tr>\s*<td><a href="#tillstand-', page.text)
    assert len(rows) == sum(len(t.source) for t in spec.transitions)
    assert staff.client.get("/arendetyper/nonsense").status_code == 404


def test_deadlines_providers_and_reports_pages_list_their_rows(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    mine = staff.client.get("/bevakningar?mina=1")
    assert mine.status_code == 200 and "Mina öppna bevakningar, tidigast först" in mine.text
    providers = staff.client.get("/utforare")
    assert "Ekbacken Omsorg AB" in providers.text and "Egen regi" in providers.text
    reports = staff.client.get("/rapporter")
    assert "Årsrapport för uppföljning" in reports.text
    xlsx = staff.client.get("/rapporter/annual?ar=2026&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert 'filename="annual-norrmalm-2026.xlsx"' in xlsx.headers["content-disposition"]
    pdf = staff.client.get("/rapporter/terminations?ar=2026&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    csvs = staff.client.get("/rapporter/annual?ar=2026&format=zip")
    assert csvs.status_code == 200 and csvs.content[:2] == b"PK" and "zip" in csvs.headers["content-type"]
    assert staff.client.get("/rapporter/annual?ar=2026&format=csv").status_code == 404  # one table per file: the ZIP
    assert staff.client.get("/rapporter/nonsense?ar=2026").status_code == 404


def test_the_filter_form_gets_the_list_alone_when_it_asks_through_htmx(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    htmx = {"HX-Request": "true", "HX-Target": "arendelista", "HX-Current-URL": "http://testserver.local/arenden"}
    partial = staff.client.get("/arenden?typ=complaint", headers=htmx)
    assert partial.status_code == 200
    assert "<html" not in partial.text and '<div id="arendelista">' in partial.text
    assert '<p id="traffar" role="status">' in partial.text
    assert partial.headers["content-security-policy"].startswith("default-src 'self'")
    restore = staff.client.get("/arenden?typ=complaint", headers={**htmx, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


def test_an_optional_choice_left_empty_records_the_step_without_it(staff: Staff) -> None:
    case_id = _only(staff, "NORRMALM", "complaint", "received")
    staff.sign_in("norrmalm.strateg")
    path = f"/arenden/{case_id}/atgard/investigate"
    form = staff.client.get(path)
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    data = {"_csrf_token": csrf_of(form.text), "version": version[1], "topic": "", "reason": "Vi utreder"}
    res = staff.client.post(path, data=data, follow_redirects=False)
    assert res.status_code == 303, res.text[-1500:]
    with staff.engine.connect() as conn:
        assert conn.execute(select(CASE.c.status).where(CASE.c.id == case_id)).scalar_one() == "investigating"


def test_several_reasons_for_a_follow_up_not_performed_are_ticked_in_a_group_of_checkboxes(staff: Staff) -> None:
    case_id = _only(staff, "NORRMALM", "follow_up", "planned")
    staff.sign_in("norrmalm.strateg")
    path = f"/arenden/{case_id}/atgard/mark_not_performed"
    form = staff.client.get(path)
    assert form.status_code == 200
    group = re.search(r"<fieldset[^>]*>\s*<legend>([^<]+)</legend>(.*?)</fieldset>", form.text, re.S)
    assert group and group[1] == "Skäl till att den inte genomfördes (ett eller flera)"
    boxes = re.findall(r'<input type="checkbox" id="([^"]+)" name="not_performed_reasons" value="([^"]+)"', group[2])
    assert [v for _, v in boxes] == list(
        CASE_TYPES["follow_up"].transition("mark_not_performed", "planned").params[0].choices
    )  # type: ignore[union-attr]
    assert boxes[0][0] == "falt-not_performed_reasons" and all(f'<label for="{i}">' in group[2] for i, _ in boxes)
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    data = {"_csrf_token": csrf_of(form.text), "version": version[1], "reason": "Besöket ställdes in"}
    missing_text = staff.client.post(path, data={**data, "not_performed_reasons": ["agreement_expired", "other"]})
    assert missing_text.status_code == 422
    assert "Du valde Annat: skriv med egna ord vad det är." in missing_text.text
    assert 'value="other" checked' in missing_text.text and 'value="agreement_expired" checked' in missing_text.text
    none_ticked = staff.client.post(path, data=data)
    assert none_ticked.status_code == 422 and "Välj minst ett av alternativen." in none_ticked.text
    done = staff.client.post(
        path,
        data={**data, "not_performed_reasons": ["agreement_expired", "provider_cancelled_visit"]},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    with staff.engine.connect() as conn:
        params = conn.execute(
            select(EVENT.c.params).where(EVENT.c.case_id == case_id, EVENT.c.trigger == "mark_not_performed")
        ).scalar_one()
    assert params == {"not_performed_reasons": ["provider_cancelled_visit", "agreement_expired"]}


def _api(staff: Staff, username: str = "norrmalm.strateg") -> dict[str, str]:
    """Bearer headers for the JSON API as the same user the pages are signed in as."""
    token = mint(DEV_SETTINGS, username, "NORRMALM", ["contract_strategist"], now=staff.clock())
    return {"Authorization": f"Bearer {token}"}


def test_the_overview_page_shows_the_figures_get_overview_answers(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    staff.clock.advance(days=3)
    page = staff.client.get("/oversikt").text
    res = staff.client.get("/overview", headers=_api(staff))
    assert res.status_code == 200, res.text
    body = res.json()
    shown = {
        t: (int(o.replace("\xa0", "").replace(" ", "")), int(re.sub(r"\D", "", late)))
        for t, o, late in re.findall(
            r'data-open="([a-z_]+)">([^<]+)</td>\s*<td class="num" data-overdue="[a-z_]+">(?:<a [^>]+>)?([^<]+)', page
        )
    }
    assert shown == {t["case_type"]: (t["open"], t["overdue"]) for t in body["organisation"]}
    assert any(late for _, late in shown.values())
    assert f"{body['overdue_count']} försenade bevakningar" in page
    assert [d["case_id"] for d in body["overdue"]] == [
        int(i)
        for i in re.findall(r'<a href="/arenden/(\d+)">', page.split("försenade bevakningar")[1].split("</table>")[0])
    ]
    assert sum(m["count"] for m in body["mine"]) > 0


def test_the_deadlines_page_lists_the_deadlines_get_deadlines_answers(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    for query, mine in (("?mina=1", "true"), ("", "false")):
        page = staff.client.get(f"/bevakningar{query}").text
        body = staff.client.get(f"/deadlines?mine={mine}&page_size=100", headers=_api(staff)).json()
        rows = page.split("<tbody>")[1].split("</tbody>")[0]
        assert [int(i) for i in re.findall(r'<a href="/arenden/(\d+)">', rows)] == [d["case_id"] for d in body["items"]]
        assert body["items"], query


def test_the_providers_page_counts_the_open_cases_get_providers_counts(staff: Staff) -> None:
    staff.sign_in("norrmalm.strateg")
    page = staff.client.get("/utforare").text
    body = staff.client.get("/providers?open_cases=true&page_size=100", headers=_api(staff)).json()
    shown = re.findall(r'<a href="/utforare/(\d+)">.*?<td class="num">([^<]+)</td>', page, flags=re.S)
    assert [(int(i), int(n.replace("\xa0", "").replace(" ", ""))) for i, n in shown] == [
        (p["id"], p["open_cases"]) for p in body["items"]
    ]
    assert any(p["open_cases"] for p in body["items"])
