"""start queue: sessions waiting in line for capacity

Revision ID: 8d5e3f0a2b71
Revises: 7c4d2e9f1a60
Create Date: 2026-12-01 04:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '8d5e3f0a2b71'
down_revision = '7c4d2e9f1a60'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lab_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_lab_sessions_queued_at', ['queued_at'])


def downgrade() -> None:
    with op.batch_alter_table('lab_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_lab_sessions_queued_at')
        batch_op.drop_column('queued_at')
