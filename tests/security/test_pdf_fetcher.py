"""WeasyPrint fetches only Engage's own static files: a letter or report whose HTML names
``http(s)://`` (loopback here, standing in for cloud metadata or an internal service),
``file://`` outside ``static/``, ``data:`` or a path that climbs out of ``static/`` fetches
nothing — a loopback server records no request, no image is embedded — and the PDF still
renders."""

from __future__ import annotations

import base64
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engage.common import printing
from engage.engagements.models import Letter, LetterKind, LetterLanguage, LetterStatus
from engage.escalations import drafting, letters
from engage.escalations.models import StepKind
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_as

# A 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
IMAGE = b"/Subtype /Image"


class Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).requests.append(self.path)
        body = PNG if self.path.endswith(".png") else b"body { color: red }"
        self.send_response(200)
        self.send_header("Content-Type", "image/png" if self.path.endswith(".png") else "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback():
    Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", Recorder.requests
    server.shutdown()
    server.server_close()


@pytest.fixture
def secret_png(tmp_path):
    path = tmp_path / "secret.png"
    path.write_bytes(PNG)
    return path


def hostile_resources(http: str, secret) -> list[str]:
    static = printing.STATIC.as_uri()
    climb = "../" * (len(printing.STATIC.parts) + 2)
    return [
        f'<img src="{http}/img.png">',
        f'<img src="{http.replace("127.0.0.1", "localhost")}/img-by-name.png">',
        f'<link rel="stylesheet" href="{http}/style.css">',
        f'<style>@import url("{http}/import.css");</style>',
        f'<div style="background: url(\'{http}/background.png\'); height: 1cm"></div>',
        f'<object data="{http}/object.png" type="image/png"></object>',
        f'<embed src="{http}/embed.png" type="image/png">',
        f'<svg width="10" height="10"><image href="{http}/svg.png" width="10" height="10"/></svg>',
        f'<a rel="attachment" href="{http}/attachment.txt">attachment</a>',
        f'<img src="{secret.as_uri()}">',
        '<img src="file:///etc/passwd">',
        '<link rel="stylesheet" href="file:///etc/passwd">',
        f'<img src="{static}/{climb}{str(secret).lstrip("/")}">',
        f'<img src="{climb}{str(secret).lstrip("/")}">',
        f'<img src="data:image/png;base64,{base64.b64encode(PNG).decode()}">',
        f'<img src="//127.0.0.1:{http.rsplit(":", 1)[1]}/scheme-relative.png">',
    ]


def test_each_hostile_resource_is_refused_and_the_pdf_still_renders(app, loopback, secret_png):
    http, requests = loopback
    with app.app_context():
        for resource in hostile_resources(http, secret_png):
            document = printing.pdf(f"<html><body><p>Dear board,</p>{resource}</body></html>")
            assert document.startswith(b"%PDF"), resource
            assert requests == [], (resource, requests)
            assert IMAGE not in document, resource


def test_the_checks_would_see_a_fetch(app, loopback, secret_png):
    """The same image under the static root is embedded: the absence above is the
    fetcher's doing, not a blind check."""
    with app.app_context():
        document = printing.pdf(f'<img src="{secret_png.name}">', root=secret_png.parent)
    assert IMAGE in document


def test_engages_own_static_files_are_served(app):
    css = printing.STATIC / "css" / "engage.css"
    assert printing.static_file(css.as_uri()) == css.resolve()
    assert printing.static_file((printing.STATIC / "css" / ".." / ".." / "printing.py").as_uri()) is None
    assert printing.static_file("http://127.0.0.1/static/css/engage.css") is None
    with app.app_context():
        assert printing.pdf('<link rel="stylesheet" href="css/engage.css"><p>x</p>').startswith(b"%PDF")


def test_a_letter_and_a_report_with_hostile_text_fetch_nothing(app, client, db_session, loopback,
                                                             secret_png):
    """People's text (a company name, an engagement title, a theme) that carries markup, through
    the real letter and report templates and the report download."""
    http, requests = loopback
    resources = hostile_resources(http, secret_png)
    markup = "".join(resources)

    def fitting(limit: int) -> str:  # as many as a column of ``limit`` characters holds
        text = ""
        for resource in sorted(resources, key=len):
            if len(text) + len(resource) <= limit:
                text += resource
        return text

    with system_scope("test", db_session):
        org = f.organisation()
        user = f.user(org)
        initiative = f.initiative(org, theme=fitting(100))
        ladder = f.ladder(initiative, kinds=(StepKind.LETTER_TO_BOARD, StepKind.PUBLIC_STATEMENT))
        company = f.company(name=fitting(200))
        engagement = f.engagement(company, org, initiative_=initiative)
        engagement.title = fitting(200)
        engagement.ladder_id = ladder.id
        milestone = f.milestone(engagement, due_on=f.TODAY - timedelta(days=3))
        review = f.review(engagement, milestone)
        f.decision(review, org, ladder.steps[0])
        f.dialogue(engagement, org, summary=markup[:2000])
        db_session.flush()
        _title, text = drafting.generate(engagement, LetterKind.LETTER_TO_BOARD,
                                         LetterLanguage.EN, ladder.steps[0], f.TODAY)
        text += "\n\n" + markup[:2000]  # a lead's text with markup in it: escaped
        letter = Letter(engagement_id=engagement.id, kind=LetterKind.LETTER_TO_BOARD,
                        title=fitting(300), body_text=text, body_html=str(drafting.to_html(text)),
                        contact_name=fitting(200), status=LetterStatus.OPEN_FOR_SIGNING)
        db_session.add(letter)
        db_session.flush()
        f.signature(letter, org)
        org.name = fitting(200)
        db_session.flush()
        db_session.expire(letter)
        document = letters.pdf(letter)
        db_session.commit()
        login_as(client, user, org)
    assert document.startswith(b"%PDF") and IMAGE not in document
    report = client.get(f"/reports/download.pdf?year={f.TODAY.year}")
    assert report.status_code == 200 and report.data.startswith(b"%PDF")
    assert IMAGE not in report.data
    assert requests == []
