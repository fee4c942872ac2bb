"""Initiative pages: the list and its filters, the detail page, sign-on, admit and decline."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.initiatives.models import (
    Initiative,
    InitiativeMember,
    InitiativeStatus,
    MemberRole,
    MemberStatus,
)
from engage.notifications.models import Notification, NotificationKind
from engage.tenancy import system_scope

from tests import factories as f
from tests.conftest import login_as
from tests.oidc_support import csrf_token

GOOD = {
    "role": "supporter",
    "committed_resources": "One analyst, 0.5 FTE",
    "aum_committed_eur": "2500000000",
    "conflict_of_interest": "",
    "independence_confirmed": "yes",
}


def _as(client, user, org) -> str:
    login_as(client, user, org)
    return csrf_token(client)


def _count(db_session, model, *where):
    with system_scope("test", db_session):
        return db_session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _sign_on(client, coalition, token, **form):
    return client.post(f"/initiatives/{coalition.initiative.id}/sign-on",
                       data={**GOOD, **form, "csrf_token": token})


def _applications(db_session, coalition):
    return _count(db_session, InitiativeMember,
                  InitiativeMember.organisation_id == coalition.applicant.id)


def test_detail_shows_annex_ii_members_and_the_aum_total(client, db_session, coalition):
    _as(client, coalition.member_user, coalition.member)
    page = client.get(f"/initiatives/{coalition.initiative.id}").get_data(as_text=True)
    for part in ("preparation", "goals", "resources", "escalation"):
        assert f'data-annex="{part}"' in page
    assert "A board-owned commitment to a living wage." in page
    assert "Each lead assesses its companies" in page
    # Coordinator and member each commit 500 million (factories): one billion in total.
    assert 'data-aum-total="1000000000.00"' in page
    assert page.count("data-member=") == 2
    assert 'data-step="1"' in page and 'data-step="2"' in page
    assert "Living wage at Garment Group" in page
    # A supporter gets no "New engagement" link; the coordinator does.
    assert "/engagements/new?initiative=" not in page
    _as(client, coalition.coordinator_user, coalition.coordinator)
    page = client.get(f"/initiatives/{coalition.initiative.id}").get_data(as_text=True)
    assert f"/engagements/new?initiative={coalition.initiative.id}" in page
    # The coordinator cannot sign on (it updates its own commitment there instead).
    assert 'name="independence_confirmed"' not in page
    assert 'id="commitment"' in page


def test_the_aum_total_says_who_stated_it_and_is_never_a_total_of_nothing(client, db_session,
                                                                         coalition):
    """Members need not state their assets: the total is the sum of those stated, says how
    many of the members stated one when not all did, and is "—" (not €0) when none did."""
    from engage.initiatives.models import InitiativeMember

    def aum(stated_by: dict) -> None:
        with system_scope("test", db_session):
            for org, amount in stated_by.items():
                db_session.execute(sa.update(InitiativeMember)
                                   .where(InitiativeMember.organisation_id == org.id)
                                   .values(aum_committed_eur=amount))
            db_session.commit()

    def total() -> str:
        page = client.get(f"/initiatives/{coalition.initiative.id}").get_data(as_text=True)
        return re.search(r'<dd id="aum-total"(.*?)</dd>', page, re.S).group(1)

    def listed() -> str:
        page = client.get("/initiatives").get_data(as_text=True)
        row = re.search(r'<tr[^>]*>(?:(?!</tr>).)*?' + re.escape(coalition.initiative.title)
                        + r'.*?</tr>', page, re.S).group(0)
        return re.sub(r"\s+", " ", row)

    _as(client, coalition.member_user, coalition.member)
    aum({coalition.member: None})
    assert 'data-aum-total="500000000.00"' in total()
    assert "stated by 1 of 2" in total() and "stated by 1 of 2" in listed()
    aum({coalition.coordinator: None})
    assert 'data-aum-total=""' in total() and "—" in total() and "€0" not in total()
    assert "€0" not in listed()
    aum({coalition.member: 1, coalition.coordinator: 2})
    assert 'data-aum-total="3.00"' in total() and "stated by" not in total()


def test_an_outsider_sees_the_totals_but_not_the_declarations_and_can_sign_on(client, db_session, coalition):
    token = _as(client, coalition.applicant_user, coalition.applicant)
    page = client.get(f"/initiatives/{coalition.initiative.id}").get_data(as_text=True)
    assert 'data-aum-total="1000000000.00"' in page
    assert "data-member=" not in page and "Living wage at Garment Group" not in page
    assert "Antitrust guardrail" in page and 'name="independence_confirmed"' in page
    response = _sign_on(client, coalition, token)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-application="pending"' in page
    with system_scope("test", db_session):
        member = db_session.scalar(sa.select(InitiativeMember).where(
            InitiativeMember.organisation_id == coalition.applicant.id))
        assert member.status is MemberStatus.PENDING and member.role is MemberRole.SUPPORTER
        assert member.aum_committed_eur == Decimal(2500000000)
        assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "initiative_member.create",
            AuditEvent.organisation_id == coalition.applicant.id)) == 1
    assert _count(db_session, Notification, Notification.organisation_id == coalition.coordinator.id,
                  Notification.kind == NotificationKind.INITIATIVE_APPLICATION) == 1
    # Signing on twice is refused, with the reason.
    again = _sign_on(client, coalition, token)
    assert again.status_code == 400 and "already applied" in again.get_data(as_text=True)
    assert _applications(db_session, coalition) == 1


@pytest.mark.parametrize("form, message", [
    ({"independence_confirmed": ""}, "decides and votes independently"),
    ({"aum_committed_eur": "-100"}, "cannot be negative"),
    ({"aum_committed_eur": "a lot"}, "Enter an amount in euros"),
    ({"aum_committed_eur": "99999999999999999999999"}, "more than any investor manages"),
    ({"role": "lead"}, "“lead” is not one of the options"),
])
def test_bad_sign_on_is_400_and_writes_nothing(client, db_session, coalition, form, message):
    token = _as(client, coalition.applicant_user, coalition.applicant)
    response = _sign_on(client, coalition, token, **form)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and message in body and 'role="alert"' in body
    assert _applications(db_session, coalition) == 0
    # The htmx variant answers with the form fragment only.
    fragment = client.post(
        f"/initiatives/{coalition.initiative.id}/sign-on", data={**GOOD, **form, "csrf_token": token},
        headers={"HX-Request": "true"})
    assert fragment.status_code == 400 and "<html" not in fragment.get_data(as_text=True)
    assert message in fragment.get_data(as_text=True)
    assert _applications(db_session, coalition) == 0


def test_sign_on_needs_csrf_and_a_writer(client, db_session, coalition):
    _as(client, coalition.applicant_user, coalition.applicant)
    assert client.post(f"/initiatives/{coalition.initiative.id}/sign-on", data=GOOD).status_code == 400
    token = _as(client, coalition.applicant_viewer, coalition.applicant)
    page = client.get(f"/initiatives/{coalition.initiative.id}").get_data(as_text=True)
    assert 'name="independence_confirmed"' not in page and "Your role is viewer" in page
    assert _sign_on(client, coalition, token).status_code == 403
    assert _applications(db_session, coalition) == 0


def test_coordinator_cannot_sign_on(client, db_session, coalition):
    token = _as(client, coalition.coordinator_user, coalition.coordinator)
    response = _sign_on(client, coalition, token)
    assert response.status_code == 400 and "coordinates this initiative" in response.get_data(as_text=True)


def _apply(client, coalition) -> int:
    token = _as(client, coalition.applicant_user, coalition.applicant)
    assert _sign_on(client, coalition, token).status_code == 303
    with system_scope("test"):
        from engage.extensions import db

        return db.session.scalar(sa.select(InitiativeMember.id).where(
            InitiativeMember.organisation_id == coalition.applicant.id))


def test_only_the_coordinator_admits_and_outsiders_get_404(client, db_session, coalition):
    member_id = _apply(client, coalition)
    url = f"/initiatives/{coalition.initiative.id}/members/{member_id}/admit"
    token = _as(client, coalition.member_user, coalition.member)
    refused = client.post(url, data={"csrf_token": token})
    assert refused.status_code == 403 and "coordinating organisation" in refused.get_data(as_text=True)
    token = _as(client, coalition.applicant_user, coalition.applicant)
    assert client.post(url, data={"csrf_token": token}).status_code == 403
    # An initiative the organisation cannot see is 404, never 403.
    token = _as(client, coalition.applicant_user, coalition.applicant)
    hidden = f"/initiatives/{coalition.private_initiative.id}/members/{member_id}/admit"
    assert client.post(hidden, data={"csrf_token": token}).status_code == 404
    assert client.get(f"/initiatives/{coalition.private_initiative.id}").status_code == 404
    # The member id must belong to the initiative in the URL.
    token = _as(client, coalition.stranger_user, coalition.stranger)
    assert client.post(hidden, data={"csrf_token": token}).status_code == 404

    token = _as(client, coalition.coordinator_user, coalition.coordinator)
    page = client.get(f"/initiatives/{coalition.initiative.id}").get_data(as_text=True)
    assert f'action="{url}"' in page
    row = client.post(url, data={"csrf_token": token}, headers={"HX-Request": "true"})
    html = row.get_data(as_text=True)
    assert row.status_code == 200 and "<html" not in html
    assert f'id="member-{member_id}"' in html and 'data-member-status="admitted"' in html
    # The totals update out of band: 1 bn + 2.5 bn.
    assert 'hx-swap-oob="true"' in html and 'data-aum-total="3500000000.00"' in html
    notes = _count(db_session, Notification, Notification.organisation_id == coalition.applicant.id,
                   Notification.kind == NotificationKind.MEMBERSHIP_DECIDED)
    assert notes == 2  # the applicant's admin and viewer
    assert _count(db_session, AuditEvent, AuditEvent.action == "initiative_member.admitted") == 1
    # Deciding twice is refused.
    again = client.post(url, data={"csrf_token": token})
    assert again.status_code == 400  # the page again, saying why
    assert "Only a pending application" in again.get_data(as_text=True)


def test_the_coordinator_declines_without_htmx(client, db_session, coalition):
    member_id = _apply(client, coalition)
    token = _as(client, coalition.coordinator_user, coalition.coordinator)
    url = f"/initiatives/{coalition.initiative.id}/members/{member_id}/decline"
    response = client.post(url, data={"csrf_token": token, "reason": "Full for this season"})
    assert response.status_code == 303
    with system_scope("test", db_session):
        assert db_session.get(InitiativeMember, member_id).status is MemberStatus.DECLINED
        note = db_session.scalar(sa.select(Notification).where(
            Notification.organisation_id == coalition.applicant.id))
        assert "declined" in note.subject and note.body == "Full for this season"
    # The applicant may apply again.
    token = _as(client, coalition.applicant_user, coalition.applicant)
    page = client.get(f"/initiatives/{coalition.initiative.id}").get_data(as_text=True)
    assert "was declined; you may apply again" in page


def _rows(html: str) -> set[str]:
    return set(re.findall(r'data-initiative="(\d+)"', html))


def test_list_filters_and_htmx_fragment(client, db_session, coalition):
    with system_scope("test", db_session):
        other = f.initiative(coalition.stranger, InitiativeStatus.RECRUITING, theme="cobalt",
                             title="Responsible cobalt")
        other_id = other.id
    _as(client, coalition.member_user, coalition.member)
    mine, theirs = str(coalition.initiative.id), str(other_id)
    assert _rows(client.get("/initiatives").get_data(as_text=True)) == {mine, theirs}
    assert _rows(client.get("/initiatives?theme=cobalt").get_data(as_text=True)) == {theirs}
    assert _rows(client.get("/initiatives?status=recruiting").get_data(as_text=True)) == {mine, theirs}
    assert _rows(client.get("/initiatives?status=active").get_data(as_text=True)) == set()
    assert _rows(client.get("/initiatives?mine=supporter").get_data(as_text=True)) == {mine}
    assert _rows(client.get("/initiatives?mine=none").get_data(as_text=True)) == {theirs}
    assert _rows(client.get("/initiatives?mine=coordinator").get_data(as_text=True)) == set()
    assert _rows(client.get("/initiatives?mine=nonsense").get_data(as_text=True)) == {mine, theirs}
    empty = client.get("/initiatives?mine=coordinator").get_data(as_text=True)
    assert "No initiative matches these filters" in empty
    fragment = client.get("/initiatives?theme=cobalt", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and 'id="initiative-rows"' in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
    _as(client, coalition.coordinator_user, coalition.coordinator)
    assert _rows(client.get("/initiatives?mine=coordinator").get_data(as_text=True)) == {mine}
    _as(client, coalition.applicant_user, coalition.applicant)
    _apply(client, coalition)
    assert _rows(client.get("/initiatives?mine=pending").get_data(as_text=True)) == {mine}


def _grow(db_session, coalition, n: int) -> None:
    with system_scope("test", db_session):
        for i in range(n):
            init = f.initiative(coalition.member, InitiativeStatus.RECRUITING, theme="living wage")
            f.member(init, f.organisation(), MemberRole.SUPPORTER)
        db_session.flush()


def test_list_and_detail_query_counts_do_not_grow(client, db_session, coalition, count_queries):
    _as(client, coalition.member_user, coalition.member)
    client.get("/initiatives")
    _grow(db_session, coalition, 2)
    with count_queries() as small:
        assert client.get("/initiatives").status_code == 200
    with count_queries() as small_detail:
        assert client.get(f"/initiatives/{coalition.initiative.id}").status_code == 200
    _grow(db_session, coalition, 30)
    with system_scope("test", db_session):
        for _ in range(30):
            f.member(db_session.get(Initiative, coalition.initiative.id), f.organisation())
    with count_queries() as large:
        page = client.get("/initiatives").get_data(as_text=True)
    with count_queries() as large_detail:
        detail = client.get(f"/initiatives/{coalition.initiative.id}").get_data(as_text=True)
    assert large.count == small.count and large_detail.count == small_detail.count
    assert "Page 1 of" in page and 'rel="next"' in page
    assert detail.count("data-member=") == 32
    second = client.get("/initiatives?page=2&theme=living+wage").get_data(as_text=True)
    assert 'rel="prev"' in second and "theme=living+wage" in second


def test_create_and_edit_an_initiative(client, db_session, coalition):
    token = _as(client, coalition.applicant_user, coalition.applicant)
    assert client.get("/initiatives/new").status_code == 200
    bad = client.post("/initiatives/new", data={"csrf_token": token, "title": "", "theme": "x",
                                                "common_goals": "", "status": "party"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "This cannot be empty." in body
    assert "“party” is not one of the options" in body
    assert _count(db_session, Initiative, Initiative.coordinator_organisation_id == coalition.applicant.id) == 0
    response = client.post("/initiatives/new", data={
        "csrf_token": token, "title": "Deforestation-free soy", "theme": "deforestation",
        "description": "", "common_goals": "Zero deforestation by 2027", "preparation": "",
        "status": "recruiting", "ladder_id": str(coalition.ladder.id)})
    assert response.status_code == 303
    initiative_id = int(re.search(r"/initiatives/(\d+)", response.headers["Location"]).group(1))
    page = client.get(f"/initiatives/{initiative_id}").get_data(as_text=True)
    assert "Deforestation-free soy" in page and 'data-step="2"' in page
    assert 'data-member-status="admitted"' in page  # the coordinator is the lead member
    edited = client.post(f"/initiatives/{initiative_id}/edit", data={
        "csrf_token": token, "title": "Deforestation-free soy and beef", "theme": "deforestation",
        "common_goals": "Zero deforestation by 2027", "status": "recruiting"},
        headers={"HX-Request": "true"})
    assert edited.status_code == 204 and edited.headers["HX-Redirect"].endswith(f"/initiatives/{initiative_id}")
    assert _count(db_session, AuditEvent, AuditEvent.action == "initiative.update",
                  AuditEvent.object_id == str(initiative_id)) == 1
    # Others see it (it recruits) but cannot edit it.
    token = _as(client, coalition.member_user, coalition.member)
    assert client.get(f"/initiatives/{initiative_id}/edit").status_code == 403
    refused = client.post(f"/initiatives/{initiative_id}/edit", data={
        "csrf_token": token, "title": "Taken over", "theme": "x", "common_goals": "y"})
    assert refused.status_code == 403
