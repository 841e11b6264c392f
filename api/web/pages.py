"""The staff pages (sidor): Översikt, Ärenden, Ärende, Bevakningar, Utförare, Ärendetyper."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.exceptions import NotAuthorizedException
from litestar.params import Parameter
from litestar.response import Redirect, Template
from litestar_htmx import HTMXRequest

from api.web.actions import action_views
from api.web.diagram import draw
from api.web.page import render, translator, uow_of, workflow_of
from api.web.params import CaseId, Name
from api.web.viewer import current
from states.registry import CASE_TYPES
from workflow.cases import screens as data
from workflow.engine.errors import NotFound

Flag = Annotated[str | None, Parameter(max_length=8)]
Code = Annotated[str | None, Parameter(max_length=40)]


@get("/", include_in_schema=False)
async def home() -> Redirect:
    """The start page is the overview."""
    return Redirect("/oversikt", status_code=303)


@get("/oversikt", sync_to_thread=True)
def overview(request: Request[Any, Any, Any]) -> Template:
    """My overdue and due-soon deadlines, my open cases by type and state, my organisation's counts."""
    user = current(request)
    _ = translator(request)
    uow = uow_of(request)
    return render(
        request, "overview.html", _("Overview"), user, overview=data.overview(uow, user.actor), now=uow.clock()
    )


def _on(flag: str | None) -> bool:
    return flag in ("1", "on", "true", "ja")


def _list_only(request: HTMXRequest) -> bool:
    """Whether the filter form asked (through htmx) for the list alone, not for a whole page."""
    details = request.htmx
    return bool(details) and details.target == "arendelista" and not details.history_restore_request


@get("/arenden", sync_to_thread=True)
def cases(
    request: HTMXRequest,
    typ: Code = None,
    status: Code = None,
    forsenade: Flag = None,
    mina: Flag = None,
    sida: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
) -> Template:
    """The case list; every filter lives in the URL, so a link reproduces the list."""
    user = current(request)
    _ = translator(request)
    case_type = typ if typ in CASE_TYPES else None
    states = sorted(
        {s.value for spec in ([CASE_TYPES[case_type]] if case_type else CASE_TYPES.values()) for s in spec.states}
    )
    filters = data.CaseFilters(case_type, status if status in states else None, _on(forsenade), _on(mina), sida)
    uow = uow_of(request)
    listed = data.cases(uow, user.actor, filters)
    return render(
        request,
        "cases_partial.html" if _list_only(request) else "cases.html",
        _("Cases"),
        user,
        listed=listed,
        filters=filters,
        case_types=list(CASE_TYPES),
        states=states,
        now=uow.clock(),
    )


@get("/arenden/{case_id:int}", sync_to_thread=True)
def case(request: Request[Any, Any, Any], case_id: CaseId, utfort: Code = None) -> Template:
    """One case: type, state, provider and agreement, case worker, open deadlines, timeline and actions."""
    user = current(request)
    _ = translator(request)
    uow = uow_of(request)
    if not 1 <= case_id < 2**31:
        raise NotFound("no such case")
    found = data.case_page(uow, workflow_of(request), user.actor, case_id)
    return render(
        request,
        "case.html",
        _("Case %(id)s") % {"id": case_id},
        user,
        found=found,
        actions=action_views(request, found),
        done=next((a for a in found.timeline[:1] if utfort and a["trigger"] == utfort), None),
        now=uow.clock(),
    )


@get("/bevakningar", sync_to_thread=True)
def deadlines(request: Request[Any, Any, Any], mina: Flag = None) -> Template:
    """Open deadlines of the organisation's cases (or only mine), earliest first."""
    user = current(request)
    _ = translator(request)
    uow = uow_of(request)
    rows = data.deadlines(uow, user.actor, _on(mina))
    return render(
        request,
        "deadlines.html",
        _("Deadlines"),
        user,
        rows=rows,
        mine=_on(mina),
        limit=data.DEADLINE_LIMIT,
        now=uow.clock(),
    )


@get("/utforare", sync_to_thread=True)
def providers(request: Request[Any, Any, Any]) -> Template:
    """The provider register with the organisation's open cases per provider."""
    user = current(request)
    _ = translator(request)
    return render(request, "providers.html", _("Providers"), user, rows=data.providers(uow_of(request), user.actor))


@get("/arendetyper", sync_to_thread=True)
def case_types(request: Request[Any, Any, Any]) -> Template:
    """The case types, each with a link to its state diagram."""
    user = current(request)
    _ = translator(request)
    return render(request, "case_types.html", _("Case types"), user, specs=list(CASE_TYPES.values()))


@get("/arendetyper/{name:str}", sync_to_thread=True)
def diagram(request: Request[Any, Any, Any], name: Name) -> Template:
    """A case type's states and transitions, drawn from the tables the engine runs."""
    user = current(request)
    _ = translator(request)
    spec = CASE_TYPES.get(name)
    if spec is None:
        raise NotFound("no such case type")
    return render(request, "diagram.html", _("State diagram"), user, spec=spec, drawing=draw(spec))


@get("/tillganglighet", sync_to_thread=True)
def accessibility(request: Request[Any, Any, Any]) -> Template:
    """The accessibility statement (tillgänglighetsredogörelse); readable without signing in."""
    try:
        user = current(request)
    except NotAuthorizedException:
        user = None
    _ = translator(request)
    return render(request, "accessibility.html", _("Accessibility statement"), user)


HANDLERS = [home, accessibility, overview, cases, case, deadlines, providers, case_types, diagram]
