"""The dialogue log and the timeline: entries logged by participants, private entries seen
by their own organisation only (on the page and in the htmx fragment), and a page whose
number of queries does not grow with the data."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from engage.engagements import service
from engage.engagements.models import DialogueEntry, Visibility
from engage.escalations import service as engine
from engage.tenancy import as_organisation, system_scope
from tests import factories as f
from tests.engagements.conftest import HX, act_as, audit_actions, post, viewer_of
from tests.escalations.conftest import NOW, TODAY


def _log(client, world, token, htmx=False, **over):
    form = {"kind": "meeting", "occurred_on": (TODAY - timedelta(days=2)).isoformat(),
            "participants": "Head of sourcing; two investors", "summary": "Company agreed to map wages",
            "outcome": "Mapping by March", "visibility": "coalition"}
    form.update(over)
    return post(client, f"/engagements/{world.engagement.id}/dialogue", token, htmx=htmx, **form)


def test_a_participant_logs_dialogue(client, db_session, world):
    token = act_as(client, world.supporter_user, world.supporter)
    response = _log(client, world, token, htmx=True, kind="site_visit")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="dialogue-form"' in text
    # The new entry arrives in the timeline, out of band.
    assert '<div id="timeline" hx-swap-oob="true">' in text and "Company agreed to map wages" in text
    assert "Site visit" in text
    plain = _log(client, world, token, summary="Follow-up call", kind="call")
    assert plain.status_code == 303 and "#dialogue-" in plain.headers["Location"]
    with system_scope("test"):
        summaries = db_session.scalars(sa.select(DialogueEntry.summary)).all()
    assert {"Company agreed to map wages", "Follow-up call"} <= set(summaries)
    assert audit_actions(db_session, "dialogue_entry.create") >= 2


def test_bad_dialogue_is_explained(client, db_session, world):
    token = act_as(client, world.lead_user, world.lead)
    for over, message in [
        ({"summary": "   "}, "cannot be empty"),
        ({"kind": "carrier_pigeon"}, "is not one of the options"),
        ({"occurred_on": "yesterday"}, "is not a date"),
        ({"occurred_on": (TODAY + timedelta(days=400)).isoformat()}, "in the future"),
        ({"visibility": "public"}, "is not one of the options"),
    ]:
        for htmx in (True, False):
            response = _log(client, world, token, htmx=htmx, **over)
            text = response.get_data(as_text=True)
            assert response.status_code == 400 and message in text, over
            assert 'role="alert"' in text and ("<html" in text) is not htmx
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(DialogueEntry)) == 1


def test_only_participants_log_dialogue(client, db_session, world):
    token = act_as(client, world.outsider_user, world.outsider)
    assert _log(client, world, token).status_code == 404
    token = act_as(client, viewer_of(db_session, world.supporter), world.supporter)
    assert _log(client, world, token).status_code == 403


def test_a_private_entry_is_seen_by_its_organisation_only(client, db_session, world):
    token = act_as(client, world.supporter_user, world.supporter)
    _log(client, world, token, summary="Our analyst doubts the wage data", visibility="private")
    mine = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    entry = re.search(r'<li id="dialogue-(\d+)" data-dialogue="\d+" data-visibility="private"', mine)
    assert entry and "Our analyst doubts the wage data" in mine
    assert "Only your organisation sees this entry." in mine and 'class="badge private"' in mine
    fragment = client.get(f"/engagements/{world.engagement.id}/timeline", headers=HX)
    assert "Our analyst doubts the wage data" in fragment.get_data(as_text=True)
    # Another participant sees the coalition's dialogue, not this.
    for user, org in ((world.lead_user, world.lead), (world.co_lead_user, world.co_lead)):
        act_as(client, user, org)
        page = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
        fragment = client.get(f"/engagements/{world.engagement.id}/timeline", headers=HX)
        for html in (page, fragment.get_data(as_text=True)):
            assert "Met the head of sourcing" in html
            assert "Our analyst doubts the wage data" not in html and 'data-visibility="private"' not in html
        assert "<html" not in fragment.get_data(as_text=True)


def test_the_timeline_merges_dialogue_reviews_and_decisions_newest_first(client, db_session, world):
    engine.open_overdue_reviews(NOW)
    token = act_as(client, world.lead_user, world.lead)
    review_id = int(re.search(r'data-review="(\d+)"', client.get(
        f"/engagements/{world.engagement.id}").get_data(as_text=True)).group(1))
    client.post(f"/reviews/{review_id}/decision", data={
        "kind": "escalate", "ladder_step_id": str(world.steps[1].id),
        "reason": "No roadmap after the meeting",
        "skip_reason": "A letter was sent outside the platform already", "csrf_token": token})
    engine.apply_outbox(NOW + timedelta(days=3650))
    html = client.get(f"/engagements/{world.engagement.id}/timeline", headers=HX).get_data(as_text=True)
    order = [m.group(1) for m in re.finditer(
        r'data-(dialogue|timeline-review|timeline-decision|timeline-step)="', html)]
    # The step was carried out after the decision, which followed the review (opened after
    # the dialogue of five days before).
    assert order == ["timeline-step", "timeline-decision", "timeline-review", "dialogue"]
    assert "No roadmap after the meeting" in html and "meeting with board" in html


def _grow(db_session, world, n):
    with system_scope("test", db_session):
        e = db_session.get(type(world.engagement), world.engagement.id)
        lead = db_session.get(type(world.lead), world.lead.id)
        supporter = db_session.get(type(world.supporter), world.supporter.id)
        for i in range(n):
            f.dialogue(e, lead if i % 2 else supporter,
                       Visibility.PRIVATE if i % 3 == 0 else Visibility.COALITION,
                       occurred_on=TODAY - timedelta(days=i))
            f.milestone(e, due_on=TODAY + timedelta(days=i + 1), title=f"Milestone {i}")
        letter = f.letter(e)
        f.signature(letter, supporter)
        db_session.commit()


def test_page_queries_do_not_grow_with_dialogue_and_milestones(client, db_session, world, count_queries):
    act_as(client, world.lead_user, world.lead)
    url = f"/engagements/{world.engagement.id}"
    counts = []
    for extra in (2, 28):
        _grow(db_session, world, extra)
        for target in (url, f"{url}/timeline"):
            with count_queries() as q:
                response = client.get(target, headers=HX if target.endswith("timeline") else {})
            assert response.status_code == 200
            counts.append(q.count)
    assert counts[0] == counts[2] and counts[1] == counts[3], counts


def test_the_service_explains_bad_input_outside_a_request(db_session, world):
    """The API, commands and flows call the same service: its messages need no browser."""
    with as_organisation(world.lead.id):
        engagement = db_session.get(type(world.engagement), world.engagement.id)
        with pytest.raises(service.EngagementError) as caught:
            service.add_dialogue(engagement, actor=world.lead_user, organisation_id=world.lead.id,
                                 kind="telegram", occurred_on="2026-11-01", summary="", now=NOW)
    assert set(caught.value.errors) == {"kind", "summary"}
    assert "cannot be empty" in str(caught.value)
