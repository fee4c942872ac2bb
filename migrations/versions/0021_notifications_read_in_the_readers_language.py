"""notifications read in the reader's language; withdrawn signatures are told

- notification.message and notification.params: what a notification tells, as a message key
  and its parameters (data), so its subject and body are written when it is read, in the
  reader's language. Rows written before keep their stored text (an empty key).
- notification.kind: 'signature_withdrawn' (a document returned to draft withdrew the
  organisation's signature or decline).

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 08:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

OLD_KINDS = ('review_opened', 'reminder', 'letter_to_sign', 'vote_requested', 'task_assigned',
             'divestment_review', 'decision_failed', 'initiative_application',
             'membership_decided', 'company_engagement', 'company_vote',
             'engagement_invitation')
NEW_KINDS = OLD_KINDS + ('signature_withdrawn',)


def _enum(values):
    return sa.Enum(*values, name='notification_kind', native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values))


def _kinds(old, new):
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=_enum(old), type_=_enum(new),
                              existing_nullable=False)


def upgrade():
    _kinds(OLD_KINDS, NEW_KINDS)
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.String(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))


def downgrade():
    # A row of the new kind has no place in the old ones.
    op.execute("DELETE FROM notification WHERE kind = 'signature_withdrawn'")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('message')
    _kinds(NEW_KINDS, OLD_KINDS)
