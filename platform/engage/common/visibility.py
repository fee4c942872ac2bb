"""Who sees what: the subqueries that the tenancy filter (:mod:`engage.tenancy`) and the
models' ``tenant_criteria`` are built from, and their inverse (which organisations see an
engagement), e.g. for telling a company's followers.

They are written over the tables by name (``Base.metadata``), aliased, so this module
imports no feature and the ORM neither correlates nor adapts them when the criteria are
applied to an aliased entity. One rule, one place: a change here changes every list, page,
API answer and notification alike.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from engage.db import Base

# Members of an initiative in these states see its engagements (an applicant does not).
# The triggers of migration 0025 that keep engagement_access say the same ('admitted').
SEEING_MEMBER_STATUSES = ("admitted",)


def aliased_table(name: str, alias: str) -> sa.Alias:
    """The table named, under an alias of its own (see the module's docstring)."""
    return Base.metadata.tables[name].alias(alias)


def member_initiative_ids(org_id: Any, statuses: tuple[str, ...] = SEEING_MEMBER_STATUSES) -> sa.Select:
    m = aliased_table("initiative_member", "tenancy_im")
    return (
        sa.select(m.c.initiative_id)
        .where(m.c.organisation_id == org_id, m.c.status.in_(statuses))
        .correlate(None)
    )


def coordinated_initiative_ids(org_id: Any) -> sa.Select:
    i = aliased_table("initiative", "tenancy_ci")
    return sa.select(i.c.id).where(i.c.coordinator_organisation_id == org_id).correlate(None)


def visible_initiative_ids(org_id: Any) -> sa.Select:
    """Initiatives an organisation coordinates, belongs to or applied to, or that recruit."""
    i = aliased_table("initiative", "tenancy_i")
    m = aliased_table("initiative_member", "tenancy_im2")
    return (
        sa.select(i.c.id)
        .where(
            sa.or_(
                i.c.coordinator_organisation_id == org_id,
                i.c.status == "recruiting",
                i.c.id.in_(
                    sa.select(m.c.initiative_id)
                    .where(m.c.organisation_id == org_id)
                    .correlate(None)
                ),
            )
        )
        .correlate(None)
    )


def visible_engagement_ids(org_id: Any) -> sa.Select:
    """Engagements an organisation takes part in, directly or as an admitted initiative member.

    One index lookup in ``engagement_access``, which database triggers keep equal to that
    rule in every writing transaction (migration 0025). An engagement seen for both reasons
    comes twice: use it with ``IN``. It replaced a UNION of the two
    reasons, which PostgreSQL took longer to plan than to run; before that, an ``id IN … OR
    initiative_id IN …`` read all of ``engagement`` for every use."""
    a = aliased_table("engagement_access", "tenancy_ea")
    return sa.select(a.c.engagement_id).where(a.c.organisation_id == org_id).correlate(None)


class InLookup(ColumnElement[bool]):
    """``column IN (lookup)``, as each database plans it best.

    SQLite gets just that. PostgreSQL gets ``column = ANY(ARRAY(lookup))``: the lookup
    runs once per statement as an InitPlan, and the planner has one relation fewer to
    order for each use. Turned into semi-joins, the ``IN`` lookups of a dashboard statement (a
    dozen in one UNION ALL) took 25–45 ms to plan at 100,000 engagements; as arrays,
    6–9 ms, for the same rows, no slower to run (docs/performance.md)."""

    type = sa.Boolean()
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("lookup", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any, lookup: sa.Select | sa.CompoundSelect) -> None:
        self.column = coercions.expect(roles.ExpressionElementRole, column)
        self.lookup = lookup


@compiles(InLookup)
def _in_lookup(element: InLookup, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.lookup), **kw)


@compiles(InLookup, "postgresql")
def _in_lookup_postgresql(element: InLookup, compiler: Any, **kw: Any) -> str:
    array = sa.func.array(element.lookup.scalar_subquery())
    return compiler.process(element.column == sa.any_(array), **kw)


def engagement_visible(column: Any, org_id: Any) -> InLookup:
    """The tenancy criterion of every row that belongs to an engagement: ``column`` (an
    engagement's id) is one ``org_id`` sees."""
    return InLookup(column, visible_engagement_ids(org_id))


def ladder_visible(column: Any, org_id: Any) -> InLookup:
    """``column`` (a ladder's id) is one of :func:`visible_ladder_ids`."""
    return InLookup(column, visible_ladder_ids(org_id))


def visible_ladder_ids(org_id: Any) -> sa.CompoundSelect:
    """The installed templates and the organisation's own, the ladders of visible
    initiatives, the ladders visible engagements climb and those tailored to them (kept
    after a revert for the steps their decisions used): a UNION (an OR of them read whole
    tables for every ladder step a page showed)."""
    ladder = aliased_table("escalation_ladder", "tenancy_l")
    tailored = aliased_table("escalation_ladder", "tenancy_lt")
    e = aliased_table("engagement", "tenancy_le")
    a = aliased_table("engagement_access", "tenancy_lea")
    return sa.union(
        sa.select(ladder.c.id).where(
            ladder.c.is_template.is_(True),
            sa.or_(ladder.c.organisation_id.is_(None), ladder.c.organisation_id == org_id),
        ).correlate(None),
        sa.select(ladder.c.id)
        .where(ladder.c.initiative_id.in_(visible_initiative_ids(org_id)))
        .correlate(None),
        sa.select(e.c.ladder_id)
        .select_from(e.join(a, a.c.engagement_id == e.c.id))
        .where(a.c.organisation_id == org_id, e.c.ladder_id.is_not(None))
        .correlate(None),
        sa.select(tailored.c.id)
        .where(engagement_visible(tailored.c.engagement_id, org_id))
        .correlate(None),
    )


def engagement_viewer_ids(engagement_id: Any) -> sa.Select:
    """Organisations that see an engagement (the inverse of :func:`visible_engagement_ids`):
    its participants and the admitted members of its initiative."""
    a = aliased_table("engagement_access", "visibility_va")
    return (sa.select(a.c.organisation_id).where(a.c.engagement_id == engagement_id)
            .distinct().correlate(None))
