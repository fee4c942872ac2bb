"""English and Dutch: every marked string has a Dutch translation, the language comes from
the profile or else the browser, and dates read the Dutch way."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from engage.audit.models import AuditEvent
from engage.config import PROJECT_ROOT
from engage.organisations.models import OrgRole, User
from engage.tenancy import as_organisation, system_scope
from tests import factories as f
from tests.conftest import login_ids
from tests.home.conftest import TODAY
from tests.oidc_support import csrf_token

CATALOGUES = PROJECT_ROOT / "platform/engage/translations"
# The Makefile's BABEL_KEYWORDS: lazy strings are extracted too.
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")


def _extracted() -> set[str | tuple[str, str]]:
    with (PROJECT_ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    return {message for _file, _line, message, _comments, _context in
            extract_from_dir(str(PROJECT_ROOT), method_map, options_map, keywords=KEYWORDS)}


def test_every_marked_string_has_a_dutch_translation_with_the_same_placeholders():
    messages = _extracted()
    assert len(messages) > 250  # the extraction found the project's strings
    with (CATALOGUES / "nl/LC_MESSAGES/messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale="nl")
    problems = []
    for message in sorted(messages, key=str):
        ids = message if isinstance(message, tuple) else (message,)
        entry = catalogue.get(ids[0])
        if entry is None:
            problems.append(f"not in nl/messages.po (run `make translations`): {ids[0]!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(strings):
            problems.append(f"untranslated or fuzzy: {ids[0]!r}")
            continue
        wanted = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != wanted:
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    assert not problems, "\n".join(problems)


def _person(db_session, locale=None, role=OrgRole.MEMBER):
    with system_scope("test", db_session):
        org = f.organisation()
        user = f.user(org, role=role)
        user.locale = locale
        e = f.engagement(f.company(), org, title="Leefbaar loon")
        f.milestone(e, due_on=TODAY + timedelta(days=5), title="Roadmap")
        db_session.commit()
        return user.id, org.id, org.slug


def _login(client, user_id, org_id, slug) -> None:
    login_ids(client, user_id, org_id, slug)


def test_a_user_whose_profile_says_dutch_sees_dutch(client, db_session):
    _login(client, *_person(db_session, locale="nl"))
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert "Mijn engagements" in html and "Deadlines in de komende 30 dagen" in html
    assert "Uitloggen" in html and "My engagements" not in html


def test_the_browser_language_applies_without_a_profile_choice(client, db_session):
    _login(client, *_person(db_session, locale=None))
    dutch = client.get("/", headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"})
    assert "Mijn engagements" in dutch.get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "My engagements" in english.get_data(as_text=True)


def test_the_profile_wins_over_the_browser(client, db_session):
    _login(client, *_person(db_session, locale="en"))
    html = client.get("/", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "My engagements" in html


def test_dates_render_the_dutch_way(client, db_session):
    _login(client, *_person(db_session, locale="nl"))
    html = client.get("/").get_data(as_text=True)
    due = TODAY + timedelta(days=5)
    dutch, english = format_date(due, "medium", locale="nl"), format_date(due, "medium", locale="en")
    assert dutch != english
    assert dutch in html and english not in html


def test_a_signed_out_page_follows_the_browser(client):
    assert "Inloggen" in client.get("/login", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


# --- the profile page ------------------------------------------------------------------------

def _locale_of(db_session, user_id):
    with system_scope("test", db_session):
        return db_session.scalar(sa.select(User.locale).where(User.id == user_id))


def test_choosing_a_language_on_the_profile_page(client, db_session):
    user_id, org_id, slug = _person(db_session)
    _login(client, user_id, org_id, slug)
    page = client.get("/profile", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'value="nl"' in page and "Nederlands" in page and 'href="/profile"' in page
    token = csrf_token(client)
    response = client.post("/profile", data={"locale": "nl", "csrf_token": token})
    assert response.status_code == 303
    assert _locale_of(db_session, user_id) == "nl"
    assert "Uw taal is opgeslagen." in client.get("/profile").get_data(as_text=True)
    with as_organisation(org_id, db_session):
        events = db_session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "user_account.update")).all()
    assert any(e.after == {"locale": "nl"} for e in events), [e.after for e in events]
    # Back to the browser's language.
    assert client.post("/profile", data={"locale": "", "csrf_token": token}).status_code == 303
    assert _locale_of(db_session, user_id) is None


def test_the_profile_refuses_an_unknown_language_and_a_missing_csrf_token(client, db_session):
    user_id, org_id, slug = _person(db_session, locale="en")
    _login(client, user_id, org_id, slug)
    token = csrf_token(client)
    bad = client.post("/profile", data={"locale": "fr", "csrf_token": token})
    assert bad.status_code == 400 and 'role="alert"' in bad.get_data(as_text=True)
    assert "Choose English, Nederlands" in bad.get_data(as_text=True)
    assert client.post("/profile", data={"locale": "nl"}).status_code == 400  # no CSRF token
    assert _locale_of(db_session, user_id) == "en"


def test_a_viewer_may_choose_a_language(client, db_session):
    user_id, org_id, slug = _person(db_session, role=OrgRole.VIEWER)
    _login(client, user_id, org_id, slug)
    response = client.post("/profile", data={"locale": "nl", "csrf_token": csrf_token(client)})
    assert response.status_code == 303 and _locale_of(db_session, user_id) == "nl"


def test_missing_compiled_catalogues_fall_back_to_english(database_url, tmp_path):
    from engage import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path)})  # no .mo there
    # Loaded catalogues are cached per extension (shared by every app of this process).
    from engage.extensions import babel

    cache = babel.domain_instance.cache
    saved = dict(cache)
    cache.clear()
    try:
        response = app.test_client().get("/login", headers={"Accept-Language": "nl"})
    finally:
        cache.clear()
        cache.update(saved)
    assert response.status_code == 200
    assert "Sign in" in response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_error_pages_speak_the_language(client, language):
    html = client.get("/login/no-such-org", headers={"Accept-Language": language}).get_data(as_text=True)
    assert ("Niet gevonden" in html) == (language == "nl")
    assert ("Not found" in html) == (language == "en")
