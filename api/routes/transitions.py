"""Moving a case: fire a trigger, and the triggers the caller may fire now (for the buttons)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
import structlog
from litestar import Request, get, post
from litestar.params import JSONBody, Parameter

from api.auth import AuthUser
from api.deps import application_of
from api.problems import READ, WRITE
from api.schemas.cases import ParamOut, TransitionIn, TransitionOut, TriggerOptionOut
from workflow.cases.queries import trigger_options
from workflow.engine.commands import FireTrigger

PathId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]


@post(
    "/cases/{case_id:int}/transitions",
    operation_id="fireTrigger",
    summary="Fire a trigger on a case and answer its new state.",
    tags=["cases"],
    responses=WRITE,
    status_code=200,
)
async def fire(
    request: Request[Any, Any, Any], user: AuthUser, case_id: PathId, data: JSONBody[TransitionIn]
) -> TransitionOut:
    """Fire a trigger: answered with the new state, or a problem naming the rule that refused it."""
    structlog.contextvars.bind_contextvars(case_id=case_id)
    command = FireTrigger(
        case_id,
        data.trigger,
        data.reason,
        registry_number=data.registry_number,
        params=dict(data.params) if data.params else None,
        expected_version=data.expected_version,
        occurred_on=data.occurred_on,
        late_reason=data.late_reason,
    )
    res = await anyio.to_thread.run_sync(application_of(request).execute, command, user.actor)
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
    summary="List a case's triggers and whether the caller may fire each.",
    tags=["cases"],
    sync_to_thread=True,
    responses=READ,
)
def triggers(request: Request[Any, Any, Any], user: AuthUser, case_id: PathId) -> list[TriggerOptionOut]:
    """Every trigger from the case's state, whether the caller may fire it now, and why not."""
    structlog.contextvars.bind_contextvars(case_id=case_id)
    return [
        TriggerOptionOut(
            o.trigger,
            o.dest,
            o.label,
            o.decision,
            o.allowed,
            o.why_not,
            list(o.requires),
            list(o.accepts),
            o.needs_registry_number,
            [
                ParamOut(p.name, p.type, p.label, p.required, list(p.allowed_values), p.minimum, p.maximum)
                for p in o.params
            ],
            [
                ParamOut(p.name, p.type, p.label, p.required, list(p.allowed_values), p.minimum, p.maximum)
                for p in o.event
            ],
            o.late_entry_before,
        )
        for o in trigger_options(application_of(request).uow, user.actor, case_id)
    ]


HANDLERS = [fire, triggers]
