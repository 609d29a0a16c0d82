"""user session version

Revision ID: fefaf841ef27
Revises: 2ced2e7a280f
Create Date: 2026-12-01 00:40:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = 'fefaf841ef27'
down_revision = '2ced2e7a280f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
