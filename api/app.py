"""The Litestar application factory.

Route handlers come from the modules in ``ROUTE_MODULES`` (each exposes ``HANDLERS``),
so adding a module is a one-line change. The OpenAPI document is at ``/schema/openapi.json``, browsable at
``/schema`` (``api.docs_page``).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from api.auth import Authenticator, current_user
from api.context import request_context
from api.deps import paging
from api.docs_page import OfflineSwagger, docs_router
from api.exact_schema import ExactStructSchemaPlugin
from api.gc_tuning import tune_gc
from api.problems import EXCEPTION_HANDLERS, route_methods
from api.web import WebInterface, bind, has_signing_key
from workflow.accounts import active_accounts
from workflow.bootstrap import Application, bootstrap
from workflow.settings import get_settings
from workflow.warm_up import warm_up

ROUTE_MODULES: list[str] = [
    "api.routes.system",
    "api.routes.cases",
    "api.routes.transitions",
    "api.routes.providers",
    "api.routes.agreements",
    "api.routes.placements",
    "api.routes.reference",
    "api.reports",
    "api.outbox",
    "api.deadlines",
    "api.recordings",
    "api.admin",
    "api.board",
    "api.imports",
]


def route_handlers() -> list[Any]:
    """Every route handler of every module in ``ROUTE_MODULES``, each described in OpenAPI by its docstring.

    The description is set here, from the function as written: Litestar wraps some sync handlers (the first of
    several methods on one path) in a thread-pool callable whose own docstring would otherwise be shown.
    """
    handlers = [h for name in ROUTE_MODULES for h in importlib.import_module(name).HANDLERS]
    for handler in handlers:
        if handler.description is None and handler.fn.__doc__:
            handler.description = inspect.cleandoc(handler.fn.__doc__)
    return handlers


def create_app(application: Application | None = None) -> Litestar:
    """The HTTP application over ``application`` (default: :func:`workflow.bootstrap.bootstrap`'s, on the configured
    database, migrated); controllers reach it as ``app.state.application``."""
    if application is None:
        get_settings().check_production()  # before anything is opened
        application = bootstrap()
    settings = application.settings
    settings.check_production()
    clock = application.clock
    from scheduler.lifecycle import litestar_hooks  # the scheduler runs beside the API when settings say so

    on_startup, on_shutdown = litestar_hooks(application.engine, settings, clock)
    app = Litestar(
        route_handlers=route_handlers(),
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        dependencies={
            "user": Provide(current_user),
            "paging": Provide(paging, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        state=State(_bound_state(application)),
        openapi_config=OpenAPIConfig(
            title="Uppföljning",
            version="1.0.0",
            description="Follow-up of social-service providers: cases, deadlines, decisions under delegation.",
            path="/schema",
            render_plugins=[OfflineSwagger()],  # /schema: Swagger UI from api/static/swagger, no CDN
            openapi_router=docs_router(),  # /schema and /schema/openapi.json, with the page's CSP
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
                }
            ),
            security=[{"BearerToken": []}],
            use_handler_docstrings=True,
        ),
        # The staff web interface (api/web); request bodies that refuse unknown fields say so in OpenAPI.
        plugins=[WebInterface(), ExactStructSchemaPlugin()],
        logging_config=None,  # workflow.logging configures logging: one JSON format, every line scrubbed
        debug=False,
    )
    # Outside the router, so that requests no route matches get their access line too.
    app.asgi_handler = request_context(options_allow(app, app.asgi_handler))
    return app


def _bound_state(application: Application) -> dict[str, Any]:
    """The state entries taken from ``application``; the staff pages add theirs (``api.web.bind``)."""
    settings = application.settings
    return {
        "application": application,
        "authenticator": Authenticator(settings, application.uow, application.clock, execute=application.execute),
        "settings": settings,
    }


def rebind(app: Litestar, application: Application) -> Litestar:
    """Point ``app``, made by :func:`create_app`, at ``application`` as if it had been made for it.

    For the tests, which keep one application per process for the same settings instead of making one per test
    (Litestar parses every handler's signature each time). Refused when the app holds more of its old application
    than the state: the scheduler's hooks (they hold its engine) or a CSRF key drawn from its database.
    """
    settings = application.settings
    if settings is not app.state["settings"] or settings.run_scheduler or not has_signing_key(settings):
        raise ValueError("only an application of the same settings, without the scheduler and with a signing key")
    app.state.update(_bound_state(application))
    bind(app.state, app.stores, application, settings)
    return app


def options_allow(app: Litestar, handler: Any) -> Any:
    """OPTIONS answers ``Allow`` with every method of the path: Litestar's own OPTIONS handler lists only those of
    the first handler registered on it (GET, not the PATCH beside it)."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "OPTIONS":
            await handler(scope, receive, send)
            return
        allow = route_methods(app, scope.get("path", ""))

        async def send_allow(message: Any) -> None:
            if message["type"] == "http.response.start" and allow is not None:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", allow.encode())]}
            await send(message)

        await handler(scope, receive, send_allow)

    return middleware


def create_server_app() -> Litestar:
    """The application as ``uppfoljning serve`` runs it: :func:`create_app`, warmed up (:mod:`workflow.warm_up`)
    and with the collector tuned at startup.

    Tests build many apps in one process and keep :func:`create_app`: freezing there would keep their garbage.
    A worker process started by ``uvicorn --workers N api.app:create_server_app`` configures the scrubbed JSON
    logs itself (``uppfoljning serve`` has done it already), so no worker logs in another format.
    """
    import structlog

    if not structlog.is_configured():
        from workflow.logging import configure

        configure(get_settings().log_level)
    app = create_app()
    app.on_startup.extend([warm_worker, tune_gc])  # warmed first, so that what it caches is frozen with the rest
    return app


def warm_worker(app: Litestar) -> None:
    """Warm the worker up before it listens (:func:`workflow.warm_up.warm_up`), knowing every active user.

    Without the users, a worker started under load looked each one up on its first request from them (4 workers and
    290 boards: about 1,200 lookups in the first seconds, the cluster bench's start-up stall).
    """
    warm_up(app.state.application)
    app.state.authenticator.remember_accounts(active_accounts(app.state.application.uow))
