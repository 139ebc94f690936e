"""Line charts of continuous measurements, broken where a value is missing or the source changes, with nice
ticks; series told apart by colour, dash and marker."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from markupsafe import Markup

from observatory.web.charts.common import (
    GRID_COLOUR,
    MUTED_COLOUR,
    SERIES_COLOURS,
    SERIES_DASHES,
    SERIES_MARKERS,
    esc,
    fit,
    markup,
    note_html,
    note_text,
    num,
    svg_open,
    text_width,
)

# --- line chart -------------------------------------------------------------------------------------------------


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering ``[low, high]``, about ``count`` steps.

    The first tick is at or below ``low`` and the last at or above ``high``.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("nice_ticks needs finite bounds")
    if high < low:
        low, high = high, low
    if high - low <= 1e-9 * max(abs(low), abs(high)) or high - low < 1e-300:  # one value (or next to it)
        high, low = (high + 1, low) if abs(low) < 1e-300 else (high + abs(high) * 0.1, low - abs(low) * 0.1)
    raw = (high - low) / max(1, count)
    exponent = math.floor(math.log10(raw))
    step = next(m * 10.0**exponent for m in (1, 2, 5, 10) if m * 10.0**exponent >= raw * (1 - 1e-9))
    decimals = max(0, -math.floor(math.log10(step)))
    start, end = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(k * step, decimals) + 0.0 for k in range(start, end + 1)]


def _marker(kind: str, x: float, y: float, r: float) -> str:
    if kind == "square":
        return f"M{num(x - r)} {num(y - r)}h{num(2 * r)}v{num(2 * r)}h{num(-2 * r)}z"
    if kind == "triangle":
        return f"M{num(x)} {num(y - 1.2 * r)}l{num(1.2 * r)} {num(2.1 * r)}h{num(-2.4 * r)}z"
    if kind == "diamond":
        d = num(1.3 * r)
        return f"M{num(x)} {num(y - 1.3 * r)}l{d} {d}l-{d} {d}l-{d} -{d}z"
    if kind == "cross":
        w = r * 0.45
        return (
            f"M{num(x - w)} {num(y - r)}h{num(2 * w)}v{num(r - w)}h{num(r - w)}v{num(2 * w)}h{num(w - r)}"
            f"v{num(r - w)}h{num(-2 * w)}v{num(w - r)}h{num(w - r)}v{num(-2 * w)}h{num(r - w)}z"
        )
    radius = num(r)
    return f"M{num(x - r)} {num(y)}a{radius} {radius} 0 1 0 {num(2 * r)} 0a{radius} {radius} 0 1 0 -{num(2 * r)} 0z"


Point = tuple[float, float | None] | tuple[float, float | None, str | None]


def segments(points: Sequence[Point], max_gap: float | None = None) -> list[list[tuple[float, float, str | None]]]:
    """The runs of a series that are drawn as one unbroken line, in x order.

    A run ends at a missing value (``None`` or not a finite number), where the next point is further than
    ``max_gap`` along x (a year with no value when ``max_gap`` is 1), and where the source changes (the third
    item of a point, if any): a line never crosses a gap and never joins two sources. A run may hold one point.
    """
    ordered = sorted(
        ((float(p[0]), p[1], p[2] if len(p) > 2 else None) for p in points if math.isfinite(p[0])),
        key=lambda p: p[0],
    )
    runs: list[list[tuple[float, float, str | None]]] = []
    current: list[tuple[float, float, str | None]] = []
    for x, y, source in ordered:
        if y is None or not math.isfinite(y):
            if current:
                runs.append(current)
            current = []
            continue
        if current and (
            source != current[-1][2] or (max_gap is not None and x - current[-1][0] > max_gap * (1 + 1e-9))
        ):
            runs.append(current)
            current = []
        current.append((x, float(y), source))
    if current:
        runs.append(current)
    return runs


def line_chart(
    series: Sequence[tuple[str, Sequence[Point]]],
    *,
    title: str,
    x_format: Callable[[float], str],
    y_format: Callable[[float], str],
    unit: str,
    source: str,
    x_ticks: Sequence[float] | None = None,
    max_gap: float | Sequence[float | None] | None = None,
    source_names: Mapping[str, str] | None = None,
    y_from_zero: bool = True,
    apart: bool | Sequence[bool] = False,
    width: int = 720,
    height: int = 320,
    font_size: int = 14,
) -> Markup:
    """One or more series of measurements over x sharing one y axis, with a legend above the plot.

    For continuous measurements only (counts and sums per year are :func:`year_bars`). A point is ``(x, y)`` or
    ``(x, y, source)``; ``y`` may be ``None`` (no value). The line is broken where a value is missing, where two
    points are further apart than ``max_gap`` (one for all series, or one per series, ``None`` for a series drawn
    whole, such as a target) and where the source changes (:func:`segments`); a point standing alone is drawn as
    a marker. When a series has several sources, its legend names them in order
    (``source_names`` gives their names to show) and each run's ``<title>`` names its source.

    Series are told apart by colour, dash pattern and marker shape (markers on every point up to 24 points,
    else on about 12 of them, always the last, and on every point standing alone). Y ticks are round numbers
    (:func:`nice_ticks`), from zero unless ``y_from_zero`` is false; x ticks are round numbers within the data's
    range unless ``x_ticks`` is given (for instance the first day of each year when x is a date ordinal).
    ``unit`` and ``source`` (in the page's language) are stated under the chart and in its ``<desc>``. Series in
    different units (pledge count and USD value) are better drawn as two charts side by side than on two axes.

    ``apart`` (one for all series, or one per series) draws a series as hollow markers only, never joined by a
    line, to each other or to another series: estimates beyond the last observation, set apart from it.
    """
    names = dict(source_names or {})
    gaps = list(max_gap) if isinstance(max_gap, Sequence) else [max_gap] * len(series)
    hollow = list(apart) if isinstance(apart, Sequence) else [apart] * len(series)
    if len(hollow) != len(series):
        raise ValueError("apart needs one value per series")
    clean = [(name, segments(points, gap)) for (name, points), gap in zip(series, gaps, strict=True)]
    xs = [x for _, runs in clean for run in runs for x, _, _ in run]
    ys = [y for _, runs in clean for run in runs for _, y, _ in run]
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x_hi == x_lo:
        x_lo, x_hi = x_lo - 1, x_hi + 1
    y_lo, y_hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
    if y_from_zero:
        y_lo, y_hi = min(0.0, y_lo), max(0.0, y_hi)
    yt = nice_ticks(y_lo, y_hi, 5)
    if len(yt) > 1 and yt[1] - yt[0] < 1 and all(float(y).is_integer() for y in ys):
        # Counts: no tick between two whole numbers (labels would repeat once rounded).
        yt = [float(t) for t in range(math.floor(yt[0]), math.ceil(yt[-1]) + 1)]
    y_lo, y_hi = yt[0], yt[-1]
    if x_ticks is None:
        xt = [t for t in nice_ticks(x_lo, x_hi, 6) if x_lo - 1e-9 <= t <= x_hi + 1e-9]
    else:
        xt = [float(t) for t in x_ticks if x_lo <= t <= x_hi]

    def legend_name(name: str, runs: list[list[tuple[float, float, str | None]]]) -> str:
        sources = list(dict.fromkeys(run[0][2] for run in runs if run[0][2] is not None))
        return f"{name} ({', '.join(names.get(s, s) for s in sources)})" if len(sources) > 1 else name

    # A name wider than the chart is cut (the full name stays in the series' <title>).
    full = [legend_name(name, runs) for name, runs in clean]
    shown = [fit(name, width - 40, font_size) for name in full]
    # Legend rows above the plot.
    legend: list[tuple[float, float, int]] = []
    lx, ly, line_h = 0.0, font_size * 0.9, font_size * 1.6
    for index, name in enumerate(shown):
        item = 36 + text_width(name, font_size) + 18
        if lx > 0 and lx + item > width:
            lx, ly = 0.0, ly + line_h
        legend.append((lx, ly, index))
        lx += item
    top = (ly + line_h if clean else 0) + font_size * 0.6
    left = max((text_width(y_format(t), font_size) for t in yt), default=0.0) + 10
    right = max(8.0, text_width(x_format(xt[-1]), font_size) / 2 + 2) if xt else 8.0
    bottom = height - font_size * 2.2
    plot_w = width - left - right

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * plot_w

    def py(y: float) -> float:
        return bottom - (y - y_lo) / (y_hi - y_lo) * (bottom - top)

    note = note_text(unit, source)
    parts = [svg_open(width, height, title, interactive=False, kind="line", note=note), f'<g font-size="{font_size}">']
    grid = "".join(f"M{num(left)} {num(py(t))}H{num(width - right)}" for t in yt)
    parts.append(f'<path d="{grid}" stroke="{GRID_COLOUR}" fill="none"/>')
    parts.append(f'<g class="ticks-y" text-anchor="end" fill="{MUTED_COLOUR}">')
    parts.extend(f'<text x="{num(left - 6)}" y="{num(py(t))}" dy="0.35em">{esc(y_format(t))}</text>' for t in yt)
    parts.append(f'</g><g class="ticks-x" text-anchor="middle" fill="{MUTED_COLOUR}">')
    parts.extend(f'<text x="{num(px(t))}" y="{num(bottom + font_size * 1.4)}">{esc(x_format(t))}</text>' for t in xt)
    ticks = "".join(f"M{num(px(t))} {num(bottom)}v5" for t in xt)
    parts.append(
        f'</g><path d="M{num(left)} {num(bottom)}H{num(width - right)}{ticks}" stroke="{MUTED_COLOUR}" fill="none"/>'
    )
    for index, (name, runs) in enumerate(clean):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        dash = SERIES_DASHES[index % len(SERIES_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        shape = SERIES_MARKERS[index % len(SERIES_MARKERS)]
        if not runs:
            continue
        parts.append(f'<g class="series" data-series="{index}"><title>{esc(full[index])}</title>')
        # One path per source, each run a subpath of its own ("M" starts it): nothing joins two runs.
        by_source: dict[str | None, list[list[tuple[float, float, str | None]]]] = {}
        for run in runs:
            by_source.setdefault(run[0][2], []).append(run)
        for run_source, group in by_source.items() if not hollow[index] else ():
            d = "".join(
                "M" + "L".join(f"{num(px(x))} {num(py(y))}" for x, y, _ in run) for run in group if len(run) > 1
            )
            if not d:
                continue
            label = f"<title>{esc(name)} ({esc(names.get(run_source, run_source))})</title>" if run_source else ""
            source_attr = f' data-source="{esc(run_source)}"' if run_source else ""
            parts.append(
                f'<path d="{d}"{source_attr} fill="none" stroke="{colour}" stroke-width="2.5" '
                f'stroke-linejoin="round"{dash_attr}>{label}</path>'
            )
        flat = [(x, y) for run in runs for x, y, _ in run]
        count = len(flat) if len(flat) <= 24 else 12
        marked = {round(k * (len(flat) - 1) / max(1, count - 1)) for k in range(count)}
        position = 0
        for run in runs:  # a point standing alone is only a marker: always draw it
            if len(run) == 1:
                marked.add(position)
            position += len(run)
        if hollow[index]:  # every point a hollow marker, nothing joined
            marks = "".join(_marker(shape, px(x), py(y), 3.5) for x, y in flat)
            parts.append(f'<path class="apart" d="{marks}" fill="#fff" stroke="{colour}" stroke-width="1.5"/></g>')
            continue
        marks = "".join(_marker(shape, px(flat[k][0]), py(flat[k][1]), 3.5) for k in sorted(marked))
        parts.append(f'<path d="{marks}" fill="{colour}" stroke="#fff" stroke-width="1"/></g>')
    parts.append('<g class="legend">')
    for lx, ly, index in legend:
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        dash = SERIES_DASHES[index % len(SERIES_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        shape = SERIES_MARKERS[index % len(SERIES_MARKERS)]
        key = (
            f'<path d="{_marker(shape, lx + 15, ly, 3.5)}" fill="#fff" stroke="{colour}" stroke-width="1.5"/>'
            if hollow[index]
            else f'<path d="M{num(lx)} {num(ly)}h30" stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
            f'<path d="{_marker(shape, lx + 15, ly, 3.5)}" fill="{colour}" stroke="#fff" stroke-width="1"/>'
        )
        parts.append(f'{key}<text x="{num(lx + 36)}" y="{num(ly)}" dy="0.35em">{esc(shown[index])}</text>')
    parts.append("</g></g></svg>")
    parts.append(note_html(unit, source))
    return markup(parts)
