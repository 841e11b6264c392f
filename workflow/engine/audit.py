"""The audit chain (revisionskedja): append-only events, hash-chained per case, and organisation checkpoints.

Each event's hash is sha256(previous hash of the same case ‖ its payload); the first event of
a case chains onto ``GENESIS``. A case's ``seq`` is its version, and the case row holds the
chain's head (``version`` = last seq, ``audit_hash`` = last hash), so the compare-and-set UPDATE
that moves the case also moves its chain: no other row is locked. Changing, deleting or
reordering an event breaks its case's chain from that event on, and a head that does not match
the last event shows a cut tail.

What a per-case chain cannot see alone is a tail cut off *with* its head rewound, or a case
removed with all its events. An organisation checkpoint (kontrollpunkt) records every case's
head at one moment and hashes them together with the events' hashes and the previous
checkpoint's digest; ``verify`` checks every checkpoint against the events. The digest is what
a later signature, kept outside the database, will sign (see :func:`checkpoint_digest`).

An event has two times: ``occurred_at``, the instant it was recorded, and ``occurred_on``, the Stockholm date it
happened (for a decision, the decision date), with ``late_entry``/``late_reason`` when it was recorded after the
late-entry window. The hash covers them too, written into the payload only where they differ from what an event
recorded before they existed implies (occurred_on the recording instant's Stockholm date, no late entry). That
keeps every existing chain verifying unchanged, while the payload still determines each of them: changing an
event's date or its late entry afterwards changes its hash.

This module is the only place that computes an event's hash; both dialects' transition writers
insert the event as :func:`chained` returns it (a new case's first event too: ``Writer.open``).

Gallring (issue 15): the reason of an event is free text and may hold personal data that must be
purged when its time is up. An event written with a ``text_salt`` is hashed over
``{"sha256": sha256(salt ‖ reason)}`` in place of the reason, so the purge (``workflow.retention``)
can blank the reason, keep that digest in ``redacted`` and drop the salt: the chain still verifies,
and the digest of a short text can no longer be guessed. Events written before (no salt) were
hashed over the text itself; once such an event is blanked its content cannot be checked, only its
place in the chain (its hash is still the next event's ``prev_hash`` and the checkpoints' head).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, tuple_
from sqlalchemy.exc import IntegrityError

from workflow.clock import STOCKHOLM
from workflow.engine.uow import UnitOfWork
from workflow.schema.tables import CASE, CHECKPOINT, EVENT, ORG

GENESIS = "0" * 64


_FIELDS = (
    "organisation_id",
    "seq",
    "case_id",
    "trigger",
    "from_status",
    "to_status",
    "actor_id",
    "actor_role",
    "reason",
    "decision_kind",
    "mandate",
    "registry_number",
    "params",
)


# One encoder for every event: json.dumps builds a new one per call when given options.
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode


def new_salt() -> str:
    """A fresh random salt for a new event's reason (tests may replace it to get the same hashes on every run)."""
    return secrets.token_hex(16)


def reason_digest(salt: str, reason: str) -> str:
    """What the hash of a salted event covers in place of its reason: sha256(salt ‖ reason)."""
    return hashlib.sha256((salt + reason).encode()).hexdigest()


def redaction(event: dict[str, Any]) -> dict[str, Any]:
    """The ``redacted`` value that keeps ``event`` verifiable once its reason is blanked and its salt dropped."""
    salt = event.get("text_salt")
    if salt is None:
        return {"digest": None}  # written before salts: its content can no longer be checked
    return {"digest": reason_digest(salt, event.get("reason") or "")}


def _reason_seal(event: dict[str, Any]) -> str | None:
    """The reason's digest the hash covers, or None when the hash covers the text (events without a salt)."""
    redacted = event.get("redacted")
    if redacted:
        return redacted.get("digest")  # type: ignore[no-any-return]
    salt = event.get("text_salt")
    return reason_digest(salt, event.get("reason") or "") if salt is not None else None


def payload(event: dict[str, Any]) -> str:
    """The text of an event that its hash covers (after the previous hash)."""
    body = {k: event.get(k) for k in _FIELDS}
    seal = _reason_seal(event)
    if seal is not None:
        body["reason"] = {"sha256": seal}
    occurred: datetime = event["occurred_at"]
    # In UTC, as stored: a clock in another zone must not give a hash the stored row can't reproduce.
    body["occurred_at"] = occurred.astimezone(UTC).isoformat(timespec="microseconds")
    on = event.get("occurred_on")
    if on is not None:
        day = on if isinstance(on, date) else date.fromisoformat(str(on))
        if day != occurred.astimezone(STOCKHOLM).date():
            body["occurred_on"] = day.isoformat()
    if event.get("late_entry"):
        body["late_entry"] = True
    if event.get("late_reason") is not None:
        body["late_reason"] = event["late_reason"]
    return _ENCODE(body)


def event_hash(prev_hash: str, event: dict[str, Any]) -> str:
    """The hash of one event given the previous hash in its case's chain: sha256(prev_hash + payload)."""
    return hashlib.sha256((prev_hash + payload(event)).encode()).hexdigest()


def chained(event: dict[str, Any], seq: int, prev_hash: str) -> dict[str, Any]:
    """``event`` as the ``seq``-th link of its case's chain, after ``prev_hash``: with seq, prev_hash and hash.

    A new event gets a random ``text_salt`` (unless it brings one), so its reason can be purged later.
    """
    linked = {"text_salt": new_salt(), **event, "seq": seq, "prev_hash": prev_hash}
    linked["hash"] = event_hash(prev_hash, linked)
    return linked


# --- checkpoints ----------------------------------------------------------------------------------------------------


def checkpoint_digest(prev_digest: str, organisation_id: int, heads: Sequence[tuple[int, int, str]]) -> str:
    """sha256 over the previous checkpoint's digest and each case's head (case id, seq, event hash), in case order.

    The seam for signing: a signature over this digest with a key kept outside the database would make a rewritten
    checkpoint detectable too. Until then the digest shows that the events still match what the checkpoint saw.
    """
    text = _ENCODE({"organisation_id": organisation_id, "heads": [list(h) for h in heads]})
    return hashlib.sha256((prev_digest + text).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A checkpoint as written: its organisation, number, case and event counts and digest."""

    organisation_id: int
    seq: int
    cases: int
    events: int
    digest: str


def take_checkpoint(conn: Connection, organisation_id: int, now: datetime) -> Checkpoint | None:
    """Record the organisation's case heads as its next checkpoint; None when nothing moved since the last one.

    Reads the heads from the case rows (each row's version and hash are one committed state), so it locks no
    case. Two schedulers taking one at once: the second insert hits the unique (organisation, seq) and fails.
    """
    heads = [
        (int(r.id), int(r.version), str(r.audit_hash))
        for r in conn.execute(
            select(CASE.c.id, CASE.c.version, CASE.c.audit_hash)
            .where(CASE.c.organisation_id == organisation_id)
            .order_by(CASE.c.id)
        )
    ]
    last = conn.execute(
        select(CHECKPOINT.c.seq, CHECKPOINT.c.digest, CHECKPOINT.c.heads)
        .where(CHECKPOINT.c.organisation_id == organisation_id)
        .order_by(CHECKPOINT.c.seq.desc())
        .limit(1)
    ).first()
    pairs = [[case_id, seq] for case_id, seq, _ in heads]
    if last is not None and last.heads == pairs:
        return None
    if last is None and not heads:
        return None
    seq = last.seq + 1 if last is not None else 1
    prev = last.digest if last is not None else GENESIS
    made = Checkpoint(
        organisation_id, seq, len(heads), sum(h[1] for h in heads), checkpoint_digest(prev, organisation_id, heads)
    )
    conn.execute(
        insert(CHECKPOINT).values(
            organisation_id=organisation_id,
            seq=seq,
            taken_at=now,
            cases=made.cases,
            events=made.events,
            heads=pairs,
            prev_digest=prev,
            digest=made.digest,
        )
    )
    return made


def take_checkpoints(engine: Engine, now: datetime) -> list[Checkpoint]:
    """A checkpoint for every organisation whose cases moved since its last (the scheduler's housekeeping)."""
    uow = UnitOfWork(engine)
    orgs = uow.read(lambda c: [int(r[0]) for r in c.execute(select(ORG.c.id).order_by(ORG.c.id))])
    taken = []
    for org in orgs:
        try:
            made = uow.write(lambda c, org=org: take_checkpoint(c, org, now))  # type: ignore[misc]
        except IntegrityError:  # another scheduler took this checkpoint a moment ago
            continue
        if made is not None:
            taken.append(made)
    return taken


# --- verification ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """Where a chain first fails (a case's, or an organisation's checkpoints), and why."""

    organisation_id: int
    case_id: int | None
    seq: int
    event_id: int | None
    problem: str
    #: What kind of tampering it shows: edited_event, missing_event, truncated_tail, rewound_head, recomputed_chain,
    #: deleted_case, checkpoint_missing, checkpoint_rewritten, forged_anchor, unknown_key, no_key, anchor_gap.
    kind: str = "broken"


def verify(conn: Connection, organisation_id: int | None = None, batch: int = 5000) -> list[ChainBreak]:
    """Check every case's chain and every checkpoint (of one organisation, or all); the first break of each."""
    orgs = {r[0] for r in conn.execute(select(CASE.c.organisation_id).distinct())}
    orgs |= {r[0] for r in conn.execute(select(EVENT.c.organisation_id).distinct())}
    orgs |= {r[0] for r in conn.execute(select(CHECKPOINT.c.organisation_id).distinct())}
    if organisation_id is not None:
        orgs &= {organisation_id}
    breaks: list[ChainBreak] = []
    for org in sorted(orgs):
        breaks += _verify_org(conn, org, batch)
    return breaks


def _verify_org(conn: Connection, org: int, batch: int) -> list[ChainBreak]:
    checkpoints = list(
        conn.execute(select(CHECKPOINT).where(CHECKPOINT.c.organisation_id == org).order_by(CHECKPOINT.c.seq))
    )
    wanted = {(int(c), int(s)) for cp in checkpoints for c, s in cp.heads}
    heads = {
        r.id: (r.version, r.audit_hash)
        for r in conn.execute(select(CASE.c.id, CASE.c.version, CASE.c.audit_hash).where(CASE.c.organisation_id == org))
    }
    seen: dict[tuple[int, int], str] = {}  # hashes of the events the checkpoints name
    breaks: list[ChainBreak] = []
    broken: set[int] = set()
    walked: dict[int, tuple[int, str]] = {}  # case id -> (last seq, last hash)
    for row in _events(conn, org, batch):
        case_id = row["case_id"]
        if case_id in broken:
            continue
        last_seq, prev_hash = walked.get(case_id, (0, GENESIS))
        problem, kind = None, "edited_event"
        if case_id not in heads:
            problem, kind = "the event's case is not in this organisation", "deleted_case"
        elif row["seq"] != last_seq + 1:
            problem, kind = f"event seq {last_seq + 1} is missing (next is {row['seq']})", "missing_event"
        elif row["prev_hash"] != prev_hash:
            problem = "prev_hash does not match the previous event"
        elif event_hash(prev_hash, dict(row)) != row["hash"] and not _unverifiable(row):
            problem = "content does not match its hash"
        if problem is not None:
            breaks.append(
                ChainBreak(org, case_id, last_seq + 1 if "missing" in problem else row["seq"], row["id"], problem, kind)
            )
            broken.add(case_id)
            continue
        walked[case_id] = (row["seq"], row["hash"])
        if (case_id, row["seq"]) in wanted:
            seen[(case_id, row["seq"])] = row["hash"]
    for case_id, (version, audit_hash) in sorted(heads.items()):
        if case_id in broken:
            continue
        last_seq, last_hash = walked.get(case_id, (0, GENESIS))
        if version != last_seq:  # the walk checked seq 1, 2, …: last_seq is also the case's count of events
            problem = f"the case is at version {version} but its chain ends at seq {last_seq} ({last_seq} events)"
            kind = "truncated_tail" if version > last_seq else "missing_event"
            breaks.append(ChainBreak(org, case_id, last_seq + 1, None, problem, kind))
        elif audit_hash != last_hash:
            breaks.append(
                ChainBreak(
                    org, case_id, last_seq, None, "the case's chain head does not match its last event", "rewound_head"
                )
            )
    found = _verify_checkpoints(org, checkpoints, seen)
    if found is not None:
        breaks.append(found)
    return breaks


def _unverifiable(row: Any) -> bool:
    """An event written before salts whose reason was purged: only its place in the chain can be checked."""
    redacted = row["redacted"]
    return bool(redacted) and redacted.get("digest") is None and row["text_salt"] is None and not row["reason"]


def _events(conn: Connection, org: int, batch: int) -> Iterable[Any]:
    """The organisation's events in (case, seq) order, a batch at a time (keyset pagination)."""
    after = (-1, -1)
    while True:
        rows = (
            conn.execute(
                select(EVENT)
                .where(EVENT.c.organisation_id == org, tuple_(EVENT.c.case_id, EVENT.c.seq) > tuple_(*after))
                .order_by(EVENT.c.case_id, EVENT.c.seq)
                .limit(batch)
            )
            .mappings()
            .all()
        )
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1]["case_id"], rows[-1]["seq"])


def _verify_checkpoints(org: int, checkpoints: list[Any], seen: dict[tuple[int, int], str]) -> ChainBreak | None:
    """The first checkpoint that is out of its chain or no longer matches the events; None when all do.

    Checkpoints older than the latest anchored one are pruned (``workflow.engine.anchor``), so the chain of rows may
    start after 1; what was pruned is covered by the signed copies outside the database.
    """
    prev = checkpoints[0].prev_digest if checkpoints and checkpoints[0].anchored_at is not None else GENESIS
    first = checkpoints[0].seq if checkpoints and checkpoints[0].anchored_at is not None else 1
    for n, cp in enumerate(checkpoints, start=first):
        where = f"checkpoint {cp.seq} of {cp.taken_at.isoformat(timespec='seconds')}"
        if cp.seq != n or cp.prev_digest != prev:
            return ChainBreak(
                org, None, n, None, f"{where}: checkpoint {n} is missing or out of order", "checkpoint_missing"
            )
        heads = []
        for case_id, seq in cp.heads:
            event = seen.get((case_id, seq))
            if event is None:
                return ChainBreak(
                    org,
                    case_id,
                    seq,
                    None,
                    f"{where}: case {case_id} had event seq {seq}, which is gone or broken",
                    "truncated_tail",
                )
            heads.append((case_id, seq, event))
        if checkpoint_digest(prev, org, heads) != cp.digest:
            return ChainBreak(
                org, None, n, None, f"{where}: the events no longer match the checkpoint's digest", "recomputed_chain"
            )
        prev = cp.digest
    return None
