"""attachments: files (evidence) on dialogue entries, milestones and letters

One row per attached file: the engagement, the dialogue entry, milestone or letter it hangs
on (exactly one), the organisation and user that uploaded it, the name given, the kind read
from its content, its size and SHA-256 (the key of the stored content; the bytes are in the
attachment storage, not in the database).

On PostgreSQL, row-level security makes an attachment on a private dialogue entry as
private as the entry: the policy asks whether the entry is visible, and dialogue_entry's own
policy (0001) answers that. Writes are the uploading organisation's only.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 04:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('parent_kind', sa.Enum('dialogue', 'milestone', 'letter', name='attachment_parent', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('dialogue_entry_id', sa.Integer(), nullable=True),
    sa.Column('milestone_id', sa.Integer(), nullable=True),
    sa.Column('letter_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(parent_kind = 'dialogue' AND dialogue_entry_id IS NOT NULL AND milestone_id IS NULL AND letter_id IS NULL) OR (parent_kind = 'milestone' AND milestone_id IS NOT NULL AND dialogue_entry_id IS NULL AND letter_id IS NULL) OR (parent_kind = 'letter' AND letter_id IS NOT NULL AND dialogue_entry_id IS NULL AND milestone_id IS NULL)", name=op.f('ck_attachment_one_parent')),
    sa.CheckConstraint('size > 0', name=op.f('ck_attachment_not_empty')),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_attachment_sha256_hex')),
    sa.ForeignKeyConstraint(['dialogue_entry_id'], ['dialogue_entry.id'], name=op.f('fk_attachment_dialogue_entry_id_dialogue_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_attachment_engagement_id_engagement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_attachment_letter_id_letter'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_attachment_milestone_id_milestone'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_attachment_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_attachment_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index('ix_attachment_engagement_parent', ['engagement_id', 'parent_kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_dialogue_entry_id'), ['dialogue_entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_letter_id'), ['letter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_sha256'), ['sha256'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE attachment ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE attachment FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY attachment_tenant ON attachment USING ("
            "dialogue_entry_id IS NULL OR EXISTS ("
            "SELECT 1 FROM dialogue_entry d WHERE d.id = attachment.dialogue_entry_id)) "
            "WITH CHECK (engage_can_see(organisation_id))"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS attachment_tenant ON attachment")
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachment_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_letter_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_engagement_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_dialogue_entry_id'))
        batch_op.drop_index('ix_attachment_engagement_parent')

    op.drop_table('attachment')
