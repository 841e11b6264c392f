"""audit chain per case: the head on the case row, organisation checkpoints, no audit_head row to queue on

Every transition locked its organisation's ``audit_head`` row, so under load one organisation's
transitions queued on it. The chain is now per case: an event's ``seq`` is the case's version
and the case row holds the last hash (``audit_hash``), which the transition's compare-and-set
UPDATE moves anyway. Existing events are re-chained per case here, in Python, with the hash of
``workflow.audit`` (old order kept: by the organisation's old sequence number). ``audit_checkpoint``
holds the organisations' checkpoints; ``audit_head`` goes.

Revision ID: 0007_case_audit_chain
Revises: 0006_placement_registered_at
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from workflow.audit import GENESIS, event_hash
from workflow.types import UTCDateTime

revision = "0007_case_audit_chain"
down_revision = "0006_placement_registered_at"
branch_labels = None
depends_on = None

_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}  # names SQLite's unnamed constraints for batch mode


def _drop_unique(table: str, columns: list[str]) -> None:
    """Drop the unique constraint on ``columns`` whatever the database named it (SQLite names none)."""
    found = next(
        u for u in sa.inspect(op.get_bind()).get_unique_constraints(table) if list(u["column_names"]) == columns
    )
    name = found["name"] or f"uq_{table}_{columns[0]}"
    with op.batch_alter_table(table, naming_convention=_NAMING) as batch_op:
        batch_op.drop_constraint(name, type_="unique")


def _events(conn: Any, group: str, order: str) -> Iterator[list[dict[str, Any]]]:
    """The events grouped by ``group`` (case_id or organisation_id), each group in the chain's ``order``."""
    query = sa.text(f"SELECT * FROM case_event ORDER BY {group}, {order}").columns(
        occurred_at=UTCDateTime(), params=sa.JSON()
    )
    rows = conn.execute(query).mappings()
    batch: list[dict[str, Any]] = []
    for row in rows:
        if batch and batch[-1][group] != row[group]:
            yield batch
            batch = []
        batch.append(dict(row))
    if batch:
        yield batch


def _rechain(conn: Any, group: str, order: str) -> dict[int, tuple[int, str]]:
    """Number and hash every group's events afresh; each group's last (seq, hash)."""
    updates, heads = [], {}
    for events in list(_events(conn, group, order)):
        prev = GENESIS
        for seq, event in enumerate(events, start=1):
            event["seq"] = seq
            digest = event_hash(prev, event)
            updates.append({"i": event["id"], "s": seq, "p": prev, "h": digest})
            prev = digest
        heads[events[0][group]] = (len(events), prev)
    if updates:
        conn.execute(sa.text("UPDATE case_event SET seq = -seq WHERE 1 = 1"))  # free every seq first
        conn.execute(sa.text("UPDATE case_event SET seq = :s, prev_hash = :p, hash = :h WHERE id = :i"), updates)
    return heads


def upgrade() -> None:
    conn = op.get_bind()
    _drop_unique("case_event", ["organisation_id", "seq"])
    op.drop_index("ix_case_event_case_id", table_name="case_event")
    with op.batch_alter_table("case") as batch_op:
        batch_op.add_column(sa.Column("audit_hash", sa.String(length=64), nullable=False, server_default=GENESIS))
    heads = _rechain(conn, "case_id", "seq, id")  # the old seq was the organisation's order
    if heads:
        conn.execute(
            sa.text('UPDATE "case" SET audit_hash = :h WHERE id = :c'),
            [{"c": case_id, "h": digest} for case_id, (_seq, digest) in heads.items()],
        )
    with op.batch_alter_table("case_event") as batch_op:
        batch_op.create_unique_constraint("uq_case_event_case_seq", ["case_id", "seq"])
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("taken_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("heads", sa.JSON(), nullable=False),
        sa.Column("prev_digest", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "seq", name="uq_audit_checkpoint_org_seq"),
    )
    op.drop_table("audit_head")


def downgrade() -> None:
    conn = op.get_bind()
    op.create_table(
        "audit_head",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    op.drop_table("audit_checkpoint")
    with op.batch_alter_table("case_event") as batch_op:
        batch_op.drop_constraint("uq_case_event_case_seq", type_="unique")
    heads = _rechain(conn, "organisation_id", "occurred_at, id")
    for org, (seq, digest) in heads.items():
        conn.execute(
            sa.text("INSERT INTO audit_head (organisation_id, seq, hash) VALUES (:o, :s, :h)"),
            {"o": org, "s": seq, "h": digest},
        )
    with op.batch_alter_table("case_event") as batch_op:
        batch_op.create_unique_constraint("uq_case_event_organisation_id", ["organisation_id", "seq"])
        batch_op.create_index("ix_case_event_case_id", ["case_id"], unique=False)
    with op.batch_alter_table("case") as batch_op:
        batch_op.drop_column("audit_hash")
