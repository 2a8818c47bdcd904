"""Charts drawn on the server as SVG: no JavaScript, nothing to download but the page.

Each chart is an image to assistive technology (role="img", named by its <title> and
described by its <desc>); the page puts the same numbers in a real table beside it. Every
bar carries its number (`data-value`, and a <title> a pointer shows) so the chart and the
table can be checked against each other. Colours keep 3:1 against the page (WCAG 1.4.11)
and the text is escaped: names come from operators.
"""
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Series colours, each at least 4.5:1 against white and the page's paper colour.
PALETTE = ("#8a3b12", "#1d5c4b", "#0b57d0", "#7b1fa2", "#9a6700", "#c2185b", "#2e7d32", "#455a64")
INK = "#574d45"  # axis labels: site.css's --ink-muted
GRID = "#d9cfc2"  # site.css's --line

WIDTH, HEIGHT = 360, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 12, 30
FONT = 12
MAX_X_LABELS = 6  # more would overlap on a phone


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


@dataclass(frozen=True)
class Series:
    """One bar per label; None where there is no value (occupancy of a week without sessions)."""

    name: str
    values: Sequence[int | None]


def nice_ticks(largest: int, count: int = 4) -> list[int]:
    """Whole-number gridlines from 0 past `largest`, at steps of 1, 2 or 5 × 10ⁿ."""
    if largest <= 0:
        return [0, 1]
    rough = largest / count
    magnitude = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    step = max(int(step), 1)
    top = -(-largest // step) * step
    return list(range(0, top + 1, step))


def _svg(chart_id: str, title: str, description: str, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rp-svg" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" focusable="false">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>'
        + "".join(body) + "</svg>")


def bar_chart(*, chart_id: str, title: str, description: str, labels: Sequence[str], series: Sequence[Series],
              tick_label: Callable[[int], str], value_label: Callable[[int], str]) -> Markup:
    """Grouped vertical bars: one group per label (a week, a month), one bar per series
    (an experience) in the series' colour (`color(i)`), the value axis from 0."""
    values = [v for s in series for v in s.values if v is not None]
    ticks = nice_ticks(max(values, default=0))
    top = ticks[-1]
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_height
    body = []
    for tick in ticks:
        y = base - plot_height * tick / top
        body.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" '
                    f'stroke-width="1"/>')
        body.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{FONT}" '
                    f'fill="{INK}">{escape(tick_label(tick))}</text>')
    groups = max(len(labels), 1)
    group_width = plot_width / groups
    bar_width = min(group_width * 0.8 / max(len(series), 1), 40)
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    for index, label in enumerate(labels):
        if index % every == 0:
            x = LEFT + group_width * (index + 0.5)
            body.append(f'<text x="{x:.1f}" y="{base + FONT + 8}" text-anchor="middle" font-size="{FONT}" '
                        f'fill="{INK}">{escape(label)}</text>')
    for number, one in enumerate(series):
        body.append(f'<g fill="{color(number)}" data-series="{number}">')
        for index, value in enumerate(one.values):
            if value is None:
                continue
            height = plot_height * value / top
            x = LEFT + group_width * (index + 0.5) - bar_width * (len(series) / 2 - number)
            body.append(f'<rect x="{x:.2f}" y="{base - height:.2f}" width="{max(bar_width - 1, 1):.2f}" '
                        f'height="{height:.2f}" data-index="{index}" data-value="{value}">'
                        f'<title>{escape(one.name)} · {escape(labels[index])}: {escape(value_label(value))}</title>'
                        f'</rect>')
        body.append("</g>")
    body.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}" stroke="{INK}" stroke-width="1"/>')
    return _svg(chart_id, title, description, HEIGHT, body)


ROW, LABEL_WIDTH, VALUE_WIDTH = 26, 120, 64


def bar_list(*, chart_id: str, title: str, description: str, items: Sequence[tuple[str, int]],
             value_label: Callable[[int], str]) -> Markup:
    """Horizontal bars, one per item (a language, a country) with its name and its number."""
    largest = max((value for _label, value in items), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP + ROW * max(len(items), 1) + 4
    body = [f'<g fill="{color(0)}" data-series="0">']
    labels = []
    for index, (label, value) in enumerate(items):
        y = TOP + ROW * index
        width = span * value / largest
        body.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.2f}" height="{ROW - 8}" data-index="{index}" '
                    f'data-value="{value}"><title>{escape(label)}: {escape(value_label(value))}</title></rect>')
        labels.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + (ROW - 8) / 2 + 4:.1f}" text-anchor="end" font-size="{FONT}" '
                      f'fill="{INK}">{escape(_shorten(label, 18))}</text>')
        labels.append(f'<text x="{LABEL_WIDTH + width + 4:.2f}" y="{y + (ROW - 8) / 2 + 4:.1f}" font-size="{FONT}" '
                      f'fill="{INK}">{escape(value_label(value))}</text>')
    body.append("</g>")
    return _svg(chart_id, title, description, height, body + labels)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
