"""The text of every e-mail (meddelanden): what it is about, what is asked, by when, what happens if missed.

A message is written as an outbox row in the transaction that causes it, and its text is
composed when it is delivered, from the facts the row points to (``event:<id>`` for a
transition, ``deadline:<id>:<rung>`` for a reminder or escalation): the case, the provider
and agreement by name and registry number, the deadline, the rung of its ladder and the
consequence of missing it, and a link to the case page. The delivered text is stored on the
row, so the outbox keeps what was actually sent.

Templates are Jinja2 text files in ``workflow/notify/templates`` whose sentences are in the
gettext catalogue; a municipality edits them by putting its own files of the same names in
``UPPF_MESSAGE_TEMPLATES_DIR``. Messages name contract-level facts only: never a client,
never individual-level data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import Connection, select

from states.registry import CASE_TYPES
from states.spec import CaseTypeSpec
from workflow import i18n
from workflow.schema.tables import AGREEMENT, AREA, CASE, DEADLINE, EVENT
from workflow.schema.tables import PROVIDER as PROVIDER_T
from workflow.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Deadline:
    """The deadline a message is about: what is due, by when, where on its ladder, what follows."""

    kind: str
    due: date
    rung: int | None  # 1-based among the ladder's reminders and escalations; None for a transition's notice
    rungs: int
    escalates_to: tuple[str, ...]  # roles told at a later escalation rung
    on_expiry: str | None  # the trigger fired when it passes, if any
    on_expiry_dest: str | None


@dataclass(frozen=True)
class Facts:
    """Everything a message may say, read from the rows an outbox row points to."""

    kind: str  # transition | reminder | escalation
    case_id: int
    case_type: str
    status: str
    provider: str | None
    agreement: str | None
    contract_area: str | None
    trigger: str | None = None
    to_status: str | None = None
    registry_number: str | None = None
    deadline: Deadline | None = None
    link: str = ""
    params: dict[str, Any] = field(default_factory=dict)


def facts(conn: Connection, row: Any, settings: Settings) -> Facts | None:
    """The facts behind outbox ``row``, or None when it points at nothing this module knows."""
    if row.case_id is None:
        return None
    case = conn.execute(
        select(
            CASE.c.id,
            CASE.c.case_type,
            CASE.c.status,
            PROVIDER_T.c.name.label("provider"),
            AGREEMENT.c.registry_number.label("agreement"),
            AREA.c.name.label("area"),
        )
        .select_from(
            CASE.outerjoin(PROVIDER_T, PROVIDER_T.c.id == CASE.c.provider_id)
            .outerjoin(AGREEMENT, AGREEMENT.c.id == CASE.c.agreement_id)
            .outerjoin(AREA, AREA.c.id == CASE.c.contract_area_id)
        )
        .where(CASE.c.id == row.case_id)
    ).first()
    if case is None or case.case_type not in CASE_TYPES:
        return None
    spec = CASE_TYPES[case.case_type]
    base = {
        "case_id": case.id,
        "case_type": case.case_type,
        "status": case.status,
        "provider": case.provider,
        "agreement": case.agreement,
        "contract_area": case.area,
        "link": f"{settings.public_url.rstrip('/')}/arenden/{case.id}",
    }
    source, _, rest = str(row.dedupe_key).partition(":")
    if source == "event":
        event = conn.execute(
            select(EVENT.c.trigger, EVENT.c.to_status, EVENT.c.registry_number, EVENT.c.params).where(
                EVENT.c.id == int(rest)
            )
        ).first()
        if event is None:
            return None
        opened = conn.execute(
            select(DEADLINE.c.kind, DEADLINE.c.due_at)
            .where(DEADLINE.c.case_id == case.id, DEADLINE.c.state == event.to_status)
            .order_by(DEADLINE.c.id.desc())
            .limit(1)
        ).first()
        deadline = _deadline(spec, event.to_status, opened.kind, opened.due_at, None) if opened else None
        step = next((t for t in spec.transitions if t.trigger == event.trigger), None)
        return Facts(
            "transition",
            trigger=(step.label or step.trigger) if step else event.trigger,  # the catalogue's key for its label
            to_status=event.to_status,
            registry_number=event.registry_number,
            deadline=deadline,
            params=dict(event.params or {}),
            **base,
        )
    if source == "deadline":
        deadline_id, _, rung = rest.partition(":")
        d = conn.execute(
            select(DEADLINE.c.kind, DEADLINE.c.state, DEADLINE.c.due_at).where(DEADLINE.c.id == int(deadline_id))
        ).first()
        if d is None:
            return None
        return Facts(str(row.kind), deadline=_deadline(spec, d.state, d.kind, d.due_at, int(rung)), **base)
    return None


def _deadline(spec: CaseTypeSpec, state: str, kind: str, due_at: Any, rung: int | None) -> Deadline:
    policy = spec.deadlines.get(state)
    ladder = tuple(policy.ladder) if policy else ()
    later = ladder[rung + 1 :] if rung is not None else ladder
    escalates = tuple(dict.fromkeys(n for r in later if r.escalation for n in r.notify))
    expiry = policy.on_expiry if policy else None
    dest = next((t.dest for t in spec.transitions if t.trigger == expiry and state in t.source), None)
    return Deadline(
        kind,
        i18n.due_date(due_at),
        rung + 1 if rung is not None else None,
        len(ladder),
        escalates,
        expiry,
        dest,
    )


@lru_cache(maxsize=8)
def _environment(override: str | None, locale: str) -> Environment:
    loaders = [FileSystemLoader(override)] if override else []
    env = Environment(
        loader=ChoiceLoader([*loaders, FileSystemLoader(TEMPLATES)]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # plain-text mail, never rendered as HTML
    )
    catalogue = i18n.translations(locale)
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    env.policies["ext.i18n.trimmed"] = True
    env.filters["label"] = lambda code, context: i18n.label(locale, context, code)
    env.filters["day"] = lambda d: i18n.format_day(locale, d, "short")
    return env


def compose(facts_: Facts, settings: Settings, today: date) -> tuple[str, str]:
    """Subject and body of the message about ``facts_`` in the configured language."""
    env = _environment(settings.message_templates_dir, settings.mail_locale)
    days = (facts_.deadline.due - today).days if facts_.deadline else None
    values = {"f": facts_, "d": facts_.deadline, "days": days}
    subject = env.get_template(f"{facts_.kind}.subject.txt").render(values).strip()
    body = env.get_template(f"{facts_.kind}.body.txt").render(values)
    return " ".join(subject.split())[:300], body[:8000]


def compose_row(conn: Connection, row: Any, settings: Settings, today: date) -> tuple[str, str]:
    """The text to send for outbox ``row``: composed from its facts, or the text written with it."""
    found = facts(conn, row, settings)
    if found is None:
        return str(row.subject), str(row.body)
    return compose(found, settings, today)
