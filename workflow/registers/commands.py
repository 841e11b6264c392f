"""Commands on the registers (register): providers, contract areas, agreements and placements.

Each command has one handler that writes in one unit of work and answers the row as it stands
after the change (read in the same transaction). Who may do what is decided in
:mod:`workflow.registers.contracts` and :mod:`workflow.registers.placements`; placements are individual-level data
(:func:`workflow.cases.scoping.require_individual_access`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from workflow.cases import scoping
from workflow.engine.commands import handles
from workflow.engine.firing import Actor, Workflow
from workflow.engine.uow import UnitOfWork
from workflow.registers import contracts, placements
from workflow.registers.queries import agreement, contract_area, provider

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RegisterProvider:
    """Register a provider (leverantör), or an in-house unit (egen regi) of the actor's organisation."""

    org_number: str
    name: str
    in_house: bool = False
    contact_email: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateProvider:
    """Change a provider's name or contact address; ``None`` keeps the field as it is."""

    provider_id: int
    name: str | None = None
    contact_email: str | None = None


@dataclass(frozen=True, slots=True)
class RegisterContractArea:
    """Add a contract area (avtalsområde) owned by the actor's organisation."""

    code: str
    name: str
    regime: str


@dataclass(frozen=True, slots=True)
class RenameContractArea:
    """Rename a contract area of the actor's organisation."""

    area_id: int
    name: str


@dataclass(frozen=True, slots=True)
class RegisterAgreement:
    """Register an agreement (avtal) of the actor's organisation; its status starts ``active``."""

    terms: contracts.AgreementTerms


@dataclass(frozen=True, slots=True)
class UpdateAgreement:
    """Change an open agreement's end date, purchase value or contract area (its status follows its case)."""

    agreement_id: int
    ends_on: date | None = None
    purchase_value_sek: int | None = None
    contract_area_id: int | None = None


@dataclass(frozen=True, slots=True)
class RegisterPlacement:
    """Register a placement (placering) under an agreement the board may call off from; opens its plan case."""

    terms: placements.PlacementTerms


@dataclass(frozen=True, slots=True)
class UpdatePlacement:
    """End a placement, or hand it to another social worker of the same board."""

    placement_id: int
    ends_on: date | None = None
    social_worker_id: int | None = None


def _changes(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


@handles(RegisterProvider)
def register_provider(cmd: RegisterProvider, actor: Actor, uow: UnitOfWork) -> Row:
    """Register the provider; answers its row."""

    def work(conn: Connection) -> Row:
        pid = contracts.register_provider(conn, actor, cmd.org_number, cmd.name, cmd.in_house, cmd.contact_email)
        return provider(conn, pid)

    return uow.write(work)


@handles(UpdateProvider)
def update_provider(cmd: UpdateProvider, actor: Actor, uow: UnitOfWork) -> Row:
    """Change the provider; answers its row."""

    def work(conn: Connection) -> Row:
        changes = _changes(name=cmd.name, contact_email=cmd.contact_email)
        contracts.update_provider(conn, actor, cmd.provider_id, changes)
        return provider(conn, cmd.provider_id)

    return uow.write(work)


@handles(RegisterContractArea)
def register_contract_area(cmd: RegisterContractArea, actor: Actor, uow: UnitOfWork) -> Row:
    """Add the contract area; answers its row."""

    def work(conn: Connection) -> Row:
        return contract_area(conn, contracts.register_contract_area(conn, actor, cmd.code, cmd.name, cmd.regime))

    return uow.write(work)


@handles(RenameContractArea)
def rename_contract_area(cmd: RenameContractArea, actor: Actor, uow: UnitOfWork) -> Row:
    """Rename the contract area; answers its row."""

    def work(conn: Connection) -> Row:
        contracts.update_contract_area(conn, actor, cmd.area_id, cmd.name)
        return contract_area(conn, cmd.area_id)

    return uow.write(work)


@handles(RegisterAgreement)
def register_agreement(cmd: RegisterAgreement, actor: Actor, uow: UnitOfWork) -> Row:
    """Register the agreement and open its agreement case in the same transaction; answers its row."""
    wf = Workflow(uow.engine, uow.clock)

    def work(conn: Connection) -> Row:
        agreement_id, row = contracts.register_agreement(wf, conn, actor, cmd.terms)
        return row if row is not None else agreement(conn, actor, agreement_id)

    return uow.write(work)


@handles(UpdateAgreement)
def update_agreement(cmd: UpdateAgreement, actor: Actor, uow: UnitOfWork) -> Row:
    """Change the agreement; answers its row."""

    def work(conn: Connection) -> Row:
        changes = _changes(
            ends_on=cmd.ends_on, purchase_value_sek=cmd.purchase_value_sek, contract_area_id=cmd.contract_area_id
        )
        contracts.update_agreement(conn, actor, cmd.agreement_id, changes)
        return agreement(conn, actor, cmd.agreement_id)

    return uow.write(work)


def _placement(conn: Connection, placement_id: int) -> Row:
    return dict(
        conn.execute(select(placements.PLACEMENT).where(placements.PLACEMENT.c.id == placement_id)).mappings().one()
    )


@handles(RegisterPlacement)
def register_placement(cmd: RegisterPlacement, actor: Actor, uow: UnitOfWork) -> Row:
    """Register the placement and open its implementation-plan case; answers its row."""
    scoping.require_individual_access(actor)
    wf = Workflow(uow.engine, uow.clock)

    def work(conn: Connection) -> Row:
        return _placement(conn, placements.register_placement(wf, conn, actor, cmd.terms))

    return uow.write(work)


@handles(UpdatePlacement)
def update_placement(cmd: UpdatePlacement, actor: Actor, uow: UnitOfWork) -> Row:
    """Change the placement; answers its row."""
    scoping.require_individual_access(actor)

    def work(conn: Connection) -> Row:
        changes = _changes(ends_on=cmd.ends_on, social_worker_id=cmd.social_worker_id)
        placements.update_placement(conn, actor, cmd.placement_id, changes)
        return _placement(conn, cmd.placement_id)

    return uow.write(work)
