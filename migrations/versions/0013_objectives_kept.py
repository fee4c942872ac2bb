"""objectives kept: a status (open, met, abandoned with a reason) and the study's kinds

An engagement had one objective, set when it was started; each existing objective becomes
the first (open) row of its engagement's objectives. The kind gains the study's objectives;
it is a VARCHAR with a CHECK constraint (portable enum), so both are rebuilt.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 04:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

OLD_KINDS = ('end_impact', 'provide_remedy', 'prevent_recurrence', 'transparency', 'other')
NEW_KINDS = ('end_impact', 'provide_remedy', 'prevent_recurrence', 'transparency',
             'due_diligence', 'measure_outcomes', 'stakeholder_voice', 'other')
STATUSES = ('open', 'met', 'abandoned')


def _kind(values):
    return sa.Enum(*values, name='objective_kind', native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values))


def upgrade():
    with op.batch_alter_table('objective', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=_kind(OLD_KINDS), type_=_kind(NEW_KINDS),
                              existing_nullable=False)
        # Every existing objective is open: nothing recorded it met or abandoned.
        batch_op.add_column(sa.Column('status', sa.String(length=9), nullable=False,
                                      server_default='open'))
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('objective', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None, existing_type=sa.String(length=9),
                              existing_nullable=False)
        batch_op.alter_column('reason', server_default=None, existing_type=sa.Text(),
                              existing_nullable=False)
        batch_op.create_check_constraint(
            'objective_status', "status IN ('open', 'met', 'abandoned')")
        batch_op.create_check_constraint('closed_has_date',
                                         "(status = 'open') = (closed_on IS NULL)")
        batch_op.create_check_constraint('abandoned_has_reason',
                                         "status <> 'abandoned' OR reason <> ''")


def downgrade():
    op.execute("UPDATE objective SET kind = 'other' WHERE kind IN "
               "('due_diligence', 'measure_outcomes', 'stakeholder_voice')")
    with op.batch_alter_table('objective', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_objective_abandoned_has_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_objective_closed_has_date'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_objective_objective_status'), type_='check')
        batch_op.drop_column('reason')
        batch_op.drop_column('closed_on')
        batch_op.drop_column('status')
        batch_op.alter_column('kind', existing_type=_kind(NEW_KINDS), type_=_kind(OLD_KINDS),
                              existing_nullable=False)
