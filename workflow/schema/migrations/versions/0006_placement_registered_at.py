"""placement registration time: a reconsideration that fell due while the placement was registered and was missed

Revision ID: 0006_placement_registered_at
Revises: 0005_idempotency_expiry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.schema.types import UTCDateTime

revision = "0006_placement_registered_at"
down_revision = "0005_idempotency_expiry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("placement") as batch_op:
        batch_op.add_column(sa.Column("registered_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("placement") as batch_op:
        batch_op.drop_column("registered_at")
