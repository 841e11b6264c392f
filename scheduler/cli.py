"""``uppfoljning scheduler``: run the scheduler on its own, apart from the API."""

from __future__ import annotations

import json
import os
import signal
import threading
from types import FrameType

import click

from workflow.i18n import N_
from workflow.i18n import say as _say


@click.command(
    "scheduler", help=_say(N_("Run the deadline sweep, outbox delivery and recurring controls (until stopped)."))
)
@click.option("--once", is_flag=True, help=_say(N_("run every job once (controls, sweep, outbox) and exit")))
@click.pass_context
def scheduler_command(ctx: click.Context, once: bool) -> None:
    from scheduler.service import SchedulerService
    from workflow.runtime import engine_for
    from workflow.settings import get_settings

    if get_settings().scheduler_nice and hasattr(os, "nice"):
        os.nice(get_settings().scheduler_nice)  # background work: the API's requests go first on a shared machine
    service = SchedulerService(engine_for((ctx.obj or {}).get("url")))
    if once:
        click.echo(json.dumps(service.run_once(), default=str))
        service.leader.release()
        return
    stop = threading.Event()

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    service.start()
    stop.wait()
    service.shutdown()
