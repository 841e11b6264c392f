"""A report in each output format (utdataformat): JSON, CSV, HTML and an Excel workbook."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from workflow.clock import STOCKHOLM
from workflow.engine.errors import InvalidInput
from workflow.reports import svg
from workflow.reports.model import Report

FORMATS = ("json", "csv", "html", "xlsx")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv",  # the web server adds charset=utf-8 to text types
    "html": "text/html",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(report: Report, fmt: str, table: str | None = None) -> bytes:
    """The report as bytes in ``fmt``; ``table`` picks one table (CSV only)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    if table is not None and fmt != "csv":
        raise InvalidInput("choosing one table is only for CSV")
    if fmt == "json":
        return json.dumps(report.as_dict(), ensure_ascii=False, indent=1).encode()
    if fmt == "csv":
        return to_csv(report, table).encode("utf-8-sig")  # the BOM makes Excel read å, ä, ö right
    if fmt == "html":
        return to_html(report).encode()
    return to_xlsx(report)


def fmt_value(value: Any, kind: str) -> str:
    """A cell as people read it: percentages with one decimal and a % sign, empty for none."""
    if value is None:
        return "–" if kind == "pct" else ""
    if kind == "pct":
        return f"{value:.1f} %"
    if kind == "money":
        return f"{value:,.0f}".replace(",", " ")
    return str(value)


def to_csv(report: Report, table: str | None = None) -> str:
    """One table as plain CSV, or every table one after another, each under its title row."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    tables = [report.table(table)] if table else report.tables
    for i, t in enumerate(tables):
        if table is None:
            if i:
                w.writerow([])
            w.writerow([f"## {t.title}"])
        w.writerow([c.label for c in t.columns])
        for r in t.rows:
            w.writerow(["" if r.get(c.key) is None else _csv_cell(r.get(c.key)) for c in t.columns])
    return out.getvalue()


def _csv_cell(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v


def to_html(report: Report) -> str:
    """A self-contained HTML document with server-drawn SVG charts, readable when printed."""
    charts = {t.key: svg.render(t.chart, t.columns, t.rows) for t in report.tables if t.chart}
    return _ENV.get_template("report.html.j2").render(
        report=report,
        charts=charts,
        fmt=fmt_value,
        generated=report.generated_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M"),
    )


def to_xlsx(report: Report) -> bytes:
    """A workbook with a cover sheet and one sheet per table, numbers as numbers."""
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "Report"
    cover.append([report.title])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append(["Organisation", report.organisation["name"]])
    cover.append(["Period", f"{report.period_from.isoformat()} – {report.period_to.isoformat()}"])
    cover.append(["Computed", report.generated_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")])
    for note in report.notes:
        cover.append(["Note", note])
    cover.column_dimensions["A"].width = 16
    cover.column_dimensions["B"].width = 100
    used: set[str] = {"Report"}
    for t in report.tables:
        ws = wb.create_sheet(_sheet_name(t.key, used))
        ws.append([t.title])
        ws["A1"].font = Font(bold=True)
        ws.append([c.label for c in t.columns])
        for cell in ws[2]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="F0F3F6")
        for r in t.rows:
            ws.append([r.get(c.key) for c in t.columns])
        for j, c in enumerate(t.columns, start=1):
            if c.kind == "pct":
                for row in ws.iter_rows(min_row=3, min_col=j, max_col=j):
                    row[0].number_format = "0.0"
            width = max([len(c.label)] + [len(str(r.get(c.key) or "")) for r in t.rows]) + 2
            ws.column_dimensions[get_column_letter(j)].width = min(width, 60)
        if t.note:
            ws.append([])
            ws.append([t.note])
        ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_name(key: str, used: set[str]) -> str:
    base = key[:31]
    name, k = base, 1
    while name in used:
        k += 1
        name = f"{base[:28]}_{k}"
    used.add(name)
    return name
