"""Bar charts (horizontal bars with their values)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup

from observatory.web.charts.common import (
    BAR_COLOUR,
    MUTED_COLOUR,
    esc,
    fit,
    markup,
    num,
    svg_open,
    text_width,
)

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
    label_room = min(max((text_width(label, font_size) for label, _ in shown), default=0.0) * 1.15, width * 0.45)
    value_room = max((text_width(text, font_size) for text in formatted), default=0.0) + 8
    x0 = label_room + 10
    span = max(1.0, width - x0 - value_room - 4)
    top = max(values, default=0.0)
    parts = [svg_open(width, height, title, interactive=any(links), kind="bar")]
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
    return markup(parts)
