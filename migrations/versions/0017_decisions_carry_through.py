"""decisions record what was tried before; divestment reviews record how to come back

- decision.skip_reason: why the leads went past the next step of the ladder, or to the
  divestment review (required then; empty otherwise).
- decision.earlier_steps: the escalation steps taken on the engagement before the decision,
  as they stood when it was made (a JSON list).
- divestment_review.re_entry_criteria, look_again_on: required when a review concludes to
  divest or reduce exposure; follows_review_id: the review the sweep opened on that date.
- escalation_task.divestment_review_id: the tasks a conclusion gives each holder; a decision
  may give one task per organisation (reduce exposure: one per holder).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 04:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('decision') as batch_op:
        batch_op.add_column(sa.Column('skip_reason', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('earlier_steps', sa.JSON(), server_default=sa.text("'[]'"),
                                      nullable=False))
    with op.batch_alter_table('divestment_review') as batch_op:
        batch_op.add_column(sa.Column('re_entry_criteria', sa.Text(), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('look_again_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('follows_review_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_divestment_review_follows_review_id_divestment_review'),
            'divestment_review', ['follows_review_id'], ['id'], ondelete='SET NULL')
        batch_op.create_unique_constraint(
            batch_op.f('uq_divestment_review_follows_review_id'), ['follows_review_id'])
        batch_op.create_index('ix_divestment_review_look_again_on', ['look_again_on'])
    with op.batch_alter_table('escalation_task') as batch_op:
        batch_op.add_column(sa.Column('divestment_review_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_escalation_task_divestment_review_id_divestment_review'),
            'divestment_review', ['divestment_review_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint('uq_escalation_task_decision_id_kind', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_escalation_task_decision_id_kind_owner_organisation_id'),
            ['decision_id', 'kind', 'owner_organisation_id'])
        batch_op.create_unique_constraint(
            batch_op.f('uq_escalation_task_divestment_review_id_owner_organisation_id'),
            ['divestment_review_id', 'owner_organisation_id'])


def downgrade():
    # A decision's tasks beyond the first of each kind leave with the wider key.
    op.execute('DELETE FROM escalation_task WHERE divestment_review_id IS NOT NULL')
    op.execute('DELETE FROM escalation_task WHERE id NOT IN (SELECT min(id) FROM escalation_task '
               'GROUP BY decision_id, kind) AND decision_id IS NOT NULL')
    with op.batch_alter_table('escalation_task') as batch_op:
        batch_op.drop_constraint('uq_escalation_task_divestment_review_id_owner_organisation_id',
                                 type_='unique')
        batch_op.drop_constraint('uq_escalation_task_decision_id_kind_owner_organisation_id',
                                 type_='unique')
        batch_op.create_unique_constraint('uq_escalation_task_decision_id_kind',
                                          ['decision_id', 'kind'])
        batch_op.drop_constraint('fk_escalation_task_divestment_review_id_divestment_review',
                                 type_='foreignkey')
        batch_op.drop_column('divestment_review_id')
    with op.batch_alter_table('divestment_review') as batch_op:
        batch_op.drop_index('ix_divestment_review_look_again_on')
        batch_op.drop_constraint('uq_divestment_review_follows_review_id', type_='unique')
        batch_op.drop_constraint('fk_divestment_review_follows_review_id_divestment_review',
                                 type_='foreignkey')
        batch_op.drop_column('follows_review_id')
        batch_op.drop_column('look_again_on')
        batch_op.drop_column('re_entry_criteria')
    with op.batch_alter_table('decision') as batch_op:
        batch_op.drop_column('earlier_steps')
        batch_op.drop_column('skip_reason')
