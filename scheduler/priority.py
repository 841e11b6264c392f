"""The scheduler's CPU priority (nice): background work, so the API's requests go first on a shared machine."""

from __future__ import annotations

import os

_lowered = False


def lower_priority() -> None:
    """Lower this process's priority by ``UPPF_SCHEDULER_NICE`` (settings), once however often it is called."""
    global _lowered
    from workflow.settings import get_settings

    if _lowered or not hasattr(os, "nice"):
        return
    _lowered = True
    if get_settings().scheduler_nice:
        os.nice(get_settings().scheduler_nice)


def lower_if_scheduler(argv: list[str]) -> None:
    """Lower the priority at once when the command line is ``uppfoljning … scheduler``.

    Called before ``workflow.cli`` imports the application (about 2 s of CPU on this project's 2-core machine), which
    a scheduler started beside busy API workers would otherwise take from their requests at full priority.
    """
    if "scheduler" in argv[1:] and not {"--help", "-h"} & set(argv):
        lower_priority()
