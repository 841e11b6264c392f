"""idempotency key expiry: an index on when each key was stored, for the scheduler's purge

Revision ID: 0005_idempotency_expiry
Revises: 0004_transition_indexes
"""

from __future__ import annotations

from alembic import op

revision = "0005_idempotency_expiry"
down_revision = "0004_transition_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_idempotency_key_created_at", "idempotency_key", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_key_created_at", table_name="idempotency_key")
