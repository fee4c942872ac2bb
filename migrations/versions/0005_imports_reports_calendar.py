"""calendar feeds: one private ICS address per person, only the token's hash kept

Imports and reports need no tables of their own (an import is recorded in the audit
trail). The feed belongs to one organisation, so on PostgreSQL it gets the same row-level
security as the other private tables (engage_can_see from 0001).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 22:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_calendar_feed_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_calendar_feed_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_hash')),
    sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feed_user_id'))
    )
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feed_organisation_id'), ['organisation_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE calendar_feed ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE calendar_feed FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY calendar_feed_tenant ON calendar_feed "
            "USING (engage_can_see(organisation_id)) WITH CHECK (engage_can_see(organisation_id))"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS calendar_feed_tenant ON calendar_feed")
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feed_organisation_id'))

    op.drop_table('calendar_feed')
