"""Structured JSON logs (strukturerad loggning). No personal data is ever logged: ids only.

The standard library's records (uvicorn, APScheduler, SQLAlchemy) are rendered by the same
chain as structlog's own events, so every line is JSON and passes :func:`workflow.redact.scrub`.
"""

from __future__ import annotations

import logging
import os
import sys

import structlog
from structlog.typing import Processor

from workflow.redact import scrub


def configure(level: str = "INFO", json: bool = True) -> None:
    """Configure structlog and the standard library to emit one scrubbed JSON object per line."""
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    shared: list[Processor] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        scrub,
    ]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("transitions").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").disabled = True  # the product writes its own access line (api.context)
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, *shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # Logs go to stderr, beside the libraries' lines: stdout is for what a command answers (JSON, CSV, a file).
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        # Tests set UPPF_LOG_CACHE=0: a cached logger ignores structlog.testing.capture_logs.
        cache_logger_on_first_use=os.environ.get("UPPF_LOG_CACHE", "1") != "0",
    )
