"""The world map (a choropleth of countries, with a legend and a table alternative in the page)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence

from markupsafe import Markup

from observatory.web.charts.classes import MAX_CLASSES, MapClass, class_of, map_classes
from observatory.web.charts.common import (
    NO_DATA_FILL,
    NO_DATA_HATCH,
    TEXT_COLOUR,
    esc,
    markup,
    note_html,
    note_text,
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


def _is_count(values: Iterable[float]) -> bool:
    """Whole numbers from zero up (counts), whose classes can be given as exact ranges."""
    return all(float(v).is_integer() and v >= 0 for v in values)


def class_labels(
    found: Sequence[MapClass],
    value_format: Callable[[float], str],
    *,
    whole: bool,
    zero_label: str | None = None,
    no_data_label: str = "No data",
    up_to_label: str = "up to %(value)s",
) -> list[str]:
    """The legend's words for each class of :func:`map_classes`, stated so that no two classes share a value.

    ``whole``: the values are counts (whole numbers from zero up), which get exact ranges ("1 – 3", "4 – 9").
    Other values get "up to 220M" for the first class, then "220M – 1B" (above 220M, up to 1B), as the first
    class already holds 220M.
    """
    labels = []
    for c in found:
        if c.kind == "no_data":
            labels.append(no_data_label)
        elif c.kind == "zero":
            labels.append(zero_label if zero_label is not None else value_format(0.0))
        else:
            assert c.high is not None
            if whole:
                low = 1.0 if c.low is None else math.floor(c.low) + 1.0
                same = low >= c.high
                labels.append(value_format(c.high) if same else f"{value_format(low)} – {value_format(c.high)}")
            elif c.low is None:
                labels.append(up_to_label % {"value": value_format(c.high)})
            else:
                labels.append(f"{value_format(c.low)} – {value_format(c.high)}")
    return labels


def world_map(
    values: Mapping[str, float | None],
    *,
    title: str,
    value_format: Callable[[float], str],
    legend_title: str,
    unit: str,
    source: str,
    href: Callable[[str], str | None] | None = None,
    labels: Mapping[str, str] | None = None,
    no_data_label: str = "No data",
    zero_label: str | None = None,
    up_to_label: str = "up to %(value)s",
    counts: bool = False,
    classes: int = MAX_CLASSES,
) -> Markup:
    """A choropleth of countries keyed by ISO 3166-1 alpha-3: zero, no data, and quantile classes of the rest.

    A country absent from ``values`` or given ``None`` (or a non-finite value) is "no data": hatched light grey,
    titled ``no_data_label``. A country at 0 has its own class (pale yellow, ``zero_label``, by default the
    formatted 0); the other values fall in at most ``classes`` classes (:func:`map_classes`) that do not overlap,
    labelled by :func:`class_labels` (``up_to_label`` holds ``%(value)s``, in the page's language; ``counts``: the
    values are whole counts, whose classes are given as exact ranges such as "2 – 5").

    Each country is a ``<path data-iso="BRA">`` with a ``<title>`` "name: formatted value" (or "name:
    ``no_data_label``"). ``href(alpha3)`` may return a link for the country, which then wraps its shape in an SVG
    ``<a>``. ``labels`` gives the country names to show (alpha-3 -> name, in the page's language; default: English
    names). Countries too small for the 110m shapes are drawn as circles when they have a value. The legend
    (below the map, wrapped) shows ``legend_title``, the classes present, and the no-data swatch; ``unit`` and
    ``source`` are stated under the map. Raises :class:`WorldAtlasMissingError` when the world-atlas package is
    not installed.
    """
    from observatory.reference import countries

    geometry = load_geometry(atlas_dir())
    reference = countries()
    finite = {code: float(v) for code, v in values.items() if v is not None and math.isfinite(v)}
    found = map_classes(finite.values(), classes)
    words = class_labels(
        found,
        value_format,
        whole=counts and _is_count(finite.values()),
        zero_label=zero_label,
        no_data_label=no_data_label,
        up_to_label=up_to_label,
    )
    digest = hashlib.sha1(repr((title, sorted(finite.items()))).encode(), usedforsecurity=False).hexdigest()[:8]
    hatch_id = f"nd{digest}"
    fills = [f"url(#{hatch_id})" if c.kind == "no_data" else c.colour for c in found]
    used: set[int] = {len(found) - 1}
    groups: dict[str, list[str]] = {}
    links: list[str | None] = []
    for alpha3, country in sorted(reference.items()):
        path = geometry.paths.get(country.m49)
        point = geometry.points.get(country.m49) if alpha3 in finite else None
        if path is None and point is None:
            continue
        name = (labels or {}).get(alpha3) or country.name_en
        index = class_of(finite.get(alpha3), found)
        used.add(index)
        fill = fills[index]
        tip = f"{name}: {value_format(finite[alpha3]) if alpha3 in finite else no_data_label}"
        if alpha3 in finite and finite[alpha3] == 0 and zero_label is not None:
            tip = f"{name}: {zero_label}"
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

    # Legend below the map, wrapped: its title, one swatch per range class (low to high), zero, no data.
    size, line, swatch = 18, 30, 26
    order = [len(found) - 2, *range(len(found) - 2), len(found) - 1]
    entries = [(fills[i], words[i], found[i].kind) for i in order if i in used]
    x, y = MARGIN + 6, geometry.height + 8
    legend = [
        f'<g class="legend" font-size="{size}"><text x="{num(x)}" y="{num(y + line / 2)}" dy="0.35em" '
        f'font-weight="bold">{esc(legend_title)}</text>'
    ]
    x += text_width(legend_title, size) * 1.1 + 18
    for fill, text, kind in entries:
        item = swatch + 8 + text_width(text, size) + 24
        if x + item > WIDTH and x > MARGIN + 6:
            x, y = MARGIN + 6, y + line
        outline = f' stroke="{NO_DATA_HATCH}"' if kind != "range" else ""
        legend.append(
            f'<rect data-class="{kind}" x="{num(x)}" y="{num(y + (line - 18) / 2)}" width="{swatch}" height="18" '
            f'fill="{fill}"{outline}/><text x="{num(x + swatch + 8)}" y="{num(y + line / 2)}" dy="0.35em">'
            f"{esc(text)}</text>"
        )
        x += item
    legend.append("</g>")
    height = y + line + 4

    parts = [
        svg_open(WIDTH, height, title, interactive=any(links), kind="map", note=note_text(unit, source)),
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
    parts.append(note_html(unit, source))
    return markup(parts)
