"""A year of follow-up work built through the workflow, with the figures it should produce.

Every case is opened with ``open_case`` and moved with ``Workflow.fire``; the expected
counts are tallied here from the scenario's own choices, never read back from the database.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from states.registry import CASE_TYPES
from states.vocab import (
    CONTRACT_OUTCOMES,
    DEVIATION_KINDS,
    EXCLUSION_REASONS,
    FINDING_TOPICS,
    INITIATORS,
    MANDATE_OUTCOMES,
    NOT_PERFORMED_REASONS,
    TERMINATION_REASONS,
)
from tests.world import Clock, World, build_world
from workflow.cases.opening import open_case
from workflow.engine.firing import Actor
from workflow.reports.labels import MANDATE_TO_CATEGORY, label
from workflow.reports.recording import SampledInvoice, record_invoice_samples
from workflow.schema.db import new_id
from workflow.schema.tables import Agreement, ContractArea

YEAR = 2026
AREAS = ("HVB barn", "Stödboende unga", "Spelberoende")
FOLLOW_UP_PATHS = {
    "planned": [],
    "scheduled": ["schedule"],
    "in_progress": ["start"],
    "findings_recorded": ["start", "record_findings"],
    "awaiting_provider": ["start", "record_findings", "await_provider"],
    "assessed": ["start", "record_findings", "assess"],
    "closed": ["start", "record_findings", "assess", "close"],
    "not_performed": ["mark_not_performed"],
    "deferred": ["defer"],
}
PERFORMED = {"findings_recorded", "awaiting_provider", "assessed", "closed"}
ONGOING = {"planned", "scheduled", "in_progress"}
REQUEST_PATHS = {
    "approved": ["send", "answer", "approve"],
    "provider_terminated": ["send", "provider_requests_termination"],
    "escalated": ["send", "answer", "require_revision", "escalate"],
    "withdrawn": ["withdraw"],
    "open": ["send"],
}
DEVIATION_PATHS = {
    "reported": [],
    "investigating": ["investigate"],
    "handled_in_case": ["investigate", "handle_in_case"],
    "accepted": ["investigate", "require_rectification", "accept_rectification"],
    "escalated": ["investigate", "escalate"],
    "dismissed": ["dismiss"],
}
COMPLAINT_PATHS = {
    "received": [],
    "investigating": ["investigate"],
    "resolved": ["investigate", "resolve"],
    "escalated": ["investigate", "escalate"],
    "rejected": ["reject"],
}


def in_words(name: str, value: str) -> dict[str, str]:
    """The free text an ``other`` needs (annat, nämligen); nothing for any other value."""
    return {f"{name}_other": "something else, said in words"} if value == "other" else {}


@dataclass
class Expected:
    """Figures the annual and terminations reports must show for NORTH in 2026."""

    planned: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    not_performed: Counter[tuple[str, str]] = field(default_factory=Counter)
    outcomes: dict[tuple[str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    requests: dict[tuple[str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    deviations: Counter[tuple[str, str]] = field(default_factory=Counter)
    complaints: Counter[tuple[str, str]] = field(default_factory=Counter)
    exclusions: dict[tuple[str, str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    ended: list[dict[str, Any]] = field(default_factory=list)
    other_org_ended: list[str] = field(default_factory=list)
    controls: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    invoices: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


class Scenario:
    """Builds the world and drives a year of cases for the NORTH district board."""

    def __init__(self, engine: Any, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = Clock(datetime(2025, 11, 3, 9, 0, tzinfo=UTC))
        self.w: World = build_world(engine, self.clock)
        self.exp = Expected()
        self.rn = 0
        self.area_ids: dict[str, int] = {}
        self.frameworks: dict[str, int] = {}
        self.framework_rn: dict[str, str] = {}
        self.calloffs: dict[str, int] = {}
        self._reference_data()

    # --- reference data -------------------------------------------------------------------------------------------

    def _agreement(self, conn: Any, org: str, area: str, typ: str, parent: int | None, provider: str) -> int:
        self.rn += 1
        return new_id(
            conn.execute(
                insert(Agreement.__table__).values(  # type: ignore[attr-defined]
                    registry_number=f"{org[:3]}-2025-{self.rn:05d}",
                    agreement_type=typ,
                    organisation_id=self.w.orgs[org],
                    provider_id=self.w.providers[provider],
                    contract_area_id=self.area_ids[area],
                    parent_id=parent,
                    starts_on=date(2024, 1, 1),
                    ends_on=date(2028, 12, 31),
                    purchase_value_sek=2_000_000,
                )
            )
        )

    def _reference_data(self) -> None:
        with self.w.engine.begin() as conn:
            for i, name in enumerate(AREAS):
                self.area_ids[name] = new_id(
                    conn.execute(
                        insert(ContractArea.__table__).values(  # type: ignore[attr-defined]
                            code=f"area{i}", name=name, regime="LOU", organisation_id=self.w.orgs["CENTRAL"]
                        )
                    )
                )
                fw = self._agreement(conn, "CENTRAL", name, "framework_lou", None, "Acme Care AB")
                self.frameworks[name] = fw
                self.framework_rn[name] = f"CEN-2025-{self.rn:05d}"
                self.calloffs[name] = self._agreement(conn, "NORTH", name, "call_off", fw, "Acme Care AB")

    def fresh_calloff(self, org: str, area: str) -> int:
        with self.w.engine.begin() as conn:
            return self._agreement(conn, org, area, "call_off", self.frameworks[area], "Beta Stöd AB")

    # --- driving --------------------------------------------------------------------------------------------------

    def actor(self, role: str, org: str = "NORTH") -> Actor:
        return self.w.actor(org, role)

    def registry(self) -> str:
        self.rn += 1
        return f"NOR-2026-{self.rn:05d}"

    def at(self, day_of_year: int, year: int = YEAR) -> None:
        self.clock.now = datetime(year, 1, 1, 9, 0, tzinfo=UTC) + timedelta(days=day_of_year)

    def today(self) -> date:
        return self.clock.now.date()

    def fire(self, cid: int, trigger: str, role: str = "contract_strategist", org: str = "NORTH", **kw: Any) -> None:
        spec_decision = kw.pop("decision", False)
        self.w.wf.fire(
            cid,
            trigger,
            self.actor(role, org),
            f"scenario: {trigger}",
            registry_number=self.registry() if spec_decision else None,
            params=kw or None,
        )

    # --- case families --------------------------------------------------------------------------------------------

    def follow_up(
        self,
        area: str | None,
        target: str,
        *,
        in_house: bool = False,
        org: str = "NORTH",
        plan_year: int = YEAR,
        kind: str = "planned_special",
        count: bool = True,
    ) -> None:
        agreement = self.w.agreements["north_in_house"] if in_house else (self.calloffs[area] if area else None)
        provider = None if agreement else self.w.providers["Acme Care AB"]
        if org != "NORTH":
            agreement, provider = None, self.w.providers["Beta Stöd AB"]
        cid = open_case(
            self.w.wf,
            "follow_up",
            self.actor("contract_strategist", org),
            "scenario: plan",
            kind=kind,
            agreement_id=agreement,
            provider_id=provider,
            plan_year=plan_year,
        ).case_id
        outcome = None
        for trig in FOLLOW_UP_PATHS[target]:
            if trig == "schedule":
                self.fire(cid, trig, org=org, scheduled_for=(self.today() + timedelta(days=7)).isoformat())
            elif trig == "record_findings":
                topic = self.rng.choice(FINDING_TOPICS)
                self.fire(cid, trig, org=org, topic=topic, **in_words("topic", topic))
            elif trig == "await_provider":
                self.fire(cid, trig, org=org, decision=True)
                if count:  # a supplementation asked for inside the follow-up, still awaited
                    c = self.exp.requests[(self._area_label(area, in_house), "supplementation (in a follow-up)")]
                    c["sent"] += 1
                    c["open"] += 1
            elif trig == "assess":
                outcome = self.rng.choice(MANDATE_OUTCOMES if in_house else CONTRACT_OUTCOMES)
                self.fire(cid, trig, org=org, outcome=outcome)
            elif trig == "mark_not_performed":
                reasons = sorted(self.rng.sample(NOT_PERFORMED_REASONS, self.rng.choice((1, 1, 2))))
                other = {"not_performed_reasons_other": "the owner fell ill"} if "other" in reasons else {}
                self.fire(cid, trig, org=org, not_performed_reasons=reasons, **other)
                if count:  # counted once under each of its reasons
                    for reason in reasons:
                        self.exp.not_performed[(self._area_label(area, in_house), label(reason))] += 1
            elif trig == "defer":
                self.fire(cid, trig, org=org, deferred_to_year=self.today().year + 1)
            else:
                self.fire(cid, trig, org=org)
        if not count:
            return
        c = self.exp.planned[self._area_label(area, in_house)]
        c["planned"] += 1
        c["performed" if target in PERFORMED else "ongoing" if target in ONGOING else target] += 1
        if outcome is not None:
            against = "service mandate" if in_house else "contract"
            self.exp.outcomes[(self._area_label(area, in_house), against)][
                MANDATE_TO_CATEGORY.get(outcome, outcome)
            ] += 1

    def _area_label(self, area: str | None, in_house: bool) -> str:
        if in_house:
            return "HVB barn (in-house, service mandate)"  # the world's in-house mandate sits in its HVB area
        return area or "(no contract area)"

    def request(self, area: str, kind: str, target: str, count: bool = True) -> None:
        cid = open_case(
            self.w.wf,
            "rectification_request",
            self.actor("contract_strategist"),
            "scenario: request",
            kind=kind,
            agreement_id=self.calloffs[area],
        ).case_id
        for trig in REQUEST_PATHS[target]:
            if trig in ("send", "require_revision"):
                due = (self.today() + timedelta(days=20)).isoformat()
                self.fire(cid, trig, response_due=due, decision=trig == "send")
            else:
                self.fire(cid, trig)
        if count:
            c = self.exp.requests[(area, kind)]
            c["sent"] += 1
            c[target] += 1

    def deviation(self, area: str, target: str, count: bool = True) -> None:
        kind = self.rng.choice(DEVIATION_KINDS)
        cid = open_case(
            self.w.wf,
            "deviation",
            self.actor("social_worker"),
            "scenario: deviation",
            kind=kind,
            agreement_id=self.calloffs[area],
        ).case_id
        topic = None
        for trig in DEVIATION_PATHS[target]:
            if trig == "investigate":
                topic = self.rng.choice(FINDING_TOPICS)
                self.fire(cid, trig, topic=topic, **in_words("topic", topic))
            elif trig == "require_rectification":
                self.fire(cid, trig, decision=True, response_due=(self.today() + timedelta(days=10)).isoformat())
            else:
                self.fire(cid, trig)
        if count:
            self.exp.deviations[(label(kind), label(topic) if topic else "(not yet classified)")] += 1
            if target == "accepted":  # a remedy asked for inside the deviation, accepted
                c = self.exp.requests[(area, "remedy (in a deviation)")]
                c["sent"] += 1
                c["approved"] += 1

    def complaint(self, area: str, target: str, count: bool = True) -> None:
        kind = self.rng.choice(CASE_TYPES["complaint"].kinds)
        cid = open_case(
            self.w.wf,
            "complaint",
            self.actor("social_worker"),
            "scenario: complaint",
            kind=kind,
            agreement_id=self.calloffs[area],
        ).case_id
        topic = None
        for trig in COMPLAINT_PATHS[target]:
            if trig == "investigate":
                topic = self.rng.choice(FINDING_TOPICS)
                self.fire(cid, trig, topic=topic, **in_words("topic", topic))
            else:
                self.fire(cid, trig)
        if count:
            self.exp.complaints[(label(kind), label(topic) if topic else "(not yet classified)")] += 1

    def exclusion(self, area: str, target: str, count: bool = True) -> None:
        reason = self.rng.choice(EXCLUSION_REASONS)
        cid = open_case(
            self.w.wf,
            "call_off_suspension",
            self.actor("contract_strategist"),
            "scenario: exclusion",
            agreement_id=self.calloffs[area],
        ).case_id
        if target == "rejected":
            self.fire(cid, "reject")
            return
        self.fire(
            cid,
            "decide",
            "department_head",
            decision=True,
            reason_code=reason,
            evidence="IVO decision",
            **in_words("reason_code", reason),
        )
        key = (self.framework_rn[area], area, label(reason))
        if count:
            self.exp.exclusions[key]["exclusions"] += 1
        if target == "prolonged":
            self.fire(cid, "review")
            self.fire(cid, "prolong", "department_head", decision=True, evidence="still no permit")
            if count:
                self.exp.exclusions[key]["prolonged"] += 1
        elif target == "lifted":
            self.fire(cid, "lift", "department_head", decision=True)

    def end_agreement(self, area: str, measure: str, org: str = "NORTH", count: bool = True) -> None:
        ag = self.fresh_calloff(org, area)
        cid = open_case(
            self.w.wf, "agreement", self.actor("contract_strategist", org), "scenario: register", agreement_id=ag
        ).case_id
        rn = self.registry()
        if measure == "terminated":
            reason = self.rng.choice(TERMINATION_REASONS)
            initiator = self.rng.choice(INITIATORS)  # "not_stated" where the source does not say
            self.w.wf.fire(
                cid,
                "terminate",
                self.actor("board", org),
                "scenario: terminate",
                registry_number=rn,
                params={"termination_reason": reason, "initiator": initiator, **in_words("termination_reason", reason)},
            )
        else:
            reason, initiator = self.rng.choice(("permit_not_applied", "serious_breach")), "municipality"
            self.w.wf.fire(
                cid,
                "rescind",
                self.actor("board", org),
                "scenario: rescind",
                registry_number=rn,
                params={"rescission_ground": reason, "initiator": initiator},
            )
        if not count:
            if org != "NORTH":
                self.exp.other_org_ended.append(rn)
            return
        self.exp.ended.append(
            {
                "date": self.today(),
                "measure_code": measure,
                "area": area,
                "reason": label(reason),
                "initiator": label(initiator),
                "registry_number": rn,
                "framework": self.framework_rn[area],
            }
        )

    def control(self, kind: str, target: str) -> None:
        cid = open_case(
            self.w.wf,
            "control_check",
            self.actor("contract_strategist"),
            "scenario: control",
            kind=kind,
            provider_id=self.w.providers["Acme Care AB"],
        ).case_id
        if target == "no_remarks":
            self.fire(cid, "record_no_remarks", outcome="no_remarks")
        elif target == "remarks":
            self.fire(cid, "record_remarks", outcome="remarks")
        elif target == "cancelled":
            self.fire(cid, "cancel")
        self.exp.controls[(kind, self.today().strftime("%Y-%m"), target)] += 1


def build_year(engine: Any, seed: int) -> Scenario:
    """Drive the whole scenario: noise before and after the year, in other boards, and the year itself."""
    s = Scenario(engine, seed)
    rng = s.rng
    # Noise that must not count: last year's plan and decisions, and another board's work this year.
    s.at(300, 2025)
    s.follow_up(AREAS[0], "closed", plan_year=2025, count=False)
    s.follow_up(AREAS[1], "not_performed", plan_year=2025, count=False)
    s.request(AREAS[0], "supplementation", "approved", count=False)
    s.deviation(AREAS[1], "handled_in_case", count=False)
    s.end_agreement(AREAS[0], "terminated", count=False)
    s.at(10)
    s.follow_up(None, "assessed", org="SOUTH", count=False)
    s.end_agreement(AREAS[2], "rescinded", org="SOUTH", count=False)
    s.follow_up(AREAS[0], "closed", kind="event_driven", count=False)  # event-driven: not a planned follow-up
    # The year itself.
    day = 5
    for _ in range(40):
        s.at(day)
        area = rng.choice((*AREAS, None))
        target = rng.choice(list(FOLLOW_UP_PATHS))
        s.follow_up(area, target)
        day += rng.randint(1, 7)
    for target in ("assessed", "closed", "not_performed", "planned"):
        s.follow_up(None, target, in_house=True)
    for _ in range(12):
        s.request(rng.choice(AREAS), rng.choice(("supplementation", "rectification")), rng.choice(list(REQUEST_PATHS)))
    for _ in range(15):
        s.deviation(rng.choice(AREAS), rng.choice(list(DEVIATION_PATHS)))
    for _ in range(8):
        s.complaint(rng.choice(AREAS), rng.choice(list(COMPLAINT_PATHS)))
    for _ in range(7):
        s.exclusion(rng.choice(AREAS), rng.choice(("active", "prolonged", "lifted", "rejected")))
    for _ in range(5):
        s.at(day)
        s.end_agreement(rng.choice(AREAS), rng.choice(("terminated", "rescinded")))
        day += rng.randint(1, 20)
    if "control_check" in CASE_TYPES:
        for month_day in (40, 200):
            s.at(month_day)
            for kind in ("ivo_check", "criminal_record_check"):
                for _ in range(3):
                    s.control(kind, rng.choice(("no_remarks", "remarks", "cancelled", "open")))
    with engine.begin() as conn:
        for rnd, selection in (("2026:1 pilot", "pilot"), ("2026:2 closed cases", "random_closed_cases")):
            invoices = []
            for i in range(20):
                ok = rng.random() < 0.8
                err = None if ok else rng.choice(("move_out_day_billed", "wrong_price"))
                invoices.append(SampledInvoice(f"{rnd[:6]}-{i}", ok, s.calloffs[AREAS[0]], err))
                s.exp.invoices[rnd]["sampled"] += 1
                if not ok:
                    s.exp.invoices[rnd]["errors"] += 1
                    s.exp.invoices[rnd][err or ""] += 1
            record_invoice_samples(conn, s.w.orgs["NORTH"], rnd, date(2026, 4, 1), selection, invoices)
        record_invoice_samples(
            conn,
            s.w.orgs["NORTH"],
            "2025:3",
            date(2025, 10, 1),
            "pilot",
            [SampledInvoice("old-1", False, None, "other")],
        )
    s.at(364)
    return s
