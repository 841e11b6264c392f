"""A report in each output format (utdataformat): JSON, CSV, a ZIP of CSV files, HTML, Excel and PDF.

Every format is rendered from the report put into the reader's language
(:func:`workflow.reports.localize.localize`, Swedish by default):

* **CSV** follows the Swedish convention: ``;`` between fields, a decimal comma, UTF-8 with a
  BOM, one table per file (``table`` names it; a report of one table needs none). **ZIP** holds
  every table of the report as its own CSV file.
* **HTML** is one document for the screen and for print: A4 with margins, wide tables on
  landscape pages, dates and registry numbers never broken, charts drawn on the server.
* **PDF** is that HTML printed by :func:`workflow.documents.pdf.html_to_pdf`, with page
  numbers, the municipality's name and the registry number in the margins.
* **Excel** has a cover sheet and one sheet per table, named by Swedish labels, numbers stored as
  numbers with number formats, and a print setup on every sheet.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from workflow import i18n
from workflow.clock import STOCKHOLM
from workflow.engine.errors import InvalidInput
from workflow.reports import svg
from workflow.reports.labels import TABLE_NAMES
from workflow.reports.localize import localize
from workflow.reports.model import Report, Table

FORMATS = ("json", "csv", "zip", "html", "pdf", "xlsx")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv",  # the web server adds charset=utf-8 to text types
    "zip": "application/zip",
    "html": "text/html",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
#: Columns whose values are registry numbers, organisation numbers or dates: never broken across lines.
UNBROKEN_KEYS = frozenset({"registry_number", "framework", "agreement", "org_number", "round", "contract_period"})
NUMERIC = ("int", "pct", "money", "year")
#: A table with more columns than this is printed on a landscape page (HTML, PDF, Excel).
WIDE = 7
#: A sheet with more columns than this is printed landscape.
LANDSCAPE_SHEET = 5
#: Registry numbers are safe to show in a header: letters, digits and a few separators.
REGISTRY_NUMBER = re.compile(r"^[\w .:/-]{1,40}$")


@dataclass(frozen=True, slots=True)
class Letterhead:
    """What heads every printed page: the municipality's name and the matter's registry number (dnr)."""

    municipality: str = ""
    registry_number: str = ""

    def __post_init__(self) -> None:
        if self.registry_number and not REGISTRY_NUMBER.match(self.registry_number):
            raise InvalidInput(
                "a registry number holds letters, digits, spaces and . : / - only (at most 40)", rule="registry_number"
            )


def render(
    report: Report,
    fmt: str,
    table: str | None = None,
    locale: str = i18n.DEFAULT_LOCALE,
    letterhead: Letterhead | None = None,
) -> bytes:
    """The report as bytes in ``fmt``, in ``locale``; ``table`` picks the table of a CSV file."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}", rule="format")
    if table is not None and fmt != "csv":
        raise InvalidInput("choosing one table is only for CSV", rule="table")
    loc = localize(report, locale)
    if fmt == "json":
        return json.dumps(loc.as_dict(), ensure_ascii=False, indent=1).encode()
    if fmt == "csv":
        return to_csv(loc, table, locale).encode("utf-8-sig")  # the BOM makes Excel read å, ä, ö right
    if fmt == "zip":
        return to_zip(loc, locale)
    if fmt == "html":
        return to_html(loc, locale, letterhead).encode()
    if fmt == "pdf":
        from workflow.documents.pdf import html_to_pdf

        return html_to_pdf(to_html(loc, locale, letterhead))
    return to_xlsx(loc, locale, letterhead)


def fmt_value(value: Any, kind: str, locale: str = i18n.DEFAULT_LOCALE) -> str:
    """A cell as people read it in ``locale``: grouped numbers, one decimal and a % sign, ISO dates."""
    loc = i18n._BABEL.get(locale, "sv_SE")
    if value is None:
        return "–" if kind == "pct" else ""
    if isinstance(value, datetime):
        return value.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if kind == "pct" and isinstance(value, int | float):
        return f"{format_decimal(value, format='#,##0.0', locale=loc)}\u00a0%"
    if kind in ("int", "money") and isinstance(value, int | float):
        return format_decimal(value, format="#,##0", locale=loc)
    return str(value)


def csv_cell(value: Any, kind: str = "text") -> str:
    """A CSV field for a Swedish spreadsheet: decimal comma, no grouping, ISO dates, empty for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return (f"{value:.1f}" if kind == "pct" else repr(value)).replace(".", ",")
    if isinstance(value, datetime):
        return value.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _table_csv(t: Table) -> str:
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow([c.label for c in t.columns])
    for r in t.rows:
        w.writerow([csv_cell(r.get(c.key), c.kind) for c in t.columns])
    return out.getvalue()


def to_csv(report: Report, table: str | None = None, locale: str = i18n.DEFAULT_LOCALE) -> str:
    """One table as CSV in the Swedish convention; ``table`` is needed when the report has several."""
    if table is None:
        if len(report.tables) != 1:
            raise InvalidInput(
                i18n.gettext(
                    locale, i18n.N_("A CSV file holds one table: choose one of %(tables)s, or take the ZIP file.")
                )
                % {"tables": ", ".join(t.key for t in report.tables)},
                rule="table",
            )
        return _table_csv(report.tables[0])
    return _table_csv(report.table(table))


def to_zip(report: Report, locale: str = i18n.DEFAULT_LOCALE) -> bytes:
    """Every table as its own CSV file (Swedish convention), numbered and named by its title."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, t in enumerate(report.tables, start=1):
            short = TABLE_NAMES.get(t.key)
            title = i18n.gettext(locale, short) if short else t.title
            name = re.sub(r"[^\w åäöÅÄÖ-]+", "", title).strip()[:60].strip()
            info = zipfile.ZipInfo(f"{i:02d} {name}.csv", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, _table_csv(t).encode("utf-8-sig"))
    return buf.getvalue()


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string, safe inside a ``<style>`` element (for the page margin boxes)."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,–-()" else f"\\{ord(ch):x} " for ch in text)
    return Markup(f'"{escaped}"')


def to_html(report: Report, locale: str = i18n.DEFAULT_LOCALE, letterhead: Letterhead | None = None) -> str:
    """A self-contained HTML document with server-drawn SVG charts, laid out for A4 when printed."""
    charts = {t.key: svg.render(t.chart, t.columns, t.rows) for t in report.tables if t.chart}
    tr = i18n.translations(locale)
    env = _ENV.overlay()
    env.install_gettext_translations(tr, newstyle=True)  # type: ignore[attr-defined]
    head = letterhead or Letterhead()
    dnr = f"{tr.gettext('Registry number')} {head.registry_number}" if head.registry_number else ""
    return env.get_template("report.html").render(
        css_string=css_string,
        letterhead_left=" – ".join(x for x in (head.municipality, report.organisation["name"]) if x),
        letterhead_right=dnr,
        page_word=tr.gettext("Page") + " ",
        of_word=" " + tr.gettext("of") + " ",
        report=report,
        locale=locale,
        charts=charts,
        fmt=lambda v, k: fmt_value(v, k, locale),
        unbroken=lambda c: c.kind in ("date", "pct", "money", "int") or c.key in UNBROKEN_KEYS,
        wide=lambda t: len(t.columns) > WIDE,
        numeric=NUMERIC,
        letterhead=head,
        landscape=bool(report.tables) and len(report.tables[0].columns) > WIDE,
        period=f"{report.period_from.isoformat()}\u2009–\u2009{report.period_to.isoformat()}",
        generated=report.generated_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M"),
    )


#: Number formats of the workbook: grouped thousands, one decimal for percentages, years bare.
NUMBER_FORMATS = {"int": "#,##0", "money": "#,##0", "pct": "0.0", "year": "0", "date": "yyyy-mm-dd"}


def to_xlsx(report: Report, locale: str = i18n.DEFAULT_LOCALE, letterhead: Letterhead | None = None) -> bytes:
    """A workbook: a cover sheet and one sheet per table, labelled in ``locale``, ready to print on A4."""
    _ = i18n.translations(locale).gettext
    head = letterhead or Letterhead()
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = _sheet_name(_("Report"), set())
    cover.append([report.title])
    cover["A1"].font = Font(bold=True, size=14)
    if head.municipality:
        cover.append([_("Municipality"), head.municipality])
    cover.append([_("Organisation"), report.organisation["name"]])
    cover.append([_("Period"), f"{report.period_from.isoformat()} – {report.period_to.isoformat()}"])
    cover.append([_("Computed"), report.generated_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")])
    if head.registry_number:
        cover.append([_("Registry number"), head.registry_number])
    for note in report.notes:
        cover.append([_("Note"), note])
    cover.column_dimensions["A"].width = 18
    cover.column_dimensions["B"].width = 90
    for row in cover.iter_rows(min_row=2):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    _print_setup(cover, report, head, landscape=False, title_rows=None, locale=locale)
    used: set[str] = {cover.title}
    for t in report.tables:
        short = TABLE_NAMES.get(t.key)
        ws = wb.create_sheet(_sheet_name(_(short) if short else t.title, used))
        ws.append([t.title])
        ws["A1"].font = Font(bold=True, size=12)
        ws.append([c.label for c in t.columns])
        for cell in ws[2]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE4EC")
            cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        for r in t.rows:
            ws.append([_xlsx_cell(r.get(c.key), c.kind) for c in t.columns])
            if r.get("_total"):
                for cell in ws[ws.max_row]:
                    cell.font = Font(bold=True)
        header_lines = 1
        for j, c in enumerate(t.columns, start=1):
            fmt = NUMBER_FORMATS.get(c.kind)
            if fmt:
                for row in ws.iter_rows(min_row=3, max_row=2 + len(t.rows), min_col=j, max_col=j):
                    row[0].number_format = fmt
            elif c.kind == "text":
                for row in ws.iter_rows(min_row=3, max_row=2 + len(t.rows), min_col=j, max_col=j):
                    row[0].alignment = Alignment(wrap_text=True, vertical="top")
            longest = max([len(w) for w in c.label.split()] + [len(fmt_value(r.get(c.key), c.kind)) for r in t.rows])
            width = max(8, min(longest + 2, 40))
            ws.column_dimensions[get_column_letter(j)].width = width
            header_lines = max(header_lines, math.ceil(len(c.label) / (width - 1)))
        ws.row_dimensions[1].height = 20
        ws.row_dimensions[2].height = 15 * header_lines + 2  # spreadsheet programs do not grow it themselves
        if t.note:
            ws.append([])
            ws.append([t.note])
        ws.freeze_panes = "A3"
        _print_setup(ws, report, head, landscape=len(t.columns) > LANDSCAPE_SHEET, title_rows="1:2", locale=locale)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_cell(value: Any, kind: str) -> Any:
    if kind == "year" and isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, datetime):
        return value.astimezone(STOCKHOLM).replace(tzinfo=None)
    if value is not None and not isinstance(value, int | float | date | bool):
        return str(value)
    return value


def _print_setup(
    ws: Worksheet, report: Report, head: Letterhead, landscape: bool, title_rows: str | None, locale: str
) -> None:
    """A4, fitted to the page width, header rows repeated, the title and page numbers in the margins."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    if title_rows:
        ws.print_title_rows = title_rows
    left = " – ".join(x for x in (head.municipality, report.organisation["name"]) if x)
    ws.oddHeader.left.text = _header_text(left)
    if head.registry_number:
        dnr = f"{i18n.gettext(locale, 'Registry number')} {head.registry_number}"
        ws.oddHeader.right.text = _header_text(dnr)
    ws.oddFooter.left.text = _header_text(report.title)
    ws.oddFooter.right.text = "&P / &N"


def _header_text(text: str) -> str:
    return text.replace("&", "&&")


def _sheet_name(title: str, used: set[str]) -> str:
    """A sheet name from a Swedish title: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = re.sub(r"[\[\]:*?/\\']", "", title).strip()
    if len(base) > 31:
        cut = base[:31]
        base = cut.rsplit(" ", 1)[0] if " " in cut[20:] else cut
    base = base or "Tabell"
    name, k = base, 1
    while name.casefold() in {u.casefold() for u in used}:
        k += 1
        suffix = f" ({k})"
        name = base[: 31 - len(suffix)].rstrip() + suffix
    used.add(name)
    return name
