"""retention (gallring): the retention schedule, the purge log, and audit events whose hash covers a digest of the reason

Revision ID: 0011_retention
Revises: 0008_web_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.schema.types import UTCDateTime

revision = "0011_retention"
down_revision = "0010_audit_anchor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Events written before this revision keep their hash over the reason text (text_salt NULL).
    op.add_column("case_event", sa.Column("text_salt", sa.String(length=32), nullable=True))
    op.add_column("case_event", sa.Column("redacted", sa.JSON(none_as_null=True), nullable=True))
    op.create_table(
        "retention_schedule",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("registry_number", sa.String(length=40), nullable=False),
        sa.Column("adopted_on", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.UniqueConstraint("organisation_id", "version"),
    )
    op.create_index("ix_retention_schedule_organisation_id", "retention_schedule", ["organisation_id"])
    op.create_table(
        "retention_rule",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("schedule_id", sa.Integer(), sa.ForeignKey("retention_schedule.id"), nullable=False),
        sa.Column("record_kind", sa.String(length=48), nullable=False),
        sa.Column("anchor", sa.String(length=32), nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("legal_basis", sa.String(length=500), nullable=False),
        sa.UniqueConstraint("schedule_id", "record_kind"),
    )
    op.create_index("ix_retention_rule_schedule_id", "retention_rule", ["schedule_id"])
    op.create_table(
        "retention_purge",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("schedule_id", sa.Integer(), sa.ForeignKey("retention_schedule.id"), nullable=False),
        sa.Column("schedule_version", sa.String(length=40), nullable=False),
        sa.Column("rule_id", sa.Integer(), sa.ForeignKey("retention_rule.id"), nullable=False),
        sa.Column("record_kind", sa.String(length=48), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("anchored_before", sa.Date(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("purged_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_retention_purge_organisation_id", "retention_purge", ["organisation_id"])


def downgrade() -> None:
    op.drop_index("ix_retention_purge_organisation_id", table_name="retention_purge")
    op.drop_table("retention_purge")
    op.drop_index("ix_retention_rule_schedule_id", table_name="retention_rule")
    op.drop_table("retention_rule")
    op.drop_index("ix_retention_schedule_organisation_id", table_name="retention_schedule")
    op.drop_table("retention_schedule")
    conn = op.get_bind()
    for column in ("redacted", "text_salt"):
        if conn.dialect.name == "sqlite":  # natively (3.35+): batch mode would rebuild a table decisions refer to
            conn.execute(sa.text(f"ALTER TABLE case_event DROP COLUMN {column}"))
        else:
            op.drop_column("case_event", column)
