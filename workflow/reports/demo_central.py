"""The central board's own year for the demo (centrala uppföljningar), driven through the workflow.

A special follow-up of every framework agreement under this year's plan, with the
supplementation requests, exclusions, a termination and a rescission that such a year
brings, so that the central board's annual report and plan have something to show.
Deterministic: a seeded generator and the demo's clock.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from states.vocab import CONTRACT_OUTCOMES, FINDING_TOPICS
from workflow.cases.opening import open_case

OUTCOME_WEIGHTS = (50, 35, 10, 5)  # roughly Stockholm 2023 (domain.md §5.2)
TARGETS = ("closed", "closed", "closed", "assessed", "not_performed", "scheduled", "in_progress")


def drive_central_year(demo: Any) -> int:
    """Open and move the central board's cases; return how many cases were opened."""
    rng = random.Random(11)
    wf, year, today = demo.wf, demo.today.year, demo.today
    strateg, head, board = (demo._actor("SN", s) for s in ("strateg", "avdelningschef", "ordforande"))
    opened = 0

    def fire(cid: int, trigger: str, actor: Any = strateg, decision: bool = False, **params: Any) -> None:
        wf.fire(
            cid,
            trigger,
            actor,
            f"Demo: {trigger}",
            registry_number=demo._registry("SN") if decision else None,
            params=params or None,
        )

    for area in sorted(demo.frameworks):
        for fw in demo.frameworks[area]:
            target = rng.choice(TARGETS)
            cid = open_case(
                wf,
                "follow_up",
                strateg,
                "Demo: plan för uppföljning",
                kind="planned_special",
                agreement_id=fw,
                plan_year=year,
                title="Särskild uppföljning av ramavtal",
            ).case_id
            opened += 1
            if target == "not_performed":
                if rng.choice(("terminated_before", "other")) == "terminated_before":
                    fire(cid, "mark_not_performed", not_performed_reasons=["terminated_before"])
                else:
                    fire(
                        cid,
                        "mark_not_performed",
                        not_performed_reasons=["provider_cancelled_visit", "other"],
                        not_performed_reasons_other="Avtalet förnyades inte",
                    )
                continue
            if target == "scheduled":
                fire(cid, "schedule", scheduled_for=(today + timedelta(days=14)).isoformat())
                continue
            fire(cid, "start")
            if target == "in_progress":
                continue
            topic = rng.choice(FINDING_TOPICS)
            fire(cid, "record_findings", topic=topic, **_in_words("topic", topic))
            outcome = rng.choices(CONTRACT_OUTCOMES, OUTCOME_WEIGHTS)[0]
            if outcome != "compliant":
                kind = "rectification" if outcome == "non_compliant" else "supplementation"
                req = open_case(
                    wf,
                    "rectification_request",
                    strateg,
                    "Demo: brister",
                    kind=kind,
                    agreement_id=fw,
                    parent_case_id=cid,
                    title="Begäran till leverantör",
                ).case_id
                opened += 1
                fire(req, "send", decision=True, response_due=(today + timedelta(days=30)).isoformat())
                fire(req, "answer")
                fire(req, "approve")
            fire(cid, "assess", outcome=outcome)
            if target == "closed":
                fire(cid, "close")
    reasons = ("ivo_report_back", "dormant", "credit_remark")
    for i, area in enumerate(("hvb_children", "youth_supported_housing", "adult_addiction_care")):
        cid = open_case(
            wf, "call_off_suspension", strateg, "Demo: signal om brister", agreement_id=demo.frameworks[area][i]
        ).case_id
        opened += 1
        fire(cid, "decide", head, True, reason_code=reasons[i], evidence="IVO-beslut och kreditupplysning")
    for fw, trigger, params in (
        (demo.frameworks["protected_housing"][0], "rescind", {"rescission_ground": "permit_not_applied"}),
        (
            demo.frameworks["protected_housing"][1],
            "terminate",
            {"termination_reason": "mutual_agreement", "initiator": "mutual"},
        ),
    ):
        cid = open_case(wf, "agreement", strateg, "Demo: ramavtal", agreement_id=fw).case_id
        opened += 1
        fire(cid, trigger, board, True, **params)
    for kind, topic in (("credit_signal", "economic_administrative"), ("reported_to_ivo", "staffing_competence")):
        cid = open_case(
            wf, "deviation", strateg, "Demo: avvikelse", kind=kind, agreement_id=demo.frameworks["hvb_children"][0]
        ).case_id
        opened += 1
        fire(cid, "investigate", topic=topic)
    return opened


def _in_words(name: str, value: str) -> dict[str, Any]:
    """The free text an ``other`` needs (annat, nämligen); nothing for any other value."""
    return {f"{name}_other": "Brister i samverkan med socialtjänsten"} if value == "other" else {}
