"""saved work: a practice session's changes kept to Resume later

Revision ID: 3f9b6c1d2e84
Revises: 8c4d2e6f1a37
Create Date: 2026-12-01 04:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '3f9b6c1d2e84'
down_revision = '8c4d2e6f1a37'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'saved_work',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('lab_id', sa.String(length=100), nullable=False),
        sa.Column('lab_version', sa.String(length=32), nullable=False),
        sa.Column('session_id', sa.String(length=32), nullable=False),
        sa.Column('params_seed', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('hosts', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('session_id'),
    )
    op.create_index('ix_saved_work_user_id', 'saved_work', ['user_id'])
    with op.batch_alter_table('lab_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restore_from', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('params_seed', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('lab_sessions', schema=None) as batch_op:
        batch_op.drop_column('params_seed')
        batch_op.drop_column('restore_from')
    op.drop_index('ix_saved_work_user_id', table_name='saved_work')
    op.drop_table('saved_work')
