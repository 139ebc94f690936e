"""Line charts over time, with nice ticks; series told apart by colour, dash and marker."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup

from observatory.web.charts.common import (
    GRID_COLOUR,
    MUTED_COLOUR,
    SERIES_COLOURS,
    SERIES_DASHES,
    SERIES_MARKERS,
    esc,
    markup,
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

    parts = [svg_open(width, height, title, interactive=False, kind="line"), f'<g font-size="{font_size}">']
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
    for index, (name, points) in enumerate(clean):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        dash = SERIES_DASHES[index % len(SERIES_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        shape = SERIES_MARKERS[index % len(SERIES_MARKERS)]
        if not points:
            continue
        d = "M" + "L".join(f"{num(px(x))} {num(py(y))}" for x, y in points)
        parts.append(
            f'<g class="series" data-series="{index}"><title>{esc(name)}</title>'
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
            f'<path d="M{num(lx)} {num(ly)}h30" stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
            f'<path d="{_marker(shape, lx + 15, ly, 3.5)}" fill="{colour}" stroke="#fff" stroke-width="1"/>'
            f'<text x="{num(lx + 36)}" y="{num(ly)}" dy="0.35em">{esc(clean[index][0])}</text>'
        )
    parts.append("</g></g></svg>")
    return markup(parts)
