"""engagement_access: which organisation sees which engagement, precomputed

An organisation sees an engagement it takes part in (engagement_participant) and every
engagement of an initiative it is an admitted member of (initiative_member). Until now every
tenant-filtered statement asked that as a UNION of the two; PostgreSQL spent longer planning
those UNIONs than running them. engagement_access holds the answer, one row per organisation,
engagement and reason ('participant' or 'member'; both may hold at once, and losing one
must not lose the other), so the question is one index lookup.

The table is kept exact by database triggers, in the same transaction as the change:

- engagement_participant: insert, delete, and an update of who or which engagement;
- initiative_member: insert and delete of an admitted member, and any change of its status
  (pending -> admitted -> left/removed -> admitted again ...), initiative or organisation;
- engagement: insert into an initiative, and moving into, out of or between initiatives.

Deleting an engagement or an organisation removes its rows by ON DELETE CASCADE; the cascade
to engagement_participant / initiative_member fires their triggers as well, which then find
nothing left to do. An initiative cannot be deleted while engagements belong to it (RESTRICT).

Why triggers and not the application: the base tables are written by the ORM, by bulk
UPDATE/DELETE statements the ORM's events never see, by ON DELETE CASCADE inside the
database, and by COPY (``engage bench-data``). A trigger is the one place none of them
can forget, and it changes the table in the writing transaction, so no reader ever sees
the rule and its cache disagree.

Concurrent writers (PostgreSQL, READ COMMITTED): admitting a member inserts rows for the
engagements its transaction sees, while creating or moving an engagement inserts rows for
the members its transaction sees; two such transactions running side by side would each
miss the other's row. So both kinds of trigger first lock the initiative's row (FOR NO KEY
UPDATE, which the foreign-key checks' KEY SHARE locks do not conflict with) and read the
other table after the lock: they run one after the other, the second seeing the first.
SQLite has one writer at a time.

SQLite: a batch migration that copies engagement, engagement_participant or initiative_member
into a new table drops these triggers with the old table; such a migration must create them
again (tests/test_engagement_access.py checks they exist at the head and that the table
stays exact).

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 10:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

BACKFILL = (
    "INSERT INTO engagement_access (organisation_id, engagement_id, source) "
    "SELECT organisation_id, engagement_id, 'participant' FROM engagement_participant",
    "INSERT INTO engagement_access (organisation_id, engagement_id, source) "
    "SELECT m.organisation_id, e.id, 'member' FROM engagement e "
    "JOIN initiative_member m ON m.initiative_id = e.initiative_id "
    "WHERE m.status = 'admitted'",
)

POSTGRES_TRIGGERS = [
    """
    CREATE FUNCTION engage_access_participant() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM engagement_access
         WHERE organisation_id = OLD.organisation_id AND engagement_id = OLD.engagement_id
           AND source = 'participant';
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO engagement_access (organisation_id, engagement_id, source)
        VALUES (NEW.organisation_id, NEW.engagement_id, 'participant');
      END IF;
      RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER engagement_participant_access "
    "AFTER INSERT OR DELETE OR UPDATE OF engagement_id, organisation_id "
    "ON engagement_participant FOR EACH ROW EXECUTE FUNCTION engage_access_participant()",
    """
    CREATE FUNCTION engage_access_member() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.status = 'admitted' THEN
        PERFORM 1 FROM initiative WHERE id = OLD.initiative_id FOR NO KEY UPDATE;
        DELETE FROM engagement_access a USING engagement e
         WHERE a.organisation_id = OLD.organisation_id AND a.source = 'member'
           AND a.engagement_id = e.id AND e.initiative_id = OLD.initiative_id;
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'admitted' THEN
        PERFORM 1 FROM initiative WHERE id = NEW.initiative_id FOR NO KEY UPDATE;
        INSERT INTO engagement_access (organisation_id, engagement_id, source)
        SELECT NEW.organisation_id, e.id, 'member' FROM engagement e
         WHERE e.initiative_id = NEW.initiative_id;
      END IF;
      RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER initiative_member_access "
    "AFTER INSERT OR DELETE OR UPDATE OF status, initiative_id, organisation_id "
    "ON initiative_member FOR EACH ROW EXECUTE FUNCTION engage_access_member()",
    """
    CREATE FUNCTION engage_access_engagement() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        IF OLD.initiative_id IS NOT DISTINCT FROM NEW.initiative_id THEN
          RETURN NULL;
        END IF;
        -- both initiatives, in id order (two moves the other way round do not deadlock)
        PERFORM 1 FROM initiative WHERE id IN (OLD.initiative_id, NEW.initiative_id)
         ORDER BY id FOR NO KEY UPDATE;
        DELETE FROM engagement_access WHERE engagement_id = OLD.id AND source = 'member';
      ELSIF NEW.initiative_id IS NOT NULL THEN
        PERFORM 1 FROM initiative WHERE id = NEW.initiative_id FOR NO KEY UPDATE;
      END IF;
      IF NEW.initiative_id IS NOT NULL THEN
        INSERT INTO engagement_access (organisation_id, engagement_id, source)
        SELECT m.organisation_id, NEW.id, 'member' FROM initiative_member m
         WHERE m.initiative_id = NEW.initiative_id AND m.status = 'admitted';
      END IF;
      RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER engagement_access "
    "AFTER INSERT OR UPDATE OF initiative_id ON engagement "
    "FOR EACH ROW EXECUTE FUNCTION engage_access_engagement()",
]

_PARTICIPANT_OUT = ("DELETE FROM engagement_access WHERE organisation_id = OLD.organisation_id "
                    "AND engagement_id = OLD.engagement_id AND source = 'participant';")
_PARTICIPANT_IN = ("INSERT INTO engagement_access (organisation_id, engagement_id, source) "
                   "VALUES (NEW.organisation_id, NEW.engagement_id, 'participant');")
_MEMBER_OUT = ("DELETE FROM engagement_access WHERE OLD.status = 'admitted' "
               "AND organisation_id = OLD.organisation_id AND source = 'member' "
               "AND engagement_id IN "
               "(SELECT id FROM engagement WHERE initiative_id = OLD.initiative_id);")
_MEMBER_IN = ("INSERT INTO engagement_access (organisation_id, engagement_id, source) "
              "SELECT NEW.organisation_id, id, 'member' FROM engagement "
              "WHERE NEW.status = 'admitted' AND initiative_id = NEW.initiative_id;")
_ENGAGEMENT_IN = ("INSERT INTO engagement_access (organisation_id, engagement_id, source) "
                  "SELECT organisation_id, NEW.id, 'member' FROM initiative_member "
                  "WHERE initiative_id = NEW.initiative_id AND status = 'admitted';")

SQLITE_TRIGGERS = {
    "engagement_participant_access_insert":
        f"AFTER INSERT ON engagement_participant BEGIN {_PARTICIPANT_IN} END",
    "engagement_participant_access_delete":
        f"AFTER DELETE ON engagement_participant BEGIN {_PARTICIPANT_OUT} END",
    "engagement_participant_access_update":
        "AFTER UPDATE OF engagement_id, organisation_id ON engagement_participant "
        f"BEGIN {_PARTICIPANT_OUT} {_PARTICIPANT_IN} END",
    "initiative_member_access_insert":
        f"AFTER INSERT ON initiative_member BEGIN {_MEMBER_IN} END",
    "initiative_member_access_delete":
        f"AFTER DELETE ON initiative_member BEGIN {_MEMBER_OUT} END",
    "initiative_member_access_update":
        "AFTER UPDATE OF status, initiative_id, organisation_id ON initiative_member "
        f"BEGIN {_MEMBER_OUT} {_MEMBER_IN} END",
    "engagement_access_insert":
        f"AFTER INSERT ON engagement BEGIN {_ENGAGEMENT_IN} END",
    "engagement_access_update":
        "AFTER UPDATE OF initiative_id ON engagement "
        "WHEN OLD.initiative_id IS NOT NEW.initiative_id BEGIN "
        "DELETE FROM engagement_access WHERE engagement_id = OLD.id AND source = 'member'; "
        f"{_ENGAGEMENT_IN} END",
}

POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS engagement_access ON engagement",
    "DROP TRIGGER IF EXISTS initiative_member_access ON initiative_member",
    "DROP TRIGGER IF EXISTS engagement_participant_access ON engagement_participant",
    "DROP FUNCTION IF EXISTS engage_access_engagement()",
    "DROP FUNCTION IF EXISTS engage_access_member()",
    "DROP FUNCTION IF EXISTS engage_access_participant()",
]


def upgrade():
    op.create_table('engagement_access',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=11), nullable=False),
    sa.CheckConstraint("source IN ('participant', 'member')", name=op.f('ck_engagement_access_source')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_engagement_access_engagement_id_engagement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_engagement_access_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'engagement_id', 'source', name=op.f('pk_engagement_access'))
    )
    with op.batch_alter_table('engagement_access', schema=None) as batch_op:
        batch_op.create_index('ix_engagement_access_engagement_id', ['engagement_id'], unique=False)

    for statement in BACKFILL:
        op.execute(statement)
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DROP:
            op.execute(statement)
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('engagement_access', schema=None) as batch_op:
        batch_op.drop_index('ix_engagement_access_engagement_id')

    op.drop_table('engagement_access')
