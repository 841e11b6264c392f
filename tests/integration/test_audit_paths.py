"""Every way a transition is written yields the same audit chain: same seqs, same hashes, on both databases."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime

import pytest
from sqlalchemy import Engine, delete, select, text
from sqlmodel import SQLModel

from states.registry import CASE_TYPES
from tests.world import Clock, World, build_world
from workflow.bootstrap import Application
from workflow.cases.opening import open_case
from workflow.deadlines.calendar import STOCKHOLM
from workflow.deadlines.sweep import due_date_of, sweep
from workflow.engine import audit
from workflow.engine.audit import verify
from workflow.engine.commands import FireTrigger
from workflow.engine.firing import Actor
from workflow.schema.tables import DEADLINE, EVENT
from workflow.settings import Settings

pytestmark = pytest.mark.integration
START = datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM)
EXPIRED = datetime(2026, 3, 14, 0, 0, 1, tzinfo=STOCKHOLM)  # the day after the answer was due
SEND = {"registry_number": "NOR-2026-00001", "params": {"response_due": date(2026, 3, 13).isoformat()}}
# sha256 over every event's hash, in (case, seq) order, of the scenario below: the same on SQLite and PostgreSQL
# (reasons hashed as sha256(salt ‖ reason), issue 15; the salt fixed by the test).
EXPECTED = "0c2598d7349658bebd996d6a0cf97c87d4eeb15c11a96307bde707a63b4292a6"
EXPIRY = CASE_TYPES["rectification_request"].deadlines["sent"].on_expiry or ""


def _empty(engine: Engine) -> None:
    """Every table emptied and its ids restarted, so each path writes the same ids."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(SQLModel.metadata.sorted_tables):
                conn.execute(delete(table))


def _expiry_reason(engine: Engine, case_id: int) -> str:
    """The reason the sweep gives an expiry (``workflow.deadlines.sweep._expire``)."""
    policy = CASE_TYPES["rectification_request"].deadlines["sent"]
    with engine.connect() as conn:
        d = conn.execute(
            select(DEADLINE.c.kind, DEADLINE.c.due_at).where(DEADLINE.c.case_id == case_id, DEADLINE.c.state == "sent")
        ).one()
    return f"Deadline {d.kind} passed (due {due_date_of(d.due_at).isoformat()}, rule {policy.rule_version})"


def _opened(w: World) -> int:
    return open_case(
        w.wf,
        "rectification_request",
        w.actor("NORTH", "contract_strategist"),
        "deficiency found",
        kind="supplementation",
        agreement_id=w.agreements["north_calloff"],
    ).case_id


def _direct(w: World, cid: int) -> None:
    w.wf.fire(cid, "send", w.actor("NORTH", "contract_strategist"), "send", **SEND)  # type: ignore[arg-type]
    w.clock.now = EXPIRED
    w.wf.fire(cid, EXPIRY, Actor.system(w.orgs["NORTH"]), _expiry_reason(w.engine, cid))


def _in_callers_transaction(w: World, cid: int) -> None:
    with w.engine.begin() as conn:
        w.wf.fire(cid, "send", w.actor("NORTH", "contract_strategist"), "send", conn=conn, **SEND)  # type: ignore[arg-type]
    w.clock.now = EXPIRED
    reason = _expiry_reason(w.engine, cid)
    with w.engine.begin() as conn:
        w.wf.fire(cid, EXPIRY, Actor.system(w.orgs["NORTH"]), reason, conn=conn)


def _command_then_sweep(w: World, cid: int) -> None:
    app = Application(Settings(), w.engine, w.clock)
    app.execute(FireTrigger(cid, "send", "send", **SEND), w.actor("NORTH", "contract_strategist"))  # type: ignore[arg-type]
    w.clock.now = EXPIRED
    assert sweep(w.engine, w.clock).transitions == 1


PATHS: dict[str, Callable[[World, int], None]] = {
    "direct": _direct,
    "caller's transaction": _in_callers_transaction,
    "command and the sweep's expiry": _command_then_sweep,
}


def _chain(engine: Engine, path: Callable[[World, int], None]) -> list[tuple[int, int, str, str]]:
    _empty(engine)
    w = build_world(engine, Clock(START))
    cid = _opened(w)
    path(w, cid)
    with engine.connect() as conn:
        assert verify(conn) == []
        rows = conn.execute(
            select(EVENT.c.case_id, EVENT.c.seq, EVENT.c.trigger, EVENT.c.hash).order_by(EVENT.c.case_id, EVENT.c.seq)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_every_write_path_yields_the_identical_chain_on_either_database(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "new_salt", lambda: "5a17" * 8)  # each event's salt is random; fixed here
    chains = {name: _chain(engine, path) for name, path in PATHS.items()}
    first = chains["direct"]
    assert [(c, s, t) for c, s, t, _h in first] == [(1, 1, "open"), (1, 2, "send"), (1, 3, EXPIRY)]
    for name, chain in chains.items():
        assert chain == first, name
    digest = hashlib.sha256("".join(h for *_rest, h in first).encode()).hexdigest()
    assert digest == EXPECTED
