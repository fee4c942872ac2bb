"""letters sent: the channel, and the milestone by which the company's answer is due

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 02:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_channel', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('response_milestone_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_letter_response_milestone_id_milestone'),
                                    'milestone', ['response_milestone_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_letter_response_milestone_id_milestone'),
                                 type_='foreignkey')
        batch_op.drop_column('response_milestone_id')
        batch_op.drop_column('sent_channel')
