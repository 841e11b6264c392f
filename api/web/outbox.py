"""Utskick: the organisation's outgoing messages for administrators (department heads and directors).

The outbox's counts and incidents (``workflow.reports.board_queries``) with their two actions,
send again and confirm delivered (``workflow.notify.outbox_commands``), and in development the
messages the development mail sink kept (``workflow.notify.devmail``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import Parameter, PathParameter
from litestar.response import Redirect, Template

from api.auth import CurrentUser
from api.web.page import render, translator, uow_of
from api.web.viewer import current, locale_of
from states.roles import Role
from workflow import i18n
from workflow.engine.errors import NotFound, NotPermitted
from workflow.notify import devmail
from workflow.notify.outbox_commands import ConfirmDelivered, RetryIncident
from workflow.reports import board_queries
from workflow.settings import Settings

#: Who sees Utskick: those who answer for the organisation's deliveries.
ROLES = (Role.DEPARTMENT_HEAD.value, Role.DIRECTOR.value)  # page.OUTBOX_ROLES shows the link
OutboxId = Annotated[int, PathParameter(description="outbox message id")]
Done = Annotated[str | None, Parameter(max_length=16)]


def may_see(user: CurrentUser) -> bool:
    """Whether the user's roles open Utskick."""
    return bool(set(user.roles) & set(ROLES))


def _denied(request: Request[Any, Any, Any], user: CurrentUser) -> Template:
    """Who may use Utskick, said in place of the page (not hidden)."""
    _ = translator(request)
    locale = locale_of(request)
    names = [i18n.label(locale, "role", r).lower() for r in ROLES]
    message = _("Outgoing messages require the role %(some)s or %(last)s.") % {"some": names[0], "last": names[1]}
    return render(request, "error.html", _("Not available"), user, status_code=403, message=message)


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.web_settings
    return settings


@get("/utskick", sync_to_thread=True)
def outbox_page(request: Request[Any, Any, Any], klart: Done = None) -> Template:
    """Counts, incidents with their actions, and (in development) the mail sink's messages."""
    user = current(request)
    _ = translator(request)
    if not may_see(user):
        return _denied(request, user)
    uow = uow_of(request)
    settings = _settings(request)
    development = settings.environment == "development"
    return render(
        request,
        "outbox.html",
        _("Outgoing messages"),
        user,
        summary=board_queries.outbox_summary(uow, user.actor),
        incidents=board_queries.outbox_incidents(uow, user.actor, 100, 0),
        development=development,
        mail=devmail.messages(Path(settings.dev_mail_dir), 50) if development else [],
        done=klart if klart in ("retry", "confirm", "gone") else None,
    )


def _act(request: Request[Any, Any, Any], command: Any, done: str) -> Template | Redirect:
    user = current(request)
    if not may_see(user):
        return _denied(request, user)
    try:
        request.app.state.web_application.execute(command, user.actor)
    except NotPermitted:
        return _denied(request, user)
    except NotFound:  # already handled (a second submit, or a colleague first): nothing more to do
        return Redirect("/utskick?klart=gone", status_code=303)
    return Redirect(f"/utskick?klart={done}", status_code=303)


@post("/utskick/{outbox_id:int}/skicka-igen", sync_to_thread=True, status_code=303)
def retry(request: Request[Any, Any, Any], outbox_id: OutboxId) -> Template | Redirect:
    """Queue a failed message again."""
    if not 1 <= outbox_id < 2**31:
        raise NotFound("no such message")
    return _act(request, RetryIncident(outbox_id), "retry")


@post("/utskick/{outbox_id:int}/levererat", sync_to_thread=True, status_code=303)
def confirm(request: Request[Any, Any, Any], outbox_id: OutboxId) -> Template | Redirect:
    """Close an uncertain incident: the recipient has the message."""
    if not 1 <= outbox_id < 2**31:
        raise NotFound("no such message")
    return _act(request, ConfirmDelivered(outbox_id), "confirm")


HANDLERS = [outbox_page, retry, confirm]
