"""Import of a municipality's register and history over HTTP (import): the same run as ``uppfoljning import``.

``POST /imports`` takes a multipart upload (an .xlsx workbook with one sheet per kind, or a CSV file of one
kind) and answers the import's report: per kind what was created, unchanged or refused, and every refused
row with its line, column, reason and rule. A real run saves all of the file or nothing; ``dry_run`` saves
nothing. The controller only turns the upload into the ``ImportFile`` command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from api.auth import AuthUser
from api.deps import application_of
from api.problems import WRITE
from workflow.imports.run import ImportFile, ImportReport

#: The largest file accepted (a workbook of 10,000 agreements with their history is about 1 MB).
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
Kind = Literal["organisations", "users", "contract_areas", "providers", "agreements", "placements", "history"]


@dataclass
class ImportUpload:
    """The upload: the file, what a CSV holds (default: from its name), and whether to save nothing."""

    file: UploadFile
    dry_run: bool = False
    kind: Kind | None = None
    delimiter: Literal[";", ",", "\t"] | None = None


class KindCountOut(msgspec.Struct):
    """Rows of one kind that created an object (or would, in a dry run), were imported before, or were refused."""

    created: int
    unchanged: int
    errors: int


class BadRowOut(msgspec.Struct):
    """A refused row: its kind, where (line, or sheet!row), the column, why, and the rule that refused it."""

    kind: str
    where: str
    line: int
    sheet: str | None
    column: str | None
    message: str
    rule: str


class ImportReportOut(msgspec.Struct):
    """What the import did; ``committed`` is true only for a real run in which no row was refused."""

    filename: str
    dry_run: bool
    committed: bool
    counts: dict[str, KindCountOut]
    errors: list[BadRowOut]


@post(
    "/imports",
    operation_id="importFile",
    summary="Import a register or history file (Excel or CSV), all or nothing, or check it with a dry run.",
    tags=["registers"],
    sync_to_thread=True,
    status_code=200,
    responses=WRITE,
    request_max_body_size=MAX_UPLOAD_BYTES,
)
def import_file(
    request: Request[Any, Any, Any],
    user: AuthUser,
    data: Annotated[ImportUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> ImportReportOut:
    """Run the file's rows as the caller, each through the command the API would run; answers the report.

    A real run commits only when no row is refused (``committed``); otherwise nothing is saved and ``errors``
    names every refused row. Rerunning a file creates nothing twice (rows already imported count as
    ``unchanged``; a changed row is refused with rule ``import_changed``).
    """
    content = data.file.file.read()
    command = ImportFile(data.file.filename or "upload", content, data.kind, data.delimiter, data.dry_run)
    report: ImportReport = application_of(request).execute(command, user.actor)
    return msgspec.convert(report.as_dict(), ImportReportOut)


HANDLERS = [import_file]
