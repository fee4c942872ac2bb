"""Companies: the list and profile queries, following a company, and telling its followers.

Followers hear of a new engagement on the company (if their organisation can see that
engagement) and of a vote their own organisation records on it. No service has to remember
to tell them: a flush listener notes every new :class:`Engagement` and :class:`Vote`, and
the notifications are written just before the unit of work commits, when the engagement's
participants are known. A unit of work that rolls back notifies nobody.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from engage.common.forms import FormError
from engage.common.labels import label
from engage.common.search import matches
from engage.common.writes import insert_if_absent
from engage.companies.models import Company, CompanyFollow
from engage.db import Base, utcnow
from engage.extensions import db
from engage.tenancy import current_scope, session_of

PENDING_KEY = "engage.company_events"


class CompanyError(FormError):
    """Following or unfollowing cannot be done as asked; nothing was written."""


# --- following ------------------------------------------------------------------------------

def _acting_org(organisation_id: int | None) -> int:
    if organisation_id is not None:
        return organisation_id
    scope = current_scope()
    if scope is None or scope.org_id is None:
        raise CompanyError(_("Following a company needs an organisation."))
    return scope.org_id


def follow(company: Company, *, actor, organisation_id: int | None = None) -> bool:
    """The person follows the company (within their organisation). True when newly followed;
    following twice is harmless."""
    org_id = _acting_org(organisation_id)
    return insert_if_absent(CompanyFollow, {
        "organisation_id": org_id, "user_id": actor.id, "company_id": company.id,
        "created_at": utcnow(),
    }) is not None


def unfollow(company: Company, *, actor, organisation_id: int | None = None) -> bool:
    """True when the person was following the company."""
    org_id = _acting_org(organisation_id)
    row = db.session.scalar(sa.select(CompanyFollow).where(
        CompanyFollow.organisation_id == org_id, CompanyFollow.user_id == actor.id,
        CompanyFollow.company_id == company.id))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def is_following(company_id: int, user_id: int) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(
        CompanyFollow.company_id == company_id, CompanyFollow.user_id == user_id))) or False


def followed_ids(user_id: int, company_ids: list[int]) -> set[int]:
    if not company_ids:
        return set()
    return set(db.session.scalars(sa.select(CompanyFollow.company_id).where(
        CompanyFollow.user_id == user_id, CompanyFollow.company_id.in_(company_ids))))


# --- the list -------------------------------------------------------------------------------

def search(query: str) -> sa.Select:
    """Companies whose name, ISIN or LEI contains ``query`` (any case), by name."""
    stmt = sa.select(Company).order_by(Company.name, Company.id)
    found = matches(query, Company.name, Company.isin, Company.lei)
    return stmt if found is None else stmt.where(found)


# --- telling the followers ------------------------------------------------------------------

def notify_followers(company_id: int, event_kind: str, *, object_id: int,
                     session: Session | None = None) -> int:
    """Notify the followers of a company of a new engagement (``"engagement"``) or vote
    (``"vote"``) on it; returns how many notifications were written.

    An engagement is told to followers whose organisation can see it (a participant, or an
    admitted member of its initiative); a vote, being private, to followers of the voting
    organisation only. The person who acted is not told of their own act."""
    from engage.audit.service import ACTOR_KEY
    from engage.notifications.models import NotificationKind
    from engage.notifications.service import notify
    from engage.tenancy import database_system_scope

    sess = session_of(session)
    t = Base.metadata.tables
    follow_t, company_t = t["company_follow"], t["company"]
    membership_t, user_t = t["org_membership"], t["user_account"]
    # Core statements on the tables: the recipients are people of other organisations,
    # which the session's organisation filter would (rightly) hide.
    with database_system_scope("notify the followers of a company", sess):
        name = sess.execute(sa.select(company_t.c.name).where(company_t.c.id == company_id)).scalar()
        if event_kind == "engagement":
            e, p, m = t["engagement"], t["engagement_participant"], t["initiative_member"]
            row = sess.execute(sa.select(e.c.title, e.c.initiative_id).where(e.c.id == object_id)).first()
            if row is None:
                return 0
            may_see = sa.or_(
                follow_t.c.organisation_id.in_(
                    sa.select(p.c.organisation_id).where(p.c.engagement_id == object_id)),
                follow_t.c.organisation_id.in_(
                    sa.select(m.c.organisation_id).where(
                        m.c.initiative_id == row.initiative_id, m.c.status == "admitted")),
            )
            kind = NotificationKind.COMPANY_ENGAGEMENT
            title = row.title
            subject = lambda: _("New engagement on %(company)s: %(title)s",
                                company=name, title=title)
            body = lambda: _("You follow %(company)s.", company=name)
            link = f"/engagements/{object_id}"
            engagement_id = object_id
        elif event_kind == "vote":
            v = t["vote"]
            row = sess.execute(sa.select(v.c.organisation_id, v.c.item, v.c.instruction,
                                         v.c.agm_on).where(v.c.id == object_id)).first()
            if row is None:
                return 0
            may_see = follow_t.c.organisation_id == row.organisation_id
            kind = NotificationKind.COMPANY_VOTE
            item, instruction, agm_on = row.item, row.instruction, row.agm_on
            subject = lambda: _("Vote recorded on %(company)s: %(item)s",
                                company=name, item=item)
            body = lambda: _(
                "Your organisation's instruction: %(instruction)s (AGM of %(date)s).",
                instruction=label("vote_instruction", instruction), date=format_date(agm_on))
            link = f"/companies/{company_id}#votes"
            engagement_id = None
        else:
            raise ValueError(f"unknown company event {event_kind!r}")
        people = sess.execute(
            sa.select(follow_t.c.user_id, follow_t.c.organisation_id)
            .join(user_t, user_t.c.id == follow_t.c.user_id)
            .join(membership_t, (membership_t.c.user_id == follow_t.c.user_id)
                  & (membership_t.c.organisation_id == follow_t.c.organisation_id))
            .where(follow_t.c.company_id == company_id, user_t.c.is_active.is_(True), may_see)
            .order_by(follow_t.c.user_id)
        ).all()
        actor_id = sess.info.get(ACTOR_KEY)
        people = [(r[0], r[1]) for r in people if r[0] != actor_id]
        return notify(people, kind=kind, key=f"company:{company_id}:{event_kind}:{object_id}",
                      subject=subject, body=body, link=link, engagement_id=engagement_id,
                      now=utcnow())


@event.listens_for(Session, "after_flush")
def _note_new_events(session: Session, flush_context: Any) -> None:
    from engage.engagements.models import Engagement
    from engage.votes.models import Vote

    for obj in session.new:
        if isinstance(obj, Engagement):
            session.info.setdefault(PENDING_KEY, []).append((obj.company_id, "engagement", obj.id))
        elif isinstance(obj, Vote):
            session.info.setdefault(PENDING_KEY, []).append((obj.company_id, "vote", obj.id))


@event.listens_for(Session, "before_commit")
def _tell_followers(session: Session) -> None:
    # Only when the unit of work commits, not at a savepoint's release within it.
    if not session.info.get(PENDING_KEY) or session.in_nested_transaction():
        return
    session.flush()  # participants added after the engagement are known now
    events = session.info.pop(PENDING_KEY, [])
    if current_scope(session) is None:
        return
    from engage.tenancy import database_system_scope

    events = list(dict.fromkeys(events))
    follows = Base.metadata.tables["company_follow"]
    # One question for the whole unit of work: which of these companies has a follower at
    # all (most have none; a bulk load must not run a query per row).
    with database_system_scope("find the followers of companies", session):
        followed = set(session.execute(
            sa.select(follows.c.company_id).distinct()
            .where(follows.c.company_id.in_({e[0] for e in events}))
        ).scalars())
    for company_id, kind, object_id in events:
        if company_id in followed:
            notify_followers(company_id, kind, object_id=object_id, session=session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_events(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the unit of work, not a savepoint within it
        session.info.pop(PENDING_KEY, None)
