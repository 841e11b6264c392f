"""agreement cases: every agreement registered without its agreement case gets one (data only)

Registering an agreement now opens its agreement case in the same transaction. Agreements registered
before that had none (``case_id`` null), so they could not be excluded from call-offs, terminated or
rescinded until someone opened one by hand. This migration opens it through the same code path
(``workflow.registers.agreement_cases.ensure_agreement_cases``: the system opens it, the first event
of its audit chain says why, and the opening key keeps it once-only), for every agreement still
``active`` without a case. Nothing to undo on downgrade: the cases are history.

Revision ID: 0014_agreement_cases
Revises: 0013_event_dates
"""

from __future__ import annotations

from alembic import op

revision = "0014_agreement_cases"
down_revision = "0013_event_dates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from workflow.registers.agreement_cases import ensure_agreement_cases

    ensure_agreement_cases(op.get_bind())


def downgrade() -> None:
    pass
