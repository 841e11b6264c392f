"""agreement cases at head: every live agreement without its agreement case gets one (data only)

What ``0014_agreement_cases`` did, run after the schema changes that came later: it opens the cases through
the current engine (``workflow.registers.agreement_cases.ensure_agreement_cases``), which writes every column
the newest ``case`` table has. Idempotent: where 0014 already opened them, or the scheduler's housekeeping
has, it opens none. A later revision that adds a column to a table the engine writes must do as 0017 did: make
this one do nothing and run the opening again after itself.

Revision ID: 0018_agreement_cases_at_head
Revises: 0017_case_next_due
"""

from __future__ import annotations

from alembic import op

revision = "0018_agreement_cases_at_head"
down_revision = "0017_case_next_due"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from workflow.registers.agreement_cases import ensure_agreement_cases

    ensure_agreement_cases(op.get_bind())


def downgrade() -> None:
    pass  # the cases are history
