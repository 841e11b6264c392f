"""The columns of each kind of import (kolumner): English names, Swedish aliases, types, required or not.

A header is matched after :func:`workflow.imports.readers.normalise` (case, diacritics and spaces do not
matter), so ``Diarienummer``, ``diarienummer`` and ``registry_number`` name the same column. Dates are ISO
(``2024-05-02``) or Excel dates; booleans ``ja``/``nej``, ``true``/``false``, ``1``/``0``; roles a list
separated by ``,``. A ``history`` file's further columns are the trigger's parameters (``reason_code``,
``termination_reason``, ``initiator``, …), checked by the engine as the API checks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workflow.imports.readers import RawRow, Table, normalise


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a kind: its English name, its type, whether every row needs it, its Swedish aliases."""

    name: str
    type: str = "text"  # text | int | bool | date | list
    required: bool = False
    aliases: tuple[str, ...] = ()


def _c(name: str, type_: str = "text", required: bool = False, *aliases: str) -> Column:
    return Column(name, type_, required, aliases)


COLUMNS: dict[str, tuple[Column, ...]] = {
    "organisations": (
        _c("code", "text", True, "kod"),
        _c("name", "text", True, "namn"),
        _c("kind", "text", True, "typ", "slag"),
        _c("parent_code", "text", False, "overordnad", "overordnad_kod"),
    ),
    "users": (
        _c("username", "text", True, "anvandarnamn", "anvandare"),
        _c("display_name", "text", True, "namn", "fullstandigt_namn"),
        _c("email", "text", True, "e_post", "epost", "mejl"),
        _c("organisation_code", "text", False, "organisation", "organisationskod"),
        _c("roles", "list", True, "roller", "roll"),
    ),
    "contract_areas": (
        _c("code", "text", True, "kod"),
        _c("name", "text", True, "namn"),
        _c("regime", "text", True, "regim", "upphandlingsform"),
        _c("username", "text", False, "registrerad_av"),
    ),
    "providers": (
        _c("org_number", "text", True, "organisationsnummer", "orgnr"),
        _c("name", "text", True, "namn"),
        _c("in_house", "bool", False, "egen_regi"),
        _c("contact_email", "text", False, "kontakt_e_post", "kontakt_epost", "e_post", "epost"),
        _c("username", "text", False, "registrerad_av"),
    ),
    "agreements": (
        _c("registry_number", "text", True, "diarienummer", "dnr"),
        _c("agreement_type", "text", True, "avtalstyp"),
        _c("provider_org_number", "text", True, "leverantor_orgnr", "leverantor", "organisationsnummer"),
        _c("starts_on", "date", True, "startdatum", "fran", "giltigt_fran"),
        _c("ends_on", "date", False, "slutdatum", "till", "giltigt_till"),
        _c("contract_area_code", "text", False, "avtalsomrade", "avtalsomrade_kod"),
        _c("parent_registry_number", "text", False, "ramavtal", "overordnat_avtal", "ramavtal_diarienummer"),
        _c("purchase_value_sek", "int", False, "inkopsvarde", "inkopsvarde_kr", "varde"),
        _c("username", "text", False, "registrerad_av"),
    ),
    "placements": (
        _c("agreement_registry_number", "text", True, "avtal", "avtal_diarienummer"),
        _c("client_ref", "text", True, "klientreferens", "klient"),
        _c("starts_on", "date", True, "startdatum", "fran"),
        _c("ends_on", "date", False, "slutdatum", "till"),
        _c("gender", "text", False, "kon"),
        _c("social_worker", "text", False, "handlaggare", "socialsekreterare"),
        _c("username", "text", False, "registrerad_av"),
    ),
    "history": (
        _c("case_ref", "text", True, "arende_ref", "arendereferens", "arende"),
        _c("case_type", "text", False, "arendetyp"),
        _c("kind", "text", False, "slag", "typ"),
        _c("agreement_registry_number", "text", False, "avtal", "avtal_diarienummer"),
        _c("provider_org_number", "text", False, "leverantor", "leverantor_orgnr"),
        _c("trigger", "text", False, "handelse", "atgard"),
        _c("occurred_on", "date", False, "datum", "beslutsdatum", "intraffade"),
        _c("registry_number", "text", False, "diarienummer", "dnr", "beslut_diarienummer"),
        _c("reason", "text", True, "motivering", "skal"),
        _c("username", "text", False, "anvandare", "beslutsfattare", "utford_av"),
        _c("late_reason", "text", False, "skal_till_sen_registrering"),
        _c("title", "text", False, "rubrik"),
        _c("plan_year", "int", False, "planar"),
    ),
}
#: Kinds whose unknown columns are the parameters of a trigger rather than a mistake.
OPEN_KINDS = frozenset({"history"})


@dataclass(frozen=True, slots=True)
class CellError:
    """A cell or a header that cannot be read: where, which column, why (and the rule that says so)."""

    where: str
    line: int
    sheet: str | None
    column: str | None
    message: str
    rule: str


@dataclass(frozen=True, slots=True)
class Row:
    """One row with its known columns typed (``values``) and, for history, its parameters (``params``)."""

    raw: RawRow
    values: dict[str, Any]
    params: dict[str, Any]

    def get(self, name: str) -> Any:
        return self.values.get(name)


def _lookup(kind: str) -> dict[str, Column]:
    out: dict[str, Column] = {}
    for col in COLUMNS[kind]:
        out[col.name] = col
        for alias in col.aliases:
            out.setdefault(alias, col)
    return out


def _header_error(table: Table, column: str | None, message: str, rule: str) -> CellError:
    where = f"{table.sheet}!{table.header_line}" if table.sheet else str(table.header_line)
    return CellError(where, table.header_line, table.sheet, column, message, rule)


def parse(table: Table) -> tuple[list[Row], list[CellError]]:
    """The table's rows typed by its kind's columns; every header and cell that cannot be read, named."""
    by_name = _lookup(table.kind)
    mapping: dict[str, Column | None] = {}
    errors: list[CellError] = []
    seen: dict[str, str] = {}
    for header in table.headers:
        if not header:
            continue
        col = by_name.get(normalise(header))
        if col is None and table.kind not in OPEN_KINDS:
            known = ", ".join(c.name for c in COLUMNS[table.kind])
            errors.append(_header_error(table, header, f"unknown column {header!r}; known: {known}", "import_column"))
            continue
        if col is not None:
            if col.name in seen:
                errors.append(
                    _header_error(
                        table,
                        header,
                        f"columns {seen[col.name]!r} and {header!r} both name {col.name}",
                        "import_column",
                    )
                )
                continue
            seen[col.name] = header
        mapping[header] = col
    for col in COLUMNS[table.kind]:
        if col.required and col.name not in seen:
            errors.append(
                _header_error(table, col.name, f"the column {col.name} is missing from {table.kind}", "import_column")
            )
    if errors:
        return [], errors
    rows: list[Row] = []
    for raw in table.rows:
        values: dict[str, Any] = {}
        params: dict[str, Any] = {}
        failed: set[str] = set()
        for header, cell in raw.cells.items():
            col = mapping.get(header)
            if _blank(cell):
                continue
            if col is None:
                params[normalise(header)] = _param_value(cell)
                continue
            try:
                values[col.name] = _convert(col, cell)
            except ValueError as exc:
                errors.append(CellError(raw.where, raw.line, raw.sheet, col.name, str(exc), "import_value"))
                failed.add(col.name)
        for col in COLUMNS[table.kind]:
            if col.required and col.name not in values and col.name not in failed:
                errors.append(
                    CellError(raw.where, raw.line, raw.sheet, col.name, f"{col.name} is empty", "import_value")
                )
                failed.add(col.name)
        if not failed:
            rows.append(Row(raw, values, params))
    return rows, errors


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _param_value(cell: Any) -> Any:
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip() if not isinstance(cell, bool) else cell


def _convert(col: Column, cell: Any) -> Any:
    if col.type == "text":
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)
        return str(cell).strip()
    if col.type == "int":
        if isinstance(cell, bool):
            raise ValueError(f"{col.name} must be a whole number")
        if isinstance(cell, int):
            return cell
        if isinstance(cell, float) and cell.is_integer():
            return int(cell)
        text = str(cell).replace("\u00a0", "").replace(" ", "")
        if not text.lstrip("-").isdigit():
            raise ValueError(f"{col.name} must be a whole number, got {str(cell)!r}")
        return int(text)
    if col.type == "bool":
        if isinstance(cell, bool):
            return cell
        text = normalise(str(cell))
        if text in ("ja", "true", "1", "yes", "x"):
            return True
        if text in ("nej", "false", "0", "no"):
            return False
        raise ValueError(f"{col.name} must be ja or nej (true or false), got {str(cell)!r}")
    if col.type == "date":
        return to_date(col.name, cell)
    if col.type == "list":
        return tuple(p.strip() for p in str(cell).replace(";", ",").split(",") if p.strip())
    raise AssertionError(col.type)


def to_date(name: str, cell: Any) -> date:
    """An ISO date, a date cell or an Excel serial number as a date."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        from openpyxl.utils.datetime import from_excel

        value = from_excel(cell)
        return value.date() if isinstance(value, datetime) else value  # type: ignore[return-value]
    text = str(cell).strip()
    try:
        return date.fromisoformat(text[:10] if len(text) > 10 and text[10] in "T " else text)
    except ValueError:
        raise ValueError(f"{name} must be a date (YYYY-MM-DD), got {text!r}") from None
