"""What the engagement page and its fragments need to show attachments: each row's files,
read for the whole engagement once per request (one statement, whatever the page shows;
the engagement page hands over the list it read with its other sections)."""

from __future__ import annotations

from typing import Any

from flask import request

from engage.attachments import service
from engage.attachments.models import Attachment

_KEY = "engage.attachments"


def _cache() -> dict[int, dict[tuple[str, int], list[Attachment]]]:
    return request.environ.setdefault(_KEY, {})


def remember(engagement_id: int, attachments: list[Attachment]) -> None:
    """The engagement's attachments as a page read them (in its sections' statement)."""
    found: dict[tuple[str, int], list[Attachment]] = {}
    for attachment in attachments:
        found.setdefault((attachment.parent_kind.value, attachment.parent_id), []).append(attachment)
    _cache()[engagement_id] = found


def attachments_for(row: Any) -> list[Attachment]:
    """The attachments this organisation sees on a dialogue entry, milestone or letter."""
    cache = _cache()
    if row.engagement_id not in cache:
        cache[row.engagement_id] = service.of_engagement(row.engagement_id)
    return cache[row.engagement_id].get((service.parent_kind_of(row).value, row.id), [])


def attachment_kind(row: Any) -> str:
    return service.parent_kind_of(row).value
