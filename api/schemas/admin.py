"""Request and response schemas of the administration (``/admin/...``). Request bodies are strict."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from api.schemas.common import Email, Id, PageInfo, Text200

OrganisationKind = Literal["central_board", "district_board", "education_board"]
RoleName = Literal[
    "contract_strategist",
    "placement_coordinator",
    "social_worker",
    "needs_assessor",
    "unit_manager",
    "department_head",
    "director",
    "board",
    "board_secretary",
    "administrator",
]
Roles = Annotated[list[RoleName], msgspec.Meta(min_length=1, max_length=10)]
OrganisationCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{2,32}$")]
Username = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._@-]{2,64}$")]
GroupName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]


class OrganisationIn(msgspec.Struct, forbid_unknown_fields=True):
    """Add an organisation (nämnd) below ``parent_id`` (default: the administrator's own)."""

    code: OrganisationCode
    name: Text200
    kind: OrganisationKind
    parent_id: Id | None = None


class OrganisationPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Rename an organisation."""

    name: Text200


class OrganisationOut(msgspec.Struct):
    """An organisation of the administrator's municipality."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    active: bool


class OrganisationPage(PageInfo):
    """One page of organisations."""

    items: list[OrganisationOut]


class UserIn(msgspec.Struct, forbid_unknown_fields=True):
    """Add a user with its organisation and roles."""

    username: Username
    display_name: Text200
    email: Email
    organisation_id: Id
    roles: Roles
    #: An integration's service account: ``username`` is its OAuth client id, and it acts with
    #: client-credentials tokens (``source = integration``) rather than signing in as a person.
    integration: bool = False


class UserPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Change a user's display name, e-mail, organisation or roles; absent fields stay."""

    display_name: Text200 | None = None
    email: Email | None = None
    organisation_id: Id | None = None
    roles: Roles | None = None


class UserOut(msgspec.Struct):
    """A user; ``source`` is ``manual`` (made by an administrator), ``idp`` (provisioned from groups) or
    ``integration`` (an integration's service account, named by its OAuth client id)."""

    id: int
    username: str
    display_name: str
    email: str
    organisation_id: int
    roles: list[str]
    active: bool
    source: str


class UserPage(PageInfo):
    """One page of users."""

    items: list[UserOut]


class RoleMappingIn(msgspec.Struct, forbid_unknown_fields=True):
    """Map an identity-provider group to an organisation and roles."""

    group_name: GroupName
    organisation_id: Id
    roles: Roles


class RoleMappingPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Change the organisation or roles a group maps to (a deactivated mapping becomes active again)."""

    organisation_id: Id | None = None
    roles: Roles | None = None


class RoleMappingOut(msgspec.Struct):
    """A group's mapping; ``version`` counts its changes."""

    id: int
    group_name: str
    organisation_id: int
    roles: list[str]
    active: bool
    version: int
    updated_at: datetime


class RoleMappingPage(PageInfo):
    """One page of role mappings."""

    items: list[RoleMappingOut]


class AdminEventOut(msgspec.Struct):
    """One administrative change: who (null: the identity provider or the bootstrap), through what, before/after."""

    id: int
    organisation_id: int
    actor_id: int | None
    via: str
    action: str
    entity: str
    entity_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


class AdminEventPage(msgspec.Struct):
    """One page of administrative changes, newest first; ``page`` is null for a page asked for by cursor."""

    page: int | None
    page_size: int
    total: int
    items: list[AdminEventOut]
    next_cursor: str | None = None


class AccessOut(msgspec.Struct):
    """One read of an individual-level record: who, which record, when, from which organisation."""

    id: int
    at: datetime
    user_id: int | None
    username: str | None
    organisation_id: int
    organisation_code: str
    entity: str
    entity_id: int
    action: str


class AccessPage(msgspec.Struct):
    """One page of reads, newest first; ``page`` is null for a page asked for by cursor."""

    page: int | None
    page_size: int
    total: int
    items: list[AccessOut]
    next_cursor: str | None = None


class AccessAlertOut(msgspec.Struct):
    """A user who read more individual-level records on ``day`` than ``threshold``."""

    user_id: int
    username: str
    organisation_id: int
    day: date
    reads: int
    threshold: int
