"""letters drafted and signed in the open: plain-text drafts in a chosen language, a contact,
the moment a letter opened for signing, and organisations' recorded declines

- letter.body_text: the draft as the leads write it (plain text; body_html is derived from
  it, escaped). Letters drafted before keep body_text empty and their body_html.
- letter.language (en|nl), edited_at / edited_by_id (the text is the lead's from then),
  contact_name / contact_email (the sender block), opened_at.
- letter_decline: one organisation's decision not to sign a letter, with who, when and an
  optional reason.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 04:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column(
            'language', sa.Enum('en', 'nl', name='letter_language', native_enum=False,
                                create_constraint=True, length=2),
            server_default='en', nullable=False))
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('edited_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('contact_name', sa.String(length=200), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_letter_edited_by_id_user_account'),
                                    'user_account', ['edited_by_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'letter_decline',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('letter_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('declined_by_id', sa.Integer(), nullable=True),
        sa.Column('declined_at', sa.DateTime(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['letter_id'], ['letter.id'],
                                name=op.f('fk_letter_decline_letter_id_letter'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_letter_decline_organisation_id_organisation'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['declined_by_id'], ['user_account.id'],
                                name=op.f('fk_letter_decline_declined_by_id_user_account'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_decline')),
        sa.UniqueConstraint('letter_id', 'organisation_id',
                            name=op.f('uq_letter_decline_letter_id_organisation_id')),
    )
    with op.batch_alter_table('letter_decline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_decline_organisation_id'), ['organisation_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('letter_decline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_decline_organisation_id'))
    op.drop_table('letter_decline')
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_letter_edited_by_id_user_account'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_letter_letter_language'), type_='check')
        batch_op.drop_column('opened_at')
        batch_op.drop_column('contact_email')
        batch_op.drop_column('contact_name')
        batch_op.drop_column('edited_by_id')
        batch_op.drop_column('edited_at')
        batch_op.drop_column('language')
        batch_op.drop_column('body_text')
