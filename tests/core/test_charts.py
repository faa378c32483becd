"""The server-rendered bar chart: bars in proportion to their values on a round axis, no bar
for a missing value, and markup with role="img", a title and a description."""

from django.template.loader import render_to_string
from django.utils import translation

from brygga.core.charts import BarChart, nice_ceiling


def test_axis_maximum_is_round():
    assert nice_ceiling(0) == (4, 1)
    assert nice_ceiling(3) == (4, 1)
    assert nice_ceiling(7) == (8, 2)
    assert nice_ceiling(37) == (40, 10)
    assert nice_ceiling(101) == (200, 50)


def test_bars_are_in_proportion_and_missing_values_draw_nothing():
    chart = BarChart(labels=["v. 1", "v. 2"], series=[("I år", [4, 8]), ("I fjol", [2, None])])
    assert len(chart.bars) == 3  # week 2 of last year has no value
    four, two, eight = (b["height"] for b in chart.bars)  # group by group
    assert eight == 2 * four and two * 2 == four
    # the tallest bar reaches the axis maximum (8) from the baseline
    assert chart.bars[2]["y"] == chart.top and chart.ticks[-1]["value"] == 8
    assert [s["name"] for s in chart.legend] == ["I år", "I fjol"]


def test_markup_is_an_accessible_image_with_unlocalised_numbers():
    chart = BarChart(labels=["v. 1"], series=[("I år", [3]), ("I fjol", [1])])
    with translation.override("sv"):
        html = render_to_string(
            "includes/bar_chart.html",
            {"chart": chart, "chart_id": "c", "chart_title": "T", "chart_desc": "D"},
        )
    assert 'role="img"' in html and 'aria-labelledby="c-title c-desc"' in html
    assert '<title id="c-title">T</title>' in html and '<desc id="c-desc">D</desc>' in html
    assert html.count("<rect ") == 2
    # coordinates keep a decimal point in Swedish (a comma would break the SVG)
    assert "," not in html.split("<rect", 1)[1].split(">", 1)[0]
