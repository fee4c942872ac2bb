"""A closed engagement is never shown overdue, wherever it is listed: its unmet milestones
past their date hold nothing back any more."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engage.engagements.models import EngagementStatus
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_ids


@pytest.fixture
def closed(db_session):
    with system_scope("test", db_session):
        org = f.organisation()
        user = f.user(org, role=OrgRole.ADMIN)
        initiative = f.initiative(org)
        company = f.company()
        e = f.engagement(company, org, initiative_=initiative,
                         status=EngagementStatus.CLOSED_NO_PROSPECT,
                         closed_on=f.TODAY - timedelta(days=5))
        f.milestone(e, due_on=f.TODAY - timedelta(days=30))
        f.milestone(e, due_on=f.TODAY + timedelta(days=3))
        ids = {"user": user.id, "org": org.id, "slug": org.slug, "engagement": e.id,
               "company": company.id, "initiative": initiative.id}
        db_session.commit()
    return ids


@pytest.mark.parametrize("path", ["/", "/engagements", "/engagements/{engagement}",
                                  "/companies/{company}", "/initiatives/{initiative}",
                                  "/companies"])
def test_a_closed_engagement_shows_no_overdue_mark(path, client, closed):
    login_ids(client, closed["user"], closed["org"], closed["slug"])
    response = client.get(path.format(**closed))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="overdue' not in html and "data-overdue" not in html
    assert "milestone overdue" not in html and "milestones overdue" not in html
    assert ", overdue" not in html, path
