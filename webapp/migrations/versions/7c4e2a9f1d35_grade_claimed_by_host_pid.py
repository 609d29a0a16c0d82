"""grade claimed by host:pid, with its attempts (issue 18: a grade whose worker died is found)

Revision ID: 7c4e2a9f1d35
Revises: 8d5e3f0a2b71
Create Date: 2026-12-01 03:40:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '7c4e2a9f1d35'
down_revision = '8d5e3f0a2b71'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.drop_column('attempts')
        batch_op.drop_column('claimed_by')
