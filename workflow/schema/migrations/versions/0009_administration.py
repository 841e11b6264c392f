"""administration: organisations that can be deactivated, where a user came from, the role mapping, the admin audit

Revision ID: 0009_administration
Revises: 0008_web_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.schema.types import UTCDateTime

revision = "0009_administration"
down_revision = "0008_web_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN on both databases: a batch rebuild of these tables on SQLite would drop the
    # tables every other table references (after 0007 the foreign keys are checked only at COMMIT).
    op.add_column("organisation", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("app_user", sa.Column("source", sa.String(length=16), nullable=False, server_default="manual"))
    op.create_table(
        "role_mapping",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("group_name"),
    )
    op.create_index("ix_role_mapping_organisation_id", "role_mapping", ["organisation_id"])
    op.create_table(
        "admin_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_admin_event_org_at", "admin_event", ["organisation_id", "at"])
    op.create_index("ix_admin_event_entity", "admin_event", ["entity", "entity_id"])
    op.create_index("ix_access_log_org_at", "access_log", ["organisation_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_access_log_org_at", table_name="access_log")
    op.drop_index("ix_admin_event_entity", table_name="admin_event")
    op.drop_index("ix_admin_event_org_at", table_name="admin_event")
    op.drop_table("admin_event")
    op.drop_index("ix_role_mapping_organisation_id", table_name="role_mapping")
    op.drop_table("role_mapping")
    op.drop_column("app_user", "source")  # SQLite 3.35+ drops a column in place
    op.drop_column("organisation", "active")
