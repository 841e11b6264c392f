"""open_case_tally: open cases counted per organisation, kept through triggers on "case" (issue 12)

The overview shows each case type's open and overdue cases of the board. Counting them when asked read every open
case of the board (180,000 in the page bench), so the overview's time grew with the board. ``open_case_tally``
keeps the count instead, per organisation, case type, placement or not (the secrecy rule), overdue state or not,
and the week (Monday, UTC) of the case's next deadline, so that "overdue" (in the overdue state, or a deadline
passed) is the weeks before this one plus a range scan of this week's cases.

Triggers on "case" append each change of a case's key to ``open_case_tally_change`` (-1 for the old key, +1 for
the new), inside the writing statement's transaction: every writer (the engine's paths on both databases, the
opening of cases, imports, retention) is counted without knowing of it. Appending takes no lock that another writer
waits for: counters updated in place would make a board's concurrent transitions queue on one row, and two
transactions that each move several cases (two schedulers' sweeps) deadlock on two rows taken in opposite orders.
The schedulers fold the changes into the tally (``workflow.cases.tally.fold``); a reader adds the changes not yet
folded. The upgrade counts the cases already there.

Revision ID: 0019_open_case_tally
Revises: 0018_agreement_cases_at_head
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_open_case_tally"
down_revision = "0018_agreement_cases_at_head"
branch_labels = None
depends_on = None

KEY = "organisation_id, case_type, with_placement, overdue_state, due_week"
NO_DEADLINE = "9999-12-31"
#: The columns the key is made of: an update of any other column of "case" changes no count.
WATCHED = ("status", "closed_at", "next_due_at", "placement_id", "organisation_id", "case_type")
CASE_TABLE = '"case"'
TRIGGERS = ("open_case_tally_insert", "open_case_tally_update", "open_case_tally_delete")

WEEK = {
    "postgresql": "coalesce(date_trunc('week', {r}.next_due_at AT TIME ZONE 'UTC')::date, DATE '" + NO_DEADLINE + "')",
    "sqlite": "coalesce(date(substr({r}.next_due_at, 1, 10), 'weekday 0', '-6 days'), '" + NO_DEADLINE + "')",
}


def _change(dialect: str, r: str, n: int) -> str:
    """The key of row ``r`` (OLD or NEW) with count ``n``, if that row is an open case."""
    return (
        f"SELECT {r}.organisation_id, {r}.case_type, {r}.placement_id IS NOT NULL, {r}.status = 'overdue', "
        f"{WEEK[dialect].format(r=r)}, {n} WHERE {r}.closed_at IS NULL"
    )


APPEND = f"INSERT INTO open_case_tally_change ({KEY}, n) "


def _key_changed(dialect: str) -> str:
    """Whether an update moves the case to another key: compared on the key itself, not on the columns, so that the
    common transition (another state, not overdue, its next deadline in the same week) appends nothing."""
    week = WEEK[dialect]
    parts = [
        "OLD.organisation_id <> NEW.organisation_id",
        "OLD.case_type <> NEW.case_type",
        "(OLD.closed_at IS NULL) <> (NEW.closed_at IS NULL)",
        "(OLD.placement_id IS NULL) <> (NEW.placement_id IS NULL)",
        "(OLD.status = 'overdue') <> (NEW.status = 'overdue')",
        f"{week.format(r='OLD')} <> {week.format(r='NEW')}",
    ]
    return f"(OLD.closed_at IS NULL OR NEW.closed_at IS NULL) AND ({' OR '.join(parts)})"


POSTGRES = (
    # One statement for both keys (a plpgsql statement costs its planning and executor start each time).
    f"""CREATE FUNCTION open_case_tally_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    {APPEND}{_change("postgresql", "OLD", -1)} UNION ALL {_change("postgresql", "NEW", 1)};
  ELSIF TG_OP = 'INSERT' THEN
    {APPEND}{_change("postgresql", "NEW", 1)};
  ELSE
    {APPEND}{_change("postgresql", "OLD", -1)};
  END IF;
  RETURN NULL;
END $$""",
    'CREATE TRIGGER open_case_tally_insert AFTER INSERT ON "case" FOR EACH ROW WHEN (NEW.closed_at IS NULL) '
    "EXECUTE FUNCTION open_case_tally_append()",
    f'CREATE TRIGGER open_case_tally_update AFTER UPDATE OF {", ".join(WATCHED)} ON "case" FOR EACH ROW '
    f'WHEN ({_key_changed("postgresql")}) EXECUTE FUNCTION open_case_tally_append()',
    'CREATE TRIGGER open_case_tally_delete AFTER DELETE ON "case" FOR EACH ROW WHEN (OLD.closed_at IS NULL) '
    "EXECUTE FUNCTION open_case_tally_append()",
)
SQLITE = (
    f'CREATE TRIGGER open_case_tally_insert AFTER INSERT ON "case" WHEN NEW.closed_at IS NULL '
    f'BEGIN {APPEND}{_change("sqlite", "NEW", 1)}; END',
    f'CREATE TRIGGER open_case_tally_update AFTER UPDATE OF {", ".join(WATCHED)} ON "case" '
    f'WHEN {_key_changed("sqlite")} BEGIN {APPEND}{_change("sqlite", "OLD", -1)}; {APPEND}{_change("sqlite", "NEW", 1)}; END',
    f'CREATE TRIGGER open_case_tally_delete AFTER DELETE ON "case" WHEN OLD.closed_at IS NULL '
    f'BEGIN {APPEND}{_change("sqlite", "OLD", -1)}; END',
)


def _key_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("case_type", sa.String(length=32), nullable=False),
        sa.Column("with_placement", sa.Boolean(), nullable=False),
        sa.Column("overdue_state", sa.Boolean(), nullable=False),
        sa.Column("due_week", sa.Date(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "open_case_tally",
        *_key_columns(),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", "case_type", "with_placement", "overdue_state", "due_week"),
    )
    op.create_table(
        "open_case_tally_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        *_key_columns(),
        sa.Column("n", sa.SmallInteger(), nullable=False),
    )
    op.create_index("ix_open_case_tally_change_organisation_id", "open_case_tally_change", ["organisation_id"])
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES if dialect == "postgresql" else SQLITE:
        op.execute(statement)
    # Counted after the triggers exist, in the migration's transaction: no case written meanwhile is missed.
    op.execute(
        f"INSERT INTO open_case_tally ({KEY}, n) SELECT organisation_id, case_type, placement_id IS NOT NULL, "
        f"status = 'overdue', {WEEK[dialect].format(r=CASE_TABLE)}, count(*) "
        'FROM "case" WHERE closed_at IS NULL GROUP BY 1, 2, 3, 4, 5'
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    on_case = ' ON "case"' if postgres else ""
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}{on_case}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS open_case_tally_append()")
    op.drop_index("ix_open_case_tally_change_organisation_id", table_name="open_case_tally_change")
    op.drop_table("open_case_tally_change")
    op.drop_table("open_case_tally")
