"""The board's documents opened with real readers: every figure, Swedish headings, A4, nothing cut.

The annual and terminations reports of the report scenario (``tests/report_scenario.py``) are
rendered in Swedish and read back: the HTML parsed, the PDF read by poppler (``pdftotext``,
``pdfinfo``, ``pdftoppm``), the workbook by openpyxl and printed by LibreOffice headless, the CSV by
Python's ``csv`` module. One page image of each PDF is kept in ``tests/artifacts/`` (ignored by git)
for a person to look at.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import zipfile
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from tests.report_scenario import build_year
from tests.system_tools import need_pdf_printing, pdf_tool
from workflow.reports.catalogue import REPORTS, build_report
from workflow.reports.localize import Translator, localize
from workflow.reports.model import Msg, Report
from workflow.reports.render import WIDE, Letterhead, fmt_value, render

pytestmark = pytest.mark.integration
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
HEAD = Letterhead("Demokommunen", "NOR-2027-00012")
A4 = (595.3, 841.9)  # points, portrait


def _reports(engine: Engine, *names: str) -> dict[str, Report]:
    s = build_year(engine, 1)
    with engine.connect() as conn:
        return {n: build_report(conn, n, s.w.orgs["NORTH"], date(2026, 1, 1), date(2026, 12, 31)) for n in names}


def _poppler(tool: str) -> str:
    need_pdf_printing()
    return pdf_tool(tool)


def _run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout


def _squash(text: str) -> str:
    """Whitespace collapsed; a header word hyphenated at a line end joined again."""
    return re.sub(r"\s+", " ", re.sub("\u2010\\s*\n", "", text).replace("\u00a0", " ")).strip()


class _Tables(HTMLParser):
    """Each section's heading and its table's header and body cells, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[dict[str, object]] = []
        self.lang = ""
        self.nowrap_cells: list[str] = []
        self._cell: list[str] | None = None
        self._h2: list[str] | None = None
        self._row: list[str] | None = None
        self._nowrap = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang") or ""
        if tag == "h2":
            self._h2 = []
        if tag == "section":
            self.sections.append({"title": "", "head": [], "rows": []})
        if tag == "tr":
            self._row = []
        if tag in ("td", "th"):
            self._cell = []
            self._nowrap = "nowrap" in (a.get("class") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2" and self._h2 is not None:
            self.sections[-1]["title"] = "".join(self._h2)
            self._h2 = None
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = "".join(self._cell)
            self._row.append(text)
            if self._nowrap:
                self.nowrap_cells.append(text)
            self._cell = None
        if tag == "tr" and self._row is not None:
            sec = self.sections[-1]
            if not sec["head"]:
                sec["head"] = self._row
            else:
                sec["rows"].append(self._row)  # type: ignore[attr-defined]
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._h2 is not None:
            self._h2.append(data)


def _expected(report: Report) -> list[dict[str, object]]:
    loc = localize(report, "sv")
    return [
        {
            "title": t.title,
            "head": [c.label for c in t.columns],
            "rows": [[fmt_value(r.get(c.key), c.kind) for c in t.columns] for r in t.rows],
        }
        for t in loc.tables
    ]


@pytest.mark.parametrize("name", ["annual", "terminations"])
def test_the_swedish_html_report_shows_every_figure_under_swedish_headings(engine: Engine, name: str) -> None:
    report = _reports(engine, name)[name]
    page = _Tables()
    page.feed(render(report, "html", letterhead=HEAD).decode())
    assert page.lang == "sv"
    assert page.sections == _expected(report)
    english = {t.title for t in report.tables} | {c.label for t in report.tables for c in t.columns}
    shown = {str(s["title"]) for s in page.sections} | {h for s in page.sections for h in s["head"]}  # type: ignore[attr-defined]
    assert english & shown <= {"n", "%"}, "an English heading in the Swedish report"
    if name == "annual":
        assert [s["title"] for s in page.sections][:2] == [
            "Sammanfattning",
            "Planerade och genomförda uppföljningar per avtalsområde",
        ]
    else:
        ended = report.table("ended_agreements").rows
        assert {r["registry_number"] for r in ended} <= set(page.nowrap_cells)
        assert {r["date"].isoformat() for r in ended} <= set(page.nowrap_cells)


def _visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._skip = False

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def test_a_swedish_report_renders_no_english_string(engine: Engine) -> None:
    s = build_year(engine, 7)
    with engine.connect() as conn:
        for name in REPORTS:
            report = build_report(conn, name, s.w.orgs["NORTH"], date(2026, 1, 1), date(2026, 12, 31))
            tr = Translator("sv")
            localize(report, "sv", tr)
            assert tr.missing == set(), f"{name}: no Swedish for {sorted(tr.missing)}"
            visible = _visible(render(report, "html").decode())
            english = [report.title, *report.notes, *(t.title for t in report.tables)]
            english += [c.label for t in report.tables for c in t.columns] + [t.note for t in report.tables]
            english += [v for t in report.tables for r in t.rows for v in r.values() if isinstance(v, Msg)]
            for text in english:
                if text and Translator("sv").text(text) != text:
                    assert not re.search(rf"(?<!\w){re.escape(str(text))}(?!\w)", visible), (
                        f"{name}: English {text!r} in the Swedish report"
                    )


@pytest.mark.parametrize(("name", "most_pages"), [("annual", 8), ("terminations", 3)])
def test_the_pdf_is_a4_with_page_numbers_every_figure_and_no_text_cut(
    engine: Engine, name: str, most_pages: int
) -> None:
    pdftotext, pdfinfo, pdftoppm = _poppler("pdftotext"), _poppler("pdfinfo"), _poppler("pdftoppm")
    report = _reports(engine, name)[name]
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / f"{name}.pdf"
    pdf.write_bytes(render(report, "pdf", letterhead=HEAD))

    info = _run(pdfinfo, str(pdf))
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert 1 <= pages <= most_pages
    text = _squash(_run(pdftotext, str(pdf), "-"))
    assert text.count("Demokommunen") >= pages and text.count("Diarienummer NOR-2027-00012") == pages
    for n in range(1, pages + 1):
        assert f"Sida {n} av {pages}" in text
    for t in _expected(report):
        assert _squash(str(t["title"])) in text
        # A PDF reader reads a table row by row, but a row whose cells wrap onto several lines may
        # come out in column groups: every cell is looked for after the table's title, each row
        # after the start of the row before it.
        at = text.index(_squash(str(t["title"])))
        for row in t["rows"]:  # type: ignore[attr-defined]
            starts = []
            for cell in row:
                if cell:
                    found = text.find(_squash(cell), at)
                    assert found >= 0, f"{t['title']}: {cell!r} missing"
                    starts.append(found)
            at = min(starts, default=at)

    # Every word lies inside its page: no table runs past the edge, no label is cut.
    boxes = _run(pdftotext, "-bbox", str(pdf), "-")
    for page_tag, words in re.findall(r'(<page width="[^"]+" height="[^"]+">)(.*?)</page>', boxes, re.S):
        width, height = (float(v) for v in re.findall(r'"([\d.]+)"', page_tag))
        assert {round(width), round(height)} == {round(A4[0]), round(A4[1])}
        for xmin, _ymin, xmax, _ymax, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', words
        ):
            assert float(xmin) >= 20 and float(xmax) <= width - 20, f"{word!r} runs past the page"
    assert "…" not in text
    for key in (r.get("registry_number") for t in report.tables for r in t.rows):
        if key:
            assert f">{key}</word>" in boxes, f"{key} broken across lines"

    _run(pdftoppm, "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(ARTIFACTS / f"{name}-page"))
    images = list(ARTIFACTS.glob(f"{name}-page*.png"))
    assert images and images[0].stat().st_size > 5_000


def test_a_wide_table_is_printed_on_a_landscape_page(engine: Engine) -> None:
    pdfinfo = _poppler("pdfinfo")
    report = _reports(engine, "terminations")["terminations"]
    assert len(report.table("ended_agreements").columns) > WIDE
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "terminations-landscape.pdf"
    path.write_bytes(render(report, "pdf"))
    out = _run(pdfinfo, "-f", "1", "-l", "1", str(path))
    width, height = (float(v) for v in re.search(r"Page\s+1 size:\s+([\d.]+) x ([\d.]+)", out).groups())  # type: ignore[union-attr]
    assert width > height


def test_the_workbook_holds_labels_numbers_and_a_print_setup_on_every_sheet(engine: Engine) -> None:
    report = _reports(engine, "annual")["annual"]
    wb = load_workbook(io.BytesIO(render(report, "xlsx", letterhead=HEAD)))
    names = wb.sheetnames
    assert len(names) == len(set(names)) == len(report.tables) + 1
    assert all(len(n) <= 31 for n in names) and names[:3] == ["Rapport", "Sammanfattning", "Planerade och genomförda"]
    for ws in wb.worksheets:
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0
        assert "Demokommunen" in ws.oddHeader.left.text and "NOR-2027-00012" in ws.oddHeader.right.text
        assert ws.oddFooter.right.text == "&P / &N"
    loc = localize(report, "sv")
    for t, ws in zip(loc.tables, wb.worksheets[1:], strict=True):
        assert ws.print_title_rows == "$1:$2" and ws["A1"].value == t.title
        assert [c.value for c in ws[2]] == [c.label for c in t.columns]
        assert ws.page_setup.orientation == ("landscape" if len(t.columns) > 5 else "portrait")
        for i, r in enumerate(t.rows, start=3):
            for j, c in enumerate(t.columns, start=1):
                cell, want = ws.cell(i, j), r.get(c.key)
                if c.kind in ("int", "money"):
                    assert cell.value == want and (want is None or type(cell.value) is int)
                    assert cell.number_format == "#,##0"
                elif c.kind == "pct":
                    assert cell.value == want and cell.number_format == "0.0"
                elif c.kind == "date" and want is not None:
                    assert cell.value.date() == want and cell.number_format == "yyyy-mm-dd"
                else:
                    assert cell.value == (str(want) if want is not None else None)
                    assert not re.fullmatch(r"[a-z]+(_[a-z]+)+", str(cell.value or "")), f"a code: {cell.value}"


def test_the_plan_stores_its_years_as_numbers_without_a_thousands_separator(engine: Engine) -> None:
    s = build_year(engine, 1)
    with engine.connect() as conn:
        report = build_report(conn, "plan", s.w.orgs["NORTH"], date(2027, 1, 1), date(2029, 12, 31))
    ws = load_workbook(io.BytesIO(render(report, "xlsx")))["Flerårsplan"]
    years = [ws.cell(i, 1) for i in range(3, ws.max_row + 1) if ws.cell(i, 1).value is not None]
    assert years and all(type(c.value) is int and c.number_format == "0" for c in years)


@pytest.mark.only_on("sqlite")  # the workbook is the same on both databases; LibreOffice takes seconds
def test_libreoffice_prints_the_annual_workbook_on_a4_one_page_per_sheet(engine: Engine, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install -y libreoffice-calc-nogui)")
    report = _reports(engine, "annual")["annual"]
    book = tmp_path / "annual.xlsx"
    book.write_bytes(render(report, "xlsx", letterhead=HEAD))
    subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(book),
        ],
        capture_output=True,
        check=True,
        timeout=180,
    )
    info = _run(_poppler("pdfinfo"), str(tmp_path / "annual.pdf"))
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert pages == len(report.tables) + 1  # each sheet fits one page: 13, where it took 30
    assert "A4" in info


def test_csv_files_open_in_the_swedish_convention_one_table_per_file(engine: Engine) -> None:
    report = _reports(engine, "annual")["annual"]
    loc = localize(report, "sv")
    with zipfile.ZipFile(io.BytesIO(render(report, "zip"))) as zf:
        files = zf.namelist()
        assert len(files) == len(report.tables) and files[0] == "01 Sammanfattning.csv"
        for name, t in zip(files, loc.tables, strict=True):
            raw = zf.read(name)
            assert raw.startswith(b"\xef\xbb\xbf") and raw == render(report, "csv", table=t.key)
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
            assert rows[0] == [c.label for c in t.columns]
            assert len(rows) == len(t.rows) + 1
            for row, r in zip(rows[1:], t.rows, strict=True):
                for cell, c in zip(row, t.columns, strict=True):
                    v = r.get(c.key)
                    if c.kind == "pct" and v is not None:
                        assert cell == f"{v:.1f}".replace(".", ",") and "," in cell
                    elif c.kind == "int" and v is not None:
                        assert cell == str(v)
