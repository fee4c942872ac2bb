"""One clock: between UTC midnight and local midnight the home page, the validation of a
date and the sweep agree on which day it is where the platform runs (ENGAGE_TIMEZONE)."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from engage import clock
from engage.engagements import service as engagements
from engage.engagements.models import Milestone
from engage.escalations import service as escalations
from engage.tenancy import as_organisation, system_scope
from tests import factories as f
from tests.engagements.conftest import act_as, post

# 23:30 UTC on 22 November: in Amsterdam (UTC+1) it is already 00:30 on the 23rd.
LATE = datetime(2026, 11, 22, 23, 30, tzinfo=timezone.utc)
UTC_DAY, LOCAL_DAY, TOMORROW = date(2026, 11, 22), date(2026, 11, 23), date(2026, 11, 24)


@pytest.fixture
def amsterdam(app, monkeypatch, frozen_clock):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", "Europe/Amsterdam")
    frozen_clock(LATE)


def test_the_clock_tells_the_moment_in_utc_and_the_day_where_the_platform_runs(app, amsterdam,
                                                                               monkeypatch):
    with app.app_context():
        assert clock.now() == LATE and clock.now().utcoffset().total_seconds() == 0
        assert clock.today() == clock.local_date(LATE) == LOCAL_DAY
        monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", "UTC")
        assert clock.today() == UTC_DAY
        with pytest.raises(ValueError):
            clock.local_date(datetime(2026, 11, 22, 23, 30))


@pytest.fixture
def late_world(db_session):
    with system_scope("test: a lead with two milestones around midnight"):
        lead = f.organisation()
        user = f.user(lead)
        engagement = f.engagement(f.company(), lead, title="Midnight engagement",
                                  started_on=date(2026, 1, 1))
        # Due on the UTC date (yesterday in Amsterdam), and on the Amsterdam date.
        passed = f.milestone(engagement, due_on=UTC_DAY, title="Due-on-the-UTC-day")
        due_today = f.milestone(engagement, due_on=LOCAL_DAY, title="Due-on-the-local-day")
        db_session.commit()
        for row in (lead, user):
            row.id  # noqa: B018  (load it again after the commit: the scope's end detaches it)
        return lead, user, engagement.id, passed.id, due_today.id


def test_home_page_validation_and_sweep_agree_at_2330_utc(app, client, db_session, amsterdam,
                                                         late_world):
    lead, user, engagement_id, passed_id, due_today_id = late_world
    token = act_as(client, user, lead)

    # The sweep: the milestone due on the UTC date has passed (it is the 23rd), the other not.
    assert escalations.open_overdue_reviews(clock.now()) == [f"milestone:{passed_id}:v1"]

    # The home page: the same day. The passed milestone is overdue in the engagements table
    # and gone from the deadlines; the one due on the local date is among the deadlines.
    home = client.get("/")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    deadlines = page[page.index('data-section="deadlines"'):]
    deadlines = deadlines[:deadlines.index("</section>")]
    assert "Due-on-the-local-day" in deadlines and "Due-on-the-UTC-day" not in deadlines
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Midnight engagement(?:(?!</tr>).)*</tr>", page, re.S)
    assert row and 'class="overdue"' in row.group(0), row and row.group(0)

    # The validation, through the page: met on the local date is today, not the future;
    # the day after is the future.
    url = f"/engagements/milestones/{due_today_id}"
    assert post(client, url, token, met_on=LOCAL_DAY.isoformat()).status_code == 303
    refused = post(client, url, token, met_on=TOMORROW.isoformat())
    assert refused.status_code == 400
    assert "cannot be met in the future" in refused.get_data(as_text=True)
    with system_scope("test"):
        assert db_session.get(Milestone, due_today_id).met_on == LOCAL_DAY

    # And dialogue that took place on the local date is not "in the future" either.
    with as_organisation(lead.id):
        engagement = db_session.get(type(db_session.get(Milestone, passed_id).engagement),
                                    engagement_id)
        entry = engagements.add_dialogue(engagement, actor=user, organisation_id=lead.id,
                                         kind="meeting", occurred_on=LOCAL_DAY.isoformat(),
                                         summary="Met the board", now=clock.now())
        assert entry.occurred_on == LOCAL_DAY
        with pytest.raises(engagements.EngagementError) as caught:
            engagements.add_dialogue(engagement, actor=user, organisation_id=lead.id,
                                     kind="meeting", occurred_on=TOMORROW.isoformat(),
                                     summary="Will meet", now=clock.now())
        assert "occurred_on" in caught.value.errors
        db_session.rollback()
