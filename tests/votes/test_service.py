"""The voting rules: an organisation records its own votes; a vote moves forward only
(proposed, instructed, cast); casting needs a rationale, and so does departing from what
the engagement asked; a cast vote is final."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from engage.companies import service as companies
from engage.companies.models import Company
from engage.extensions import db
from engage.notifications.models import Notification, NotificationKind
from engage.organisations.models import User
from engage.tenancy import as_organisation, system_scope
from engage.votes import service
from engage.votes.models import Vote, VoteInstruction, VoteStatus
from engage.votes.service import VoteError, VoteFinal

from tests import factories as f
from tests.votes.conftest import load, vote_audits


def _act(votes, org=None, user=None):
    w = votes.w
    org = org or w.lead
    user = user or w.lead_user
    return {"actor": db.session.get(User, user.id), "organisation_id": org.id}


def _record(votes, **kw):
    data = {"company_id": votes.w.company.id, "agm_on": votes.agm.isoformat(),
            "item": "Approval of the remuneration report", "instruction": "against",
            "rationale": "", "status": "instructed"}
    data.update(kw)
    with as_organisation(votes.w.lead.id):
        vote = service.record_vote(**_act(votes), **data)
        db.session.commit()
        return vote.id


def _update(votes, vote_id, org=None, user=None, **changes):
    with as_organisation((org or votes.w.lead).id):
        vote = db.session.get(Vote, vote_id)
        try:
            service.update_vote(vote, **_act(votes, org, user), **changes)
        except VoteError:
            db.session.rollback()
            raise
        db.session.commit()


def test_recording_a_vote_writes_it_with_an_audit_event(db_session, votes):
    vote_id = _record(votes, engagement_id=str(votes.w.engagement.id), rationale="Pay gap")
    v = load(db_session, vote_id)
    assert (v.organisation_id, v.company_id, v.engagement_id) == (
        votes.w.lead.id, votes.w.company.id, votes.w.engagement.id)
    assert (v.instruction, v.status, v.rationale, v.agm_on) == (
        VoteInstruction.AGAINST, VoteStatus.INSTRUCTED, "Pay gap", votes.agm)
    assert v.requested_instruction is None
    assert vote_audits(db_session, vote_id) == ["vote.create"]


@pytest.mark.parametrize("changes, field, message", [
    ({"item": ""}, "item", "cannot be empty"),
    ({"item": "x" * 301}, "item", "At most 300 characters"),
    ({"agm_on": "next spring"}, "agm_on", "is not a date"),
    ({"agm_on": ""}, "agm_on", "Give a date"),
    ({"instruction": "maybe"}, "instruction", "not one of the options"),
    ({"status": "proposed"}, "status", "instructed or cast"),
    ({"status": "cast"}, "rationale", "rationale"),
    ({"company_id": "999999"}, "company_id", "Choose a company"),
    ({"company_id": "abc"}, "company_id", "Choose a company"),
])
def test_bad_input_is_refused_before_anything_is_written(db_session, votes, changes, field,
                                                         message):
    with system_scope("test"):
        before = db_session.scalar(sa.select(sa.func.count()).select_from(Vote))
    with pytest.raises(VoteError) as caught:
        _record(votes, **changes)
    assert message in caught.value.errors[field]
    db_session.rollback()
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Vote)) == before


def test_the_engagement_must_be_visible_and_on_the_same_company(db_session, votes):
    with pytest.raises(VoteError) as caught:
        _record(votes, engagement_id=votes.other_engagement)
    assert "another company" in caught.value.errors["engagement_id"]
    db_session.rollback()
    # The outsider's engagement with the same company is not shared with the lead.
    with pytest.raises(VoteError) as caught:
        _record(votes, engagement_id=votes.outsider_engagement)
    assert "Choose one of your organisation's engagements" in caught.value.errors["engagement_id"]


def test_one_vote_per_item_and_agm(db_session, votes):
    _record(votes)
    with pytest.raises(VoteError) as caught:
        _record(votes, instruction="for")
    assert "already" in caught.value.errors["item"]


def test_a_vote_cast_directly_with_a_rationale(db_session, votes):
    vote_id = _record(votes, status="cast", rationale="The report ignores the living wage")
    assert load(db_session, vote_id).status is VoteStatus.CAST


def test_each_transition_forward_and_never_back(db_session, votes):
    asked = votes.asked
    # proposed -> instructed, following the ask: no rationale needed yet.
    _update(votes, asked, status="instructed")
    assert load(db_session, asked).status is VoteStatus.INSTRUCTED
    # instructed -> proposed: refused.
    with pytest.raises(VoteError) as caught:
        _update(votes, asked, status="proposed")
    assert "forward only" in caught.value.errors["status"]
    # instructed -> cast needs the rationale.
    with pytest.raises(VoteError) as caught:
        _update(votes, asked, status="cast")
    assert "rationale" in caught.value.errors["rationale"]
    assert load(db_session, asked).status is VoteStatus.INSTRUCTED
    _update(votes, asked, status="cast", rationale="We share the coalition's concern.")
    v = load(db_session, asked)
    assert (v.status, v.rationale) == (VoteStatus.CAST, "We share the coalition's concern.")
    # Cast is final: any further change is refused.
    for changes in ({"instruction": "for"}, {"rationale": "changed"}, {"status": "cast"}):
        with pytest.raises(VoteFinal):
            _update(votes, asked, **changes)
    assert load(db_session, asked).instruction is VoteInstruction.AGAINST
    assert vote_audits(db_session, asked).count("vote.update") == 2


def test_proposed_straight_to_cast(db_session, votes):
    _update(votes, votes.asked, status="cast", instruction="against", rationale="As asked.")
    assert load(db_session, votes.asked).status is VoteStatus.CAST


def test_departing_from_the_ask_needs_a_rationale_already_when_instructed(db_session, votes):
    with pytest.raises(VoteError) as caught:
        _update(votes, votes.asked, instruction="for", status="instructed")
    assert "differs from what the engagement asked" in caught.value.errors["rationale"]
    # Still a proposal, the instruction may change freely.
    _update(votes, votes.asked, instruction="abstain")
    assert load(db_session, votes.asked).instruction is VoteInstruction.ABSTAIN
    with pytest.raises(VoteError):
        _update(votes, votes.asked, status="instructed")
    _update(votes, votes.asked, status="instructed",
            rationale="The company has published a credible plan since.")
    v = load(db_session, votes.asked)
    assert (v.instruction, v.status) == (VoteInstruction.ABSTAIN, VoteStatus.INSTRUCTED)
    # Once instructed against the ask, the rationale cannot be emptied.
    with pytest.raises(VoteError):
        _update(votes, votes.asked, rationale="  ")


def test_unknown_fields_and_another_organisations_vote_are_refused(db_session, votes):
    with pytest.raises(VoteError):
        _update(votes, votes.asked, engagement_id=1)
    # The outsider's vote is invisible to the lead...
    with as_organisation(votes.w.lead.id):
        assert db.session.get(Vote, votes.outsider_vote) is None
    # ...and the service refuses it even when handed the object.
    with system_scope("test"):
        foreign = db.session.get(Vote, votes.outsider_vote)
    with as_organisation(votes.w.lead.id), pytest.raises(VoteError) as caught:
        service.update_vote(foreign, **_act(votes), instruction="for")
    assert "another organisation" in str(caught.value)


def test_a_viewer_and_a_stranger_cannot_vote(db_session, votes):
    with as_organisation(votes.w.lead.id), pytest.raises(VoteError) as caught:
        service.record_vote(actor=db.session.get(User, votes.viewer.id),
                            organisation_id=votes.w.lead.id, company_id=votes.w.company.id,
                            agm_on=votes.agm, item="x", instruction="for")
    assert "viewer" in str(caught.value)
    with as_organisation(votes.w.lead.id), pytest.raises(VoteError) as caught:
        service.record_vote(actor=db.session.get(User, votes.w.outsider_user.id),
                            organisation_id=votes.w.lead.id, company_id=votes.w.company.id,
                            agm_on=votes.agm, item="x", instruction="for")
    assert "do not act for" in str(caught.value)


def test_followers_of_the_company_hear_of_a_recorded_vote(db_session, votes):
    with system_scope("test"):
        colleague = f.user(db_session.get(type(votes.w.lead), votes.w.lead.id))
        db_session.flush()
        colleague_id = colleague.id
    with as_organisation(votes.w.lead.id):
        companies.follow(db.session.get(Company, votes.w.company.id),
                         actor=db.session.get(User, colleague_id))
        companies.follow(db.session.get(Company, votes.w.company.id),
                         actor=db.session.get(User, votes.w.lead_user.id))
        db.session.commit()
    with as_organisation(votes.w.lead.id):
        db.session.info["engage.actor_id"] = votes.w.lead_user.id
        _record_in_scope = service.record_vote(
            **_act(votes), company_id=votes.w.company.id, agm_on=votes.agm,
            item="Discharge of the board", instruction="against")
        vote_id = _record_in_scope.id
        db.session.commit()
    with system_scope("test"):
        told = db_session.execute(sa.select(Notification.user_id, Notification.link).where(
            Notification.kind == NotificationKind.COMPANY_VOTE)).all()
    # The colleague is told; the person who recorded it is not.
    assert [u for u, _ in told] == [colleague_id]
    assert vote_id and told[0][1].endswith("#votes")
    # A refused vote tells nobody.
    with pytest.raises(VoteError):
        _record(votes, item="Discharge of the board")
    db_session.rollback()
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.kind == NotificationKind.COMPANY_VOTE)) == 1


def test_the_report_counts_a_cast_vote_that_matched_the_ask(db_session, votes):
    from engage.reports.service import build_report

    _update(votes, votes.asked, status="cast", rationale="We share the coalition's concern.")
    start, end = votes.agm - timedelta(days=365), votes.agm + timedelta(days=1)
    with as_organisation(votes.w.lead.id):
        report = build_report(votes.w.lead.id, start, end)
    assert [(v.item, v.status, v.matched) for v in report.votes] == [
        ("Re-election of the directors responsible for wages", "cast", True)]
    assert (report.votes_with_request, report.votes_matched) == (1, 1)
    assert report.votes[0].rationale == "We share the coalition's concern."
