"""Calendar feed tokens, and the ICS of what a person's organisation may see.

The address carries a random token; the database keeps its SHA-256 only, so the address
is shown once, when it is made, and making a new one revokes the old. The feed is built
in the token owner's organisation scope: the tenancy filter decides which milestones,
reviews and AGMs appear, exactly as on the pages.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from engage.calendars.models import CalendarFeed
from engage.clock import local_date
from engage.companies.models import Company
from engage.db import utcnow
from engage.engagements.models import Engagement, Milestone
from engage.escalations.models import EscalationReview, ReviewStatus
from engage.extensions import db
from engage.organisations.models import OrgMembership, User
from engage.tenancy import as_organisation, system_scope
from engage.votes.models import Vote

PAST_DAYS = 365  # how far back the feed reaches; calendars keep what they had


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(user_id: int) -> CalendarFeed | None:
    """The signed-in person's feed (in their organisation's scope)."""
    return db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user_id))


def new_token(user_id: int) -> str:
    """A fresh token for the person's feed; the previous one stops working. Not committed."""
    token = secrets.token_urlsafe(32)
    feed = feed_of(user_id)
    if feed is None:
        db.session.add(CalendarFeed(user_id=user_id, token_hash=_hash(token)))
    else:
        feed.token_hash = _hash(token)
        feed.created_at = utcnow()  # the date of the address now in use
    db.session.flush()
    return token


def owner_of(token: str) -> tuple[int, int, str | None] | None:
    """(user id, organisation id, language) of a token, while that person is active in
    that organisation; None for any other token."""
    if not token or len(token) > 100:
        return None
    with system_scope("calendar feed token lookup"):
        row = db.session.execute(
            sa.select(CalendarFeed.user_id, CalendarFeed.organisation_id, User.locale)
            .join(User, User.id == CalendarFeed.user_id)
            .join(OrgMembership, sa.and_(OrgMembership.user_id == User.id,
                                         OrgMembership.organisation_id == CalendarFeed.organisation_id))
            .where(CalendarFeed.token_hash == _hash(token), User.is_active.is_(True))
        ).first()
    return (row.user_id, row.organisation_id, row.locale) if row else None


def _event(cal, uid: str, day: date, stamp: datetime, summary: str,
           description: str = "") -> None:
    from icalendar import Event

    event = Event()
    event.add("uid", f"{uid}@engage")
    event.add("summary", summary)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("dtstamp", stamp)  # RFC 5545: when the feed was written, in UTC
    if description:
        event.add("description", description)
    cal.add_component(event)


def build_ics(organisation_id: int, now: datetime, name: str = "Engage") -> bytes:
    """Milestone deadlines, open reviews and AGMs that the organisation may see (the
    caller picks the language: calendar programs send none)."""
    from flask_babel import gettext as _
    from icalendar import Calendar

    since = local_date(now) - timedelta(days=PAST_DAYS)
    cal = Calendar()
    cal.add("prodid", "-//Engage//stewardship deadlines//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    with as_organisation(organisation_id):
        s = db.session
        milestones = s.execute(
            sa.select(Milestone.id, Milestone.deadline_version, Milestone.title, Milestone.due_on,
                      Milestone.met_on, Engagement.title.label("engagement"),
                      Company.name.label("company"))
            .join(Engagement, Engagement.id == Milestone.engagement_id)
            .join(Company, Company.id == Engagement.company_id)
            .where(Milestone.due_on >= since)
        ).all()
        reviews = s.execute(
            sa.select(EscalationReview.id, EscalationReview.due_at,
                      Engagement.title.label("engagement"), Company.name.label("company"))
            .join(Engagement, Engagement.id == EscalationReview.engagement_id)
            .join(Company, Company.id == Engagement.company_id)
            .where(EscalationReview.status == ReviewStatus.OPEN)
        ).all()
        # AGMs: announced for the companies of visible engagements, and those voted on.
        agms = s.execute(
            sa.select(Company.id, Company.name, Company.next_agm_on.label("on"))
            .where(Company.next_agm_on >= since,
                   Company.id.in_(sa.select(Engagement.company_id)))
            .union(
                sa.select(Company.id, Company.name, Vote.agm_on.label("on"))
                .join(Vote, Vote.company_id == Company.id).where(Vote.agm_on >= since)
            )
        ).all()
    for m in milestones:
        state = " ✓" if m.met_on else ""
        _event(cal, f"milestone-{m.id}-v{m.deadline_version}", m.due_on, now,
               _("%(company)s: %(milestone)s", company=m.company, milestone=m.title) + state,
               m.engagement)
    for r in reviews:
        _event(cal, f"review-{r.id}", r.due_at.date(), now, _("Review due: %(company)s", company=r.company), r.engagement)
    for company_id, company, on in agms:
        _event(cal, f"agm-{company_id}-{on.isoformat()}", on, now, _("AGM: %(company)s", company=company))
    return cal.to_ical()
