"""The engagement tests' world (a lead, a co-lead, a supporter and an outsider on one
engagement), committed, with a letter and a private dialogue entry of the lead; the
attachment storage in a folder of the test's own."""

from __future__ import annotations

import io
import zipfile

import pytest

from engage.attachments.storage import EXTENSION, FolderStorage
from engage.engagements.models import Visibility
from engage.tenancy import system_scope
from tests import factories as f
from tests.engagements.conftest import world as engagement_world  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
TEXT = "Minutes of the call: the company will publish a plan. Zoë agreed.\n".encode()
EML = (b"From: Investor Relations <ir@company.example>\r\nTo: lead@investor.example\r\n"
       b"Subject: Re: living wage\r\nDate: Mon, 2 Nov 2026 10:00:00 +0100\r\n\r\n"
       b"We will reply by the end of the month.\r\n")


def ooxml(part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
    return out.getvalue()


@pytest.fixture
def store(app, tmp_path):
    app.extensions[EXTENSION] = FolderStorage(tmp_path / "attachments")
    yield app.extensions[EXTENSION]
    app.extensions.pop(EXTENSION, None)


@pytest.fixture
def world(engagement_world, db_session):  # noqa: F811
    with system_scope("test attachments"):
        engagement_world.letter = f.letter(engagement_world.engagement)
        engagement_world.private_entry = f.dialogue(
            engagement_world.engagement, engagement_world.lead, Visibility.PRIVATE,
            summary="Lead only: what the CFO said off the record")
        engagement_world.coalition_entry = f.dialogue(
            engagement_world.engagement, engagement_world.lead, summary="Coalition call")
        db_session.flush()
    db_session.commit()
    return engagement_world
