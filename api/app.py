"""The Litestar application factory."""

from __future__ import annotations

from litestar import Litestar, get
from sqlalchemy import text

from workflow.runtime import engine_for


@get("/health", operation_id="health", tags=["system"])
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@get("/ready", operation_id="ready", tags=["system"], sync_to_thread=True)
def ready() -> dict[str, str]:
    """Readiness: the database answers."""
    with engine_for().connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ready"}


def create_app() -> Litestar:
    """Build the application."""
    return Litestar(route_handlers=[health, ready])
