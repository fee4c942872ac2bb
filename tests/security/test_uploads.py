"""One upload must not take a worker down: a size limit answered with 413 before anything
reads the body, uploads read as a stream, bad lines capped at a hundred plus a count, and
unreadable lines (a huge value, a wrong encoding, a NUL) listed instead of a 500. All or
nothing stays: a refused file writes nothing."""

from __future__ import annotations

import io
import re
import tracemalloc

import pytest
from engage import config
from engage.companies import imports
from engage.companies.csvfile import ImportFileError
from engage.tenancy import as_organisation

from tests.conftest import login_as
from tests.imports.conftest import APPLE, INDITEX, counts, iworld  # noqa: F401  (fixture)
from tests.oidc_support import csrf_token

MB = 1024 * 1024


def _post(client, kind, body: bytes, name="file.csv"):
    data = {"csrf_token": csrf_token(client), "file": (io.BytesIO(body), name)}
    return client.post(f"/imports/{kind}", data=data, content_type="multipart/form-data")


def test_the_limit_comes_from_the_environment(monkeypatch):
    assert config.from_environment()["MAX_CONTENT_LENGTH"] == 20 * MB
    monkeypatch.setenv("ENGAGE_MAX_UPLOAD_MB", "5")
    assert config.from_environment()["MAX_CONTENT_LENGTH"] == 5 * MB
    for bad in ("0", "-1", "lots", "2.5"):
        monkeypatch.setenv("ENGAGE_MAX_UPLOAD_MB", bad)
        with pytest.raises(config.ConfigError):
            config.from_environment()


def test_an_upload_over_the_limit_is_a_413_page_and_writes_nothing(client, iworld, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setattr(client.application, "instance_path", client.application.instance_path)
    assert client.application.config["MAX_CONTENT_LENGTH"] == 20 * MB
    login_as(client, iworld.investor_admin, iworld.investor)
    before = counts()
    line = f"{INDITEX},100,2026-09-30\n".encode()
    body = b"isin,value_eur,valued_on\n" + line * (20 * MB // len(line) + 10)
    response = _post(client, "holdings", body, name="huge.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "text/html" in response.content_type and "larger than 20 MB" in html
    assert counts() == before
    # Under the limit a file is read, in the background (its duplicate lines are refused, a
    # hundred listed on the job's page).
    client.application.instance_path = str(tmp_path)
    response = _post(client, "holdings", body[:2 * MB].rsplit(b"\n", 1)[0] + b"\n")
    assert response.status_code == 303 and "/imports/jobs/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was imported" in page and "more bad lines" in page
    assert counts() == before


def test_an_api_request_over_the_limit_is_a_413_problem(client, iworld):
    from engage.extensions import db
    from engage.organisations.models import Organisation, User
    from engage.organisations.tokens import create_token
    from engage.tenancy import system_scope

    with system_scope("test"):
        secret = create_token(db.session, scope="write", name="upload test",
                              organisation=db.session.get(Organisation, iworld.investor.id),
                              created_by=db.session.get(User, iworld.investor_admin.id)).secret
        db.session.commit()
    body = b"{" + b" " * (21 * MB) + b"}"
    # Without a token the request is refused as anonymous (401), its body unread.
    anonymous = client.post("/api/v1/engagements", data=body,
                            headers={"Content-Type": "application/json"})
    assert anonymous.status_code == 401
    response = client.post("/api/v1/engagements", data=body, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {secret}"})
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert "20 MB" in response.get_json()["detail"]


def test_5000_bad_lines_list_the_first_100_and_a_count(client, iworld):
    login_as(client, iworld.investor_admin, iworld.investor)
    before = counts()
    body = "isin,value_eur,valued_on\n" + "".join(
        f"{INDITEX},not-a-number-{n},2026-09-30\n" for n in range(5000))
    response = _post(client, "holdings", body.encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    listed = re.findall(r"<li>line (\d+):", html)
    assert listed == [str(n) for n in range(2, 102)]
    assert "and 4900 more bad lines" in html
    assert counts() == before


HOSTILE_FILES = {
    # A value longer than the csv module's field limit (131072): a line error, not a 500.
    "huge field": (b"isin,value_eur,valued_on\n" + f"{APPLE},1,2026-09-30\n".encode()
                   + b"x" * 200_000 + b",1,2026-09-30\n", 3, "longer than 131072 characters"),
    "huge quoted field": (b'isin,value_eur,valued_on\n"' + b"y" * 300_000 + b'",1,2026-09-30\n'
                          + f"{APPLE},1,2026-09-30\n".encode(), 2, "longer than 131072"),
    # UTF-8 in line 2, a Latin-1 byte in line 4: listed, instead of every accent garbled.
    "mixed encoding": ("isin,company,value_eur,valued_on\n,Industria de Diseño Textil,1,"
                       "2026-09-30\n".encode() + f"{APPLE},,1,2026-09-30\n".encode()
                       + ",Nestl\xe9,1,2026-09-30\n".encode("latin-1"), 4, "not UTF-8"),
    "UTF-16": ("isin,value_eur,valued_on\n" f"{APPLE},1,2026-09-30\n").encode("utf-16"),
    "NUL": (f"isin,value_eur,valued_on\n{APPLE},1,2026-09-30\n,1\x00,2026-09-30\n".encode(),
            3, "NUL character"),
    "unterminated quote": (f'isin,value_eur,valued_on\n{APPLE},1,2026-09-30\n"{INDITEX},1,'
                           f'2026-09-30\n'.encode(), 3, "3 values where the header has 3"),
}
HOSTILE_FILES["UTF-16"] = (HOSTILE_FILES["UTF-16"], 1, "UTF-16")
HOSTILE_FILES["unterminated quote"] = (HOSTILE_FILES["unterminated quote"][0], 3, "1 values")


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_unreadable_lines_are_line_errors_and_write_nothing(client, iworld, name):
    body, line, reason = HOSTILE_FILES[name]
    login_as(client, iworld.investor_admin, iworld.investor)
    before = counts()
    response = _post(client, "holdings", body)
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html[-2000:]
    assert re.search(rf"<li>line {line}: [^<]*{re.escape(reason)}", html), html[-3000:]
    assert counts() == before


def test_a_register_import_with_a_nul_writes_nothing(client, iworld):
    login_as(client, iworld.registrar_admin, iworld.registrar)
    before = counts()
    response = _post(client, "companies", b"name,country\nGood Co,NL\nBad\x00Co,NL\n")
    assert response.status_code == 400
    assert "line 3: the line contains a NUL character" in response.get_data(as_text=True)
    assert counts() == before


def test_an_upload_is_read_as_a_stream(iworld, tmp_path):
    """65,000 bad lines (2 MB): the file is never held whole, nor every error."""
    path = tmp_path / "holdings.csv"
    with path.open("w") as out:
        out.write("isin,value_eur,valued_on\n")
        for n in range(65_000):
            out.write(f"{INDITEX},x{n},2026-09-30\n")
    assert path.stat().st_size > 1.8 * MB
    with path.open("rb") as stream, as_organisation(iworld.investor.id):
        tracemalloc.start()
        try:
            with pytest.raises(ImportFileError) as caught:
                imports.import_holdings(stream, path.name, iworld.investor.id)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert caught.value.total == 65_000 and len(caught.value.errors) == 100
    assert peak < MB / 2, peak  # the file alone is 2 MB
