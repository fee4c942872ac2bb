"""Pagination for every list page: the page asked for, and how many there are."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request


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
    """``?page=N`` (1 when absent or not a positive number) and the configured size."""
    try:
        number = max(1, int(request.args.get("page", 1)))
    except ValueError:
        number = 1
    return Page(number=number, size=current_app.config["ENGAGE_PAGE_SIZE"])
