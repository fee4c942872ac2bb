"""Telling the followers of a company of a new engagement or vote on it.

An engagement is told to followers whose organisation can see it (a participant, or an
admitted member of its initiative); a vote, being private, to followers of the voting
organisation only. The person who acted is not told of their own act. Receivers of
:data:`engage.signals.engagement_created` and :data:`engage.signals.vote_recorded`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from engage.common.visibility import engagement_viewer_ids
from engage.db import Base
from engage.extensions import db
from engage.notifications import links
from engage.notifications.models import NotificationKind
from engage.notifications.service import notify
from engage.tenancy import database_system_scope


def _tables():
    return Base.metadata.tables


def _followed(company_id: int) -> bool:
    follows = _tables()["company_follow"]
    return db.session.execute(sa.select(sa.exists().where(
        follows.c.company_id == company_id))).scalar()


def _followers(company_id: int, may_see: sa.ColumnElement[bool],
               actor_id: int | None) -> list[tuple[int, int]]:
    """(user id, organisation id) of the company's active followers who may see the event."""
    t = _tables()
    follow_t, membership_t, user_t = t["company_follow"], t["org_membership"], t["user_account"]
    rows = db.session.execute(
        sa.select(follow_t.c.user_id, follow_t.c.organisation_id)
        .join(user_t, user_t.c.id == follow_t.c.user_id)
        .join(membership_t, (membership_t.c.user_id == follow_t.c.user_id)
              & (membership_t.c.organisation_id == follow_t.c.organisation_id))
        .where(follow_t.c.company_id == company_id, user_t.c.is_active.is_(True), may_see)
        .order_by(follow_t.c.user_id)
    ).all()
    return [(r[0], r[1]) for r in rows if r[0] != actor_id]


def engagement_created(engagement_id: int, *, actor_id: int | None, now: datetime,
                       **_kw) -> int:
    """Notify the followers who may see the new engagement; returns how many were told."""
    t = _tables()
    e = t["engagement"]
    follow_t, company_t = t["company_follow"], t["company"]
    # Core statements on the tables: the recipients are people of other organisations,
    # which the session's organisation filter would (rightly) hide.
    with database_system_scope("notify the followers of a company"):
        row = db.session.execute(
            sa.select(e.c.title, e.c.company_id, company_t.c.name)
            .join(company_t, company_t.c.id == e.c.company_id)
            .where(e.c.id == engagement_id)).first()
        if row is None or not _followed(row.company_id):
            return 0
        # The tenancy rule itself (engage.common.visibility), read the other way round.
        may_see = follow_t.c.organisation_id.in_(engagement_viewer_ids(engagement_id))
        people = _followers(row.company_id, may_see, actor_id)
        company, title = row.name, row.title
        return notify(
            people, kind=NotificationKind.COMPANY_ENGAGEMENT,
            key=f"company:{row.company_id}:engagement:{engagement_id}",
            message="company_engagement", params={"company": company, "title": title},
            link=links.engagement_link(engagement_id), engagement_id=engagement_id, now=now)


def vote_recorded(vote_id: int, *, actor_id: int | None, now: datetime, **_kw) -> int:
    """Notify the voting organisation's followers of the company; returns how many."""
    t = _tables()
    v, follow_t, company_t = t["vote"], t["company_follow"], t["company"]
    with database_system_scope("notify the followers of a company"):
        row = db.session.execute(
            sa.select(v.c.organisation_id, v.c.company_id, v.c.item, v.c.instruction,
                      v.c.agm_on, company_t.c.name)
            .join(company_t, company_t.c.id == v.c.company_id)
            .where(v.c.id == vote_id)).first()
        if row is None or not _followed(row.company_id):
            return 0
        people = _followers(row.company_id, follow_t.c.organisation_id == row.organisation_id,
                            actor_id)
        company, item, instruction, agm_on = row.name, row.item, row.instruction, row.agm_on
        return notify(
            people, kind=NotificationKind.COMPANY_VOTE,
            key=f"company:{row.company_id}:vote:{vote_id}",
            message="company_vote",
            params={"company": company, "item": item,
                    "instruction": getattr(instruction, "value", instruction),
                    "agm_on": agm_on.isoformat()},
            link=links.company_votes_link(row.company_id), engagement_id=None, now=now)
