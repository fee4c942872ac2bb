"""Open redirect: after sign-in, and from a notification's stored link, Engage goes only to
a plain path on its own site. Hostile values come through the real sign-in (a real OpenID
Connect provider on loopback) and through the notifications' "open" action, the two uses
of ``safe_next``."""

from __future__ import annotations

import itertools

import pytest

from engage import tenancy
from engage.notifications.models import Notification, NotificationKind
from engage.security import safe_next
from tests import factories as f
from tests.auth.conftest import orgs, provider_a, provider_b  # noqa: F401  (fixtures)
from tests.conftest import login_as
from tests.oidc_support import continued_to, csrf_token, sign_in

# Each would leave the site in some browser, split a header, or is no page of ours.
HOSTILE = [
    "/%09/evil.example",  # the reported one: browsers drop the tab, leaving //evil.example
    "/\t/evil.example",
    "/\n/evil.example",  # a newline was a 500
    "/x\r\nSet-Cookie: session=forged",
    "/%0d%0aSet-Cookie:%20session=forged",
    "//evil.example",
    "///evil.example",
    "//evil.example/%2F..",
    "/\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%252F%252Fevil.example",  # encoded twice
    "https://evil.example/",
    "HTTPS://evil.example",
    "http:evil.example",
    "http:/evil.example",
    "javascript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    " /\t//evil.example",
    "/ /evil.example",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "/\u0085/evil.example",  # NEL, a C1 control
    "/\u2028/evil.example",  # line separator
    "/\u200b/evil.example",  # zero-width space
    "/\u3000/evil.example",  # ideographic space
    "/\ufeff/evil.example",  # byte-order mark
    "/.//evil.example",
    "/..//evil.example",
    "/%2e%2e/%2fevil.example",
    "/a?x=%0d%0aLocation:%20https://evil.example",
    "/" + "a" * 2000,
    "",
]

# Plain paths on this site, and how they come back out.
ACCEPTED = [
    ("/organisation/users", "/organisation/users"),
    ("/companies?q=royal%20dutch&page=2", "/companies?q=royal%20dutch&page=2"),
    ("/companies?q=royal+dutch", "/companies?q=royal+dutch"),
    ("/@evil.example", "/@evil.example"),  # a path here, not a host
    ("/engagements/7#timeline", "/engagements/7"),  # fragments are dropped
    ("/initiatives/\u00fc", "/initiatives/%C3%BC"),  # written out percent-encoded
    ("/reports?from=2026-01-01&to=2026-06-30", "/reports?from=2026-01-01&to=2026-06-30"),
]

_subjects = itertools.count()


def _signed_in_after(client, provider, next_value: str, *, post: bool = False):
    sub = f"visitor-{next(_subjects)}"
    provider.add_user(sub, email=f"{sub}@alpha.example", email_verified=True)
    if post:  # the e-mail form carries ``next`` too
        asked = client.post("/login", data={"next": next_value, "email": f"{sub}@alpha.example",
                                            "csrf_token": csrf_token(client)})
        assert continued_to(asked) == "/login/alpha"
    else:
        asked = client.get("/login", query_string={"next": next_value})
        # A NUL character is refused outright (400), before the value is even looked at.
        assert asked.status_code == (400 if "\x00" in next_value else 200), asked.status_code
    return sign_in(client, "alpha", sub)


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_sign_in_never_leaves_the_site(client, db_session, orgs, provider_a, value):  # noqa: F811
    response = _signed_in_after(client, provider_a, value)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("value", HOSTILE[:6], ids=repr)
def test_the_email_form_is_held_to_the_same_rule(client, db_session, orgs, provider_a, value):  # noqa: F811
    response = _signed_in_after(client, provider_a, value, post=True)
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(("value", "expected"), ACCEPTED, ids=repr)
def test_sign_in_returns_to_a_path_on_the_site(client, db_session, orgs, provider_a, value,  # noqa: F811
                                               expected):
    assert _signed_in_after(client, provider_a, value).headers["Location"] == expected


def test_the_table_is_refused_by_safe_next_itself():
    assert [v for v in HOSTILE if safe_next(v) is not None] == []
    assert [safe_next(v) for v, _ in ACCEPTED] == [e for _, e in ACCEPTED]
    assert safe_next(None) is None and safe_next(7) is None and safe_next(["/"]) is None


def test_a_notifications_stored_link_is_held_to_the_same_rule(client, db_session):
    """A notification's link is stored text; opening it goes there only if it is a plain
    path on this site (keeping a plain-name anchor), else to the notifications page."""
    with tenancy.system_scope("test", db_session):
        org = f.organisation()
        user = f.user(org)
        notes = {}
        # What a link column can hold: up to 500 characters, no NUL (PostgreSQL text).
        links = [v for v in HOSTILE + [v for v, _ in ACCEPTED] if len(v) <= 500 and "\x00" not in v]
        for n, link in enumerate(links):
            note = Notification(user_id=user.id, organisation_id=org.id,
                                kind=NotificationKind.REMINDER, subject="Due",
                                link=link, dedupe_key=f"redirect-test:{n}")
            db_session.add(note)
            db_session.flush()
            notes[note.id] = link
        db_session.commit()
        login_as(client, user, org)
    token = csrf_token(client)
    expected = dict(ACCEPTED)
    # A notification's own anchor (``#review-5``, a plain name) is kept, so the page opens
    # at what it is about; any other fragment is dropped as ``safe_next`` drops it.
    expected["/engagements/7#timeline"] = "/engagements/7#timeline"
    for note_id, link in notes.items():
        response = client.post(f"/notifications/{note_id}/open", data={"csrf_token": token})
        assert response.status_code == 303, (link, response.status_code)
        assert response.headers["Location"] == expected.get(link, "/notifications"), link
