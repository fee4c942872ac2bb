"""import jobs: an uploaded file imported in the background, with its progress

One row per background import (a workflow run): the organisation whose admin uploaded it,
the kind, the stored file's name under the instance folder, the status, lines checked of
the total, and the first bad lines when it failed. Private to its organisation, so on
PostgreSQL it gets the same row-level security as the other private tables
(engage_can_see from 0001).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 01:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_as', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='import_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('lines_done', sa.Integer(), nullable=False),
    sa.Column('lines_total', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('error_total', sa.Integer(), nullable=False),
    sa.Column('flow_run_id', sa.String(length=64), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('companies', 'exclusions', 'ratings', 'holdings')", name=op.f('ck_import_job_import_kind')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_import_job_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_import_job_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job')),
    sa.UniqueConstraint('stored_as', name=op.f('uq_import_job_stored_as'))
    )
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_job_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_import_job_status', ['status'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE import_job ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE import_job FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY import_job_tenant ON import_job "
            "USING (engage_can_see(organisation_id)) WITH CHECK (engage_can_see(organisation_id))"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS import_job_tenant ON import_job")
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_index('ix_import_job_status')
        batch_op.drop_index(batch_op.f('ix_import_job_organisation_id'))

    op.drop_table('import_job')
