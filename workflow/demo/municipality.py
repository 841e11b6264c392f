"""A realistic demo municipality (demodata), loaded by one command, deterministic.

A central social services board owns the framework agreements of the seeds'
contract areas; three district boards call off from them, place clients and keep
their own individual agreements and in-house units; an education board runs
in-house short-term supervision. Cases exist in every state of every case type,
each reached through the workflow itself, so the audit chain is real.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, insert, select

from states.registry import CASE_TYPES
from states.roles import Role
from states.spec import Subject
from workflow import i18n
from workflow.cases.opening import open_case
from workflow.deadlines.calendar import local_date
from workflow.engine import delegation
from workflow.engine.errors import NoMandate, NotPermitted
from workflow.engine.firing import Actor, Workflow
from workflow.registers.agreement_cases import ensure_agreement_cases, expire_ended_agreements
from workflow.registers.samples import path_to, sample_params
from workflow.reports.demo_data import add_report_inputs
from workflow.retention import schedule as retention_schedule
from workflow.schema.db import new_id
from workflow.schema.tables import (
    AGREEMENT,
    AREA,
    ORG,
    PLACEMENT,
    PROVIDER,
    USER,
    Organisation,
)

log = structlog.get_logger("workflow.demo.municipality")

ORGS = [
    ("SN", "Socialnämnden", "central_board", None),
    ("NORRMALM", "Norrmalms stadsdelsnämnd", "district_board", "SN"),
    ("SODERMALM", "Södermalms stadsdelsnämnd", "district_board", "SN"),
    ("FARSTA", "Farsta stadsdelsnämnd", "district_board", "SN"),
    ("UTB", "Utbildningsnämnden", "education_board", None),
]
ROLE_USERS = [
    ("strateg", "Avtalsstrateg", [Role.CONTRACT_STRATEGIST]),
    ("samordnare", "Placeringssamordnare", [Role.PLACEMENT_COORDINATOR]),
    ("socsek", "Socialsekreterare", [Role.SOCIAL_WORKER]),
    ("handlaggare", "Biståndshandläggare", [Role.NEEDS_ASSESSOR]),
    ("enhetschef", "Enhetschef", [Role.UNIT_MANAGER]),
    ("avdelningschef", "Avdelningschef", [Role.DEPARTMENT_HEAD]),
    ("direktor", "Förvaltningsdirektör", [Role.DIRECTOR]),
    ("ordforande", "Nämndens ordförande", [Role.BOARD]),
    ("sekreterare", "Nämndsekreterare", [Role.BOARD_SECRETARY]),
]
# (code, name, regime, agreement period) — contract areas of the seeds (domain.md §1.6, §3.13).
AREAS = [
    ("hvb_children", "HVB för barn och unga", "LOU", (date(2021, 3, 1), date(2025, 2, 28))),
    ("youth_supported_housing", "Stödboende för unga 16–20 år", "LOU", (date(2022, 9, 1), date(2026, 8, 31))),
    ("gambling_treatment", "Behandling vid spelmissbruk", "LOU", (date(2023, 3, 1), date(2027, 2, 28))),
    ("protected_housing", "Skyddat boende", "LOU", (date(2023, 1, 1), date(2026, 12, 31))),
    ("hvb_adult_psychiatry", "HVB för vuxna inom socialpsykiatrin", "LOU", (date(2022, 4, 1), date(2026, 3, 31))),
    ("adult_addiction_care", "Insatser för vuxna med missbruk", "LOU", (date(2023, 5, 1), date(2027, 4, 30))),
    ("defector_programme", "Avhopparverksamhet", "LOU", (date(2021, 6, 1), date(2027, 5, 31))),
    ("daily_activities_lss", "Daglig verksamhet LSS", "LOV", (date(2020, 1, 1), None)),
    ("family_counselling", "Familjerådgivning", "LOV", (date(2019, 1, 1), None)),
]
PROVIDER_NAMES = [
    "Ekbacken Omsorg AB",
    "Solgläntan Stödboende AB",
    "Björkhagen Behandling AB",
    "Tallkrogen Vård AB",
    "Lindängen HVB AB",
    "Fyrbåken Stöd AB",
    "Sjöviken Familjeråd AB",
    "Källbrinken Daglig Verksamhet AB",
    "Ängsgården Behandlingshem AB",
    "Stenudden Skyddat Boende AB",
    "Aspviken Spelstöd AB",
    "Granhöjden Vård AB",
    "Norrbacka Omsorg AB",
    "Vinterviken Stöd AB",
    "Ljusnegården AB",
    "Hagtornet Socialpsykiatri AB",
    "Klippan Avhopparstöd AB",
    "Rönnbäret Daglig Verksamhet AB",
]


class Demo:
    """Builds the demo municipality through the workflow."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.wf = Workflow(engine, clock) if clock else Workflow(engine)
        self.engine = engine
        self.today = local_date(self.wf.clock())
        self.orgs: dict[str, int] = {}
        self.users: dict[tuple[str, str], int] = {}
        self.user_roles: dict[int, tuple[str, ...]] = {}
        self.providers: list[int] = []
        self.in_house: dict[str, int] = {}
        self.areas: dict[str, int] = {}
        self.frameworks: dict[str, list[int]] = {}
        self.agreements: dict[str, list[int]] = {}
        self.placements: dict[str, list[int]] = {}
        self._rn = 0

    def load(self) -> dict[str, int]:
        """Load everything; refuse if the database already holds organisations."""
        with self.engine.begin() as conn:
            if conn.execute(select(Organisation.id).limit(1)).first():  # type: ignore[call-overload]
                raise RuntimeError("the database already has data; the demo loads only into an empty database")
            self._organisations(conn)
            self._providers_and_agreements(conn)
            self._placements(conn)
            delegation.load_file(conn)
            retention_schedule.load_file(conn)
        counts = self._cases()
        counts["report_inputs"] = add_report_inputs(self)
        # As the scheduler's leader job would on its first tick: every agreement gets its case, ended ones expire.
        counts["agreement_cases"] = ensure_agreement_cases(self.engine, self.wf.clock)
        counts["agreements_expired"] = expire_ended_agreements(self.engine, self.wf.clock)
        log.info("demo.loaded", **counts)
        return counts

    # --- reference data ---------------------------------------------------------------------------------------

    def _organisations(self, conn: Connection) -> None:
        for code, name, kind, parent in ORGS:
            oid = new_id(
                conn.execute(
                    insert(ORG).values(
                        code=code, name=name, kind=kind, parent_id=self.orgs.get(parent) if parent else None
                    )
                )
            )
            self.orgs[code] = oid
            for suffix, title, roles in ROLE_USERS:
                self._user(conn, code, suffix, f"{code.lower()}.{suffix}", f"{title}, {name}", roles)
        # The social services' system administrator: organisations and users of Socialnämnden and its districts.
        self._user(conn, "SN", "admin", "sn.administrator", "Systemadministratör, Socialnämnden", [Role.ADMINISTRATOR])

    def _user(
        self, conn: Connection, code: str, suffix: str, username: str, display_name: str, roles: list[Role]
    ) -> None:
        """A demo user of organisation ``code`` (known as ``(code, suffix)``), mail at the demo's invalid domain."""
        uid = new_id(
            conn.execute(
                insert(USER).values(
                    username=username,
                    display_name=display_name,
                    email=f"{suffix}@{code.lower()}.demo.invalid",
                    organisation_id=self.orgs[code],
                    roles=[r.value for r in roles],
                    active=True,
                )
            )
        )
        self.users[(code, suffix)] = uid
        self.user_roles[uid] = tuple(r.value for r in roles)

    def _registry(self, org: str, year: int | None = None) -> str:
        self._rn += 1
        return f"{org[:3]}-{year or self.today.year}-{self._rn:05d}"

    def _providers_and_agreements(self, conn: Connection) -> None:
        prov_t, area_t, agr_t = PROVIDER, AREA, AGREEMENT
        for i, name in enumerate(PROVIDER_NAMES):
            self.providers.append(
                new_id(
                    conn.execute(
                        insert(prov_t).values(
                            org_number=f"559{(i * 7919) % 1000:03d}-{1000 + i * 37:04d}",
                            name=name,
                            in_house=False,
                            contact_email=f"kontakt{i}@provider.demo.invalid",
                        )
                    )
                )
            )
        for code, name in (
            ("UTB", "Korttidstillsyn Vasaskolan (egen regi)"),
            ("UTB", "Korttidstillsyn Eriksdalsskolan (egen regi)"),
            ("FARSTA", "Farsta boendestöd (egen regi)"),
        ):
            self.in_house[name] = new_id(
                conn.execute(
                    insert(prov_t).values(
                        org_number=f"212000-{len(self.in_house):04d}",
                        name=name,
                        in_house=True,
                        contact_email=f"enhet{len(self.in_house)}@{code.lower()}.demo.invalid",
                        owner_organisation_id=self.orgs[code],
                    )
                )
            )
        sn = self.orgs["SN"]
        p = 0
        for code, name, regime, (start, end) in AREAS:
            aid = new_id(conn.execute(insert(area_t).values(code=code, name=name, regime=regime, organisation_id=sn)))
            self.areas[code] = aid
            self.frameworks[code] = []
            for k in range(3):
                prov = self.providers[p % len(self.providers)]
                p += 1
                self.frameworks[code].append(
                    new_id(
                        conn.execute(
                            insert(agr_t).values(
                                registry_number=self._registry("SN", start.year),
                                organisation_id=sn,
                                provider_id=prov,
                                contract_area_id=aid,
                                agreement_type="framework_lou" if regime == "LOU" else "lov",
                                starts_on=start,
                                ends_on=end,
                                status="active",
                                purchase_value_sek=(3 + 4 * k + p) * 1_000_000,
                            )
                        )
                    )
                )
        mandate_area = new_id(
            conn.execute(
                insert(area_t).values(
                    code="short_term_supervision",
                    name="Korttidstillsyn LSS",
                    regime="in_house",
                    organisation_id=self.orgs["UTB"],
                )
            )
        )
        self.areas["short_term_supervision"] = mandate_area
        for name, prov in self.in_house.items():
            org = self.orgs["FARSTA"] if name.startswith("Farsta") else self.orgs["UTB"]
            self.agreements.setdefault("in_house", []).append(
                new_id(
                    conn.execute(
                        insert(agr_t).values(
                            registry_number=self._registry("UTB" if org == self.orgs["UTB"] else "FARSTA", 2020),
                            organisation_id=org,
                            provider_id=prov,
                            contract_area_id=mandate_area if org == self.orgs["UTB"] else None,
                            agreement_type="in_house_mandate",
                            starts_on=date(2020, 8, 1),
                            ends_on=None,
                            status="active",
                        )
                    )
                )
            )
        for d, district in enumerate(("NORRMALM", "SODERMALM", "FARSTA")):
            org = self.orgs[district]
            calloffs = []
            for j, area in enumerate(("hvb_children", "youth_supported_housing", "adult_addiction_care")):
                fw = self.frameworks[area][(d + j) % 3]
                prov = conn.execute(select(agr_t.c.provider_id).where(agr_t.c.id == fw)).scalar_one()
                calloffs.append(
                    new_id(
                        conn.execute(
                            insert(agr_t).values(
                                registry_number=self._registry(district),
                                organisation_id=org,
                                provider_id=prov,
                                contract_area_id=self.areas[area],
                                parent_id=fw,
                                agreement_type="call_off",
                                starts_on=self.today - timedelta(days=200 + 30 * j),
                                ends_on=self.today + timedelta(days=400),
                                status="active",
                                purchase_value_sek=900_000 + 150_000 * j,
                            )
                        )
                    )
                )
            individual = new_id(
                conn.execute(
                    insert(agr_t).values(
                        registry_number=self._registry(district),
                        organisation_id=org,
                        provider_id=self.providers[12 + d],
                        contract_area_id=None,
                        agreement_type="individual",
                        starts_on=self.today - timedelta(days=420),
                        ends_on=self.today - timedelta(days=10),
                        status="active",
                        purchase_value_sek=640_000,
                    )
                )
            )
            direct = new_id(
                conn.execute(
                    insert(agr_t).values(
                        registry_number=self._registry(district),
                        organisation_id=org,
                        provider_id=self.providers[15 + d],
                        contract_area_id=self.areas["hvb_children"],
                        agreement_type="direct_award",
                        starts_on=self.today - timedelta(days=90),
                        ends_on=self.today + timedelta(days=275),
                        status="active",
                        purchase_value_sek=1_250_000,
                    )
                )
            )
            self.agreements[district] = [*calloffs, individual, direct]

    def _placements(self, conn: Connection) -> None:
        agr_t, pl_t = AGREEMENT, PLACEMENT
        genders = ("female", "male", "other", "female", "male")
        n = 0
        for district in ("NORRMALM", "SODERMALM", "FARSTA"):
            org = self.orgs[district]
            self.placements[district] = []
            for k, agreement_id in enumerate(self.agreements[district][:3] + self.agreements[district][4:]):
                prov = conn.execute(select(agr_t.c.provider_id).where(agr_t.c.id == agreement_id)).scalar_one()
                for _ in range(3):
                    n += 1
                    self.placements[district].append(
                        new_id(
                            conn.execute(
                                insert(pl_t).values(
                                    organisation_id=org,
                                    agreement_id=agreement_id,
                                    provider_id=prov,
                                    client_ref=f"KL-{district[:3]}-{n:04d}",
                                    gender=genders[n % len(genders)],
                                    social_worker_id=self.users[(district, "socsek")],
                                    starts_on=self.today - timedelta(days=20 * k + 3 * n),
                                    ends_on=None,
                                )
                            )
                        )
                    )

    # --- cases --------------------------------------------------------------------------------------------------

    def _actor(self, org: str, suffix: str) -> Actor:
        uid = self.users[(org, suffix)]
        return Actor(uid, self.orgs[org], self.user_roles[uid])

    def _drive(self, org: str, case_id: int, spec_name: str, target: str, in_house: bool, seed: int) -> None:
        spec = CASE_TYPES[spec_name]
        order = ("strateg", "samordnare", "socsek", "enhetschef", "avdelningschef", "direktor", "ordforande")
        for tr in path_to(spec, target, in_house, avoid=frozenset({"expire"}) if target != "expired" else frozenset()):
            params = sample_params(spec, tr, in_house, self.today, seed)
            actors = (
                [Actor.system(self.orgs[org])]
                if tr.system or _is_expiry(spec, tr)
                else [self._actor(org, s) for s in order]
            )
            for actor in actors:
                try:
                    self.wf.fire(
                        case_id,
                        tr.trigger,
                        actor,
                        f"Demo: {i18n.label('sv', 'trigger', tr.label or tr.trigger, tr.label or tr.trigger)}",
                        registry_number=self._registry(org) if tr.decision else None,
                        params=params,
                    )
                    break
                except (NoMandate, NotPermitted):
                    continue
            else:
                raise RuntimeError(f"demo: nobody in {org} may {tr.trigger} on {spec_name}")

    def _cases(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        seed = 0
        for name, spec in CASE_TYPES.items():
            for state in spec.states:
                for district in ("NORRMALM", "SODERMALM", "FARSTA"):
                    if spec.mirrors_agreement and state.value == "expired" and district != "NORRMALM":
                        continue
                    seed += 1
                    cid = self._open(name, spec, district, seed, expired=state.value == "expired")
                    self._drive(district, cid, name, state.value, False, seed)
                    counts[name] = counts.get(name, 0) + 1
        # In-house units: a mandate follow-up and a deviation, driven without any contractual step.
        farsta_in_house = self.agreements["in_house"][2]
        for target in ("assessed", "closed"):
            cid = open_case(
                self.wf,
                "follow_up",
                self._actor("FARSTA", "enhetschef"),
                "Demo: uppföljning i egen regi",
                kind="planned_special",
                agreement_id=farsta_in_house,
                plan_year=self.today.year,
                title="Uppföljning av boendestöd i egen regi",
            ).case_id
            self._drive("FARSTA", cid, "follow_up", target, True, 1)
        for ag in self.agreements["in_house"][:2]:
            cid = open_case(
                self.wf,
                "follow_up",
                self._actor("UTB", "enhetschef"),
                "Demo: uppföljning i egen regi",
                kind="planned_special",
                agreement_id=ag,
                plan_year=self.today.year,
                title="Korttidstillsyn i skolan, uppföljning mot uppdragsbeskrivning",
            ).case_id
            self._drive("UTB", cid, "follow_up", "assessed", True, 2)
        counts["in_house"] = 4
        return counts

    def _open(self, name: str, spec: Any, district: str, seed: int, expired: bool) -> int:
        actor = self._actor(district, "strateg")
        agreements = self.agreements[district]
        kind = spec.kinds[seed % len(spec.kinds)] if spec.kinds else None
        if spec.subject is Subject.PLACEMENT:
            placement = self.placements[district][seed % len(self.placements[district])]
            return open_case(  # as the scheduler requests deliveries: staff may not ask twice while one is open
                self.wf,
                name,
                Actor.system(self.orgs[district]),
                "Demo: begärd från utföraren",
                placement_id=placement,
                params={"due_date": (self.today + timedelta(days=10 + seed % 9)).isoformat()},
            ).case_id
        if spec.mirrors_agreement:
            ag = agreements[3] if expired else agreements[seed % 3]
            if expired:
                return open_case(
                    self.wf, name, actor, "Demo: avtalet registrerat", agreement_id=ag, title="Individavtal"
                ).case_id
            # One agreement case per agreement: use a fresh call-off for every demo agreement case.
            with self.engine.begin() as conn:
                agr_t = AGREEMENT
                src = conn.execute(select(agr_t).where(agr_t.c.id == ag)).mappings().one()
                new = new_id(
                    conn.execute(
                        insert(agr_t).values(
                            **{
                                **{k: v for k, v in src.items() if k != "id"},
                                "registry_number": self._registry(district),
                                "case_id": None,
                            }
                        )
                    )
                )
            return open_case(
                self.wf, name, actor, "Demo: avtalet registrerat", agreement_id=new, title="Avropsavtal"
            ).case_id
        title = {
            "follow_up": "Särskild uppföljning",
            "deviation": "Avvikelse i pågående insats",
            "complaint": "Klagomål på utförare",
            "rectification_request": "Begäran till leverantör",
            "call_off_suspension": "Tillfällig uteslutning från avrop",
            "control_check": "Återkommande kontroll",
            "audit_response": "Yttrande över revisionsrapport om avtalsuppföljning",
            "audit_measure": "Rutin för riskbaserat urval av utförare",
        }[name]
        if not spec.subject_required:  # audit responses and their measures are about no provider
            return open_case(self.wf, name, actor, f"Demo: {title}", kind=kind, title=title).case_id
        return open_case(
            self.wf,
            name,
            actor,
            f"Demo: {title}",
            kind=kind,
            agreement_id=agreements[seed % 3],
            title=title,
            plan_year=self.today.year if name == "follow_up" else None,
        ).case_id


def _is_expiry(spec: Any, tr: Any) -> bool:
    return any(p.on_expiry == tr.trigger and s in tr.source for s, p in spec.deadlines.items())


def load_demo(engine: Engine, clock: Callable[[], datetime] | None = None) -> dict[str, int]:
    """Load the demo municipality into an empty, migrated database."""
    return Demo(engine, clock).load()
