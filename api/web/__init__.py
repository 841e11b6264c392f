"""The staff web interface (handläggarnas webbgränssnitt): server-rendered pages in the API's application.

Registered with one line in ``api.app`` (``plugins=[WebInterface()]``). The pages live
under one router with their own session, CSRF and security-header layers, so the JSON
API keeps its bearer tokens and problem responses untouched.
"""

from __future__ import annotations

from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.stores.registry import StoreRegistry
from litestar.template import TemplateConfig
from litestar_htmx import HTMXRequest

from api.web import (
    account,
    administration,
    board,
    deadline_changes,
    new_case,
    outbox,
    pages,
    registers,
    reports,
    transitions,
)
from api.web.errors import EXCEPTION_HANDLERS
from api.web.oidc import OidcClient, OidcSettings
from api.web.rendering import STATIC, environment
from api.web.security import HEADERS, SESSION_STORE, csrf_config, session_config
from workflow.bootstrap import Application
from workflow.settings import Settings, get_settings
from workflow.tokens import signing_key
from workflow.web.sessions import DatabaseSessionStore, shared_secret


def _csrf_key(settings: Settings, application: Application) -> str:
    try:
        return signing_key(settings)
    except RuntimeError:  # OIDC in production: no HS256 key; one made once and shared by every worker process
        return shared_secret(application.uow, "csrf")


def has_signing_key(settings: Settings) -> bool:
    """Whether the CSRF key comes from the settings (else from the database)."""
    try:
        signing_key(settings)
    except RuntimeError:
        return False
    return True


def bind(state: State, stores: StoreRegistry, application: Application, settings: Settings) -> None:
    """What the staff pages take from the application: state entries and the database session store."""
    state["web_application"] = application
    state["web_uow"] = application.uow
    state["web_settings"] = settings
    oidc = OidcSettings()
    state["web_oidc"] = OidcClient(oidc) if oidc.enabled else None
    stores.register(SESSION_STORE, DatabaseSessionStore(application.uow), allow_override=True)


class WebInterface(InitPluginProtocol):
    """Adds the staff pages, their templates and their static files to the application."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        state = app_config.state
        settings: Settings = state.get("settings") or get_settings()
        application: Application = state["application"]
        if not isinstance(app_config.stores, StoreRegistry):
            app_config.stores = StoreRegistry(app_config.stores or {})
        bind(state, app_config.stores, application, settings)  # every worker process reads the same sessions
        app_config.template_config = TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment()))
        app_config.route_handlers.append(
            Router(
                path="/",
                route_handlers=[
                    *pages.HANDLERS,
                    *registers.HANDLERS,
                    *new_case.HANDLERS,
                    *outbox.HANDLERS,
                    *administration.HANDLERS,
                    *board.HANDLERS,
                    *deadline_changes.HANDLERS,
                    *transitions.HANDLERS,
                    *reports.HANDLERS,
                    *account.HANDLERS,
                ],
                middleware=[
                    session_config(settings).middleware,
                    DefineMiddleware(CSRFMiddleware, config=csrf_config(settings, _csrf_key(settings, application))),
                ],
                request_class=HTMXRequest,
                response_headers=HEADERS,
                exception_handlers=EXCEPTION_HANDLERS,
                include_in_schema=False,
            )
        )
        app_config.route_handlers.append(
            create_static_files_router(path="/static", directories=[STATIC], name="web-static", include_in_schema=False)
        )
        return app_config
