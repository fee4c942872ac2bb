"""Votes in the browser: each own vote's row becomes a form in place (htmx) or a page
(without JavaScript); the company page records a vote."""

from __future__ import annotations

import sqlalchemy as sa
from engage.tenancy import system_scope
from engage.votes.models import Vote, VoteInstruction, VoteStatus

from tests.engagements.conftest import HX, act_as, post
from tests.votes.conftest import load, vote_audits


def _vote_count(db_session) -> int:
    with system_scope("test"):
        return db_session.scalar(sa.select(sa.func.count()).select_from(Vote))


def test_the_engagement_page_decides_a_vote_in_place(client, db_session, votes):
    vid, w = votes.asked, votes.w
    token = act_as(client, w.lead_user, w.lead)
    page = client.get(f"/engagements/{w.engagement.id}").get_data(as_text=True)
    assert f'id="vote-{vid}"' in page
    assert f'hx-get="/votes/{vid}/edit?back=engagement"' in page
    assert f'data-vote="{votes.outsider_vote}"' not in page
    form = client.get(f"/votes/{vid}/edit?back=engagement", headers=HX)
    text = form.get_data(as_text=True)
    assert form.status_code == 200 and text.lstrip().startswith("<tr") and "<html" not in text
    assert f'hx-post="/votes/{vid}"' in text and 'data-ask="against"' in text
    assert "decides its own vote independently" in text
    saved = post(client, f"/votes/{vid}", token, htmx=True, back="engagement",
                 instruction="against", status="cast", rationale="As the coalition asked.")
    row = saved.get_data(as_text=True)
    assert saved.status_code == 200 and row.lstrip().startswith("<tr"), row
    assert 'data-status="cast"' in row and "As the coalition asked." in row
    assert "/edit" not in row  # cast is final: nothing left to decide
    v = load(db_session, vid)
    assert (v.status, v.rationale) == (VoteStatus.CAST, "As the coalition asked.")
    assert "vote.update" in vote_audits(db_session, vid)
    # Cancel's row, and the final vote's form refuses.
    assert 'data-status="cast"' in client.get(f"/votes/{vid}", headers=HX).get_data(as_text=True)
    assert client.get(f"/votes/{vid}/edit", headers=HX).status_code == 400
    again = post(client, f"/votes/{vid}", token, htmx=True, instruction="for")
    assert again.status_code == 400 and "final" in again.get_data(as_text=True)


def test_bad_decision_gets_400_and_the_form_with_the_message(client, db_session, votes):
    vid, w = votes.asked, votes.w
    token = act_as(client, w.lead_user, w.lead)
    for form, message in [
        ({"status": "cast", "rationale": ""}, "Give the rationale"),
        ({"instruction": "for", "status": "instructed", "rationale": ""}, "differs from what"),
        ({"instruction": "maybe"}, "is not one of the options"),
    ]:
        response = post(client, f"/votes/{vid}", token, htmx=True, **form)
        text = response.get_data(as_text=True)
        assert response.status_code == 400 and message in text, (form, text)
        assert text.lstrip().startswith("<tr") and 'role="alert"' in text
    assert load(db_session, vid).status is VoteStatus.PROPOSED


def test_without_javascript_the_form_is_a_page_and_save_redirects(client, db_session, votes):
    vid, w = votes.asked, votes.w
    token = act_as(client, w.lead_user, w.lead)
    page = client.get(f"/votes/{vid}/edit?back=engagement").get_data(as_text=True)
    assert "<html" in page and 'name="rationale"' in page and 'name="back" value="engagement"' in page
    bad = post(client, f"/votes/{vid}", token, back="engagement", status="cast", rationale="")
    assert bad.status_code == 400 and "<html" in bad.get_data(as_text=True)
    saved = post(client, f"/votes/{vid}", token, back="engagement", status="instructed",
                 instruction="against", rationale="")
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"/engagements/{w.engagement.id}#vote-{vid}")
    assert load(db_session, vid).status is VoteStatus.INSTRUCTED
    # From the company page, back to the company page.
    saved = post(client, f"/votes/{vid}", token, back="company", rationale="Noted")
    assert saved.headers["Location"].endswith(f"/companies/{w.company.id}#vote-{vid}")
    assert client.get(f"/votes/{vid}").status_code == 303


def test_another_organisations_vote_is_404_and_a_viewer_is_refused(client, db_session, votes):
    w = votes.w
    token = act_as(client, w.lead_user, w.lead)
    assert client.get(f"/votes/{votes.outsider_vote}/edit", headers=HX).status_code == 404
    assert post(client, f"/votes/{votes.outsider_vote}", token, instruction="for").status_code == 404
    token = act_as(client, votes.viewer, w.lead)
    page = client.get(f"/companies/{w.company.id}").get_data(as_text=True)
    assert f'data-vote="{votes.asked}"' in page
    assert "/edit" not in page and "Record a vote" not in page
    assert post(client, f"/votes/{votes.asked}", token, instruction="for").status_code == 403
    assert post(client, "/votes", token, company_id=w.company.id, agm_on="2027-05-01",
                item="x", instruction="for").status_code == 403
    assert load(db_session, votes.asked).instruction is VoteInstruction.AGAINST


def test_the_company_page_records_a_vote(client, db_session, votes):
    w = votes.w
    token = act_as(client, w.lead_user, w.lead)
    page = client.get(f"/companies/{w.company.id}").get_data(as_text=True)
    assert "Record a vote" in page
    assert f'name="agm_on" type="date" required value="{votes.agm.isoformat()}"' in page
    assert f'<option value="{w.engagement.id}"' in page
    assert f'<option value="{votes.outsider_engagement}"' not in page  # not the lead's to see
    before = _vote_count(db_session)
    saved = post(client, "/votes", token, company_id=w.company.id, agm_on=votes.agm.isoformat(),
                 item="Approval of the remuneration report", instruction="against",
                 status="instructed", engagement_id=w.engagement.id, rationale="")
    assert saved.status_code == 303 and "#vote-" in saved.headers["Location"]
    assert _vote_count(db_session) == before + 1
    vid = int(saved.headers["Location"].rsplit("-", 1)[1])
    v = load(db_session, vid)
    assert (v.organisation_id, v.engagement_id, v.status) == (
        w.lead.id, w.engagement.id, VoteStatus.INSTRUCTED)
    assert vote_audits(db_session, vid) == ["vote.create"]
    # htmx: the section comes back with the new vote in it.
    section = post(client, "/votes", token, htmx=True, company_id=w.company.id,
                   agm_on=votes.agm.isoformat(), item="Discharge of the board",
                   instruction="for", status="cast", rationale="Board delivered the plan")
    text = section.get_data(as_text=True)
    assert section.status_code == 200 and text.lstrip().startswith('<section')
    assert "Discharge of the board" in text and "<html" not in text
    assert _vote_count(db_session) == before + 2


def test_bad_record_gets_400_with_the_messages(client, db_session, votes):
    w = votes.w
    token = act_as(client, w.lead_user, w.lead)
    before = _vote_count(db_session)
    base = {"company_id": w.company.id, "agm_on": votes.agm.isoformat(), "item": "Item",
            "instruction": "for", "status": "instructed"}
    for changes, message in [
        ({"item": ""}, "cannot be empty"),
        ({"agm_on": "soon"}, "is not a date"),
        ({"status": "cast"}, "Give the rationale"),
        ({"engagement_id": votes.other_engagement}, "another company"),
        ({"engagement_id": votes.outsider_engagement}, "Choose one of your"),
    ]:
        for htmx in (True, False):
            response = post(client, "/votes", token, htmx=htmx, **{**base, **changes})
            text = response.get_data(as_text=True)
            assert response.status_code == 400 and message in text, (changes, htmx)
            assert ("<html" in text) is not htmx
            assert 'role="alert"' in text
    assert post(client, "/votes", token, **{**base, "company_id": "999999"}).status_code == 400
    assert _vote_count(db_session) == before


def test_the_company_page_queries_do_not_grow_with_votes(client, db_session, votes,
                                                         count_queries, monkeypatch):
    from datetime import timedelta

    from tests.votes.conftest import _add_vote

    # The page as drawn (a render-cache miss, as after any write), both times.
    monkeypatch.setitem(client.application.config, "ENGAGE_RENDER_CACHE", False)
    w = votes.w
    act_as(client, w.lead_user, w.lead)
    url = f"/companies/{w.company.id}"
    client.get(url)  # warm: first-use queries of the connection are not the page's
    db_session.commit()  # each measured request begins a transaction (PostgreSQL: set_config)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    with system_scope("test more votes"):
        company = db_session.get(type(w.company), w.company.id)
        for n in range(8):
            _add_vote(w.lead, company, item=f"Item {n}", agm_on=votes.agm + timedelta(days=n))
        db_session.commit()
    with count_queries() as many:
        assert client.get(url).get_data(as_text=True).count("data-vote=") == 9
    assert many.count == few.count
