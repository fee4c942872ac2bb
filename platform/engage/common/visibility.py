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

from engage.db import Base

# Members of an initiative in these states see its engagements (an applicant does not).
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


def participant_engagement_ids(org_id: Any) -> sa.Select:
    p = aliased_table("engagement_participant", "tenancy_ep")
    return sa.select(p.c.engagement_id).where(p.c.organisation_id == org_id).correlate(None)


def visible_engagement_ids(org_id: Any) -> sa.CompoundSelect:
    """Engagements an organisation takes part in, directly or as an admitted initiative member.

    A UNION of the two, not one select with ``id IN … OR initiative_id IN …``: PostgreSQL
    cannot use an index for that OR and read all of ``engagement`` for every use (25 ms a
    time at 100,000 engagements); each half of the UNION is an index lookup."""
    e = aliased_table("engagement", "tenancy_e")
    return sa.union(
        participant_engagement_ids(org_id),
        sa.select(e.c.id).where(e.c.initiative_id.in_(member_initiative_ids(org_id)))
        .correlate(None),
    )


def visible_ladder_ids(org_id: Any) -> sa.CompoundSelect:
    """The installed templates and the organisation's own, the ladders of visible
    initiatives, the ladders visible engagements climb and those tailored to them (kept
    after a revert for the steps their decisions used): a UNION, as
    ``visible_engagement_ids`` (an OR of them read whole tables for every ladder step a page
    showed)."""
    ladder = aliased_table("escalation_ladder", "tenancy_l")
    tailored = aliased_table("escalation_ladder", "tenancy_lt")
    e = aliased_table("engagement", "tenancy_le")
    return sa.union(
        sa.select(ladder.c.id).where(
            ladder.c.is_template.is_(True),
            sa.or_(ladder.c.organisation_id.is_(None), ladder.c.organisation_id == org_id),
        ).correlate(None),
        sa.select(ladder.c.id)
        .where(ladder.c.initiative_id.in_(visible_initiative_ids(org_id)))
        .correlate(None),
        sa.select(e.c.ladder_id)
        .where(e.c.id.in_(visible_engagement_ids(org_id)), e.c.ladder_id.is_not(None))
        .correlate(None),
        sa.select(tailored.c.id)
        .where(tailored.c.engagement_id.in_(visible_engagement_ids(org_id)))
        .correlate(None),
    )


def engagement_viewer_ids(engagement_id: Any) -> sa.CompoundSelect:
    """Organisations that see an engagement (the inverse of :func:`visible_engagement_ids`):
    its participants and the admitted members of its initiative."""
    p = aliased_table("engagement_participant", "visibility_vp")
    e = aliased_table("engagement", "visibility_ve")
    m = aliased_table("initiative_member", "visibility_vm")
    return sa.union(
        sa.select(p.c.organisation_id).where(p.c.engagement_id == engagement_id)
        .correlate(None),
        sa.select(m.c.organisation_id)
        .join(e, e.c.initiative_id == m.c.initiative_id)
        .where(e.c.id == engagement_id, m.c.status.in_(SEEING_MEMBER_STATUSES))
        .correlate(None),
    )
