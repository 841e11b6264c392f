"""agreement cases: every agreement registered without its agreement case gets one (data only)

Registering an agreement now opens its agreement case in the same transaction. Agreements registered
before that had none (``case_id`` null), so they could not be excluded from call-offs, terminated or
rescinded until someone opened one by hand. This migration opens it through the same code path
(``workflow.registers.agreement_cases.ensure_agreement_cases``: the system opens it, the first event
of its audit chain says why, and the opening key keeps it once-only), for every agreement still
``active`` without a case. Nothing to undo on downgrade: the cases are history.

The opening runs the current engine, which writes the case's columns as they are at the newest revision, so
it cannot run at this point of an upgrade once a later revision adds a column to ``case`` (0017 added
``next_due_at``): since then it runs in ``0018_agreement_cases_at_head``, after every schema change, and
this revision does nothing. A database that ran it here already has the cases; running it again opens none.

Revision ID: 0014_agreement_cases
Revises: 0013_event_dates
"""

from __future__ import annotations

revision = "0014_agreement_cases"
down_revision = "0013_event_dates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # moved to 0018_agreement_cases_at_head (see above)


def downgrade() -> None:
    pass
