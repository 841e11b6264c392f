"""The staff pages (sidor): Översikt, Ärenden, Ärende, Bevakningar, Utförare, Ärendetyper."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.exceptions import NotAuthorizedException
from litestar.params import Parameter
from litestar.response import Redirect, Template
from litestar_htmx import HTMXRequest

from api.web.actions import action_views
from api.web.diagram import draw
from api.web.page import render, translator, uow_of
from api.web.params import CaseId, Name
from api.web.viewer import current
from states.registry import CASE_TYPES
from workflow.cases import screens as data
from workflow.cases.paging import MAX_PAGE_SIZE, PageRequest
from workflow.cases.queries import OVERVIEW_ROWS, CaseFilter, list_cases
from workflow.cases.queries import overview as overview_of
from workflow.deadlines.queries import organisation_deadlines
from workflow.engine.errors import InvalidInput, NotFound
from workflow.registers.queries import (
    ProviderFilter,
    list_providers,
)

Flag = Annotated[str | None, Parameter(max_length=8)]
#: Deadlines on the Bevakningar page and providers on a page of Utförare (the query functions' largest page).
DEADLINE_LIMIT = MAX_PAGE_SIZE
PROVIDER_PAGE = MAX_PAGE_SIZE
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
    found = overview_of(uow, user.actor)  # the same query function as GET /overview
    return render(
        request, "overview.html", _("Overview"), user, overview=found, overview_rows=OVERVIEW_ROWS, now=uow.clock()
    )


def _on(flag: str | None) -> bool:
    return flag in ("1", "on", "true", "ja")


def _list_only(request: HTMXRequest) -> bool:
    """Whether the filter form asked (through htmx) for the list alone, not for a whole page."""
    details = request.htmx
    return bool(details) and details.target == "arendelista" and not details.history_restore_request


#: The case list's sort orders: the URL's value and the query function's sort.
SORTS = {"frist": "next_due", "nyast": "-opened_at", "aldst": "opened_at", "andrad": "-updated_at"}
PAGE_SIZE = 50
Id = Annotated[str | None, Parameter(max_length=12)]  # a row id; empty (the form's "all") or garbled is no filter
Text = Annotated[str | None, Parameter(max_length=40)]
Cursors = Annotated[str | None, Parameter(max_length=4000)]


@dataclass(frozen=True, slots=True)
class CaseListUrl:
    """The case list's filters, search, sort and place in the list, as they stand in the URL."""

    case_type: str | None = None
    status: str | None = None
    provider_id: int | None = None
    contract_area_id: int | None = None
    owner_id: int | None = None
    overdue: bool = False
    mine: bool = False
    registry_number: str | None = None
    provider_name: str | None = None
    sort: str = "frist"
    after: str | None = None
    before: tuple[str, ...] = ()

    def query(self, **changes: Any) -> str:
        """The URL's query string for these filters (with ``changes``), empty values left out."""
        values = {
            "typ": self.case_type,
            "status": self.status,
            "utforare": self.provider_id,
            "avtalsomrade": self.contract_area_id,
            "handlaggare": self.owner_id,
            "forsenade": "1" if self.overdue else None,
            "mina": "1" if self.mine else None,
            "dnr": self.registry_number,
            "utforarnamn": self.provider_name,
            "sortera": self.sort if self.sort != "frist" else None,
            "efter": self.after,
            "tidigare": ".".join(self.before) or None,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    def next_page(self, cursor: str) -> str:
        """The page after this one (its cursor), remembering where this one started."""
        return self.query(efter=cursor, tidigare=".".join((*self.before, self.after)) if self.after else None)

    def previous_page(self) -> str:
        """The page before this one."""
        return self.query(efter=self.before[-1] if self.before else None, tidigare=".".join(self.before[:-1]) or None)

    @property
    def page_number(self) -> int:
        return len(self.before) + (2 if self.after else 1)


def _row_id(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and 1 <= int(value) < 2**31 else None


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


@get("/arenden", sync_to_thread=True)
def cases(
    request: HTMXRequest,
    typ: Code = None,
    status: Code = None,
    utforare: Id = None,
    avtalsomrade: Id = None,
    handlaggare: Id = None,
    forsenade: Flag = None,
    mina: Flag = None,
    dnr: Text = None,
    utforarnamn: Text = None,
    sortera: Code = None,
    efter: Annotated[str | None, Parameter(max_length=400)] = None,
    tidigare: Cursors = None,
) -> Template:
    """The case list (:func:`workflow.cases.queries.list_cases`, the API's read); every filter lives in the URL."""
    user = current(request)
    _ = translator(request)
    uow = uow_of(request)
    case_type = typ if typ in CASE_TYPES else None
    states = sorted(
        {s.value for spec in ([CASE_TYPES[case_type]] if case_type else CASE_TYPES.values()) for s in spec.states}
    )
    url = CaseListUrl(
        case_type,
        status if status in states else None,
        _row_id(utforare),
        _row_id(avtalsomrade),
        _row_id(handlaggare),
        _on(forsenade),
        _on(mina),
        _text(dnr),
        _text(utforarnamn),
        sortera if sortera in SORTS else "frist",
        efter,
        tuple(c for c in (tidigare or "").split(".") if c)[-100:],
    )
    filters = CaseFilter(
        mine=url.mine,
        owner_id=url.owner_id,
        case_type=url.case_type,
        status=url.status,
        provider_id=url.provider_id,
        contract_area_id=url.contract_area_id,
        overdue=True if url.overdue else None,
        registry_number=url.registry_number,
        provider_name=url.provider_name,
        sort=SORTS[url.sort],
    )
    # A value no list has (an old bookmark, a typo in the address) is said, not silently taken for "all".
    ignored: list[str] = []
    if typ and case_type is None:
        ignored.append(
            _("The address names a case type that does not exist (%(value)s); all are shown.") % {"value": typ}
        )
    if status and url.status is None:
        ignored.append(
            _("The address names a status that does not exist (%(value)s); all are shown.") % {"value": status}
        )
    try:
        listed = list_cases(uow, user.actor, filters, PageRequest(page_size=PAGE_SIZE, cursor=url.after))
    except InvalidInput:  # a cursor made for another sort, or garbled: the first page
        url = replace(url, after=None, before=())
        listed = list_cases(uow, user.actor, filters, PageRequest(page_size=PAGE_SIZE))
    template = "cases_partial.html" if _list_only(request) else "cases.html"
    choices: dict[str, Any] = {}
    if template == "cases.html":
        found = data.case_list_choices(uow, user.actor)
        choices = {"providers": found.providers, "areas": found.areas, "owners": found.owners}
    return render(
        request,
        template,
        _("Cases"),
        user,
        listed=listed,
        url=url,
        filters=url,
        case_types=list(CASE_TYPES),
        states=states,
        sorts=SORTS,
        now=uow.clock(),
        ignored=ignored,
        **choices,
    )


@get("/arenden/{case_id:int}", sync_to_thread=True)
def case(request: Request[Any, Any, Any], case_id: CaseId, utfort: Code = None, andrad: Code = None) -> Template:
    """One case: type, state, provider and agreement, case worker, open deadlines, timeline and actions."""
    user = current(request)
    _ = translator(request)
    uow = uow_of(request)
    if not 1 <= case_id < 2**31:
        raise NotFound("no such case")
    found = data.case_page(uow, user.actor, case_id)
    return render(
        request,
        "case.html",
        _("Case %(id)s") % {"id": case_id},
        user,
        found=found,
        actions=action_views(request, found),
        done=next((a for a in found.timeline[:1] if utfort and a["trigger"] == utfort), None),
        changed=andrad,
        now=uow.clock(),
    )


@get("/bevakningar", sync_to_thread=True)
def deadlines(request: Request[Any, Any, Any], mina: Flag = None) -> Template:
    """Open deadlines of the organisation's cases (or only mine), earliest first."""
    user = current(request)
    _ = translator(request)
    uow = uow_of(request)
    found = organisation_deadlines(uow, user.actor, PageRequest(page_size=DEADLINE_LIMIT), mine=_on(mina))
    rows = [{**r, "title": r["case_title"], "deadline_status": r["status"]} for r in found.items]
    return render(
        request,
        "deadlines.html",
        _("Deadlines"),
        user,
        rows=rows,
        total=found.total,
        mine=_on(mina),
        limit=DEADLINE_LIMIT,
        now=uow.clock(),
    )


@get("/utforare", sync_to_thread=True)
def providers(request: Request[Any, Any, Any], sida: Id = None) -> Template:
    """The provider register with the organisation's open cases per provider (``GET /providers?open_cases=true``)."""
    user = current(request)
    _ = translator(request)
    page = min(_row_id(sida) or 1, 10_000)
    found = list_providers(
        uow_of(request), user.actor, ProviderFilter(open_cases=True), PageRequest(page=page, page_size=PROVIDER_PAGE)
    )
    return render(
        request, "providers.html", _("Providers"), user, rows=found.items, page=page, more=found.next_cursor is not None
    )


@get("/arendetyper", sync_to_thread=True)
def case_types(request: Request[Any, Any, Any]) -> Template:
    """The case types, each with a link to its state diagram, alphabetically by their names in the page's language."""
    user = current(request)
    _ = translator(request)
    return render(request, "case_types.html", _("Case types"), user, specs=CASE_TYPES)


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
