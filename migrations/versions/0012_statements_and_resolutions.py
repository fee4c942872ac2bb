"""AGM questions and shareholder resolutions are documents like letters; a resolution's
filing terms

- letter.kind also takes 'agm_question' and 'resolution' (its CHECK constraint is replaced);
- resolution: the AGM a resolution is filed for, the days before it by which it is filed,
  and the threshold (in euro) the co-filers' combined holdings must meet.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 04:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

OLD_KINDS = ('letter_to_board', 'public_statement')
NEW_KINDS = OLD_KINDS + ('agm_question', 'resolution')


def _kinds(kinds):
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade():
    with op.batch_alter_table('letter') as batch_op:
        batch_op.drop_constraint(op.f('ck_letter_letter_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_letter_letter_kind'), _kinds(NEW_KINDS))
    op.create_table(
        'resolution',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('letter_id', sa.Integer(), nullable=False),
        sa.Column('agm_on', sa.Date(), nullable=False),
        sa.Column('filing_days', sa.SmallInteger(), nullable=False),
        sa.Column('threshold_eur', sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column('threshold_set_by_id', sa.Integer(), nullable=True),
        sa.Column('threshold_set_at', sa.DateTime(), nullable=True),
        sa.Column('engagement_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('filing_days BETWEEN 0 AND 365',
                           name=op.f('ck_resolution_filing_days_range')),
        sa.CheckConstraint('threshold_eur IS NULL OR threshold_eur >= 0',
                           name=op.f('ck_resolution_threshold_not_negative')),
        sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'],
                                name=op.f('fk_resolution_engagement_id_engagement'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['letter_id'], ['letter.id'],
                                name=op.f('fk_resolution_letter_id_letter'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['threshold_set_by_id'], ['user_account.id'],
                                name=op.f('fk_resolution_threshold_set_by_id_user_account'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_resolution')),
        sa.UniqueConstraint('letter_id', name=op.f('uq_resolution_letter_id')),
    )
    with op.batch_alter_table('resolution') as batch_op:
        batch_op.create_index(batch_op.f('ix_resolution_engagement_id'), ['engagement_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('resolution') as batch_op:
        batch_op.drop_index(batch_op.f('ix_resolution_engagement_id'))
    op.drop_table('resolution')
    # The documents of the new kinds leave with the kinds (their signatures cascade).
    op.execute("DELETE FROM letter WHERE kind IN ('agm_question', 'resolution')")
    with op.batch_alter_table('letter') as batch_op:
        batch_op.drop_constraint(op.f('ck_letter_letter_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_letter_letter_kind'), _kinds(OLD_KINDS))
