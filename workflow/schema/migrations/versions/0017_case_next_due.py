"""case.next_due_at: a case's earliest pending deadline on its own row (issue 12)

The case lists sort by a case's next deadline and "overdue" compares it with now; both read it from the case
row instead of the ``deadline`` table. Every writer of deadlines keeps it (``workflow.deadlines.next_due``); the
upgrade fills it from the pending deadlines, and ``ix_case_open`` covers it, so the overview counts overdue cases
per type and the filtered lists count their rows from that index alone. ``ix_deadline_pending_org_due`` served
only the old way of finding overdue cases (a probe of the passed deadlines) and goes. ``ix_case_org_next_due``
(organisation, next due time, id) and ``ix_case_org_opened`` (organisation, opening time, id) give the lists
sorted by next deadline (the case list page's default) or by opening (the API's default) their pages without
sorting all of the organisation's cases.

Revision ID: 0017_case_next_due
Revises: 0016_page_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.schema.types import UTCDateTime

revision = "0017_case_next_due"
down_revision = "0016_page_indexes"
branch_labels = None
depends_on = None

OPEN = sa.text("closed_at IS NULL")
PENDING = sa.text("status = 'pending'")
OPEN_COLUMNS = ["organisation_id", "case_type", "status", "placement_id", "provider_id", "closed_at"]
FILL = (
    'UPDATE "case" SET next_due_at = ('
    "SELECT min(d.due_at) FROM deadline d WHERE d.case_id = \"case\".id AND d.status = 'pending') "
    "WHERE id IN (SELECT case_id FROM deadline WHERE status = 'pending')"
)


def upgrade() -> None:
    op.add_column("case", sa.Column("next_due_at", UTCDateTime(), nullable=True))
    op.execute(FILL)
    op.drop_index("ix_case_open", table_name="case")
    op.create_index(
        "ix_case_open",
        "case",
        [*OPEN_COLUMNS, "next_due_at", "id"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.drop_index("ix_deadline_pending_org_due", table_name="deadline")
    op.create_index("ix_case_org_next_due", "case", ["organisation_id", "next_due_at", "id"])
    op.create_index("ix_case_org_opened", "case", ["organisation_id", "opened_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_case_org_opened", table_name="case")
    op.drop_index("ix_case_org_next_due", table_name="case")
    op.create_index(
        "ix_deadline_pending_org_due",
        "deadline",
        ["organisation_id", "due_at", "case_id", "status"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.drop_index("ix_case_open", table_name="case")
    op.create_index("ix_case_open", "case", [*OPEN_COLUMNS, "id"], sqlite_where=OPEN, postgresql_where=OPEN)
    # Not batch mode: SQLite would copy "case" and drop the old table, which the foreign keys to it refuse.
    op.execute('ALTER TABLE "case" DROP COLUMN next_due_at')
