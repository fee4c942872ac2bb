"""Chart geometry: bars in proportion to their values, stacked series, nothing to draw."""

from engage.home.charts import PLOT_HEIGHT, bar_chart, stacked_chart


def test_vertical_bars_are_in_proportion_and_share_a_base():
    chart = bar_chart([("0", 1), ("1", 4), ("2", 0)])
    heights = [bar.segments[0].height for bar in chart.bars]
    assert heights == [PLOT_HEIGHT / 4, PLOT_HEIGHT, 0]
    bases = {round(s.y + s.height, 6) for bar in chart.bars for s in bar.segments}
    assert len(bases) == 1 and not chart.empty


def test_stacked_series_sit_on_each_other():
    chart = stacked_chart([("2026-1", 2, 1), ("2026-2", 0, 3)])
    first = chart.bars[0].segments
    assert first[1].y + first[1].height == first[0].y  # no prospect on top of success
    assert [bar.total for bar in chart.bars] == [3, 3]


def test_horizontal_bars_grow_from_the_labels():
    chart = bar_chart([("letter_to_board", 2), ("public_statement", 1)], horizontal=True)
    a, b = (bar.segments[0] for bar in chart.bars)
    assert a.x == b.x and a.width == 2 * b.width and chart.horizontal


def test_an_empty_chart_says_so():
    assert bar_chart([("0", 0), ("1", 0)]).empty and stacked_chart([]).empty
