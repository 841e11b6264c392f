"""import: the natural keys of imported objects, so an import can be rerun without duplicates

Revision ID: 0015_import
Revises: 0014_agreement_cases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.schema.types import UTCDateTime

revision = "0015_import"
down_revision = "0014_agreement_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_ref",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("natural_key", sa.String(length=300), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("organisation_id", "kind", "natural_key"),
    )


def downgrade() -> None:
    op.drop_table("import_ref")
