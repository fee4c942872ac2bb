"""Markup every page shares: each ``<time datetime>`` on the main pages holds a valid HTML
date or global date and time string (a date, or a moment to the second with its offset, no
microseconds); each page names the favicon."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from engage.common.labels import html_time
from tests.test_query_budget import _login, world  # noqa: F401  (the fixture)

DATE = r"\d{4}-\d{2}-\d{2}"
VALID = re.compile(rf"^(?:{DATE}|{DATE}T\d{{2}}:\d{{2}}:\d{{2}}(?:Z|[+-]\d{{2}}:\d{{2}}))$")
ATTRIBUTE = re.compile(r'<time\b[^>]*\bdatetime="([^"]*)"')


def test_a_moment_drops_its_microseconds_and_states_its_offset():
    moment = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone.utc)
    assert html_time(moment) == "2026-03-01T09:30:15Z"
    assert html_time(moment.date()) == "2026-03-01"


@pytest.mark.parametrize("path", ["/", "/engagements/{engagement}",
                                  "/engagements/{engagement}/timeline"])
def test_every_time_element_on_the_main_pages_is_valid(path, client, world):  # noqa: F811
    _login(client, world)
    response = client.get(path.format(**world))
    assert response.status_code == 200
    values = ATTRIBUTE.findall(response.get_data(as_text=True))
    assert values, path
    assert [v for v in values if not VALID.match(v)] == []


def test_every_page_names_its_favicon_and_the_favicon_is_served(client, world):  # noqa: F811
    _login(client, world)
    html = client.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    icon = client.get(href)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).startswith("<svg")
