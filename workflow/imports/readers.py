"""Reading an import file (inläsning): an Excel workbook or a CSV file into rows of named cells.

Excel is read with openpyxl (one sheet per kind, named after the kind); CSV with Python's ``csv``
module: UTF-8 with or without a byte-order mark, ``;`` as Swedish spreadsheets write it, or ``,``
(or a tab) when the header says so (``csv.Sniffer`` decides from the header line unless a delimiter
is given). Nothing here knows what a column means: :mod:`workflow.imports.kinds` does.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from workflow.engine.errors import InvalidInput

#: The kinds an import knows, in the order they are imported (each may refer to the ones before it).
KINDS = ("organisations", "users", "contract_areas", "providers", "agreements", "placements", "history")
#: Swedish (and a few English) names of a sheet or file, as aliases of the kind.
KIND_ALIASES = {
    "organisationer": "organisations",
    "organisation": "organisations",
    "anvandare": "users",
    "user": "users",
    "avtalsomraden": "contract_areas",
    "avtalsomrade": "contract_areas",
    "contract_area": "contract_areas",
    "areas": "contract_areas",
    "leverantorer": "providers",
    "leverantor": "providers",
    "provider": "providers",
    "avtal": "agreements",
    "agreement": "agreements",
    "placeringar": "placements",
    "placering": "placements",
    "placement": "placements",
    "historik": "history",
    "handelser": "history",
    "events": "history",
}


def normalise(name: str) -> str:
    """A header or sheet name as compared: lower case, no diacritics, words joined by ``_``."""
    plain = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return "_".join(plain.strip().lower().replace("-", " ").replace(".", " ").split())


def kind_of(name: str) -> str | None:
    """The kind a sheet or file name stands for (``Avtal.csv`` → ``agreements``), or None."""
    key = normalise(PurePath(name).stem if "." in name else name)
    if key in KINDS:
        return key
    return KIND_ALIASES.get(key)


@dataclass(frozen=True, slots=True)
class RawRow:
    """One data row: where it is (``line`` in a CSV, ``sheet`` and ``line`` in a workbook) and its cells by header."""

    line: int
    cells: dict[str, Any]
    sheet: str | None = None

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.line}" if self.sheet else str(self.line)


@dataclass(slots=True)
class Table:
    """The rows of one kind, with the headers as written and the line of the header row."""

    kind: str
    headers: list[str]
    rows: list[RawRow] = field(default_factory=list)
    sheet: str | None = None
    header_line: int = 1


def read_file(name: str, content: bytes, *, kind: str | None = None, delimiter: str | None = None) -> list[Table]:
    """The tables of an uploaded file: every known sheet of a workbook, or one CSV of ``kind`` (or its file name)."""
    suffix = PurePath(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_workbook(content, kind=kind)
    if suffix in (".csv", ".txt", ""):
        k = kind or kind_of(name)
        if k is None:
            raise InvalidInput(
                f"can't tell what {PurePath(name).name!r} holds: name the kind (--kind), one of {', '.join(KINDS)}",
                rule="import_kind",
            )
        return [read_csv(content, k, delimiter=delimiter)]
    raise InvalidInput(f"an import is an Excel workbook (.xlsx) or a CSV file, not {suffix!r}", rule="import_format")


def _kind(kind: str) -> str:
    k = kind_of(kind)
    if k is None:
        raise InvalidInput(f"unknown kind {kind!r}; one of {', '.join(KINDS)}", rule="import_kind")
    return k


def read_csv(content: bytes, kind: str, *, delimiter: str | None = None) -> Table:
    """A CSV file of one kind; the header is its first line."""
    kind = _kind(kind)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the file is not UTF-8 (byte {exc.start}); save it as 'CSV UTF-8'", rule="import_encoding"
        ) from exc
    header_line = text.split("\n", 1)[0]
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(header_line, delimiters=";,\t").delimiter
        except csv.Error:
            delimiter = ";"  # one column, or nothing to tell from: the Swedish convention
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise InvalidInput("the file is empty", rule="import_empty") from None
    table = Table(kind, [h.strip() for h in headers])
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(headers):
            extra = [v for v in values[len(headers) :] if v.strip()]
            if extra:
                raise InvalidInput(
                    f"line {reader.line_num} has more cells than the header names ({len(values)} > {len(headers)})",
                    rule="import_columns",
                )
        cells = {h: (values[i] if i < len(values) else "") for i, h in enumerate(table.headers)}
        table.rows.append(RawRow(reader.line_num, cells))
    return table


def read_workbook(content: bytes, *, kind: str | None = None) -> list[Table]:
    """Every sheet of a workbook named after a kind (or the only sheet, as ``kind``), in the kinds' order."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a file that is not a workbook
        raise InvalidInput(f"the file is not a readable Excel workbook: {exc}", rule="import_format") from exc
    try:
        tables: list[Table] = []
        for ws in wb.worksheets:
            k = kind_of(ws.title)
            if kind is not None:
                if len(wb.worksheets) == 1 or k == _kind(kind):
                    k = _kind(kind)
                else:
                    continue
            if k is None:
                raise InvalidInput(
                    f"sheet {ws.title!r} is no kind of import; name each sheet after one of {', '.join(KINDS)}",
                    rule="import_kind",
                )
            rows = ws.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                continue
            headers = [("" if h is None else str(h)).strip() for h in header]
            while headers and not headers[-1]:
                headers.pop()
            table = Table(k, headers, sheet=ws.title)
            for number, values in enumerate(rows, start=2):
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                cells = {h: (values[i] if i < len(values) else None) for i, h in enumerate(headers) if h}
                table.rows.append(RawRow(number, cells, ws.title))
            tables.append(table)
    finally:
        wb.close()
    if not tables:
        raise InvalidInput("the workbook has no sheet to import", rule="import_empty")
    return sorted(tables, key=lambda t: KINDS.index(t.kind))
