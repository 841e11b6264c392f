"""Reports in the reader's language: Swedish first, plural forms right, labels not codes, charts readable."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from workflow.engine.errors import InvalidInput
from workflow.reports import svg
from workflow.reports.labels import label
from workflow.reports.localize import Translator, localize
from workflow.reports.model import Chart, Column, Msg, Plural, Report, Table
from workflow.reports.render import Letterhead, css_string, render

TEMPLATE = Path(__file__).resolve().parents[2] / "workflow" / "reports" / "templates" / "report.html"


@pytest.mark.parametrize(
    ("n", "sv", "en"),
    [(1, "1 hävning", "1 rescission"), (2, "2 hävningar", "2 rescissions"), (0, "0 hävningar", "0 rescissions")],
)
def test_plural_forms_follow_the_count_in_each_language(n: int, sv: str, en: str) -> None:
    m = Plural("%(n)s rescission", "%(n)s rescissions", n)
    assert (Translator("sv").msg(m), Translator("en").msg(m), str(m)) == (sv, en, en)


def test_a_code_is_shown_by_its_catalogue_label_never_as_the_code() -> None:
    reason = label("weak_finances")
    assert str(reason) == "Weak economic standing" and reason == "Weak economic standing"
    assert Translator("sv").msg(reason) == "Svag ekonomi"
    role = label("contract_strategist", "role")
    assert Translator("sv").msg(role) == "Avtalsstrateg"
    assert Translator("sv").msg(label("terminate_agreement", "decision")) == "Säga upp avtal"
    assert Translator("sv").msg(label(None)) == "(inte registrerat)"


def test_parameters_are_put_into_the_language_too_numbers_grouped_the_swedish_way() -> None:
    m = Msg(
        "%(role)s under delegation order %(order)s item %(item)s",
        role=label("unit_manager", "role"),
        order="2026-1",
        item="4.2",
    )
    assert Translator("sv").msg(m) == "Enhetschef enligt delegationsordningen 2026-1 p. 4.2"
    flagged = Plural("%(flagged)s of %(n)s unit flagged.", "%(flagged)s of %(n)s units flagged.", 1200, flagged=3)
    assert Translator("sv").msg(flagged) == "3 av 1\u00a0200 enheter flaggade."


def test_a_string_the_catalogue_lacks_is_noted_so_a_test_can_fail_on_it() -> None:
    tr = Translator("sv")
    assert tr.text("Summary") == "Sammanfattning" and tr.missing == set()
    assert tr.text("Some English nobody translated") == "Some English nobody translated"
    assert tr.missing == {"Some English nobody translated"}


def _report() -> Report:
    rows = [
        {"reason": label("weak_finances"), "terminations": 2, "rescissions": 1},
        {"reason": Msg("Total"), "terminations": 2, "rescissions": 1},
    ]
    t = Table(
        "by_reason",
        "Terminations and rescissions per reason",
        [
            Column("reason", "Reason / ground"),
            Column("terminations", "Terminations", "int"),
            Column("rescissions", "Rescissions", "int"),
        ],
        rows,
        note=Plural("n = %(n)s decision.", "n = %(n)s decisions.", 3),
        chart=Chart("Terminations per reason", "reason", ("terminations", "rescissions"), "grouped"),
    )
    return Report(
        "terminations",
        "Terminated and rescinded agreements",
        {"id": 1, "code": "N", "name": "Norrmalms stadsdelsnämnd"},
        date(2026, 1, 1),
        date(2026, 12, 31),
        datetime(2026, 12, 31, tzinfo=UTC),
        [t],
    )


def test_localizing_translates_titles_labels_notes_and_label_cells_and_marks_the_total() -> None:
    loc = localize(_report(), "sv")
    t = loc.tables[0]
    assert (loc.title, t.title, [c.label for c in t.columns], t.note) == (
        "Uppsagda och hävda avtal",
        "Uppsägningar och hävningar per skäl",
        ["Skäl / grund", "Uppsägningar", "Hävningar"],
        "n = 3 beslut.",
    )
    assert [r["reason"] for r in t.rows] == ["Svag ekonomi", "Totalt"]
    assert [bool(r.get("_total")) for r in t.rows] == [False, True]
    assert "_total" not in str(loc.as_dict())
    en = localize(_report(), "en")
    assert (en.title, en.tables[0].rows[1]["reason"]) == ("Terminated and rescinded agreements", "Total")


def test_the_html_says_its_language_and_prints_on_a4_with_unbroken_dates_and_registry_numbers() -> None:
    html = render(_report(), "html", letterhead=Letterhead("Demokommunen", "NOR-2027-1")).decode()
    assert '<html lang="sv">' in html and "size: A4" in html and "@page wide { size: A4 landscape" in html
    assert re.search(r"\.nowrap \{ white-space: nowrap; \}", html)
    assert "counter(page)" in html and '"Sida "' in html and "Demokommunen" in html
    assert "Nothing" not in html and "computed" not in html
    assert '<html lang="en">' in render(_report(), "html", locale="en").decode()


def test_a_registry_number_that_could_break_out_of_the_page_css_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        Letterhead("Demokommunen", 'x"; } body { display: none')
    assert refused.value.context["rule"] == "registry_number"
    assert str(css_string('Nämnd "A" & <b>')) == '"Nämnd \\22 A\\22  \\26  \\3c b\\3e "'


def _hex_colours(css: str, selector: str) -> list[str]:
    block = re.search(re.escape(selector) + r" \{([^}]*)\}", css)
    assert block, selector
    return re.findall(r"(?<![-\w])color: (#[0-9a-fA-F]{3,6})", block.group(1))


def test_text_colours_of_the_report_meet_wcag_aa_contrast_on_white_and_on_header_fills() -> None:
    css = TEMPLATE.read_text()
    for selector in ("body", ".note", ".empty", ".meta", ".letterhead", "ul.notes"):
        for colour in _hex_colours(css, selector):
            assert svg.contrast(colour, "#ffffff") >= 4.5, (selector, colour)
    assert svg.contrast("#1a1a1a", "#e8edf2") >= 4.5  # header cells
    assert svg.contrast("#1a1a1a", "#f3f3f3") >= 4.5  # total rows


def test_every_count_drawn_inside_a_bar_meets_wcag_aa_contrast_with_its_fill() -> None:
    fills = list(svg.PALETTE) + list(svg.COLOURS.values())
    assert all(svg.contrast(f, svg.text_on(f)) >= 4.5 for f in fills)
    chart = Chart("Resultat", "area", ("compliant", "largely_compliant_minor_remaining", "non_compliant"), "stacked")
    cols = [
        Column("area", "Område"),
        Column("compliant", "Följer"),
        Column("largely_compliant_minor_remaining", "Mindre brister"),
        Column("non_compliant", "Följer inte"),
    ]
    rows = [{"area": "HVB", "compliant": 5, "largely_compliant_minor_remaining": 5, "non_compliant": 5}]
    root = ET.fromstring(str(svg.render(chart, cols, rows)))
    shapes = list(root)
    checked = 0
    for i, e in enumerate(shapes):
        if e.tag.endswith("text") and e.get("fill"):
            rect = shapes[i - 1]
            assert rect.tag.endswith("rect")
            assert svg.contrast(rect.get("fill") or "", e.get("fill") or "") >= 4.5
            checked += 1
    assert checked == 3


def test_a_long_chart_label_wraps_onto_lines_and_is_never_cut() -> None:
    long = "Svag ekonomisk ställning enligt kreditupplysning och obetalda skatter hos Skatteverket"
    chart = Chart("Uppsägningar per skäl", "reason", ("terminations",), "grouped")
    root = ET.fromstring(
        str(
            svg.render(
                chart,
                [Column("reason", "Skäl"), Column("terminations", "Uppsägningar")],
                [{"reason": long, "terminations": 3}],
            )
        )
    )
    spans = [s.text or "" for s in root.iter() if s.tag.endswith("tspan")]
    assert len(spans) >= 3 and " ".join(spans) == long
    assert all(len(s) <= svg.LABEL_CHARS for s in spans) and "…" not in ET.tostring(root, encoding="unicode")
    height = float(root.get("height") or 0)
    ys = [float(s.get("y") or 0) for s in root.iter() if s.tag.endswith("tspan")]
    assert min(ys) > 0 and max(ys) < height


def test_pdf_printing_without_the_systems_pango_is_refused_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from workflow.documents.pdf import html_to_pdf
    from workflow.engine.errors import Unavailable

    real_import = builtins.__import__

    def no_pango(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("weasyprint"):
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_pango)
    with pytest.raises(Unavailable, match="needs the system's Pango") as refused:
        html_to_pdf("<!doctype html><p>x</p>")
    assert refused.value.context["rule"] == "pdf_printing"
