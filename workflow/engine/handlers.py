"""Handlers of the case commands: firing a trigger and opening a case."""

from __future__ import annotations

from workflow.cases.opening import OpenedCase, open_case
from workflow.cases.queries import require_case_visible
from workflow.cases.scoping import sees_individuals
from workflow.engine.commands import FireTrigger, OpenCase, handles
from workflow.engine.firing import Actor, FireResult, Workflow
from workflow.engine.uow import UnitOfWork


@handles(FireTrigger)
def fire_trigger(cmd: FireTrigger, actor: Actor, uow: UnitOfWork) -> FireResult:
    """Fire the trigger in one unit of work; refusals write nothing."""
    if not actor.is_system and not sees_individuals(actor):  # the engine checks the organisation, this the secrecy rule
        uow.read(lambda conn: require_case_visible(conn, actor, cmd.case_id))
    wf = Workflow(uow.engine, uow.clock)
    return uow.write(
        lambda conn: wf.fire(
            cmd.case_id,
            cmd.trigger,
            actor,
            cmd.reason,
            registry_number=cmd.registry_number,
            params=cmd.params,
            expected_version=cmd.expected_version,
            conn=conn,
            occurred_on=cmd.occurred_on,
            late_reason=cmd.late_reason,
        )
    )


@handles(OpenCase)
def open_case_handler(cmd: OpenCase, actor: Actor, uow: UnitOfWork) -> OpenedCase:
    """Open the case, its first audit event and its first deadline in one unit of work."""
    wf = Workflow(uow.engine, uow.clock)
    return uow.write(
        lambda conn: open_case(
            wf,
            cmd.case_type,
            actor,
            cmd.reason,
            kind=cmd.kind,
            title=cmd.title,
            provider_id=cmd.provider_id,
            agreement_id=cmd.agreement_id,
            placement_id=cmd.placement_id,
            parent_case_id=cmd.parent_case_id,
            owner_id=cmd.owner_id,
            plan_year=cmd.plan_year,
            params=cmd.params,
            conn=conn,
            occurred_on=cmd.occurred_on,
            late_reason=cmd.late_reason,
        )
    )
