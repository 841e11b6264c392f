"""The delegation order in force, decisions under delegation, and case types with their diagrams."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.params import Parameter, QueryParameter

from api.auth import AuthUser
from api.deps import application_of, to
from api.problems import LIST, READ
from api.schemas.cases import DiagramOut
from states.diagram import mermaid
from states.registry import CASE_TYPES
from workflow.engine.errors import NotFound
from workflow.reports import board_queries


class DelegationRuleOut(msgspec.Struct):
    """One item of the delegation order: who may decide a decision kind."""

    ref: str
    decision_kind: str
    description: str
    delegates: list[str]
    substitutes: list[str]
    report_to_board: bool
    valid_from: date | None
    valid_to: date | None


class DelegationOrderOut(msgspec.Struct):
    """The delegation order version in force (delegationsordning)."""

    id: int
    version: str
    registry_number: str
    adopted_on: date
    valid_from: date
    valid_to: date | None
    rules: list[DelegationRuleOut]


class DecisionOut(msgspec.Struct):
    """A decision to report to the board (anmälan av delegationsbeslut)."""

    decision_id: int
    decided_at: datetime
    decision_kind: str
    case_id: int
    case_type: str
    delegate: str
    role: str
    substitute: bool
    order_version: str | None
    rule_ref: str | None
    registry_number: str
    reason: str
    decided_on: date | None = None  # the decision date; decided_at is when it was recorded


class CaseTypeOut(msgspec.Struct):
    """A case type: its states, kinds and triggers."""

    case_type: str
    label: str
    initial: str
    finals: list[str]
    states: list[str]
    kinds: list[str]
    triggers: list[str]


@get(
    "/delegation-order",
    operation_id="getDelegationOrder",
    summary="Read the delegation order in force on a date.",
    tags=["delegation"],
    sync_to_thread=True,
    responses=READ,
)
def delegation_order(
    request: Request[Any, Any, Any],
    user: AuthUser,
    on: Annotated[date | None, Parameter(description="the date (default today, Stockholm)")] = None,
) -> DelegationOrderOut:
    """The caller's board's delegation order in force on a date."""
    order = board_queries.delegation_order(application_of(request).uow, user.actor, on)
    return to(DelegationOrderOut, {**order, "rules": [to(DelegationRuleOut, r) for r in order["rules"]]})  # type: ignore[no-any-return]


@get(
    "/decisions",
    operation_id="listDecisionsUnderDelegation",
    summary="List decisions taken under delegation in a period.",
    tags=["delegation"],
    sync_to_thread=True,
    responses=LIST,
)
def decisions(
    request: Request[Any, Any, Any],
    user: AuthUser,
    start: Annotated[date, QueryParameter(name="from", description="first day (Stockholm)")],
    end: Annotated[date, QueryParameter(name="to", description="last day (Stockholm)")],
    include_board: Annotated[bool, Parameter(description="also the board's own decisions")] = False,
) -> list[DecisionOut]:
    """Decisions taken under delegation in the caller's board in a period, oldest first."""
    found = board_queries.decisions(application_of(request).uow, user.actor, start, end, include_board=include_board)
    return [DecisionOut(**asdict(d)) for d in found]


@get(
    "/case-types",
    operation_id="listCaseTypes",
    summary="List the case types the engine runs.",
    tags=["case types"],
    responses=LIST,
)
async def case_types(user: AuthUser) -> list[CaseTypeOut]:
    """Every case type the engine runs."""
    return [
        CaseTypeOut(
            s.name,
            s.label,
            s.initial,
            sorted(s.finals),
            [str(x) for x in s.states],
            list(s.kinds),
            sorted({t.trigger for t in s.transitions}),
        )
        for s in CASE_TYPES.values()
    ]


@get(
    "/case-types/{case_type:str}/diagram",
    operation_id="getStateDiagram",
    summary="Draw a case type's state diagram as Mermaid text.",
    tags=["case types"],
    responses=READ,
)
async def diagram(user: AuthUser, case_type: Annotated[str, Parameter(max_length=48)]) -> DiagramOut:
    """The case type's state diagram as Mermaid text, drawn from the table the engine runs."""
    spec = CASE_TYPES.get(case_type)
    if spec is None:
        raise NotFound(f"no case type {case_type!r}")
    return DiagramOut(spec.name, spec.label, spec.initial, sorted(spec.finals), mermaid(spec))


HANDLERS = [delegation_order, decisions, case_types, diagram]
