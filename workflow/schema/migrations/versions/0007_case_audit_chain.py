"""audit chain per case: the head on the case row, organisation checkpoints, no audit_head row to queue on

Every transition locked its organisation's ``audit_head`` row, so under load one organisation's
transitions queued on it. The chain is now per case: an event's ``seq`` is the case's version
and the case row holds the last hash (``audit_hash``), which the transition's compare-and-set
UPDATE moves anyway. Existing events are re-chained per case here, in Python, with the hash of
``workflow.engine.audit`` (old order kept: by the organisation's old sequence number). ``audit_checkpoint``
holds the organisations' checkpoints; ``audit_head`` goes.

Revision ID: 0007_case_audit_chain
Revises: 0006_placement_registered_at
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import re

import sqlalchemy as sa
from alembic import op

from workflow.engine.audit import GENESIS, event_hash
from workflow.schema.types import UTCDateTime

revision = "0007_case_audit_chain"
down_revision = "0006_placement_registered_at"
branch_labels = None
depends_on = None

def _swap_unique(conn: Any, old: list[str], new: list[str], name: str) -> None:
    """Replace the unique constraint on ``old`` columns of case_event by one named ``name`` on ``new``."""
    if conn.dialect.name != "sqlite":
        found = next(
            u for u in sa.inspect(conn).get_unique_constraints("case_event") if list(u["column_names"]) == old
        )
        op.drop_constraint(found["name"], "case_event", type_="unique")
        op.create_unique_constraint(name, "case_event", new)
        return
    # SQLite rebuilds the table. Alembic's batch mode fills a new table under another name and renames it, so
    # the decision rows' references to their events, broken when the old table is dropped, are never mended.
    # Here the rows are put back into a table named case_event, which mends them before the deferred check.
    table_sql, indexes = None, []
    for kind, sql in conn.execute(sa.text("SELECT type, sql FROM sqlite_master WHERE tbl_name = 'case_event'")):
        if kind == "table":
            table_sql = sql
        elif sql:
            indexes.append(sql)
    pattern = r"(CONSTRAINT \w+ )?UNIQUE \(" + r",\s*".join(old) + r"\)"
    rebuilt, found = re.subn(pattern, f"CONSTRAINT {name} UNIQUE ({', '.join(new)})", table_sql or "")
    if found != 1:
        raise RuntimeError("case_event has no unique constraint on " + ", ".join(old))
    conn.execute(sa.text("PRAGMA defer_foreign_keys = ON"))  # until this transaction's COMMIT
    conn.execute(sa.text("CREATE TABLE _case_event_rows AS SELECT * FROM case_event"))
    conn.execute(sa.text("DROP TABLE case_event"))
    conn.execute(sa.text(rebuilt))
    conn.execute(sa.text("INSERT INTO case_event SELECT * FROM _case_event_rows"))
    conn.execute(sa.text("DROP TABLE _case_event_rows"))
    for sql in indexes:
        conn.execute(sa.text(sql))


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
    op.drop_index("ix_case_event_case_id", table_name="case_event")  # the new unique (case_id, seq) serves
    op.add_column("case", sa.Column("audit_hash", sa.String(length=64), nullable=False, server_default=GENESIS))
    # The old seqs are unique per case too, so the constraint can change first; then each case is numbered afresh
    # in the order its organisation's chain had.
    _swap_unique(conn, ["organisation_id", "seq"], ["case_id", "seq"], "uq_case_event_case_seq")
    heads = _rechain(conn, "case_id", "seq, id")
    if heads:
        conn.execute(
            sa.text('UPDATE "case" SET audit_hash = :h WHERE id = :c'),
            [{"c": case_id, "h": digest} for case_id, (_seq, digest) in heads.items()],
        )
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
    heads = _rechain(conn, "organisation_id", "occurred_at, id")  # per-case unique still holds: seqs stay apart
    for org, (seq, digest) in heads.items():
        conn.execute(
            sa.text("INSERT INTO audit_head (organisation_id, seq, hash) VALUES (:o, :s, :h)"),
            {"o": org, "s": seq, "h": digest},
        )
    _swap_unique(conn, ["case_id", "seq"], ["organisation_id", "seq"], "uq_case_event_organisation_id")
    op.create_index("ix_case_event_case_id", "case_event", ["case_id"], unique=False)
    if conn.dialect.name == "sqlite":  # natively (3.35+): batch mode would rebuild the table every case refers to
        conn.execute(sa.text('ALTER TABLE "case" DROP COLUMN audit_hash'))
    else:
        op.drop_column("case", "audit_hash")
