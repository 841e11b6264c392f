"""The retention schedule (gallringsplan): how long each kind of record is kept, as the board decides it.

Versioned data like the delegation order: ``workflow/data/retention_schedule.yaml`` holds the demo
boards' schedule, and loading stores each version per organisation. A stored version never changes
(loading a file whose rules for a stored version differ is refused: adopt a new version instead), and
the purge logs the version it acted under, so a new version never changes what an earlier purge did.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from workflow import yaml_files
from workflow.engine.errors import InvalidInput
from workflow.schema.db import new_id
from workflow.schema.tables import ORG, RETENTION_RULE, RETENTION_SCHEDULE

DEFAULT_FILE = Path(__file__).parent.parent / "data" / "retention_schedule.yaml"

#: Every kind of record the purge knows: the anchor its period counts from, and what the purge does.
KINDS: dict[str, tuple[str, str]] = {
    "placement_client_ref": ("placement_ended", "pseudonymise"),
    "individual_case_texts": ("case_closed", "blank"),
    "outbox_message_bodies": ("message_created", "blank"),
    "access_log_entries": ("read_logged", "delete"),
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of a stored schedule version."""

    id: int
    record_kind: str
    anchor: str
    years: int
    months: int
    action: str
    legal_basis: str

    def anchored_before(self, today: date) -> date:
        """The first day whose records are still kept: ``today`` less the period (a month's day clamped)."""
        months = today.year * 12 + today.month - 1 - (self.years * 12 + self.months)
        year, month = divmod(months, 12)
        month += 1
        last = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
        return date(year, month, min(today.day, last))


@dataclass(frozen=True, slots=True)
class Schedule:
    """A stored schedule version of one organisation and its rules."""

    id: int
    organisation_id: int
    version: str
    registry_number: str
    adopted_on: date
    valid_from: date
    rules: tuple[Rule, ...]


def load_file(conn: Connection, path: Path = DEFAULT_FILE) -> int:
    """Store every schedule version in ``path`` for the organisations it applies to; how many were added.

    Idempotent: a version already stored with the same rules is skipped; one stored with other rules is refused.
    """
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    doc = yaml_files.safe_load(raw)
    _check(doc)
    orgs = conn.execute(select(ORG.c.id, ORG.c.code)).all()
    added = 0
    for version in doc["schedules"]:
        applies = version.get("applies_to", ["*"])
        for org_id, code in orgs:
            if "*" not in applies and code not in applies:
                continue
            stored = _stored(conn, org_id, str(version["version"]))
            if stored is not None:
                if _rule_rows(stored) != sorted(_file_rules(version)):
                    raise InvalidInput(
                        f"retention schedule {version['version']} is stored for {code} with other rules; "
                        "a changed schedule is a new version",
                        rule="retention_version_changed",
                    )
                continue
            schedule_id = new_id(
                conn.execute(
                    insert(RETENTION_SCHEDULE).values(
                        organisation_id=org_id,
                        version=str(version["version"]),
                        registry_number=str(version["registry_number"]),
                        adopted_on=version["adopted_on"],
                        valid_from=version["valid_from"],
                        source_sha256=digest,
                    )
                )
            )
            conn.execute(
                insert(RETENTION_RULE),
                [dict(zip(_RULE_KEYS, r, strict=True), schedule_id=schedule_id) for r in _file_rules(version)],
            )
            added += 1
    return added


_RULE_KEYS = ("record_kind", "anchor", "years", "months", "action", "legal_basis")


def _file_rules(version: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            r["record_kind"],
            r["anchor"],
            int(r.get("years", 0)),
            int(r.get("months", 0)),
            r["action"],
            str(r["legal_basis"]),
        )
        for r in version["rules"]
    ]


def _rule_rows(schedule: Schedule) -> list[tuple[Any, ...]]:
    return sorted((r.record_kind, r.anchor, r.years, r.months, r.action, r.legal_basis) for r in schedule.rules)


def _check(doc: Any) -> None:
    if not isinstance(doc, dict) or not isinstance(doc.get("schedules"), list):
        raise InvalidInput("a retention schedule file must have a list 'schedules'", rule="retention_schedule")
    for version in doc["schedules"]:
        for key in ("version", "registry_number", "adopted_on", "valid_from", "rules"):
            if key not in version:
                raise InvalidInput(f"retention schedule version is missing {key!r}", rule="retention_schedule")
        seen = set()
        for rule in version["rules"]:
            kind = rule.get("record_kind")
            if kind not in KINDS:
                raise InvalidInput(
                    f"retention schedule {version['version']}: unknown record kind {kind!r}; one of {sorted(KINDS)}",
                    rule="retention_schedule",
                )
            if kind in seen:
                raise InvalidInput(
                    f"retention schedule {version['version']}: {kind} has two rules", rule="retention_schedule"
                )
            seen.add(kind)
            anchor, action = KINDS[kind]
            if rule.get("anchor") != anchor or rule.get("action") != action:
                raise InvalidInput(
                    f"retention schedule {version['version']}: {kind} counts from {anchor} and is {action}d",
                    rule="retention_schedule",
                )
            years, months = rule.get("years", 0), rule.get("months", 0)
            if not all(isinstance(n, int) and n >= 0 for n in (years, months)) or years * 12 + months < 1:
                raise InvalidInput(
                    f"retention schedule {version['version']}: {kind} needs a period of at least one month",
                    rule="retention_schedule",
                )
            if not str(rule.get("legal_basis") or "").strip():
                raise InvalidInput(
                    f"retention schedule {version['version']}: {kind} needs its legal basis", rule="retention_schedule"
                )


def _stored(conn: Connection, organisation_id: int, version: str) -> Schedule | None:
    row = conn.execute(
        select(RETENTION_SCHEDULE).where(
            RETENTION_SCHEDULE.c.organisation_id == organisation_id, RETENTION_SCHEDULE.c.version == version
        )
    ).first()
    return _schedule(conn, row) if row is not None else None


def _schedule(conn: Connection, row: Any) -> Schedule:
    rules = tuple(
        Rule(r.id, r.record_kind, r.anchor, r.years, r.months, r.action, r.legal_basis)
        for r in conn.execute(
            select(RETENTION_RULE).where(RETENTION_RULE.c.schedule_id == row.id).order_by(RETENTION_RULE.c.id)
        )
    )
    return Schedule(
        row.id, row.organisation_id, row.version, row.registry_number, row.adopted_on, row.valid_from, rules
    )


def in_force(conn: Connection, organisation_id: int, on: date) -> Schedule | None:
    """The organisation's schedule version in force on ``on`` (the latest valid from then), if it has one."""
    row = conn.execute(
        select(RETENTION_SCHEDULE)
        .where(RETENTION_SCHEDULE.c.organisation_id == organisation_id, RETENTION_SCHEDULE.c.valid_from <= on)
        .order_by(RETENTION_SCHEDULE.c.valid_from.desc(), RETENTION_SCHEDULE.c.id.desc())
        .limit(1)
    ).first()
    return _schedule(conn, row) if row is not None else None


def organisations_with_schedule(conn: Connection) -> list[int]:
    """Every organisation that has stored a schedule (the scheduler's purge visits these)."""
    return [
        int(r[0])
        for r in conn.execute(
            select(RETENTION_SCHEDULE.c.organisation_id).distinct().order_by(RETENTION_SCHEDULE.c.organisation_id)
        )
    ]
