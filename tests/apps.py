"""One HTTP application per test process and settings, pointed at each test's database in turn.

Making the application parses the signature of every route handler (a quarter to half a second); the HTTP
fixtures' tests differ only in the application behind it (database, clock), which :func:`api.app.rebind` swaps.
Tests that need an application of their own (two instances, other settings) still call ``create_app``.
"""

from __future__ import annotations

from litestar import Litestar

from api.app import create_app, rebind
from workflow.bootstrap import Application

_MADE: dict[int, tuple[object, Litestar]] = {}


def app_for(application: Application) -> Litestar:
    """This process's application for ``application.settings`` (the same object each time), over ``application``."""
    made = _MADE.get(id(application.settings))
    if made is None:
        app = create_app(application)
        _MADE[id(application.settings)] = (application.settings, app)  # the settings kept: their id stays theirs
        return app
    return rebind(made[1], application)
