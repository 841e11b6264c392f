"""Types shared by the schemas: ids, bounded text, registry numbers, pages."""

from __future__ import annotations

from typing import Annotated

import msgspec

Id = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1, description="an object's id")]
Text200 = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Reason = Annotated[
    str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"\S", description="why, for the audit trail")
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
Email = Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")]


class PageInfo(msgspec.Struct):
    """Where a page sits in the whole result."""

    page: int
    page_size: int
    total: int
