"""Path and query parameters of the staff pages."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

#: A case id; out-of-range ids answer the same "not found" page as unknown ones (checked in the handler).
CaseId = Annotated[int, PathParameter(description="case id")]
Trigger = Annotated[str, PathParameter(max_length=48)]
Name = Annotated[str, PathParameter(max_length=40)]
ReportName = Name
Next = Annotated[str, QueryParameter(max_length=500)]
