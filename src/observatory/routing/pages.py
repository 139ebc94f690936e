"""Routing on the web: the transit/peering section (``#routing``) of country and group pages. Thin: the
figures come from :mod:`observatory.routing.service`; charts are drawn on the server (``web.charts``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from markupsafe import Markup

from observatory.reference import Area, countries, resolve_area
from observatory.routing import service
from observatory.web import charts
from observatory.web.labels import label
from observatory.web.render import Web, add_templates

add_templates(Path(__file__).parent / "templates")
# How the reader's language names a group of each kind (``web.labels``).
LABEL_KINDS = {"un_group": "country_group", "itu_region": "region"}


def _has_data(data: dict[str, Any], is_group: bool) -> bool:
    if is_group:
        return bool(data["countries"] or data["ixp"])
    return bool(data["as_relationships"]["figures"] and data["as_relationships"]["figures"]["known_asns"]) or bool(
        data["ixp"] or data["hegemony"] or data["top_dependencies"]["top"]
    )


def _dependency_chart(web: Web, top: dict[str, Any]) -> Markup | None:
    series = [
        (f"AS{asn}", [(float(dt.date.fromisoformat(d).toordinal()), float(v)) for d, v in points])
        for asn, points in list(top["series"].items())[:5]
        if len(points) > 1
    ]
    if not series:
        return None
    return charts.line_chart(
        series,
        title=web.gettext("Dependency on each AS over time"),
        x_format=lambda x: web.fmt.date(dt.date.fromordinal(int(x))),
        y_format=web.fmt.percent,
        width=900,
        unit=web.gettext("Unit: %(unit)s")
        % {"unit": web.gettext("share of the country's routing paths that cross the AS")},
        source=web.gettext("Source: %(source)s")
        % {"source": web.gettext("AS hegemony computed from BGP routing tables (RIPE RIS, RouteViews)")},
    )


def section(web: Web, area: Area | str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The routing section of a country or group page (an area, or its code): its data (the JSON twin's
    ``routing``, None when nothing it needs is loaded or the area has no transit figures) and the template's
    context (charts, names)."""
    area = area if isinstance(area, Area) else resolve_area(area)
    if area.kind not in service.TRANSIT_KINDS:
        return None, {}
    is_group = not area.is_country
    data = service.transit_picture(web.session, area)
    if not _has_data(data, is_group):
        return None, {}
    context: dict[str, Any] = {
        "routing_is_group": is_group,
        "routing_group_name": lambda g: label(web, LABEL_KINDS[resolve_area(g).kind], g),
        "routing_country_name": lambda c: label(web, "country", c) if c in countries() else (c or "–"),
    }
    if not is_group:
        context["routing_dependency_chart"] = _dependency_chart(web, data["top_dependencies"])
        providers = data["as_relationships"]["providers"]
        if providers:
            context["routing_provider_chart"] = charts.bar_chart(
                [(f"AS{p['asn']} ({p['country'] or '?'})", float(p["customers"])) for p in providers],
                title=web.gettext("Providers by number of the country's networks they serve"),
                value_format=lambda v: web.fmt.number(v),
                max_items=10,
                width=900,  # drawn across the page: a narrower drawing would be scaled up, text and all
                unit=web.gettext("Unit: %(unit)s") % {"unit": web.gettext("networks of the country served")},
                source=web.gettext("Source: %(source)s") % {"source": web.gettext("CAIDA AS relationships")},
            )
    return data, context
