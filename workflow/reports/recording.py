"""Recording the report inputs that are not case state machines (registrering).

Invoice samples, individual follow-up answers (pilot model, domain.md §4.4) and the
follow-up owner of a unit. Each function validates everything before writing and
writes in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, insert, select, update

from workflow.engine.errors import InvalidInput, NotFound
from workflow.schema.db import new_id
from workflow.schema.tables import (
    AGREEMENT,
    ANSWER,
    INDIVIDUAL_FOLLOW_UP,
    OWNER,
    PLACEMENT,
    PROVIDER,
    SAMPLE,
    USER,
)

SELECTIONS = ("random_invoices", "random_closed_cases", "special_follow_up", "pilot")
INVOICE_ERRORS = (
    "move_out_day_billed",
    "missing_financial_assistance_deduction",
    "wrong_price",
    "service_not_ordered",
    "cost_responsibility",
    "other",
)
#: The pilot's questions (domain.md §4.4): client questions are voluntary, assessment questions mandatory.
CLIENT_QUESTIONS = ("C1", "C2", "C3")
ASSESSMENT_QUESTIONS = ("A1", "A2", "A3", "A4")
QUESTIONS = CLIENT_QUESTIONS + ASSESSMENT_QUESTIONS
#: Ordinal scale, worst first; the seed's full scale (its appendix 2) is not known, see domain.md §4.4.
RATINGS = ("deficient", "could_do_better", "approved", "very_good")


@dataclass(frozen=True, slots=True)
class SampledInvoice:
    """One invoice checked in a sampling round."""

    invoice_ref: str
    correct: bool
    agreement_id: int | None = None
    error_type: str | None = None


def record_invoice_samples(
    conn: Connection,
    organisation_id: int,
    round_label: str,
    sampled_on: date,
    selection: str,
    invoices: Iterable[SampledInvoice],
) -> int:
    """Store one sampling round's results; return how many invoices were stored."""
    if selection not in SELECTIONS:
        raise InvalidInput(f"selection {selection!r} is not one of: {', '.join(SELECTIONS)}")
    if not round_label.strip() or len(round_label) > 80:
        raise InvalidInput("a round needs a label of at most 80 characters")
    rows = []
    seen: set[str] = set()
    for inv in invoices:
        if not inv.invoice_ref or len(inv.invoice_ref) > 60 or inv.invoice_ref in seen:
            raise InvalidInput(f"invoice reference {inv.invoice_ref!r} is empty, too long or repeated")
        seen.add(inv.invoice_ref)
        if inv.correct and inv.error_type is not None:
            raise InvalidInput(f"invoice {inv.invoice_ref} is correct but has an error type")
        if not inv.correct and inv.error_type not in INVOICE_ERRORS:
            raise InvalidInput(f"invoice {inv.invoice_ref} needs an error type, one of: {', '.join(INVOICE_ERRORS)}")
        provider_id = None
        if inv.agreement_id is not None:
            provider_id = conn.execute(
                select(AGREEMENT.c.provider_id).where(AGREEMENT.c.id == inv.agreement_id)
            ).scalar()
            if provider_id is None:
                raise NotFound(f"agreement {inv.agreement_id} not found")
        rows.append(
            {
                "organisation_id": organisation_id,
                "round_label": round_label.strip(),
                "sampled_on": sampled_on,
                "selection": selection,
                "agreement_id": inv.agreement_id,
                "provider_id": provider_id,
                "invoice_ref": inv.invoice_ref,
                "correct": inv.correct,
                "error_type": inv.error_type,
            }
        )
    if not rows:
        raise InvalidInput("a sampling round needs at least one invoice")
    conn.execute(insert(SAMPLE), rows)
    return len(rows)


def record_individual_follow_up(
    conn: Connection,
    organisation_id: int,
    placement_id: int,
    performed_on: date,
    answers: Mapping[str, str] | None,
) -> int:
    """Store a performed individual follow-up; ``answers`` (question → rating) when it was registered.

    A registered follow-up must answer every assessment question; client questions are voluntary.
    """
    p = conn.execute(
        select(PLACEMENT.c.organisation_id, PLACEMENT.c.provider_id).where(PLACEMENT.c.id == placement_id)
    ).first()
    if p is None or p.organisation_id != organisation_id:
        raise NotFound(f"placement {placement_id} not found")
    if answers is not None:
        unknown = set(answers) - set(QUESTIONS)
        if unknown:
            raise InvalidInput(f"unknown question(s) {sorted(unknown)}; questions are {', '.join(QUESTIONS)}")
        missing = [q for q in ASSESSMENT_QUESTIONS if q not in answers]
        if missing:
            raise InvalidInput(f"the assessment questions are mandatory; missing {', '.join(missing)}")
        bad = {q: r for q, r in answers.items() if r not in RATINGS}
        if bad:
            raise InvalidInput(f"ratings must be one of {', '.join(RATINGS)}; got {bad}")
    fid = new_id(
        conn.execute(
            insert(INDIVIDUAL_FOLLOW_UP).values(
                organisation_id=organisation_id,
                placement_id=placement_id,
                provider_id=p.provider_id,
                performed_on=performed_on,
                registered=answers is not None,
            )
        )
    )
    if answers:
        conn.execute(insert(ANSWER), [{"follow_up_id": fid, "question": q, "rating": r} for q, r in answers.items()])
    return fid


def set_follow_up_owner(conn: Connection, organisation_id: int, provider_id: int, owner_id: int, since: date) -> None:
    """Make a user of the organisation responsible for following up a unit (replacing any earlier owner)."""
    owner_org = conn.execute(select(USER.c.organisation_id).where(USER.c.id == owner_id)).scalar()
    if owner_org != organisation_id:
        raise NotFound(f"user {owner_id} not found")
    if conn.execute(select(PROVIDER.c.id).where(PROVIDER.c.id == provider_id)).first() is None:
        raise NotFound(f"provider {provider_id} not found")
    where = (OWNER.c.organisation_id == organisation_id) & (OWNER.c.provider_id == provider_id)
    if conn.execute(select(OWNER.c.id).where(where)).first():
        conn.execute(update(OWNER).where(where).values(owner_id=owner_id, since=since))
    else:
        conn.execute(
            insert(OWNER).values(
                organisation_id=organisation_id, provider_id=provider_id, owner_id=owner_id, since=since
            )
        )
