"""page indexes: the staff pages' counts read indexes alone (issue 12)

- ``ix_case_open``: open cases by organisation, type and state (partial on ``closed_at IS NULL``), covering the
  secrecy rule's columns and the provider; the overview counts open and overdue cases per type from it, the
  Utförare page the open cases per provider.
- ``ix_deadline_pending_org_due``: pending deadlines by organisation and due time with their case (partial on
  ``status = 'pending'``); the cases with a passed deadline are a range of it.
- ``ix_deadline_case_id`` becomes ``ix_deadline_case_status_due`` (case, status, due time): a case's earliest
  pending deadline, which every case list shows and sorts by, is read from the index alone.
- ``ix_case_owner_id``, ``ix_case_placement_id`` and ``ix_case_parent_case_id`` become partial (``… IS NOT
  NULL``): with most cases unowned, without placement and without parent, SQLite's statistics made the full
  indexes look unselective, so "my cases" and the guards looking for open sub-cases scanned the organisation.

Revision ID: 0016_page_indexes
Revises: 0015_import
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_page_indexes"
down_revision = "0015_import"
branch_labels = None
depends_on = None

OPEN = sa.text("closed_at IS NULL")
PENDING = sa.text("status = 'pending'")
PARTIAL = ("owner_id", "placement_id", "parent_case_id")


def upgrade() -> None:
    op.drop_index("ix_deadline_case_id", table_name="deadline")
    op.create_index("ix_deadline_case_status_due", "deadline", ["case_id", "status", "due_at"])
    for column in PARTIAL:
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(f"ix_case_{column}", table_name="case")
        op.create_index(f"ix_case_{column}", "case", [column], sqlite_where=where, postgresql_where=where)
    op.create_index(
        "ix_case_open",
        "case",
        ["organisation_id", "case_type", "status", "placement_id", "provider_id", "closed_at", "id"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index(
        "ix_deadline_pending_org_due",
        "deadline",
        ["organisation_id", "due_at", "case_id", "status"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_deadline_pending_org_due", table_name="deadline")
    op.drop_index("ix_case_open", table_name="case")
    for column in PARTIAL:
        op.drop_index(f"ix_case_{column}", table_name="case")
        op.create_index(f"ix_case_{column}", "case", [column])
    op.drop_index("ix_deadline_case_status_due", table_name="deadline")
    op.create_index("ix_deadline_case_id", "deadline", ["case_id"])
