"""participants beyond initiatives, membership over time, sign-on attestations kept

- engagement_participant.role: also 'observer' and 'client' (an outsourced engagement's
  outsourcing client).
- engagement_invitation: a lead's invitation to another organisation; seen by the inviting
  and the invited organisation only (row-level security on PostgreSQL).
- initiative_member: status 'removed'; left_at and left_reason.
- sign_on_attestation: which version of the antitrust guardrail each sign-on accepted, by
  whom, when, with the conflict-of-interest declaration.
- notification.kind: 'engagement_invitation'.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 04:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

OLD_ROLES = ('lead', 'co_lead', 'supporter')
NEW_ROLES = OLD_ROLES + ('observer', 'client')
OLD_STATUSES = ('pending', 'admitted', 'declined', 'left')
NEW_STATUSES = OLD_STATUSES + ('removed',)
OLD_KINDS = ('review_opened', 'reminder', 'letter_to_sign', 'vote_requested', 'task_assigned',
             'divestment_review', 'decision_failed', 'initiative_application',
             'membership_decided', 'company_engagement', 'company_vote')
NEW_KINDS = OLD_KINDS + ('engagement_invitation',)


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values))


def _change(table, column, name, old, new):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column(column, existing_type=_enum(old, name), type_=_enum(new, name),
                              existing_nullable=False)


INVITATION_POLICY = ("engage_can_see(organisation_id) OR "
                     "engage_can_see(invited_by_organisation_id)")


def upgrade():
    _change('engagement_participant', 'role', 'participant_role', OLD_ROLES, NEW_ROLES)
    _change('initiative_member', 'status', 'member_status', OLD_STATUSES, NEW_STATUSES)
    _change('notification', 'kind', 'notification_kind', OLD_KINDS, NEW_KINDS)
    with op.batch_alter_table('initiative_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('left_reason', sa.Text(), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('initiative_member', schema=None) as batch_op:
        batch_op.alter_column('left_reason', server_default=None)

    op.create_table('engagement_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_organisation_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('role', _enum(NEW_ROLES, 'participant_role'), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('engagement_title', sa.String(length=200), nullable=False),
    sa.Column('company_name', sa.String(length=200), nullable=False),
    sa.Column('status', _enum(('pending', 'accepted', 'declined', 'withdrawn'),
                              'invitation_status'), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_engagement_invitation_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_engagement_invitation_engagement_id_engagement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_engagement_invitation_invited_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invited_by_organisation_id'], ['organisation.id'], name=op.f('fk_engagement_invitation_invited_by_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_engagement_invitation_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_invitation'))
    )
    with op.batch_alter_table('engagement_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagement_invitation_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_invitation_invited_by_organisation_id'), ['invited_by_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_invitation_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('uq_engagement_invitation_pending', ['engagement_id', 'organisation_id'], unique=True,
                              sqlite_where=sa.text("status = 'pending'"),
                              postgresql_where=sa.text("status = 'pending'"))

    op.create_table('sign_on_attestation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('initiative_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.SmallInteger(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=False),
    sa.Column('conflict_of_interest', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['user_account.id'], name=op.f('fk_sign_on_attestation_accepted_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative.id'], name=op.f('fk_sign_on_attestation_initiative_id_initiative'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['initiative_member.id'], name=op.f('fk_sign_on_attestation_member_id_initiative_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_sign_on_attestation_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_on_attestation'))
    )
    with op.batch_alter_table('sign_on_attestation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_on_attestation_initiative_id'), ['initiative_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_on_attestation_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_on_attestation_organisation_id'), ['organisation_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE engagement_invitation ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE engagement_invitation FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY engagement_invitation_tenant ON engagement_invitation "
                   f"USING ({INVITATION_POLICY}) WITH CHECK ({INVITATION_POLICY})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS engagement_invitation_tenant ON engagement_invitation")
    op.drop_table('sign_on_attestation')
    op.drop_table('engagement_invitation')
    # Rows in the new values have no place in the old ones.
    op.execute("DELETE FROM notification WHERE kind = 'engagement_invitation'")
    op.execute("DELETE FROM engagement_participant WHERE role IN ('observer', 'client')")
    op.execute("UPDATE initiative_member SET status = 'left' WHERE status = 'removed'")
    with op.batch_alter_table('initiative_member', schema=None) as batch_op:
        batch_op.drop_column('left_reason')
        batch_op.drop_column('left_at')
    _change('notification', 'kind', 'notification_kind', NEW_KINDS, OLD_KINDS)
    _change('initiative_member', 'status', 'member_status', NEW_STATUSES, OLD_STATUSES)
    _change('engagement_participant', 'role', 'participant_role', NEW_ROLES, OLD_ROLES)
