"""Starting the scheduler with the API process (``UPPF_RUN_SCHEDULER``; ``uppfoljning serve`` sets it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from workflow.settings import Settings


def litestar_hooks(
    engine: Engine, settings: Settings, clock: Callable[[], datetime]
) -> tuple[list[Callable[..., Any]], list[Callable[..., Any]]]:
    """``on_startup`` and ``on_shutdown`` hooks that run the scheduler beside the API, or none when it is off."""
    if not settings.run_scheduler:
        return [], []
    from scheduler.service import SchedulerService

    service = SchedulerService(engine, settings, clock)
    return [service.start], [service.shutdown]
