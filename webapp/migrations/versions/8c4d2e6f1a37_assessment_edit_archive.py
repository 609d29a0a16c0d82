"""assessments can be archived; a started invite pins the terms it started under

Revision ID: 8c4d2e6f1a37
Revises: 7c4e2a9f1d35
Create Date: 2026-12-01 03:40:00.000000

Invites already started get their assessment's current labs, time limit and mode as their
terms (nothing could have been edited before this revision).
"""
import sqlalchemy as sa
from alembic import op

revision = '8c4d2e6f1a37'
down_revision = '7c4e2a9f1d35'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terms', sa.JSON(), nullable=True))
    assessments = sa.table('assessments', sa.column('id', sa.Integer), sa.column('labs', sa.JSON),
                           sa.column('time_limit', sa.Integer), sa.column('mode', sa.String))
    invites = sa.table('invites', sa.column('id', sa.Integer), sa.column('assessment_id', sa.Integer),
                       sa.column('used_at', sa.DateTime(timezone=True)), sa.column('terms', sa.JSON))
    conn = op.get_bind()
    rows = conn.execute(sa.select(invites.c.id, assessments.c.labs, assessments.c.time_limit, assessments.c.mode)
                        .join(assessments, assessments.c.id == invites.c.assessment_id)
                        .where(invites.c.used_at.is_not(None))).all()
    for invite_id, labs, time_limit, mode in rows:
        conn.execute(invites.update().where(invites.c.id == invite_id).values(
            terms={"labs": labs, "time_limit": time_limit, "mode": mode}))


def downgrade() -> None:
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.drop_column('terms')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
