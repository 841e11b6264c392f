"""Registering providers, contract areas and agreements (leverantörer, avtalsområden, avtal).

Commands over contract-level data. Providers and contract areas are shared registers
every board reads; an organisation changes only what it owns. An agreement's status
is never set here: it follows its agreement case through the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, insert, or_, select, update

from states.registry import CASE_TYPES
from states.roles import Role
from workflow.cases.opening import SHARED_AGREEMENT_TYPES
from workflow.deadlines.calendar import local_date
from workflow.engine.errors import Conflict, InvalidInput, NotFound, NotPermitted, Refused
from workflow.engine.firing import REGISTRY_NUMBER, Actor, Workflow
from workflow.registers.agreement_cases import AGREEMENT_CASE_TYPE, AgreementKey, open_agreement_case_once
from workflow.schema.db import new_id
from workflow.schema.tables import AGREEMENT, AREA, ORG, PROVIDER

AGREEMENT_TYPES = ("framework_lou", "lov", "individual", "direct_award", "outsourcing", "call_off", "in_house_mandate")
CLOSED_AGREEMENT_STATUSES = frozenset({"terminated", "rescinded", "expired"})
#: An agreement's status once its case is opened: the case's first state, which the agreement mirrors.
AGREEMENT_INITIAL = CASE_TYPES[AGREEMENT_CASE_TYPE].initial
#: Who registers and changes contract-level data.
CONTRACT_ROLES = frozenset(
    {Role.CONTRACT_STRATEGIST, Role.PLACEMENT_COORDINATOR, Role.UNIT_MANAGER, Role.DEPARTMENT_HEAD, Role.DIRECTOR}
)


@dataclass(frozen=True, slots=True)
class AgreementTerms:
    """What a client may state when registering an agreement."""

    registry_number: str
    agreement_type: str
    provider_id: int
    starts_on: date
    ends_on: date | None = None
    contract_area_id: int | None = None
    parent_id: int | None = None
    purchase_value_sek: int = 0


def _may_register(actor: Actor, what: str) -> None:
    if not CONTRACT_ROLES & set(actor.roles):
        raise NotPermitted(
            f"can't register or change {what}: needs one of the roles {', '.join(sorted(CONTRACT_ROLES))}"
        )


def _org_kind(conn: Connection, org: int) -> str:
    return str(conn.execute(select(ORG.c.kind).where(ORG.c.id == org)).scalar_one())


def register_provider(
    conn: Connection, actor: Actor, org_number: str, name: str, in_house: bool, contact_email: str | None
) -> int:
    """Add a provider; an in-house unit (egen regi) belongs to the registering organisation."""
    _may_register(actor, "providers")
    if conn.execute(select(PROVIDER.c.id).where(PROVIDER.c.org_number == org_number)).first():
        raise Conflict(f"a provider with organisation number {org_number} is already registered")
    return new_id(
        conn.execute(
            insert(PROVIDER).values(
                org_number=org_number,
                name=name.strip(),
                in_house=in_house,
                contact_email=contact_email,
                owner_organisation_id=actor.organisation_id if in_house else None,
            )
        )
    )


def update_provider(conn: Connection, actor: Actor, provider_id: int, changes: dict[str, Any]) -> None:
    """Change a provider's name or contact; the owning board, or for private providers a central board."""
    _may_register(actor, "providers")
    row = conn.execute(select(PROVIDER.c.owner_organisation_id).where(PROVIDER.c.id == provider_id)).first()
    if row is None:
        raise NotFound(f"provider {provider_id} not found")
    owner = row.owner_organisation_id
    if owner != actor.organisation_id and not (
        owner is None and _org_kind(conn, actor.organisation_id) == "central_board"
    ):
        raise NotPermitted("only the board that keeps this provider's register entry may change it")
    if changes:
        conn.execute(update(PROVIDER).where(PROVIDER.c.id == provider_id).values(**changes))


def register_contract_area(conn: Connection, actor: Actor, code: str, name: str, regime: str) -> int:
    """Add a contract area (avtalsområde) owned by the actor's organisation."""
    _may_register(actor, "contract areas")
    exists = conn.execute(
        select(AREA.c.id).where(AREA.c.organisation_id == actor.organisation_id, AREA.c.code == code)
    ).first()
    if exists:
        raise Conflict(f"contract area {code!r} already exists in this organisation")
    return new_id(
        conn.execute(
            insert(AREA).values(code=code, name=name.strip(), regime=regime, organisation_id=actor.organisation_id)
        )
    )


def update_contract_area(conn: Connection, actor: Actor, area_id: int, name: str) -> None:
    """Rename a contract area of the actor's organisation."""
    _may_register(actor, "contract areas")
    owner = conn.execute(select(AREA.c.organisation_id).where(AREA.c.id == area_id)).scalar_one_or_none()
    if owner is None:
        raise NotFound(f"contract area {area_id} not found")
    if owner != actor.organisation_id:
        raise NotPermitted("only the board that owns the contract area may change it")
    conn.execute(update(AREA).where(AREA.c.id == area_id).values(name=name.strip()))


def readable_agreement(conn: Connection, actor: Actor, agreement_id: int) -> Any:
    """An agreement the actor may refer to (its own, or a shared framework/LOV agreement), or NotFound."""
    row = (
        conn.execute(
            select(AGREEMENT).where(
                AGREEMENT.c.id == agreement_id,
                or_(
                    AGREEMENT.c.organisation_id == actor.organisation_id,
                    AGREEMENT.c.agreement_type.in_(SHARED_AGREEMENT_TYPES),
                ),
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"agreement {agreement_id} not found")
    return row


_PROVIDER_KIND = select(PROVIDER.c.in_house, PROVIDER.c.owner_organisation_id).where(
    PROVIDER.c.id == bindparam("provider_id")
)


def register_agreement(
    wf: Workflow, conn: Connection, actor: Actor, terms: AgreementTerms
) -> tuple[int, dict[str, Any] | None]:
    """Register an agreement for the actor's organisation and open its agreement case; its status starts ``active``.

    Answers its id and its row as it now stands (None in the rare case that its case was opened before: read it).
    A call-off is refused under a framework agreement that has ended: one no longer active, or whose
    end date has passed (the scheduler expires it soon after).
    """
    _may_register(actor, "agreements")
    if terms.agreement_type not in AGREEMENT_TYPES:
        raise InvalidInput(f"agreement_type must be one of {', '.join(AGREEMENT_TYPES)}")
    if not REGISTRY_NUMBER.match(terms.registry_number) or not any(c.isdigit() for c in terms.registry_number):
        raise InvalidInput("registry_number (diarienummer) must look like SCN-2024-00112 or 2023/75")
    if terms.ends_on is not None and terms.ends_on < terms.starts_on:
        raise InvalidInput("ends_on is before starts_on")
    if terms.purchase_value_sek < 0:
        raise InvalidInput("purchase_value_sek can't be negative")
    prov = conn.execute(_PROVIDER_KIND, {"provider_id": terms.provider_id}).first()
    if prov is None:
        raise NotFound(f"provider {terms.provider_id} not found")
    if (terms.agreement_type == "in_house_mandate") != bool(prov.in_house):
        raise InvalidInput("an in-house unit has a service mandate (in_house_mandate) and nothing else has one")
    if (
        terms.contract_area_id is not None
        and not conn.execute(select(AREA.c.id).where(AREA.c.id == terms.contract_area_id)).first()
    ):
        raise NotFound(f"contract area {terms.contract_area_id} not found")
    if terms.agreement_type == "call_off" and terms.parent_id is None:
        raise InvalidInput("a call-off agreement names the framework agreement it is called off from (parent_id)")
    if terms.parent_id is not None:
        parent = readable_agreement(conn, actor, terms.parent_id)
        if parent["agreement_type"] not in SHARED_AGREEMENT_TYPES or parent["provider_id"] != terms.provider_id:
            raise InvalidInput("the parent must be a framework or LOV agreement with the same provider")
        if parent["status"] != "active":
            raise Refused(
                f"the framework agreement is {parent['status']}; no call-offs from it", rule="parent_inactive"
            )
        ended_before(parent, local_date(wf.clock()), "the framework agreement")
    inserted = dict(
        conn.execute(
            insert(AGREEMENT)
            .values(
                registry_number=terms.registry_number,
                agreement_type=terms.agreement_type,
                organisation_id=actor.organisation_id,
                provider_id=terms.provider_id,
                contract_area_id=terms.contract_area_id,
                parent_id=terms.parent_id,
                starts_on=terms.starts_on,
                ends_on=terms.ends_on,
                status="active",
                purchase_value_sek=terms.purchase_value_sek,
            )
            .returning(*AGREEMENT.c)
        )
        .mappings()
        .one()
    )
    agreement_id = int(inserted["id"])
    known = AgreementKey(actor.organisation_id, terms.registry_number, terms.starts_on)
    case_id, opened = open_agreement_case_once(wf, conn, actor, agreement_id, "Agreement registered", known=known)
    # Opening its case set the agreement's case and status (the case's first state): nothing to read again.
    return agreement_id, {**inserted, "case_id": case_id, "status": AGREEMENT_INITIAL} if opened else None


def ended_before(agreement: Any, today: date, what: str) -> None:
    """Refuse a call-off (avrop) under an agreement whose end date has passed (rule ``agreement_ended``)."""
    if agreement["ends_on"] is not None and agreement["ends_on"] < today:
        raise Refused(
            f"{what} ended on {agreement['ends_on'].isoformat()}; no call-offs under it", rule="agreement_ended"
        )


def update_agreement(conn: Connection, actor: Actor, agreement_id: int, changes: dict[str, Any]) -> None:
    """Change an open agreement's end date, purchase value or contract area (own organisation only)."""
    _may_register(actor, "agreements")
    row = readable_agreement(conn, actor, agreement_id)
    if row["organisation_id"] != actor.organisation_id:
        raise NotPermitted("only the board that signed the agreement may change it")
    if row["status"] in CLOSED_AGREEMENT_STATUSES:
        raise Refused(f"the agreement is {row['status']}; its terms no longer change", rule="agreement_closed")
    ends_on = changes.get("ends_on", row["ends_on"])
    if ends_on is not None and ends_on < row["starts_on"]:
        raise InvalidInput("ends_on is before starts_on")
    if changes.get("purchase_value_sek", 0) < 0:
        raise InvalidInput("purchase_value_sek can't be negative")
    area = changes.get("contract_area_id")
    if area is not None and not conn.execute(select(AREA.c.id).where(AREA.c.id == area)).first():
        raise NotFound(f"contract area {area} not found")
    if changes:
        conn.execute(update(AGREEMENT).where(AGREEMENT.c.id == agreement_id).values(**changes))
