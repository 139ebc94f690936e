"""Routing on the web: the transit/peering section (``#routing``) of country and group pages, and the page of
each network (``/networks/{asn}``: what the loaded sources know about one AS). Thin: the figures come from
:mod:`observatory.routing.service`; charts are drawn on the server (``web.charts``)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from markupsafe import Markup

from observatory.errors import NotFound
from observatory.i18n import N_
from observatory.network.service import source_label
from observatory.reference import Area, countries, resolve_area
from observatory.routing import service
from observatory.web import charts
from observatory.web.deps import WebDep
from observatory.web.labels import label
from observatory.web.render import Web, add_templates

router = APIRouter(include_in_schema=False)
add_templates(Path(__file__).parent / "templates")
# How the reader's language names a group of each kind (``web.labels``).
LABEL_KINDS = {"un_group": "country_group", "itu_region": "region"}


def _has_data(data: dict[str, Any], is_group: bool) -> bool:
    if is_group:
        return bool(data["countries"] or data["ixp"])
    return bool(data["as_relationships"]["figures"] and data["as_relationships"]["figures"]["known_asns"]) or bool(
        data["ixp"] or data["hegemony"] or data["top_dependencies"]["top"] or data.get("ihr_hegemony")
    )


def _dependency_chart(web: Web, top: dict[str, Any]) -> Markup | None:
    names = {row["asn"]: row for row in top["top"]}
    series = [
        (
            _as_text(names.get(asn, {"asn": asn})),
            [(float(dt.date.fromisoformat(d).toordinal()), float(v)) for d, v in points],
        )
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


def section(
    web: Web, area: Area | str, figures: dict[str, Any] | None = None, *, given: bool = False
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The routing section of a country or group page (an area, or its code): its data (the JSON twin's
    ``routing``, None when nothing it needs is loaded or the area has no transit figures) and the template's
    context (charts, names). ``figures`` (with ``given``): the area's
    :func:`observatory.routing.service.transit_picture`, kept per data revision by the caller (None: the area
    has none); else it is computed here."""
    area = area if isinstance(area, Area) else resolve_area(area)
    if area.kind not in service.TRANSIT_KINDS:
        return None, {}
    is_group = not area.is_country
    data = figures if given else service.transit_picture(web.session, area)
    if data is None or not _has_data(data, is_group):
        return None, {}
    context: dict[str, Any] = {
        **_as_helpers(web),
        "routing_is_group": is_group,
        "routing_group_name": lambda g: label(web, LABEL_KINDS[resolve_area(g).kind], g),
        "routing_country_name": lambda c: label(web, "country", c) if c in countries() else (c or "–"),
        "routing_source": lambda s: source_label(s, web.gettext),
    }
    if not is_group:
        context["routing_dependency_chart"] = _dependency_chart(web, data["top_dependencies"])
        providers = data["as_relationships"]["providers"]
        if providers:
            context["routing_provider_chart"] = charts.bar_chart(
                [(_as_text(p), float(p["customers"])) for p in providers],
                title=web.gettext("Providers by number of the country's networks they serve"),
                value_format=lambda v: web.fmt.number(v),
                max_items=10,
                width=900,  # drawn across the page: a narrower drawing would be scaled up, text and all
                unit=web.gettext("Unit: %(unit)s") % {"unit": web.gettext("networks of the country served")},
                source=web.gettext("Source: %(source)s") % {"source": web.gettext("CAIDA AS relationships")},
            )
    return data, context


def _as_text(row: dict[str, Any]) -> str:
    """``AS37440 Airtel-MW``: the number and, where a loaded source knows it, the name (never a registry id)."""
    return f"AS{row['asn']} {row['name']}" if row.get("name") else f"AS{row['asn']}"


def hegemony_text(web: Web, value: float | None) -> str:
    """A global hegemony score (0–1) with three significant digits and at least four decimals (0.0805,
    0.0000123), so the small scores of most networks still rank; "0" for none."""
    if value is None:
        return "–"
    if value <= 0:
        return web.fmt.number(0)
    digits = min(10, max(4, 2 - math.floor(math.log10(value))))
    return web.fmt.number(value, digits)


def hegemony_source(web: Web, stored: str) -> str:
    """The source of a hegemony series (``ihr_hegemony``, ``routing_tables``) as readers know it."""
    return web.gettext(service.HEGEMONY_LABELS.get(stored, stored))


# IHR's classes of networks and the registries' statuses, as readers are told them.
CATEGORIES = {
    "Transit/Access": N_("Transit or access network"),
    "Enterprise": N_("Enterprise network"),
    "Academic": N_("Academic network"),
    "Content": N_("Content network"),
    "Communications": N_("Communications network"),
    "Financial": N_("Financial institution's network"),
    "Government": N_("Government network"),
    "Security": N_("Security services' network"),
    "Other": N_("Other"),
}
STATUSES = {"allocated": N_("allocated"), "assigned": N_("assigned"), "listed": N_("listed as delegated")}


def _as_helpers(web: Web) -> dict[str, Any]:
    return {
        "routing_category": lambda c: web.gettext(CATEGORIES[c]) if c in CATEGORIES else c,
        "routing_status": lambda s: web.gettext(STATUSES[s]) if s in STATUSES else s,
        "hegemony_text": lambda v: hegemony_text(web, v),
        "routing_country_name": lambda c: label(web, "country", c) if c in countries() else (c or "–"),
        "hegemony_source": lambda stored: hegemony_source(web, stored),
    }


def _hegemony_chart(web: Web, series: list[dict[str, Any]]) -> Markup | None:
    # One series per source: IHR's dates and the observatory's own are never joined by a line.
    drawn = [
        (
            hegemony_source(web, s["source"]),
            [(float(dt.date.fromisoformat(d).toordinal()), float(v), s["source"]) for d, v in s["points"]],
        )
        for s in series
    ]
    if not any(len(points) > 1 for _, points in drawn) and len(drawn) < 2:
        return None
    return charts.line_chart(
        drawn,
        title=web.gettext("Global AS hegemony over time"),
        x_format=lambda x: web.fmt.date(dt.date.fromordinal(int(x))),
        y_format=lambda v: hegemony_text(web, v),
        max_gap=None,
        source_names={s["source"]: hegemony_source(web, s["source"]) for s in series},
        width=900,
        unit=web.gettext("Unit: %(unit)s")
        % {"unit": web.gettext("hegemony score (0–1): share of the Internet's paths that cross the AS")},
        source=web.gettext("Source: %(source)s") % {"source": "; ".join(name for name, _ in drawn)},
    )


def _asn(value: str) -> int:
    text = value.strip().upper().removeprefix("AS")
    if not text.isdigit():
        raise NotFound(f"{value!r} is not an AS number")
    return int(text)


@router.get("/networks/{asn}")
def network_page(asn: str, web: WebDep) -> Response:
    """One network (AS): its name, country and category from every loaded source, the registry that delegated
    it, its global hegemony over time per source, its IXPs, providers and customers."""
    number = _asn(asn)
    if asn != str(number):
        location = web.url(f"/networks/{number}", **dict(web.request.query_params))
        return Response(status_code=308, headers={"location": location})
    data = service.as_profile(web.session, number)
    return web.render(
        "routing/network.html",
        data,
        **_as_helpers(web),
        hegemony_chart=_hegemony_chart(web, data["hegemony"]),
        countries=set(countries()),
        ixp_source=lambda s: source_label(s, web.gettext),
    )
