"""The links notifications carry come from one module, built from the routes, and read as
the paths stored before it existed (so older notifications and new ones open alike)."""

from __future__ import annotations

import re

from flask import has_request_context

from engage.config import PROJECT_ROOT
from engage.notifications import links


def test_links_are_the_stored_paths_with_or_without_a_request(app):
    with app.app_context():
        assert not has_request_context()  # the sweep and the flows build them too
        assert links.engagement_link(12) == "/engagements/12"
        assert links.review_link(12, 5) == "/engagements/12#review-5"
        assert links.letter_link(3) == "/letters/3"
        assert links.vote_request_link(12, 8) == "/engagements/12#vote-8"
        assert links.divestment_link(12, 2) == "/engagements/12#divestment-2"
        assert links.task_link(12, 9) == "/engagements/12#task-9"
        assert links.company_votes_link(4) == "/companies/4#votes"
        assert links.initiative_link(7) == "/initiatives/7"
        assert links.initiative_link(7, 30) == "/initiatives/7#member-30"
    # Behind a prefix (a request with a script root) the stored path stays the bare path:
    # the e-mail puts ENGAGE_BASE_URL in front of it.
    with app.test_request_context("/", base_url="http://engage.example/prefix"):
        assert links.review_link(12, 5) == "/engagements/12#review-5"


def test_an_opened_notification_keeps_a_plain_anchor_and_nothing_hostile(app):
    with app.test_request_context("/"):
        assert links.opened("/engagements/12#review-5") == "/engagements/12#review-5"
        assert links.opened("/companies/4#votes") == "/companies/4#votes"
        assert links.opened("/engagements/12") == "/engagements/12"
        assert links.opened("/engagements/12#x\"><script>") == "/engagements/12"
        assert links.opened("/engagements/12#a%20b") == "/engagements/12"
        assert links.opened("/engagements/12#review-5\nLocation: x") is None
        assert links.opened("//evil.example/#review-5") is None
        assert links.opened("https://evil.example/engagements/1#review-5") is None


def test_no_other_module_writes_a_notification_link_by_hand():
    written = re.compile(r"""link\s*=\s*f?["']/|f["']/(engagements|companies|initiatives)/\{""")
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for root in ("platform/engage", "workflows")
        for path in (PROJECT_ROOT / root).rglob("*.py")
        if path.name != "links.py" and written.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
