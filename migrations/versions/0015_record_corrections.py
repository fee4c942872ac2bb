"""the record corrected with its history; how dialogue was held

- severity_assessment: each re-assessment of the severity to people, with the scores before
  and after, who, when and why (the engagement keeps the current scores);
- milestone.cancelled_on / cancel_reason / cancelled_by_id: a cancelled milestone stays in
  the record, out of the sweep and the progress;
- dialogue_entry.company_level / mode / follow_up (the study's questions of how dialogue is
  held) and edited_at; dialogue_revision keeps each earlier version of a corrected entry,
  seen exactly as the entry (the same row-level security policy on PostgreSQL).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 04:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

LEVELS = ('board', 'chair', 'independent_director', 'management', 'investor_relations', 'other')
MODES = ('in_person', 'virtual')
KINDS = ('meeting', 'call', 'letter', 'email', 'agm_question', 'site_visit',
         'stakeholder_consultation')


def _enum(name, values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values))


def upgrade():
    op.create_table('severity_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('previous_scale', sa.SmallInteger(), nullable=False),
    sa.Column('previous_scope', sa.SmallInteger(), nullable=False),
    sa.Column('previous_irremediability', sa.SmallInteger(), nullable=False),
    sa.Column('scale', sa.SmallInteger(), nullable=False),
    sa.Column('scope', sa.SmallInteger(), nullable=False),
    sa.Column('irremediability', sa.SmallInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('assessed_at', sa.DateTime(), nullable=False),
    sa.Column('assessed_by_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.CheckConstraint(
        'scale BETWEEN 1 AND 5 AND scope BETWEEN 1 AND 5 AND irremediability BETWEEN 1 AND 5'
        ' AND previous_scale BETWEEN 1 AND 5 AND previous_scope BETWEEN 1 AND 5'
        ' AND previous_irremediability BETWEEN 1 AND 5',
        name=op.f('ck_severity_assessment_scores_1_5')),
    sa.ForeignKeyConstraint(['assessed_by_id'], ['user_account.id'], name=op.f('fk_severity_assessment_assessed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_severity_assessment_engagement_id_engagement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_severity_assessment_organisation_id_organisation'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_severity_assessment'))
    )
    with op.batch_alter_table('severity_assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_severity_assessment_engagement_id'), ['engagement_id'], unique=False)

    op.create_table('dialogue_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dialogue_entry_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('visibility', _enum('visibility', ('coalition', 'private')), nullable=False),
    sa.Column('kind', _enum('dialogue_kind', KINDS), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('participants', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('company_level', _enum('company_level', LEVELS), nullable=True),
    sa.Column('mode', _enum('dialogue_mode', MODES), nullable=True),
    sa.Column('follow_up', sa.Text(), nullable=False),
    sa.Column('replaced_at', sa.DateTime(), nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dialogue_entry_id'], ['dialogue_entry.id'], name=op.f('fk_dialogue_revision_dialogue_entry_id_dialogue_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_dialogue_revision_engagement_id_engagement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_dialogue_revision_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['user_account.id'], name=op.f('fk_dialogue_revision_replaced_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_revision'))
    )
    with op.batch_alter_table('dialogue_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_revision_dialogue_entry_id'), ['dialogue_entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_revision_engagement_id'), ['engagement_id'], unique=False)

    with op.batch_alter_table('dialogue_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company_level', _enum('company_level', LEVELS), nullable=True))
        batch_op.add_column(sa.Column('mode', _enum('dialogue_mode', MODES), nullable=True))
        batch_op.add_column(sa.Column('follow_up', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('dialogue_entry', schema=None) as batch_op:
        batch_op.alter_column('follow_up', server_default=None, existing_type=sa.Text(),
                              existing_nullable=False)

    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_milestone_cancelled_by_id_user_account'),
                                    'user_account', ['cancelled_by_id'], ['id'],
                                    ondelete='SET NULL')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.alter_column('cancel_reason', server_default=None, existing_type=sa.Text(),
                              existing_nullable=False)
        batch_op.create_check_constraint('cancelled_has_reason',
                                         "cancelled_on IS NULL OR cancel_reason <> ''")

    if op.get_bind().dialect.name == "postgresql":
        # Seen exactly as its entry: the dialogue_entry policy of 0001.
        op.execute("ALTER TABLE dialogue_revision ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE dialogue_revision FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY dialogue_revision_tenant ON dialogue_revision "
            "USING (visibility = 'coalition' OR engage_can_see(organisation_id)) "
            "WITH CHECK (engage_can_see(organisation_id))"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS dialogue_revision_tenant ON dialogue_revision")
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_milestone_cancelled_has_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_milestone_cancelled_by_id_user_account'),
                                 type_='foreignkey')
        batch_op.drop_column('cancelled_by_id')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_on')
    with op.batch_alter_table('dialogue_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_dialogue_entry_company_level'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_dialogue_entry_dialogue_mode'), type_='check')
    with op.batch_alter_table('dialogue_entry', schema=None) as batch_op:
        batch_op.drop_column('edited_at')
        batch_op.drop_column('follow_up')
        batch_op.drop_column('mode')
        batch_op.drop_column('company_level')
    with op.batch_alter_table('dialogue_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_revision_engagement_id'))
        batch_op.drop_index(batch_op.f('ix_dialogue_revision_dialogue_entry_id'))
    op.drop_table('dialogue_revision')
    with op.batch_alter_table('severity_assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_severity_assessment_engagement_id'))
    op.drop_table('severity_assessment')
