"""escalation ladders a fresh install starts with, named and described in English and Dutch

- escalation_ladder: name_nl, description, description_nl; ladder_step: description_nl.
- The template ladders of engage.escalations.ladder_templates (the study's escalation
  strategy, and escalation through fund managers) are inserted, so that an organisation on
  a fresh install can give its initiative a ladder and escalate. Their content is defined
  once, in that module, which the ladder service and the tests read too.

Templates belong to no organisation and every organisation sees them (common/visibility.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 02:05:00

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from engage.escalations.ladder_templates import TEMPLATES

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

ladder = sa.table(
    'escalation_ladder', sa.column('id', sa.Integer), sa.column('name', sa.String),
    sa.column('name_nl', sa.String), sa.column('description', sa.Text),
    sa.column('description_nl', sa.Text), sa.column('is_template', sa.Boolean),
    sa.column('initiative_id', sa.Integer), sa.column('created_at', sa.DateTime),
)
step = sa.table(
    'ladder_step', sa.column('ladder_id', sa.Integer), sa.column('position', sa.SmallInteger),
    sa.column('kind', sa.String), sa.column('description', sa.Text),
    sa.column('description_nl', sa.Text), sa.column('wait_days', sa.Integer),
)


def upgrade():
    with op.batch_alter_table('escalation_ladder') as batch_op:
        batch_op.add_column(sa.Column('name_nl', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('description', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('description_nl', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('ladder_step') as batch_op:
        batch_op.add_column(sa.Column('description_nl', sa.Text(), server_default='', nullable=False))

    conn = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # stored as naive UTC
    for spec in TEMPLATES:
        ladder_id = conn.execute(
            ladder.insert().values(
                name=spec['name'], name_nl=spec['name_nl'], description=spec['description'],
                description_nl=spec['description_nl'], is_template=True, initiative_id=None,
                created_at=now,
            ).returning(ladder.c.id)
        ).scalar_one()
        conn.execute(step.insert(), [
            dict(ladder_id=ladder_id, position=position, kind=kind, wait_days=wait,
                 description=text, description_nl=text_nl)
            for position, (kind, wait, text, text_nl) in enumerate(spec['steps'], start=1)
        ])


def downgrade():
    conn = op.get_bind()
    # The installed templates go, unless an engagement still climbs one directly.
    in_use = sa.select(sa.column('ladder_id')).select_from(sa.table('engagement', sa.column('ladder_id'))) \
        .where(sa.column('ladder_id').is_not(None))
    ids = list(conn.execute(
        sa.select(ladder.c.id).where(
            ladder.c.is_template.is_(True),
            ladder.c.name.in_([t['name'] for t in TEMPLATES]),
            ladder.c.id.not_in(in_use),
        )
    ).scalars())
    if ids:
        conn.execute(step.delete().where(step.c.ladder_id.in_(ids)))
        conn.execute(ladder.delete().where(ladder.c.id.in_(ids)))
    with op.batch_alter_table('ladder_step') as batch_op:
        batch_op.drop_column('description_nl')
    with op.batch_alter_table('escalation_ladder') as batch_op:
        batch_op.drop_column('description_nl')
        batch_op.drop_column('description')
        batch_op.drop_column('name_nl')
