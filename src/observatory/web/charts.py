"""Charts and a world map drawn on the server as inline SVG: readable without JavaScript, light, accessible.

Every function returns a :class:`markupsafe.Markup` holding one ``<svg>`` element, ready for a Jinja2 template
(``{{ chart }}``). The SVG has a ``viewBox`` and ``width="100%"`` (so it scales with its container), inherits
the page's fonts (``font-family="inherit"``) and uses presentation attributes only -- no ``<style>``, no inline
``style``, no script -- so a strict Content-Security-Policy does not affect it.

Text: every word shown comes from the caller (already translated); numbers are formatted by the caller's
callbacks; everything is escaped. The chart's name is its ``title`` (``<title>`` and ``aria-label``). A chart
without links is ``role="img"``; a chart with links is ``role="group"`` instead, because the children of an
``img`` are presentational and links inside it would be hidden from assistive technology (axe rule
``nested-interactive``). Pages should still show the figures as a table next to the chart.

Colour: bars and lines use Okabe-Ito colours (darkened where needed) that keep a contrast of at least 3:1
against white (WCAG 1.4.11); line series differ by colour, dash pattern and marker shape, so they read in
greyscale. The map uses :func:`palette`, steps of viridis (colour-blind safe, perceptually ordered) restricted to
its darker part so that every class keeps 3:1 against white; countries without a value are light grey with a
hatch, lighter than every class.

The world map
-------------
Geometry comes from the npm package ``world-atlas`` (Natural Earth, public domain), installed by the project's
set-up (``make setup`` runs ``npm install``; ``package.json`` pins ``"world-atlas": "2.0.2"``). The file is
found at ``$OBSERVATORY_WORLD_ATLAS`` (the package folder or its ``countries-110m.json``), else in
``node_modules/world-atlas/`` of the project root or of the working directory. Nothing is downloaded.

* Shapes: ``countries-110m.json``. The TopoJSON arcs are decoded here, projected with the Equal Earth projection
  (equal-area, Šavrič et al. 2018) onto a 1000-unit-wide ``viewBox``, simplified per arc (Douglas-Peucker,
  0.6 unit, so neighbours keep a common border), rounded to integers and written as relative path commands.
  Antarctica is left out (the view stops below Tierra del Fuego). The SVG is about 45-55 KB (10-15 KB gzipped).
* Natural Earth 110m has no polygon for about 70 small countries and territories, many of them SIDS (ATG, BRB,
  COM, CPV, DMA, FSM, GRD, KIR, KNA, LCA, MDV, MHL, MUS, NRU, PLW, SGP, STP, SYC, TON, TUV, VCT, WSM, ...). Those
  with a value are drawn as small circles at the centroid of their largest island, read from
  ``countries-10m.json`` of the same package (read once, about 0.3 s, then cached). No circle is drawn for small
  countries without a value.
* Still absent (no separate geometry even at 10m): BES, BVT, CCK, CXR, SJM, TKL, and GLP, GUF, MTQ, MYT, REU,
  which Natural Earth draws as parts of France; Antarctica (ATA) is left out of the view.
  :func:`unmapped_countries` gives the list at run time so a page can say which countries the map cannot show.
* Natural Earth's "Somaliland" and "N. Cyprus" are drawn as parts of SOM and CYP (as in UN M49 and ISO 3166);
  Kosovo, which has no ISO 3166-1 code, is drawn in the no-data grey without a name.

Suggested CSS for the page (optional)::

    .chart a:hover > :not(title), .chart a:focus-visible > :not(title) { stroke: #000; stroke-width: 1.5; }
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

__all__ = [
    "BAR_COLOUR",
    "NO_DATA_FILL",
    "SERIES_COLOURS",
    "WorldAtlasMissingError",
    "bar_chart",
    "class_breaks",
    "contrast_ratio",
    "line_chart",
    "nice_ticks",
    "palette",
    "unmapped_countries",
    "world_map",
]

TEXT_COLOUR = "#1f1f1f"
MUTED_COLOUR = "#595959"  # 7:1 on white
GRID_COLOUR = "#d6d6d6"  # decorative only
BAR_COLOUR = "#0072B2"  # Okabe-Ito blue, 5.2:1 on white
# Okabe-Ito blue, vermillion, bluish green, reddish purple (darkened to 4.5:1), then dark grey.
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#B0588F", "#595959")
SERIES_DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 2")
SERIES_MARKERS = ("circle", "square", "triangle", "diamond", "cross")
NO_DATA_FILL = "#ececec"
NO_DATA_HATCH = "#b3b3b3"

# Viridis (matplotlib, CC0) at t = 0, 0.1, ..., 0.6. Beyond about t = 0.57 the colours fall below 3:1 on white.
_VIRIDIS = ("#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884")
_VIRIDIS_LIGHTEST = 0.56
_VIRIDIS_DARKEST = 0.0

WORLD_ATLAS_ENV = "OBSERVATORY_WORLD_ATLAS"
SETUP_HINT = (
    "run the project's set-up (`make setup`, which runs `npm install` to install the npm package world-atlas "
    f"into node_modules/) or set {WORLD_ATLAS_ENV} to the folder holding countries-110m.json"
)


class WorldAtlasMissingError(RuntimeError):
    """The world geometry (npm package ``world-atlas``) is not installed where the map looks for it."""


# --- helpers shared by the charts -------------------------------------------------------------------------------


def _e(text: str) -> str:
    return str(escape(text))


def _num(value: float) -> str:
    """A coordinate with at most one decimal, no trailing zeros."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


_NARROW = frozenset("iljtfrI.,:;!|'()[] ")
_WIDE = frozenset("mwMW@%<>=+~&#")


def _text_width(text: str, size: float) -> float:
    """A generous estimate of the width of ``text`` in a proportional sans-serif font (no font metrics here)."""
    units = 0.0
    for char in text:
        if char in _NARROW:
            units += 0.32
        elif char in _WIDE:
            units += 0.95
        elif char.isupper() or char.isdigit():
            units += 0.7
        else:
            units += 0.6
    return units * size


def _fit(text: str, width: float, size: float) -> str:
    """``text`` cut with an ellipsis so that it fits in ``width``."""
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _svg_open(width: float, height: float, title: str, *, interactive: bool, kind: str) -> str:
    role = "group" if interactive else "img"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height)}" width="100%" '
        f'role="{role}" aria-label="{_e(title)}" class="chart chart-{kind}" font-family="inherit" '
        f'fill="{TEXT_COLOUR}"><title>{_e(title)}</title>'
    )


def _markup(parts: Iterable[str]) -> Markup:
    """The assembled SVG: every piece of caller text in it went through :func:`_e` (markupsafe.escape)."""
    return Markup("".join(parts))  # noqa: S704


def _relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(colour: str, other: str = "#ffffff") -> float:
    """WCAG 2 contrast ratio between two ``#rrggbb`` colours."""
    a, b = sorted((_relative_luminance(colour), _relative_luminance(other)), reverse=True)
    return (a + 0.05) / (b + 0.05)


# --- bar chart --------------------------------------------------------------------------------------------------


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    value_format: Callable[[float], str],
    href: Callable[[int], str | None] | None = None,
    max_items: int = 12,
    width: int = 720,
    font_size: int = 14,
) -> Markup:
    """Horizontal bars in the given order (sort before calling), at most ``max_items`` of them.

    Labels sit on the left (cut with an ellipsis when too long; the full label is in each bar's ``<title>``),
    the formatted value at the end of each bar. ``href(i)`` gives the link for ``items[i]`` (or ``None``); a
    linked row is an SVG ``<a>`` around its label, bar and value. Negative values are drawn as empty bars.
    """
    shown = list(items[: max(0, max_items)])
    values = [max(0.0, float(v)) if math.isfinite(v) else 0.0 for _, v in shown]
    formatted = [value_format(v) for _, v in shown]
    links = [href(i) if href else None for i in range(len(shown))]
    row, bar, pad = round(font_size * 1.9), round(font_size * 1.3), 4
    height = max(1, len(shown)) * row + 2 * pad
    # Estimated widths run short in some fonts: keep a margin so that no label is clipped at the left edge.
    label_room = min(max((_text_width(label, font_size) for label, _ in shown), default=0.0) * 1.15, width * 0.45)
    value_room = max((_text_width(text, font_size) for text in formatted), default=0.0) + 8
    x0 = label_room + 10
    span = max(1.0, width - x0 - value_room - 4)
    top = max(values, default=0.0)
    parts = [_svg_open(width, height, title, interactive=any(links), kind="bar")]
    parts.append(f'<g font-size="{font_size}">')
    for i, ((label, _), value, text, link) in enumerate(zip(shown, values, formatted, links, strict=True)):
        y = pad + i * row
        length = span * value / top if top > 0 else 0.0
        mid = y + row / 2
        parts.append(f'<a href="{_e(link)}">' if link else "<g>")
        underline = ' text-decoration="underline"' if link else ""
        parts.append(f"<title>{_e(label)}: {_e(text)}</title>")
        parts.append(
            f'<text x="{_num(label_room)}" y="{_num(mid)}" dy="0.35em" text-anchor="end"{underline}>'
            f"{_e(_fit(label, label_room / 1.15, font_size))}</text>"
        )
        parts.append(
            f'<rect x="{_num(x0)}" y="{_num(mid - bar / 2)}" width="{_num(length)}" height="{bar}" '
            f'fill="{BAR_COLOUR}"/>'
        )
        parts.append(f'<text x="{_num(x0 + length + 5)}" y="{_num(mid)}" dy="0.35em">{_e(text)}</text>')
        parts.append("</a>" if link else "</g>")
    parts.append(
        f'</g><line x1="{_num(x0)}" x2="{_num(x0)}" y1="{pad}" y2="{height - pad}" stroke="{MUTED_COLOUR}"/></svg>'
    )
    return _markup(parts)


# --- line chart -------------------------------------------------------------------------------------------------


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering ``[low, high]``, about ``count`` steps.

    The first tick is at or below ``low`` and the last at or above ``high``.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("nice_ticks needs finite bounds")
    if high < low:
        low, high = high, low
    if high == low:
        high, low = (high + 1, low) if low == 0 else (high + abs(high) * 0.1, low - abs(low) * 0.1)
    raw = (high - low) / max(1, count)
    exponent = math.floor(math.log10(raw))
    step = next(m * 10.0**exponent for m in (1, 2, 5, 10) if m * 10.0**exponent >= raw * (1 - 1e-9))
    decimals = max(0, -math.floor(math.log10(step)))
    start, end = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(k * step, decimals) + 0.0 for k in range(start, end + 1)]


def _marker(kind: str, x: float, y: float, r: float) -> str:
    if kind == "square":
        return f"M{_num(x - r)} {_num(y - r)}h{_num(2 * r)}v{_num(2 * r)}h{_num(-2 * r)}z"
    if kind == "triangle":
        return f"M{_num(x)} {_num(y - 1.2 * r)}l{_num(1.2 * r)} {_num(2.1 * r)}h{_num(-2.4 * r)}z"
    if kind == "diamond":
        d = _num(1.3 * r)
        return f"M{_num(x)} {_num(y - 1.3 * r)}l{d} {d}l-{d} {d}l-{d} -{d}z"
    if kind == "cross":
        w = r * 0.45
        return (
            f"M{_num(x - w)} {_num(y - r)}h{_num(2 * w)}v{_num(r - w)}h{_num(r - w)}v{_num(2 * w)}h{_num(w - r)}"
            f"v{_num(r - w)}h{_num(-2 * w)}v{_num(w - r)}h{_num(w - r)}v{_num(-2 * w)}h{_num(r - w)}z"
        )
    radius = _num(r)
    return f"M{_num(x - r)} {_num(y)}a{radius} {radius} 0 1 0 {_num(2 * r)} 0a{radius} {radius} 0 1 0 -{_num(2 * r)} 0z"


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    *,
    title: str,
    x_format: Callable[[float], str],
    y_format: Callable[[float], str],
    x_ticks: Sequence[float] | None = None,
    y_from_zero: bool = True,
    width: int = 720,
    height: int = 320,
    font_size: int = 14,
) -> Markup:
    """One or more series of ``(x, y)`` points sharing one y axis, with a legend above the plot.

    Series are told apart by colour, dash pattern and marker shape (markers on every point up to 24 points,
    else on about 12 of them, always the last). Y ticks are round numbers (:func:`nice_ticks`), from zero unless
    ``y_from_zero`` is false; x ticks are round numbers within the data's range unless ``x_ticks`` is given (for
    instance the first day of each year when x is a date ordinal). Series in different units (pledge count and
    USD value) are better drawn as two charts side by side (small multiples) than on two axes.
    """
    clean = [
        (name, sorted((float(x), float(y)) for x, y in points if math.isfinite(x) and math.isfinite(y)))
        for name, points in series
    ]
    xs = [x for _, points in clean for x, _ in points]
    ys = [y for _, points in clean for _, y in points]
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x_hi == x_lo:
        x_lo, x_hi = x_lo - 1, x_hi + 1
    y_lo, y_hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
    if y_from_zero:
        y_lo, y_hi = min(0.0, y_lo), max(0.0, y_hi)
    yt = nice_ticks(y_lo, y_hi, 5)
    if len(yt) > 1 and yt[1] - yt[0] < 1 and all(float(y).is_integer() for y in ys):
        # Counts: no tick between two whole numbers (labels would repeat once rounded).
        yt = [float(t) for t in range(math.floor(y_lo), math.ceil(y_hi) + 1)]
    y_lo, y_hi = yt[0], yt[-1]
    if x_ticks is None:
        xt = [t for t in nice_ticks(x_lo, x_hi, 6) if x_lo - 1e-9 <= t <= x_hi + 1e-9]
    else:
        xt = [float(t) for t in x_ticks if x_lo <= t <= x_hi]

    # Legend rows above the plot.
    legend: list[tuple[float, float, int]] = []
    lx, ly, line_h = 0.0, font_size * 0.9, font_size * 1.6
    for index, (name, _) in enumerate(clean):
        item = 36 + _text_width(name, font_size) + 18
        if lx > 0 and lx + item > width:
            lx, ly = 0.0, ly + line_h
        legend.append((lx, ly, index))
        lx += item
    top = (ly + line_h if clean else 0) + font_size * 0.6
    left = max((_text_width(y_format(t), font_size) for t in yt), default=0.0) + 10
    right = max(8.0, _text_width(x_format(xt[-1]), font_size) / 2 + 2) if xt else 8.0
    bottom = height - font_size * 2.2
    plot_w = width - left - right

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * plot_w

    def py(y: float) -> float:
        return bottom - (y - y_lo) / (y_hi - y_lo) * (bottom - top)

    parts = [_svg_open(width, height, title, interactive=False, kind="line"), f'<g font-size="{font_size}">']
    grid = "".join(f"M{_num(left)} {_num(py(t))}H{_num(width - right)}" for t in yt)
    parts.append(f'<path d="{grid}" stroke="{GRID_COLOUR}" fill="none"/>')
    parts.append(f'<g class="ticks-y" text-anchor="end" fill="{MUTED_COLOUR}">')
    parts.extend(f'<text x="{_num(left - 6)}" y="{_num(py(t))}" dy="0.35em">{_e(y_format(t))}</text>' for t in yt)
    parts.append(f'</g><g class="ticks-x" text-anchor="middle" fill="{MUTED_COLOUR}">')
    parts.extend(f'<text x="{_num(px(t))}" y="{_num(bottom + font_size * 1.4)}">{_e(x_format(t))}</text>' for t in xt)
    ticks = "".join(f"M{_num(px(t))} {_num(bottom)}v5" for t in xt)
    parts.append(
        f'</g><path d="M{_num(left)} {_num(bottom)}H{_num(width - right)}{ticks}" stroke="{MUTED_COLOUR}" fill="none"/>'
    )
    for index, (name, points) in enumerate(clean):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        dash = SERIES_DASHES[index % len(SERIES_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        shape = SERIES_MARKERS[index % len(SERIES_MARKERS)]
        if not points:
            continue
        d = "M" + "L".join(f"{_num(px(x))} {_num(py(y))}" for x, y in points)
        parts.append(
            f'<g class="series" data-series="{index}"><title>{_e(name)}</title>'
            f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2.5" stroke-linejoin="round"{dash_attr}/>'
        )
        count = len(points) if len(points) <= 24 else 12
        marked = sorted({round(k * (len(points) - 1) / max(1, count - 1)) for k in range(count)})
        marks = "".join(_marker(shape, px(points[k][0]), py(points[k][1]), 3.5) for k in marked)
        parts.append(f'<path d="{marks}" fill="{colour}" stroke="#fff" stroke-width="1"/></g>')
    parts.append('<g class="legend">')
    for lx, ly, index in legend:
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        dash = SERIES_DASHES[index % len(SERIES_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        shape = SERIES_MARKERS[index % len(SERIES_MARKERS)]
        parts.append(
            f'<path d="M{_num(lx)} {_num(ly)}h30" stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
            f'<path d="{_marker(shape, lx + 15, ly, 3.5)}" fill="{colour}" stroke="#fff" stroke-width="1"/>'
            f'<text x="{_num(lx + 36)}" y="{_num(ly)}" dy="0.35em">{_e(clean[index][0])}</text>'
        )
    parts.append("</g></g></svg>")
    return _markup(parts)


# --- classes and palette ----------------------------------------------------------------------------------------


def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _viridis(t: float) -> str:
    position = min(max(t, 0.0), 0.6) * 10
    i = min(int(position), len(_VIRIDIS) - 2)
    f = position - i
    a, b = _hex_to_rgb(_VIRIDIS[i]), _hex_to_rgb(_VIRIDIS[i + 1])
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b, strict=True))


def palette(n: int) -> list[str]:
    """``n`` sequential colours from light (low values) to dark (high values), viridis steps.

    Colour-blind safe and ordered in lightness (readable in greyscale); every colour has a contrast of at
    least 3:1 against white, and all are darker than :data:`NO_DATA_FILL`.
    """
    if n <= 0:
        return []
    if n == 1:
        return [_viridis((_VIRIDIS_LIGHTEST + _VIRIDIS_DARKEST) / 2)]
    step = (_VIRIDIS_LIGHTEST - _VIRIDIS_DARKEST) / (n - 1)
    return [_viridis(_VIRIDIS_LIGHTEST - k * step) for k in range(n)]


def _round_significant(value: float, digits: int = 2) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    scale = 10.0 ** (digits - 1 - math.floor(math.log10(abs(value))))
    return round(value * scale) / scale


def class_breaks(values: Iterable[float], classes: int = 5) -> list[float]:
    """Quantile class limits for a choropleth: ``[low, b1, ..., high]``, ascending, at most ``classes + 1``.

    Class ``i`` holds the values in ``[limits[i], limits[i + 1])``; the last class also holds ``limits[-1]``.
    The outer limits are the smallest and largest value; the inner ones are quantiles (so each class holds about
    as many countries, whatever the orders of magnitude the values span) rounded to two significant figures.
    Fewer classes come back when values repeat. An empty input gives ``[]``; one distinct value gives
    ``[v, v]`` (one class).
    """
    ordered = sorted(float(v) for v in values if math.isfinite(v))
    if not ordered:
        return []
    low, high = ordered[0], ordered[-1]
    if low == high:
        return [low, high]
    count = len(ordered)
    inner = {_round_significant(ordered[min(count - 1, (k * count) // classes)]) for k in range(1, max(1, classes))}
    return [low, *sorted(b for b in inner if low < b < high), high]


def _class_of(value: float, limits: Sequence[float]) -> int:
    return min(max(bisect.bisect_right(limits, value) - 1, 0), max(0, len(limits) - 2))


# --- world geometry ---------------------------------------------------------------------------------------------

_WIDTH = 1000.0
_MARGIN = 4.0
_TOLERANCE = 0.6  # Douglas-Peucker tolerance, in viewBox units
_MIN_AREA = 2.0  # rings smaller than this (in square units) are dropped, unless they are a country's largest
_ANTARCTICA = "010"
# Natural Earth units without an ISO 3166 numeric code, drawn as parts of the country UN M49 puts them in.
_PART_OF = {"Somaliland": "706", "N. Cyprus": "196"}

_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2


def _equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Equal Earth projection (Šavrič, Patterson & Jenny 2018) on the unit sphere; y grows northwards."""
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(_M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (_M * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2)))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return x, y


_X_MAX = _equal_earth(180.0, 0.0)[0]
_SCALE = (_WIDTH - 2 * _MARGIN) / (2 * _X_MAX)


def _atlas_dir() -> Path:
    """The installed world-atlas folder, or a clear error naming the set-up step."""
    configured = os.environ.get(WORLD_ATLAS_ENV)
    if configured:
        path = Path(configured)
        folder = path.parent if path.suffix == ".json" else path
        if (folder / "countries-110m.json").is_file():
            return folder
        raise WorldAtlasMissingError(f"{WORLD_ATLAS_ENV}={configured} holds no countries-110m.json: {SETUP_HINT}")
    candidates = [parent / "node_modules" / "world-atlas" for parent in Path(__file__).resolve().parents]
    candidates.append(Path.cwd() / "node_modules" / "world-atlas")
    for folder in candidates:
        if (folder / "countries-110m.json").is_file():
            return folder
    raise WorldAtlasMissingError(f"world geometry (npm package world-atlas) not found: {SETUP_HINT}")


@dataclass(frozen=True, slots=True)
class _Geometry:
    height: float
    paths: dict[str, str]  # M49 code -> path data
    other: tuple[str, ...]  # path data of units without a code (Kosovo)
    points: dict[str, tuple[float, float]]  # M49 code -> centroid, for countries too small for the 110m shapes
    unmapped: frozenset[str]  # M49 codes with neither


def _load_topology(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _arc_decoder(topology: Mapping[str, Any]) -> Callable[[int], list[tuple[float, float]]]:
    """Arc ``i`` of a TopoJSON topology as (longitude, latitude) points; ``~i`` is arc ``i`` reversed."""
    arcs: list[list[list[float]]] = topology["arcs"]
    transform = topology.get("transform")
    decoded: dict[int, list[tuple[float, float]]] = {}

    def arc(index: int) -> list[tuple[float, float]]:
        key = index if index >= 0 else ~index
        if key not in decoded:
            points: list[tuple[float, float]] = []
            if transform:
                (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
                x = y = 0.0
                for position in arcs[key]:
                    x += position[0]
                    y += position[1]
                    points.append((x * sx + tx, y * sy + ty))
            else:
                points = [(p[0], p[1]) for p in arcs[key]]
            decoded[key] = points
        return decoded[key] if index >= 0 else decoded[key][::-1]

    return arc


def _polygons(geometry: Mapping[str, Any]) -> list[list[list[int]]]:
    """The polygons (lists of rings, each a list of arc indices) of a TopoJSON geometry."""
    if geometry.get("type") == "Polygon":
        return [geometry["arcs"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["arcs"])
    return []


def _simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, keeping both ends."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy)
        worst, at = -1.0, -1
        for k in range(first + 1, last):
            px, py = points[k]
            d = abs(dy * (px - x1) - dx * (py - y1)) / norm if norm else math.hypot(px - x1, py - y1)
            if d > worst:
                worst, at = d, k
        if worst > tolerance:
            keep[at] = True
            stack.extend(((first, at), (at, last)))
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _area(ring: Sequence[tuple[float, float]]) -> float:
    return 0.5 * sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True))


def _path_data(rings: Iterable[Sequence[tuple[int, int]]]) -> str:
    """Compact SVG path data: one closed subpath per ring, in relative commands after the first move."""

    def numbers(values: Iterable[int]) -> str:
        text = ""
        for value in values:
            text += f"{value}" if not text or value < 0 else f" {value}"
        return text

    out: list[str] = []
    start: tuple[int, int] | None = None
    for ring in rings:
        x, y = ring[0]
        out.append(f"M{x} {y}" if start is None else "m" + numbers((x - start[0], y - start[1])))
        deltas: list[int] = []
        for nx, ny in ring[1:]:
            deltas += (nx - x, ny - y)
            x, y = nx, ny
        out.append("l" + numbers(deltas) + "z")
        start = ring[0]
    return "".join(out)


def _centroid(ring: Sequence[tuple[float, float]]) -> tuple[float, float]:
    area = _area(ring)
    if abs(area) < 1e-12:
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True):
        cross = x1 * y2 - x2 * y1
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    return cx / (6 * area), cy / (6 * area)


def _crosses_antimeridian(ring: Sequence[tuple[float, float]]) -> bool:
    return any(abs(b[0] - a[0]) > 180 for a, b in zip(ring, [*ring[1:], ring[0]], strict=True))


def _clip(ring: Sequence[tuple[float, float]], edge: float, keep_below: bool) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of ``ring`` on one side of the meridian ``lon = edge``."""

    def inside(point: tuple[float, float]) -> bool:
        return point[0] <= edge if keep_below else point[0] >= edge

    out: list[tuple[float, float]] = []
    if not ring:
        return out
    for a, b in zip([ring[-1], *ring[:-1]], ring, strict=True):
        if inside(b):
            if not inside(a):
                out.append((edge, a[1] + (b[1] - a[1]) * (edge - a[0]) / (b[0] - a[0])))
            out.append(b)
        elif inside(a):
            out.append((edge, a[1] + (b[1] - a[1]) * (edge - a[0]) / (b[0] - a[0])))
    return out


def _split_at_antimeridian(ring: Sequence[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """A ring that crosses the antimeridian as rings within [-180, 180] degrees of longitude."""
    unwrapped = [ring[0]]
    for lon, lat in ring[1:]:
        previous = unwrapped[-1][0]
        lon += 360 * round((previous - lon) / 360)
        unwrapped.append((lon, lat))
    low, high = min(p[0] for p in unwrapped), max(p[0] for p in unwrapped)
    pieces = []
    for band in range(math.floor((low + 180) / 360), math.ceil((high - 180) / 360) + 1):
        west, east = -180 + 360 * band, 180 + 360 * band
        piece = _clip(_clip(unwrapped, west, keep_below=False), east, keep_below=True)
        if len(piece) >= 3:
            pieces.append([(lon - 360 * band, lat) for lon, lat in piece])
    return pieces


def _small_countries(path: Path, codes: Set[str]) -> dict[str, tuple[float, float]]:
    """Projected (unit sphere) centroids of the largest island of each country in ``codes`` found in ``path``."""
    found: dict[str, tuple[float, float]] = {}
    if not codes or not path.is_file():
        return found
    topology = _load_topology(path)
    arc = _arc_decoder(topology)
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = geometry.get("id")
        if code not in codes:
            continue
        best: tuple[float, tuple[float, float]] | None = None
        for polygon in _polygons(geometry):
            island: list[tuple[float, float]] = []
            for index in polygon[0]:
                points = arc(index)
                island.extend(points[1:] if island else points)
            size = abs(_area(island))
            if island and (best is None or size > best[0]):
                best = (size, _centroid(island) if len(island) >= 3 else island[0])
        if best is not None:
            found[code] = _equal_earth(*best[1])
    return found


@cache
def _geometry(folder: Path) -> _Geometry:
    from observatory.reference import countries

    wanted = {country.m49 for country in countries().values()}
    topology = _load_topology(folder / "countries-110m.json")
    arc = _arc_decoder(topology)
    projected: dict[int, list[tuple[float, float]]] = {}

    def simplified(index: int) -> list[tuple[float, float]]:
        key = index if index >= 0 else ~index
        if key not in projected:
            points = [_equal_earth(lon, lat) for lon, lat in arc(key)]
            projected[key] = _simplify([(x * _SCALE, -y * _SCALE) for x, y in points], _TOLERANCE)
        return projected[key] if index >= 0 else projected[key][::-1]

    def lonlat(ring_arcs: Sequence[int]) -> list[tuple[float, float]]:
        ring: list[tuple[float, float]] = []
        for index in ring_arcs:
            points = arc(index)
            ring.extend(points[1:] if ring else points)
        return ring

    shapes: dict[str | None, list[list[list[tuple[float, float]]]]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = geometry.get("id")
        if code == _ANTARCTICA:
            continue
        if code is None:
            code = _PART_OF.get(geometry.get("properties", {}).get("name", ""))
        for polygon in _polygons(geometry):
            if not any(_crosses_antimeridian(lonlat(ring_arcs)) for ring_arcs in polygon):
                rings = []
                for ring_arcs in polygon:
                    ring: list[tuple[float, float]] = []
                    for index in ring_arcs:
                        points = simplified(index)
                        ring.extend(points[1:] if ring else points)
                    rings.append(ring)
                shapes.setdefault(code, []).append(rings)
                continue
            # Natural Earth's shapes in world-atlas are stitched across the antimeridian (Russia, Fiji): cut
            # them there, one polygon per side; even-odd filling keeps any holes right.
            for ring_arcs in polygon:
                for piece in _split_at_antimeridian(lonlat(ring_arcs)):
                    projected_ring = [_equal_earth(lon, lat) for lon, lat in piece]
                    closed = [(x * _SCALE, -y * _SCALE) for x, y in [*projected_ring, projected_ring[0]]]
                    shapes.setdefault(code, []).append([_simplify(closed, _TOLERANCE)[:-1]])

    ys = [y for polygons in shapes.values() for rings in polygons for _, y in rings[0]]
    dx, dy = _WIDTH / 2, _MARGIN - min(ys)  # longitude 0 in the middle
    height = math.ceil(max(ys) - min(ys) + 2 * _MARGIN)

    def quantised(ring: list[tuple[float, float]]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for x, y in ring:
            point = (round(x + dx), round(y + dy))
            if not out or out[-1] != point:
                out.append(point)
        if len(out) > 1 and out[0] == out[-1]:
            out.pop()
        return out

    paths: dict[str, str] = {}
    other: list[str] = []
    for code, polygons in shapes.items():
        kept: list[list[tuple[int, int]]] = []
        largest: tuple[float, list[list[tuple[int, int]]]] = (-1.0, [])
        for rings in polygons:
            quantised_rings = [quantised(ring) for ring in rings]
            outer = quantised_rings[0]
            size = abs(_area(outer)) if len(outer) >= 3 else 0.0
            if size > largest[0]:
                largest = (size, [r for r in quantised_rings if len(r) >= 3] or [outer])
            if size >= _MIN_AREA:
                kept.extend(r for r in quantised_rings if len(r) >= 3 and abs(_area(r)) >= _MIN_AREA)
        if not kept:
            kept = largest[1]
        if not kept or not kept[0]:
            continue
        data = _path_data(kept)
        if code is None:
            other.append(data)
        else:
            paths[code] = data

    # Countries without a 110m shape: a point at the centroid of their largest island, from the 10m shapes.
    missing = wanted - set(paths)
    centroids = {
        code: (x * _SCALE + dx, -y * _SCALE + dy)
        for code, (x, y) in _small_countries(folder / "countries-10m.json", missing - {_ANTARCTICA}).items()
    }
    return _Geometry(
        height=height,
        paths=paths,
        other=tuple(other),
        points=centroids,
        unmapped=frozenset(missing - set(centroids)),
    )


def unmapped_countries() -> frozenset[str]:
    """Alpha-3 codes of the reference countries the world map cannot show (no shape and no centroid)."""
    from observatory.reference import countries

    by_m49 = {country.m49: country.alpha3 for country in countries().values()}
    return frozenset(by_m49[code] for code in _geometry(_atlas_dir()).unmapped)


def world_map(
    values: Mapping[str, float],
    *,
    title: str,
    value_format: Callable[[float], str],
    legend_title: str,
    href: Callable[[str], str | None] | None = None,
    labels: Mapping[str, str] | None = None,
    no_data_label: str = "No data",
    classes: int = 5,
) -> Markup:
    """A choropleth of countries keyed by ISO 3166-1 alpha-3, in quantile classes (:func:`class_breaks`).

    Each country is a ``<path data-iso="BRA">`` with a ``<title>`` "name: formatted value" (or "name:
    ``no_data_label``"), filled with its class colour from :func:`palette`, or hatched light grey without a value.
    ``href(alpha3)`` may return a link for the country, which then wraps its shape in an SVG ``<a>``. ``labels``
    gives the country names to show (alpha-3 -> name, in the page's language; default: English names).
    Countries too small for the 110m shapes are drawn as circles when they have a value. The legend (below the
    map, wrapped) shows ``legend_title``, the class limits formatted with ``value_format``, and the no-data
    swatch. Raises :class:`WorldAtlasMissingError` when the world-atlas package is not installed.
    """
    from observatory.reference import countries

    geometry = _geometry(_atlas_dir())
    reference = countries()
    finite = {code: float(v) for code, v in values.items() if math.isfinite(v)}
    limits = class_breaks(finite.values(), classes)
    colours = palette(max(1, len(limits) - 1)) if limits else []
    digest = hashlib.sha1(repr((title, sorted(finite.items()))).encode(), usedforsecurity=False).hexdigest()[:8]
    hatch_id = f"nd{digest}"
    groups: dict[str, list[str]] = {}
    links: list[str | None] = []
    for alpha3, country in sorted(reference.items()):
        path = geometry.paths.get(country.m49)
        point = geometry.points.get(country.m49) if alpha3 in finite else None
        if path is None and point is None:
            continue
        name = (labels or {}).get(alpha3) or country.name_en
        if alpha3 in finite:
            fill = colours[_class_of(finite[alpha3], limits)]
            tip = f"{name}: {value_format(finite[alpha3])}"
        else:
            fill = f"url(#{hatch_id})"
            tip = f"{name}: {no_data_label}"
        link = href(alpha3) if href else None
        links.append(link)
        if path is not None:
            shape = f'<path data-iso="{alpha3}" d="{path}">'
            end = "</path>"
        else:
            assert point is not None
            shape = (
                f'<circle data-iso="{alpha3}" cx="{_num(point[0])}" cy="{_num(point[1])}" r="4.5" '
                f'stroke="{TEXT_COLOUR}" stroke-width="1">'
            )
            end = "</circle>"
        if link:
            element = f'<a href="{_e(link)}"><title>{_e(tip)}</title>{shape[:-1]}/></a>'
        else:
            element = f"{shape}<title>{_e(tip)}</title>{end}"
        # Circles last so that they stay on top of the shapes.
        groups.setdefault(fill + (" point" if path is None else ""), []).append(element)

    # Legend below the map, wrapped: its title, one swatch per class (low to high), then the no-data swatch.
    size, line, swatch = 18, 30, 26
    entries = [
        (colour, value_format(low) if low == high else f"{value_format(low)} – {value_format(high)}")
        for colour, low, high in zip(colours, limits, limits[1:], strict=False)
    ]
    entries.append((f"url(#{hatch_id})", no_data_label))
    x, y = _MARGIN + 6, geometry.height + 8
    legend = [
        f'<g class="legend" font-size="{size}"><text x="{_num(x)}" y="{_num(y + line / 2)}" dy="0.35em" '
        f'font-weight="bold">{_e(legend_title)}</text>'
    ]
    x += _text_width(legend_title, size) * 1.1 + 18
    for fill, text in entries:
        item = swatch + 8 + _text_width(text, size) + 24
        if x + item > _WIDTH and x > _MARGIN + 6:
            x, y = _MARGIN + 6, y + line
        outline = f' stroke="{NO_DATA_HATCH}"' if fill.startswith("url(") else ""
        legend.append(
            f'<rect x="{_num(x)}" y="{_num(y + (line - 18) / 2)}" width="{swatch}" height="18" fill="{fill}"{outline}/>'
            f'<text x="{_num(x + swatch + 8)}" y="{_num(y + line / 2)}" dy="0.35em">{_e(text)}</text>'
        )
        x += item
    legend.append("</g>")
    height = y + line + 4

    parts = [
        _svg_open(_WIDTH, height, title, interactive=any(links), kind="map"),
        f'<defs><pattern id="{hatch_id}" width="5" height="5" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="5" height="5" fill="{NO_DATA_FILL}"/>'
        f'<path d="M0 0v5" stroke="{NO_DATA_HATCH}" stroke-width="1.2"/></pattern></defs>',
        '<g stroke="#fff" stroke-width="0.5" stroke-linejoin="round" fill-rule="evenodd">',
    ]
    if geometry.other:
        parts.append(f'<path d="{"".join(geometry.other)}" fill="url(#{hatch_id})" aria-hidden="true"/>')
    for key in sorted(groups, key=lambda k: (k.endswith(" point"), k)):
        parts.append(f'<g fill="{key.removesuffix(" point")}">{"".join(groups[key])}</g>')
    parts.append("</g>")
    parts.extend(legend)
    parts.append("</svg>")
    return _markup(parts)
