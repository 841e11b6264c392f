"""Rendering a report: percentages with n, well-formed SVG, CSV and Excel that read back the same figures."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from workflow.engine.errors import InvalidInput
from workflow.reports import svg
from workflow.reports.model import Chart, Column, Report, Table, pct
from workflow.reports.render import _sheet_name, fmt_value, render
from workflow.reports.scope import Period


def _report() -> Report:
    t = Table(
        "outcomes",
        "Outcomes <per> area & more",
        [
            Column("area", "Area"),
            Column("n", "n", "int"),
            Column("ok", "Complies", "int"),
            Column("ok_pct", "%", "pct"),
            Column("bad", "Does not comply", "int"),
        ],
        [
            {"area": "HVB för barn & unga", "n": 3, "ok": 2, "ok_pct": pct(2, 3), "bad": 1},
            {"area": "Stödboende", "n": 0, "ok": 0, "ok_pct": pct(0, 0), "bad": 0},
        ],
        note="n is the number assessed.",
        chart=Chart("Outcome distribution", "area", ("ok", "bad"), "stacked"),
    )
    return Report(
        "annual",
        "Annual",
        {"id": 1, "code": "X", "name": "Nämnd"},
        date(2026, 1, 1),
        date(2026, 12, 31),
        datetime(2026, 12, 31, tzinfo=UTC),
        [t],
        ["a note"],
    )


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_a_percentage_is_the_count_over_n_with_one_decimal_and_none_without_n(count: int, n: int) -> None:
    got = pct(count, n)
    if n == 0:
        assert got is None
    else:
        assert got == round(100 * count / n, 1)


def test_a_missing_percentage_prints_as_a_dash_not_as_zero() -> None:
    assert fmt_value(None, "pct") == "–"
    assert fmt_value(66.7, "pct") == "66,7\u00a0%"
    assert fmt_value(66.7, "pct", "en") == "66.7\u00a0%"


def test_numbers_are_grouped_in_the_swedish_way_and_years_are_not() -> None:
    assert fmt_value(1234567, "money") == "1\u00a0234\u00a0567"
    assert fmt_value(1234567, "money", "en") == "1,234,567"
    assert fmt_value(2026, "year") == "2026"
    assert fmt_value(date(2026, 12, 7), "date") == "2026-12-07"


@pytest.mark.parametrize("kind", ["stacked", "grouped"])
def test_charts_are_well_formed_svg_with_text_escaped(kind: str) -> None:
    r = _report()
    t = r.tables[0]
    assert t.chart is not None
    chart = Chart(t.chart.title, t.chart.label_key, t.chart.series, kind)
    root = ET.fromstring(str(svg.render(chart, t.columns, t.rows)))
    assert root.tag.endswith("svg")
    texts = ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("text")]
    assert "HVB för barn & unga" in texts


def test_csv_is_one_table_in_the_swedish_convention_semicolons_decimal_comma_and_a_bom() -> None:
    raw = render(_report(), "csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Area", "n", "Följer avtalet", "%", "Följer inte avtalet"]
    assert rows[1] == ["HVB för barn & unga", "3", "2", "66,7", "1"]
    assert rows[2][3] == ""
    assert render(_report(), "csv", table="outcomes") == raw


def test_a_report_of_several_tables_gives_csv_only_for_a_named_table_and_offers_a_zip_of_them_all() -> None:
    r = _report()
    r.tables.append(Table("summary", "Summary", [Column("figure", "Figure"), Column("count", "Count", "int")], []))
    with pytest.raises(InvalidInput) as refused:
        render(r, "csv")
    assert refused.value.context["rule"] == "table" and "outcomes, summary" in refused.value.message
    with zipfile.ZipFile(io.BytesIO(render(r, "zip"))) as zf:
        assert zf.namelist() == ["01 Resultat.csv", "02 Sammanfattning.csv"]
        first = zf.read("01 Resultat.csv")
    assert first == render(r, "csv", table="outcomes")


def test_the_workbook_has_a_cover_and_a_sheet_per_table_with_numbers_as_numbers() -> None:
    wb = load_workbook(io.BytesIO(render(_report(), "xlsx")))
    assert wb.sheetnames == ["Rapport", "Resultat"]
    ws = wb["Resultat"]
    assert [c.value for c in ws[2]] == ["Area", "n", "Följer avtalet", "%", "Följer inte avtalet"]
    assert [c.value for c in ws[3]] == ["HVB för barn & unga", 3, 2, 66.7, 1]
    assert [c.number_format for c in ws[3]][1:4] == ["#,##0", "#,##0", "0.0"]


def test_sheet_names_are_at_most_31_characters_without_forbidden_signs_and_unique() -> None:
    used: set[str] = set()
    names = [_sheet_name("Uppsägningar/hävningar: per [ramavtal] och skäl i perioden", used) for _ in range(3)]
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    assert len({n.casefold() for n in names}) == 3


def test_json_carries_counts_and_percentages_side_by_side() -> None:
    doc = json.loads(render(_report(), "json"))
    assert doc["tables"][0]["rows"][0] == {"area": "HVB för barn & unga", "n": 3, "ok": 2, "ok_pct": 66.7, "bad": 1}
    assert doc["period"] == {"from": "2026-01-01", "to": "2026-12-31"}


def test_html_escapes_names_and_refuses_unknown_formats() -> None:
    html = render(_report(), "html").decode()
    assert "Outcomes &lt;per&gt; area &amp; more" in html
    with pytest.raises(InvalidInput):
        render(_report(), "docx")
    with pytest.raises(InvalidInput):
        render(_report(), "html", table="outcomes")
    with pytest.raises(KeyError):
        render(_report(), "csv", table="nope")


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Period(date(2026, 2, 1), date(2026, 1, 1))
