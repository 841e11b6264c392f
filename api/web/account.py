"""Signing in and out, and the choice of language (inloggning, utloggning, språk)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import structlog
from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.params import Body, Parameter, QueryParameter
from litestar.response import Redirect, Template
from msgspec import Struct

from api.auth import Authenticator
from api.web.oidc import OidcClient, SignInFailed
from api.web.page import render, translator, uow_of
from api.web.params import Next
from api.web.security import development_sign_in, renew_session_id, tls_only
from api.web.viewer import LANGUAGE_COOKIE, sign_in
from workflow import i18n
from workflow.cases import screens as data
from workflow.engine.errors import NotFound
from workflow.settings import Settings

log = structlog.get_logger("api.web")
OidcValue = Annotated[str, Parameter(max_length=2048)]
OidcState = Annotated[str, QueryParameter(name="state", max_length=2048)]  # ``state`` is reserved by Litestar


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


def _oidc(request: Request[Any, Any, Any]) -> OidcClient | None:
    client: OidcClient | None = request.app.state.get("web_oidc")
    return client


def _redirect_uri(request: Request[Any, Any, Any], client: OidcClient) -> str:
    return client.settings.redirect_uri or str(request.base_url).rstrip("/") + "/logga-in/oidc"


@get("/logga-in", sync_to_thread=True)
def sign_in_page(request: Request[Any, Any, Any], next: Next = "/oversikt") -> Template | Redirect:
    """Sign in: the development sign-in where it exists, else the organisation's identity provider."""
    if development_sign_in(_settings(request)):
        return Redirect(f"/logga-in/utveckling?next={quote(_local(next))}", status_code=303)
    client = _oidc(request)
    _ = translator(request)
    if client is None:
        return render(request, "sign_in.html", _("Sign in"), None, status_code=503)
    try:
        started = client.start(_redirect_uri(request, client))
    except (httpx.HTTPError, SignInFailed, KeyError):
        log.warning("web.oidc.unavailable")
        message = _("The identity provider does not answer. Try again in a while.")
        return render(request, "error.html", _("Sign in"), None, status_code=503, message=message)
    pending = {"state": started.state, "nonce": started.nonce, "verifier": started.verifier, "next": _local(next)}
    request.set_session({"oidc": pending})
    return Redirect(started.url, status_code=303)


@get("/logga-in/oidc", sync_to_thread=True)
def oidc_callback(
    request: Request[Any, Any, Any], code: OidcValue = "", answer_state: OidcState = "", error: OidcValue = ""
) -> Template | Redirect:
    """The identity provider's answer: check state, redeem the code, verify the ID token, start the session."""
    client = _oidc(request)
    if client is None:
        raise NotFound("no identity provider is configured")
    _ = translator(request)
    pending = request.session.get("oidc") if "session" in request.scope else None
    failed = render(
        request,
        "error.html",
        _("Sign-in failed"),
        None,
        status_code=400,
        message=_("The sign-in could not be completed. Start again from the sign-in page."),
    )
    if not isinstance(pending, dict) or error or not code or not secrets.compare_digest(answer_state, pending["state"]):
        request.clear_session()
        return failed
    try:
        claims = client.finish(_redirect_uri(request, client), code, pending["verifier"], pending["nonce"])
    except SignInFailed as exc:
        log.warning("web.oidc.refused", reason=str(exc))
        request.clear_session()
        return failed
    username = claims.get(client.settings.username_claim)
    auth: Authenticator = request.app.state.authenticator
    try:  # the ID token's groups provision the user from the role mapping, as a token's do for the API
        account = auth.resolve(username, claims)[0] if isinstance(username, str) else None
    except NotAuthorizedException:
        account = None
    if account is None or not account.active or account.source == "integration":  # service accounts sign in nowhere
        log.warning("web.oidc.unknown_user")
        request.clear_session()
        message = _("You are signed in at the identity provider but have no account here. Contact the administrator.")
        return render(request, "error.html", _("Sign-in failed"), None, status_code=403, message=message)
    renew_session_id(request)
    sign_in(request, str(username), account.organisation_code)
    return Redirect(pending["next"], status_code=303)


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


HANDLERS = [sign_in_page, oidc_callback, development_page, development_sign_in_post, sign_out, choose_language]
