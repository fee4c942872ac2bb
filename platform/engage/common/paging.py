"""Pagination for every list page: the page asked for, and how many there are."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from engage.common.bounds import ID_MAX, query_int


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def count(self, total: int) -> int:
        return max(1, -(-total // self.size))


def current_page() -> Page:
    """``?page=N`` (1 when absent) and the configured size. A page that is not a whole
    number, or so far out that its offset would pass the largest id, is a 400."""
    size = current_app.config["ENGAGE_PAGE_SIZE"]
    number = query_int("page", default=1, low=1, high=ID_MAX // size)
    return Page(number=number, size=size)
