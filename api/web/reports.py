"""Reports (rapporter): the board reports of the user's organisation, as files to open or share.

The same reports, scoping and period rules as the API's ``/reports``: the user's own
organisation, individual-level detail only for roles that work with individual cases.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.params import Parameter
from litestar.response import Template

from api.web.page import render, translator, uow_of
from api.web.params import ReportName
from api.web.viewer import current, locale_of
from workflow.deadlines.calendar import local_date
from workflow.engine.errors import NotFound
from workflow.i18n import N_
from workflow.reports.board_queries import report as board_report
from workflow.reports.catalogue import REPORTS
from workflow.reports.render import MEDIA_TYPES, Letterhead
from workflow.reports.render import render as render_report

#: What each report shows, for the page (the catalogue's descriptions are for developers).
DESCRIPTIONS = {
    "annual": N_(
        "Annual follow-up report: planned and performed follow-ups, outcomes, requests, deviations, complaints, "
        "exclusions, terminations, control rounds and invoice sampling."
    ),
    "terminations": N_("Terminated and rescinded agreements with reason, initiator, decision-maker and mandate."),
    "decisions": N_("Decisions under delegation, to report to the board (anmälan av delegationsbeslut)."),
    "plan": N_("Multi-year follow-up plan with risk-based selection of providers and a coverage check."),
    "individual": N_("Individual follow-up results: registration and response rates and ratings (aggregates only)."),
}
TITLES = {
    "annual": N_("Annual follow-up report"),
    "terminations": N_("Terminated and rescinded agreements"),
    "decisions": N_("Decisions under delegation"),
    "plan": N_("Follow-up plan"),
    "individual": N_("Individual follow-up results"),
}
FILE_FORMATS = ("pdf", "xlsx", "zip", "html")


@get("/rapporter", sync_to_thread=True)
def reports_page(request: Request[Any, Any, Any]) -> Template:
    """The reports there are, each with a year and the file formats."""
    user = current(request)
    _ = translator(request)
    year = local_date(uow_of(request).clock()).year
    names = [n for n in REPORTS if n in TITLES]
    return render(
        request,
        "reports.html",
        _("Reports"),
        user,
        names=names,
        titles=TITLES,
        descriptions=DESCRIPTIONS,
        years=list(range(year, year - 6, -1)),
        formats=FILE_FORMATS,
    )


@get("/rapporter/{name:str}", sync_to_thread=True)
def report_file(
    request: Request[Any, Any, Any],
    name: ReportName,
    ar: Annotated[int, Parameter(ge=2000, le=2100)],
    format: Annotated[str, Parameter(max_length=8)] = "xlsx",
) -> Response[bytes]:
    """One report for one calendar year, as a file."""
    user = current(request)
    if name not in REPORTS or name not in TITLES or format not in FILE_FORMATS:
        raise NotFound("no such report")
    report = board_report(uow_of(request), user.actor, name, date(ar, 1, 1), date(ar, 12, 31))
    settings = request.app.state.application.settings
    body = render_report(report, format, locale=locale_of(request), letterhead=Letterhead(settings.municipality_name))
    filename = f"{name}-{user.organisation_code.lower()}-{ar}.{format}"
    return Response(
        body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


HANDLERS = [reports_page, report_file]
