"""audit anchor: when each organisation checkpoint's signed copy was written outside the database

Revision ID: 0010_audit_anchor
Revises: 0008_web_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.schema.types import UTCDateTime

revision = "0010_audit_anchor"
down_revision = "0009_administration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_checkpoint") as batch:
        batch.add_column(sa.Column("anchored_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_checkpoint") as batch:
        batch.drop_column("anchored_at")
