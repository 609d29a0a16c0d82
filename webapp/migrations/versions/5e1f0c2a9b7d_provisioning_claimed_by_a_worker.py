"""provisioning claimed by a worker

Revision ID: 5e1f0c2a9b7d
Revises: fefaf841ef27
Create Date: 2026-12-01 01:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '5e1f0c2a9b7d'
down_revision = 'fefaf841ef27'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lab_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('lab_sessions', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by')
