"""Health and readiness (no authentication)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import HTTPException

from api.deps import application_of
from workflow.health import database_answers


@get(
    "/health",
    operation_id="health",
    summary="Tell whether the process answers (liveness).",
    tags=["system"],
    security=[{}],
)
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@get(
    "/ready",
    operation_id="ready",
    summary="Tell whether the database answers (readiness).",
    tags=["system"],
    sync_to_thread=True,
    security=[{}],
)
def ready(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Readiness: the database answers (503 otherwise)."""
    if not database_answers(application_of(request).uow):
        raise HTTPException(status_code=503, detail="the database does not answer")
    return {"status": "ready"}


HANDLERS = [health, ready]
