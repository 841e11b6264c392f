"""A whole earlier year recorded after the fact reproduces that year's reports, figure by figure (issue 13).

The year 2025 of the NORTH board is entered through the commands (``OpenCase``/``FireTrigger`` run by the
composition root), each step dated when it happened (``occurred_on``) and recorded some days later, some
months later with a late-entry reason, board decisions a week after the meeting. The delegation order
changed on 2026-01-01; the decisions keep the order in force on their own date. Agreements are suspended,
reinstated, suspended again for another reason, then terminated or rescinded. The expected figures are
counted here from the ledger of what was entered, never read back from the database.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from states.vocab import (
    CONTRACT_OUTCOMES,
    DEVIATION_KINDS,
    EXCLUSION_REASONS,
    FINDING_TOPICS,
    NOT_PERFORMED_REASONS,
    RESCISSION_GROUNDS,
    TERMINATION_REASONS,
)
from tests.report_scenario import AREAS, Scenario
from workflow.bootstrap import Application
from workflow.engine.audit import verify
from workflow.engine.commands import FireTrigger, OpenCase
from workflow.engine.uow import UnitOfWork
from workflow.reports.catalogue import build_report
from workflow.reports.labels import MANDATE_TO_CATEGORY, label
from workflow.schema.tables import CASE, DECISION, EVENT
from workflow.settings import get_settings

pytestmark = pytest.mark.integration

YEAR = 2025
INITIATORS = ("municipality", "provider", "mutual")


@dataclass
class Step:
    """One thing that happened: on ``day``, to the ``case`` (index in the plan), recorded ``lag`` days later."""

    case: int
    day: date
    lag: int
    trigger: str  # "open" opens the case
    role: str = "contract_strategist"
    params: dict[str, Any] = field(default_factory=dict)
    decision: bool = False
    open_kw: dict[str, Any] = field(default_factory=dict)
    recorded: datetime | None = None


@dataclass
class Ledger:
    """What was entered, as the test itself keeps it."""

    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    deviations: list[tuple[date, str, str | None]] = field(default_factory=list)
    # (decision date, measure, reason code, initiator, framework rn, area, provider, order version)
    decisions: list[tuple[date, str, str, str | None, str, str, str, str]] = field(default_factory=list)


class History:
    """Plans a year of casework for NORTH, then records it through the application in order of recording."""

    def __init__(self, engine: Engine, seed: int) -> None:
        self.s = Scenario(engine, seed)
        self.rng = random.Random(seed)
        self.w = self.s.w
        self.ledger = Ledger()
        self.plans: list[list[Step]] = []
        self.rn = 0
        self.app = Application(get_settings(), engine, self.w.clock, UnitOfWork(engine, self.w.clock))

    # --- planning ---------------------------------------------------------------------------------------------

    def day(self, lo: int, hi: int) -> date:
        return date(YEAR, 1, 1) + timedelta(days=self.rng.randint(lo, hi))

    def lag(self) -> int:
        return self.rng.choice((0, 1, 2, 5, 9, 14, 45, 120))

    def case(self, steps: list[Step]) -> None:
        index = len(self.plans)
        for s in steps:
            s.case = index
        self.plans.append(steps)

    def follow_up(self, area: str) -> None:
        target = self.rng.choice(("closed", "assessed", "not_performed", "deferred", "scheduled", "in_progress"))
        d = self.day(0, 40)
        steps = [
            Step(
                0,
                d,
                self.lag(),
                "open",
                open_kw={"kind": "planned_special", "agreement_id": self.s.calloffs[area], "plan_year": YEAR},
            )
        ]
        outcome = reason = None
        if target in ("closed", "assessed", "scheduled", "in_progress"):
            d += timedelta(days=self.rng.randint(0, 60))
            steps.append(Step(0, d, self.lag(), "schedule", params={"scheduled_for": (d + timedelta(days=20))}))
        if target in ("closed", "assessed", "in_progress"):
            d += timedelta(days=20)
            steps.append(Step(0, d, self.lag(), "start"))
        if target in ("closed", "assessed"):
            d += timedelta(days=self.rng.randint(1, 30))
            steps.append(Step(0, d, self.lag(), "record_findings", params={"topic": self.rng.choice(FINDING_TOPICS)}))
            d += timedelta(days=self.rng.randint(1, 30))
            outcome = self.rng.choice(CONTRACT_OUTCOMES)
            steps.append(Step(0, d, self.lag(), "assess", params={"outcome": outcome}))
        if target == "closed":
            d += timedelta(days=self.rng.randint(0, 20))
            steps.append(Step(0, d, self.lag(), "close"))
        if target == "not_performed":
            d += timedelta(days=self.rng.randint(30, 200))
            reason = self.rng.choice(NOT_PERFORMED_REASONS)
            steps.append(Step(0, d, self.lag(), "mark_not_performed", params={"not_performed_reason": reason}))
        if target == "deferred":
            d += timedelta(days=self.rng.randint(30, 200))
            steps.append(Step(0, d, self.lag(), "defer", params={"deferred_to_year": YEAR + 1}))
        self.case(steps)
        self.ledger.follow_ups.append({"area": area, "target": target, "outcome": outcome, "reason": reason})

    def deviation(self, area: str, opened: date) -> None:
        kind = self.rng.choice(DEVIATION_KINDS)
        steps = [Step(0, opened, self.lag(), "open", role="social_worker", open_kw={"kind": kind, "agreement_id": 0})]
        steps[0].open_kw["agreement_id"] = self.s.calloffs[area]
        topic = None
        if self.rng.random() < 0.6:
            topic = self.rng.choice(FINDING_TOPICS)
            steps.append(Step(0, opened + timedelta(days=3), self.lag(), "investigate", params={"topic": topic}))
        self.case(steps)
        self.ledger.deviations.append((opened, kind, topic))

    def exclusion_case(self, area: str, decided: date) -> None:
        """A temporary exclusion from call-offs decided, reviewed, prolonged (under its own reason) and lifted."""
        reason = self.rng.choice(EXCLUSION_REASONS)
        steps = [Step(0, decided - timedelta(days=2), self.lag(), "open", open_kw={"agreement_id": 0})]
        steps[0].open_kw["agreement_id"] = self.s.calloffs[area]
        steps.append(
            Step(0, decided, self.lag(), "decide", "director", {"reason_code": reason, "evidence": "IVO"}, True)
        )
        self._ledger_decision(decided, "exclusion", reason, None, area, "Acme Care AB")
        prolonged = decided + timedelta(days=self.rng.randint(20, 50))
        steps.append(Step(0, prolonged - timedelta(days=1), self.lag(), "review"))
        steps.append(Step(0, prolonged, self.lag(), "prolong", "director", {"evidence": "still"}, True))
        self._ledger_decision(prolonged, "prolonged", reason, None, area, "Acme Care AB")
        steps.append(Step(0, prolonged + timedelta(days=10), self.lag(), "lift", "director", {}, True))
        self.case(steps)

    def agreement_case(self, area: str, first: date, ending: str | None, gap: int = 30) -> None:
        """An agreement suspended, reinstated, suspended again for another reason, then ended by the board."""
        agreement = self.s.fresh_calloff("NORTH", area)
        r1, r2 = self.rng.sample(EXCLUSION_REASONS, 2)
        d = first
        steps = [Step(0, d - timedelta(days=5), self.lag(), "open", open_kw={"agreement_id": agreement})]
        steps.append(Step(0, d, self.lag(), "suspend", "director", {"reason_code": r1, "evidence": "e1"}, True))
        self._ledger_decision(d, "exclusion", r1, None, area, "Beta Stöd AB")
        d += timedelta(days=gap)
        steps.append(Step(0, d, self.lag(), "reinstate", "director", {}, True))
        d += timedelta(days=gap)
        steps.append(Step(0, d, self.lag(), "suspend", "director", {"reason_code": r2, "evidence": "e2"}, True))
        self._ledger_decision(d, "exclusion", r2, None, area, "Beta Stöd AB")
        if ending is not None:
            d += timedelta(days=gap)  # the board's meeting; its secretary records the decision a week later
            initiator = self.rng.choice(INITIATORS)
            if ending == "terminated":
                reason = self.rng.choice(TERMINATION_REASONS)
                params = {"termination_reason": reason, "initiator": initiator}
            else:
                reason = self.rng.choice(RESCISSION_GROUNDS)
                params = {"rescission_ground": reason, "initiator": initiator}
            trigger = "terminate" if ending == "terminated" else "rescind"
            steps.append(Step(0, d, 7, trigger, "board", params, True))
            self._ledger_decision(d, ending, reason, initiator, area, "Beta Stöd AB")
        self.case(steps)

    def _ledger_decision(
        self, day: date, measure: str, reason: str, initiator: str | None, area: str, provider: str
    ) -> None:
        order = "2025-1" if day.year == 2025 else "2026-1"
        self.ledger.decisions.append(
            (day, measure, reason, initiator, self.s.framework_rn[area], area, provider, order)
        )

    def plan(self) -> None:
        for _ in range(24):
            self.follow_up(self.rng.choice(AREAS))
        for _ in range(14):
            self.deviation(self.rng.choice(AREAS), self.day(0, 363))
        self.deviation(AREAS[0], date(2024, 12, 30))  # before the year: not counted
        for _ in range(6):
            self.exclusion_case(self.rng.choice(AREAS), self.day(10, 280))
        for n in range(12):
            self.agreement_case(self.rng.choice(AREAS), self.day(5, 150), ("terminated", "rescinded", None)[n % 3])
        # On the year's edges: decided at the first days of the year, and by a board meeting of 2025-12-29
        # recorded in 2026 under the order adopted for 2026 (counted in 2025, under the order of 2025).
        self.agreement_case(AREAS[1], date(2025, 1, 3), "terminated", gap=13)
        self.agreement_case(AREAS[2], date(2025, 9, 30), "rescinded", gap=30)
        # A board meeting of 2026-01-10: outside the year, under the order adopted for 2026.
        self.agreement_case(AREAS[0], date(2025, 11, 20), "terminated", gap=17)

    # --- recording --------------------------------------------------------------------------------------------

    def record(self) -> int:
        """Every step through the application, in the order it was recorded; how many were late entries."""
        steps = []
        for plan in self.plans:
            last = None
            for s in plan:
                at = datetime.combine(s.day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9, days=s.lag)
                s.recorded = at if last is None or at > last else last + timedelta(minutes=1)
                last = s.recorded
                steps.append(s)
        steps.sort(key=lambda s: (s.recorded, s.case))
        ids: dict[int, int] = {}
        late = 0
        for s in steps:
            assert s.recorded is not None
            self.w.clock.now = s.recorded
            is_late = (s.recorded.date() - s.day).days > get_settings().late_entry_days
            late += is_late
            why = "Registrerat i efterhand från pappersakten" if is_late else None
            actor = self.w.actor("NORTH", s.role)
            if s.trigger == "open":
                case_type = self._case_type(s)
                cmd: Any = OpenCase(
                    case_type, "history", occurred_on=s.day, late_reason=why, **self._open_kw(case_type, s)
                )
                ids[s.case] = self.app.execute(cmd, actor).case_id
                continue
            self.rn += 1
            self.app.execute(
                FireTrigger(
                    ids[s.case],
                    s.trigger,
                    f"history: {s.trigger}",
                    registry_number=f"NOR-{s.day.year}-{self.rn:05d}" if s.decision else None,
                    params=_with_other_text(s.params) or None,
                    occurred_on=s.day,
                    late_reason=why,
                ),
                actor,
            )
        return late

    def _case_type(self, s: Step) -> str:
        plan = self.plans[s.case]
        triggers = {p.trigger for p in plan}
        if "plan_year" in s.open_kw:
            return "follow_up"
        if "kind" in s.open_kw:
            return "deviation"
        if triggers & {"decide", "prolong"}:
            return "call_off_suspension"
        return "agreement"

    @staticmethod
    def _open_kw(case_type: str, s: Step) -> dict[str, Any]:
        return dict(s.open_kw)


# --- expected figures from the ledger -----------------------------------------------------------------------------

PERFORMED = {"closed", "assessed"}
ONGOING = {"scheduled", "in_progress"}


def _expected_planned(ledger: Ledger) -> list[dict[str, Any]]:
    acc: dict[str, Counter[str]] = defaultdict(Counter)
    for f in ledger.follow_ups:
        c = acc[f["area"]]
        c["planned"] += 1
        c["performed" if f["target"] in PERFORMED else "ongoing" if f["target"] in ONGOING else f["target"]] += 1
    return [
        {k: acc[a][k] for k in ("planned", "performed", "ongoing", "deferred", "not_performed")} | {"area": a}
        for a in sorted(acc)
    ]


def _in_year(day: date) -> bool:
    return day.year == YEAR


@pytest.fixture
def history(engine: Engine) -> History:
    h = History(engine, 13)
    h.plan()
    h.late = h.record()  # type: ignore[attr-defined]
    h.w.clock.now = datetime(2026, 2, 16, 9, 0, tzinfo=UTC)
    return h


def _report(engine: Engine, name: str, org: int) -> Any:
    with engine.connect() as conn:
        return build_report(conn, name, org, date(YEAR, 1, 1), date(YEAR, 12, 31), None)


def test_a_year_recorded_after_the_fact_reproduces_the_annual_report_figure_by_figure(
    engine: Engine, history: History
) -> None:
    led = history.ledger
    report = _report(engine, "annual", history.w.orgs["NORTH"])

    planned = {r["area"]: r for r in report.table("planned_vs_performed").rows if r["area"] != "Total"}
    for want in _expected_planned(led):
        got = planned.pop(want["area"])
        assert {k: got[k] for k in want} == want
    assert planned == {}

    not_performed = Counter((f["area"], label(f["reason"])) for f in led.follow_ups if f["target"] == "not_performed")
    got_np = {(r["area"], r["reason"]): r["count"] for r in report.table("not_performed_reasons").rows}
    assert got_np == dict(not_performed)

    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for f in led.follow_ups:
        if f["outcome"]:
            outcomes[f["area"]][MANDATE_TO_CATEGORY.get(f["outcome"], f["outcome"])] += 1
    got_out = {r["area"]: r for r in report.table("outcomes").rows}
    assert set(got_out) == set(outcomes)
    for area, c in outcomes.items():
        assert got_out[area]["n"] == sum(c.values())
        for category, n in c.items():
            assert got_out[area][category] == n

    deviations = Counter(
        (label(kind), label(topic) if topic else "(not yet classified)")
        for day, kind, topic in led.deviations
        if _in_year(day)
    )
    got_dev = {(r["kind"], r["topic"]): r["count"] for r in report.table("deviations").rows}
    assert got_dev == dict(deviations)

    exclusions: dict[tuple[str, str, str], dict[str, Any]] = {}
    for day, measure, reason, _i, fw, area, provider, _o in led.decisions:
        if measure in ("exclusion", "prolonged") and _in_year(day):
            e = exclusions.setdefault((fw, area, label(reason)), {"exclusions": 0, "prolonged": 0, "p": set()})
            e["exclusions" if measure == "exclusion" else "prolonged"] += 1
            e["p"].add(provider)
    got_ex = {
        (r["framework"], r["area"], r["reason"]): (r["exclusions"], r["prolonged"], r["providers"])
        for r in report.table("exclusions").rows
    }
    assert got_ex == {k: (v["exclusions"], v["prolonged"], len(v["p"])) for k, v in exclusions.items()}

    ended: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    for day, measure, reason, _i, fw, area, _p, _o in led.decisions:
        if measure in ("terminated", "rescinded") and _in_year(day):
            ended[(fw, area, label(reason))][measure] += 1
    got_end = {
        (r["framework"], r["area"], r["reason"]): {"terminated": r["terminated"], "rescinded": r["rescinded"]}
        for r in report.table("terminations_by_framework").rows
    }
    assert got_end == {k: {"terminated": c["terminated"], "rescinded": c["rescinded"]} for k, c in ended.items()}
    assert history.late > 10  # type: ignore[attr-defined]  # the scenario did exercise late entries


def test_a_year_recorded_after_the_fact_reproduces_the_terminated_agreements_report(
    engine: Engine, history: History
) -> None:
    report = _report(engine, "terminations", history.w.orgs["NORTH"])
    want = sorted(
        (day, measure, label(reason), label(initiator), fw, area, f"The board itself (delegation order {order}")
        for day, measure, reason, initiator, fw, area, _p, order in history.ledger.decisions
        if measure in ("terminated", "rescinded") and _in_year(day)
    )
    got = sorted(
        (
            r["date"],
            "terminated" if r["measure"].startswith("Termination") else "rescinded",
            r["reason"],
            r["initiator"],
            r["framework"],
            r["area"],
            r["mandate"].split(" item")[0],
        )
        for r in report.table("ended_agreements").rows
    )
    assert got == want
    assert any(d == date(2025, 12, 29) for d, *_ in got)  # decided in 2025, recorded in 2026: counted in 2025
    by_reason = {r["reason"]: (r["terminations"], r["rescissions"]) for r in report.table("by_reason").rows}
    expected = Counter((w[2], w[1]) for w in want)
    assert by_reason == {
        reason: (expected[(reason, "terminated")], expected[(reason, "rescinded")]) for reason, _ in expected
    }


def test_every_decision_of_the_recorded_year_keeps_its_own_date_reason_and_order(
    engine: Engine, history: History
) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            select(DECISION.c.decided_on, DECISION.c.decided_at, DECISION.c.reason_code, DECISION.c.rule_ref)
            .where(DECISION.c.decision_kind.in_(("temporary_exclusion", "terminate_agreement", "rescind_agreement")))
            .order_by(DECISION.c.id)
        ).all()
        events = conn.execute(select(EVENT.c.occurred_on, EVENT.c.late_entry, EVENT.c.late_reason)).all()
        cases = conn.execute(select(CASE.c.opened_on, CASE.c.last_occurred_on)).all()
        assert verify(conn) == []
    got = Counter((r.decided_on, r.reason_code) for r in rows)
    want = Counter((day, reason) for day, measure, reason, *_ in history.ledger.decisions)
    assert got == want
    assert any(r.decided_at.date() > r.decided_on for r in rows)  # recorded after the decision date
    late = [e for e in events if e.late_entry]
    assert len(late) == history.late  # type: ignore[attr-defined]
    assert all(e.late_reason == "Registrerat i efterhand från pappersakten" for e in late)
    assert all(c.opened_on <= c.last_occurred_on for c in cases)


def test_the_decisions_under_delegation_of_the_recorded_year_are_listed_by_their_decision_date(
    engine: Engine, history: History
) -> None:
    report = _report(engine, "decisions", history.w.orgs["NORTH"])
    want = sorted(
        (s.day, f"2025-1 item {'4.3' if s.trigger in ('decide', 'prolong', 'suspend') else '4.4'}")
        for plan in history.plans
        for s in plan
        if s.decision and s.role != "board" and _in_year(s.day)
    )
    got = sorted((r["date"], r["mandate"]) for r in report.table("decisions").rows)
    assert got == want


def _with_other_text(params: dict[str, Any]) -> dict[str, Any]:
    """The step's parameters as the API takes them; a value "other" comes with its required free text."""
    out = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    for name, value in list(out.items()):
        if value == "other" or (isinstance(value, list) and "other" in value):
            out[f"{name}_other"] = "Annat skäl enligt pappersakten"
    return out
