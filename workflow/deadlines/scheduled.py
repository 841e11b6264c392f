"""Scheduled openings (planerade öppningar): the once-per-period key of everything the scheduler opens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workflow.schema.tables import OPENING, USER

_KEY = ("control", "subject_kind", "subject_id", "period")
# Built once (building a statement costs more than running it on SQLite): the claim per dialect, and its case.
_CLAIM = {
    name: ins(OPENING)
    .values({c: bindparam(c) for c in (*_KEY, "organisation_id", "opened_at")})
    .on_conflict_do_nothing(index_elements=list(_KEY))
    # RETURNING, not rowcount: psycopg reports no rowcount for this INSERT under SQLAlchemy 2.1.
    .returning(OPENING.c.id)
    for name, ins in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_SET_CASE = (
    update(OPENING).where(*(OPENING.c[c] == bindparam(f"key_{c}") for c in _KEY)).values(case_id=bindparam("case_id"))
)


def claim_opening(
    conn: Connection, control: str, subject_kind: str, subject_id: int, period: str, org: int, now: datetime
) -> bool:
    """Insert the key (control, subject, period); False when it exists already (opened before or elsewhere)."""
    values = {
        "control": control,
        "subject_kind": subject_kind,
        "subject_id": subject_id,
        "period": period,
        "organisation_id": org,
        "opened_at": now,
    }
    return conn.execute(_CLAIM[conn.dialect.name], values).first() is not None


def set_opening_case(
    conn: Connection, control: str, subject_kind: str, subject_id: int, period: str, case_id: int
) -> None:
    """Link the opened case to its key."""
    key = {"key_control": control, "key_subject_kind": subject_kind, "key_subject_id": subject_id}
    conn.execute(_SET_CASE, {**key, "key_period": period, "case_id": case_id})


def first_user_with_role(conn: Connection, org: int, role: str) -> int | None:
    """The longest-serving active user of ``org`` holding ``role`` (owner of what the scheduler opens)."""
    for uid, roles in conn.execute(
        select(USER.c.id, USER.c.roles)
        .where(USER.c.organisation_id == org, USER.c.active.is_(True))
        .order_by(USER.c.id)
    ):
        if role in (roles or ()):
            return int(uid)
    return None


def opened_case(conn: Connection, control: str, subject_kind: str, subject_id: int, period: str) -> int | None:
    """The case opened under a key, if any."""
    return conn.execute(
        select(OPENING.c.case_id).where(
            OPENING.c.control == control,
            OPENING.c.subject_kind == subject_kind,
            OPENING.c.subject_id == subject_id,
            OPENING.c.period == period,
        )
    ).scalar_one_or_none()
