"""company follow: a person follows a company; notification kinds for sign-on and followers

A follow belongs to one person of one organisation, so on PostgreSQL it gets the same
row-level security as the other private tables (engage_can_see from 0001). The
notification kind gains the sign-on and follower messages; the kind is a VARCHAR with a
CHECK constraint (portable enum), so both are rebuilt.

Revision ID: 0004
Revises: 0003

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OLD_KINDS = ('review_opened', 'reminder', 'letter_to_sign', 'vote_requested',
             'task_assigned', 'divestment_review', 'decision_failed')
NEW_KINDS = OLD_KINDS + ('initiative_application', 'membership_decided',
                         'company_engagement', 'company_vote')


def _kind(values):
    return sa.Enum(*values, name='notification_kind', native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values))


def _change_kinds(old, new):
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=_kind(old), type_=_kind(new),
                              existing_nullable=False)


def upgrade():
    op.create_table('company_follow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_company_follow_company_id_company'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_company_follow_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_company_follow_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_follow')),
    sa.UniqueConstraint('organisation_id', 'user_id', 'company_id', name=op.f('uq_company_follow_organisation_id_user_id_company_id'))
    )
    with op.batch_alter_table('company_follow', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_follow_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_follow_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_follow_user_id'), ['user_id'], unique=False)

    _change_kinds(OLD_KINDS, NEW_KINDS)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE company_follow ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE company_follow FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY company_follow_tenant ON company_follow "
            "USING (engage_can_see(organisation_id)) WITH CHECK (engage_can_see(organisation_id))"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS company_follow_tenant ON company_follow")
    op.execute("DELETE FROM notification WHERE kind IN "
               "('initiative_application', 'membership_decided', 'company_engagement', "
               "'company_vote')")
    _change_kinds(NEW_KINDS, OLD_KINDS)
    with op.batch_alter_table('company_follow', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_follow_user_id'))
        batch_op.drop_index(batch_op.f('ix_company_follow_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_company_follow_company_id'))

    op.drop_table('company_follow')
