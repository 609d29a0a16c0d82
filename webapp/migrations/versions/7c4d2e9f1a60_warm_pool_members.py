"""warm pool members

Revision ID: 7c4d2e9f1a60
Revises: 5a1e7c3d9b20
Create Date: 2026-12-01 04:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '7c4d2e9f1a60'
down_revision = '5a1e7c3d9b20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'pool_members',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('lab_id', sa.String(length=100), nullable=False),
        sa.Column('lab_version', sa.String(length=32), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_pool_members_lab_id', 'pool_members', ['lab_id'])
    op.create_index('ix_pool_members_state', 'pool_members', ['state'])


def downgrade() -> None:
    op.drop_index('ix_pool_members_state', table_name='pool_members')
    op.drop_index('ix_pool_members_lab_id', table_name='pool_members')
    op.drop_table('pool_members')
