"""Types shared by the schemas: ids, bounded text, registry numbers, pages."""

from __future__ import annotations

from typing import Annotated

import msgspec

#: Control characters and every character either Python's ``\s`` or JSON Schema's (ECMA 262) counts as white space.
#: Patterns spell their classes out instead of ``\s``, ``\S`` or ``\d``, whose meaning differs between the server
#: (Python's ``re``: ``\x1c``–``\x1f`` are white space, ``\d`` is any Unicode digit) and the clients that validate
#: against the OpenAPI document, so that both accept exactly the same strings.
SPACE = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
VISIBLE = rf"[^{SPACE}]"  # a character that is neither white space nor a control character

Id = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1, description="an object's id")]
Text200 = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=VISIBLE)]
Reason = Annotated[
    str, msgspec.Meta(min_length=1, max_length=2000, pattern=VISIBLE, description="why, for the audit trail")
]
RegistryNumber = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=40,
        pattern=r"^[0-9A-Za-zÅÄÖåäö][0-9A-Za-zÅÄÖåäö.\-/ ]{2,39}$",
        description="registry number (diarienummer), e.g. SCN-2024-00112 or 2023/75",
        examples=["SCN-2026-00112"],
    ),
]
Email = Annotated[str, msgspec.Meta(max_length=200, pattern=rf"^[^@{SPACE}]+@[^@{SPACE}]+$")]


class PageInfo(msgspec.Struct):
    """Where a page sits in the whole result."""

    page: int
    page_size: int
    total: int
