"""The world map (a choropleth of countries, with a legend and a table alternative in the page)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping

from markupsafe import Markup

from observatory.web.charts.classes import class_breaks, class_of, palette
from observatory.web.charts.common import (
    NO_DATA_FILL,
    NO_DATA_HATCH,
    TEXT_COLOUR,
    esc,
    markup,
    num,
    svg_open,
    text_width,
)
from observatory.web.charts.geometry import (
    MARGIN,
    WIDTH,
    atlas_dir,
    load_geometry,
)


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

    geometry = load_geometry(atlas_dir())
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
            fill = colours[class_of(finite[alpha3], limits)]
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
                f'<circle data-iso="{alpha3}" cx="{num(point[0])}" cy="{num(point[1])}" r="4.5" '
                f'stroke="{TEXT_COLOUR}" stroke-width="1">'
            )
            end = "</circle>"
        if link:
            element = f'<a href="{esc(link)}"><title>{esc(tip)}</title>{shape[:-1]}/></a>'
        else:
            element = f"{shape}<title>{esc(tip)}</title>{end}"
        # Circles last so that they stay on top of the shapes.
        groups.setdefault(fill + (" point" if path is None else ""), []).append(element)

    # Legend below the map, wrapped: its title, one swatch per class (low to high), then the no-data swatch.
    size, line, swatch = 18, 30, 26
    entries = [
        (colour, value_format(low) if low == high else f"{value_format(low)} – {value_format(high)}")
        for colour, low, high in zip(colours, limits, limits[1:], strict=False)
    ]
    entries.append((f"url(#{hatch_id})", no_data_label))
    x, y = MARGIN + 6, geometry.height + 8
    legend = [
        f'<g class="legend" font-size="{size}"><text x="{num(x)}" y="{num(y + line / 2)}" dy="0.35em" '
        f'font-weight="bold">{esc(legend_title)}</text>'
    ]
    x += text_width(legend_title, size) * 1.1 + 18
    for fill, text in entries:
        item = swatch + 8 + text_width(text, size) + 24
        if x + item > WIDTH and x > MARGIN + 6:
            x, y = MARGIN + 6, y + line
        outline = f' stroke="{NO_DATA_HATCH}"' if fill.startswith("url(") else ""
        legend.append(
            f'<rect x="{num(x)}" y="{num(y + (line - 18) / 2)}" width="{swatch}" height="18" fill="{fill}"{outline}/>'
            f'<text x="{num(x + swatch + 8)}" y="{num(y + line / 2)}" dy="0.35em">{esc(text)}</text>'
        )
        x += item
    legend.append("</g>")
    height = y + line + 4

    parts = [
        svg_open(WIDTH, height, title, interactive=any(links), kind="map"),
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
    return markup(parts)
