"""the render generation: one number every write raises, for the cached page fragments

- render_generation (id, value), one row (id 1). engage.common.render_cache reads it before
  drawing a cached fragment and every transaction that writes data a fragment may show adds
  one to it at commit, so a cached fragment is never served after a write.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 10:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'render_generation',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_render_generation')),
    )
    op.bulk_insert(table, [{'id': 1, 'value': 1}])


def downgrade():
    op.drop_table('render_generation')
