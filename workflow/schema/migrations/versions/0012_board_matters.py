"""board matters: versioned board-matter templates, generated matters, meetings, decisions, reports presented

Revision ID: 0012_board_matters
Revises: 0011_retention
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.schema.types import UTCDateTime

revision = "0012_board_matters"
down_revision = "0011_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "board_template",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("matter_type", sa.String(length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("organisation_id", "matter_type", "version"),
    )
    op.create_table(
        "board_matter",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("matter_type", sa.String(length=24), nullable=False),
        sa.Column("registry_number", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=True),
        sa.Column("template_id", sa.Integer(), sa.ForeignKey("board_template.id"), nullable=True),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("organisation_id", "registry_number", name="uq_board_matter_org_registry_number"),
    )
    op.create_index("ix_board_matter_org_created", "board_matter", ["organisation_id", "created_at"])
    op.create_table(
        "board_meeting",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_board_meeting_org_held", "board_meeting", ["organisation_id", "held_on"])
    op.create_table(
        "board_decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("board_meeting.id"), nullable=False),
        sa.Column("matter_id", sa.Integer(), sa.ForeignKey("board_matter.id"), nullable=False),
        sa.Column("paragraph", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("registry_number", sa.String(length=40), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("meeting_id", "paragraph", name="uq_board_decision_meeting_paragraph"),
        sa.UniqueConstraint("meeting_id", "matter_id", name="uq_board_decision_meeting_matter"),
    )
    op.create_index("ix_board_decision_meeting_id", "board_decision", ["meeting_id"])
    op.create_index("ix_board_decision_matter_id", "board_decision", ["matter_id"])
    op.create_table(
        "report_presentation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("board_meeting.id"), nullable=False),
        sa.Column("report", sa.String(length=32), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("paragraph", sa.String(length=16), nullable=False),
        sa.Column("matter_id", sa.Integer(), sa.ForeignKey("board_matter.id"), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("meeting_id", "paragraph", name="uq_report_presentation_meeting_paragraph"),
    )
    op.create_index("ix_report_presentation_meeting_id", "report_presentation", ["meeting_id"])


def downgrade() -> None:
    op.drop_index("ix_report_presentation_meeting_id", table_name="report_presentation")
    op.drop_table("report_presentation")
    op.drop_index("ix_board_decision_matter_id", table_name="board_decision")
    op.drop_index("ix_board_decision_meeting_id", table_name="board_decision")
    op.drop_table("board_decision")
    op.drop_index("ix_board_meeting_org_held", table_name="board_meeting")
    op.drop_table("board_meeting")
    op.drop_index("ix_board_matter_org_created", table_name="board_matter")
    op.drop_table("board_matter")
    op.drop_table("board_template")
