"""Building a staff page: the common context every template receives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request
from litestar.response import Template

from api.auth import CurrentUser
from api.web.viewer import locale_of
from workflow import i18n
from workflow.cases import screens as data
from workflow.engine.uow import UnitOfWork
from workflow.i18n import N_

#: The main navigation: path and label.
NAV = (
    ("/oversikt", N_("Overview")),
    ("/arenden", N_("Cases")),
    ("/bevakningar", N_("Deadlines")),
    ("/rapporter", N_("Reports")),
    ("/namnd", N_("Board")),
    ("/utforare", N_("Providers")),
)
#: Utskick, for those who answer for the organisation's deliveries (api.web.outbox.ROLES).
OUTBOX_NAV = ("/utskick", N_("Outgoing messages"))
OUTBOX_ROLES = frozenset({"department_head", "director"})
#: Administration, for administrators (api.web.administration).
ADMIN_NAV = ("/administration", N_("Administration"))


def uow_of(request: Request[Any, Any, Any]) -> UnitOfWork:
    """The unit of work of the staff pages."""
    uow: UnitOfWork = request.app.state.web_uow
    return uow


def translator(request: Request[Any, Any, Any]) -> Callable[[str], str]:
    """``_`` for Python code: the catalogue in the page's language."""
    return i18n.translations(locale_of(request)).gettext


def _nav(user: CurrentUser) -> tuple[tuple[str, str], ...]:
    extra = ((OUTBOX_NAV,) if OUTBOX_ROLES & set(user.roles) else ()) + (
        (ADMIN_NAV,) if "administrator" in user.roles else ()
    )
    return NAV + extra


def render(
    request: Request[Any, Any, Any],
    template: str,
    title: str,
    user: CurrentUser | None,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """``template`` with the header's user, the navigation and the language (``title`` is translated)."""
    # The header's names come with the user row the request was authenticated from (cached as its roles are).
    profile = data.Profile(user.display_name, user.organisation_name, user.roles) if user else None
    section = "/" + request.url.path.strip("/").split("/")[0]
    return Template(
        template_name=template,
        status_code=status_code,
        context={
            "locale": locale_of(request),
            "title": title,
            "profile": profile,
            "nav": _nav(user) if user else (),
            "section": section,
            "path": request.url.path,
            **context,
        },
    )
