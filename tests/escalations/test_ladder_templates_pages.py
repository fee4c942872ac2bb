"""An organisation's admins keep ladder templates of their own in the browser; installed
templates are shown, never edited; other organisations never see an organisation's own."""

from __future__ import annotations

import sqlalchemy as sa

from engage.escalations.models import EscalationLadder
from engage.extensions import db
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import is_postgres, login_as
from tests.oidc_support import csrf_token


def _people(db_session):
    """Plain values (ids, slugs): they outlive the scope that made them."""
    from types import SimpleNamespace as Plain

    with system_scope("test"):
        a, b = f.organisation(), f.organisation()
        people = {"a": a, "b": b, "a_admin": f.user(a, OrgRole.ADMIN),
                  "a_member": f.user(a, OrgRole.MEMBER), "b_admin": f.user(b, OrgRole.ADMIN)}
        db_session.flush()
        plain = {key: Plain(id=obj.id, slug=getattr(obj, "slug", None))
                 for key, obj in people.items()}
        db_session.commit()
        return plain


def type_of_org():
    from engage.organisations.models import Organisation

    return Organisation


def _own(org_id) -> list[EscalationLadder]:
    from sqlalchemy.orm import selectinload

    with system_scope("test"):
        return list(db.session.scalars(sa.select(EscalationLadder).where(
            EscalationLadder.organisation_id == org_id)
            .options(selectinload(EscalationLadder.steps))))


def test_an_admin_writes_edits_and_deletes_a_template(client, db_session):
    p = _people(db_session)
    login_as(client, p["a_admin"], p["a"])
    token = csrf_token(client)
    listing = client.get("/ladders/templates").get_data(as_text=True)
    assert "installed with Engage (read-only)" in listing and "New template" in listing
    form = {"csrf_token": token, "name": "Our ladder", "name_nl": "Onze ladder",
            "steps-1-kind": "letter_to_board", "steps-1-wait_days": "30",
            "steps-1-description": "Write.", "steps-1-description_nl": "Schrijf.",
            "steps-2-kind": "", "steps-2-wait_days": "90", "steps-2-description": ""}
    created = client.post("/ladders/templates/new", data=form)
    assert created.status_code == 303
    [template] = _own(p["a"].id)
    assert template.is_template and template.name_nl == "Onze ladder"
    assert [(s.kind.value, s.description_nl) for s in template.steps] == [
        ("letter_to_board", "Schrijf.")]
    page = client.get(f"/ladders/templates/{template.id}").get_data(as_text=True)
    assert "Schrijf." in page and "Delete the template" in page
    # A refused save keeps what was typed.
    bad = dict(form, name="", **{"steps-1-id": str(template.steps[0].id),
                                 "steps-1-wait_days": "-1"})
    refused = client.post(f"/ladders/templates/{template.id}", data=bad)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "This cannot be empty." in html and 'value="-1"' in html and "Onze ladder" in html
    assert _own(p["a"].id)[0].name == "Our ladder"
    # It is a starting point for the organisation's initiatives.
    with system_scope("test"):
        initiative = f.initiative(db.session.get(type_of_org(), p["a"].id))
        db_session.commit()
        initiative_id = initiative.id
    ladder_page = client.get(f"/initiatives/{initiative_id}/ladder").get_data(as_text=True)
    assert f'value="{template.id}">Our ladder (your template)' in ladder_page
    assert client.post(f"/ladders/templates/{template.id}/delete",
                       data={"csrf_token": token}).status_code == 303
    assert _own(p["a"].id) == []


def test_installed_templates_are_read_only_and_others_do_not_see_ours(client, db_session):
    p = _people(db_session)
    with system_scope("test"):
        installed = db.session.scalar(sa.select(EscalationLadder.id).where(
            EscalationLadder.is_template.is_(True)).order_by(EscalationLadder.id))
        mine = EscalationLadder(name="A's own", is_template=True, organisation_id=p["a"].id)
        db.session.add(mine)
        db_session.commit()
        mine_id = mine.id
    login_as(client, p["a_admin"], p["a"])
    token = csrf_token(client)
    page = client.get(f"/ladders/templates/{installed}").get_data(as_text=True)
    assert "read-only" in page and "Save the template" not in page
    assert client.post(f"/ladders/templates/{installed}",
                       data={"csrf_token": token, "name": "Mine"}).status_code == 403
    assert client.post(f"/ladders/templates/{installed}/delete",
                       data={"csrf_token": token}).status_code == 400
    # A member reads but does not write.
    login_as(client, p["a_member"], p["a"])
    token = csrf_token(client)
    assert client.get(f"/ladders/templates/{mine_id}").status_code == 200
    assert client.post(f"/ladders/templates/{mine_id}",
                       data={"csrf_token": token, "name": "x"}).status_code == 403
    assert client.get("/ladders/templates/new").status_code == 403
    # Another organisation does not see it at all.
    login_as(client, p["b_admin"], p["b"])
    token = csrf_token(client)
    assert client.get(f"/ladders/templates/{mine_id}").status_code == 404
    assert client.post(f"/ladders/templates/{mine_id}/delete",
                       data={"csrf_token": token}).status_code == 404
    assert "A&#39;s own" not in client.get("/ladders/templates").get_data(as_text=True)


def test_row_level_security_hides_an_organisations_templates(db_session):
    """Raw SQL bypasses the ORM filter; on PostgreSQL the policy still hides another
    organisation's templates (superusers bypass RLS, so the probe runs as a plain role)."""
    if not is_postgres():
        import pytest

        pytest.skip("row-level security is a PostgreSQL feature")
    p = _people(db_session)
    with system_scope("test"):
        mine = EscalationLadder(name="A's own", is_template=True, organisation_id=p["a"].id)
        db.session.add(mine)
        db_session.flush()
        mine_id = mine.id
    conn = db_session.connection()
    conn.exec_driver_sql("CREATE ROLE engage_ladder_probe NOLOGIN")
    conn.exec_driver_sql("GRANT USAGE ON SCHEMA public TO engage_ladder_probe")
    conn.exec_driver_sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO engage_ladder_probe")
    conn.exec_driver_sql("SET LOCAL ROLE engage_ladder_probe")

    def visible(org: str) -> set[int]:
        conn.exec_driver_sql("SELECT set_config('engage.org_id', %s, true), "
                             "set_config('engage.bypass', 'off', true)", (org,))
        return {r[0] for r in conn.exec_driver_sql("SELECT id FROM escalation_ladder")}

    assert mine_id in visible(str(p["a"].id))
    seen_by_b = visible(str(p["b"].id))
    assert mine_id not in seen_by_b and seen_by_b, "the installed templates stay visible"
