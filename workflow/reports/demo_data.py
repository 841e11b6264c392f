"""Report inputs for the demo municipality (demodata för rapporter), deterministic.

Follow-up owners (with deliberate gaps so the coverage check has something to flag),
individual follow-ups with answers in every district, and invoice sampling rounds.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from workflow.reports.demo_central import drive_central_year
from workflow.reports.recording import (
    ASSESSMENT_QUESTIONS,
    CLIENT_QUESTIONS,
    RATINGS,
    SampledInvoice,
    record_individual_follow_up,
    record_invoice_samples,
    set_follow_up_owner,
)
from workflow.schema.tables import AGREEMENT


def add_report_inputs(demo: Any) -> int:
    """Add the demo's report inputs and the central board's year; return how many rows and cases were added."""
    written = drive_central_year(demo)
    rng = random.Random(5)
    today = demo.today
    with demo.engine.begin() as conn:
        sn = demo.orgs["SN"]
        framework_ids = [a for ids in demo.frameworks.values() for a in ids]
        providers = sorted(
            {r[0] for r in conn.execute(select(AGREEMENT.c.provider_id).where(AGREEMENT.c.id.in_(framework_ids)))}
        )
        for i, pid in enumerate(providers):
            if i % 4 != 3:  # every fourth provider is left without an owner, for the coverage check to flag
                set_follow_up_owner(conn, sn, pid, demo.users[("SN", "strateg")], today - timedelta(days=400))
                written += 1
        in_house = sorted(demo.in_house.items())
        for name, pid in in_house[:2]:
            org = "FARSTA" if name.startswith("Farsta") else "UTB"
            set_follow_up_owner(conn, demo.orgs[org], pid, demo.users[(org, "enhetschef")], today - timedelta(days=300))
            written += 1
        weights = (1, 2, 10, 9)  # deficient … very good, roughly the pilot's spread (domain.md §4.4)
        for district in ("NORRMALM", "SODERMALM", "FARSTA"):
            for k, placement in enumerate(demo.placements[district]):
                for visit in range(2):
                    answers = None
                    if rng.random() < 0.75:
                        answers = {q: rng.choices(RATINGS, weights)[0] for q in ASSESSMENT_QUESTIONS}
                        for q in CLIENT_QUESTIONS:
                            if rng.random() < 0.45:
                                answers[q] = rng.choices(RATINGS, weights)[0]
                    record_individual_follow_up(
                        conn,
                        demo.orgs[district],
                        placement,
                        today - timedelta(days=20 + 90 * visit + 3 * k),
                        answers,
                    )
                    written += 1
        rounds = (
            ("pilot", "pilot"),
            ("special follow-up", "special_follow_up"),
            ("closed cases", "random_closed_cases"),
        )
        for r, (label, selection) in enumerate(rounds):
            invoices = []
            for i in range(20):
                ok = rng.random() < 0.85
                error = None if ok else rng.choice(("move_out_day_billed", "missing_financial_assistance_deduction"))
                invoices.append(
                    SampledInvoice(f"F{today.year}-{r + 1}-{i + 1:03d}", ok, rng.choice(framework_ids), error)
                )
            written += record_invoice_samples(
                conn, sn, f"{today.year}:{r + 1} {label}", today - timedelta(days=200 - 60 * r), selection, invoices
            )
    return written
