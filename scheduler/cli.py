"""``uppfoljning scheduler``: run the scheduler on its own, apart from the API."""

from __future__ import annotations

import json
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
    from scheduler.priority import lower_priority

    lower_priority()  # already done when started as `uppfoljning scheduler` (workflow.cli); once either way
    from scheduler.service import SchedulerService
    from workflow.runtime import engine_for

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
