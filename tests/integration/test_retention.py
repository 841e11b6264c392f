"""Retention (gallring): personal data past its time is purged, the reports and the audit chain are not."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, func, insert, select, update

from scheduler.service import SchedulerService
from tests.report_scenario import build_year
from tests.world import Clock, World, build_world
from workflow.bootstrap import Application
from workflow.cases.access import record_reads
from workflow.cases.opening import open_case
from workflow.deadlines.commands import ExtendDeadline
from workflow.engine.audit import verify
from workflow.engine.errors import InvalidInput, NotPermitted
from workflow.engine.firing import Actor
from workflow.reports.catalogue import build_report
from workflow.reports.recording import record_individual_follow_up
from workflow.retention import schedule as schedules
from workflow.retention.commands import RunRetention
from workflow.retention.purge import PURGED_CLIENT_REF, PurgeResult, purge
from workflow.schema.db import new_id
from workflow.schema.tables import (
    ACCESS_LOG,
    CASE,
    CHANGE,
    DEADLINE,
    EVENT,
    OUTBOX,
    PLACEMENT,
    PURGE,
)
from workflow.settings import Settings

pytestmark = pytest.mark.integration

OLD = "HEMLIG-2026"  # planted in every personal free text of 2026: past its time in 2032
NEW = "HEMLIG-2031"  # planted in those of 2031: within its time in 2032
PURGE_DAY = datetime(2032, 3, 1, 9, 0, tzinfo=UTC)  # five years after 2027-03-01


def _placement(w: World, ref: str, gender: str, ends_on: date | None) -> int:
    with w.engine.begin() as conn:
        return new_id(
            conn.execute(
                insert(PLACEMENT).values(
                    organisation_id=w.orgs["NORTH"],
                    agreement_id=w.agreements["north_calloff"],
                    provider_id=w.providers["Acme Care AB"],
                    client_ref=ref,
                    gender=gender,
                    starts_on=date(2025, 1, 1),
                    ends_on=ends_on,
                )
            )
        )


def _plan_case(w: World, app: Application, placement_id: int, secret: str, extend: bool = False) -> int:
    """An implementation plan requested, (its deadline extended,) received and approved: closed, with free texts."""
    worker = w.actor("NORTH", "placement_coordinator")
    cid = open_case(
        w.wf,
        "implementation_plan",
        worker,
        f"Begärd för klienten {secret}",
        title=f"Genomförandeplan {secret}",
        placement_id=placement_id,
    ).case_id
    if extend:
        with w.engine.connect() as conn:
            deadline = conn.execute(select(DEADLINE.c.id).where(DEADLINE.c.case_id == cid)).scalar_one()
        app.execute(ExtendDeadline(deadline, f"Klienten {secret} är sjuk", date(w.clock().year, 12, 1)), worker)
    w.wf.fire(cid, "receive", worker, f"Mottagen; {secret} har flyttat")
    w.wf.fire(cid, "approve", worker, f"Godkänd, {secret} mår bättre")
    return cid


def _history(w: World, year: int, secret: str, ends_on: date) -> dict[str, Any]:
    """A year's individual-level work of NORTH: placements, follow-ups, closed plan cases, reads, sent mail."""
    app = Application(Settings(), w.engine, w.clock)
    w.clock.now = datetime(year, 3, 2, 9, 0, tzinfo=UTC)
    made: dict[str, Any] = {"placements": [], "cases": []}
    for n, gender in enumerate(("female", "male", "other")):
        pid = _placement(w, f"KL-{secret}-{n}", gender, ends_on)
        made["placements"].append(pid)
        with w.engine.begin() as conn:
            record_individual_follow_up(
                conn,
                w.orgs["NORTH"],
                pid,
                date(year, 5, 1 + n),
                {"A1": "approved", "A2": "deficient", "A3": "approved", "A4": "very_good"},
            )
        made["cases"].append(_plan_case(w, app, pid, f"{secret}-{n}", extend=n == 0))
    with w.engine.begin() as conn:
        record_reads(conn, w.actor("NORTH", "social_worker"), "placement", made["placements"], "detail", w.clock())
        for n, case_id in enumerate((made["cases"][0], None)):
            conn.execute(
                insert(OUTBOX).values(
                    organisation_id=w.orgs["NORTH"],
                    case_id=case_id,
                    dedupe_key=f"test:{secret}:{n}",
                    kind="reminder",
                    recipients=["social_worker@north.test.invalid"],
                    subject="Påminnelse",
                    body=f"Om {secret}",
                    next_attempt_at=w.clock(),
                    created_at=w.clock(),
                )
            )
        conn.execute(
            update(OUTBOX)
            .where(
                OUTBOX.c.organisation_id == w.orgs["NORTH"],
                OUTBOX.c.status == "pending",
                OUTBOX.c.created_at >= datetime(year, 1, 1, tzinfo=UTC),
            )
            .values(status="sent", sent_at=w.clock(), body=f"Hej! Om {secret} ...")
        )
    return made


def _world(engine: Engine) -> tuple[World, dict[str, Any], dict[str, Any]]:
    """NORTH's individual-level work of 2026 (past its time in 2032) and of 2031 (within it); schedule loaded."""
    w = build_world(engine, Clock())
    with engine.begin() as conn:
        schedules.load_file(conn)
    old = _history(w, 2026, OLD, date(2026, 10, 31))
    new = _history(w, 2031, NEW, date(2031, 6, 30))
    w.clock.now = PURGE_DAY
    return w, old, new


def _run(w: World, dry_run: bool = False, org: str = "NORTH") -> PurgeResult:
    app = Application(Settings(), w.engine, w.clock)
    result: PurgeResult = app.execute(RunRetention(dry_run=dry_run), Actor.system(w.orgs[org]))
    return result


def _texts(engine: Engine) -> str:
    """Every personal free text the purge acts on, as one string to search."""
    with engine.connect() as conn:
        parts = [
            *conn.execute(select(PLACEMENT.c.client_ref)).scalars(),
            *conn.execute(select(CASE.c.title)).scalars(),
            *conn.execute(select(EVENT.c.reason)).scalars(),
            *(r or "" for r in conn.execute(select(DEADLINE.c.change_reason)).scalars()),
            *conn.execute(select(CHANGE.c.reason)).scalars(),
            *conn.execute(select(OUTBOX.c.body)).scalars(),
        ]
    return "\n".join(parts)


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in (PLACEMENT, CASE, EVENT, DEADLINE, CHANGE, OUTBOX, ACCESS_LOG, PURGE)
        }


def _counts(result: PurgeResult) -> dict[str, int]:
    return {p.record_kind: p.records for p in result.purged}


# --- reports -------------------------------------------------------------------------------------------------------


def _reports(engine: Engine, orgs: dict[str, int]) -> dict[str, Any]:
    asked = [
        ("annual", date(2025, 1, 1), date(2025, 12, 31)),
        ("annual", date(2026, 1, 1), date(2026, 12, 31)),
        ("terminations", date(2026, 1, 1), date(2026, 12, 31)),
        ("decisions", date(2026, 1, 1), date(2026, 12, 31)),
        ("individual", date(2026, 1, 1), date(2026, 12, 31)),
    ]
    out = {}
    with engine.connect() as conn:
        for name, start, end in asked:
            for viewer, org in (("NORTH", None), ("CENTRAL", "NORTH")):
                d = build_report(conn, name, orgs[viewer], start, end, orgs[org] if org else None).as_dict()
                d.pop("generated_at")
                out[f"{name} {start.year} seen by {viewer}"] = d
    return out


def test_a_purge_leaves_every_report_of_earlier_years_unchanged_figure_by_figure(engine: Engine) -> None:
    s = build_year(engine, seed=15)
    w = s.w
    with engine.begin() as conn:
        schedules.load_file(conn)
    _history(w, 2026, OLD, date(2026, 10, 31))
    before = _reports(engine, w.orgs)
    individual = before["individual 2026 seen by NORTH"]["tables"]
    assert individual[0]["rows"][0]["performed"] >= 3  # the year's follow-ups are there to be counted
    w.clock.now = PURGE_DAY
    result = _run(w)
    assert _counts(result)["placement_client_ref"] == 3
    assert _counts(result)["individual_case_texts"] == 3
    assert OLD not in _texts(engine)
    after = _reports(engine, w.orgs)
    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key
    with engine.connect() as conn:
        assert verify(conn) == []


# --- what is purged and what is kept -------------------------------------------------------------------------------


def test_personal_data_past_its_time_is_gone_and_data_within_its_time_is_untouched(engine: Engine) -> None:
    w, old, new = _world(engine)
    assert OLD in _texts(engine) and NEW in _texts(engine)
    _run(w)
    texts = _texts(engine)
    assert OLD not in texts
    # client references, titles, reasons of the three events of each case, the extension's two, the two e-mails
    assert texts.count(NEW) == 3 + 3 + 3 * 3 + 2 + 2
    with engine.connect() as conn:
        refs = dict(conn.execute(select(PLACEMENT.c.id, PLACEMENT.c.client_ref)).all())
        assert {refs[p] for p in old["placements"]} == {PURGED_CLIENT_REF}
        assert [refs[p] for p in new["placements"]] == [f"KL-{NEW}-{n}" for n in range(3)]
        assert refs[w.placements["north"]] == "KL-0001"  # still running
        genders = conn.execute(select(PLACEMENT.c.gender).where(PLACEMENT.c.id.in_(old["placements"]))).scalars()
        assert sorted(genders) == ["female", "male", "other"]
        cases = {r.id: r for r in conn.execute(select(CASE).where(CASE.c.id.in_(old["cases"] + new["cases"])))}
        assert [cases[c].title for c in old["cases"]] == ["", "", ""]
        assert [(cases[c].status, cases[c].case_type) for c in old["cases"]] == [
            ("approved", "implementation_plan")
        ] * 3
        events = conn.execute(select(EVENT).where(EVENT.c.case_id.in_(old["cases"]))).mappings().all()
        assert events and all(e["reason"] == "" and e["text_salt"] is None and e["redacted"] for e in events)
        assert [e["trigger"] for e in events if e["case_id"] == old["cases"][1]] == ["open", "receive", "approve"]
        kept = conn.execute(select(EVENT).where(EVENT.c.case_id.in_(new["cases"]))).mappings().all()
        assert all(e["redacted"] is None and NEW in e["reason"] for e in kept if e["trigger"] != "extend")
        reads = conn.execute(select(ACCESS_LOG.c.at)).scalars().all()
        assert reads and all(at.year == 2031 for at in reads)


def test_the_purge_log_holds_counts_per_rule_and_version_never_contents(engine: Engine) -> None:
    w, _old, _new = _world(engine)
    result = _run(w)
    with engine.connect() as conn:
        rows = conn.execute(select(PURGE).order_by(PURGE.c.id)).mappings().all()
    assert {r["record_kind"]: r["records"] for r in rows} == {
        "placement_client_ref": 3,
        "individual_case_texts": 3,
        "outbox_message_bodies": 2,
        "access_log_entries": 3,
    }
    assert {(r["schedule_version"], r["run_id"], r["organisation_id"]) for r in rows} == {
        ("2026-1", result.run_id, w.orgs["NORTH"])
    }
    assert {r["record_kind"]: r["anchored_before"] for r in rows}["placement_client_ref"] == date(2027, 3, 1)
    assert {r["record_kind"]: r["anchored_before"] for r in rows}["access_log_entries"] == date(2029, 3, 1)
    logged = " ".join(str(v) for r in rows for v in r.values())
    assert "HEMLIG" not in logged and "KL-" not in logged and "Hej" not in logged


def test_a_dry_run_changes_nothing_and_counts_what_a_run_would_purge(engine: Engine) -> None:
    w, _old, _new = _world(engine)
    before = _snapshot(engine)
    dry = _run(w, dry_run=True)
    assert dry.dry_run and dry.schedule_version == "2026-1"
    assert _snapshot(engine) == before
    assert _counts(dry)["placement_client_ref"] == 3 and _counts(dry)["access_log_entries"] == 3
    assert _counts(_run(w)) == _counts(dry)


def test_running_twice_purges_nothing_the_second_time(engine: Engine) -> None:
    w, _old, _new = _world(engine)
    assert _run(w).records > 0
    after_first = _snapshot(engine)
    second = _run(w)
    assert second.records == 0 and set(_counts(second).values()) == {0}
    assert _snapshot(engine) == after_first  # no new purge log rows either


def test_nothing_is_purged_for_a_board_without_a_schedule_in_force(engine: Engine, tmp_path: Path) -> None:
    w = build_world(engine, Clock())
    south_only = {**_version("2026-1", date(2026, 1, 1), 5), "applies_to": ["SOUTH"]}
    later = {**_version("2040-1", date(2040, 1, 1), 5), "applies_to": ["NORTH"]}
    with engine.begin() as conn:
        assert schedules.load_file(conn, _schedule_file(tmp_path, [south_only, later])) == 2
    _history(w, 2026, OLD, date(2026, 10, 31))
    w.clock.now = PURGE_DAY
    before = _snapshot(engine)
    north = _run(w)
    assert (north.schedule_version, north.purged) == (None, ())  # its only version is not in force yet
    assert _snapshot(engine) == before
    with engine.connect() as conn:
        assert schedules.organisations_with_schedule(conn) == sorted([w.orgs["SOUTH"], w.orgs["NORTH"]])


# --- the audit chain -----------------------------------------------------------------------------------------------


def test_verify_audit_passes_after_a_purge_and_still_catches_an_edit_of_a_purged_event(engine: Engine) -> None:
    w, old, _new = _world(engine)
    _run(w)
    with engine.connect() as conn:
        assert verify(conn) == []
    with engine.begin() as conn:
        target = conn.execute(
            select(EVENT.c.id, EVENT.c.seq).where(EVENT.c.case_id == old["cases"][0], EVENT.c.trigger == "approve")
        ).one()
        conn.execute(update(EVENT).where(EVENT.c.id == target.id).values(to_status="cancelled"))
    with engine.connect() as conn:
        breaks = verify(conn)
    assert [(b.case_id, b.seq, b.problem) for b in breaks] == [
        (old["cases"][0], target.seq, "content does not match its hash")
    ]


def test_blanking_a_reason_without_keeping_its_digest_breaks_the_chain(engine: Engine) -> None:
    _w, old, _new = _world(engine)
    with engine.begin() as conn:  # what a naive purge would do
        conn.execute(update(EVENT).where(EVENT.c.case_id == old["cases"][0]).values(reason=""))
    with engine.connect() as conn:
        assert [b.case_id for b in verify(conn)] == [old["cases"][0]]


def test_a_case_whose_chain_was_tampered_with_is_not_purged_so_the_tampering_stays_visible(engine: Engine) -> None:
    w, old, _new = _world(engine)
    tampered = old["cases"][1]
    with engine.begin() as conn:
        conn.execute(
            update(EVENT).where(EVENT.c.case_id == tampered, EVENT.c.trigger == "approve").values(reason="ändrad")
        )
    with engine.connect() as conn:
        assert [b.case_id for b in verify(conn)] == [tampered]
    uow = Application(Settings(), w.engine, w.clock).uow
    with engine.connect() as conn:
        schedule = schedules.in_force(conn, w.orgs["NORTH"], PURGE_DAY.date())
    result = purge(uow, schedule, w.orgs["NORTH"], PURGE_DAY.date(), PURGE_DAY, batch=1)  # one case per batch
    assert _counts(result)["individual_case_texts"] == 2
    with engine.connect() as conn:
        titles = dict(conn.execute(select(CASE.c.id, CASE.c.title).where(CASE.c.id.in_(old["cases"]))).all())
        assert titles[tampered] == f"Genomförandeplan {OLD}-1"
        assert titles[old["cases"][0]] == titles[old["cases"][2]] == ""
        assert [(b.case_id, b.problem) for b in verify(conn)] == [(tampered, "content does not match its hash")]
        logged = conn.execute(select(PURGE.c.records).where(PURGE.c.record_kind == "individual_case_texts"))
        assert sorted(logged.scalars()) == [1, 1]


def test_an_event_written_before_salts_is_purged_and_keeps_its_place_in_the_chain(engine: Engine) -> None:
    w, old, _new = _world(engine)
    from workflow.engine.audit import GENESIS, event_hash

    case_id = old["cases"][1]
    with engine.begin() as conn:  # rewrite the case's chain as the product wrote it before salts (hash over the text)
        prev = GENESIS
        for e in conn.execute(select(EVENT).where(EVENT.c.case_id == case_id).order_by(EVENT.c.seq)).mappings().all():
            legacy = {**e, "text_salt": None}
            h = event_hash(prev, legacy)
            conn.execute(update(EVENT).where(EVENT.c.id == e["id"]).values(text_salt=None, prev_hash=prev, hash=h))
            prev = h
        conn.execute(update(CASE).where(CASE.c.id == case_id).values(audit_hash=prev))
    with engine.connect() as conn:
        assert verify(conn) == []
    _run(w)
    with engine.connect() as conn:
        reasons = conn.execute(select(EVENT.c.reason).where(EVENT.c.case_id == case_id)).scalars().all()
        assert set(reasons) == {""}
        assert verify(conn) == []
    with engine.begin() as conn:  # its place in the chain is still checked: relinking it is found
        conn.execute(update(EVENT).where(EVENT.c.case_id == case_id, EVENT.c.seq == 2).values(prev_hash="f" * 64))
    with engine.connect() as conn:
        assert [b.case_id for b in verify(conn)] == [case_id]


# --- versions, permissions, concurrency, the scheduler -------------------------------------------------------------


def _schedule_file(tmp_path: Path, versions: list[dict[str, Any]]) -> Path:
    path = tmp_path / "retention.yaml"
    path.write_text(yaml.safe_dump({"schedules": versions}, allow_unicode=True), encoding="utf-8")
    return path


def _version(name: str, valid_from: date, years: int) -> dict[str, Any]:
    bundled = yaml.safe_load(schedules.DEFAULT_FILE.read_text(encoding="utf-8"))["schedules"][0]
    rules = [dict(r, years=years) if r["record_kind"] == "placement_client_ref" else r for r in bundled["rules"]]
    return {**bundled, "version": name, "valid_from": valid_from, "rules": rules}


def test_a_new_schedule_version_applies_from_its_date_and_leaves_earlier_purges_as_they_were(
    engine: Engine, tmp_path: Path
) -> None:
    w, old, new = _world(engine)
    first = _run(w)
    assert first.schedule_version == "2026-1"
    with engine.begin() as conn:
        assert schedules.load_file(conn, _schedule_file(tmp_path, [_version("2033-1", date(2033, 1, 1), 1)])) == 3
    with engine.connect() as conn:
        logged = conn.execute(select(PURGE.c.schedule_version, PURGE.c.records).order_by(PURGE.c.id)).all()
    w.clock.now = datetime(2032, 12, 31, 9, 0, tzinfo=UTC)
    assert _run(w).schedule_version == "2026-1"  # not yet in force: 2031's placements are kept
    w.clock.now = datetime(2033, 1, 3, 9, 0, tzinfo=UTC)
    later = _run(w)
    assert later.schedule_version == "2033-1" and _counts(later)["placement_client_ref"] == 3
    with engine.connect() as conn:
        rows = conn.execute(select(PURGE.c.schedule_version, PURGE.c.records).order_by(PURGE.c.id)).all()
        refs = set(conn.execute(select(PLACEMENT.c.client_ref).where(PLACEMENT.c.id.in_(new["placements"]))).scalars())
    assert rows[: len(logged)] == logged  # what the earlier purge did is logged as it was
    assert ("2033-1", 3) in rows[len(logged) :]
    assert refs == {PURGED_CLIENT_REF}
    assert _counts(first)["placement_client_ref"] == len(old["placements"])


def test_a_stored_version_whose_rules_changed_is_refused(engine: Engine, tmp_path: Path) -> None:
    build_world(engine)
    with engine.begin() as conn:
        assert schedules.load_file(conn) == 3
        assert schedules.load_file(conn) == 0  # the same again: nothing added
    changed = _schedule_file(tmp_path, [_version("2026-1", date(2026, 1, 1), 10)])
    with pytest.raises(InvalidInput) as refused, engine.begin() as conn:
        schedules.load_file(conn, changed)
    assert refused.value.context["rule"] == "retention_version_changed"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"record_kind": "diaries"}, "unknown record kind"),
        ({"anchor": "case_opened"}, "counts from case_closed"),
        ({"years": 0, "months": 0}, "at least one month"),
        ({"legal_basis": " "}, "legal basis"),
    ],
)
def test_a_schedule_that_says_too_little_is_refused_naming_what(
    engine: Engine, tmp_path: Path, change: dict[str, Any], says: str
) -> None:
    build_world(engine)
    version = _version("2027-1", date(2027, 1, 1), 5)
    version["rules"] = [
        dict(r, **change) if r["record_kind"] == "individual_case_texts" else r for r in version["rules"]
    ]
    with pytest.raises(InvalidInput, match=says) as refused, engine.begin() as conn:
        schedules.load_file(conn, _schedule_file(tmp_path, [version]))
    assert refused.value.context["rule"] == "retention_schedule"


def test_only_the_scheduler_a_department_head_or_the_director_runs_the_purge(engine: Engine) -> None:
    w, _old, _new = _world(engine)
    app = Application(Settings(), w.engine, w.clock)
    for role in ("social_worker", "contract_strategist", "board_secretary"):
        with pytest.raises(NotPermitted) as refused:
            app.execute(RunRetention(), w.actor("NORTH", role))
        assert refused.value.context["rule"] == "role"
    assert OLD in _texts(engine)
    assert app.execute(RunRetention(dry_run=True), w.actor("NORTH", "department_head")).records > 0
    assert app.execute(RunRetention(), w.actor("NORTH", "director")).records > 0


def test_two_processes_purging_at_once_purge_every_record_once(engine: Engine) -> None:
    w, _old, _new = _world(engine)
    app = Application(Settings(), w.engine, w.clock)
    results: list[PurgeResult] = []
    barrier = threading.Barrier(2)

    def purge() -> None:
        barrier.wait()
        results.append(app.execute(RunRetention(), Actor.system(w.orgs["NORTH"])))

    threads = [threading.Thread(target=purge) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2
    together = {k: sum(_counts(r)[k] for r in results) for k in _counts(results[0])}
    assert together["placement_client_ref"] == 3 and together["individual_case_texts"] == 3
    assert together["access_log_entries"] == 3
    with engine.connect() as conn:
        logged = conn.execute(select(PURGE.c.record_kind, func.sum(PURGE.c.records)).group_by(PURGE.c.record_kind))
        assert dict(logged.all()) == {k: v for k, v in together.items() if v}
        assert verify(conn) == []
    assert OLD not in _texts(engine)


def test_the_scheduler_purges_once_a_day_for_every_board_with_a_schedule(engine: Engine) -> None:
    w, _old, _new = _world(engine)
    service = SchedulerService(engine, Settings(), clock=w.clock)
    due = sum(_run(w, dry_run=True, org=org).records for org in ("CENTRAL", "NORTH", "SOUTH"))
    assert due > 0
    assert service.retention() == due
    assert OLD not in _texts(engine)
    assert service.retention() == 0
    assert Settings().scheduler_retention_seconds == timedelta(days=1).total_seconds()
