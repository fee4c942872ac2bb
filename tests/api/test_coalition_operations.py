"""The operations a coalition's own systems need to keep Engage in step: initiatives, the
company register (its keepers), holdings imports and their jobs, the stewardship report,
divestment reviews and tasks. Each goes through the service the page uses."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from engage.audit.models import AuditEvent
from engage.companies.models import Company, Holding, ImportJob
from engage.escalations.models import EscalationLadder, EscalationTask
from engage.initiatives.models import Initiative
from engage.tenancy import as_organisation, system_scope
from pypdf import PdfReader

from tests import factories as f

APPLE = "US0378331005"
INDITEX = "ES0148396007"


@pytest.fixture(autouse=True)
def _committed(api_world, db_session):
    """A refused write rolls back its unit of work: the world must be committed before it."""
    db_session.commit()


def _audits(db_session, action: str, object_id=None) -> int:
    statement = sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == action)
    if object_id is not None:
        statement = statement.where(AuditEvent.object_id == str(object_id))
    with system_scope("test"):
        return db_session.scalar(statement)


def _csv(text: str, name: str = "positions.csv") -> dict:
    return {"data": {"file": (io.BytesIO(text.encode()), name)},
            "content_type": "multipart/form-data"}


# --- initiatives ---------------------------------------------------------------------------------


def test_create_an_initiative_on_a_template_and_update_it(as_token, api_world, db_session):
    api = as_token("a_write")
    with system_scope("test"):
        template_id = db_session.scalar(sa.select(EscalationLadder.id).where(
            EscalationLadder.is_template.is_(True)).order_by(EscalationLadder.id))
    created = api.post("/initiatives", json={
        "title": "Cobalt supply chains", "theme": "Human rights",
        "common_goals": "Due diligence down to the mines", "status": "recruiting",
        "ladder_id": template_id})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert (body["coordinator"]["id"], body["status"]) == (api_world.a.id, "recruiting")
    assert _audits(db_session, "initiative.create", body["id"]) == 1
    ladder = api.get(f"/initiatives/{body['id']}/ladder").get_json()
    assert not ladder["is_template"] and len(ladder["steps"]) == 12  # its own copy

    changed = api.patch(f"/initiatives/{body['id']}", json={"title": "Cobalt and lithium"})
    assert changed.status_code == 200
    assert (changed.get_json()["title"], changed.get_json()["theme"]) == (
        "Cobalt and lithium", "Human rights")
    assert _audits(db_session, "initiative.update", body["id"]) == 1


def test_initiative_writes_refuse_bad_input_and_non_coordinators(as_token, api_world, db_session):
    api = as_token("a_write")
    with as_organisation(api_world.a.id):
        before = db_session.scalar(sa.select(sa.func.count()).select_from(Initiative))
    bad = api.post("/initiatives", json={"title": "  ", "theme": "x", "common_goals": "x",
                                         "status": "archived"})
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert {"title", "status"} <= set(bad.get_json()["errors"])
    empty = api.patch(f"/initiatives/{api_world.initiative.id}", json={})
    assert empty.status_code == 400
    with as_organisation(api_world.a.id):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Initiative)) == before
    # A recruiting initiative is visible to B, but only its coordinator may change it.
    refused = as_token("b_write").patch(f"/initiatives/{api_world.recruiting.id}",
                                        json={"title": "Ours"})
    assert refused.status_code == 403 and "coordinating" in refused.get_json()["detail"]
    read_only = as_token("a_read").post("/initiatives", json={
        "title": "T", "theme": "x", "common_goals": "x"})
    assert read_only.status_code == 403


# --- the company register -------------------------------------------------------------------------


def test_register_keepers_add_and_correct_companies(app, monkeypatch, as_token, api_world,
                                                    db_session):
    monkeypatch.setitem(app.config, "ENGAGE_REGISTER_ORGS", (api_world.a.slug,))
    keeper = as_token("a_admin")
    created = keeper.post("/companies", json={"name": "Apple Inc.", "isin": APPLE.lower(),
                                              "country": "us", "sector": "Technology"})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert (body["isin"], body["country"]) == (APPLE, "US")
    assert _audits(db_session, "company.create", body["id"]) == 1

    again = keeper.post("/companies", json={"name": "Apple again", "isin": APPLE})
    assert again.status_code == 400 and "isin" in again.get_json()["errors"]
    wrong = keeper.patch(f"/companies/{body['id']}", json={"isin": "US0378331006",
                                                            "country": "1X"})
    assert wrong.status_code == 400
    assert set(wrong.get_json()["errors"]) == {"isin", "country"}
    assert "check digit" in wrong.get_json()["errors"]["isin"][0]
    fixed = keeper.patch(f"/companies/{body['id']}", json={"next_agm_on": "2027-02-25"})
    assert fixed.status_code == 200 and fixed.get_json()["next_agm_on"] == "2027-02-25"
    assert fixed.get_json()["isin"] == APPLE

    # A member's token, and an admin of an organisation that keeps no register: refused.
    assert as_token("a_write").post("/companies", json={"name": "X"}).status_code == 403
    assert as_token("b_admin").patch(f"/companies/{body['id']}",
                                     json={"name": "X"}).status_code == 403
    with system_scope("test"):
        assert db_session.get(Company, body["id"]).name == "Apple Inc."


# --- holdings imports ------------------------------------------------------------------------------


@pytest.fixture
def isin(db_session):
    with system_scope("test"):
        f.company("Inditex", isin=INDITEX)
        db_session.commit()
    return INDITEX


def test_import_holdings_at_once_with_line_errors(as_token, api_world, db_session, isin):
    admin = as_token("a_admin")

    def positions() -> list:
        with as_organisation(api_world.a.id):
            return [h.value_eur for h in db_session.scalars(
                sa.select(Holding).join(Company).where(Company.isin == isin))]

    bad = admin.post("/imports/holdings", **_csv(
        f"isin,value_eur,valued_on\n{isin},100,2026-06-30\n{isin},lots,2026-06-30\n"))
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert bad.get_json()["errors"]["file"][0].startswith("line 3")
    assert positions() == []

    done = admin.post("/imports/holdings", **_csv(
        f"isin;value_eur;valued_on\n{isin};2500000;2026-06-30\n"))
    assert done.status_code == 201, done.get_data(as_text=True)
    assert {k: done.get_json()[k] for k in ("status", "lines", "created", "job")} == {
        "status": "done", "lines": 1, "created": 1, "job": None}
    assert _audits(db_session, "import.holdings") == 1
    # B's admin imports its own position in the same company: A's stays A's alone.
    theirs = as_token("b_admin").post("/imports/holdings", **_csv(
        f"isin,value_eur,valued_on\n{isin},7,2026-06-30\n"))
    assert theirs.status_code == 201
    assert positions() == [2500000]

    # Who may: an admin's write token; not a member's, nor a read token, nor JSON.
    assert as_token("a_write").post("/imports/holdings", **_csv("isin\n")).status_code == 403
    assert as_token("a_read").post("/imports/holdings", **_csv("isin\n")).status_code == 403
    assert admin.post("/imports/holdings", json={"file": "x"}).status_code == 415
    assert admin.post("/imports/portfolio", **_csv("isin\n")).status_code == 404
    assert admin.post("/imports/companies", **_csv("name\nX\n")).status_code == 403


def test_a_large_file_becomes_a_job_to_follow(app, monkeypatch, as_token, api_world, db_session,
                                              isin):
    monkeypatch.setitem(app.config, "ENGAGE_IMPORT_BACKGROUND_KB", 0)
    admin = as_token("a_admin")
    started = admin.post("/imports/holdings", **_csv(
        f"isin,value_eur,valued_on\n{isin},100,2026-06-30\n{isin},200,2026-09-30\n"))
    assert started.status_code == 201, started.get_data(as_text=True)
    job = started.get_json()["job"]
    # No orchestrator takes it in the tests: the job ran here, as the page runs it.
    assert (job["status"], job["created"], job["lines_done"]) == ("done", 2, job["lines_total"])
    followed = admin.get(f"/imports/jobs/{job['id']}")
    assert followed.status_code == 200 and followed.get_json()["status"] == "done"

    failed = admin.post("/imports/holdings", **_csv(
        "isin,value_eur,valued_on\nNL0000000002,100,2026-06-30\n")).get_json()["job"]
    assert failed["status"] == "failed" and "line 2" in failed["errors"][0]
    listed = admin.get("/imports/jobs", query_string={"status": "failed"}).get_json()
    assert failed["id"] in [j["id"] for j in listed["items"]]
    assert as_token("a_write").get(f"/imports/jobs/{job['id']}").status_code == 403
    assert as_token("b_admin").get(f"/imports/jobs/{job['id']}").status_code == 404
    with as_organisation(api_world.a.id):
        assert db_session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 3


# --- the stewardship report ------------------------------------------------------------------------


def test_download_the_stewardship_report_in_each_format(as_token, api_world, db_session):
    api = as_token("a_read")
    pdf = api.get("/reports/stewardship/pdf", query_string={"year": 2026})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert api_world.a.name in text
    xlsx = api.get("/reports/stewardship/xlsx",
                   query_string={"from": "2026-01-01", "to": "2026-06-30"})
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert 'stewardship-2026-01-01-2026-06-30.xlsx' in xlsx.headers["Content-Disposition"]
    assert _audits(db_session, "report.export", "pdf") == 1
    # The organisation's own private notes, only when it asks for them.
    plain = api.get("/reports/stewardship/csv", query_string={"year": 2026})
    noted = api.get("/reports/stewardship/csv", query_string={"year": 2026, "notes": "true"})
    assert api_world.note.body not in plain.get_data(as_text=True)
    assert api_world.note.body in noted.get_data(as_text=True)

    backwards = api.get("/reports/stewardship/csv", query_string={"from": "2026-06-30",
                                                                   "to": "2026-01-01"})
    assert backwards.status_code == 400 and "to" in backwards.get_json()["errors"]
    half = api.get("/reports/stewardship/csv", query_string={"from": "2026-06-30"})
    assert half.status_code == 400 and "to" in half.get_json()["errors"]
    assert api.get("/reports/stewardship/docx").status_code == 404


# --- divestment reviews and tasks -------------------------------------------------------------------


def test_list_divestment_reviews(as_token, api_world, db_session):
    listed = as_token("a_write").get(
        "/divestment-reviews", query_string={"engagement_id": api_world.engagement.id})
    assert [r["id"] for r in _ok(listed)["items"]] == [api_world.divestment.id]
    theirs = as_token("b_write").get("/divestment-reviews").get_json()
    assert api_world.divestment.id not in [r["id"] for r in theirs["items"]]


def _ok(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_list_mine_and_complete_a_task(as_token, api_world, db_session):
    with system_scope("test"):
        theirs = f.task(api_world.engagement, api_world.b, title="Co-file the resolution").id
        db_session.commit()
    api = as_token("a_write")
    everything = api.get("/tasks", query_string={"engagement_id": api_world.engagement.id})
    assert {t["id"] for t in everything.get_json()["items"]} == {api_world.task.id, theirs}
    mine = api.get("/tasks", query_string={"mine": "true", "status": "open"}).get_json()
    assert [t["id"] for t in mine["items"]] == [api_world.task.id]
    assert mine["items"][0]["owner_organisation"]["id"] == api_world.a.id
    url = f"/tasks/{api_world.task.id}/done"
    assert as_token("a_read").post(url).status_code == 403
    done = api.post(url)
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    assert done.get_json()["done_at"]
    assert api.post(url).status_code == 409
    assert _audits(db_session, "escalation_task.update", api_world.task.id) == 1
    # A lead may mark another organisation's task done (a lead can be away), as on the page.
    assert api.post(f"/tasks/{theirs}/done").status_code == 200
    with system_scope("test"):
        assert db_session.get(EscalationTask, theirs).done_at is not None


def test_the_new_lists_take_a_constant_number_of_queries(as_token, api_world, db_session,
                                                         count_queries):
    api = as_token("a_read")
    paths = ("/tasks", "/divestment-reviews", "/imports/jobs")
    admin = as_token("a_admin")

    def counts() -> list[int]:
        found = []
        for path in paths:
            with count_queries() as q:
                response = (admin if path == "/imports/jobs" else api).get(path)
            assert response.status_code == 200, path
            found.append(q.count)
        return found

    with system_scope("test"):  # a task with its person, as the engine assigns them
        db_session.get(EscalationTask, api_world.task.id).owner_user_id = api_world.a_member.id
        db_session.commit()
    counts()  # each token notes its first use (once a minute): not the lists' cost
    before = counts()
    with system_scope("test"):
        for n in range(3):
            task = f.task(api_world.engagement, api_world.b if n % 2 else api_world.a)
            task.owner_user_id = api_world.a_member.id
            f.divestment_review(api_world.engagement)
            f.import_job(api_world.a, api_world.a_admin)
        db_session.commit()
    assert counts() == before
