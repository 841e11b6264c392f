"""The command that moves a case (FireTrigger) and the one that opens it (OpenCase).

One transaction per command: compare-and-set on the case's id, version and status,
guards, the delegation-order check, the new status, one audit event, deadlines
closed and opened, a decision record and outbox messages. Every refusal is raised
before anything is written and says which rule refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, bindparam, select

from states.guards import GUARDS
from states.registry import CASE_TYPES
from states.roles import STAFF_ROLES
from states.spec import CaseTypeSpec, DeadlinePolicy, Transition
from workflow.clock import utcnow
from workflow.deadlines import next_due
from workflow.deadlines import rules as deadlines
from workflow.deadlines.calendar import end_of_day, local_date
from workflow.engine import params as params_mod
from workflow.engine import writers as hotpath
from workflow.engine.audit import chained
from workflow.engine.delegation import Mandate, find_mandate
from workflow.engine.errors import (
    Conflict,
    EventDateRefused,
    GuardFailed,
    InHouseRefused,
    InvalidInput,
    NoMandate,
    NotFound,
    NotPermitted,
    UnknownTrigger,
    WrongState,
)
from workflow.engine.guards import GUARD_IMPLS, GuardContext
from workflow.engine.machines import MACHINES
from workflow.engine.uow import UnitOfWork
from workflow.schema.db import read
from workflow.schema.tables import (
    CASE,
)
from workflow.settings import get_settings

log = structlog.get_logger("workflow.engine.firing")


REGISTRY_NUMBER = re.compile(r"^[0-9A-Za-zÅÄÖåäö][0-9A-Za-zÅÄÖåäö.\-/ ]{2,39}$")
SYSTEM_ROLE = "system"

_SELECT_CASE = select(
    CASE.c.id,
    CASE.c.case_type,
    CASE.c.kind,
    CASE.c.status,
    CASE.c.version,
    CASE.c.organisation_id,
    CASE.c.in_house,
    CASE.c.attributes,
    CASE.c.agreement_id,
    CASE.c.owner_id,
    CASE.c.provider_id,
    CASE.c.opened_on,
    CASE.c.last_occurred_on,
).where(CASE.c.id == bindparam("case_id"))

#: The parameters that carry a decision's own grounds (skäl): one case column before issue 13, now kept per decision.
REASON_PARAMS = ("reason_code", "termination_reason", "rescission_ground", "not_performed_reason")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user of one organisation with roles, or the scheduler (system)."""

    user_id: int | None
    organisation_id: int
    roles: tuple[str, ...]

    @property
    def is_system(self) -> bool:
        return self.roles == (SYSTEM_ROLE,)

    @classmethod
    def system(cls, organisation_id: int) -> Actor:
        """The scheduler acting for an organisation."""
        return cls(None, organisation_id, (SYSTEM_ROLE,))


@dataclass(frozen=True, slots=True)
class FireResult:
    """What a successful transition did."""

    case_id: int
    trigger: str
    from_status: str
    to_status: str
    version: int
    event_id: int
    decision_id: int | None = None
    mandate: str | None = None
    deadline_ids: tuple[int, ...] = field(default=())
    case_type: str = ""


@dataclass(frozen=True, slots=True)
class TriggerOption:
    """A trigger from the case's state, whether this actor may fire it now (and why not), and its form.

    ``decision`` is the decision kind under the delegation order; a decision needs a registry
    number (diarienummer). ``params`` are the typed fields a form asks for, with the bounds
    cleaning applies today; ``requires`` and ``accepts`` are their names (required ones, all).
    """

    trigger: str
    dest: str
    label: str
    decision: str | None
    allowed: bool
    why_not: str | None
    requires: tuple[str, ...]
    accepts: tuple[str, ...]
    needs_registry_number: bool = False
    params: tuple[params_mod.ParamField, ...] = ()
    event: tuple[params_mod.ParamField, ...] = ()
    late_entry_before: date | None = None


@dataclass(frozen=True, slots=True)
class EventDate:
    """When an event happened (occurred_on) and whether it is a late entry, with the reason given."""

    day: date
    late_entry: bool
    late_reason: str | None


def event_date(
    occurred_on: date | str | None,
    late_reason: str | None,
    today: date,
    *,
    opened_on: date | None = None,
    last_on: date | None = None,
    late_days: int | None = None,
) -> EventDate:
    """Check the date an event happened on against today, the case's opening and its latest event.

    Default today (Stockholm). Refused (:class:`EventDateRefused`, ``rule`` naming which): a date in the future
    (``occurred_on_in_future``), before the case was opened (``occurred_on_before_opened``), before the case's
    latest event (``occurred_on_out_of_order``), and one more than ``UPPF_LATE_ENTRY_DAYS`` back without a
    ``late_reason`` (``late_entry_needs_reason``); such an entry, with its reason, is a late entry.
    """
    if occurred_on is None or occurred_on == "":
        day = today
    elif isinstance(occurred_on, date):
        day = occurred_on
    else:
        try:
            day = date.fromisoformat(str(occurred_on))
        except ValueError as exc:
            raise InvalidInput(f"occurred_on must be an ISO date (YYYY-MM-DD), got {occurred_on!r}") from exc
    if day > today:
        raise EventDateRefused(
            f"occurred_on {day.isoformat()} is in the future (today is {today.isoformat()})",
            rule="occurred_on_in_future",
        )
    if opened_on is not None and day < opened_on:
        raise EventDateRefused(
            f"occurred_on {day.isoformat()} is before the case was opened ({opened_on.isoformat()})",
            rule="occurred_on_before_opened",
        )
    if last_on is not None and day < last_on:
        raise EventDateRefused(
            f"occurred_on {day.isoformat()} is before the case's latest event ({last_on.isoformat()}); "
            "events are recorded in the order they happened",
            rule="occurred_on_out_of_order",
        )
    reason = late_reason.strip() if isinstance(late_reason, str) and late_reason.strip() else None
    if reason is not None and len(reason) > 2000:
        raise InvalidInput("the late-entry reason is longer than 2000 characters")
    window = get_settings().late_entry_days if late_days is None else late_days
    late = (today - day).days > window
    if late and reason is None:
        raise EventDateRefused(
            f"occurred_on {day.isoformat()} is more than {window} days back: a late entry needs a late_reason",
            rule="late_entry_needs_reason",
            late_entry_days=window,
        )
    return EventDate(day, late, reason)


class Workflow:
    """The engine's command handlers, bound to one database engine and clock."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock
        self._uow = UnitOfWork(engine, clock)

    # --- commands ---------------------------------------------------------------------------------------------

    def fire(
        self,
        case_id: int,
        trigger: str,
        actor: Actor,
        reason: str,
        *,
        registry_number: str | None = None,
        params: dict[str, Any] | None = None,
        expected_version: int | None = None,
        conn: Connection | None = None,
        occurred_on: date | str | None = None,
        late_reason: str | None = None,
    ) -> FireResult:
        """Fire ``trigger`` on a case for ``actor``; raise a :class:`Refused` subclass if any rule says no.

        ``occurred_on`` is when it happened (for a decision, the decision date), today by default; see
        :func:`event_date` for its rules. Without ``conn`` the transition is its own unit of work; with it, it
        joins the caller's transaction.
        """
        dated = (occurred_on, late_reason)
        if conn is not None:
            result = self._fire(conn, case_id, trigger, actor, reason, registry_number, params, expected_version, dated)
        else:
            result = self._uow.write(
                lambda c: self._fire(
                    c, case_id, trigger, actor, reason, registry_number, params, expected_version, dated
                )
            )
        # DEBUG, not INFO: the audit event is the record of every transition, and the API's access line carries
        # the case id. At INFO this line cost 45-85 µs of a transition's CPU in the engine benchmark.
        log.debug(
            "case.transition",
            case_id=result.case_id,
            case_type=result.case_type,
            trigger=trigger,
            from_status=result.from_status,
            to_status=result.to_status,
            organisation_id=actor.organisation_id,
        )
        return result

    def _fire(
        self,
        conn: Connection,
        case_id: int,
        trigger: str,
        actor: Actor,
        reason: str,
        registry_number: str | None,
        raw_params: dict[str, Any] | None,
        expected_version: int | None,
        dated: tuple[date | str | None, str | None] = (None, None),
    ) -> FireResult:
        """One transition in ``conn``'s transaction, through the engine's transition writer."""
        reason = _reason(reason)
        writer = hotpath.writer_for(conn.engine)
        known = hotpath.known_cases(conn)
        row = (known.get(case_id) if known is not None else None) or writer.load(conn, case_id)
        if row is None or row.organisation_id != actor.organisation_id:
            raise NotFound(f"case {case_id} not found")
        spec = CASE_TYPES[row.case_type]
        now = self.clock()
        tr, decision_kind, mandate, cleaned, when = self._check(
            conn, spec, row, trigger, actor, registry_number, raw_params, expected_version, now, dated
        )
        day = when.day
        dest = tr.dest
        org = row.organisation_id
        # The event's seq is the case's new version: the compare-and-set below moves the chain's head with the case.
        event = chained(
            {
                "organisation_id": org,
                "case_id": row.id,
                "trigger": trigger,
                "from_status": row.status,
                "to_status": dest,
                "actor_id": actor.user_id,
                "actor_role": mandate.role if mandate else _acting_role(tr, actor),
                "reason": reason,
                "decision_kind": decision_kind,
                "mandate": mandate.describe() if mandate else None,
                "registry_number": registry_number if decision_kind else None,
                "params": cleaned,
                "occurred_at": now,
                "occurred_on": day,
                "late_entry": when.late_entry,
                "late_reason": when.late_reason,
            },
            row.version + 1,
            row.audit_hash,
        )
        case_set: dict[str, Any] = {
            "status": dest,
            "version": row.version + 1,
            "updated_at": now,
            "last_occurred_on": day,
        }
        case_set.update(params_mod.columns(tr, cleaned))
        if cleaned:
            case_set["attributes"] = {**row.attributes, **cleaned}
        case_set["closed_at"] = now if dest in spec.finals else None
        case_set["audit_hash"] = event["hash"]
        deadline = _deadline_row(spec, row, dest, now, cleaned, day)
        case_set["next_due_at"] = next_due.after_opening(deadline)
        decision = None
        if decision_kind and mandate and registry_number:
            decision = {
                "organisation_id": org,
                "case_id": row.id,
                "decision_kind": decision_kind,
                "decided_by_id": actor.user_id,
                "role": mandate.role,
                "delegation_order_id": mandate.order_id,
                "rule_ref": mandate.rule_ref,
                "substitute": mandate.substitute,
                "under_delegation": mandate.under_delegation,
                "registry_number": registry_number,
                "decided_at": now,
                "decided_on": day,
                "reason_code": _own_reason(tr, cleaned, row.attributes),
                "initiator": cleaned.get("initiator"),
            }
        outbox = None
        if tr.notify:
            outbox = {
                "organisation_id": org,
                "case_id": row.id,
                "kind": "transition",
                "recipients": list(tr.notify),
                "subject": f"{spec.label}: {tr.label or trigger}",
                "body": f"Case {row.id} ({spec.name}) moved from {row.status} to {dest}.",
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        written = writer.apply(
            conn,
            hotpath.Writes(
                case_id=row.id,
                organisation_id=org,
                from_status=row.status,
                from_version=row.version,
                from_next_due=row.next_due_at,
                case_set=case_set,
                close_deadlines=row.status in spec.deadlines,
                now=now,
                trigger=trigger,
                deadline=deadline,
                event=event,
                decision=decision,
                outbox=outbox,
                agreement_id=row.agreement_id if spec.mirrors_agreement and row.agreement_id else None,
            ),
        )
        if written is None:
            raise Conflict(
                f"case {case_id} was changed by someone else; reload and try again",
                case_id=case_id,
                expected_version=row.version,
            )
        if known is not None:
            known[row.id] = row._replace(
                status=dest,
                version=row.version + 1,
                attributes=case_set.get("attributes", row.attributes),
                audit_hash=event["hash"],
                last_occurred_on=day,
                next_due_at=case_set["next_due_at"],
            )
        return FireResult(
            row.id,
            trigger,
            row.status,
            dest,
            row.version + 1,
            written.event_id,
            written.decision_id,
            mandate.describe() if mandate else None,
            (written.deadline_id,) if written.deadline_id is not None else (),
            spec.name,
        )

    def _check(
        self,
        conn: Connection,
        spec: CaseTypeSpec,
        row: Any,
        trigger: str,
        actor: Actor,
        registry_number: str | None,
        raw_params: dict[str, Any] | None,
        expected_version: int | None,
        now: datetime,
        dated: tuple[date | str | None, str | None] = (None, None),
    ) -> tuple[Transition, str | None, Mandate | None, dict[str, Any], EventDate]:
        machine = MACHINES[spec.name]
        if not machine.knows(trigger):
            raise UnknownTrigger(f"{spec.name} has no trigger {trigger!r}", case_type=spec.name, trigger=trigger)
        if expected_version is not None and expected_version != row.version:
            raise Conflict(
                f"case {row.id} is at version {row.version}, not {expected_version}; reload and try again",
                case_id=row.id,
                expected_version=expected_version,
            )
        tr = machine.step(row.status, trigger)
        if tr is None:
            possible = ", ".join(t.trigger for t in machine.triggers(row.status)) or "none"
            raise WrongState(
                f"can't {trigger} a {spec.name} in state {row.status!r} (possible: {possible})",
                state=row.status,
                trigger=trigger,
            )
        why = _who_may(spec, tr, row, actor)
        if why:
            raise NotPermitted(why, trigger=trigger)
        if tr.contractual and row.in_house:
            raise InHouseRefused(
                f"can't {trigger}: the case concerns an in-house unit (egen regi) with no contract; only findings, "
                "the unit's own measures and notifying the responsible board apply",
                trigger=trigger,
            )
        when = event_date(dated[0], dated[1], local_date(now), opened_on=row.opened_on, last_on=row.last_occurred_on)
        # Dates in the parameters are judged against the day it happened, so an earlier year can be recorded.
        cleaned = params_mod.clean(tr, raw_params, when.day)
        decision_kind = tr.decision.format(kind=row.kind) if tr.decision else None
        mandate = None
        if decision_kind:
            if (
                not registry_number
                or not REGISTRY_NUMBER.match(registry_number)
                or not any(ch.isdigit() for ch in registry_number)
            ):
                raise InvalidInput(
                    f"{trigger!r} is a decision ({decision_kind}) and needs a registry number "
                    "(diarienummer) such as SCN-2024-00112"
                )
            # The delegation order in force on the decision date, not on the day it is typed in.
            mandate = find_mandate(conn, row.organisation_id, decision_kind, actor.roles, when.day)
            if mandate is None:
                raise NoMandate(
                    f"can't {trigger}: the delegation order in force gives none of the roles "
                    f"{', '.join(actor.roles) or '(none)'} a mandate for {decision_kind}",
                    decision_kind=decision_kind,
                    trigger=trigger,
                )
        elif registry_number is not None:
            raise InvalidInput(f"{trigger!r} is not a decision and takes no registry number")
        ctx = GuardContext(row, cleaned, conn, now)
        for name in machine.guards(row.status, trigger):
            failed = GUARD_IMPLS[name](ctx)
            if failed:
                raise GuardFailed(f"can't {trigger}: {failed} (guard {name})", guard=name, trigger=trigger)
        return tr, decision_kind, mandate, cleaned, when

    # --- queries --------------------------------------------------------------------------------------------------

    def options(self, case_id: int, actor: Actor) -> list[TriggerOption]:
        """Every trigger from the case's state, whether ``actor`` may fire it now and why not, and its form.

        The refusals are the engine's own, in the order it checks them: role, in-house unit, mandate under
        the delegation order, and every guard that reads no parameter (the others decide on the form's values).
        """
        with read(self.engine) as conn:
            row = conn.execute(_SELECT_CASE, {"case_id": case_id}).first()
            if row is None or row.organisation_id != actor.organisation_id:
                raise NotFound(f"case {case_id} not found")
            spec = CASE_TYPES[row.case_type]
            machine = MACHINES[spec.name]
            now = self.clock()
            today = local_date(now)
            earliest = max((d for d in (row.opened_on, row.last_occurred_on) if d is not None), default=today)
            late_before = today - timedelta(days=get_settings().late_entry_days)
            out = []
            for tr in machine.triggers(row.status):
                why = _who_may(spec, tr, row, actor)
                if not why and tr.contractual and row.in_house:
                    why = "in-house unit: no contract"
                kind = tr.decision.format(kind=row.kind) if tr.decision else None
                if not why and kind and find_mandate(conn, row.organisation_id, kind, actor.roles, today) is None:
                    why = f"no mandate for {kind} under the delegation order"
                if not why:
                    why = _guards_refuse(machine.guards(row.status, tr.trigger), GuardContext(row, {}, conn, now))
                out.append(
                    TriggerOption(
                        tr.trigger,
                        tr.dest,
                        tr.label,
                        kind,
                        why is None,
                        why,
                        tr.requires,
                        tr.accepts,
                        tr.needs_registry_number,
                        tuple(params_mod.form_field(p, today, earliest) for p in tr.params),
                        params_mod.event_fields(bool(kind), earliest, today),
                        late_before,
                    )
                )
            return out


def _guards_refuse(names: tuple[str, ...], ctx: GuardContext) -> str | None:
    """Why the first guard that needs no parameter refuses, or None."""
    for name in names:
        if not GUARDS[name].reads:
            failed = GUARD_IMPLS[name](ctx)
            if failed:
                return f"{failed} (guard {name})"
    return None


def _who_may(spec: CaseTypeSpec, tr: Transition, row: Any, actor: Actor) -> str | None:
    if actor.is_system:
        expiry = spec.deadlines.get(row.status)
        if tr.system or tr.scheduled or (expiry is not None and expiry.on_expiry == tr.trigger):
            return None
        return f"the scheduler may not {tr.trigger}"
    if tr.system:
        return f"{tr.trigger!r} happens only when its deadline passes"
    if tr.decision:
        return None  # the delegation order decides
    allowed = tr.roles or STAFF_ROLES
    if not set(actor.roles) & set(allowed):
        return f"can't {tr.trigger}: needs one of the roles {', '.join(allowed)}"
    return None


def _acting_role(tr: Transition, actor: Actor) -> str | None:
    allowed = tr.roles or STAFF_ROLES
    for role in actor.roles:
        if role in allowed or role == SYSTEM_ROLE:
            return role
    return actor.roles[0] if actor.roles else None


_Rung = tuple[datetime, int]  # a ladder action: (UTC instant, rung number)


@lru_cache(maxsize=4096)
def _ladder(policy: DeadlinePolicy, opened_on: date, given_due: Any) -> tuple[datetime, tuple[_Rung, ...]]:
    """A deadline's end instant and its ladder as (UTC instant, rung); pure in its arguments, so cached.

    The calendar walk over working days costs about 40 µs; comparing UTC instants is cheaper than Stockholm ones.
    """
    params = {policy.due_param: given_due} if policy.due_param and given_due else {}
    due = deadlines.due_date(policy, opened_on, params)
    return end_of_day(due), tuple((a.at.astimezone(UTC), a.rung) for a in deadlines.actions(policy, due))


def _own_reason(tr: Transition, cleaned: dict[str, Any], attributes: dict[str, Any]) -> str | None:
    """A decision's own grounds: its step's reason parameter; a step that takes none (prolonging or lifting an
    exclusion) keeps the exclusion's reason the case holds."""
    for name in REASON_PARAMS:
        if name in cleaned:
            return str(cleaned[name])
    if any(p.name in REASON_PARAMS for p in tr.params):
        return None
    found = attributes.get("reason_code")
    return str(found) if found is not None else None


def _deadline_row(
    spec: CaseTypeSpec,
    row: hotpath.CaseRow,
    dest: str,
    now: datetime,
    cleaned: dict[str, Any],
    day: date | None = None,
) -> dict[str, Any] | None:
    """The deadline row ``dest`` opens: :func:`deadlines.opening_row` with the case's keys, from a cache.

    It runs from ``day``, the date the step happened (today unless back-dated); ladder rungs whose moment has
    already passed when it is recorded are skipped, the expiry included (see README: recording after the fact).
    """
    opened_on = day if day is not None else local_date(now)
    policy = spec.deadlines.get(dest)
    if policy is None:
        return None
    given = cleaned.get(policy.due_param, row.attributes.get(policy.due_param)) if policy.due_param else None
    if not isinstance(given, str | int | date | None):  # not hashable as a cache key: compute it afresh
        values = deadlines.opening_row(policy, dest, now, {**row.attributes, **cleaned}, opened_on)
        return {"case_id": row.id, "organisation_id": row.organisation_id, **values}
    due_at, actions = _ladder(policy, opened_on, given)
    first = next((a for a in actions if a[0] > now), None)
    return {
        "case_id": row.id,
        "organisation_id": row.organisation_id,
        "kind": policy.kind,
        "state": dest,
        "due_at": due_at,
        "status": "pending",
        "next_rung": first[1] if first else -1,
        "next_action_at": first[0] if first else None,
        "rule_version": policy.rule_version,
        "working_days": policy.working_days,
        "opened_at": now,
    }


def _reason(reason: str) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("a reason is required for every transition")
    if len(reason) > 2000:
        raise InvalidInput("the reason is longer than 2000 characters")
    return reason.strip()
