"""Health and readiness (no authentication)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import HTTPException
from pydantic import BaseModel, Field

from api.deps import application_of
from workflow.health import database_answers, mail_health


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


class MailReadiness(BaseModel):
    """Whether mail can go out: the SMTP server's answer and the outbox's backlog."""

    smtp: str = Field(description='"ok", or why the SMTP server cannot be reached')
    pending: int = Field(description="messages waiting in the outbox")
    oldest_waiting_minutes: int | None = Field(
        description="how long the oldest due message has waited inside the sending hours (null: none waits)"
    )
    stale: bool = Field(description="the oldest message has waited longer than UPPF_OUTBOX_STALE_MINUTES")


class Readiness(BaseModel):
    """Readiness: ``ready`` when the database and mail are fine, ``degraded`` when only mail is not."""

    status: str = Field(description='"ready" or "degraded" (the database answers; mail does not go out)')
    database: str = Field(description='"ok" (otherwise the answer is 503)')
    mail: MailReadiness


@get(
    "/ready",
    operation_id="ready",
    summary="Tell whether the database answers (readiness) and whether mail goes out.",
    description=(
        "503 when the database does not answer. Mail never takes the process out of service: an SMTP server "
        'that does not answer, or an outbox whose oldest due message has waited too long, answers 200 "degraded" '
        "with the reason."
    ),
    tags=["system"],
    sync_to_thread=True,
    security=[{}],
)
def ready(request: Request[Any, Any, Any]) -> Readiness:
    """Readiness: the database answers (503 otherwise); mail problems reported beside it."""
    application = application_of(request)
    if not database_answers(application.uow):
        raise HTTPException(status_code=503, detail="the database does not answer")
    mail = mail_health(application.uow, application.settings, application.clock())
    return Readiness(
        status="ready" if mail.ok else "degraded",
        database="ok",
        mail=MailReadiness(
            smtp=mail.smtp_problem or "ok",
            pending=mail.pending,
            oldest_waiting_minutes=mail.oldest_waiting_minutes,
            stale=mail.stale,
        ),
    )


HANDLERS = [health, ready]
