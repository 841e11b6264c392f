"""A small deterministic world for tests: two boards, users with every role, providers, agreements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select

from states.roles import Role
from workflow.engine import delegation
from workflow.engine.firing import Actor, Workflow
from workflow.schema.db import new_id
from workflow.schema.tables import CASE, DEADLINE, Agreement, AppUser, ContractArea, Organisation, Placement, Provider

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=__import__("datetime").UTC)


class Clock:
    """A movable clock for tests."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class World:
    engine: Engine
    clock: Clock
    wf: Workflow
    orgs: dict[str, int] = field(default_factory=dict)
    users: dict[tuple[str, str], int] = field(default_factory=dict)
    agreements: dict[str, int] = field(default_factory=dict)
    providers: dict[str, int] = field(default_factory=dict)
    placements: dict[str, int] = field(default_factory=dict)

    def actor(self, org: str, role: str) -> Actor:
        return Actor(self.users[(org, role)], self.orgs[org], (role,))

    def fresh_agreement(self, like: str = "north_calloff") -> int:
        """A new agreement with the terms of ``like`` and no case yet: an agreement has one agreement case."""
        table = Agreement.__table__  # type: ignore[attr-defined]
        with self.engine.begin() as conn:
            row = conn.execute(select(table).where(table.c.id == self.agreements[like])).mappings().one()
            number = conn.execute(select(func.count()).select_from(table)).scalar_one()
            values = {k: v for k, v in row.items() if k not in ("id", "case_id", "registry_number")}
            return new_id(conn.execute(insert(table).values(**values, registry_number=f"FRESH-2026-{number:05d}")))


def build_world(engine: Engine, clock: Clock | None = None) -> World:
    """Create the world's rows and load the bundled delegation order."""
    clock = clock or Clock()
    w = World(engine, clock, Workflow(engine, clock))
    T = lambda m: m.__table__  # noqa: E731
    with engine.begin() as conn:
        for code, kind in (("CENTRAL", "central_board"), ("NORTH", "district_board"), ("SOUTH", "district_board")):
            oid = new_id(conn.execute(insert(T(Organisation)).values(code=code, name=f"{code} board", kind=kind)))
            w.orgs[code] = oid
            for role in Role:
                w.users[(code, role.value)] = new_id(
                    conn.execute(
                        insert(T(AppUser)).values(
                            username=f"{code.lower()}.{role.value}",
                            display_name=f"{role.value} of {code}",
                            email=f"{role.value}@{code.lower()}.test.invalid",
                            organisation_id=oid,
                            roles=[role.value],
                        )
                    )
                )
        for name, in_house in (("Acme Care AB", False), ("Beta Stöd AB", False), ("Egen regi enhet", True)):
            w.providers[name] = new_id(
                conn.execute(
                    insert(T(Provider)).values(
                        org_number=f"55{len(w.providers):04d}-0000",
                        name=name,
                        in_house=in_house,
                        contact_email=f"p{len(w.providers)}@provider.test.invalid",
                    )
                )
            )
        area = new_id(
            conn.execute(
                insert(T(ContractArea)).values(
                    code="hvb_children", name="HVB barn", regime="LOU", organisation_id=w.orgs["CENTRAL"]
                )
            )
        )
        spec: list[tuple[str, str, str, str, Any]] = [
            ("framework", "CENTRAL", "Acme Care AB", "framework_lou", date(2027, 2, 28)),
            ("north_calloff", "NORTH", "Acme Care AB", "call_off", date(2027, 2, 28)),
            ("south_individual", "SOUTH", "Beta Stöd AB", "individual", date(2026, 1, 31)),
            ("north_in_house", "NORTH", "Egen regi enhet", "in_house_mandate", None),
        ]
        for key, org, prov, typ, ends in spec:
            w.agreements[key] = new_id(
                conn.execute(
                    insert(T(Agreement)).values(
                        registry_number=f"{org[:3]}-2024-{len(w.agreements):05d}",
                        agreement_type=typ,
                        organisation_id=w.orgs[org],
                        provider_id=w.providers[prov],
                        contract_area_id=area,
                        starts_on=date(2024, 3, 1),
                        ends_on=ends,
                        purchase_value_sek=1_000_000,
                    )
                )
            )
        w.placements["north"] = new_id(
            conn.execute(
                insert(T(Placement)).values(
                    organisation_id=w.orgs["NORTH"],
                    agreement_id=w.agreements["north_calloff"],
                    provider_id=w.providers["Acme Care AB"],
                    client_ref="KL-0001",
                    gender="other",
                    social_worker_id=w.users[("NORTH", "social_worker")],
                    starts_on=date(2026, 2, 1),
                )
            )
        )
        delegation.load_file(conn)
    return w


def next_due_of(engine: Engine, case_id: int) -> tuple[datetime | None, datetime | None]:
    """A case's stored next due time and the earliest due time of its pending deadlines (equal when kept right)."""
    with engine.connect() as conn:
        stored = conn.execute(select(CASE.c.next_due_at).where(CASE.c.id == case_id)).scalar_one()
        earliest = conn.execute(
            select(func.min(DEADLINE.c.due_at)).where(DEADLINE.c.case_id == case_id, DEADLINE.c.status == "pending")
        ).scalar_one()
    return stored, earliest
