"""Nämnd: the board's meetings and its board matters (tjänsteutlåtanden) on the staff pages.

The same query functions and commands as ``/board/…`` (:mod:`workflow.board`): the list of meetings and
matters with a form that generates a report matter for a year, a matter's page (its facts, the board's
decisions on it, its document to download as generated) and a meeting's page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter
from litestar.response import Redirect, Template

from api.auth import CurrentUser
from api.web.page import render, translator, uow_of
from api.web.reports import TITLES as REPORT_TITLES
from api.web.viewer import current, locale_of
from workflow.board import queries
from workflow.board.commands import GenerateBoardMatter
from workflow.bootstrap import Application
from workflow.deadlines.calendar import local_date
from workflow.documents.pdf import html_to_pdf
from workflow.engine.errors import InvalidInput, NotPermitted
from workflow.i18n import N_

MatterId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="board matter id")]
MeetingId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="board meeting id")]
#: The report matters the page's form generates, with their names for people.
REPORT_MATTERS = {
    "annual": N_("Annual report on the follow-up of providers"),
    "terminations": N_("Terminated and rescinded agreements"),
    "decisions": N_("Report of decisions taken under delegation"),
}
MATTER_NAMES = {**REPORT_MATTERS, "termination": N_("Termination or rescission of an agreement")}
OUTCOME_NAMES = {"adopted": N_("Adopted"), "returned": N_("Returned"), "amended": N_("Amended")}


def _page(
    request: Request[Any, Any, Any],
    user: CurrentUser,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    _ = translator(request)
    uow = uow_of(request)
    year = local_date(uow.clock()).year
    return render(
        request,
        "board.html",
        _("Board"),
        user,
        status_code=status_code,
        meetings=queries.list_meetings(uow, user.actor),
        matters=queries.list_matters(uow, user.actor, 50, 0),
        report_matters=REPORT_MATTERS,
        matter_names=MATTER_NAMES,
        years=list(range(year, year - 6, -1)),
        form=form or {"matter_type": "annual", "ar": str(year - 1), "registry_number": ""},
        error=error,
    )


@get("/namnd", sync_to_thread=True)
def board_page(request: Request[Any, Any, Any]) -> Template:
    """The board's meetings and matters, and the form that generates a report matter."""
    return _page(request, current(request))


@post("/namnd/arenden", sync_to_thread=True, status_code=303)
def generate(
    request: Request[Any, Any, Any],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    """Generate a report matter for a calendar year; to its page, or back to the form saying why not."""
    user = current(request)
    _ = translator(request)
    form = {k: str(data.get(k, "")).strip() for k in ("matter_type", "ar", "registry_number")}
    if form["matter_type"] not in REPORT_MATTERS or not form["ar"].isdigit() or not 2000 <= int(form["ar"]) <= 2100:
        return _page(request, user, form, _("Choose a kind of matter and a year."), 422)
    year = int(form["ar"])
    app: Application = request.app.state.web_application
    try:
        done = app.execute(
            GenerateBoardMatter(
                form["matter_type"],
                form["registry_number"],
                date(year, 1, 1),
                date(year, 12, 31),
                locale=locale_of(request),
            ),
            user.actor,
        )
    except NotPermitted:
        return _page(request, user, form, _("Your roles may not generate board matters."), 403)
    except InvalidInput as exc:
        rule = exc.context.get("rule")
        if rule == "registry_number":
            message = _("The registry number is missing, has spaces, or already names another matter.")
        else:
            message = _("The matter could not be generated with the board's template. Nothing was saved.")
        return _page(request, user, form, message, 422)
    return Redirect(f"/namnd/arenden/{done.id}", status_code=303)


@get("/namnd/arenden/{matter_id:int}", sync_to_thread=True)
def matter_page(request: Request[Any, Any, Any], matter_id: MatterId) -> Template:
    """A matter: its facts, the board's decisions on it, and its document as it was generated."""
    user = current(request)
    matter = queries.matter(uow_of(request), user.actor, matter_id)
    return render(
        request,
        "board_matter.html",
        str(matter["title"]),
        user,
        matter=matter,
        matter_names=MATTER_NAMES,
        outcome_names=OUTCOME_NAMES,
    )


@get("/namnd/arenden/{matter_id:int}/dokument", sync_to_thread=True)
def matter_document(request: Request[Any, Any, Any], matter_id: MatterId) -> Response[bytes]:
    """The matter's document as generated (HTML for printing), as a download."""
    user = current(request)
    matter = queries.matter(uow_of(request), user.actor, matter_id)
    return Response(
        str(matter["html"]).encode(),
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{matter["registry_number"]}.html"'},
    )


@get("/namnd/arenden/{matter_id:int}/pdf", sync_to_thread=True)
def matter_pdf(request: Request[Any, Any, Any], matter_id: MatterId) -> Response[bytes]:
    """The matter's document printed to PDF, as a download."""
    user = current(request)
    matter = queries.matter(uow_of(request), user.actor, matter_id)
    return Response(
        html_to_pdf(str(matter["html"])),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{matter["registry_number"]}.pdf"'},
    )


@get("/namnd/sammantraden/{meeting_id:int}", sync_to_thread=True)
def meeting_page(request: Request[Any, Any, Any], meeting_id: MeetingId) -> Template:
    """A meeting: the board's decisions and the reports presented, by paragraph."""
    user = current(request)
    _ = translator(request)
    meeting = queries.meeting(uow_of(request), user.actor, meeting_id)  # another board's: the 404 page
    return render(
        request,
        "board_meeting.html",
        _("Board meeting"),
        user,
        meeting=meeting,
        outcome_names=OUTCOME_NAMES,
        report_titles=REPORT_TITLES,
    )


HANDLERS = [board_page, generate, matter_page, matter_document, matter_pdf, meeting_page]
