"""the lists sort and search names as people read them: folded copies of the names

- company.name_key, engagement.title_key, initiative.title_key: the name or title case
  folded with its accents removed (engage.common.search.fold), written in Python whenever
  the name is, indexed. Existing rows are folded here.
- company.sector and company.country indexed: the companies list filters by them and
  offers the register's values.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 07:40:00

"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

KEY_LENGTH = 400
# (table, source column, key column); the key's index is named as the models name it.
KEYS = (("company", "name", "name_key"), ("engagement", "title", "title_key"),
        ("initiative", "title", "title_key"))
CHUNK = 5000
# A copy of engage.common.search.fold as it stood at this revision: a migration must not
# change when the application does.
_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d",
                          "þ": "th", "ı": "i", "ŀ": "l", "ħ": "h", "ŧ": "t"})


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.translate(_LETTERS)[:KEY_LENGTH]


def upgrade():
    bind = op.get_bind()
    for table, source, key in KEYS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(key, sa.String(length=KEY_LENGTH), nullable=False,
                                          server_default=''))
        t = sa.table(table, sa.column("id", sa.Integer), sa.column(source, sa.String),
                     sa.column(key, sa.String))
        update = sa.update(t).where(t.c.id == sa.bindparam("_id")).values(
            {key: sa.bindparam("_key")})
        rows = bind.execute(sa.select(t.c.id, t.c[source]).order_by(t.c.id)).all()
        for start in range(0, len(rows), CHUNK):
            bind.execute(update, [{"_id": i, "_key": _fold(name)}
                                  for i, name in rows[start:start + CHUNK]])
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(key, server_default=None, existing_type=sa.String(KEY_LENGTH),
                                  existing_nullable=False)
            batch_op.create_index(batch_op.f(f"ix_{table}_{key}"), [key], unique=False)
    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_sector'), ['sector'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_country'), ['country'], unique=False)


def downgrade():
    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_country'))
        batch_op.drop_index(batch_op.f('ix_company_sector'))
    for table, _source, key in reversed(KEYS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{key}"))
            batch_op.drop_column(key)
