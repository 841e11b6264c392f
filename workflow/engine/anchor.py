"""Anchored audit checkpoints (förankrade kontrollpunkter): signed copies of the chain heads outside the database.

The per-case chains and the organisation checkpoints (:mod:`workflow.engine.audit`) live in the database, so
someone who can write there can cut a tail, rewind the head and recompute every hash and checkpoint so that they
agree again. An *anchor* closes that: each checkpoint is signed with a key that is not in the database (HMAC-SHA256,
``UPPF_AUDIT_KEY``) and appended to a store outside it (a JSON-lines file by default, fsynced; object storage with
a retention lock in production, behind :class:`AnchorStore`). ``verify-audit`` then checks the database against the
latest anchored checkpoint of each organisation and names what it finds: a truncated tail, a rewound head, a chain
recomputed without the key, a deleted case, a checkpoint rewritten or deleted, a line forged or signed with a key
that is not configured.

A line holds the checkpoint's digest and only the heads that changed since the organisation's previous anchored
checkpoint (``base``), with their event hashes, so the store grows with the work done, not with the number of cases;
folding an organisation's lines gives every head it had. Checkpoints are anchored on the scheduler's housekeeping
tick and whenever a board report (annual, terminations) is rendered. Rows in ``audit_checkpoint`` older than the
latest anchored one are pruned: verification needs only the latest anchored row (the base of the next line) and
the anchor store.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import structlog
from sqlalchemy import Connection, Engine, delete, func, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from workflow.engine.audit import GENESIS, ChainBreak, checkpoint_digest, take_checkpoint
from workflow.engine.uow import UnitOfWork
from workflow.pacing import DutyCycle
from workflow.schema.tables import CASE, CHECKPOINT, EVENT, ORG
from workflow.settings import Settings

log = structlog.get_logger("audit.anchor")

LINE_VERSION = 1


def _canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# --- keys -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorKey:
    """An HMAC-SHA256 key; ``key_id`` names it in every line it signs without revealing it."""

    secret: bytes = field(repr=False)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"uppfoljning-audit-key:" + self.secret).hexdigest()[:16]

    def sign(self, body: bytes) -> str:
        return hmac.new(self.secret, body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Keyring:
    """The key that signs new anchors, and retired keys that still verify the lines they signed."""

    current: AnchorKey | None
    retired: tuple[AnchorKey, ...] = ()

    def find(self, key_id: str) -> AnchorKey | None:
        for key in (self.current, *self.retired):
            if key is not None and key.key_id == key_id:
                return key
        return None


def generate_key() -> str:
    """A new checkpoint key: 32 random bytes as 64 hex digits (``uppfoljning audit-key``)."""
    return secrets.token_hex(32)


def keyring(settings: Settings) -> Keyring:
    """The keys from the settings. Outside development a missing key is refused; in development a key is made once
    and kept beside the anchor file (``<anchor file>.devkey``), with a warning."""
    retired = tuple(AnchorKey(k.strip().encode()) for k in settings.audit_keys_retired.split(",") if k.strip())
    if settings.audit_key:
        return Keyring(AnchorKey(settings.audit_key.encode()), retired)
    if settings.environment != "development":
        raise RuntimeError("UPPF_AUDIT_KEY (the audit checkpoint key) must be set outside development")
    path = Path(settings.audit_anchor_path + ".devkey")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(generate_key())
    # Through the standard library's logger, which writes to stderr: a command's output stays clean.
    logging.getLogger("audit.anchor").warning("UPPF_AUDIT_KEY is not set: using the development key in %s", path)
    return Keyring(AnchorKey(path.read_text().strip().encode()), retired)


# --- stores ---------------------------------------------------------------------------------------------------------


class AnchorStore(Protocol):
    """Where signed checkpoints go: append-only and outside the database.

    An object-storage store writes each line as its own object (for example ``<organisation>/<seq>-<time>.json`` in
    a bucket with object lock in compliance mode) and lists them back in order; nothing else is needed.
    """

    def append(self, line: bytes) -> None:
        """Store one line durably before returning."""
        ...

    def lines(self) -> Iterator[bytes]:
        """Every stored line, oldest first."""
        ...


class FileAnchorStore:
    """A JSON-lines file opened for appending only; each line is written in one call and fsynced."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def append(self, line: bytes) -> None:
        if b"\n" in line:
            raise ValueError("an anchor line is one line")
        new = not self.path.exists()
        if new:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        if new and hasattr(os, "O_DIRECTORY"):  # the new file's name is durable too
            dfd = os.open(self.path.parent, os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def lines(self) -> Iterator[bytes]:
        if not self.path.exists():
            return
        with open(self.path, "rb") as f:
            for raw in f:
                if raw.strip():
                    yield raw.rstrip(b"\r\n")

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class Anchoring:
    """The key ring and the store, as the composition root wires them."""

    keys: Keyring
    store: AnchorStore


def anchoring(settings: Settings) -> Anchoring:
    """The configured anchoring: the settings' keys and the file ``UPPF_AUDIT_ANCHOR_PATH``."""
    return Anchoring(keyring(settings), FileAnchorStore(settings.audit_anchor_path))


# --- writing --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchored:
    """A checkpoint whose signed copy was written: organisation, checkpoint number, digest, why."""

    organisation_id: int
    seq: int
    digest: str
    reason: str


def signed_line(key: AnchorKey, record: dict[str, Any]) -> bytes:
    """``record`` with the key's id and its HMAC over the canonical JSON of everything else."""
    body = {**record, "key_id": key.key_id}
    return _canonical({**body, "mac": key.sign(_canonical(body))})


def anchor_checkpoints(
    engine: Engine,
    anchors: Anchoring,
    now: datetime,
    reason: str = "schedule",
    organisation_id: int | None = None,
    always: bool = False,
    skip_busy: bool = False,
    pace: DutyCycle | None = None,
) -> list[Anchored]:
    """Checkpoint every organisation (or one) whose cases moved, sign each new checkpoint and append it to the store.

    ``always`` (a report to the board) anchors the latest checkpoint again when nothing moved, so the report has a
    line of its own. Rows older than the latest anchored checkpoint are pruned afterwards. ``skip_busy`` (the
    schedulers' housekeeping) passes over an organisation another process is anchoring at that moment instead of
    waiting for it: that one anchors what it read, and whatever it did not see is anchored at the next run. ``pace``
    (the scheduler's duty cycle) rests after each organisation: a first run over hundreds of boards is hundreds of
    commits and fsyncs, which would otherwise come in one burst.
    """
    key = anchors.keys.current
    if key is None:
        raise RuntimeError("no audit checkpoint key: set UPPF_AUDIT_KEY")
    uow = UnitOfWork(engine)
    if organisation_id is None:
        orgs = uow.read(lambda c: [int(r[0]) for r in c.execute(select(ORG.c.id).order_by(ORG.c.id))])
    else:
        orgs = [organisation_id]
    written: list[Anchored] = []
    for org in orgs:
        started = pace.timer() if pace is not None else 0.0
        with suppress(IntegrityError):  # another scheduler took this checkpoint a moment ago; anchoring it is shared
            uow.write(lambda c, org=org: take_checkpoint(c, org, now))  # type: ignore[misc]
        written += uow.write(
            lambda c, org=org: _anchor_org(c, org, key, anchors.store, now, reason, always, skip_busy)  # type: ignore[misc]
        )
        if pace is not None:
            pace.rest_after(pace.timer() - started)
    if written:
        log.debug("audit.anchored", checkpoints=len(written), reason=reason)  # info would go to the CLI's stdout
    return written


def _anchor_org(
    conn: Connection,
    org: int,
    key: AnchorKey,
    store: AnchorStore,
    now: datetime,
    reason: str,
    always: bool,
    skip_busy: bool = False,
) -> list[Anchored]:
    """Anchor the organisation's unanchored checkpoints in order, then prune what verification no longer needs.

    Runs in one write transaction that first locks the organisation's row, so two schedulers anchor one after the
    other (or, with ``skip_busy``, the second passes the organisation by). The line is stored before the row is
    marked: a crash in between anchors the same checkpoint again later (an identical line), never leaves one
    unanchored.
    """
    # FOR NO KEY UPDATE, not FOR UPDATE: every row written with this organisation's id (an event, a deadline, a
    # message) takes a key-share lock on it for its foreign key, which FOR UPDATE would make wait until the anchoring
    # commits; the anchors exclude only each other.
    lock = select(ORG.c.id).where(ORG.c.id == org).with_for_update(key_share=True, skip_locked=skip_busy)
    if conn.execute(lock).first() is None:
        return []  # another process is anchoring it now (skip_busy), or the organisation is gone
    rows = list(conn.execute(select(CHECKPOINT).where(CHECKPOINT.c.organisation_id == org).order_by(CHECKPOINT.c.seq)))
    base = None
    done: list[Anchored] = []
    for row in rows:
        if row.anchored_at is not None:
            base = row
            continue
        store.append(signed_line(key, _record(conn, org, row, base, now, reason)))
        conn.execute(update(CHECKPOINT).where(CHECKPOINT.c.id == row.id).values(anchored_at=now))
        done.append(Anchored(org, int(row.seq), str(row.digest), reason))
        base = row
    if not done and always and base is not None:
        store.append(signed_line(key, _record(conn, org, base, base, now, reason)))
        done.append(Anchored(org, int(base.seq), str(base.digest), reason))
    if base is not None:  # keep the latest anchored checkpoint: the base of the next line
        conn.execute(delete(CHECKPOINT).where(CHECKPOINT.c.organisation_id == org, CHECKPOINT.c.seq < base.seq))
    return done


def _record(conn: Connection, org: int, row: Any, base: Any | None, now: datetime, reason: str) -> dict[str, Any]:
    """The line for checkpoint ``row``: its digest and the heads that changed since ``base`` with their hashes."""
    before = {int(c): int(s) for c, s in base.heads} if base is not None else {}
    after = {int(c): int(s) for c, s in row.heads}  # the same row as base (anchored again): nothing changed
    changed = sorted((c, s) for c, s in after.items() if before.get(c) != s)
    hashes: dict[tuple[int, int], str] = {}
    for start in range(0, len(changed), 500):
        pairs = changed[start : start + 500]
        for r in conn.execute(
            select(EVENT.c.case_id, EVENT.c.seq, EVENT.c.hash).where(
                EVENT.c.organisation_id == org, tuple_(EVENT.c.case_id, EVENT.c.seq).in_(pairs)
            )
        ):
            hashes[(int(r.case_id), int(r.seq))] = str(r.hash)
    return {
        "v": LINE_VERSION,
        "organisation_id": org,
        "seq": int(row.seq),
        "base": int(base.seq) if base is not None else None,
        "taken_at": row.taken_at.isoformat(timespec="microseconds"),
        "anchored_at": now.isoformat(timespec="microseconds"),
        "reason": reason,
        "cases": int(row.cases),
        "events": int(row.events),
        "prev_digest": str(row.prev_digest),
        "digest": str(row.digest),
        "changed": [[c, s, hashes.get((c, s), GENESIS)] for c, s in changed],
        "removed": sorted(c for c in before if c not in after),
    }


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


#: The reports that go to the board (rapporter till nämnden): rendering one anchors the organisation's chain heads.
BOARD_REPORTS = frozenset({"annual", "terminations"})


def anchor_for_board_report(
    engine: Engine, settings: Settings, organisation_id: int, now: datetime, report: str
) -> list[Anchored]:
    """Anchor the organisation's chain heads as a board report is rendered (``reason`` = ``report:<name>``).

    Does nothing for reports that are not reports to the board (:data:`BOARD_REPORTS`).
    """
    if report not in BOARD_REPORTS:
        return []
    return anchor_checkpoints(
        engine, anchoring(settings), now, reason=f"report:{report}", organisation_id=organisation_id, always=True
    )


# --- verifying ------------------------------------------------------------------------------------------------------


@dataclass
class _Folded:
    """One organisation's anchored heads, folded from its lines."""

    seq: int = 0
    digest: str = GENESIS
    heads: dict[int, tuple[int, str]] = field(default_factory=dict)


def verify_anchors(
    conn: Connection, keys: Keyring, store: AnchorStore, organisation_id: int | None = None
) -> list[ChainBreak]:
    """Check the store's lines (signature, key, continuity) and the database against each organisation's latest
    anchored checkpoint; every finding, named."""
    if keys.current is None and not keys.retired:
        return [ChainBreak(0, None, 0, None, "no audit checkpoint key is configured (UPPF_AUDIT_KEY)", "no_key")]
    breaks: list[ChainBreak] = []
    folded: dict[int, _Folded] = {}
    stuck: set[int] = set()  # organisations whose lines could not be folded: their database is not compared
    for n, raw in enumerate(store.lines(), start=1):
        record, problem, kind = _checked(raw, keys)
        org = int(record.get("organisation_id", 0)) if isinstance(record, dict) else 0
        if organisation_id is not None and org != organisation_id:
            continue
        if problem is not None:
            breaks.append(
                ChainBreak(org, None, int(record.get("seq", 0) or 0), None, f"anchor line {n}: {problem}", kind)
            )
            continue
        if org in stuck:
            continue
        state = folded.setdefault(org, _Folded())
        found = _fold(state, record)
        if found is not None:
            breaks.append(ChainBreak(org, None, int(record["seq"]), None, f"anchor line {n}: {found}", "anchor_gap"))
            stuck.add(org)
    for org, state in sorted(folded.items()):
        if org not in stuck:
            breaks += _against_database(conn, org, state)
    marked = select(CHECKPOINT.c.organisation_id, func.max(CHECKPOINT.c.seq)).where(
        CHECKPOINT.c.anchored_at.is_not(None)
    )
    if organisation_id is not None:
        marked = marked.where(CHECKPOINT.c.organisation_id == organisation_id)
    for org, seq in conn.execute(marked.group_by(CHECKPOINT.c.organisation_id)):
        if org not in stuck and folded.get(org, _Folded()).seq < seq:
            problem = f"the database records checkpoint {seq} as anchored, but the anchor store has no line for it"
            breaks.append(ChainBreak(org, None, seq, None, problem, "anchor_gap"))
    return breaks


def _checked(raw: bytes, keys: Keyring) -> tuple[dict[str, Any], str | None, str]:
    try:
        record = json.loads(raw)
        if not isinstance(record, dict):
            raise ValueError
    except ValueError:
        return {}, "not a JSON object", "forged_anchor"
    mac = record.pop("mac", None)
    key = keys.find(str(record.get("key_id")))
    if key is None:
        return (
            record,
            f"signed with key {record.get('key_id')}, which is not configured "
            "(a rotated key belongs in UPPF_AUDIT_KEYS_RETIRED)",
            "unknown_key",
        )
    if not isinstance(mac, str) or not hmac.compare_digest(mac, key.sign(_canonical(record))):
        return record, "the signature does not match: the line was forged or altered without the key", "forged_anchor"
    return record, None, ""


def _fold(state: _Folded, record: dict[str, Any]) -> str | None:
    """Apply one line to the organisation's heads; what is wrong with its place in the sequence, if anything."""
    seq, base = int(record["seq"]), record.get("base")
    if seq == state.seq and base == seq:  # anchored again for a report: it must say what was already anchored
        return None if record["digest"] == state.digest else f"checkpoint {seq} was anchored with two digests"
    if seq == state.seq and record["digest"] == state.digest:  # the same checkpoint anchored twice (a retry)
        return None
    if (base or 0) != state.seq:
        return f"checkpoint {seq} follows checkpoint {base}, but the last anchored is {state.seq}: lines are missing"
    if record["prev_digest"] != state.digest and state.seq != 0:
        return f"checkpoint {seq} does not follow on from checkpoint {state.seq}'s digest"
    heads = dict(state.heads)
    for c in record["removed"]:
        heads.pop(int(c), None)
    for c, s, h in record["changed"]:
        heads[int(c)] = (int(s), str(h))
    ordered = [(c, s, h) for c, (s, h) in sorted(heads.items())]
    if checkpoint_digest(record["prev_digest"], int(record["organisation_id"]), ordered) != record["digest"]:
        return f"checkpoint {seq}'s heads do not give its digest"
    state.seq, state.digest, state.heads = seq, str(record["digest"]), heads
    return None


def _against_database(conn: Connection, org: int, state: _Folded) -> list[ChainBreak]:
    """The database against the organisation's latest anchored checkpoint: every case it saw, and the row itself."""
    breaks: list[ChainBreak] = []
    where = f"anchored checkpoint {state.seq}"
    row = conn.execute(
        select(CHECKPOINT.c.digest).where(CHECKPOINT.c.organisation_id == org, CHECKPOINT.c.seq == state.seq)
    ).first()
    later = conn.execute(
        select(func.max(CHECKPOINT.c.seq)).where(
            CHECKPOINT.c.organisation_id == org, CHECKPOINT.c.anchored_at.is_not(None), CHECKPOINT.c.seq > state.seq
        )
    ).scalar()
    if row is None and later is None:  # (pruned after a later anchored one: that one's missing line is named)
        breaks.append(
            ChainBreak(org, None, state.seq, None, f"{where} is missing from the database", "checkpoint_missing")
        )
    elif row is not None and row.digest != state.digest:
        breaks.append(
            ChainBreak(
                org,
                None,
                state.seq,
                None,
                f"{where} was rewritten in the database (its digest differs)",
                "checkpoint_rewritten",
            )
        )
    ids = sorted(state.heads)
    cases: dict[int, tuple[int, int]] = {}
    hashes: dict[tuple[int, int], str] = {}
    for part in _chunks(ids):
        for r in conn.execute(select(CASE.c.id, CASE.c.version, CASE.c.organisation_id).where(CASE.c.id.in_(part))):
            cases[int(r.id)] = (int(r.version), int(r.organisation_id))
        for r in conn.execute(select(EVENT.c.case_id, EVENT.c.seq, EVENT.c.hash).where(EVENT.c.case_id.in_(part))):
            if state.heads[int(r.case_id)][0] == int(r.seq):
                hashes[(int(r.case_id), int(r.seq))] = str(r.hash)
    for case_id in ids:
        seq, anchored_hash = state.heads[case_id]
        found = cases.get(case_id)
        if found is None or found[1] != org:
            problem = f"{where} saw case {case_id} at version {seq}; the case is gone from the database"
            breaks.append(ChainBreak(org, case_id, seq, None, problem, "deleted_case"))
        elif found[0] < seq:
            problem = f"the case is at version {found[0]}, but {where} saw it at version {seq}: its head was rewound"
            breaks.append(ChainBreak(org, case_id, seq, None, problem, "rewound_head"))
        elif (case_id, seq) not in hashes:
            problem = f"{where} saw event seq {seq}, which is gone: the chain's tail was cut"
            breaks.append(ChainBreak(org, case_id, seq, None, problem, "truncated_tail"))
        elif hashes[(case_id, seq)] != anchored_hash:
            problem = f"event seq {seq} no longer has the hash {where} signed: the chain was recomputed"
            breaks.append(ChainBreak(org, case_id, seq, None, problem, "recomputed_chain"))
    return breaks
