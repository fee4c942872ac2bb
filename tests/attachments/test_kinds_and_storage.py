"""The allow-list read from content, and the folder storage's keys."""

from __future__ import annotations

import hashlib

import pytest

from engage.attachments import kinds
from engage.attachments.service import clean_name
from engage.attachments.storage import FolderStorage, MissingBlob
from tests.attachments.conftest import EML, JPEG, PDF, PNG, TEXT, ooxml


@pytest.mark.parametrize(("data", "kind"), [
    (PDF, kinds.PDF), (PNG, kinds.PNG), (JPEG, kinds.JPEG), (TEXT, kinds.TEXT),
    (EML, kinds.EML), (ooxml("word/document.xml"), kinds.DOCX),
    (ooxml("xl/workbook.xml"), kinds.XLSX),
    ("\ufeffLetter received, scanned text\r\n".encode(), kinds.TEXT),
    # Too few of an e-mail's headers: text, not a message.
    (b"From: someone\n\nonly one header", kinds.TEXT),
])
def test_allowed_kinds(data, kind):
    assert kinds.detect(data) is kind


@pytest.mark.parametrize("data", [
    b"<html><body>x</body></html>", b"\n  <!DOCTYPE html>", b"<svg onload=alert(1)>",
    b"text then <script>alert(1)</script>", b"<?xml version='1.0'?><a/>",
    b"\x7fELF\x02\x01", b"MZ\x90\x00", b"GIF89a\x01\x00\x01\x00\x80\x00", b"\x1f\x8b\x08\x00", b"PK\x05\x06" + b"\0" * 18,
    ooxml("content.xml"), "caf\xe9".encode("latin-1"), b"nul \x00 inside",
])
def test_refused_kinds(data):
    assert kinds.detect(data) is None


def test_folder_storage_is_content_addressed_and_refuses_other_keys(tmp_path):
    store = FolderStorage(tmp_path)
    key = hashlib.sha256(PDF).hexdigest()
    store.put(key, PDF)
    store.put(key, PDF)  # again: nothing changes
    assert store.get(key) == PDF
    assert (tmp_path / key[:2] / key[2:4] / key).read_bytes() == PDF
    store.delete(key)
    store.delete(key)
    with pytest.raises(MissingBlob):
        store.get(key)
    for bad in ("../../etc/passwd", key.upper(), key[:-1], "", "a" * 64 + "/x"):
        with pytest.raises(ValueError):
            store.get(bad)


def test_names_are_kept_safe():
    assert clean_name("C:\\Users\\me\\minutes.PDF", kinds.PDF) == "minutes.PDF"
    assert clean_name("report\u202egnp.pdf", kinds.PNG) == "reportgnp.pdf.png"
    assert clean_name("", kinds.TEXT) == "attachment.txt"
    assert clean_name("x" * 500 + ".pdf", kinds.PDF).endswith(".pdf")
    assert len(clean_name("x" * 500, kinds.PDF)) == 204
