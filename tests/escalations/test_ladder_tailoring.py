"""The leads tailor an engagement's ladder in the browser: a copy that diverges, marked as
tailored, edited with the same editor and the same retire-not-change rule, and given up
again for the shared ladder. Others read it; only the leads write it."""

from __future__ import annotations

import sqlalchemy as sa

from engage.audit.models import AuditEvent
from engage.engagements.models import Engagement
from engage.escalations.models import EscalationLadder, LadderStep
from engage.extensions import db
from engage.tenancy import system_scope
from tests.conftest import login_as
from tests.oidc_support import csrf_token


def _as(client, user, org) -> str:
    login_as(client, user, org)
    return csrf_token(client)


def _form(token, steps, **extra) -> dict:
    """The editor's fields for ``steps`` (dicts with id, kind, wait_days, descriptions)."""
    data = {"csrf_token": token, **extra}
    for n, step in enumerate(steps, start=1):
        for key in ("id", "kind", "wait_days", "description", "description_nl"):
            data[f"steps-{n}-{key}"] = str(step.get(key, "") or "")
        data[f"steps-{n}-order"] = str(n)
    return data


def _engagement(world) -> Engagement:
    with system_scope("test"):
        return db.session.get(Engagement, world.engagement.id)


def _steps(ladder_id: int, retired: bool = False) -> list[LadderStep]:
    with system_scope("test"):
        return list(db.session.scalars(
            sa.select(LadderStep).where(LadderStep.ladder_id == ladder_id,
                                        LadderStep.retired_at.is_not(None) if retired
                                        else LadderStep.retired_at.is_(None))
            .order_by(LadderStep.position)))


def test_the_lead_tailors_the_ladder_and_the_shared_one_stays(client, db_session, world):
    token = _as(client, world.lead_user, world.lead)
    path = f"/engagements/{world.engagement.id}/ladder"
    page = client.get(path).get_data(as_text=True)
    assert "Tailor the ladder for this engagement" in page and 'data-tailored' not in page
    shared = [dict(id=s.id, kind=s.kind.value, wait_days=s.wait_days) for s in world.steps]
    shared[0]["wait_days"] = 14
    shared[0]["description"] = "A letter to the chair."
    shared[0]["description_nl"] = "Een brief aan de voorzitter."
    response = client.post(path, data=_form(token, shared[:3]))
    assert response.status_code == 303, response.get_data(as_text=True)

    engagement = _engagement(world)
    assert engagement.ladder_id != world.ladder.id
    with system_scope("test"):
        tailored = db.session.get(EscalationLadder, engagement.ladder_id)
        assert tailored.tailored and tailored.engagement_id == engagement.id
        assert tailored.shared_ladder_id == world.ladder.id
        audited = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "escalation_ladder.create",
            AuditEvent.object_id == str(tailored.id), AuditEvent.organisation_id == world.lead.id))
    assert audited >= 1
    new = _steps(engagement.ladder_id)
    assert [(s.kind.value, s.wait_days) for s in new] == [
        (world.steps[0].kind.value, 14), (world.steps[1].kind.value, 60),
        (world.steps[2].kind.value, 60)]
    assert (new[0].description, new[0].description_nl) == (
        "A letter to the chair.", "Een brief aan de voorzitter.")
    # The shared ladder is as it was.
    assert [(s.id, s.wait_days) for s in _steps(world.ladder.id)] == [
        (s.id, s.wait_days) for s in world.steps]
    # Marked on the engagement page and the ladder page.
    show = client.get(f"/engagements/{world.engagement.id}").get_data(as_text=True)
    assert 'data-tailored="1"' in show and path in show
    page = client.get(path).get_data(as_text=True)
    assert 'data-tailored="1"' in page and "Go back to the shared ladder" in page


def test_editing_a_tailored_step_in_use_retires_it_and_keeps_both_texts(client, db_session,
                                                                         world):
    token = _as(client, world.lead_user, world.lead)
    path = f"/engagements/{world.engagement.id}/ladder"
    assert client.post(f"{path}/copy", data={"csrf_token": token,
                                             "copy_from": world.ladder.id}).status_code == 303
    ladder_id = _engagement(world).ladder_id
    first = _steps(ladder_id)[0]
    with system_scope("test"):
        step = db.session.get(LadderStep, first.id)
        step.description, step.description_nl = "Write to the board.", "Schrijf het bestuur."
        db.session.get(Engagement, world.engagement.id).current_step_id = first.id
        db.session.commit()
    # The editor shows both texts; changing only the Dutch keeps the English.
    page = client.get(path).get_data(as_text=True)
    assert "Write to the board." in page and "Schrijf het bestuur." in page
    rows = [dict(id=s.id, kind=s.kind.value, wait_days=s.wait_days, description=s.description,
                 description_nl=s.description_nl) for s in _steps(ladder_id)]
    rows[0]["description_nl"] = "Schrijf de voorzitter."
    assert client.post(path, data=_form(token, rows)).status_code == 303
    now = _steps(ladder_id)
    retired = _steps(ladder_id, retired=True)
    assert [s.id for s in retired] == [first.id], "the step in use is retired, not changed"
    assert retired[0].description_nl == "Schrijf het bestuur."
    assert (now[0].description, now[0].description_nl) == (
        "Write to the board.", "Schrijf de voorzitter.")
    assert now[0].id != first.id


def test_going_back_to_the_shared_ladder(client, db_session, world):
    token = _as(client, world.lead_user, world.lead)
    path = f"/engagements/{world.engagement.id}/ladder"
    client.post(f"{path}/copy", data={"csrf_token": token, "copy_from": world.ladder.id})
    tailored_id = _engagement(world).ladder_id
    assert tailored_id != world.ladder.id
    response = client.post(f"{path}/revert", data={"csrf_token": token})
    assert response.status_code == 303
    assert _engagement(world).ladder_id == world.ladder.id
    with system_scope("test"):
        assert db.session.get(EscalationLadder, tailored_id) is None, "unused copy deleted"
    # Nothing to go back from any more: the page says so and nothing changes.
    again = client.post(f"{path}/revert", data={"csrf_token": token})
    assert again.status_code == 400
    assert "already climbs the shared ladder" in again.get_data(as_text=True)


def test_a_refused_save_keeps_what_was_typed_and_writes_nothing(client, db_session, world):
    token = _as(client, world.lead_user, world.lead)
    path = f"/engagements/{world.engagement.id}/ladder"
    rows = [dict(kind="letter_to_board", wait_days="soon", description="Typed text",
                 description_nl="Getypte tekst")]
    response = client.post(path, data=_form(token, rows))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "“soon” is not a whole number." in html
    assert 'value="soon"' in html and "Typed text" in html and "Getypte tekst" in html
    assert _engagement(world).ladder_id == world.ladder.id
    with system_scope("test"):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EscalationLadder).where(
            EscalationLadder.engagement_id == world.engagement.id)) == 0
    # Without the CSRF token nothing is written either.
    rows[0]["wait_days"] = 5
    assert client.post(path, data={k: v for k, v in _form(token, rows).items()
                                   if k != "csrf_token"}).status_code == 400
    assert _engagement(world).ladder_id == world.ladder.id


def test_only_the_leads_tailor(client, db_session, world):
    path = f"/engagements/{world.engagement.id}/ladder"
    token = _as(client, world.supporter_user, world.supporter)
    page = client.get(path)
    assert page.status_code == 200
    assert "Tailor the ladder" not in page.get_data(as_text=True)
    rows = [dict(kind="letter_to_board", wait_days=5)]
    assert client.post(path, data=_form(token, rows)).status_code == 403
    assert client.post(f"{path}/copy", data={"csrf_token": token,
                                             "copy_from": world.ladder.id}).status_code == 403
    token = _as(client, world.outsider_user, world.outsider)
    assert client.get(path).status_code == 404
    assert client.post(path, data=_form(token, rows)).status_code == 404
    # The co-lead may.
    token = _as(client, world.co_lead_user, world.co_lead)
    assert client.post(path, data=_form(token, rows)).status_code == 303
    assert _engagement(world).ladder_id != world.ladder.id
