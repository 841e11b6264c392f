"""Redaction (maskering) of what must never reach a log: personal identity numbers and tokens.

Logs carry ids, never personal data, and nothing may slip through by accident: every log
event, the product's own and the libraries' (uvicorn, APScheduler), passes :func:`scrub`
before it is written. A personal identity number (personnummer) or coordination number
(samordningsnummer) is any run of 10 or 12 digits, optionally with ``-`` or ``+`` before the
last four, whose date part could be a date (day 61–91 for coordination numbers); a bearer
token is any JWT-shaped string. Both are replaced, wherever they stand.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

IDENTITY_NUMBER = re.compile(
    r"(?<![0-9])(?:(?:19|20)[0-9]{2}|[0-9]{2})(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]|6[1-9]|[78][0-9]|9[01])"
    r"[-+]?[0-9]{4}(?![0-9])"
)
TOKEN = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
IDENTITY_MASK = "[personnummer]"
TOKEN_MASK = "[token]"


def redact(text: str) -> str:
    """``text`` with every identity number and token replaced by a mask."""
    if not text:
        return text
    return IDENTITY_NUMBER.sub(IDENTITY_MASK, TOKEN.sub(TOKEN_MASK, text))


def looks_personal(text: str) -> bool:
    """Whether ``text`` holds an identity number or a token."""
    return redact(text) != text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, dict):
            return {k: _clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(_clean(v) for v in value)
        return value
    return IDENTITY_MASK if IDENTITY_NUMBER.fullmatch(str(value)) else value


def scrub(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
    """structlog processor: redact every value of the event, nested ones included."""
    return {k: _clean(v) for k, v in event.items()}
