"""Geometry for the home page's charts, drawn as inline SVG by ``templates/home/_charts.html``.

No JavaScript library: the numbers are laid out here (pure functions, easy to test) and the
template draws rectangles and text. Labels stay keys (a stage number, a step kind); the
template translates them, so a chart reads in the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 360
BAR_HEIGHT = 28  # horizontal charts: one row per bar
PLOT_HEIGHT = 150  # vertical charts: the bars' full height
LABEL_WIDTH = 170  # horizontal charts: room for the labels on the left
BOTTOM = 40  # vertical charts: room for the labels (two lines) under the bars
TOP = 18  # room for the value printed above the tallest bar


@dataclass(frozen=True)
class Segment:
    series: int  # 0 = first series (e.g. success), 1 = second (no prospect)
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Bar:
    label: str
    total: int
    segments: list[Segment]
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    horizontal: bool
    bars: list[Bar]
    max_value: int

    @property
    def empty(self) -> bool:
        return self.max_value == 0


def _scale(max_value: int, room: float) -> float:
    return room / max_value if max_value else 0.0


def bar_chart(items: list[tuple[str, int]], *, horizontal: bool = False) -> Chart:
    """One bar per (label, value)."""
    return stacked_chart([(label, value) for label, value in items], horizontal=horizontal)


def stacked_chart(items: list[tuple], *, horizontal: bool = False) -> Chart:
    """One bar per (label, value, value, ...): the values stack, first series at the base."""
    totals = [sum(values) for _, *values in items]
    max_value = max(totals, default=0)
    bars: list[Bar] = []
    if horizontal:
        height = max(1, len(items)) * BAR_HEIGHT + 4
        unit = _scale(max_value, WIDTH - LABEL_WIDTH - 30)
        for i, (label, *values) in enumerate(items):
            y = i * BAR_HEIGHT + 4
            x = float(LABEL_WIDTH)
            segments = []
            for series, value in enumerate(values):
                w = value * unit
                segments.append(Segment(series, value, x, y, w, BAR_HEIGHT - 8))
                x += w
            bars.append(Bar(label, totals[i], segments, LABEL_WIDTH - 8, y + BAR_HEIGHT / 2,
                            x + 6, y + BAR_HEIGHT / 2))
        return Chart(WIDTH, height, True, bars, max_value)
    height = TOP + PLOT_HEIGHT + BOTTOM
    slot = WIDTH / max(1, len(items))
    bar_width = min(56.0, slot * 0.6)
    unit = _scale(max_value, PLOT_HEIGHT)
    base = TOP + PLOT_HEIGHT
    for i, (label, *values) in enumerate(items):
        x = i * slot + (slot - bar_width) / 2
        y = float(base)
        segments = []
        for series, value in enumerate(values):
            h = value * unit
            y -= h
            segments.append(Segment(series, value, x, y, bar_width, h))
        bars.append(Bar(label, totals[i], segments, x + bar_width / 2, base + 14,
                        x + bar_width / 2, y - 5))
    return Chart(WIDTH, height, False, bars, max_value)
