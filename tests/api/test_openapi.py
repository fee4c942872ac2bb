"""The OpenAPI document is valid, and every operation in it keeps organisations apart.

The tenancy test is driven by the document: each operation it lists must have a case
below (a new route without one fails ``test_every_operation_has_a_tenancy_case``), and each
case is run as organisation B against organisation A's private objects.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from engage.attachments.models import Attachment
from engage.audit.models import AuditEvent
from engage.companies.models import Company, Holding
from engage.engagements.models import (
    DialogueRevision,
    Engagement,
    EngagementInvitation,
    EngagementParticipant,
    Milestone,
    Note,
    Objective,
    SeverityAssessment,
)
from engage.escalations.models import EscalationLadder, LadderStep
from engage.initiatives.models import Initiative
from engage.tenancy import as_organisation
from engage.votes.models import Vote
from openapi_spec_validator import validate

from tests.api.conftest import ApiClient
from tests.conftest import login_as

METHODS = ("get", "post", "put", "patch", "delete")


def operations(document: dict) -> list[tuple[str, str]]:
    return [(method.upper(), path) for path, item in document["paths"].items()
            for method in item if method in METHODS]


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3(document):
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/api/v1"}]
    # Every list is paginated the same way, and every error is a problem document.
    for method, path in operations(document):
        op = document["paths"][path][method.lower()]
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"], (path, status)


def test_the_docs_page_loads_vendored_swagger_ui(client):
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js" in html
    assert "/api/v1/openapi.json" in html
    assert "http://" not in html and "https://" not in html  # no CDN
    assert client.get("/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js").status_code == 200


# --- tenancy, one case per operation -------------------------------------------------------

def _a_invitation(world) -> int:
    """An invitation A sent to a third organisation on a direct engagement of A's (made on
    first use, once per world)."""
    if getattr(world, "a_invitation_id", None) is None:
        from engage.engagements.models import EngagementInvitation
        from engage.extensions import db
        from engage.tenancy import system_scope

        from tests import factories as f

        with system_scope("test invitation"):
            third = f.organisation()
            direct = f.engagement(world.company, world.a, title="A's direct engagement")
            invitation = EngagementInvitation(
                engagement_id=direct.id, organisation_id=third.id,
                invited_by_organisation_id=world.a.id, role="observer",
                engagement_title=direct.title, company_name="x")
            db.session.add(invitation)
            db.session.flush()
            world.a_invitation_id = invitation.id
            db.session.commit()
    return world.a_invitation_id


def _objective(world) -> int:
    """The first objective of A's engagement (the world does not name it)."""
    from engage.extensions import db
    from engage.tenancy import system_scope

    with system_scope("test: the world's objective"):
        return db.session.scalar(sa.select(sa.func.min(Objective.id))
                                 .where(Objective.engagement_id == world.engagement.id))


# kind: "hidden"  B gets 404 for A's object (A itself gets a 2xx for reads);
#       "list"    B's list lacks A's object, which A's list has;
#       "refused" B's write naming A's objects is refused (400/404) and writes nothing;
#       "shared"  reference data every organisation reads (companies);
#       "own"     answers with B's own organisation;
#       "file"    a download: A's has the ``marker`` text, B's has not.
# "upload": the body is a multipart file (the CSV text given), not JSON.
W = Any
CASES: dict[str, dict[str, Any]] = {
    "GET /organisations/me": {"kind": "own"},
    "GET /companies": {"kind": "shared"},
    # B keeps no register (ENGAGE_REGISTER_ORGS): the shared register is not B's to change.
    "POST /companies": {"kind": "refused", "count": Company,
                        "body": {"name": "Garment Co", "isin": "NL0000009165"}},
    "PATCH /companies/{company_id}": {
        "kind": "refused", "count": Company, "params": lambda w: {"company_id": w.company.id},
        "body": {"name": "Renamed by B"}},
    "POST /imports/{kind}": {
        "kind": "refused", "count": Holding, "params": {"kind": "holdings"},
        "upload": "isin,value_eur,valued_on\nNL0000000001,100,2026-06-30\n"},
    "GET /imports/jobs": {"kind": "list", "admin": True, "object": lambda w: w.import_job.id},
    "GET /imports/jobs/{job_id}": {
        "kind": "hidden", "admin": True, "params": lambda w: {"job_id": w.import_job.id}},
    "GET /reports/stewardship/{fmt}": {
        "kind": "file", "params": {"fmt": "csv"}, "marker": lambda w: w.a.name},
    "POST /initiatives": {
        "kind": "refused", "count": Initiative,
        "body": lambda w: {"title": "On A's ladder", "theme": "x", "common_goals": "x",
                           "ladder_id": w.ladder_steps[0].ladder_id}},
    "PATCH /initiatives/{initiative_id}": {
        "kind": "hidden", "params": lambda w: {"initiative_id": w.initiative.id},
        "body": {"title": "Taken over"}},
    "GET /divestment-reviews": {"kind": "list", "object": lambda w: w.divestment.id},
    "GET /tasks": {"kind": "list", "object": lambda w: w.task.id},
    "GET /tasks/{task_id}": {"kind": "hidden", "params": lambda w: {"task_id": w.task.id}},
    "POST /tasks/{task_id}/done": {
        "kind": "hidden", "params": lambda w: {"task_id": w.task.id}},
    "GET /companies/{company_id}": {"kind": "shared",
                                    "params": lambda w: {"company_id": w.company.id}},
    "GET /initiatives": {"kind": "list", "object": lambda w: w.initiative.id},
    "GET /initiatives/{initiative_id}": {
        "kind": "hidden", "params": lambda w: {"initiative_id": w.initiative.id}},
    "GET /initiatives/{initiative_id}/members": {
        "kind": "hidden", "params": lambda w: {"initiative_id": w.initiative.id}},
    "POST /initiatives/{initiative_id}/members": {
        "kind": "hidden", "params": lambda w: {"initiative_id": w.initiative.id},
        "body": {"role": "supporter", "committed_resources": "one analyst",
                 "independence_confirmed": True}},
    "GET /initiatives/{initiative_id}/ladder": {
        "kind": "hidden", "params": lambda w: {"initiative_id": w.initiative.id}},
    "PUT /initiatives/{initiative_id}/ladder": {
        "kind": "hidden", "params": lambda w: {"initiative_id": w.initiative.id},
        "body": {"steps": [{"kind": "divestment_review", "wait_days": 1}]}, "count": LadderStep},
    "PATCH /initiatives/{initiative_id}/members/{member_id}": {
        "kind": "hidden", "body": {"status": "declined", "reason": "Not ours to decide"},
        "params": lambda w: {"initiative_id": w.initiative.id, "member_id": w.member.id}},
    "PUT /initiatives/{initiative_id}/members/{member_id}/commitment": {
        "kind": "hidden", "body": {"committed_resources": "Ours now"},
        "params": lambda w: {"initiative_id": w.initiative.id, "member_id": w.member.id}},
    "POST /initiatives/{initiative_id}/members/{member_id}/leave": {
        "kind": "hidden", "body": {},
        "params": lambda w: {"initiative_id": w.initiative.id, "member_id": w.member.id}},
    "POST /initiatives/{initiative_id}/members/{member_id}/removal": {
        "kind": "hidden", "body": {"reason": "Not ours to remove"},
        "params": lambda w: {"initiative_id": w.initiative.id, "member_id": w.member.id}},
    "POST /initiatives/{initiative_id}/coordinator": {
        "kind": "hidden", "body": lambda w: {"member_id": w.member.id},
        "params": lambda w: {"initiative_id": w.initiative.id}},
    "GET /initiatives/{initiative_id}/attestations": {
        "kind": "hidden", "params": lambda w: {"initiative_id": w.initiative.id}},
    "GET /attestation-text": {"kind": "shared"},
    "GET /engagements": {"kind": "list", "object": lambda w: w.engagement.id},
    "POST /engagements": {
        "kind": "refused", "count": Engagement,
        "body": lambda w: {"company_id": w.company.id, "initiative_id": w.initiative.id,
                           "title": "Taken over", "issue": "x", "trigger": "reactive",
                           "severity_scale": 3, "severity_scope": 3,
                           "severity_irremediability": 3, "started_on": "2026-01-01"}},
    "GET /engagements/{engagement_id}": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id}},
    "GET /engagements/{engagement_id}/milestones": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id}},
    "POST /engagements/{engagement_id}/milestones": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id},
        "body": {"title": "Ours now", "due_on": "2027-01-01"}, "count": Milestone},
    "GET /engagements/{engagement_id}/milestones/{milestone_id}": {
        "kind": "hidden",
        "params": lambda w: {"engagement_id": w.engagement.id, "milestone_id": w.milestone.id}},
    "PATCH /engagements/{engagement_id}/milestones/{milestone_id}": {
        "kind": "hidden", "body": {"stage": 4},
        "params": lambda w: {"engagement_id": w.engagement.id, "milestone_id": w.milestone.id}},
    "GET /engagements/{engagement_id}/objectives": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id}},
    "POST /engagements/{engagement_id}/objectives": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id},
        "body": {"kind": "other", "description": "Ours now"}, "count": Objective},
    "GET /engagements/{engagement_id}/objectives/{objective_id}": {
        "kind": "hidden",
        "params": lambda w: {"engagement_id": w.engagement.id, "objective_id": _objective(w)}},
    "PATCH /engagements/{engagement_id}/objectives/{objective_id}": {
        "kind": "hidden", "body": {"status": "abandoned", "reason": "Closed by B"},
        "params": lambda w: {"engagement_id": w.engagement.id, "objective_id": _objective(w)}},
    "PATCH /engagements/{engagement_id}": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id},
        "body": {"title": "Renamed by B"}},
    "GET /engagements/{engagement_id}/severity-assessments": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id}},
    "POST /engagements/{engagement_id}/severity-assessments": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id},
        "body": {"severity_scale": 1, "severity_scope": 1, "severity_irremediability": 1,
                 "reason": "B thinks it minor"}, "count": SeverityAssessment},
    "POST /engagements/{engagement_id}/milestones/{milestone_id}/cancel": {
        "kind": "hidden", "body": {"reason": "Cancelled by B"},
        "params": lambda w: {"engagement_id": w.engagement.id, "milestone_id": w.milestone.id}},
    "PATCH /engagements/{engagement_id}/dialogue/{entry_id}": {
        "kind": "hidden", "body": {"summary": "Rewritten by B", "reason": "B"},
        "params": lambda w: {"engagement_id": w.engagement.id, "entry_id": w.private_dialogue.id},
        "count": DialogueRevision},
    "GET /engagements/{engagement_id}/dialogue/{entry_id}/revisions": {
        "kind": "hidden",
        "params": lambda w: {"engagement_id": w.engagement.id, "entry_id": w.private_dialogue.id}},
    "GET /engagements/{engagement_id}/dialogue": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id}},
    "POST /engagements/{engagement_id}/dialogue": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id},
        "body": {"kind": "call", "occurred_on": "2026-11-01", "summary": "Listened in"}},
    "GET /engagements/{engagement_id}/participants": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id}},
    "POST /engagements/{engagement_id}/participants": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id}},
    "GET /invitations": {"kind": "list", "object": _a_invitation,
                         "query": {"direction": "sent"}},
    "GET /engagements/{engagement_id}/invitations": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id}},
    "POST /engagements/{engagement_id}/invitations": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id},
        "body": lambda w: {"organisation_id": w.b.id, "role": "observer"},
        "count": EngagementInvitation},
    "POST /invitations/{invitation_id}/accept": {
        "kind": "hidden", "params": lambda w: {"invitation_id": _a_invitation(w)}},
    "POST /invitations/{invitation_id}/decline": {
        "kind": "hidden", "params": lambda w: {"invitation_id": _a_invitation(w)}},
    "POST /invitations/{invitation_id}/withdraw": {
        "kind": "hidden", "params": lambda w: {"invitation_id": _a_invitation(w)}},
    "POST /engagements/{engagement_id}/leave": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id},
        "count": EngagementParticipant},
    "GET /engagements/{engagement_id}/notes": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id}},
    "POST /engagements/{engagement_id}/notes": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id},
        "body": {"body": "B's note on A's engagement"}, "count": Note},
    "GET /engagements/{engagement_id}/notes/{note_id}": {
        "kind": "hidden",
        "params": lambda w: {"engagement_id": w.engagement.id, "note_id": w.note.id}},
    "PATCH /engagements/{engagement_id}/notes/{note_id}": {
        "kind": "hidden", "body": {"body": "Changed by B"},
        "params": lambda w: {"engagement_id": w.engagement.id, "note_id": w.note.id}},
    "DELETE /engagements/{engagement_id}/notes/{note_id}": {
        "kind": "hidden", "count": Note,
        "params": lambda w: {"engagement_id": w.engagement.id, "note_id": w.note.id}},
    "GET /engagements/{engagement_id}/dialogue/{entry_id}/attachments": {
        "kind": "hidden",
        "params": lambda w: {"engagement_id": w.engagement.id, "entry_id": w.dialogue.id}},
    "POST /engagements/{engagement_id}/dialogue/{entry_id}/attachments": {
        "kind": "hidden", "count": Attachment,
        "params": lambda w: {"engagement_id": w.engagement.id, "entry_id": w.dialogue.id}},
    "GET /engagements/{engagement_id}/milestones/{milestone_id}/attachments": {
        "kind": "hidden",
        "params": lambda w: {"engagement_id": w.engagement.id, "milestone_id": w.milestone.id}},
    "POST /engagements/{engagement_id}/milestones/{milestone_id}/attachments": {
        "kind": "hidden", "count": Attachment,
        "params": lambda w: {"engagement_id": w.engagement.id, "milestone_id": w.milestone.id}},
    "GET /letters/{letter_id}/attachments": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.letter.id}},
    "POST /letters/{letter_id}/attachments": {
        "kind": "hidden", "count": Attachment, "params": lambda w: {"letter_id": w.letter.id}},
    "GET /attachments/{attachment_id}": {
        "kind": "hidden", "params": lambda w: {"attachment_id": w.attachment.id}},
    "GET /attachments/{attachment_id}/content": {
        "kind": "hidden", "params": lambda w: {"attachment_id": w.attachment.id}},
    "DELETE /attachments/{attachment_id}": {
        "kind": "hidden", "count": Attachment,
        "params": lambda w: {"attachment_id": w.attachment.id}},
    "GET /reviews": {"kind": "list", "object": lambda w: w.review.id},
    "GET /reviews/{review_id}": {"kind": "hidden", "params": lambda w: {"review_id": w.review.id}},
    "GET /reviews/{review_id}/decision": {
        "kind": "hidden", "params": lambda w: {"review_id": w.review.id}, "a_status": 404},
    "POST /reviews/{review_id}/decision": {
        "kind": "hidden", "params": lambda w: {"review_id": w.review.id},
        "body": {"kind": "close", "close_outcome": "success", "reason": "Not ours to close"}},
    "GET /divestment-reviews/{divestment_review_id}": {
        "kind": "hidden", "params": lambda w: {"divestment_review_id": w.divestment.id}},
    "POST /divestment-reviews/{divestment_review_id}/answer": {
        "kind": "hidden", "params": lambda w: {"divestment_review_id": w.divestment.id},
        "body": {"leverage_left": "Answered by B"}},
    "GET /letters": {"kind": "list", "object": lambda w: w.letter.id},
    "GET /letters/{letter_id}": {"kind": "hidden", "params": lambda w: {"letter_id": w.letter.id}},
    "GET /letters/{letter_id}/pdf": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.letter.id}},
    "GET /letters/{letter_id}/signatures": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.letter.id}},
    "POST /letters/{letter_id}/signatures": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.letter.id}},
    "POST /letters/{letter_id}/send": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.letter.id},
        "body": {"channel": "email"}},
    "PATCH /letters/{letter_id}": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.letter.id},
        "body": {"body_text": "Rewritten by B"}},
    "POST /letters/{letter_id}/open": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.letter.id}},
    "POST /letters/{letter_id}/return-to-draft": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.letter.id},
        "body": {"withdraw_signatures": True}},
    "GET /letters/{letter_id}/declines": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.letter.id}},
    "POST /letters/{letter_id}/declines": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.letter.id},
        "body": {"reason": "Not ours"}},
    "POST /letters/{letter_id}/answer": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.letter.id},
        "body": {"summary": "We will publish a plan"}},
    "POST /letters/{letter_id}/publish": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.resolution.id},
        "body": {"published_in": "website"}},
    "POST /letters/{letter_id}/ask": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.resolution.id},
        "body": {"asked_how": "at_the_meeting"}},
    "POST /letters/{letter_id}/file": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.resolution.id},
        "body": {"channel": "email"}},
    "GET /letters/{letter_id}/resolution": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.resolution.id}},
    "PATCH /letters/{letter_id}/resolution": {
        "kind": "hidden", "params": lambda w: {"letter_id": w.resolution.id},
        "body": {"threshold_eur": "1"}},
    "GET /votes": {"kind": "list", "object": lambda w: w.vote.id},
    "GET /votes/{vote_id}": {"kind": "hidden", "params": lambda w: {"vote_id": w.vote.id}},
    "POST /votes": {
        "kind": "refused", "count": Vote,
        "body": lambda w: {"company_id": w.company.id, "engagement_id": w.engagement.id,
                           "agm_on": "2027-05-01", "item": "Linked to A's engagement",
                           "instruction": "against"}},
    "PATCH /votes/{vote_id}": {
        "kind": "hidden", "params": lambda w: {"vote_id": w.vote.id},
        "body": {"instruction": "for", "rationale": "Changed by B"}},
    "GET /notifications": {"kind": "list", "object": lambda w: w.notification.id},
    "GET /audit-events": {"kind": "list", "admin": True, "object": lambda w: w.audit_event_id},
    "GET /audit-events/{event_id}": {
        "kind": "hidden", "admin": True, "params": lambda w: {"event_id": w.audit_event_id}},
    "GET /engagements/{engagement_id}/ladder": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id}},
    "PUT /engagements/{engagement_id}/ladder": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id},
        "body": {"steps": [{"kind": "divestment_review", "wait_days": 1}]},
        "count": EscalationLadder},
    "DELETE /engagements/{engagement_id}/ladder": {
        "kind": "hidden", "params": lambda w: {"engagement_id": w.engagement.id},
        "count": EscalationLadder},
    "GET /ladder-templates": {"kind": "list", "object": lambda w: w.template.id},
    "POST /ladder-templates": {
        "kind": "refused", "admin": True, "count": EscalationLadder,
        "body": lambda w: {"name": "Taken over", "copy_from": w.template.id}},
    "GET /ladder-templates/{ladder_id}": {
        "kind": "hidden", "params": lambda w: {"ladder_id": w.template.id}},
    "PUT /ladder-templates/{ladder_id}": {
        "kind": "hidden", "admin": True, "params": lambda w: {"ladder_id": w.template.id},
        "body": {"name": "Taken over", "steps": [{"kind": "legal_action", "wait_days": 1}]},
        "count": LadderStep},
    "DELETE /ladder-templates/{ladder_id}": {
        "kind": "hidden", "admin": True, "params": lambda w: {"ladder_id": w.template.id},
        "count": EscalationLadder},
}


def test_every_operation_has_a_tenancy_case(document):
    missing = [f"{m} {p}" for m, p in operations(document) if f"{m} {p}" not in CASES]
    assert not missing, f"operations without a tenancy case in CASES: {missing}"
    stale = set(CASES) - {f"{m} {p}" for m, p in operations(document)}
    assert not stale, f"cases for operations the document no longer has: {stale}"


def _value(case: dict, key: str, world, default=None):
    value = case.get(key, default)
    return value(world) if callable(value) else value


def _clients(app, world, admin: bool) -> tuple[ApiClient, ApiClient]:
    """A's and B's clients: write tokens, or admin sessions for admin-only resources."""
    if not admin:
        return (ApiClient(app.test_client(), world.tokens["a_write"]),
                ApiClient(app.test_client(), world.tokens["b_write"]))
    a, b = app.test_client(), app.test_client()
    login_as(a, world.a_admin, world.a)
    login_as(b, world.b_admin, world.b)
    return ApiClient(a, None), ApiClient(b, None)


def _count(db_session, model, org_id) -> int:
    with as_organisation(org_id):
        return db_session.scalar(sa.select(sa.func.count()).select_from(model))


def _session_write(api: ApiClient, method: str, path: str, body, upload: str | None = None):
    """Session clients send the CSRF token, as the docs page and htmx do."""
    from tests.oidc_support import csrf_token

    kw: dict[str, Any] = {"json": body}
    if upload is not None:
        kw = {"data": {"file": (io.BytesIO(upload.encode()), "positions.csv")},
              "content_type": "multipart/form-data"}
    if api.headers:
        return api.request(method, path, **kw)
    return api.request(method, path, headers={"X-CSRFToken": csrf_token(api.client)}, **kw)


@pytest.mark.parametrize("operation", sorted(CASES))
def test_organisation_b_cannot_reach_organisation_a(operation, app, client, db_session,
                                                    api_world, document):
    method, path = operation.split(" ", 1)
    assert path in document["paths"]
    case = CASES[operation]
    world = api_world
    with as_organisation(world.a.id):
        world.audit_event_id = db_session.scalar(
            sa.select(sa.func.max(AuditEvent.id)).where(AuditEvent.organisation_id == world.a.id))
    a, b = _clients(app, world, case.get("admin", False))
    url = path.format(**(_value(case, "params", world) or {}))
    body = _value(case, "body", world)
    kind = case["kind"]
    if kind == "own":
        assert b.get(url).get_json()["id"] == world.b.id
    elif kind == "shared":
        assert b.get(url).status_code == 200
    elif kind == "file":
        marker = _value(case, "marker", world)
        mine, theirs = a.get(url), b.get(url)
        assert mine.status_code == theirs.status_code == 200
        assert marker in mine.get_data(as_text=True)
        assert marker not in theirs.get_data(as_text=True)
    elif kind == "list":
        object_id = _value(case, "object", world)
        query = {"per_page": 100, **case.get("query", {})}
        seen_by_a = [i["id"] for i in a.get(url, query_string=query).get_json()["items"]]
        assert object_id in seen_by_a
        response = b.get(url, query_string=query)
        assert response.status_code == 200
        assert object_id not in [i["id"] for i in response.get_json()["items"]]
    elif kind == "hidden":
        if method == "GET":
            assert a.get(url).status_code == case.get("a_status", 200)
        model = case.get("count")
        before = _count(db_session, model, world.a.id) if model else None
        response = _session_write(b, method, url, body) if method != "GET" else b.get(url)
        assert response.status_code == 404, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        if model:
            assert _count(db_session, model, world.a.id) == before
    elif kind == "refused":
        model = case["count"]
        before = _count(db_session, model, world.b.id)
        response = _session_write(b, method, url, body, case.get("upload"))
        assert response.status_code in (400, 403, 404), response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        assert _count(db_session, model, world.b.id) == before
    else:  # pragma: no cover
        raise AssertionError(f"unknown case kind {kind}")


def test_the_docs_page_leads_back_to_engage_and_has_the_favicon(client):
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert '<a href="/" data-back-home>Back to Engage</a>' in html
    assert 'rel="icon" href="/static/img/favicon.svg"' in html
