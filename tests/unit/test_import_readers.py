"""Reading import files: CSV conventions, workbook sheets, headers and cell values (no database)."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from workflow.engine.errors import InvalidInput
from workflow.imports.columns import parse
from workflow.imports.readers import kind_of, read_csv, read_file


def test_a_semicolon_file_with_a_byte_order_mark_and_quoted_cells_is_read_by_header() -> None:
    content = '\ufeffKod;Namn;Regim\r\nhvb;"HVB; barn och unga";LOU\r\n'.encode()
    table = read_csv(content, "avtalsområden")
    assert table.kind == "contract_areas"
    rows, errors = parse(table)
    assert errors == []
    assert rows[0].values == {"code": "hvb", "name": "HVB; barn och unga", "regime": "LOU"}
    assert rows[0].raw.line == 2


def test_a_comma_separated_file_is_read_when_its_header_says_so() -> None:
    table = read_csv(b"code,name,regime\nlss,LSS boende,LOV\n", "contract_areas")
    rows, errors = parse(table)
    assert errors == [] and rows[0].values["name"] == "LSS boende"


def test_an_explicit_delimiter_wins_over_the_header() -> None:
    table = read_csv(b"code;name,regime\nx;a,b\n", "contract_areas", delimiter=";")
    assert table.headers == ["code", "name,regime"]


def test_a_file_that_is_not_utf8_is_refused_with_advice() -> None:
    with pytest.raises(InvalidInput) as exc:
        read_csv("kod;namn\nhvb;Hem för vård\xe5\n".encode("latin-1"), "contract_areas")
    assert exc.value.context["rule"] == "import_encoding"


def test_file_and_sheet_names_in_swedish_or_english_name_the_kind() -> None:
    assert kind_of("Avtal.csv") == "agreements"
    assert kind_of("leverantörer.CSV") == "providers"
    assert kind_of("Historik") == "history"
    assert kind_of("contract_areas.csv") == "contract_areas"
    assert kind_of("data.csv") is None


def test_dates_are_iso_text_date_cells_or_excel_serial_numbers_and_anything_else_is_named() -> None:
    content = (
        b"registry_number;agreement_type;provider_org_number;starts_on;ends_on\n"
        b"A-2025-1;individual;1;2025-01-31;\n"
        b"A-2025-2;individual;1;31/1/2025;\n"
    )
    rows, errors = parse(read_csv(content, "agreements"))
    assert rows[0].values["starts_on"] == date(2025, 1, 31)
    assert [(e.line, e.column, e.rule) for e in errors] == [(3, "starts_on", "import_value")]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Avtal"
    ws.append(["Diarienummer", "Avtalstyp", "Leverantör", "Startdatum", "Slutdatum", "Inköpsvärde"])
    ws.append(["A-2025-3", "individual", 5560001234, datetime(2025, 2, 1), 45688, 1_000_000.0])
    buf = io.BytesIO()
    wb.save(buf)
    (table,) = read_file("register.xlsx", buf.getvalue())
    rows, errors = parse(table)
    assert errors == []
    assert rows[0].values == {
        "registry_number": "A-2025-3",
        "agreement_type": "individual",
        "provider_org_number": "5560001234",
        "starts_on": date(2025, 2, 1),
        "ends_on": date(2025, 1, 31),
        "purchase_value_sek": 1_000_000,
    }
    assert rows[0].raw.where == "Avtal!2"


def test_a_workbook_sheet_named_after_no_kind_is_refused() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Blad1"
    ws.append(["a"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(InvalidInput) as exc:
        read_file("register.xlsx", buf.getvalue())
    assert exc.value.context["rule"] == "import_kind"
    assert read_file("register.xlsx", buf.getvalue(), kind="providers")[0].kind == "providers"


def test_history_columns_beyond_the_known_ones_are_the_triggers_parameters() -> None:
    content = b"case_ref;trigger;reason;Termination reason;initiator\nA1;terminate;x;wound_down;provider\n"
    rows, errors = parse(read_csv(content, "history"))
    assert errors == []
    assert rows[0].params == {"termination_reason": "wound_down", "initiator": "provider"}


def test_two_headers_naming_the_same_column_are_refused() -> None:
    rows, errors = parse(read_csv(b"code;kod;name;regime\na;b;c;LOU\n", "contract_areas"))
    assert rows == [] and [(e.column, e.rule) for e in errors] == [("kod", "import_column")]
