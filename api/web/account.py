"""Signing in and out, and the choice of language (inloggning, utloggning, språk)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from msgspec import Struct

from api.auth import Authenticator
from api.web import data
from api.web.page import render, translator, uow_of
from api.web.params import Next
from api.web.security import development_sign_in, renew_session_id, tls_only
from api.web.viewer import LANGUAGE_COOKIE, sign_in
from workflow import i18n
from workflow.errors import NotFound
from workflow.settings import Settings


class SignInForm(Struct):
    """The development sign-in form."""

    username: str = ""
    next: str = ""


class LanguageForm(Struct):
    """The language switch."""

    lang: str = ""
    next: str = ""


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _local(path: str) -> str:
    """``path`` if it is a path on this site, else the overview (no open redirects)."""
    if path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/oversikt"


@get("/logga-in", sync_to_thread=False)
def sign_in_page(request: Request[Any, Any, Any], next: Next = "/oversikt") -> Template | Redirect:
    """Sign in: the development sign-in where it exists, else how to sign in."""
    if development_sign_in(_settings(request)):
        return Redirect(f"/logga-in/utveckling?next={_local(next)}", status_code=303)
    _ = translator(request)
    return render(request, "sign_in.html", _("Sign in"), None, status_code=503)


@get("/logga-in/utveckling", sync_to_thread=True)
def development_page(request: Request[Any, Any, Any], next: Next = "/oversikt") -> Template:
    """The demo users by name and role; only when development mode is set explicitly."""
    if not development_sign_in(_settings(request)):
        raise NotFound("no development sign-in outside development")
    _ = translator(request)
    users = data.sign_in_candidates(uow_of(request))
    return render(request, "sign_in_dev.html", _("Sign in (development)"), None, users=users, next=_local(next))


@post("/logga-in/utveckling", sync_to_thread=True, status_code=303)
def development_sign_in_post(
    request: Request[Any, Any, Any], data: Annotated[SignInForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Redirect:
    """Sign in as the chosen demo user (a new session id)."""
    if not development_sign_in(_settings(request)):
        raise NotFound("no development sign-in outside development")
    auth: Authenticator = request.app.state.authenticator
    account = auth.account(data.username)
    if account is None or not account.active:
        return Redirect(f"/logga-in/utveckling?next={_local(data.next)}", status_code=303)
    renew_session_id(request)
    sign_in(request, data.username, account.organisation_code)
    return Redirect(_local(data.next), status_code=303)


@post("/logga-ut", sync_to_thread=False, status_code=303)
def sign_out(request: Request[Any, Any, Any]) -> Redirect:
    """End the session (its data is deleted from the store)."""
    request.clear_session()
    return Redirect("/logga-in", status_code=303)


@post("/sprak", sync_to_thread=False, status_code=303)
def choose_language(
    request: Request[Any, Any, Any], data: Annotated[LanguageForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Redirect:
    """Remember the chosen language for a year."""
    response = Redirect(_local(data.next), status_code=303)
    if data.lang in i18n.LOCALES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            data.lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=tls_only(_settings(request)),
        )
    return response


HANDLERS = [sign_in_page, development_page, development_sign_in_post, sign_out, choose_language]
