"""reports: invoice samples, individual follow-ups, follow-up owners, report indexes

Revision ID: 0002_reports
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0002_reports"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoice_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("round_label", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("sampled_on", sa.Date(), nullable=False),
        sa.Column("selection", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("invoice_ref", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("error_type", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=True),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreement.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["provider_id"], ["provider.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "round_label", "invoice_ref"),
    )
    op.create_index("ix_invoice_sample_org_date", "invoice_sample", ["organisation_id", "sampled_on"])
    op.create_table(
        "individual_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["placement_id"], ["placement.id"]),
        sa.ForeignKeyConstraint(["provider_id"], ["provider.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_individual_follow_up_org_date", "individual_follow_up", ["organisation_id", "performed_on"])
    op.create_index(op.f("ix_individual_follow_up_placement_id"), "individual_follow_up", ["placement_id"])
    op.create_index(op.f("ix_individual_follow_up_provider_id"), "individual_follow_up", ["provider_id"])
    op.create_table(
        "individual_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("rating", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.ForeignKeyConstraint(["follow_up_id"], ["individual_follow_up.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("follow_up_id", "question"),
    )
    op.create_index(op.f("ix_individual_answer_follow_up_id"), "individual_answer", ["follow_up_id"])
    op.create_table(
        "follow_up_owner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["provider_id"], ["provider.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "provider_id"),
    )
    op.create_index(
        "ix_case_org_type_plan_year",
        "case",
        ["organisation_id", "case_type", "plan_year", "kind", "contract_area_id", "in_house", "status", "outcome", "reason_code"],
    )
    op.create_index("ix_decision_org_kind_time", "decision", ["organisation_id", "decision_kind", "decided_at"])


def downgrade() -> None:
    op.drop_index("ix_decision_org_kind_time", table_name="decision")
    op.drop_index("ix_case_org_type_plan_year", table_name="case")
    op.drop_table("follow_up_owner")
    op.drop_index(op.f("ix_individual_answer_follow_up_id"), table_name="individual_answer")
    op.drop_table("individual_answer")
    op.drop_index(op.f("ix_individual_follow_up_provider_id"), table_name="individual_follow_up")
    op.drop_index(op.f("ix_individual_follow_up_placement_id"), table_name="individual_follow_up")
    op.drop_index("ix_individual_follow_up_org_date", table_name="individual_follow_up")
    op.drop_table("individual_follow_up")
    op.drop_index("ix_invoice_sample_org_date", table_name="invoice_sample")
    op.drop_table("invoice_sample")
