"""Bar charts: horizontal bars of categories with their values, and one column per year for counts and sums."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from markupsafe import Markup

from observatory.web.charts.common import (
    BAR_COLOUR,
    GRID_COLOUR,
    MUTED_COLOUR,
    esc,
    fit,
    markup,
    note_html,
    note_text,
    num,
    svg_open,
    text_width,
)
from observatory.web.charts.lines import nice_ticks

# --- bar chart --------------------------------------------------------------------------------------------------


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    value_format: Callable[[float], str],
    unit: str,
    source: str,
    href: Callable[[int], str | None] | None = None,
    max_items: int = 12,
    width: int = 720,
    font_size: int = 14,
) -> Markup:
    """Horizontal bars in the given order (sort before calling), at most ``max_items`` of them.

    Labels sit on the left (cut with an ellipsis when too long; the full label is in each bar's ``<title>``),
    the formatted value at the end of each bar. ``href(i)`` gives the link for ``items[i]`` (or ``None``); a
    linked row is an SVG ``<a>`` around its label, bar and value. Negative values are drawn as empty bars.
    ``unit`` and ``source`` (in the page's language) are stated under the chart and in its ``<desc>``.
    """
    shown = list(items[: max(0, max_items)])
    values = [max(0.0, float(v)) if math.isfinite(v) else 0.0 for _, v in shown]
    formatted = [value_format(v) for _, v in shown]
    links = [href(i) if href else None for i in range(len(shown))]
    row, bar, pad = round(font_size * 1.9), round(font_size * 1.3), 4
    height = max(1, len(shown)) * row + 2 * pad
    # Estimated widths run short in some fonts: keep a margin so that no label is clipped at the left edge.
    label_room = min(max((text_width(label, font_size) for label, _ in shown), default=0.0) * 1.15, width * 0.45)
    value_room = max((text_width(text, font_size) for text in formatted), default=0.0) + 8
    x0 = label_room + 10
    span = max(1.0, width - x0 - value_room - 4)
    top = max(values, default=0.0)
    parts = [svg_open(width, height, title, interactive=any(links), kind="bar", note=note_text(unit, source))]
    parts.append(f'<g font-size="{font_size}">')
    for i, ((label, _), value, text, link) in enumerate(zip(shown, values, formatted, links, strict=True)):
        y = pad + i * row
        length = span * value / top if top > 0 else 0.0
        mid = y + row / 2
        parts.append(f'<a href="{esc(link)}">' if link else "<g>")
        underline = ' text-decoration="underline"' if link else ""
        parts.append(f"<title>{esc(label)}: {esc(text)}</title>")
        parts.append(
            f'<text x="{num(label_room)}" y="{num(mid)}" dy="0.35em" text-anchor="end"{underline}>'
            f"{esc(fit(label, label_room / 1.15, font_size))}</text>"
        )
        parts.append(
            f'<rect x="{num(x0)}" y="{num(mid - bar / 2)}" width="{num(length)}" height="{bar}" fill="{BAR_COLOUR}"/>'
        )
        parts.append(f'<text x="{num(x0 + length + 5)}" y="{num(mid)}" dy="0.35em">{esc(text)}</text>')
        parts.append("</a>" if link else "</g>")
    parts.append(
        f'</g><line x1="{num(x0)}" x2="{num(x0)}" y1="{pad}" y2="{height - pad}" stroke="{MUTED_COLOUR}"/></svg>'
    )
    parts.append(note_html(unit, source))
    return markup(parts)


# --- one column per year ----------------------------------------------------------------------------------------


def year_range(values: Mapping[int, float | None], first: int | None = None, last: int | None = None) -> list[int]:
    """Every year from ``first`` (default: the earliest in ``values``) to ``last`` (default: the latest)."""
    years = [int(y) for y in values]
    if not years and (first is None or last is None):
        return []
    low = min(years) if first is None else first
    high = max(years) if last is None else last
    return list(range(low, high + 1))


def year_bars(
    values: Mapping[int, float | None],
    *,
    title: str,
    value_format: Callable[[float], str],
    unit: str,
    source: str,
    first: int | None = None,
    last: int | None = None,
    href: Callable[[int], str | None] | None = None,
    width: int = 480,
    height: int = 260,
    font_size: int = 14,
) -> Markup:
    """A count or a sum per year as one column per year of the range, zeros drawn as zeros.

    Every year from ``first`` to ``last`` (default: the range of ``values``) has its column; a year absent from
    ``values`` or given ``None`` counts 0 (nothing that year), and a zero is a visible mark on the baseline,
    never a line or a ramp between two years. Each column is a ``<g class="bar" data-year="2024">`` whose
    ``<title>`` gives "year: formatted value"; values are written above the columns when they fit (zeros
    always as a mark). ``href(year)`` may link a column. Negative or non-finite values are drawn as 0.
    ``unit`` and ``source`` (in the page's language) are stated under the chart and in its ``<desc>``.
    """
    years = year_range(values, first, last)
    raw = [values.get(y) for y in years]
    amounts = [max(0.0, float(v)) if v is not None and math.isfinite(v) else 0.0 for v in raw]
    links = [href(y) if href else None for y in years]
    top_value = max(amounts, default=0.0)
    ticks = nice_ticks(0.0, top_value if top_value > 0 else 1.0, 4)
    if len(ticks) > 1 and ticks[1] - ticks[0] < 1 and all(a.is_integer() for a in amounts):
        ticks = [float(t) for t in range(0, math.ceil(ticks[-1]) + 1)]  # counts: whole ticks only
    y_max = ticks[-1]
    small = round(font_size * 0.85)
    left = max((text_width(value_format(t), font_size) for t in ticks), default=0.0) + 10
    right = 8.0
    top = small * 1.6
    bottom = height - font_size * 2.2
    slot = (width - left - right) / max(1, len(years))
    bar_w = max(1.0, min(slot * 0.7, font_size * 5.0))  # a few years: columns stay columns, not slabs
    labels = [value_format(a) for a in amounts]
    # Values above the columns when every one fits its slot; otherwise the y axis and the titles carry them.
    show_values = all(text_width(t, small) <= slot - 2 for t in labels)
    # Year labels: every year when they fit, else every k-th (the first and last always).
    year_w = max((text_width(str(y), font_size) for y in years), default=0.0) + 6
    every = max(1, math.ceil(year_w / slot)) if slot > 0 else 1

    def py(v: float) -> float:
        return bottom - v / y_max * (bottom - top) if y_max > 0 else bottom

    note = note_text(unit, source)
    parts = [svg_open(width, height, title, interactive=any(links), kind="years", note=note)]
    parts.append(f'<g font-size="{font_size}">')
    grid = "".join(f"M{num(left)} {num(py(t))}H{num(width - right)}" for t in ticks[1:])
    parts.append(f'<path d="{grid}" stroke="{GRID_COLOUR}" fill="none"/>')
    parts.append(f'<g class="ticks-y" text-anchor="end" fill="{MUTED_COLOUR}">')
    parts.extend(f'<text x="{num(left - 6)}" y="{num(py(t))}" dy="0.35em">{esc(value_format(t))}</text>' for t in ticks)
    parts.append(f'</g><g class="ticks-x" text-anchor="middle" fill="{MUTED_COLOUR}">')
    for i, year in enumerate(years):
        if i % every == 0 or (i == len(years) - 1 and (i % every) * slot >= year_w):
            x = left + (i + 0.5) * slot
            parts.append(f'<text x="{num(x)}" y="{num(bottom + font_size * 1.4)}">{year}</text>')
    parts.append("</g>")
    for year, amount, text, link in zip(years, amounts, labels, links, strict=True):
        i = year - years[0]
        x = left + i * slot + (slot - bar_w) / 2
        parts.append(f'<a href="{esc(link)}"' if link else "<g")
        parts.append(f' class="bar" data-year="{year}"><title>{year}: {esc(text)}</title>')
        if amount > 0:  # at least one unit high: a small value is a sliver of blue, never mistaken for zero
            y = min(py(amount), bottom - 1)
            parts.append(
                f'<rect x="{num(x)}" y="{num(y)}" width="{num(bar_w)}" height="{num(bottom - y)}" fill="{BAR_COLOUR}"/>'
            )
        else:  # zero: a mark on the baseline, not an empty space that reads as "no data"
            y = bottom
            parts.append(
                f'<rect class="zero" x="{num(x)}" y="{num(bottom - 3)}" width="{num(bar_w)}" height="3" '
                f'fill="{MUTED_COLOUR}"/>'
            )
        if show_values:
            parts.append(
                f'<text x="{num(x + bar_w / 2)}" y="{num(min(y, bottom - 3) - 4)}" font-size="{small}" '
                f'text-anchor="middle">{esc(text)}</text>'
            )
        parts.append("</a>" if link else "</g>")
    parts.append(f'<path d="M{num(left)} {num(bottom)}H{num(width - right)}" stroke="{MUTED_COLOUR}"/></g></svg>')
    parts.append(note_html(unit, source))
    return markup(parts)
