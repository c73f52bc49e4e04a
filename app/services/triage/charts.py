"""The dashboard's charts as inline SVG, drawn on the server: no chart JavaScript, nothing
fetched. Every text is escape()d, sizes are attributes and colours come from classes in
site.css (the CSP forbids style attributes). The bar and column charts are hidden from
screen readers, since a table beside each carries the same numbers; the map is one image
with a text alternative and its table.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

from app.services.triage import nk_map
from app.services.triage.stats import Bar

MAP_STEPS = 4  # shades for counts above zero; step 0 is "none"


def _svg(css: str, width: float, height: float, inner: list[str], hidden: bool = True, extra: str = "") -> Markup:
    aria = ' aria-hidden="true" focusable="false"' if hidden else ""
    head = (f'<svg class="{css}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
            f'width="100%"{aria}{extra}>')
    return Markup(head + "".join(inner) + "</svg>")  # nosec B704 # numbers and escape()d text only


def _text_width(text: str, size: float) -> float:
    """A rough width for fitting a label: Hangul and other wide letters are about one em."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.58 for ch in text)


def column_chart(bars: Sequence[Bar], height: int = 150) -> Markup:
    """Months as columns, oldest first: a top line with the largest count, each column's count
    above it when there is room, and the month written under the first column and every January."""
    width, left, top_pad, bottom = 720, 4, 18, 22
    top = max((bar.value for bar in bars), default=0) or 1
    step = (width - left) / max(len(bars), 1)
    plot = height - top_pad - bottom
    parts = [f'<line class="chart-axis" x1="{left}" y1="{top_pad + plot}" x2="{width}" y2="{top_pad + plot}"></line>']
    for index, bar in enumerate(bars):
        x = left + index * step
        tall = plot * bar.value / top
        y = top_pad + plot - tall
        parts.append(f'<rect class="chart-bar" x="{x + step * 0.15:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
                     f'height="{tall:.1f}"><title>{escape(bar.label)}: {bar.value}</title></rect>')
        if step >= 16 and bar.value:
            parts.append(f'<text class="chart-value" x="{x + step / 2:.1f}" y="{y - 4:.1f}" '
                         f'text-anchor="middle">{bar.value}</text>')
        # The first month is named unless a January follows closely (the names would overlap).
        first = index == 0 and not any(b.key.endswith("-01") for b in bars[1:1 + math.ceil(90 / step)])
        if first or (index and bar.key.endswith("-01")):
            parts.append(f'<text class="chart-label" x="{x + step * 0.15:.1f}" y="{height - 5}">'
                         f'{escape(bar.label)}</text>')
    return _svg("chart chart-columns", width, height, parts)


def _lines(text: str, size: float, room: float) -> list[str]:
    """The label broken into lines that fit: after spaces, middle dots and commas, and inside a
    word only when it is longer than a line by itself."""
    lines, line = [], ""
    for word in re.findall(r"[^ ·,]+[ ·,]*|[ ·,]+", text):
        if line and _text_width((line + word).rstrip(), size) > room:
            lines.append(line.rstrip())
            line = ""
        while _text_width(word.rstrip(), size) > room:  # one word wider than a line: cut it
            cut = max(1, next(i for i in range(len(word), 0, -1) if _text_width(word[:i], size) <= room))
            lines.append(word[:cut])
            word = word[cut:]
        line += word
    return [*lines, line.rstrip()] if line.strip() else lines or [""]


def bar_chart(bars: Sequence[Bar], width: int = 340, row: int = 19) -> Markup:
    """A small horizontal bar chart: the label on the left, on two or more lines when it is
    long (never cut off), the bar and its count on the right of its first line. Several side
    by side are small multiples."""
    label_room, size, line_height = width * 0.5, 12, 14
    bar_room = width - label_room - 36
    top = max((bar.value for bar in bars), default=0) or 1
    parts, y = [], 2  # room above the first line for Hangul's tall glyph boxes
    for bar in bars:
        lines = _lines(bar.label, size, label_room - 8)
        length = bar_room * bar.value / top
        # x=2: a capital Y or J can reach a pixel left of its origin, and the svg clips there.
        text = "".join(f'<tspan x="2" y="{y + 13 + index * line_height}">{escape(line)}</tspan>'
                       for index, line in enumerate(lines))
        parts.append(
            f'<text class="chart-label">{text}</text>'
            f'<rect class="chart-bar" x="{label_room:.1f}" y="{y + 3}" width="{length:.1f}" height="{row - 6}">'
            f'<title>{escape(bar.label)}: {bar.value}</title></rect>'
            f'<text class="chart-value" x="{label_room + length + 4:.1f}" y="{y + 13}">{bar.value}</text>'
        )
        y += row + (len(lines) - 1) * line_height
    return _svg("chart chart-bars", width, max(row, y) + 2, parts)


def map_step(value: int, top: int) -> int:
    """0 for no items, else 1..MAP_STEPS by the share of the largest count."""
    if value <= 0 or top <= 0:
        return 0
    return max(1, math.ceil(MAP_STEPS * value / top))


def map_legend(top: int) -> list[tuple[int, int, int]]:
    """(step, lowest, highest count) of each shade in use, for the legend under the map."""
    legend = [(0, 0, 0)]
    for step in range(1, MAP_STEPS + 1):
        low = math.floor(top * (step - 1) / MAP_STEPS) + 1
        high = math.floor(top * step / MAP_STEPS)
        if top > 0 and low <= high:
            legend.append((step, low, high))
    return legend


def province_map(counts: Mapping[str, int], names: Mapping[str, str], short: Mapping[str, str],
                 title: str, description: str) -> Markup:
    """North Korea's provinces shaded by count: areas, and the two cities without an area of
    their own as dots. `names` (full) go into each shape's <title>; each `short` name is
    written on the map with the count under it, outside labels joined to their place by a
    line. The svg is one image whose name and description say what it shows; the table after
    it is the full alternative."""
    top = max((counts.get(code, 0) for code in nk_map.CODES), default=0)
    parts = [f'<title id="map-title">{escape(title)}</title><desc id="map-desc">{escape(description)}</desc>']
    dots, leaders, labels = [], [], []
    for code in nk_map.CODES:
        value = counts.get(code, 0)
        attributes = (f'class="map-province map-step-{map_step(value, top)}" data-province="{code}" '
                      f'data-count="{value}"')
        tip = f"<title>{escape(names[code])}: {value}</title>"
        if code in nk_map.POINTS:
            x, y = nk_map.point(code)
            dots.append(f'<circle {attributes} cx="{x:.1f}" cy="{y:.1f}" r="{nk_map.POINT_RADIUS}">{tip}</circle>')
        else:
            parts.append(f'<path {attributes} d="{nk_map.path_data(code)}">{tip}</path>')
        x, y = nk_map.label_point(code)
        start = nk_map.leader_start(code)
        if start:
            end = _box_edge((x, y), start, _label_size(short[code], value))
            leaders.append(f'<line class="map-leader" x1="{start[0]:.1f}" y1="{start[1]:.1f}" '
                           f'x2="{end[0]:.1f}" y2="{end[1]:.1f}"></line>')
        labels.append(f'<text class="map-label" data-province="{code}" x="{x:.1f}" y="{y - 2:.1f}" '
                      f'text-anchor="middle">{escape(short[code])}'
                      f'<tspan class="map-count" x="{x:.1f}" y="{y + 12:.1f}">{value}</tspan></text>')
    extra = ' role="img" aria-labelledby="map-title map-desc"'
    return _svg("chart chart-map", nk_map.WIDTH, nk_map.HEIGHT, parts + dots + leaders + labels, hidden=False,
                extra=extra)


MAP_FONT = 14  # .map-label in site.css


def _label_size(name: str, value: int) -> tuple[float, float]:
    """A label's rough width and height: the name (bold, so a little wider) over its count."""
    return max(_text_width(name, MAP_FONT) * 1.08, _text_width(str(value), MAP_FONT)) + 4, 2 * MAP_FONT + 4


Point = tuple[float, float]


def _box_edge(centre: Point, start: Point, size: Point) -> Point:
    """Where the line from `start` to a label's centre meets the label's box: the leader
    stops there instead of running through the letters."""
    (x, y), (dx, dy) = centre, (start[0] - centre[0], start[1] - centre[1])
    half_w, half_h = size[0] / 2, size[1] / 2
    t = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
    return (x + dx * t, y + dy * t + 1.5) if t < 1 else centre  # the box is centred 1.5 below y
