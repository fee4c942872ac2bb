"""The links that notifications carry, built in one place from the app's routes.

A notification stores a path on the site (``/engagements/12#review-5``): the page opens it
with ``safe_next`` and the e-mail puts ``ENGAGE_BASE_URL`` in front. The path is built from
the URL map, as ``url_for`` would, but without a request or ``SERVER_NAME``: the sweep and
the flows notify too.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app

from engage.security import safe_next

# The anchors links.py writes: a plain name, e.g. ``review-5`` or ``votes``.
_ANCHOR = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


def _path(endpoint: str, anchor: str | None = None, **values: Any) -> str:
    # A bound adapter with no script root builds the bare path, which is what is stored
    # (and what notifications written before this module used).
    path = current_app.url_map.bind("", script_name="/").build(endpoint, values)
    return f"{path}#{anchor}" if anchor else path


def opened(link: str) -> str | None:
    """Where a stored link leads when its notification is opened: the same-site path that
    ``safe_next`` allows, with the link's anchor kept when it is a plain name (an anchor never
    reaches a server and cannot lead off the site); None when the path is refused."""
    path = safe_next(link)
    if path is None or "#" in path:
        return path
    anchor = link.partition("#")[2]
    return f"{path}#{anchor}" if _ANCHOR.fullmatch(anchor) else path


def engagement_link(engagement_id: int, anchor: str | None = None) -> str:
    """The engagement's page, optionally at one of its parts (``review-5``, ``letter-3``)."""
    return _path("engagements.show", anchor, engagement_id=engagement_id)


def review_link(engagement_id: int, review_id: int) -> str:
    return engagement_link(engagement_id, f"review-{review_id}")


def letter_link(letter_id: int) -> str:
    """The document's own page (a letter, statement, AGM question or resolution), where it is
    read in full and signed or declined."""
    return _path("escalations.letter_page", letter_id=letter_id)


def vote_request_link(engagement_id: int, vote_id: int) -> str:
    return engagement_link(engagement_id, f"vote-{vote_id}")


def divestment_link(engagement_id: int, review_id: int) -> str:
    return engagement_link(engagement_id, f"divestment-{review_id}")


def task_link(engagement_id: int, task_id: int) -> str:
    return engagement_link(engagement_id, f"task-{task_id}")


def company_votes_link(company_id: int) -> str:
    """The company's page at its votes."""
    return _path("companies.show", "votes", company_id=company_id)


def initiative_link(initiative_id: int, member_id: int | None = None) -> str:
    """The initiative's page, at one member's application when given."""
    anchor = f"member-{member_id}" if member_id is not None else None
    return _path("initiatives.show", anchor, initiative_id=initiative_id)


def invitation_link(invitation_id: int) -> str:
    """The invited organisation's list of invitations, at this one."""
    return _path("invitations.index", f"invitation-{invitation_id}")
