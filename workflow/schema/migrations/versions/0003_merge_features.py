"""Merge the API, reports and scheduler schema branches into one head.

Revision ID: 0003_merge
Revises: 0002_api, 0002_reports, 0002_scheduler
"""

from __future__ import annotations

revision = "0003_merge"
down_revision = ("0002_api", "0002_reports", "0002_scheduler")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the three branches touch separate tables."""


def downgrade() -> None:
    """Nothing to change."""
