"""The signed-in user of a staff page (inloggad användare), from the server-side session.

The session holds only the username and organisation code; each request resolves them
through the API's :class:`~api.auth.Authenticator`, so the user's roles and organisation
always come from the user row and a deactivated user is signed out at once.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from api.auth import Authenticator, CurrentUser
from workflow import i18n

LANGUAGE_COOKIE = "uppf_lang"


def sign_in(request: Request[Any, Any, Any], username: str, organisation_code: str) -> None:
    """Put the user in the session (the caller renews the session id)."""
    request.set_session({"username": username, "org": organisation_code})


def current(request: Request[Any, Any, Any]) -> CurrentUser:
    """The signed-in user, or ``NotAuthorizedException`` (the pages then send the user to sign in)."""
    session = request.session if "session" in request.scope else {}
    username, org = session.get("username"), session.get("org")
    if not isinstance(username, str) or not isinstance(org, str):
        raise NotAuthorizedException("not signed in")
    auth: Authenticator = request.app.state.authenticator
    account = auth.account(username)
    if account is None or not account.active or account.organisation_code != org:
        request.clear_session()
        raise NotAuthorizedException("the session's user is unknown or inactive")
    return CurrentUser(
        account.user_id,
        username,
        account.organisation_id,
        org,
        account.organisation_kind,
        account.roles,
        account.display_name,
        account.organisation_name,
    )


def locale_of(request: Request[Any, Any, Any]) -> str:
    """The page language: the user's choice (a cookie), else ``Accept-Language``, else Swedish."""
    return i18n.negotiate(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))
