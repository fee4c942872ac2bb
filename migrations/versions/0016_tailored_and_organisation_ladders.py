"""ladders tailored to one engagement, and templates an organisation keeps for itself

- escalation_ladder.engagement_id: the engagement whose leads tailored this copy (unique),
  and shared_ladder_id: the ladder it shared before (where a revert goes back to).
- escalation_ladder.organisation_id: the organisation that keeps this template (its admins
  write it, only it sees it); installed templates have none and are read-only.
- On PostgreSQL, row-level security on escalation_ladder: an organisation's own templates
  are invisible to every other organisation even to raw SQL; every other ladder keeps the
  visibility the application filter gives it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 04:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

POLICY = "organisation_id IS NULL OR engage_can_see(organisation_id)"


def upgrade():
    with op.batch_alter_table('escalation_ladder') as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('engagement_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('shared_ladder_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_escalation_ladder_organisation_id'),
                              ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('uq_escalation_ladder_engagement_id'),
                              ['engagement_id'], unique=True)
        batch_op.create_foreign_key(
            batch_op.f('fk_escalation_ladder_organisation_id_organisation'), 'organisation',
            ['organisation_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(
            batch_op.f('fk_escalation_ladder_engagement_id_engagement'), 'engagement',
            ['engagement_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(
            batch_op.f('fk_escalation_ladder_shared_ladder_id_escalation_ladder'),
            'escalation_ladder', ['shared_ladder_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(
            'owned_is_template', sa.text('organisation_id IS NULL OR is_template'))
        batch_op.create_check_constraint(
            'tailored_is_engagement_only',
            sa.text('engagement_id IS NULL OR (NOT is_template AND initiative_id IS NULL)'))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE escalation_ladder ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE escalation_ladder FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY escalation_ladder_tenant ON escalation_ladder "
                   f"USING ({POLICY}) WITH CHECK ({POLICY})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS escalation_ladder_tenant ON escalation_ladder")
        op.execute("ALTER TABLE escalation_ladder NO FORCE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE escalation_ladder DISABLE ROW LEVEL SECURITY")
    # Organisations' own templates have no place in the older schema (copies made from them
    # stay); tailored ladders become plain ladders of no initiative, as before.
    op.execute("DELETE FROM ladder_step WHERE ladder_id IN "
               "(SELECT id FROM escalation_ladder WHERE organisation_id IS NOT NULL)")
    op.execute("DELETE FROM escalation_ladder WHERE organisation_id IS NOT NULL")
    with op.batch_alter_table('escalation_ladder') as batch_op:
        batch_op.drop_constraint('tailored_is_engagement_only', type_='check')
        batch_op.drop_constraint('owned_is_template', type_='check')
        batch_op.drop_constraint(
            batch_op.f('fk_escalation_ladder_shared_ladder_id_escalation_ladder'),
            type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_escalation_ladder_engagement_id_engagement'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_escalation_ladder_organisation_id_organisation'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('uq_escalation_ladder_engagement_id'))
        batch_op.drop_index(batch_op.f('ix_escalation_ladder_organisation_id'))
        batch_op.drop_column('shared_ladder_id')
        batch_op.drop_column('engagement_id')
        batch_op.drop_column('organisation_id')
