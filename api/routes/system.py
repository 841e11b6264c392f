"""Health and readiness (no authentication)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import HTTPException
from sqlalchemy import text

from api.deps import workflow_of


@get("/health", operation_id="health", tags=["system"], security=[{}])
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@get("/ready", operation_id="ready", tags=["system"], sync_to_thread=True, security=[{}])
def ready(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Readiness: the database answers (503 otherwise)."""
    try:
        with workflow_of(request).engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure means not ready
        raise HTTPException(status_code=503, detail="the database does not answer") from exc
    return {"status": "ready"}


HANDLERS = [health, ready]
