"""The SVG charts: well-formed XML an assistive technology can name, every bar carrying the
number it draws, operators' names escaped, gridlines at round numbers."""
import xml.etree.ElementTree as ET

import pytest

from tourism.reports import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def bars(root) -> dict[tuple[int, int], int]:
    """{(series, index): value} of every bar."""
    found = {}
    for group in root.iter(f"{SVG}g"):
        for rect in group.iter(f"{SVG}rect"):
            found[(int(group.get("data-series")), int(rect.get("data-index")))] = int(rect.get("data-value"))
    return found


def test_a_bar_chart_is_an_image_named_and_described_with_a_bar_per_value():
    svg = charts.bar_chart(chart_id="c1", title="Bookings per week", description="One bar per experience.",
                           labels=["2/3", "9/3", "16/3"],
                           series=[charts.Series("Nặn gốm", [3, 0, 5]), charts.Series("Hái chè", [1, None, 12])],
                           tick_label=str, value_label=str)
    root = parse(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Bookings per week" and root.find(f"{SVG}title").get("id") == "c1-title"
    assert root.find(f"{SVG}desc").text == "One bar per experience."
    assert bars(root) == {(0, 0): 3, (0, 1): 0, (0, 2): 5, (1, 0): 1, (1, 2): 12}  # no bar where there is no value
    tooltips = [t.text for t in root.iter(f"{SVG}title")][1:]
    assert "Nặn gốm · 16/3: 5" in tooltips
    heights = {int(r.get("data-value")): float(r.get("height")) for r in root.iter(f"{SVG}rect")}
    assert heights[12] > heights[5] > heights[3] > heights[0] == 0


def test_names_are_escaped():
    svg = charts.bar_list(chart_id="c2", title="A & B <script>", description="x", items=[("<b>Tom & Jerry</b>", 2)],
                          value_label=str)
    root = parse(svg)  # would raise on a stray < or &
    assert root.find(f"{SVG}title").text == "A & B <script>"
    assert "<b>" not in str(svg)
    assert bars(root) == {(0, 0): 2}


def test_an_empty_chart_is_still_well_formed():
    root = parse(charts.bar_chart(chart_id="c3", title="t", description="d", labels=[], series=[],
                                  tick_label=str, value_label=str))
    assert bars(root) == {}
    assert parse(charts.bar_list(chart_id="c4", title="t", description="d", items=[], value_label=str)) is not None


@pytest.mark.parametrize("largest, ticks", [
    (0, [0, 1]), (3, [0, 1, 2, 3]), (7, [0, 2, 4, 6, 8]), (10, [0, 5, 10]), (100, [0, 50, 100]),
    (1_250_000, [0, 500_000, 1_000_000, 1_500_000]),
])
def test_gridlines_fall_on_round_numbers_past_the_largest(largest, ticks):
    assert charts.nice_ticks(largest) == ticks


def test_colours_cycle_and_stay_readable():
    assert charts.color(0) == charts.color(len(charts.PALETTE))
    assert len(set(charts.PALETTE)) == len(charts.PALETTE)
