"""Structured JSON logs (strukturerad loggning). No personal data is ever logged: ids only."""

from __future__ import annotations

import logging
import os
import sys

import structlog


def configure(level: str = "INFO", json: bool = True) -> None:
    """Configure structlog and the standard library to emit one JSON object per line."""
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level)
    logging.getLogger("transitions").setLevel(logging.WARNING)
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # Tests set UPPF_LOG_CACHE=0: a cached logger ignores structlog.testing.capture_logs.
        cache_logger_on_first_use=os.environ.get("UPPF_LOG_CACHE", "1") != "0",
    )
