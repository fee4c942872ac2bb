"""ladder steps in use are retired, never deleted or changed under a review or decision

- ladder_step.retired_at: set when a step in use leaves its ladder or is changed (a new step
  takes its place); reviews, decisions and engagements keep pointing to the retired step.
- The unique (ladder_id, position) becomes unique among the steps in force only.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 02:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ladder_step') as batch_op:
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint('uq_ladder_step_ladder_id_position', type_='unique')
        batch_op.create_index('uq_ladder_step_active_position', ['ladder_id', 'position'],
                              unique=True, sqlite_where=sa.text('retired_at IS NULL'),
                              postgresql_where=sa.text('retired_at IS NULL'))


def downgrade():
    # Retired steps leave with the column (reviews and decisions then point to no step).
    op.execute('DELETE FROM ladder_step WHERE retired_at IS NOT NULL')
    with op.batch_alter_table('ladder_step') as batch_op:
        batch_op.drop_index('uq_ladder_step_active_position')
        batch_op.create_unique_constraint('uq_ladder_step_ladder_id_position', ['ladder_id', 'position'])
        batch_op.drop_column('retired_at')
