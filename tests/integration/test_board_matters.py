"""Board matters (tjänsteutlåtanden): generated from the report query functions through versioned templates."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select

from tests.board_html import rows, sections
from tests.report_scenario import build_year
from tests.world import build_world
from workflow import i18n
from workflow.board import queries
from workflow.board.commands import GenerateBoardMatter, SaveBoardTemplate
from workflow.bootstrap import Application
from workflow.cases.opening import open_case
from workflow.engine.errors import InvalidInput, NotFound, NotPermitted
from workflow.reports.catalogue import build_report
from workflow.reports.labels import label
from workflow.reports.localize import localize
from workflow.reports.scope import Period
from workflow.reports.terminations import ended_agreements
from workflow.schema.tables import BOARD_MATTER
from workflow.settings import Settings

pytestmark = pytest.mark.integration

YEAR_START, YEAR_END = date(2026, 1, 1), date(2026, 12, 31)
SWEDISH_SECTIONS = ["Ärendet", "Bakgrund", "Förvaltningens bedömning", "Förslag till beslut", "Bilagor"]


def _app(engine: Engine, clock: object) -> Application:
    return Application(Settings(), engine, clock)  # type: ignore[arg-type]


def test_a_board_matter_for_the_years_terminations_holds_exactly_the_terminations_of_the_period(
    engine: Engine,
) -> None:
    s = build_year(engine, 11)
    app = _app(engine, s.clock)
    strategist = s.actor("contract_strategist")
    done = app.execute(GenerateBoardMatter("terminations", "NOR-2027-00001", YEAR_START, YEAR_END), strategist)
    stored = queries.matter(app.uow, strategist, done.id)
    listed = rows(str(stored["html"]), "ended")
    with engine.connect() as conn:
        report = build_report(conn, "terminations", s.w.orgs["NORTH"], YEAR_START, YEAR_END)
        codes = [r["reason_code"] for r in ended_agreements(conn, s.w.orgs["NORTH"], Period(YEAR_START, YEAR_END))]
    expected = report.table("ended_agreements").rows
    swedish = localize(report, "sv").table("ended_agreements").rows
    assert [r["attrs"]["data-registry-number"] for r in listed] == [e["registry_number"] for e in s.exp.ended]  # type: ignore[index]
    assert not {r["attrs"]["data-registry-number"] for r in listed} & set(s.exp.other_org_ended)  # type: ignore[index]
    for got, want, sv, scenario, code in zip(listed, expected, swedish, s.exp.ended, codes, strict=True):
        cells = dict(got["cells"])  # type: ignore[arg-type]
        assert cells["date"] == want["date"].isoformat() == scenario["date"].isoformat()
        assert label(code) == want["reason"] == scenario["reason"]
        assert cells["ground"] == i18n.label("sv", "value", code)
        assert cells["mandate"] == sv["mandate"] != want["mandate"]  # the report's mandate, in Swedish
        dnr = [text for cls, text in got["cells"] if cls == "dnr"]  # type: ignore[union-attr]
        assert dnr == [want["agreement"], want["registry_number"]]
    assert sections(str(stored["html"])) == SWEDISH_SECTIONS
    assert f"{len(expected)} beslut" in str(stored["html"])
    assert stored["template_version"] == 0 and stored["registry_number"] == "NOR-2027-00001"


def test_the_annual_matter_shows_the_figures_of_the_annual_reports_summary(engine: Engine) -> None:
    s = build_year(engine, 5)
    app = _app(engine, s.clock)
    strategist = s.actor("contract_strategist")
    done = app.execute(GenerateBoardMatter("annual", "NOR-2027-00002", YEAR_START, YEAR_END), strategist)
    html = str(queries.matter(app.uow, strategist, done.id)["html"])
    with engine.connect() as conn:
        summary = build_report(conn, "annual", s.w.orgs["NORTH"], YEAR_START, YEAR_END).table("summary").rows
    shown = [[text for _cls, text in r["cells"]] for r in rows(html, "figure")]  # type: ignore[union-attr]
    assert [cells[1:3] for cells in shown] == [
        [i18n.format_number("sv", r["count"]), i18n.format_number("sv", r["n"]) if r["n"] is not None else ""]
        for r in summary
    ]
    assert sum(r["count"] for r in summary if r["figure"] == "Agreements terminated") == sum(
        e["measure_code"] == "terminated" for e in s.exp.ended
    )


def test_editing_a_template_makes_a_new_version_and_an_old_matter_keeps_its_text(engine: Engine) -> None:
    w = build_world(engine)
    app = _app(engine, w.clock)
    secretary, strategist = w.actor("NORTH", "board_secretary"), w.actor("NORTH", "contract_strategist")
    first = app.execute(GenerateBoardMatter("decisions", "NOR-2026-10001", YEAR_START, YEAR_END), strategist)
    shipped = queries.template_source(app.uow, secretary, "decisions")
    assert shipped["version"] == 0
    edited = shipped["source"].replace("{% trans %}Background{% endtrans %}", "Bakgrund och syfte")
    saved = app.execute(SaveBoardTemplate("decisions", edited, "clearer heading"), secretary)
    again = app.execute(SaveBoardTemplate("decisions", edited + "\n<p>Sista stycket.</p>", ""), secretary)
    assert (saved.version, again.version) == (1, 2)
    second = app.execute(GenerateBoardMatter("decisions", "NOR-2026-10002", YEAR_START, YEAR_END), strategist)
    old, new = queries.matter(app.uow, strategist, first.id), queries.matter(app.uow, strategist, second.id)
    assert "Bakgrund och syfte" not in old["html"] and "Sista stycket" not in old["html"]
    assert "Bakgrund och syfte" in new["html"] and "Sista stycket." in new["html"]
    assert (old["template_version"], new["template_version"]) == (0, 2)
    history = {t["matter_type"]: t for t in queries.list_templates(app.uow, secretary)}["decisions"]
    assert [v["version"] for v in history["versions"]] == [0, 1, 2]
    assert history["versions"][1]["created_by"] == "board_secretary of NORTH"
    assert queries.template_source(app.uow, secretary, "decisions", 1)["source"] == edited


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ matter['__class__'] }}",
        "{{ matter|attr('__class__') }}",
        "{% include 'document.html' %}",
    ],
)
def test_a_template_that_reaches_for_python_internals_is_refused_when_saved(engine: Engine, source: str) -> None:
    w = build_world(engine)
    app = _app(engine, w.clock)
    with pytest.raises(InvalidInput) as refused:
        app.execute(SaveBoardTemplate("annual", source), w.actor("NORTH", "board_secretary"))
    assert refused.value.context["rule"] == "template_unsafe"
    assert [t["current_version"] for t in queries.list_templates(app.uow, w.actor("NORTH", "board_secretary"))] == [
        0,
        0,
        0,
        0,
    ]


def test_the_sandbox_stops_internals_reached_by_a_name_built_at_render_time(engine: Engine) -> None:
    w = build_world(engine)
    app = _app(engine, w.clock)
    sneaky = "{% set n = '_' ~ '_class' ~ '__' %}{{ matter|attr(n) }}"
    app.execute(SaveBoardTemplate("decisions", sneaky), w.actor("NORTH", "board_secretary"))  # passes the static check
    with pytest.raises(InvalidInput) as refused:
        app.execute(
            GenerateBoardMatter("decisions", "NOR-2026-20001", YEAR_START, YEAR_END),
            w.actor("NORTH", "contract_strategist"),
        )
    assert refused.value.context["rule"] == "template_unsafe"
    assert "sandbox" in refused.value.message
    with engine.connect() as conn:
        assert conn.execute(select(BOARD_MATTER.c.id)).first() is None


def test_a_template_that_does_not_parse_is_refused_naming_the_line(engine: Engine) -> None:
    w = build_world(engine)
    app = _app(engine, w.clock)
    with pytest.raises(InvalidInput) as refused:
        app.execute(SaveBoardTemplate("annual", "<p>\n{% if %}</p>"), w.actor("NORTH", "board_secretary"))
    assert refused.value.context["rule"] == "template_syntax" and "line 2" in refused.value.message


def test_only_the_secretary_and_the_heads_edit_templates(engine: Engine) -> None:
    w = build_world(engine)
    app = _app(engine, w.clock)
    with pytest.raises(NotPermitted):
        app.execute(SaveBoardTemplate("annual", "<p>x</p>"), w.actor("NORTH", "contract_strategist"))


def test_a_registry_number_names_one_matter(engine: Engine) -> None:
    w = build_world(engine)
    app = _app(engine, w.clock)
    strategist = w.actor("NORTH", "contract_strategist")
    app.execute(GenerateBoardMatter("decisions", "NOR-2026-30001", YEAR_START, YEAR_END), strategist)
    with pytest.raises(InvalidInput) as refused:
        app.execute(GenerateBoardMatter("annual", "NOR-2026-30001", YEAR_START, YEAR_END), strategist)
    assert refused.value.context["rule"] == "registry_number"


def test_a_termination_put_to_the_board_names_the_agreement_the_ground_and_the_proposal(engine: Engine) -> None:
    w = build_world(engine)
    app = _app(engine, w.clock)
    strategist = w.actor("NORTH", "contract_strategist")
    cid = open_case(w.wf, "agreement", strategist, "register", agreement_id=w.agreements["north_calloff"]).case_id
    done = app.execute(
        GenerateBoardMatter(
            "termination",
            "NOR-2026-40001",
            case_id=cid,
            measure="rescind",
            ground="serious_breach",
            inputs={"assessment": "Allvarliga brister <b>trots</b> rättelse."},
        ),
        strategist,
    )
    html = str(queries.matter(app.uow, strategist, done.id)["html"])
    assert done.title == "Förslag om hävning av avtal NOR-2024-00001"
    assert "Acme Care AB" in html and "NOR-2024-00001" in html
    assert i18n.label("sv", "value", "serious_breach") in html
    assert "&lt;b&gt;trots&lt;/b&gt;" in html  # the author's text is escaped, never markup
    assert sections(html) == SWEDISH_SECTIONS
    with pytest.raises(InvalidInput) as refused:
        app.execute(
            GenerateBoardMatter("termination", "NOR-2026-40002", case_id=cid, measure="rescind", ground="late_payment"),
            strategist,
        )
    assert refused.value.context["rule"] == "matter_input"


def test_another_boards_case_and_matter_are_not_found(engine: Engine) -> None:
    w = build_world(engine)
    app = _app(engine, w.clock)
    north, south = w.actor("NORTH", "contract_strategist"), w.actor("SOUTH", "contract_strategist")
    cid = open_case(w.wf, "agreement", north, "register", agreement_id=w.agreements["north_calloff"]).case_id
    with pytest.raises(NotFound):
        app.execute(
            GenerateBoardMatter("termination", "SOU-2026-1", case_id=cid, measure="terminate", ground="other"), south
        )
    done = app.execute(GenerateBoardMatter("decisions", "NOR-2026-50001", YEAR_START, YEAR_END), north)
    with pytest.raises(NotFound):
        queries.matter(app.uow, south, done.id)
    assert queries.list_matters(app.uow, south) == []


def test_a_matter_is_print_ready_with_the_municipality_and_registry_number_in_the_header(engine: Engine) -> None:
    w = build_world(engine)
    app = _app(engine, w.clock)
    strategist = w.actor("NORTH", "contract_strategist")
    done = app.execute(GenerateBoardMatter("annual", "NOR-2026-60001", YEAR_START, YEAR_END), strategist)
    html = str(queries.matter(app.uow, strategist, done.id)["html"])
    assert "size: A4" in html and "@top-right" in html and "counter(page)" in html
    assert '<span class="organisation">NORTH board</span>' in html
    assert '<span class="registry">Dnr NOR-2026-60001</span>' in html
    assert '<html lang="sv">' in html
    english = app.execute(
        GenerateBoardMatter("annual", "NOR-2026-60002", YEAR_START, YEAR_END, locale="en"), strategist
    )
    en_html = str(queries.matter(app.uow, strategist, english.id)["html"])
    assert sections(en_html) == [
        "The matter",
        "Background",
        "The administration's assessment",
        "Proposed decision",
        "Attachments",
    ]
