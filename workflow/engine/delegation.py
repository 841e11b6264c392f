"""The delegation order (delegationsordning): who may take which decision, and when.

Versions are loaded from a YAML file into the database; the engine checks a
mandate against the version valid on the decision's date, from an in-memory copy
kept at most ``UPPF_DELEGATION_CACHE_SECONDS`` (settings: ``delegation_cache_seconds``) so
the hot path does not query it; a mandate revoked in another process is refused here once
that lifetime has passed.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from states.registry import all_decision_kinds
from states.roles import Role
from workflow import yaml_files
from workflow.engine.errors import InvalidInput
from workflow.schema.db import new_id
from workflow.schema.tables import ORDER, RULE, Organisation
from workflow.settings import get_settings

DEFAULT_FILE = Path(__file__).parent.parent / "data" / "delegation_order.yaml"
_ROLES = {r.value for r in Role}


@dataclass(frozen=True, slots=True)
class Mandate:
    """The mandate an actor used for a decision (delegation med stöd av punkt …)."""

    order_id: int | None
    version: str
    rule_ref: str
    role: str
    substitute: bool
    under_delegation: bool

    def describe(self) -> str:
        """Short text stored on the audit event."""
        who = "board" if not self.under_delegation else ("substitute " if self.substitute else "") + self.role
        return f"delegation order {self.version} item {self.rule_ref} ({who})"


@dataclass(frozen=True, slots=True)
class _Rule:
    order_id: int
    version: str
    ref: str
    kind: str
    delegates: frozenset[str]
    substitutes: frozenset[str]
    valid_from: date
    valid_to: date | None


def load_file(conn: Connection, path: Path = DEFAULT_FILE) -> int:
    """Store every order version in ``path`` for the organisations it applies to; return rows added.

    Loading is idempotent: a version already stored for an organisation is skipped.
    """
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    doc = yaml_files.safe_load(raw)
    _check(doc)
    orgs = conn.execute(select(Organisation.id, Organisation.code)).all()  # type: ignore[call-overload]
    order_t = ORDER
    rule_t = RULE
    existing = {
        (r.organisation_id, r.version) for r in conn.execute(select(order_t.c.organisation_id, order_t.c.version))
    }
    added = 0
    for order in doc["orders"]:
        applies = order.get("applies_to", ["*"])
        for org_id, code in orgs:
            if "*" not in applies and code not in applies:
                continue
            if (org_id, str(order["version"])) in existing:
                continue
            order_id = new_id(
                conn.execute(
                    insert(order_t).values(
                        organisation_id=org_id,
                        version=str(order["version"]),
                        registry_number=order["registry_number"],
                        adopted_on=order["adopted_on"],
                        valid_from=order["valid_from"],
                        valid_to=order.get("valid_to"),
                        source_sha256=digest,
                    )
                )
            )
            conn.execute(
                insert(rule_t),
                [
                    {
                        "order_id": order_id,
                        "ref": str(r["ref"]),
                        "decision_kind": r["decision_kind"],
                        "description": r.get("description", ""),
                        "delegates": list(r["delegates"]),
                        "substitutes": list(r.get("substitutes", [])),
                        "report_to_board": r.get("report_to_board", True),
                        "valid_from": r.get("valid_from"),
                        "valid_to": r.get("valid_to"),
                    }
                    for r in order["rules"]
                ],
            )
            added += 1
    _CACHE.invalidate()
    return added


def _check(doc: Any) -> None:
    if not isinstance(doc, dict) or not isinstance(doc.get("orders"), list):
        raise InvalidInput("delegation order file must have a list 'orders'")
    known = all_decision_kinds()
    for order in doc["orders"]:
        for key in ("version", "registry_number", "adopted_on", "valid_from", "rules"):
            if key not in order:
                raise InvalidInput(f"delegation order version is missing {key!r}")
        kinds = set()
        for rule in order["rules"]:
            if rule["decision_kind"] not in known:
                raise InvalidInput(f"rule {rule.get('ref')}: unknown decision kind {rule['decision_kind']!r}")
            bad = (set(rule["delegates"]) | set(rule.get("substitutes", []))) - _ROLES
            if bad:
                raise InvalidInput(f"rule {rule.get('ref')}: unknown roles {sorted(bad)}")
            kinds.add(rule["decision_kind"])
        missing = known - kinds
        if missing:
            raise InvalidInput(f"delegation order {order['version']} does not cover {sorted(missing)}")


class _OrderCache:
    """Rules per organisation and decision kind, reloaded once older than the configured lifetime.

    ``ttl`` None reads the lifetime from the settings on every use (so a test or a reconfigured process
    gets its own); 0 reads the rules on every check.
    """

    def __init__(self, ttl: float | None = None) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._loaded_at = -1e18
        self._engine_id: int | None = None
        self._rules: dict[tuple[int, str], list[_Rule]] = {}

    def invalidate(self) -> None:
        self._loaded_at = -1e18

    def lifetime(self) -> float:
        """Seconds a loaded copy is used before it is read again."""
        return self.ttl if self.ttl is not None else get_settings().delegation_cache_seconds

    def rules(self, conn: Connection, org: int, kind: str) -> list[_Rule]:
        now = time.monotonic()
        engine_id = id(conn.engine)
        if now - self._loaded_at >= self.lifetime() or engine_id != self._engine_id:
            with self._lock:
                self._rules = _read_rules(conn)
                self._loaded_at, self._engine_id = now, engine_id
        return self._rules.get((org, kind), [])


def _read_rules(conn: Connection) -> dict[tuple[int, str], list[_Rule]]:
    o = ORDER
    r = RULE
    out: dict[tuple[int, str], list[_Rule]] = {}
    rows = conn.execute(
        select(
            o.c.organisation_id,
            o.c.id,
            o.c.version,
            o.c.valid_from,
            o.c.valid_to,
            r.c.ref,
            r.c.decision_kind,
            r.c.delegates,
            r.c.substitutes,
            r.c.valid_from.label("rf"),
            r.c.valid_to.label("rt"),
        ).join(r, r.c.order_id == o.c.id)
    )
    for row in rows:
        rule = _Rule(
            row.id,
            row.version,
            row.ref,
            row.decision_kind,
            frozenset(row.delegates),
            frozenset(row.substitutes),
            max(row.valid_from, row.rf or row.valid_from),
            min(d for d in (row.valid_to, row.rt) if d) if (row.valid_to or row.rt) else None,
        )
        out.setdefault((row.organisation_id, row.decision_kind), []).append(rule)
    return out


_CACHE = _OrderCache()


def invalidate_cache() -> None:
    """Forget the in-memory copy (after loading a new version)."""
    _CACHE.invalidate()


def find_mandate(conn: Connection, org: int, kind: str, roles: tuple[str, ...], on: date) -> Mandate | None:
    """The mandate one of ``roles`` holds for ``kind`` on ``on``, preferring a delegate over a substitute."""
    rules = [
        r for r in _CACHE.rules(conn, org, kind) if r.valid_from <= on and (r.valid_to is None or on <= r.valid_to)
    ]
    for rule in rules:
        for role in roles:
            if role in rule.delegates:
                return Mandate(rule.order_id, rule.version, rule.ref, role, False, role != Role.BOARD)
    for rule in rules:
        for role in roles:
            if role in rule.substitutes:
                return Mandate(rule.order_id, rule.version, rule.ref, role, True, True)
    if Role.BOARD in roles:
        # The board may always decide a matter it has delegated (it has not given up its competence).
        version = rules[0].version if rules else "-"
        return Mandate(rules[0].order_id if rules else None, version, "nämnd", Role.BOARD, False, False)
    return None


def order_in_force(conn: Connection, org: int, on: date) -> dict[str, Any] | None:
    """The delegation order version valid for ``org`` on ``on`` with its rules, for display."""
    o = ORDER
    r = RULE
    order = (
        conn.execute(
            select(o)
            .where(o.c.organisation_id == org, o.c.valid_from <= on, (o.c.valid_to.is_(None)) | (o.c.valid_to >= on))
            .order_by(o.c.valid_from.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if order is None:
        return None
    rules = conn.execute(select(r).where(r.c.order_id == order["id"]).order_by(r.c.ref)).mappings().all()
    return {**dict(order), "rules": [dict(x) for x in rules]}
