"""each vote says what its AGM item decides: the directors, the report, or something else

- vote.item_kind ('directors', 'report', 'other'), so that the votes page can flag a vote
  *for* the directors or the report of a company under escalation. A vote an escalation
  proposed gets the kind of the ladder step its decision took (voting against the directors,
  against the annual report); every other existing vote is 'other': nothing recorded more.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 07:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

KINDS = ('directors', 'report', 'other')
_STEP_KIND = ("(SELECT s.kind FROM decision d JOIN ladder_step s ON s.id = d.ladder_step_id"
              " WHERE d.id = vote.decision_id)")


def upgrade():
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item_kind', sa.String(length=9), nullable=False,
                                      server_default='other'))
    op.execute("UPDATE vote SET item_kind = CASE " + _STEP_KIND +
               " WHEN 'vote_against_directors' THEN 'directors'"
               " WHEN 'vote_against_annual_report' THEN 'report' ELSE 'other' END"
               " WHERE decision_id IS NOT NULL")
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.alter_column('item_kind', server_default=None, existing_type=sa.String(length=9),
                              existing_nullable=False)
        batch_op.create_check_constraint(
            'vote_item_kind', "item_kind IN ('directors', 'report', 'other')")


def downgrade():
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_vote_vote_item_kind'), type_='check')
        batch_op.drop_column('item_kind')
