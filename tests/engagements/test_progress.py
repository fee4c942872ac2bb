"""An engagement's stage, defined once (engage.engagements.progress): the SQL and the Python
agree; "outcome verified" only when every milestone is met at 4; overdue milestones and open
reviews beside the stage; a closed engagement shows its outcome; the engagement page, the
lists, the dashboard chart, the stewardship report and the API say the same."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import sqlalchemy as sa

from engage import clock
from engage.demo import load_demo
from engage.engagements import progress
from engage.engagements.models import Engagement, EngagementParticipant, EngagementStatus, Milestone
from engage.organisations.tokens import create_token
from engage.reports.service import build_report
from engage.tenancy import as_organisation, system_scope
from tests import factories as f
from tests.conftest import login_as

TODAY = clock.today()
PAST = TODAY - timedelta(days=5)
LATER = TODAY + timedelta(days=30)


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _row(html: str, engagement_id: int) -> str:
    return html[html.index(f'data-engagement="{engagement_id}"'):].split("</tr>")[0]


def _stage_chart(html: str) -> dict[str, str]:
    start = html.index('data-chart="chart-stages"')
    chart = html[start:html.index("</table>", start)]
    return dict(re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', chart))


def test_sql_and_python_agree_on_every_combination(db_session):
    """Every mix of up to two milestones (stage 0/3/4, met or not, due earlier or later, the
    same day included) on each status."""
    kinds = [(stage, met, due) for stage in (0, 3, 4) for met in (False, True)
             for due in (PAST - timedelta(days=9), LATER)]
    cases = [()] + [(k,) for k in kinds] + list(itertools.combinations(kinds, 2))
    with system_scope("test progress", db_session):
        lead = f.organisation()
        made = []
        for status in EngagementStatus:
            for case in cases:
                closed = None if status == EngagementStatus.ACTIVE else PAST
                e = f.engagement(f.company(), lead, status=status, closed_on=closed)
                for stage, met, due in case:
                    f.milestone(e, due_on=due, stage=stage, met_on=PAST if met else None)
                made.append(e.id)
        db_session.flush()
        db_session.expire_all()
        sql = dict(db_session.execute(
            sa.select(Engagement.id, progress.stage_sql()).where(Engagement.id.in_(made))).all())
        engagements = db_session.scalars(sa.select(Engagement).where(Engagement.id.in_(made))).all()
        python = {e.id: progress.stage_of(e.milestones, e.status) for e in engagements}
    assert sql == python
    assert len(sql) == 3 * len(cases) and set(sql.values()) == {0, 3, 4}
    for e in engagements:
        if python[e.id] == 4:  # only when every milestone was met at stage 4
            assert e.milestones and all(m.met_on and m.stage == 4 for m in e.milestones)
            assert e.status != EngagementStatus.CLOSED_NO_PROSPECT


def _world(db_session):
    with system_scope("test progress world", db_session):
        a = f.organisation("prog-a")
        user = f.user(a)
        lad = f.ladder()
        # Overdue and under review, though one milestone already reached stage 4.
        late = f.engagement(f.company(), a, title="Late", ladder_id=lad.id, severity_scale=5)
        f.milestone(late, due_on=PAST - timedelta(days=30), stage=4, met_on=PAST)
        overdue = f.milestone(late, due_on=PAST, stage=4)
        f.review(late, overdue)
        # Closed with no prospect, every milestone at 4 and one never met, past due.
        hopeless = f.engagement(f.company(), a, title="Hopeless",
                                status=EngagementStatus.CLOSED_NO_PROSPECT, closed_on=PAST)
        f.milestone(hopeless, due_on=PAST - timedelta(days=30), stage=4, met_on=PAST)
        f.milestone(hopeless, due_on=PAST, stage=4)
        # Every milestone met at stage 4: outcome verified.
        done = f.engagement(f.company(), a, title="Done")
        f.milestone(done, due_on=PAST, stage=4, met_on=PAST)
        f.milestone(done, due_on=LATER, stage=4, met_on=PAST)
        secret = create_token(db_session, organisation=a, name="progress", scope="read",
                              created_by=user).secret
        db_session.commit()
        ids = (a.id, a.slug, user.id, late.id, hopeless.id, done.id)
    return ids, secret


def test_pages_lists_chart_report_and_api_agree(client, db_session):
    (a_id, a_slug, user_id, late, hopeless, done), secret = _world(db_session)
    with system_scope("test", db_session):
        from engage.organisations.models import Organisation, User
        login_as(client, db_session.get(User, user_id), db_session.get(Organisation, a_id))

    # The engagement page.
    late_page = _page(client, f"/engagements/{late}")
    fact = late_page[late_page.index("data-progress"):].split("</dd>")[0]
    assert 'data-stage="3"' in fact and 'data-stage="4"' not in fact
    assert 'data-overdue="1"' in fact and 'data-open-reviews="1"' in fact
    hopeless_page = _page(client, f"/engagements/{hopeless}")
    fact = hopeless_page[hopeless_page.index("data-progress"):].split("</dd>")[0]
    assert 'data-outcome="closed_no_prospect"' in fact and "Closed: no prospect" in fact
    assert "data-stage" not in fact and "overdue" not in fact
    done_page = _page(client, f"/engagements/{done}")
    assert 'data-stage="4"' in done_page[done_page.index("data-progress"):].split("</dd>")[0]

    # The home list and its chart, and the engagement list: the same words, row by row.
    for path in ("/", "/engagements"):
        html = _page(client, path)
        assert 'data-stage="3"' in _row(html, late) and 'data-overdue="1"' in _row(html, late)
        assert 'data-open-reviews="1"' in _row(html, late)
        row = _row(html, hopeless)
        assert 'data-outcome="closed_no_prospect"' in row
        assert "data-stage" not in row and "overdue" not in row
        assert 'data-stage="4"' in _row(html, done)
    chart = _stage_chart(_page(client, "/"))
    assert chart["Credible plan"] == "1" and chart["Plan implemented, outcome verified"] == "1"

    # The stewardship report: the two open engagements at 3 and 4; the closed one under its outcome.
    with as_organisation(a_id):
        report = build_report(a_id, date(TODAY.year, 1, 1), date(TODAY.year, 12, 31))
    assert report.by_stage == {3: 1, 4: 1}
    assert report.held_back[3] == (1, 1) and report.held_back[4] == (0, 0)
    assert report.closed_no_prospect == 1

    # The API.
    response = client.get("/api/v1/engagements", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    by_id = {e["id"]: e for e in response.get_json()["items"]}
    assert (by_id[late]["stage"], by_id[late]["overdue_milestones"], by_id[late]["open_reviews"]) \
        == (3, 1, 1)
    assert (by_id[hopeless]["stage"], by_id[hopeless]["overdue_milestones"]) == (3, 0)
    assert by_id[done]["stage"] == 4
    one = client.get(f"/api/v1/engagements/{late}", headers={"Authorization": f"Bearer {secret}"})
    assert one.get_json()["stage"] == 3


def test_the_demo_no_longer_claims_outcomes_it_has_not_verified(db_session):
    load_demo(date(2026, 11, 22))
    with system_scope("test", db_session):
        furthest = (sa.select(sa.func.max(Milestone.stage))
                    .where(Milestone.engagement_id == Engagement.id)
                    .correlate(Engagement).scalar_subquery())
        rows = db_session.execute(
            sa.select(EngagementParticipant.organisation_id, furthest, progress.stage_sql(),
                      Engagement.id)
            .join(Engagement, Engagement.id == EngagementParticipant.engagement_id)).all()
        most = max({r[0] for r in rows}, key=lambda org: sum(1 for r in rows if r[0] == org))
        before = sum(1 for r in rows if r[0] == most and r[1] == 4)
        after = [r[3] for r in rows if r[0] == most and r[2] == 4]
        for engagement_id in after:
            milestones = db_session.scalars(
                sa.select(Milestone).where(Milestone.engagement_id == engagement_id)).all()
            assert milestones and all(m.met_on and m.stage == 4 for m in milestones)
    assert before >= 10  # the old "furthest milestone" said 4 on most of them
    assert len(after) < before


def test_the_decision_form_shows_what_was_tried_before(client, db_session):
    from tests.home.conftest import build_dash

    dash = build_dash(db_session)
    login_as(client, dash.a_user, dash.a)
    html = _page(client, f"/engagements/{dash.severe.id}")
    form = html[html.index('class="decision-form"'):].split("</form>")[0]
    tried = form[form.index("data-tried"):].split("</p>")[0]
    # The earlier review was decided: escalate to the ladder's first step, a letter to the board.
    assert 'data-tried="1"' in tried and "Tried so far on this engagement:" in tried
    assert "letter to board" in tried
