"""The lead keeps a private note and attaches evidence to a milestone in a real browser
(htmx forms, a multipart upload, a download), under the Content-Security-Policy."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect

from engage import tenancy
from engage.companies.models import Company
from engage.extensions import db
from engage.organisations.models import Organisation
from tests import factories as f
from tests.browser.conftest import LEAD
from tests.browser.test_scenario import sign_in

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _engagement(site) -> tuple[int, int]:
    with site.app.app_context(), tenancy.system_scope("browser test: an engagement"):
        alpha = db.session.get(Organisation, site.alpha_id)
        company = db.session.get(Company, site.company_id)
        engagement = f.engagement(company, alpha, title="Evidence at Threadline")
        milestone = f.milestone(engagement, title="Roadmap published",
                                due_on=date.today() + timedelta(days=20))
        ids = engagement.id, milestone.id
        db.session.commit()
    return ids


def test_a_private_note_and_a_file_on_a_milestone(site, new_page, screenshots,
                                                  policy_violations, tmp_path):
    page = new_page()
    sign_in(page, site, LEAD)
    engagement_id, milestone_id = _engagement(site)
    page.goto(site.at(f"/engagements/{engagement_id}"))

    notes = page.locator("#notes")
    expect(page.get_by_role("heading", name="Our private notes")).to_be_visible()
    notes.get_by_text("Add a private note").click()
    notes.get_by_label("Note").fill("The CFO hinted at a roadmap for 2027")
    notes.get_by_role("button", name="Save note").click()
    expect(page.locator("#notes li[data-note]")).to_contain_text("roadmap for 2027")

    files = page.locator(f"#attachments-milestone-{milestone_id}")
    files.get_by_text("Attach a file").click()
    fake = tmp_path / "annual-report.pdf"
    fake.write_text("<html><script>alert(1)</script></html>")
    files.get_by_label("File (PDF, PNG, JPEG, DOCX, XLSX, EML or text)").set_input_files(fake)
    files.get_by_role("button", name="Attach", exact=True).click()
    expect(page.locator(f"#attachments-milestone-{milestone_id} .field-error")).to_contain_text(
        "cannot be attached")

    real = tmp_path / "minutes.pdf"
    real.write_bytes(PDF)
    files = page.locator(f"#attachments-milestone-{milestone_id}")
    files.get_by_label("File (PDF, PNG, JPEG, DOCX, XLSX, EML or text)").set_input_files(real)
    files.get_by_role("button", name="Attach", exact=True).click()
    link = page.get_by_role("link", name="minutes.pdf")
    expect(link).to_be_visible()
    page.screenshot(path=screenshots / "engagement-notes-attachments.png", full_page=True)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "minutes.pdf"
    assert open(download.value.path(), "rb").read() == PDF
    assert policy_violations == []
