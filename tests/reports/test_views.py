"""/reports in the browser, its downloads, `engage report`, and the calendar feed."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from engage.audit.models import AuditEvent
from engage.reports.cli import report_command
from engage.tenancy import system_scope
from icalendar import Calendar
from openpyxl import load_workbook

from tests.conftest import login_as
from tests.oidc_support import csrf_token


def test_the_report_page_previews_the_year(client, rworld, count_queries):
    login_as(client, rworld.a_viewer, rworld.a)
    page = client.get("/reports?year=2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-section="votes"' in html and "UK Stewardship Code Principle 11" in html
    assert "B&#39;s private vote" not in html and "rationale of org-a on Alpha" in html
    for fmt in ("csv", "xlsx", "pdf"):
        assert f'href="/reports/download.{fmt}?year=2026"' in html
    with count_queries() as q:
        client.get("/reports?from=2026-01-01&to=2026-06-30")
    with count_queries() as q2:
        client.get("/reports?year=2025")
    assert q.count == q2.count


def test_bad_periods_are_400(client, rworld):
    login_as(client, rworld.a_member, rworld.a)
    for query in ("year=abc", "year=99999", "from=2026-05-01&to=2026-04-01", "from=2026-05-01"):
        response = client.get(f"/reports?{query}")
        assert response.status_code == 400, query
        assert 'role="alert"' in response.get_data(as_text=True)
    assert client.get("/reports/download.doc?year=2026").status_code == 404
    # htmx asks for the preview alone (the errors too, which the form swaps in).
    fragment = client.get("/reports?year=abc", headers={"HX-Request": "true"})
    assert fragment.status_code == 400 and "<html" not in fragment.get_data(as_text=True)
    fragment = client.get("/reports?year=2026", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'data-section="votes"' in html and "HX-Request" in fragment.headers["Vary"]


def test_each_format_downloads_and_parses(client, rworld):
    login_as(client, rworld.a_member, rworld.a)
    response = client.get("/reports/download.csv?year=2026")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    votes = [r for r in rows if r and r[0] == "votes"]
    assert [(r[1], r[4], r[5], r[6]) for r in votes] == [
        ("Alpha", "against", "against", "yes"), ("Beta", "for", "against", "no"), ("Gamma", "for", "", "")]
    assert ["engagement", "Companies engaged", "3"] in rows

    response = client.get("/reports/download.xlsx?from=2026-01-01&to=2026-12-31")
    book = load_workbook(io.BytesIO(response.get_data()))
    assert {"engagement", "votes", "outcomes"} <= set(book.sheetnames)
    outcome_rows = [tuple(r)[:2] for r in book["outcomes"].iter_rows(values_only=True)]
    assert ("Closed: objectives met", 1) in outcome_rows and ("Success rate", "50%") in outcome_rows

    response = client.get("/reports/download.pdf?year=2026")
    assert response.mimetype == "application/pdf" and response.get_data().startswith(b"%PDF")
    with system_scope("test"):
        import sqlalchemy as sa
        from engage.extensions import db

        exports = db.session.scalars(sa.select(AuditEvent.object_id)
                                     .where(AuditEvent.action == "report.export")).all()
    assert sorted(exports) == ["csv", "pdf", "xlsx"]


def test_engage_report_command(app, rworld, tmp_path):
    out = tmp_path / "a.xlsx"
    runner = app.test_cli_runner()
    result = runner.invoke(report_command, ["--org", "org-a", "--year", "2026", "--format", "xlsx",
                                            "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 engagements with 3 companies, 3 votes" in result.output
    assert load_workbook(out)["votes"].max_row > 3
    result = runner.invoke(report_command, ["--org", "org-a", "--from", "2026-01-01", "--to",
                                            "2026-12-31", "--format", "csv", "--output",
                                            str(tmp_path / "a.csv")])
    assert result.exit_code == 0 and (tmp_path / "a.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert runner.invoke(report_command, ["--org", "nobody", "--year", "2026"]).exit_code != 0
    assert runner.invoke(report_command, ["--org", "org-a"]).exit_code != 0


# --- the calendar feed ---------------------------------------------------------------------------

def _new_feed(client) -> str:
    token = csrf_token(client)
    response = client.post("/calendar", data={"csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "data-feed-url" in html, html[-2500:]
    return re.search(r'data-feed-url="http://localhost(/calendar/[^"]+\.ics)"', html).group(1)


def test_the_calendar_feed(client, rworld, db_session):
    from engage.companies.models import Company
    from engage.extensions import db

    with system_scope("agm"):
        db.session.get(Company, rworld.c1.id).next_agm_on = date(2027, 4, 22)
        db.session.flush()
    login_as(client, rworld.a_viewer, rworld.a)  # viewers may have a feed too
    assert "no calendar address yet" in client.get("/calendar").get_data(as_text=True)
    url = _new_feed(client)

    anonymous = client.application.test_client()
    response = anonymous.get(url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.get_data())
    summaries = {str(e["summary"]) for e in cal.walk("VEVENT")}
    assert "AGM: Alpha" in summaries
    assert any(s.startswith("Alpha: ") for s in summaries)  # milestones of the coalition engagement
    assert "Review due: Alpha" in summaries  # the open reviews
    assert "AGM: Beta" in summaries  # A voted at Beta's AGM

    # B's feed has B's engagements, but not A's direct ones nor A's votes.
    login_as(client, rworld.b_member, rworld.b)
    b_cal = Calendar.from_ical(anonymous.get(_new_feed(client)).get_data())
    b_summaries = {str(e["summary"]) for e in b_cal.walk("VEVENT")}
    assert "AGM: Alpha" in b_summaries and not any(s.startswith("Beta") for s in b_summaries)
    assert "AGM: Gamma" not in b_summaries

    assert anonymous.get("/calendar/not-a-token.ics").status_code == 404
    # A new address revokes the old.
    login_as(client, rworld.a_viewer, rworld.a)
    new_url = _new_feed(client)
    assert new_url != url
    assert anonymous.get(url).status_code == 404
    assert anonymous.get(new_url).status_code == 200
    with system_scope("test"):
        import sqlalchemy as sa

        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type == "calendar_feed")).all()
    assert events and all(e.after.get("token_hash") in (None, "[redacted]") for e in events)
