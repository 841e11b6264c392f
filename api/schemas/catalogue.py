"""Schemas of contract-level registers (providers, areas, agreements) and placements.

Patch bodies change only what the domain allows; a field left out (or null) stays as it is.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from api.schemas.common import Email, Id, PageInfo, RegistryNumber, Text200

OrgNumber = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}-[0-9]{4}$", description="organisationsnummer, 556677-8899")]
ClientRef = Annotated[
    str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$", description="the client's pseudonym, never a name")
]
AgreementType = Literal[
    "framework_lou", "lov", "individual", "direct_award", "outsourcing", "call_off", "in_house_mandate"
]
Regime = Literal["LOU", "LOV", "in_house"]
Gender = Literal["female", "male", "other", "unknown"]
Money = Annotated[int, msgspec.Meta(ge=0, le=10**12)]


class ProviderIn(msgspec.Struct, forbid_unknown_fields=True):
    """Register a provider (leverantör) or an in-house unit (egen regi)."""

    org_number: OrgNumber
    name: Text200
    in_house: bool = False
    contact_email: Email | None = None


class ProviderPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Change a provider's name or contact address."""

    name: Text200 | None = None
    contact_email: Email | None = None


class ProviderOut(msgspec.Struct):
    """A provider."""

    id: int
    org_number: str
    name: str
    in_house: bool
    contact_email: str | None
    owner_organisation_id: int | None


class ProviderListedOut(ProviderOut):
    """A provider in a list; with ``open_cases=true``, its open cases in the caller's organisation."""

    open_cases: int | None = None


class ProviderPage(PageInfo):
    """One page of providers."""

    items: list[ProviderListedOut]


class ContractAreaIn(msgspec.Struct, forbid_unknown_fields=True):
    """Add a contract area (avtalsområde)."""

    code: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{2,64}$")]
    name: Text200
    regime: Regime


class ContractAreaPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Rename a contract area."""

    name: Text200


class ContractAreaOut(msgspec.Struct):
    """A contract area."""

    id: int
    code: str
    name: str
    regime: str
    organisation_id: int


class ContractAreaPage(PageInfo):
    """One page of contract areas."""

    items: list[ContractAreaOut]


class AgreementIn(msgspec.Struct, forbid_unknown_fields=True):
    """Register an agreement; its agreement case opens with it (``case_id``), and its status follows that case.

    A call-off under a framework agreement that is not active or whose end date has passed is refused.
    """

    registry_number: RegistryNumber
    agreement_type: AgreementType
    provider_id: Id
    starts_on: date
    ends_on: date | None = None
    contract_area_id: Id | None = None
    parent_id: Id | None = None
    purchase_value_sek: Money = 0


class AgreementPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Change an open agreement's end date, purchase value or contract area."""

    ends_on: date | None = None
    purchase_value_sek: Money | None = None
    contract_area_id: Id | None = None


class AgreementOut(msgspec.Struct):
    """An agreement (avtal)."""

    id: int
    registry_number: str
    agreement_type: str
    organisation_id: int
    provider_id: int
    contract_area_id: int | None
    parent_id: int | None
    starts_on: date
    ends_on: date | None
    status: str
    purchase_value_sek: int
    case_id: int | None


class AgreementPage(PageInfo):
    """One page of agreements."""

    items: list[AgreementOut]


class PlacementIn(msgspec.Struct, forbid_unknown_fields=True):
    """Register a placement under an agreement; the provider is the agreement's."""

    agreement_id: Id
    client_ref: ClientRef
    starts_on: date
    gender: Gender = "unknown"
    social_worker_id: Id | None = None
    ends_on: date | None = None


class PlacementPatch(msgspec.Struct, forbid_unknown_fields=True):
    """End a placement or hand it to another social worker."""

    ends_on: date | None = None
    social_worker_id: Id | None = None


class PlacementOut(msgspec.Struct):
    """A placement (individual-level; its reads are logged)."""

    id: int
    organisation_id: int
    agreement_id: int
    provider_id: int
    client_ref: str
    gender: str
    social_worker_id: int | None
    starts_on: date
    ends_on: date | None


class PlacementPage(PageInfo):
    """One page of placements."""

    items: list[PlacementOut]


class CaseBriefOut(msgspec.Struct):
    """A case as a register's screen lists it."""

    id: int
    case_type: str
    kind: str | None
    status: str
    title: str
    opened_at: datetime
    closed_at: datetime | None


class FollowUpOwnerBriefOut(msgspec.Struct):
    """Who in the caller's board follows up the unit (uppföljningsansvarig), since when."""

    user_id: int
    name: str
    since: date


class ProviderOverviewOut(ProviderOut, kw_only=True):
    """A provider's screen: the register row, the agreements the caller sees, and the caller's board's work on it:
    cases (the newest 50 open and closed, with their counts), exclusions in force, placements ongoing today."""

    agreements: list[AgreementOut]
    follow_up_owner: FollowUpOwnerBriefOut | None
    open_case_count: int
    closed_case_count: int
    open_cases: list[CaseBriefOut]
    closed_cases: list[CaseBriefOut]
    exclusions: list[CaseBriefOut]
    placement_count: int


class AgreementOverviewOut(AgreementOut, kw_only=True):
    """An agreement's screen: the agreement with its provider's and area's names, its call-offs, and the caller's
    board's work on it (as on a provider's screen)."""

    provider_name: str
    contract_area_name: str | None
    call_offs: list[AgreementOut]
    open_case_count: int
    closed_case_count: int
    open_cases: list[CaseBriefOut]
    closed_cases: list[CaseBriefOut]
    exclusions: list[CaseBriefOut]
    placement_count: int
