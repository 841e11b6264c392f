"""Reading the registers (register): providers, contract areas and agreements, with their screens.

Providers and contract areas are shared registers every board reads; agreements are seen by
their organisation and, when framework or LOV agreements, by every board
(:func:`workflow.cases.scoping.agreements`). What a screen shows about the viewer's own work on a
provider or agreement (cases, exclusions, placements) is the viewer's organisation's only,
with individual-level cases left out for roles that see aggregates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from workflow.cases import scoping
from workflow.cases.paging import Order, Page, PageRequest, SortKey, fetch
from workflow.cases.scoping import Viewer
from workflow.deadlines.calendar import local_date
from workflow.engine.errors import InvalidInput, NotFound
from workflow.engine.firing import CASE
from workflow.engine.uow import UnitOfWork
from workflow.registers.contracts import AGREEMENT, AREA, PROVIDER
from workflow.registers.placements import EXCLUSION_IN_FORCE, PLACEMENT
from workflow.reports.recording import OWNER
from workflow.schema.tables import USER

#: Cases listed on a provider's or agreement's screen, newest first.
CASES_ON_SCREEN = 50


def _order(sort: str, columns: dict[str, Any], id_column: Any) -> Order:
    name = sort.lstrip("-")
    desc = sort.startswith("-")
    if name not in columns:
        raise InvalidInput(f"unknown sort {sort!r}", rule="sort")
    keys = [SortKey(name, columns[name], desc)] if name != "id" else []
    return Order(sort, [*keys, SortKey("id", id_column, desc if name == "id" else False)])


@dataclass(frozen=True, slots=True)
class ProviderFilter:
    """Part of the name (ignoring case) and in-house or not; ``sort`` by ``name`` or ``id`` (``-`` descending).

    ``open_cases``: each provider also counts the viewer's organisation's open cases about it.
    """

    name: str | None = None
    in_house: bool | None = None
    sort: str = "name"
    open_cases: bool = False


def list_providers(uow: UnitOfWork, viewer: Viewer, filters: ProviderFilter, page: PageRequest) -> Page:
    """Providers and in-house units (leverantörer, egen regi), for ``GET /providers`` and the Utförare page.

    With ``filters.open_cases`` each row has ``open_cases``: the open cases about it that the viewer may see.
    """
    q = select(PROVIDER).where(scoping.shared_register())
    if filters.name:
        q = q.where(PROVIDER.c.name.ilike(f"%{filters.name}%"))
    if filters.in_house is not None:
        q = q.where(PROVIDER.c.in_house.is_(filters.in_house))
    order = _order(filters.sort, {"name": PROVIDER.c.name, "id": PROVIDER.c.id}, PROVIDER.c.id)

    def read(conn: Connection) -> Page:
        found = fetch(conn, q, order, page)
        if filters.open_cases:
            ids = [r["id"] for r in found.items]
            counts: dict[int, int] = dict(
                conn.execute(
                    select(CASE.c.provider_id, func.count())
                    .where(scoping.cases(viewer), CASE.c.closed_at.is_(None), CASE.c.provider_id.in_(ids))
                    .group_by(CASE.c.provider_id)
                ).all()
            )
            for row in found.items:
                row["open_cases"] = counts.get(row["id"], 0)
        return found

    return uow.read(read)


def provider_choices(uow: UnitOfWork, viewer: Viewer) -> list[dict[str, Any]]:
    """Every provider's id and name, by name: the choices of a select list (a shared register, a short one)."""
    return uow.read(providers_to_choose)


def providers_to_choose(conn: Connection) -> list[dict[str, Any]]:
    """:func:`provider_choices` on an open connection."""
    q = select(PROVIDER.c.id, PROVIDER.c.name).where(scoping.shared_register()).order_by(PROVIDER.c.name, PROVIDER.c.id)
    return [{"id": r[0], "name": r[1]} for r in conn.execute(q)]


def areas_to_choose(conn: Connection, organisation_id: int) -> list[dict[str, Any]]:
    """The contract areas of a board, id and name by code: the choices of a select list."""
    q = (
        select(AREA.c.id, AREA.c.name)
        .where(scoping.shared_register(), AREA.c.organisation_id == organisation_id)
        .order_by(AREA.c.code, AREA.c.id)
    )
    return [{"id": r[0], "name": r[1]} for r in conn.execute(q)]


def provider(conn: Connection, provider_id: int) -> dict[str, Any]:
    """One provider's register row, or :class:`NotFound`."""
    row = conn.execute(select(PROVIDER).where(PROVIDER.c.id == provider_id)).mappings().first()
    if row is None:
        raise NotFound(f"provider {provider_id} not found")
    return dict(row)


def get_provider(uow: UnitOfWork, viewer: Viewer, provider_id: int) -> dict[str, Any]:
    """One provider (a shared register)."""
    return uow.read(lambda conn: provider(conn, provider_id))


@dataclass(frozen=True, slots=True)
class AreaFilter:
    """The owning board and the regime; ``sort`` by ``code`` or ``id``."""

    organisation_id: int | None = None
    regime: str | None = None
    sort: str = "code"


def list_contract_areas(uow: UnitOfWork, viewer: Viewer, filters: AreaFilter, page: PageRequest) -> Page:
    """Contract areas of every board (avtalsområden)."""
    q = select(AREA).where(scoping.shared_register())
    if filters.organisation_id is not None:
        q = q.where(AREA.c.organisation_id == filters.organisation_id)
    if filters.regime is not None:
        q = q.where(AREA.c.regime == filters.regime)
    order = _order(filters.sort, {"code": AREA.c.code, "id": AREA.c.id}, AREA.c.id)
    return uow.read(lambda conn: fetch(conn, q, order, page))


def contract_area(conn: Connection, area_id: int) -> dict[str, Any]:
    """One contract area's row, or :class:`NotFound`."""
    row = conn.execute(select(AREA).where(AREA.c.id == area_id)).mappings().first()
    if row is None:
        raise NotFound(f"contract area {area_id} not found")
    return dict(row)


def get_contract_area(uow: UnitOfWork, viewer: Viewer, area_id: int) -> dict[str, Any]:
    """One contract area (a shared register)."""
    return uow.read(lambda conn: contract_area(conn, area_id))


@dataclass(frozen=True, slots=True)
class AgreementFilter:
    """Owner, provider, area, type, status, in force on a date, ending before a date; ``sort`` by id or dates."""

    organisation_id: int | None = None
    provider_id: int | None = None
    contract_area_id: int | None = None
    agreement_type: str | None = None
    status: str | None = None
    active_on: date | None = None
    ends_before: date | None = None
    sort: str = "id"


def list_agreements(uow: UnitOfWork, viewer: Viewer, filters: AgreementFilter, page: PageRequest) -> Page:
    """The viewer's agreements and every board's framework and LOV agreements (avtal)."""
    q = select(AGREEMENT).where(scoping.agreements(viewer))
    for column, value in (
        (AGREEMENT.c.organisation_id, filters.organisation_id),
        (AGREEMENT.c.provider_id, filters.provider_id),
        (AGREEMENT.c.contract_area_id, filters.contract_area_id),
        (AGREEMENT.c.agreement_type, filters.agreement_type),
        (AGREEMENT.c.status, filters.status),
    ):
        if value is not None:
            q = q.where(column == value)
    if filters.active_on is not None:
        q = q.where(AGREEMENT.c.starts_on <= filters.active_on)
        q = q.where(AGREEMENT.c.ends_on.is_(None) | (AGREEMENT.c.ends_on >= filters.active_on))
    if filters.ends_before is not None:
        q = q.where(AGREEMENT.c.ends_on < filters.ends_before)
    sorts = {"id": AGREEMENT.c.id, "starts_on": AGREEMENT.c.starts_on, "ends_on": AGREEMENT.c.ends_on}
    return uow.read(lambda conn: fetch(conn, q, _order(filters.sort, sorts, AGREEMENT.c.id), page))


def agreement(conn: Connection, viewer: Viewer, agreement_id: int) -> dict[str, Any]:
    """One agreement the viewer may see, or :class:`NotFound` (unknown, or another board's own agreement)."""
    row = (
        conn.execute(select(AGREEMENT).where(AGREEMENT.c.id == agreement_id, scoping.agreements(viewer)))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"agreement {agreement_id} not found")
    return dict(row)


def get_agreement(uow: UnitOfWork, viewer: Viewer, agreement_id: int) -> dict[str, Any]:
    """One agreement the viewer may see."""
    return uow.read(lambda conn: agreement(conn, viewer, agreement_id))


def provider_view(uow: UnitOfWork, viewer: Viewer, provider_id: int) -> dict[str, Any]:
    """A provider's screen: the register row, the agreements the viewer sees, and the viewer's work on it.

    ``agreements``; ``open_cases`` and ``closed_cases`` (newest first, at most ``CASES_ON_SCREEN`` each,
    with ``open_case_count``/``closed_case_count``); ``exclusions`` (temporary exclusions from call-offs
    in force); ``placement_count`` (the viewer's board's placements ongoing today, a number only);
    ``follow_up_owner`` of the viewer's board (name and since when).
    """
    today = local_date(uow.clock())

    def read(conn: Connection) -> dict[str, Any]:
        view = provider(conn, provider_id)
        agreements = select(AGREEMENT).where(AGREEMENT.c.provider_id == provider_id, scoping.agreements(viewer))
        view["agreements"] = [
            dict(a) for a in conn.execute(agreements.order_by(AGREEMENT.c.starts_on.desc(), AGREEMENT.c.id)).mappings()
        ]
        view.update(
            _work(conn, viewer, CASE.c.provider_id == provider_id, PLACEMENT.c.provider_id == provider_id, today)
        )
        owner = conn.execute(
            select(OWNER.c.owner_id, USER.c.display_name, OWNER.c.since)
            .join(USER, USER.c.id == OWNER.c.owner_id)
            .where(OWNER.c.organisation_id == viewer.organisation_id, OWNER.c.provider_id == provider_id)
        ).first()
        view["follow_up_owner"] = (
            {"user_id": owner.owner_id, "name": owner.display_name, "since": owner.since} if owner else None
        )
        return view

    return uow.read(read)


def agreement_view(uow: UnitOfWork, viewer: Viewer, agreement_id: int) -> dict[str, Any]:
    """An agreement's screen: the agreement with its provider's and area's names, its call-offs, and the viewer's work.

    The same parts as :func:`provider_view` (cases, exclusions, placement count), for this agreement.
    """
    today = local_date(uow.clock())

    def read(conn: Connection) -> dict[str, Any]:
        view = agreement(conn, viewer, agreement_id)
        names = conn.execute(
            select(PROVIDER.c.name, AREA.c.name)
            .select_from(PROVIDER)
            .outerjoin(AREA, AREA.c.id == view["contract_area_id"])
            .where(PROVIDER.c.id == view["provider_id"])
        ).one()
        view["provider_name"], view["contract_area_name"] = names[0], names[1]
        call_offs = select(AGREEMENT).where(AGREEMENT.c.parent_id == agreement_id, scoping.agreements(viewer))
        view["call_offs"] = [dict(a) for a in conn.execute(call_offs.order_by(AGREEMENT.c.id)).mappings()]
        view.update(
            _work(conn, viewer, CASE.c.agreement_id == agreement_id, PLACEMENT.c.agreement_id == agreement_id, today)
        )
        return view

    return uow.read(read)


def _work(
    conn: Connection, viewer: Viewer, case_about: ColumnElement[bool], placement_about: ColumnElement[bool], today: date
) -> dict[str, Any]:
    """The viewer's board's cases, exclusions in force and ongoing placements about one provider or agreement."""
    scoped = select(
        CASE.c.id, CASE.c.case_type, CASE.c.kind, CASE.c.status, CASE.c.title, CASE.c.opened_at, CASE.c.closed_at
    ).where(case_about, scoping.cases(viewer))
    work: dict[str, Any] = {}
    for key, condition in (("open", CASE.c.closed_at.is_(None)), ("closed", CASE.c.closed_at.is_not(None))):
        q = scoped.where(condition)
        work[f"{key}_case_count"] = int(conn.execute(select(func.count()).select_from(q.subquery())).scalar_one())
        rows = conn.execute(q.order_by(CASE.c.opened_at.desc(), CASE.c.id.desc()).limit(CASES_ON_SCREEN))
        work[f"{key}_cases"] = [dict(r) for r in rows.mappings()]
    exclusions = scoped.where(CASE.c.case_type == "call_off_suspension", CASE.c.status.in_(EXCLUSION_IN_FORCE))
    work["exclusions"] = [dict(r) for r in conn.execute(exclusions.order_by(CASE.c.opened_at)).mappings()]
    ongoing = select(func.count()).where(
        placement_about,
        PLACEMENT.c.organisation_id == viewer.organisation_id,
        PLACEMENT.c.starts_on <= today,
        PLACEMENT.c.ends_on.is_(None) | (PLACEMENT.c.ends_on >= today),
    )
    work["placement_count"] = int(conn.execute(ongoing).scalar_one())
    return work
