"""The audit chain (revisionskedja): append-only events hash-chained per organisation.

Each event's hash covers its content and the previous event's hash in the same
organisation, so changing, deleting or reordering any row breaks the chain from
that row on; the chain head (last sequence number and hash) catches a deleted tail.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from workflow.tables import AuditHead, CaseEvent

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


def payload(event: dict[str, Any]) -> str:
    """The text of an event that its hash covers (after the previous hash)."""
    body = {k: event.get(k) for k in _FIELDS}
    occurred: datetime = event["occurred_at"]
    body["occurred_at"] = occurred.isoformat(timespec="microseconds")
    return _ENCODE(body)


def event_hash(prev_hash: str, event: dict[str, Any]) -> str:
    """The hash of one event given the previous hash in its organisation's chain: sha256(prev_hash + payload)."""
    return hashlib.sha256((prev_hash + payload(event)).encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """Where an organisation's chain first fails, and why."""

    organisation_id: int
    seq: int
    event_id: int | None
    problem: str


def verify(conn: Connection, organisation_id: int | None = None, batch: int = 5000) -> list[ChainBreak]:
    """Check every organisation's chain (or one); return the first break of each broken chain."""
    ev = CaseEvent.__table__  # type: ignore[attr-defined]
    head = AuditHead.__table__  # type: ignore[attr-defined]
    heads = {r.organisation_id: r for r in conn.execute(select(head))}
    org_ids = set(heads)
    org_ids |= {r[0] for r in conn.execute(select(ev.c.organisation_id).distinct())}
    if organisation_id is not None:
        org_ids &= {organisation_id}
    breaks: list[ChainBreak] = []
    for org in sorted(org_ids):
        found = _verify_org(conn, org, heads.get(org), batch)
        if found:
            breaks.append(found)
    return breaks


def _verify_org(conn: Connection, org: int, head: Any, batch: int) -> ChainBreak | None:
    ev = CaseEvent.__table__  # type: ignore[attr-defined]
    prev_hash, expected_seq, last_seq = GENESIS, 1, 0
    while True:
        rows = (
            conn.execute(
                select(ev).where(ev.c.organisation_id == org, ev.c.seq >= expected_seq).order_by(ev.c.seq).limit(batch)
            )
            .mappings()
            .all()
        )
        for row in rows:
            if row["seq"] != expected_seq:
                return ChainBreak(
                    org, expected_seq, row["id"], f"event seq {expected_seq} is missing (next is {row['seq']})"
                )
            if row["prev_hash"] != prev_hash:
                return ChainBreak(org, row["seq"], row["id"], "prev_hash does not match the previous event")
            if event_hash(prev_hash, dict(row)) != row["hash"]:
                return ChainBreak(org, row["seq"], row["id"], "content does not match its hash")
            prev_hash, last_seq, expected_seq = row["hash"], row["seq"], row["seq"] + 1
        if len(rows) < batch:
            break
    if head is None:
        return ChainBreak(org, last_seq, None, "chain head is missing") if last_seq else None
    if head.seq != last_seq or head.hash != prev_hash:
        return ChainBreak(org, last_seq + 1, None, f"chain head says seq {head.seq} but the chain ends at {last_seq}")
    return None
