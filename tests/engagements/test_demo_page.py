"""The demo's engagement page as a participant sees it: the coalition's dialogue and the
letter open for co-signing."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from engage.companies.models import Company
from engage.demo import load_demo
from engage.engagements.models import Engagement
from engage.organisations.models import Organisation, OrgMembership, OrgRole, User
from engage.tenancy import system_scope
from tests.engagements.conftest import act_as, post


def test_the_demo_letter_is_open_for_co_signing(client, db_session):
    load_demo(date(2026, 11, 22))
    with system_scope("test"):
        engagement_id = db_session.scalar(
            sa.select(Engagement.id).join(Company).where(Company.isin == "SE0000106270"))
        org = db_session.scalar(sa.select(Organisation).where(Organisation.slug == "pf-vakmensen"))
        user = db_session.scalar(sa.select(User).join(OrgMembership).where(
            OrgMembership.organisation_id == org.id, OrgMembership.role == OrgRole.MEMBER))
        org_id, user_id = org.id, user.id
    token = act_as(client, type("U", (), {"id": user_id}), type("O", (), {"id": org_id, "slug": "pf-vakmensen"}))
    page = client.get(f"/engagements/{engagement_id}").get_data(as_text=True)
    assert "Letter to the Board of H &amp; M" in page and ">Co-sign<" in page
    assert "1 signatory" in page and "Consultation in Dhaka" in page
    letter_id = int(page.split('data-letter="')[1].split('"')[0])
    signed = post(client, f"/engagements/letters/{letter_id}/sign", token, htmx=True)
    assert signed.status_code == 200 and "2 signatories" in signed.get_data(as_text=True)
