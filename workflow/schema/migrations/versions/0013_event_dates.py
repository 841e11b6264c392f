"""event dates: when it happened beside when it was recorded; every decision keeps its own date and grounds

``case_event.occurred_on`` (when it happened; for a decision the decision date), ``late_entry`` and
``late_reason``; ``case.opened_on`` and ``case.last_occurred_on`` (what a new event's date is checked
against); ``decision.decided_on``, ``reason_code`` and ``initiator`` (the decision's own grounds, which a
later step no longer overwrites). Existing rows are backfilled from the recording instant (its Stockholm
date) and, for decisions, from their own event's parameters, walking each case's events in order so a
prolongation keeps the exclusion's reason as the engine now does. Existing events' hashes do not change:
the hash covers occurred_on and late entry only where they differ from what an old event implies.

On SQLite the NOT NULL date columns are added with a constant default (SQLite cannot add a NOT NULL column
without one and rebuilding ``case`` would break the references to it); every writer sets them.

Revision ID: 0013_event_dates
Revises: 0012_board_matters
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from workflow.clock import STOCKHOLM
from workflow.schema.types import UTCDateTime

revision = "0013_event_dates"
down_revision = "0012_board_matters"
branch_labels = None
depends_on = None

REASON_PARAMS = ("reason_code", "termination_reason", "rescission_ground", "not_performed_reason")
_EPOCH = "1970-01-01"


def _add_date(conn: Any, table: str, column: str) -> None:
    if conn.dialect.name == "sqlite":
        op.add_column(table, sa.Column(column, sa.Date(), nullable=False, server_default=_EPOCH))
    else:
        op.add_column(table, sa.Column(column, sa.Date(), nullable=True))


def _not_null(conn: Any, table: str, column: str) -> None:
    if conn.dialect.name != "sqlite":
        op.alter_column(table, column, existing_type=sa.Date(), nullable=False)


def _local(instant: Any) -> Any:
    return instant.astimezone(STOCKHOLM).date()


def upgrade() -> None:
    conn = op.get_bind()
    _add_date(conn, "case_event", "occurred_on")
    op.add_column("case_event", sa.Column("late_entry", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("case_event", sa.Column("late_reason", sa.String(length=2000), nullable=True))
    _add_date(conn, "case", "opened_on")
    _add_date(conn, "case", "last_occurred_on")
    _add_date(conn, "decision", "decided_on")
    op.add_column("decision", sa.Column("reason_code", sa.String(length=48), nullable=True))
    op.add_column("decision", sa.Column("initiator", sa.String(length=16), nullable=True))

    if conn.dialect.name == "postgresql":
        zone = "'Europe/Stockholm'"
        conn.execute(sa.text(f"UPDATE case_event SET occurred_on = (occurred_at AT TIME ZONE {zone})::date"))
        conn.execute(sa.text(f'UPDATE "case" SET opened_on = (opened_at AT TIME ZONE {zone})::date'))
        conn.execute(sa.text(f"UPDATE decision SET decided_on = (decided_at AT TIME ZONE {zone})::date"))
    else:
        for table, instant, day in (
            ("case_event", "occurred_at", "occurred_on"),
            ("case", "opened_at", "opened_on"),
            ("decision", "decided_at", "decided_on"),
        ):
            rows = conn.execute(
                sa.text(f'SELECT id, {instant} FROM "{table}"').columns(**{instant: UTCDateTime()})
            ).all()
            if rows:
                conn.execute(
                    sa.text(f'UPDATE "{table}" SET {day} = :d WHERE id = :i'),
                    [{"i": r[0], "d": _local(r[1]).isoformat()} for r in rows],
                )
    conn.execute(
        sa.text(
            'UPDATE "case" SET last_occurred_on = COALESCE('
            '(SELECT MAX(e.occurred_on) FROM case_event e WHERE e.case_id = "case".id), opened_on)'
        )
    )
    # Each decision's own grounds from its event's parameters, in each case's order of events.
    rows = conn.execute(
        sa.text(
            "SELECT e.case_id, e.seq, e.params, d.id AS decision_id FROM case_event e "
            "LEFT JOIN decision d ON d.event_id = e.id ORDER BY e.case_id, e.seq"
        ).columns(params=sa.JSON())
    ).mappings()
    updates = []
    case_id, exclusion = None, None
    for r in rows:
        if r["case_id"] != case_id:
            case_id, exclusion = r["case_id"], None
        params = r["params"] or {}
        own = next((params[k] for k in REASON_PARAMS if params.get(k)), None)
        if params.get("reason_code"):
            exclusion = params["reason_code"]
        if r["decision_id"] is not None:
            updates.append({"i": r["decision_id"], "r": own or exclusion, "n": params.get("initiator")})
    if updates:
        conn.execute(sa.text("UPDATE decision SET reason_code = :r, initiator = :n WHERE id = :i"), updates)

    _not_null(conn, "case_event", "occurred_on")
    _not_null(conn, "case", "opened_on")
    _not_null(conn, "case", "last_occurred_on")
    _not_null(conn, "decision", "decided_on")
    op.create_index("ix_case_org_type_opened_on", "case", ["organisation_id", "case_type", "opened_on"])
    op.drop_index("ix_decision_org_time", table_name="decision")
    op.drop_index("ix_decision_org_kind_time", table_name="decision")
    op.create_index("ix_decision_org_day", "decision", ["organisation_id", "decided_on"])
    op.create_index("ix_decision_org_kind_day", "decision", ["organisation_id", "decision_kind", "decided_on"])


def _drop(conn: Any, table: str, *columns: str) -> None:
    for column in columns:
        if conn.dialect.name == "sqlite":  # natively (3.35+): batch mode would rebuild a table others refer to
            conn.execute(sa.text(f'ALTER TABLE "{table}" DROP COLUMN {column}'))
        else:
            op.drop_column(table, column)


def downgrade() -> None:
    conn = op.get_bind()
    op.drop_index("ix_decision_org_kind_day", table_name="decision")
    op.drop_index("ix_decision_org_day", table_name="decision")
    op.create_index("ix_decision_org_time", "decision", ["organisation_id", "decided_at"])
    op.create_index("ix_decision_org_kind_time", "decision", ["organisation_id", "decision_kind", "decided_at"])
    op.drop_index("ix_case_org_type_opened_on", table_name="case")
    _drop(conn, "decision", "decided_on", "reason_code", "initiator")
    _drop(conn, "case", "opened_on", "last_occurred_on")
    _drop(conn, "case_event", "occurred_on", "late_entry", "late_reason")
