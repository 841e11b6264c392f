"""Moving a case: fire a trigger, and the triggers the caller may fire now (for the buttons)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
import structlog
from litestar import Request, get, post
from litestar.params import JSONBody, Parameter

from workflow import scoping
from api.auth import AuthUser
from api.deps import workflow_of, writer_of
from api.problems import READ, WRITE
from api.schemas.cases import TransitionIn, TransitionOut, TriggerOptionOut
from workflow.db import read
from workflow.engine import CASE
from workflow.errors import NotFound

PathId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]


def _check_scope(request: Request[Any, Any, Any], user: AuthUser, case_id: int) -> None:
    """Individual-level cases are out of scope for aggregate-only roles (the engine checks the organisation)."""
    if scoping.sees_individuals(user):
        return
    wf = workflow_of(request)
    with read(wf.engine) as conn:
        row = conn.execute(
            CASE.select()
            .with_only_columns(CASE.c.organisation_id, CASE.c.case_type, CASE.c.placement_id)
            .where(CASE.c.id == case_id)
        ).first()
    if row is None or not scoping.case_visible(user, row):
        raise NotFound(f"case {case_id} not found")


@post(
    "/cases/{case_id:int}/transitions",
    operation_id="fireTrigger",
    tags=["cases"],
    responses=WRITE,
    status_code=200,
)
async def fire(
    request: Request[Any, Any, Any], user: AuthUser, case_id: PathId, data: JSONBody[TransitionIn]
) -> TransitionOut:
    """Fire a trigger: answered with the new state, or a problem naming the rule that refused it."""
    structlog.contextvars.bind_contextvars(case_id=case_id)
    if not scoping.sees_individuals(user):
        await anyio.to_thread.run_sync(_check_scope, request, user, case_id)
    wf = workflow_of(request)
    res = await writer_of(request).transact(
        lambda conn: wf.fire(
            case_id,
            data.trigger,
            user.actor,
            data.reason,
            registry_number=data.registry_number,
            params=dict(data.params) if data.params else None,
            expected_version=data.expected_version,
            conn=conn,
        )
    )
    return TransitionOut(
        res.case_id,
        res.trigger,
        res.from_status,
        res.to_status,
        res.version,
        res.event_id,
        res.decision_id,
        res.mandate,
        list(res.deadline_ids),
    )


@get(
    "/cases/{case_id:int}/triggers",
    operation_id="listAllowedTriggers",
    tags=["cases"],
    sync_to_thread=True,
    responses=READ,
)
def triggers(request: Request[Any, Any, Any], user: AuthUser, case_id: PathId) -> list[TriggerOptionOut]:
    """Every trigger from the case's state, whether the caller may fire it now, and why not."""
    structlog.contextvars.bind_contextvars(case_id=case_id)
    _check_scope(request, user, case_id)
    return [
        TriggerOptionOut(
            o.trigger, o.dest, o.label, o.decision, o.allowed, o.why_not, list(o.requires), list(o.accepts)
        )
        for o in workflow_of(request).options(case_id, user.actor)
    ]


HANDLERS = [fire, triggers]
