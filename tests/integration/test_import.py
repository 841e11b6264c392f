"""Import of a municipality's register and history: through the commands, all or nothing, rerunnable."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import Engine, func, select

from tests.world import World, build_world
from workflow.bootstrap import Application
from workflow.cli import main
from workflow.engine.audit import verify
from workflow.engine.errors import InvalidInput, NotPermitted
from workflow.imports import run as import_run
from workflow.imports.run import ImportFile, ImportReport
from workflow.reports.catalogue import build_report
from workflow.schema.tables import (
    AGREEMENT,
    AREA,
    CASE,
    DECISION,
    EVENT,
    IMPORT_REF,
    ORG,
    PLACEMENT,
    PROVIDER,
    USER,
)

pytestmark = pytest.mark.integration

TABLES = (PROVIDER, AREA, AGREEMENT, PLACEMENT, CASE, EVENT, DECISION, IMPORT_REF)


def _csv(*lines: str, bom: bool = True) -> bytes:
    return (("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n").encode()


def _import(
    app: Application, w: World, name: str, content: bytes, *, role: str = "contract_strategist", **kw: object
) -> ImportReport:
    report: ImportReport = app.execute(ImportFile(name, content, **kw), w.actor("NORTH", role))  # type: ignore[arg-type]
    return report


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in TABLES}


AGREEMENTS = _csv(
    "Diarienummer;Avtalstyp;Leverantör orgnr;Startdatum;Slutdatum;Inköpsvärde",
    "NOR-2025-0101;individual;550001-0000;2025-01-01;2026-12-31;450 000",
    "NOR-2025-0102;individual;550001-0000;2025-02-01;;300000",
    "NOR-2025-0103;individual;550001-0000;2025-03-01;2027-02-28;",
)


def test_a_csv_with_swedish_headers_and_a_byte_order_mark_registers_each_row_through_the_command(
    app: Application, world: World
) -> None:
    report = _import(app, world, "avtal.csv", AGREEMENTS)
    assert report.committed and report.errors == []
    assert report.counts["agreements"].created == 3
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(AGREEMENT.c.registry_number, AGREEMENT.c.ends_on, AGREEMENT.c.purchase_value_sek, AGREEMENT.c.status)
            .where(AGREEMENT.c.registry_number.like("NOR-2025-01%"))
            .order_by(AGREEMENT.c.registry_number)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("NOR-2025-0101", date(2026, 12, 31), 450_000, "active"),
        ("NOR-2025-0102", None, 300_000, "active"),
        ("NOR-2025-0103", date(2027, 2, 28), 0, "active"),
    ]


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row_and_why(app: Application, world: World) -> None:
    before = _counts(world.engine)
    bad = _csv(
        "registry_number;agreement_type;provider_org_number;starts_on",
        "NOR-2025-0201;individual;550001-0000;2025-01-01",
        "NOR-2025-0202;individual;999999-9999;2025-01-01",
        "NOR-2025-0203;individual;550001-0000;2025-01-01",
    )
    report = _import(app, world, "agreements.csv", bad)
    assert not report.committed
    assert _counts(world.engine) == before
    assert [(e.line, e.column, e.rule) for e in report.errors] == [(3, "provider_org_number", "import_reference")]
    assert "999999-9999" in report.errors[0].message
    assert (report.counts["agreements"].created, report.counts["agreements"].errors) == (2, 1)


def test_every_bad_row_is_reported_with_the_rule_of_the_command_that_refused_it(app: Application, world: World) -> None:
    bad = _csv(
        "registry_number;agreement_type;provider_org_number;starts_on;ends_on",
        "NOR-2025-0301;individual;550001-0000;2025-01-01;2024-01-01",
        "NOR-2025-0302;no_such_type;550001-0000;2025-01-01;",
        "NOR-2025-0303;individual;550001-0000;2 maj 2025;",
        "NOR-2025-0304;individual;550001-0000;2025-01-01;",
    )
    report = _import(app, world, "agreements.csv", bad)
    assert not report.committed
    got = [(e.line, e.column, e.rule) for e in report.errors]
    assert got == [(4, "starts_on", "import_value"), (2, None, "invalid_input"), (3, None, "invalid_input")]
    assert "ends_on is before starts_on" in report.errors[1].message
    assert "agreement_type must be one of" in report.errors[2].message


def test_a_row_acting_as_a_user_without_the_role_is_refused_with_the_commands_rule(
    app: Application, world: World
) -> None:
    rows = AGREEMENTS.decode("utf-8-sig").splitlines()
    named = [rows[0] + ";Registrerad av"] + [r + ";north.social_worker" for r in rows[1:]]
    report = _import(app, world, "avtal.csv", _csv(*named))
    assert not report.committed
    assert {e.rule for e in report.errors} == {"role_not_permitted"}
    assert [e.line for e in report.errors] == [2, 3, 4]


def test_a_row_acting_as_a_user_of_another_organisation_is_refused(app: Application, world: World) -> None:
    rows = AGREEMENTS.decode("utf-8-sig").splitlines()
    named = [rows[0] + ";username", rows[1] + ";south.contract_strategist"]
    report = _import(app, world, "avtal.csv", _csv(*named))
    assert [(e.line, e.column, e.rule) for e in report.errors] == [(2, "username", "import_user")]


def test_only_the_roles_that_register_agreements_may_import(app: Application, world: World) -> None:
    with pytest.raises(NotPermitted) as exc:
        _import(app, world, "avtal.csv", AGREEMENTS, role="social_worker")
    assert exc.value.context["rule"] == "role"


def test_the_same_file_imported_twice_changes_nothing_the_second_time(app: Application, world: World) -> None:
    first = _import(app, world, "avtal.csv", AGREEMENTS)
    assert first.committed and first.counts["agreements"].created == 3
    after_first = _counts(world.engine)
    second = _import(app, world, "avtal.csv", AGREEMENTS)
    assert second.committed and second.errors == []
    assert (second.counts["agreements"].created, second.counts["agreements"].unchanged) == (0, 3)
    assert _counts(world.engine) == after_first


def test_a_row_imported_before_with_other_content_is_reported_not_overwritten(app: Application, world: World) -> None:
    assert _import(app, world, "avtal.csv", AGREEMENTS).committed
    changed = AGREEMENTS.replace(b"450 000", b"999 000")
    report = _import(app, world, "avtal.csv", changed)
    assert not report.committed
    assert [(e.line, e.rule) for e in report.errors] == [(2, "import_changed")]
    with world.engine.connect() as conn:
        value = conn.execute(
            select(AGREEMENT.c.purchase_value_sek).where(AGREEMENT.c.registry_number == "NOR-2025-0101")
        ).scalar_one()
    assert value == 450_000


def test_a_dry_run_changes_nothing_and_reports_what_would_be_created(app: Application, world: World) -> None:
    before = _counts(world.engine)
    report = _import(app, world, "avtal.csv", AGREEMENTS, dry_run=True)
    assert report.dry_run and not report.committed and report.errors == []
    assert report.counts["agreements"].created == 3
    assert _counts(world.engine) == before
    assert _import(app, world, "avtal.csv", AGREEMENTS).counts["agreements"].created == 3  # nothing was kept


def test_missing_and_unknown_columns_are_named_before_any_row_runs(app: Application, world: World) -> None:
    report = _import(app, world, "agreements.csv", _csv("registry_number;agreement_typ;starts_on", "X-1;y;2025-01-01"))
    assert not report.committed
    got = {(e.column, e.rule) for e in report.errors}
    assert got == {
        ("agreement_typ", "import_column"),
        ("agreement_type", "import_column"),
        ("provider_org_number", "import_column"),
    }
    assert all(e.line == 1 for e in report.errors)


def test_a_file_whose_kind_cannot_be_told_is_refused(app: Application, world: World) -> None:
    with pytest.raises(InvalidInput) as exc:
        _import(app, world, "data.csv", AGREEMENTS)
    assert exc.value.context["rule"] == "import_kind"
    assert _import(app, world, "data.csv", AGREEMENTS, kind="avtal").counts["agreements"].created == 3


def _workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_workbook_imports_its_sheets_in_dependency_order_with_excel_dates(app: Application, world: World) -> None:
    book = _workbook(
        {
            # Sheets in the "wrong" order: placements first. The import runs them in dependency order.
            "Placeringar": [
                ["Avtal", "Klientreferens", "Startdatum", "Kön", "Handläggare"],
                ["NOR-2025-0502", "KL-9001", datetime(2025, 4, 1), "female", "north.social_worker"],
            ],
            "Avtal": [
                ["Diarienummer", "Avtalstyp", "Leverantör", "Startdatum", "Slutdatum", "Avtalsområde", "Ramavtal"],
                [
                    "NOR-2025-0501",
                    "framework_lou",
                    "559900-0001",
                    datetime(2025, 1, 1),
                    datetime(2027, 12, 31),
                    "hvb",
                    None,
                ],
                [
                    "NOR-2025-0502",
                    "call_off",
                    "559900-0001",
                    45658,
                    None,
                    "hvb",
                    "NOR-2025-0501",
                ],  # 2025-01-01 as a serial
            ],
            "Leverantörer": [["Organisationsnummer", "Namn", "Egen regi"], ["559900-0001", "Gamma Omsorg AB", "nej"]],
            "Avtalsområden": [["Kod", "Namn", "Regim"], ["hvb", "HVB barn och unga", "LOU"]],
        }
    )
    report = _import(app, world, "register.xlsx", book, role="placement_coordinator")
    assert report.errors == [], report.errors
    assert report.committed
    assert {k: c.created for k, c in report.counts.items()} == {
        "contract_areas": 1,
        "providers": 1,
        "agreements": 2,
        "placements": 1,
    }
    with world.engine.connect() as conn:
        call_off = (
            conn.execute(select(AGREEMENT).where(AGREEMENT.c.registry_number == "NOR-2025-0502")).mappings().one()
        )
        framework_id = conn.execute(
            select(AGREEMENT.c.id).where(AGREEMENT.c.registry_number == "NOR-2025-0501")
        ).scalar_one()
        placement = conn.execute(select(PLACEMENT).where(PLACEMENT.c.agreement_id == call_off["id"])).mappings().one()
    assert (call_off["parent_id"], call_off["starts_on"]) == (framework_id, date(2025, 1, 1))
    assert (placement["starts_on"], placement["gender"]) == (date(2025, 4, 1), "female")
    assert placement["social_worker_id"] == world.users[("NORTH", "social_worker")]


def test_a_bad_row_in_a_workbook_is_named_by_sheet_and_row(app: Application, world: World) -> None:
    book = _workbook(
        {
            "Leverantörer": [
                ["org_number", "name", "in_house"],
                ["559900-0002", "Delta AB", "nej"],
                ["559900-0003", "Epsilon AB", "kanske"],
            ]
        }
    )
    report = _import(app, world, "register.xlsx", book)
    assert not report.committed
    assert [(e.where, e.column, e.rule) for e in report.errors] == [("Leverantörer!3", "in_house", "import_value")]


HISTORY_AGREEMENTS = _csv(
    "registry_number;agreement_type;provider_org_number;starts_on;ends_on",
    "NOR-2024-0701;individual;550001-0000;2024-01-01;2027-12-31",
    "NOR-2024-0702;individual;550001-0000;2024-01-01;2027-12-31",
    "NOR-2024-0703;individual;550001-0000;2024-01-01;2027-12-31",
)
HISTORY = _csv(
    "case_ref;case_type;agreement_registry_number;trigger;occurred_on;registry_number;reason;username;"
    "reason_code;evidence;termination_reason;initiator;rescission_ground",
    "A1;agreement;NOR-2024-0701;open;2025-01-10;;registered;north.contract_strategist;;;;;",
    "A1;;;suspend;2025-03-03;NOR-2025-0031;dormant;north.director;dormant;no call-offs for a year;;;",
    "A1;;;terminate;2025-05-02;NOR-2025-0050;board meeting;north.board;;;wound_down;provider;",
    "A2;agreement;NOR-2024-0702;open;2025-01-10;;registered;north.contract_strategist;;;;;",
    "A2;;;terminate;2025-06-10;NOR-2025-0061;board meeting;north.board;;;insolvency;municipality;",
    "A3;agreement;NOR-2024-0703;terminate;2025-09-01;NOR-2025-0090;board meeting;north.board;;;permit_lost;mutual;",
)


def _without(content: bytes, column: str) -> bytes:
    lines = content.decode("utf-8-sig").split("\r\n")
    at = lines[0].split(";").index(column)
    return _csv(*(";".join(c for i, c in enumerate(line.split(";")) if i != at) for line in lines if line))


#: The same history recorded today (no occurred_on): what the rules below need does not depend on dates.
HISTORY_TODAY = _without(HISTORY, "occurred_on")


def test_an_imported_history_reproduces_the_terminated_agreements_report_of_its_year(
    app: Application, world: World
) -> None:
    assert _import(app, world, "agreements.csv", HISTORY_AGREEMENTS).committed
    report = _import(app, world, "historik.csv", HISTORY)
    assert report.errors == [], report.errors
    assert report.committed
    assert (report.counts["history"].created, report.counts["history"].errors) == (6, 0)
    with world.engine.connect() as conn:
        ended = build_report(conn, "terminations", world.orgs["NORTH"], date(2025, 1, 1), date(2025, 12, 31))
        in_2026 = build_report(conn, "terminations", world.orgs["NORTH"], date(2026, 1, 1), date(2026, 12, 31))
        statuses = dict(
            conn.execute(
                select(AGREEMENT.c.registry_number, AGREEMENT.c.status).where(
                    AGREEMENT.c.registry_number.like("NOR-2024-07%")
                )
            ).all()
        )
    rows = ended.table("ended_agreements").rows
    assert [(r["registry_number"], r["date"]) for r in rows] == [
        ("NOR-2025-0050", date(2025, 5, 2)),
        ("NOR-2025-0061", date(2025, 6, 10)),
        ("NOR-2025-0090", date(2025, 9, 1)),
    ]
    assert [r["initiator"] for r in rows] == ["Provider", "Municipality", "Mutual"]
    assert in_2026.table("ended_agreements").rows == []
    assert set(statuses.values()) == {"terminated"}


def test_an_imported_history_imported_again_adds_no_event(app: Application, world: World) -> None:
    assert _import(app, world, "agreements.csv", HISTORY_AGREEMENTS).committed
    assert _import(app, world, "historik.csv", HISTORY_TODAY).committed
    before = _counts(world.engine)
    again = _import(app, world, "historik.csv", HISTORY_TODAY)
    assert again.committed and (again.counts["history"].created, again.counts["history"].unchanged) == (0, 6)
    assert _counts(world.engine) == before


def test_a_decision_without_a_mandate_in_the_history_names_its_line_and_the_rule(
    app: Application, world: World
) -> None:
    assert _import(app, world, "agreements.csv", HISTORY_AGREEMENTS).committed
    wrong = HISTORY_TODAY.replace(b"wound_down;provider;\r\nA2", b"wound_down;provider;\r\nA2").replace(
        b"NOR-2025-0050;board meeting;north.board", b"NOR-2025-0050;board meeting;north.social_worker"
    )
    report = _import(app, world, "historik.csv", wrong)
    assert not report.committed
    assert [(e.line, e.rule) for e in report.errors] == [(4, "no_mandate")]
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DECISION)).scalar_one() == 0


def test_the_later_rows_of_a_case_whose_first_row_was_refused_are_reported_too(app: Application, world: World) -> None:
    assert _import(app, world, "agreements.csv", HISTORY_AGREEMENTS).committed
    wrong = HISTORY_TODAY.replace(b"A1;agreement;NOR-2024-0701;", b"A1;agreement;NOR-2024-0799;")
    report = _import(app, world, "historik.csv", wrong)
    assert [(e.line, e.rule) for e in report.errors] == [
        (2, "import_reference"),
        (3, "import_case_not_opened"),
        (4, "import_case_not_opened"),
    ]


def test_a_date_of_an_event_is_never_dropped_where_the_engine_cannot_record_it(
    app: Application, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_run, "DATED", False)
    assert _import(app, world, "agreements.csv", HISTORY_AGREEMENTS).committed
    report = _import(app, world, "historik.csv", HISTORY)
    assert not report.committed
    assert {(e.column, e.rule) for e in report.errors} == {("occurred_on", "import_not_supported")}
    assert len(report.errors) == 6


def _cli_url(engine: Engine) -> str:
    """The test database's URL for the command line (on PostgreSQL with the test process's schema)."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def test_the_import_command_prints_a_swedish_summary_and_saves_nothing_on_a_dry_run(
    engine: Engine, tmp_path: Path
) -> None:
    url, env = _cli_url(engine), {"UPPF_LOG_LEVEL": "WARNING"}
    w = build_world(engine)
    path = tmp_path / "Avtal.csv"
    path.write_bytes(AGREEMENTS)
    before = _counts(engine)
    args = [
        "--database-url",
        url,
        "--log-level",
        "WARNING",
        "import",
        str(path),
        "--as",
        "north.contract_strategist",
        "--organisation",
        "NORTH",
    ]
    res = CliRunner().invoke(main, [*args, "--dry-run"], env=env, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[:2] == [
        "Provkörning av Avtal.csv: inget sparades.",
        "Avtal: 3 skapade, 0 oförändrade, 0 avvisade",
    ]
    assert _counts(engine) == before
    res = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0] == "Import av Avtal.csv: sparad."
    assert _counts(engine)["agreement"] == before["agreement"] + 3
    assert w.orgs["NORTH"]


def test_the_import_command_names_each_refused_row_and_fails(engine: Engine, tmp_path: Path) -> None:
    build_world(engine)
    path = tmp_path / "avtal.csv"
    path.write_bytes(AGREEMENTS.replace(b"0102;individual;550001-0000", b"0102;individual;000000-0000"))
    url = _cli_url(engine)
    res = CliRunner().invoke(
        main,
        ["--database-url", url, "--log-level", "WARNING", "import", str(path), "--as", "north.contract_strategist"],
        catch_exceptions=False,
    )
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert lines[0] == "Import av avtal.csv: inget sparades, eftersom 1 rad(er) avvisades."
    assert lines[2] == "Avvisade rader:"
    assert lines[3].startswith("  Avtal, rad 3, kolumn provider_org_number: no provider with organisation number")
    assert lines[3].endswith("(regel import_reference)")


def test_the_import_command_refuses_a_user_of_another_organisation(engine: Engine, tmp_path: Path) -> None:
    build_world(engine)
    path = tmp_path / "avtal.csv"
    path.write_bytes(AGREEMENTS)
    url = _cli_url(engine)
    res = CliRunner().invoke(
        main,
        [
            "--database-url",
            url,
            "--log-level",
            "WARNING",
            "import",
            str(path),
            "--as",
            "south.contract_strategist",
            "--organisation",
            "NORTH",
        ],
    )
    assert res.exit_code == 1
    assert "Importen avvisades" in res.output and "import_organisation" in res.output


@pytest.mark.only_on("postgresql")
def test_a_value_the_database_refuses_is_that_rows_error_and_the_rows_after_it_still_run(
    app: Application, world: World
) -> None:
    too_long = "x" * 250  # provider.name is at most 200 characters; PostgreSQL refuses it, SQLite does not check
    content = _csv(
        "org_number;name",
        f"559900-0101;{too_long}",
        "559900-0102;Zeta AB",
        "559900-0103;Eta AB",
    )
    report = _import(app, world, "providers.csv", content, dry_run=True)
    assert [(e.line, e.rule) for e in report.errors] == [(2, "database")]
    assert (report.counts["providers"].created, report.counts["providers"].errors) == (2, 1)


def test_the_import_logs_counts_never_a_client_reference_or_a_rows_contents(app: Application, world: World) -> None:
    placements = _csv(
        "agreement_registry_number;client_ref;starts_on;gender",
        "NOR-2024-0701;KL-SECRET-1;2025-02-01;female",
        "NOR-2024-0701;KL-SECRET-2;2025-13-01;male",
    )
    assert _import(app, world, "agreements.csv", HISTORY_AGREEMENTS).committed
    with structlog.testing.capture_logs() as logs:
        report = _import(app, world, "placeringar.csv", placements, role="placement_coordinator")
        _import(app, world, "historik.csv", HISTORY_TODAY)
    assert [e.line for e in report.errors] == [3]
    text = repr(logs)
    assert "import.finished" in text
    for secret in ("KL-SECRET", "2025-02-01", "board meeting", "wound_down", "NOR-2024-0701"):
        assert secret not in text


def test_a_refused_row_in_a_batch_is_reported_alone_and_the_rows_around_it_count_once(
    app: Application, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_run, "BATCH", 3)  # rows 2-4, 5-7, 8-10, 11: the bad row is in the second batch
    history = [
        "case_ref;case_type;agreement_registry_number;trigger;registry_number;reason;username;termination_reason;initiator",
        "A1;agreement;NOR-2024-0701;open;;registered;;;",
        "A2;agreement;NOR-2024-0702;open;;registered;;;",
        "A3;agreement;NOR-2024-0703;open;;registered;;;",
        "A1;;;suspend;NOR-2026-0001;no evidence given;north.department_head;;",  # line 5: no reason_code, evidence
        "A2;;;terminate;NOR-2026-0002;board meeting;north.board;wound_down;provider",
        "A1;;;terminate;NOR-2026-0003;board meeting;north.board;insolvency;municipality",
        "A3;;;terminate;NOR-2026-0004;board meeting;north.board;permit_lost;mutual",
    ]
    assert _import(app, world, "agreements.csv", HISTORY_AGREEMENTS).committed
    report = _import(app, world, "historik.csv", _csv(*history), dry_run=True)
    assert [(e.line, e.rule) for e in report.errors] == [(5, "invalid_input")]
    assert (report.counts["history"].created, report.counts["history"].errors) == (6, 1)
    fixed = [line for i, line in enumerate(history) if i != 4]
    done = _import(app, world, "historik.csv", _csv(*fixed))
    assert done.committed and done.counts["history"].created == 6
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DECISION)).scalar_one() == 3


def test_a_case_moved_in_a_batch_that_rolls_back_is_read_again_when_its_rows_run_alone(
    app: Application, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_run, "BATCH", 4)  # rows 2-5: A2 is terminated, then row 5 is refused
    history = [
        "case_ref;case_type;agreement_registry_number;trigger;registry_number;reason;username;termination_reason;initiator",
        "A1;agreement;NOR-2024-0701;open;;registered;;;",
        "A2;agreement;NOR-2024-0702;open;;registered;;;",
        "A2;;;terminate;NOR-2026-0002;board meeting;north.board;wound_down;provider",
        "A1;;;suspend;NOR-2026-0001;no evidence given;north.department_head;;",  # line 5: no reason_code, evidence
        "A1;;;terminate;NOR-2026-0003;board meeting;north.board;insolvency;municipality",
    ]
    assert _import(app, world, "agreements.csv", HISTORY_AGREEMENTS).committed
    report = _import(app, world, "historik.csv", _csv(*history), dry_run=True)
    assert [(e.line, e.rule) for e in report.errors] == [(5, "invalid_input")]
    assert (report.counts["history"].created, report.counts["history"].errors) == (4, 1)
    done = _import(app, world, "historik.csv", _csv(*(line for i, line in enumerate(history) if i != 4)))
    assert done.committed and done.counts["history"].created == 4
    with world.engine.connect() as conn:
        assert verify(conn) == []
        assert conn.execute(select(func.count()).select_from(DECISION)).scalar_one() == 2


def test_an_opening_row_with_a_registry_number_is_refused_not_dropped(app: Application, world: World) -> None:
    assert _import(app, world, "agreements.csv", HISTORY_AGREEMENTS).committed
    content = _csv(
        "case_ref;case_type;agreement_registry_number;trigger;registry_number;reason",
        "A1;agreement;NOR-2024-0701;open;NOR-2026-0009;registered",
    )
    report = _import(app, world, "historik.csv", content)
    assert [(e.line, e.column, e.rule) for e in report.errors] == [(2, "registry_number", "import_value")]


def test_an_administrator_imports_organisations_and_their_users_and_a_rerun_changes_nothing(
    app: Application, world: World
) -> None:
    book = _workbook(
        {
            "Användare": [
                ["Användarnamn", "Namn", "E-post", "Organisation", "Roller"],
                ["east.strateg", "Eva Strateg", "eva@east.test.invalid", "EAST", "contract_strategist, unit_manager"],
                ["east.socsek", "Sam Socsek", "sam@east.test.invalid", "EAST", "social_worker"],
            ],
            "Organisationer": [["Kod", "Namn", "Typ"], ["EAST", "Östra nämnden", "district_board"]],
        }
    )
    admin = world.actor("CENTRAL", "administrator")
    report: ImportReport = app.execute(ImportFile("org.xlsx", book), admin)
    assert report.errors == [] and report.committed
    assert {k: c.created for k, c in report.counts.items()} == {"organisations": 1, "users": 2}
    with world.engine.connect() as conn:
        east = conn.execute(select(ORG).where(ORG.c.code == "EAST")).mappings().one()
        users = conn.execute(
            select(USER.c.username, USER.c.roles).where(USER.c.organisation_id == east["id"]).order_by(USER.c.username)
        ).all()
    assert (east["name"], east["kind"], east["parent_id"]) == ("Östra nämnden", "district_board", world.orgs["CENTRAL"])
    assert [(u.username, sorted(u.roles)) for u in users] == [
        ("east.socsek", ["social_worker"]),
        ("east.strateg", ["contract_strategist", "unit_manager"]),
    ]
    again: ImportReport = app.execute(ImportFile("org.xlsx", book), admin)
    assert again.committed and {k: c.unchanged for k, c in again.counts.items()} == {"organisations": 1, "users": 2}


def test_organisations_are_created_only_by_an_administrator_the_rule_says_so(app: Application, world: World) -> None:
    content = _csv("code;name;kind", "EAST;Östra nämnden;district_board")
    report = _import(app, world, "organisationer.csv", content)
    assert not report.committed
    assert [(e.line, e.rule) for e in report.errors] == [(2, "role")]


def test_an_administrators_import_of_agreements_acts_as_the_user_each_row_names(app: Application, world: World) -> None:
    rows = AGREEMENTS.decode("utf-8-sig").splitlines()
    named = [rows[0] + ";username"] + [r + ";north.contract_strategist" for r in rows[1:]]
    admin = world.actor("NORTH", "administrator")
    report: ImportReport = app.execute(ImportFile("avtal.csv", _csv(*named)), admin)
    assert report.committed and report.counts["agreements"].created == 3
    refused: ImportReport = app.execute(
        ImportFile("avtal.csv", AGREEMENTS.replace(b"NOR-2025-01", b"NOR-2025-09")), admin
    )
    assert {e.rule for e in refused.errors} == {"role_not_permitted"}


def test_an_imported_agreements_case_opens_on_the_day_it_began_as_a_late_entry(app: Application, world: World) -> None:
    assert _import(app, world, "agreements.csv", HISTORY_AGREEMENTS).committed
    with world.engine.connect() as conn:
        opened = conn.execute(
            select(EVENT.c.occurred_on, EVENT.c.late_entry, EVENT.c.late_reason)
            .join(AGREEMENT, AGREEMENT.c.case_id == EVENT.c.case_id)
            .where(AGREEMENT.c.registry_number == "NOR-2024-0701", EVENT.c.trigger == "open")
        ).one()
    assert (opened.occurred_on, opened.late_entry) == (date(2024, 1, 1), True)
    assert opened.late_reason
