"""Rendering a report: percentages with n, well-formed SVG, CSV and Excel that read back the same figures."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from workflow.engine.errors import InvalidInput
from workflow.reports import svg
from workflow.reports.model import Chart, Column, Report, Table, pct
from workflow.reports.render import fmt_value, render
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
    assert fmt_value(66.7, "pct") == "66.7 %"


@pytest.mark.parametrize("kind", ["stacked", "grouped"])
def test_charts_are_well_formed_svg_with_text_escaped(kind: str) -> None:
    r = _report()
    t = r.tables[0]
    assert t.chart is not None
    chart = Chart(t.chart.title, t.chart.label_key, t.chart.series, kind)
    root = ET.fromstring(str(svg.render(chart, t.columns, t.rows)))
    assert root.tag.endswith("svg")
    texts = [e.text for e in root.iter() if e.tag.endswith("text")]
    assert "HVB för barn & unga" in texts


def test_csv_of_one_table_reads_back_the_same_rows() -> None:
    data = render(_report(), "csv", table="outcomes").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0] == ["Area", "n", "Complies", "%", "Does not comply"]
    assert rows[1] == ["HVB för barn & unga", "3", "2", "66.7", "1"]
    assert rows[2][3] == ""


def test_csv_of_the_whole_report_puts_each_table_under_its_title() -> None:
    data = render(_report(), "csv").decode("utf-8-sig")
    assert data.splitlines()[0] == "## Outcomes <per> area & more"


def test_the_workbook_has_a_cover_and_a_sheet_per_table_with_numbers_as_numbers() -> None:
    wb = load_workbook(io.BytesIO(render(_report(), "xlsx")))
    assert wb.sheetnames == ["Report", "outcomes"]
    ws = wb["outcomes"]
    assert [c.value for c in ws[2]] == ["Area", "n", "Complies", "%", "Does not comply"]
    assert [c.value for c in ws[3]] == ["HVB för barn & unga", 3, 2, 66.7, 1]


def test_json_carries_counts_and_percentages_side_by_side() -> None:
    doc = json.loads(render(_report(), "json"))
    assert doc["tables"][0]["rows"][0] == {"area": "HVB för barn & unga", "n": 3, "ok": 2, "ok_pct": 66.7, "bad": 1}
    assert doc["period"] == {"from": "2026-01-01", "to": "2026-12-31"}


def test_html_escapes_names_and_refuses_unknown_formats() -> None:
    html = render(_report(), "html").decode()
    assert "Outcomes &lt;per&gt; area &amp; more" in html
    with pytest.raises(InvalidInput):
        render(_report(), "pdf")
    with pytest.raises(InvalidInput):
        render(_report(), "html", table="outcomes")
    with pytest.raises(KeyError):
        render(_report(), "csv", table="nope")


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Period(date(2026, 2, 1), date(2026, 1, 1))
