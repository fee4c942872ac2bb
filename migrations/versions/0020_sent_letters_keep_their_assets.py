"""a sent letter keeps the assets each signature stood for when it went out

- signature.stated_basis ('committed' or 'declared') and signature.stated_aum_eur: written as
  the letter is sent (published, asked, filed); until then the letter states each signer's
  current commitment. Letters sent before this revision get the values of today, the best
  the database still knows.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 05:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_SENT = "letter_id IN (SELECT id FROM letter WHERE status = 'sent')"
_INITIATIVE = ("(SELECT e.initiative_id FROM letter l JOIN engagement e ON e.id = l.engagement_id"
               " WHERE l.id = signature.letter_id)")


def upgrade():
    op.add_column('signature', sa.Column('stated_basis', sa.String(length=10), nullable=True))
    op.add_column('signature', sa.Column('stated_aum_eur', sa.Numeric(20, 2), nullable=True))
    op.execute(
        "UPDATE signature SET stated_basis = CASE WHEN " + _INITIATIVE + " IS NULL"
        " THEN 'declared' ELSE 'committed' END,"
        " stated_aum_eur = CASE WHEN " + _INITIATIVE + " IS NULL"
        " THEN (SELECT o.aum_eur FROM organisation o WHERE o.id = signature.organisation_id)"
        " ELSE (SELECT m.aum_committed_eur FROM initiative_member m"
        "       WHERE m.initiative_id = " + _INITIATIVE +
        "       AND m.organisation_id = signature.organisation_id) END"
        " WHERE " + _SENT)


def downgrade():
    with op.batch_alter_table('signature') as batch_op:
        batch_op.drop_column('stated_aum_eur')
        batch_op.drop_column('stated_basis')
