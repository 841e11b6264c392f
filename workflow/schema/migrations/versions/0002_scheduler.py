"""scheduler: deadline changes, scheduled openings, leader lease, outbox delivery columns

Revision ID: 0002_scheduler
Revises: 0001
Create Date: 2026-11-23 13:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import workflow.schema.types


revision = '0002_scheduler'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deadline_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('new_deadline_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('until', workflow.schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('old_due_at', workflow.schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('new_due_at', workflow.schema.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('at', workflow.schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['changed_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadline.id'], ),
    sa.ForeignKeyConstraint(['new_deadline_id'], ['deadline.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deadline_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_change_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_change_deadline_id'), ['deadline_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_change_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('scheduled_opening',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('control', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', workflow.schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('control', 'subject_kind', 'subject_id', 'period')
    )
    with op.batch_alter_table('scheduled_opening', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduled_opening_organisation_id'), ['organisation_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        # Every sweep and delivery rewrites due rows: vacuum them long before the default 20 % of the table
        # is dead, or the claim's index scan wades through dead entries (5 ms instead of 1 ms at 1M rows).
        op.execute("ALTER TABLE deadline SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02)")
        op.execute("ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02)")
    op.create_table('scheduler_lease',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('expires_at', workflow.schema.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_suspended', ['suspended_until'], unique=False, sqlite_where=sa.text("status = 'suspended'"), postgresql_where=sa.text("status = 'suspended'"))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', workflow.schema.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('incident', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.create_index('ix_outbox_claimed', ['claimed_at'], unique=False, sqlite_where=sa.text("status IN ('sending', 'committing')"), postgresql_where=sa.text("status IN ('sending', 'committing')"))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_claimed', sqlite_where=sa.text("status IN ('sending', 'committing')"), postgresql_where=sa.text("status IN ('sending', 'committing')"))
        batch_op.drop_column('incident')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('message_id')
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_suspended', sqlite_where=sa.text("status = 'suspended'"), postgresql_where=sa.text("status = 'suspended'"))
    op.drop_table('scheduler_lease')
    with op.batch_alter_table('scheduled_opening', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduled_opening_organisation_id'))
    op.drop_table('scheduled_opening')
    with op.batch_alter_table('deadline_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_change_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_deadline_change_deadline_id'))
        batch_op.drop_index(batch_op.f('ix_deadline_change_case_id'))
    op.drop_table('deadline_change')
