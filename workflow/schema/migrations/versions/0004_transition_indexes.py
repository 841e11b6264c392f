"""transition indexes: the plan-year report index covers follow-ups only; no deadline index by organisation

Every transition rewrites the index entries whose keys it changes. The annual report's covering
index on ``case`` held every case although only follow-ups have a plan year, so each transition
of any case type moved an entry in it; it is now partial (``plan_year IS NOT NULL``), which every
query filtering or comparing the plan year can use. No query looks deadlines up by organisation
alone (they go through the case), so that index only cost each new deadline a page.

Revision ID: 0004_transition_indexes
Revises: 0003_merge
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_transition_indexes"
down_revision = "0003_merge"
branch_labels = None
depends_on = None

_PLAN_YEAR_COLUMNS = [
    "organisation_id",
    "case_type",
    "plan_year",
    "kind",
    "contract_area_id",
    "in_house",
    "status",
    "outcome",
    "reason_code",
]


def upgrade() -> None:
    op.drop_index("ix_case_org_type_plan_year", table_name="case")
    op.create_index(
        "ix_case_org_type_plan_year",
        "case",
        _PLAN_YEAR_COLUMNS,
        sqlite_where=sa.text("plan_year IS NOT NULL"),
        postgresql_where=sa.text("plan_year IS NOT NULL"),
    )
    op.drop_index("ix_deadline_organisation_id", table_name="deadline")


def downgrade() -> None:
    op.create_index("ix_deadline_organisation_id", "deadline", ["organisation_id"])
    op.drop_index("ix_case_org_type_plan_year", table_name="case")
    op.create_index("ix_case_org_type_plan_year", "case", _PLAN_YEAR_COLUMNS)
