"""Board reports over HTTP (rapporter): JSON at ``/reports/{name}``, files at ``…/csv``, ``…/zip``, ``…/html``,
``…/pdf`` and ``…/xlsx``.

Texts for people come in the reader's language: ``?lang=sv|en``, else the staff interface's language
cookie, else ``Accept-Language``, else Swedish (machine codes and JSON keys stay English).

Thin controllers: each resolves the caller's scope and period, asks ``workflow.reports``
for the report and renders it. Scoping lives in :mod:`workflow.reports.scope`: a board
sees its own reports, individual-level detail only for roles that work with individual
cases (:func:`workflow.cases.scoping.sees_individuals`); the central board may see a district's,
contract-level and aggregated only; anything else answers 404.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, QueryParameter

from api.auth import AuthUser
from api.deps import application_of
from api.problems import LIST, READ
from workflow import i18n
from workflow.engine.anchor import anchor_for_board_report
from workflow.engine.errors import InvalidInput
from workflow.reports import board_queries
from workflow.reports.catalogue import REPORTS
from workflow.reports.localize import localize
from workflow.reports.model import Report
from workflow.reports.render import MEDIA_TYPES, Letterhead, render

LANGUAGE_COOKIE = "uppf_lang"  # the staff interface's choice (api.web.viewer)

Cell = str | int | float | bool | None
ReportName = Annotated[str, PathParameter(max_length=32, description=f"one of: {', '.join(REPORTS)}")]
Start = Annotated[
    date | None, QueryParameter(name="from", required=False, description="first day of the period (Stockholm)")
]
End = Annotated[
    date | None, QueryParameter(name="to", required=False, description="last day of the period (Stockholm)")
]
Year = Annotated[
    int | None,
    QueryParameter(
        name="year", required=False, ge=2000, le=2100, description="a calendar year, instead of from and to"
    ),
]
Org = Annotated[
    str | None,
    QueryParameter(
        max_length=32,
        description="organisation code; default the caller's own (the central board may name a district board)",
    ),
]

Lang = Annotated[
    str | None,
    QueryParameter(
        name="lang",
        required=False,
        pattern="^(sv|en)$",
        description="language of the texts for people: sv (default) or en; else the Accept-Language header",
    ),
]
RegistryNumber = Annotated[
    str | None,
    QueryParameter(
        name="registry_number",
        required=False,
        max_length=40,
        pattern=r"^[\w .:/-]{1,40}$",
        description="the matter's registry number (diarienummer), printed at the head of every page",
    ),
]


def _locale(request: Request[Any, Any, Any], lang: str | None) -> str:
    return i18n.negotiate(lang or request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))


def _letterhead(request: Request[Any, Any, Any], registry_number: str | None) -> Letterhead:
    return Letterhead(application_of(request).settings.municipality_name, registry_number or "")


class ReportTypeOut(msgspec.Struct):
    """A report there is."""

    name: str
    description: str


class ColumnOut(msgspec.Struct):
    """A column of a report table; ``kind`` is text, int, pct, date or money."""

    key: str
    label: str
    kind: str


class TableOut(msgspec.Struct):
    """One section of a report: its columns and rows (percentages next to their counts and n)."""

    key: str
    title: str
    columns: list[ColumnOut]
    rows: list[dict[str, Cell]]
    note: str


class OrganisationOut(msgspec.Struct):
    """The organisation a report is about."""

    id: int
    code: str
    name: str
    kind: str


class PeriodOut(msgspec.Struct, rename={"start": "from", "end": "to"}):
    """The report's period (Stockholm dates, inclusive)."""

    start: str
    end: str


class ReportOut(msgspec.Struct):
    """A computed report."""

    report: str
    title: str
    organisation: OrganisationOut
    period: PeriodOut
    generated_at: str
    notes: list[str]
    tables: list[TableOut]


def _build(
    request: Request[Any, Any, Any],
    user: AuthUser,
    name: ReportName,
    start: Start = None,
    end: End = None,
    year: Year = None,
    org: Org = None,
) -> Report:
    """Dependency: the report for ``from``–``to``, or for the calendar ``year`` (as the command line's ``--year``)."""
    if year is not None:
        if start is not None or end is not None:
            raise InvalidInput("give either year, or from and to, not both", rule="period")
        start, end = date(year, 1, 1), date(year, 12, 31)
    elif start is None or end is None:
        raise InvalidInput("give the period: year, or from and to", rule="period")
    application = application_of(request)
    report = board_queries.report(application.uow, user.actor, name, start, end, org)
    # A report to the board anchors the organisation's audit chain heads (signed, outside the database).
    anchor_for_board_report(
        application.engine, application.settings, int(report.organisation["id"]), application.clock(), report.name
    )
    return report


def _reader_locale(request: Request[Any, Any, Any], lang: Lang = None) -> str:
    """Dependency: the language of the texts for people (``lang``, else the staff cookie, else Accept-Language)."""
    return _locale(request, lang)


def _print_letterhead(request: Request[Any, Any, Any], registry_number: RegistryNumber = None) -> Letterhead:
    """Dependency: the municipality and the matter's registry number at the head of every printed page."""
    return _letterhead(request, registry_number)


TheReport = NamedDependency[Report]
ReaderLocale = NamedDependency[str]
TheLetterhead = NamedDependency[Letterhead]
#: What every report route is given: the computed report and the reader's language.
REPORT = {"report": Provide(_build, sync_to_thread=True), "locale": Provide(_reader_locale, sync_to_thread=False)}
#: …and, for the documents that print, the letterhead.
PRINTED = {**REPORT, "letterhead": Provide(_print_letterhead, sync_to_thread=False)}


def _file(
    report: Report,
    fmt: str,
    locale: str,
    letterhead: Letterhead | None = None,
    table: str | None = None,
) -> Response[bytes]:
    code = report.organisation["code"]
    filename = f"{report.name}-{code}-{report.period_from.isoformat()}-{report.period_to.isoformat()}"
    if table:
        filename += f"-{table}"
    disposition = "inline" if fmt == "html" else f'attachment; filename="{filename}.{fmt}"'
    return Response(
        render(report, fmt, table, locale, letterhead),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": disposition, "Content-Language": locale},
    )


@get(
    "/reports",
    operation_id="listReports",
    summary="List the reports the board can have computed.",
    tags=["reports"],
    responses=LIST,
)
async def list_reports(user: AuthUser) -> list[ReportTypeOut]:
    """The reports the board can have computed."""
    return [ReportTypeOut(r.name, r.description) for r in REPORTS.values()]


@get(
    "/reports/{name:str}",
    operation_id="getReport",
    summary="Compute a report as JSON.",
    tags=["reports"],
    sync_to_thread=True,
    responses=READ,
    dependencies=REPORT,
)
def get_report(report: TheReport, locale: ReaderLocale) -> ReportOut:
    """A report as JSON, computed from the case data for one organisation and period; its labels in ``lang``."""
    return msgspec.convert(localize(report, locale).as_dict(), ReportOut)


@get(
    "/reports/{name:str}/csv",
    operation_id="getReportCsv",
    summary="Download a report as CSV.",
    tags=["reports"],
    sync_to_thread=True,
    media_type=MEDIA_TYPES["csv"],
    responses=READ,
    dependencies=REPORT,
)
def get_report_csv(
    report: TheReport,
    locale: ReaderLocale,
    table: Annotated[
        str | None,
        QueryParameter(
            max_length=48,
            description="the table (by key); needed when the report has several (422, rule table, lists them)",
        ),
    ] = None,
) -> Response[bytes]:
    """One table of a report as CSV for a Swedish spreadsheet: ';' between fields, decimal comma, UTF-8 with BOM."""
    if table is not None:
        try:
            report.table(table)
        except KeyError as exc:
            raise InvalidInput(str(exc.args[0]), rule="table") from exc
    return _file(report, "csv", locale, table=table)


@get(
    "/reports/{name:str}/zip",
    operation_id="getReportZip",
    summary="Download every table of a report as CSV files in a ZIP archive.",
    tags=["reports"],
    sync_to_thread=True,
    media_type=MEDIA_TYPES["zip"],
    responses=READ,
    dependencies=REPORT,
)
def get_report_zip(report: TheReport, locale: ReaderLocale) -> Response[bytes]:
    """Every table of a report as its own CSV file (the Swedish convention), numbered in report order."""
    return _file(report, "zip", locale)


@get(
    "/reports/{name:str}/html",
    operation_id="getReportHtml",
    summary="Download a report as a printable HTML document.",
    tags=["reports"],
    sync_to_thread=True,
    media_type=MEDIA_TYPES["html"],
    responses=READ,
    dependencies=PRINTED,
)
def get_report_html(report: TheReport, locale: ReaderLocale, letterhead: TheLetterhead) -> Response[bytes]:
    """A report as an HTML document with its charts drawn on the server, printing on A4."""
    return _file(report, "html", locale, letterhead)


@get(
    "/reports/{name:str}/pdf",
    operation_id="getReportPdf",
    summary="Download a report as a print-ready PDF (A4, page numbers).",
    tags=["reports"],
    sync_to_thread=True,
    media_type=MEDIA_TYPES["pdf"],
    responses=READ,
    dependencies=PRINTED,
)
def get_report_pdf(report: TheReport, locale: ReaderLocale, letterhead: TheLetterhead) -> Response[bytes]:
    """A report as a PDF for the board: A4, page numbers, the municipality's name and the registry number."""
    return _file(report, "pdf", locale, letterhead)


@get(
    "/reports/{name:str}/xlsx",
    operation_id="getReportXlsx",
    summary="Download a report as an Excel workbook.",
    tags=["reports"],
    sync_to_thread=True,
    media_type=MEDIA_TYPES["xlsx"],
    responses=READ,
    dependencies=PRINTED,
)
def get_report_xlsx(report: TheReport, locale: ReaderLocale, letterhead: TheLetterhead) -> Response[bytes]:
    """A report as an Excel workbook for the board's secretary: a cover sheet and a sheet per table, print-ready."""
    return _file(report, "xlsx", locale, letterhead)


HANDLERS = [list_reports, get_report, get_report_csv, get_report_zip, get_report_html, get_report_pdf, get_report_xlsx]
