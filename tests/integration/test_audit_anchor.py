"""Anchored checkpoints: what someone who can write the database but does not hold the key cannot hide.

Each tampering is one an attacker with full database access could do so that the database alone still looks whole
(its per-case chains and its unkeyed checkpoints agree again); the signed lines outside the database name it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, delete, select, update

from tests.integration.test_audit_chain import _event_id, _history, _rewind
from tests.world import World
from workflow.cases.opening import open_case
from workflow.cli import main
from workflow.engine.anchor import (
    Anchoring,
    AnchorKey,
    FileAnchorStore,
    Keyring,
    _anchor_org,
    anchor_checkpoints,
    anchor_for_board_report,
    keyring,
    signed_line,
    verify_anchors,
)
from workflow.engine.audit import GENESIS, ChainBreak, chained, take_checkpoint, take_checkpoints, verify
from workflow.pacing import DutyCycle
from workflow.schema.tables import CASE, CHECKPOINT, EVENT, ORG, Deadline, Decision, Outbox
from workflow.settings import Settings

pytestmark = pytest.mark.integration

KEY = AnchorKey(b"the-municipality-s-checkpoint-key-0123456789")


def _anchoring(tmp_path: Path, key: AnchorKey = KEY) -> Anchoring:
    return Anchoring(Keyring(key), FileAnchorStore(tmp_path / "anchors.jsonl"))


def _anchored(engine: Engine, tmp_path: Path) -> tuple[World, list[int], Anchoring]:
    world, cases = _history(engine)
    anchors = _anchoring(tmp_path)
    assert len(anchor_checkpoints(engine, anchors, world.clock())) == 2  # NORTH and SOUTH
    return world, cases, anchors


def _findings(engine: Engine, anchors: Anchoring, keys: Keyring | None = None) -> list[ChainBreak]:
    with engine.connect() as conn:
        return verify_anchors(conn, keys or anchors.keys, anchors.store)


def _kinds(breaks: list[ChainBreak]) -> list[tuple[str, int | None]]:
    return sorted((b.kind, b.case_id) for b in breaks)


def _database_alone(engine: Engine) -> list[ChainBreak]:
    with engine.connect() as conn:
        return verify(conn)


def _recheckpoint(engine: Engine, world: World, org: int) -> None:
    """What an attacker does after tampering: throw the checkpoints away and take a fresh, consistent one."""
    with engine.begin() as conn:
        conn.execute(delete(CHECKPOINT).where(CHECKPOINT.c.organisation_id == org))
        assert take_checkpoint(conn, org, world.clock()) is not None


def test_paced_anchoring_rests_after_each_organisation_and_anchors_the_same_checkpoints(
    engine: Engine, tmp_path: Path
) -> None:
    world, _cases = _history(engine)
    anchors = _anchoring(tmp_path)
    with engine.connect() as conn:
        organisations = len(conn.execute(select(ORG.c.id)).all())
    rests: list[float] = []
    pace = DutyCycle(0.5, sleep=rests.append, longest_rest=float("inf"))  # uncapped: exact under any load
    written = anchor_checkpoints(engine, anchors, world.clock(), skip_busy=True, pace=pace)
    assert sorted(a.organisation_id for a in written) == sorted([world.orgs["NORTH"], world.orgs["SOUTH"]])
    assert len(rests) == organisations, "one rest after each organisation, those with nothing to anchor too"
    assert sum(rests) == pytest.approx(pace.worked)
    assert _findings(engine, anchors) == []


def test_a_clean_chain_verifies_against_its_anchors(engine: Engine, tmp_path: Path) -> None:
    _world, _cases, anchors = _anchored(engine, tmp_path)
    lines = [json.loads(raw) for raw in anchors.store.lines()]
    assert sorted((line["seq"], line["reason"], len(line["changed"])) for line in lines) == [
        (1, "schedule", 1),  # SOUTH's one case
        (1, "schedule", 3),  # NORTH's three
    ]
    assert _findings(engine, anchors) == [] and _database_alone(engine) == []


def test_a_tail_cut_with_its_head_rewound_and_the_checkpoint_retaken_is_named(engine: Engine, tmp_path: Path) -> None:
    world, cases, anchors = _anchored(engine, tmp_path)
    _rewind(engine, cases[1], 2)
    _recheckpoint(engine, world, world.orgs["NORTH"])
    assert _database_alone(engine) == []  # the database agrees with itself again
    assert _kinds(_findings(engine, anchors)) == [("checkpoint_rewritten", None), ("rewound_head", cases[1])]


def test_a_whole_chain_recomputed_without_the_key_is_named(engine: Engine, tmp_path: Path) -> None:
    world, cases, anchors = _anchored(engine, tmp_path)
    with engine.begin() as conn:
        rows = conn.execute(select(EVENT).where(EVENT.c.case_id == cases[2]).order_by(EVENT.c.seq)).mappings().all()
        prev = GENESIS
        for row in rows:
            linked = chained({**dict(row), "reason": "rewritten"}, row["seq"], prev)
            conn.execute(
                update(EVENT)
                .where(EVENT.c.id == row["id"])
                .values(reason="rewritten", prev_hash=prev, hash=linked["hash"])
            )
            prev = linked["hash"]
        conn.execute(update(CASE).where(CASE.c.id == cases[2]).values(audit_hash=prev))
    with engine.begin() as conn:  # the checkpoint row recomputed in place, as its digest needs no key
        conn.execute(delete(CHECKPOINT).where(CHECKPOINT.c.organisation_id == world.orgs["NORTH"]))
        take_checkpoint(conn, world.orgs["NORTH"], world.clock())
    assert _database_alone(engine) == []
    found = _findings(engine, anchors)
    assert _kinds(found) == [("checkpoint_rewritten", None), ("recomputed_chain", cases[2])]
    assert "recomputed" in next(b.problem for b in found if b.case_id == cases[2])


def test_deleting_a_cases_last_events_is_named_as_a_truncated_tail(engine: Engine, tmp_path: Path) -> None:
    _world, cases, anchors = _anchored(engine, tmp_path)
    target = _event_id(engine, cases[0], 3)
    with engine.begin() as conn:
        conn.execute(delete(EVENT).where(EVENT.c.id == target))
    # The case row says version 3 and has 2 events, and the database's own checkpoint saw seq 3:
    assert {(b.kind, b.case_id) for b in _database_alone(engine)} == {("truncated_tail", cases[0])}
    found = _findings(engine, anchors)
    assert _kinds(found) == [("truncated_tail", cases[0])]


def test_deleting_a_whole_case_with_its_events_is_named(engine: Engine, tmp_path: Path) -> None:
    world, cases, anchors = _anchored(engine, tmp_path)
    victim = cases[0]
    with engine.begin() as conn:
        for table in (Decision, Outbox, Deadline):
            t = table.__table__  # type: ignore[attr-defined]
            conn.execute(delete(t).where(t.c.case_id == victim))
        conn.execute(delete(EVENT).where(EVENT.c.case_id == victim))
        conn.execute(delete(CASE).where(CASE.c.id == victim))
    _recheckpoint(engine, world, world.orgs["NORTH"])
    assert _database_alone(engine) == []
    assert ("deleted_case", victim) in _kinds(_findings(engine, anchors))


def test_editing_an_event_is_named_at_that_event(engine: Engine, tmp_path: Path) -> None:
    _world, cases, anchors = _anchored(engine, tmp_path)
    target = _event_id(engine, cases[1], 2)
    with engine.begin() as conn:
        conn.execute(update(EVENT).where(EVENT.c.id == target).values(reason="nothing to see"))
    b = _database_alone(engine)[0]
    assert (b.kind, b.case_id, b.event_id) == ("edited_event", cases[1], target)
    assert _findings(engine, anchors) == []  # its hash is unchanged: the chain, not the anchor, sees this one


def test_a_line_forged_without_the_key_is_named(engine: Engine, tmp_path: Path) -> None:
    world, cases, anchors = _anchored(engine, tmp_path)
    _rewind(engine, cases[1], 2)
    _recheckpoint(engine, world, world.orgs["NORTH"])
    forged = json.loads(next(iter(anchors.store.lines())))
    with engine.connect() as conn:
        row = conn.execute(select(CHECKPOINT).where(CHECKPOINT.c.organisation_id == world.orgs["NORTH"])).one()
    forged.update(seq=2, base=1, digest=row.digest, changed=[[cases[1], 2, "0" * 64]])  # the old mac kept
    anchors.store.append(json.dumps(forged).encode())
    own = AnchorKey(b"an-attackers-own-key-0123456789abcdef")
    anchors.store.append(signed_line(own, {"organisation_id": world.orgs["NORTH"], "seq": 3}))
    found = _findings(engine, anchors)
    assert [(b.kind, b.problem.split(":")[0]) for b in found if b.kind in {"forged_anchor", "unknown_key"}] == [
        ("forged_anchor", "anchor line 3"),
        ("unknown_key", "anchor line 4"),
    ]
    assert ("rewound_head", cases[1]) in _kinds(found)  # the forged lines changed nothing


def test_lines_removed_from_the_anchor_store_are_named(engine: Engine, tmp_path: Path) -> None:
    world, _cases, anchors = _anchored(engine, tmp_path)
    open_case(
        world.wf,
        "complaint",
        world.actor("NORTH", "contract_strategist"),
        "received",
        kind="client",
        agreement_id=world.agreements["north_calloff"],
    )
    anchor_checkpoints(engine, anchors, world.clock())
    path = tmp_path / "anchors.jsonl"
    kept = [line for line in path.read_bytes().splitlines() if b'"seq":2' not in line]
    path.write_bytes(b"\n".join(kept) + b"\n")
    assert [(b.kind, b.seq) for b in _findings(engine, anchors)] == [("anchor_gap", 2)]


def test_without_the_key_the_anchors_cannot_be_checked_and_a_rotated_key_must_be_kept_as_retired(
    engine: Engine, tmp_path: Path
) -> None:
    _world, _cases, anchors = _anchored(engine, tmp_path)
    assert [b.kind for b in _findings(engine, anchors, Keyring(None))] == ["no_key"]
    rotated = AnchorKey(b"next-years-checkpoint-key-0123456789abcdef")
    # Every line is signed with a key it does not know, so nothing anchored can be read back:
    assert {b.kind for b in _findings(engine, anchors, Keyring(rotated))} == {"unknown_key", "anchor_gap"}
    assert _findings(engine, anchors, Keyring(rotated, (KEY,))) == []


def test_checkpoint_rows_older_than_the_latest_anchored_one_are_pruned(engine: Engine, tmp_path: Path) -> None:
    world, cases, anchors = _anchored(engine, tmp_path)
    actor = world.actor("NORTH", "contract_strategist")
    for _ in range(3):
        opened = open_case(
            world.wf, "complaint", actor, "received", kind="client", agreement_id=world.agreements["north_calloff"]
        ).case_id
        world.wf.fire(opened, "investigate", actor, "looking into it", params={"topic": "premises"})
        anchor_checkpoints(engine, anchors, world.clock())
    with engine.connect() as conn:
        kept = (
            conn.execute(select(CHECKPOINT.c.seq).where(CHECKPOINT.c.organisation_id == world.orgs["NORTH"]))
            .scalars()
            .all()
        )
    assert kept == [4]
    lines = [json.loads(raw) for raw in anchors.store.lines() if b'"seq":4' in raw]
    assert [len(line["changed"]) for line in lines] == [1]  # only what changed since checkpoint 3
    assert _findings(engine, anchors) == [] and _database_alone(engine) == []
    _rewind(engine, cases[0], 1)
    assert ("rewound_head", cases[0]) in _kinds(_findings(engine, anchors))


@pytest.mark.only_on("postgresql")
def test_a_transition_in_an_organisation_being_anchored_does_not_wait_for_the_anchoring(
    engine: Engine, tmp_path: Path
) -> None:
    world, _cases = _history(engine)
    actor = world.actor("NORTH", "contract_strategist")
    case_id = open_case(
        world.wf, "complaint", actor, "received", kind="client", agreement_id=world.agreements["north_calloff"]
    ).case_id
    take_checkpoints(engine, world.clock())
    fired = threading.Event()

    def fire() -> None:
        world.wf.fire(case_id, "investigate", actor, "looking into it", params={"topic": "premises"})
        fired.set()

    with engine.begin() as scheduler:  # a scheduler anchoring NORTH, its transaction still open
        anchored = _anchor_org(
            scheduler, world.orgs["NORTH"], KEY, _anchoring(tmp_path).store, world.clock(), "schedule", False
        )
        assert [a.seq for a in anchored] == [1]
        worker = threading.Thread(target=fire)
        worker.start()
        assert fired.wait(10), "the transition waited for the anchoring's lock on its organisation"
    worker.join()


@pytest.mark.only_on("postgresql")
def test_a_scheduled_anchoring_passes_over_an_organisation_another_scheduler_is_anchoring(
    engine: Engine, tmp_path: Path
) -> None:
    world, _cases = _history(engine)
    take_checkpoints(engine, world.clock())
    anchors = _anchoring(tmp_path)
    north, south = world.orgs["NORTH"], world.orgs["SOUTH"]
    made: list[tuple[int, int]] = []

    def housekeeping() -> None:
        made.extend(
            (a.organisation_id, a.seq) for a in anchor_checkpoints(engine, anchors, world.clock(), skip_busy=True)
        )

    with engine.begin() as other:  # the other scheduler, anchoring NORTH
        _anchor_org(other, north, KEY, anchors.store, world.clock(), "schedule", False)
        second = threading.Thread(target=housekeeping)
        second.start()
        second.join(10)
        assert not second.is_alive(), "the second scheduler waited for the first"
    assert made == [(south, 1)]
    assert [json.loads(raw)["organisation_id"] for raw in anchors.store.lines()] == [north, south]
    assert _findings(engine, anchors) == []


def test_a_report_to_the_board_anchors_the_heads_even_when_nothing_moved(engine: Engine, tmp_path: Path) -> None:
    world, _cases, anchors = _anchored(engine, tmp_path)
    settings = Settings(audit_key=KEY.secret.decode(), audit_anchor_path=str(tmp_path / "anchors.jsonl"))
    north = world.orgs["NORTH"]
    made = anchor_for_board_report(engine, settings, north, world.clock(), "annual")
    assert [(a.organisation_id, a.seq, a.reason) for a in made] == [(north, 1, "report:annual")]
    assert anchor_for_board_report(engine, settings, north, world.clock(), "plan") == []  # not a report to the board
    assert [json.loads(raw)["reason"] for raw in anchors.store.lines()] == ["schedule", "schedule", "report:annual"]
    assert _findings(engine, anchors) == []


def test_verify_audit_names_the_kind_and_fails_when_the_head_was_rewound(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workflow.runtime as rt
    from workflow.settings import get_settings

    world, cases, _anchors = _anchored(engine, tmp_path)
    monkeypatch.setenv("UPPF_AUDIT_KEY", KEY.secret.decode())
    monkeypatch.setenv("UPPF_AUDIT_ANCHOR_PATH", str(tmp_path / "anchors.jsonl"))
    get_settings.cache_clear()
    monkeypatch.setattr(rt, "engine_for", lambda _url=None: engine)
    runner = CliRunner()
    args = ["--log-level", "WARNING", "verify-audit"]
    clean = runner.invoke(main, args)
    assert clean.exit_code == 0 and "loggkedjan är obruten" in clean.output
    _rewind(engine, cases[2], 1)
    _recheckpoint(engine, world, world.orgs["NORTH"])
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert (
        f"ärende {cases[2]}: första brottet vid löpnummer 3 (kedjans senaste händelse): [rewound_head]" in result.output
    )
    monkeypatch.setenv("UPPF_ENVIRONMENT", "production")
    monkeypatch.delenv("UPPF_AUDIT_KEY")
    get_settings.cache_clear()
    keyless = runner.invoke(main, args)
    assert keyless.exit_code == 1 and "[no_key]" in keyless.output


def test_production_refuses_to_start_without_the_key_and_development_makes_one(tmp_path: Path) -> None:
    production = Settings(environment="production", jwt_secret="x" * 40, audit_key=None)
    with pytest.raises(RuntimeError, match="UPPF_AUDIT_KEY"):
        production.check_production()
    with pytest.raises(RuntimeError, match="UPPF_AUDIT_KEY"):
        keyring(production)
    development = Settings(environment="development", audit_key=None, audit_anchor_path=str(tmp_path / "a.jsonl"))
    first, again = keyring(development), keyring(development)
    assert first.current is not None and first.current == again.current
    assert (tmp_path / "a.jsonl.devkey").stat().st_mode & 0o077 == 0
    with pytest.raises(ValueError, match="32 characters"):
        Settings(audit_key="short")


def test_the_report_command_anchors_the_heads_when_it_renders_a_report_to_the_board(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workflow.runtime as rt

    world, _cases = _history(engine)
    monkeypatch.setattr(rt, "engine_for", lambda _url=None: engine)
    result = CliRunner().invoke(main, ["report", "annual", "--org", "NORTH", "--year", "2026"], catch_exceptions=False)
    assert result.exit_code == 0 and json.loads(result.stdout_bytes)["report"] == "annual"
    anchors = _anchoring(tmp_path, AnchorKey(Settings().audit_key.encode()))  # type: ignore[union-attr]
    anchors = Anchoring(anchors.keys, FileAnchorStore(Settings().audit_anchor_path))
    lines = [json.loads(raw) for raw in anchors.store.lines()]
    assert [(line["organisation_id"], line["seq"], line["reason"]) for line in lines] == [
        (world.orgs["NORTH"], 1, "report:annual")
    ]
    assert _findings(engine, anchors) == []


def test_the_schedulers_housekeeping_anchors_and_a_production_scheduler_will_not_start_without_the_key(
    engine: Engine, tmp_path: Path
) -> None:
    from scheduler.service import SchedulerService

    world, _cases = _history(engine)
    path = tmp_path / "scheduled.jsonl"
    settings = Settings(audit_key=KEY.secret.decode(), audit_anchor_path=str(path))
    service = SchedulerService(engine, settings, clock=world.clock)
    service.housekeeping()
    service.housekeeping()  # nothing moved: nothing more to anchor
    lines = [json.loads(raw) for raw in FileAnchorStore(path).lines()]
    assert sorted((line["organisation_id"], line["seq"], line["reason"]) for line in lines) == [
        (world.orgs["NORTH"], 1, "schedule"),
        (world.orgs["SOUTH"], 1, "schedule"),
    ]
    assert _findings(engine, Anchoring(Keyring(KEY), FileAnchorStore(path))) == []
    keyless = Settings(environment="production", jwt_secret="x" * 40, audit_key=None, audit_anchor_path=str(path))
    with pytest.raises(RuntimeError, match="UPPF_AUDIT_KEY"):
        SchedulerService(engine, keyless, clock=world.clock).start()
