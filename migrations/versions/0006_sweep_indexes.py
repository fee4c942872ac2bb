"""indexes for the escalation sweep at scale (EXPLAIN at 100,000 engagements)

- ix_engagement_active: "on an active engagement" (overdue milestones, reminders, step
  waits) answered from a small partial index, index-only, instead of the table;
- ix_decision_escalated: the escalations carried out, the step-wait query's starting rows;
- ix_decision_engagement_decided, ix_escalation_review_engagement_opened: "nothing newer
  on this engagement" (the step-wait query's two anti-joins) answered index-only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 01:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")
ESCALATED = sa.text("kind = 'escalate' AND apply_status = 'done'")


def upgrade():
    op.create_index('ix_engagement_active', 'engagement', ['id'], unique=False,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    op.create_index('ix_decision_escalated', 'decision', ['engagement_id'], unique=False,
                    sqlite_where=ESCALATED, postgresql_where=ESCALATED)
    op.create_index('ix_decision_engagement_decided', 'decision',
                    ['engagement_id', 'decided_at'], unique=False)
    op.create_index('ix_escalation_review_engagement_opened', 'escalation_review',
                    ['engagement_id', 'opened_at'], unique=False)


def downgrade():
    op.drop_index('ix_escalation_review_engagement_opened', table_name='escalation_review')
    op.drop_index('ix_decision_engagement_decided', table_name='decision')
    op.drop_index('ix_decision_escalated', table_name='decision')
    op.drop_index('ix_engagement_active', table_name='engagement')
