"""Internet infrastructure on the web: the section of country and group pages, the world map of IXP
presence (``/infrastructure``) and the indicator catalogue (``/infrastructure/indicators``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from markupsafe import Markup

from observatory import reference
from observatory.i18n import N_
from observatory.network.catalogue import BY_CODE, CATALOGUE
from observatory.network.service import country_indicators, group_countries, group_indicators, ixp_map, series
from observatory.web import charts
from observatory.web.deps import WebDep
from observatory.web.labels import label
from observatory.web.render import Web, add_templates

router = APIRouter(include_in_schema=False)
add_templates(Path(__file__).parent / "templates")
HISTORY = ("ixp_count", "ixp_members", "ipv6_prefixes", "ipv6_holder_share", "asn_count")
# The sources as readers know them; the stored id (``peeringdb_csv+rir_delegated``) stays in the JSON twin.
SOURCE_NAMES = {
    "caida_ixp": N_("CAIDA IXP dataset"),
    "caida_facilities": N_("CAIDA IXP dataset"),
    "peeringdb": "PeeringDB",
    "peeringdb_csv": "PeeringDB",
    "pch": "Packet Clearing House",
    "rir_delegated": N_("Regional Internet registries"),
    "apnic_eyeballs": N_("APNIC user estimates"),
    "caida_asrel": N_("CAIDA AS relationships"),
    "caida_pfx2as": N_("CAIDA prefix-to-AS"),
}


def _ordinal_year(x: float) -> str:
    return str(dt.date.fromordinal(int(x)).year)


def _value_text(web: Web, code: str, value: float | None) -> str:
    if value is None:
        return "–"
    unit = BY_CODE[code].unit
    if unit == "share":
        return web.fmt.percent(value)
    if unit == "addresses_per_person":
        return web.fmt.number(value, 2)
    return web.fmt.number(value)


def _source_text(web: Web, source: str) -> str:
    """``peeringdb_csv+rir_delegated`` as "PeeringDB + Regional Internet registries"."""
    names = [web.gettext(SOURCE_NAMES[p]) if p in SOURCE_NAMES else p for p in source.split("+")]
    return " + ".join(dict.fromkeys(names))


def _line(web: Web, points: list[dict[str, Any]], name: str, code: str) -> Markup:
    xy = [(float(p["date"].toordinal()), float(p["value"])) for p in points]
    first, last = dt.date.fromordinal(int(xy[0][0])).year, dt.date.fromordinal(int(xy[-1][0])).year
    ticks = [float(dt.date(y, 1, 1).toordinal()) for y in range(first + 1, last + 1, max(1, (last - first) // 6))]
    return charts.line_chart(
        [(name, xy)],
        title=name,
        x_format=_ordinal_year,
        y_format=lambda v: _value_text(web, code, v),
        x_ticks=ticks or None,
        width=560,
    )


def section(web: Web, area: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The infrastructure section of a country (alpha-3) or group page: its data (the JSON twin's
    ``infrastructure``, None when nothing is loaded) and the template's context (charts, names)."""
    is_group = area in reference.COUNTRY_GROUPS or area in reference.ITU_REGIONS
    members = group_countries(area, dt.date.today()) if is_group else [area]
    if is_group:
        indicators = group_indicators(web.session, area)
    else:
        indicators = {k: v.as_json() for k, v in country_indicators(web.session, area).items()}
    if not indicators:
        return None, {}
    history: dict[str, list[dict[str, Any]]] = {}
    for code in HISTORY:
        # IXP history from CAIDA's quarterly files (one source, so the line is comparable over time).
        source = "caida_ixp" if code == "ixp_count" else None
        frame = series(web.session, members, [code], source)
        history[code] = frame.select("date", "value", "source").to_dicts()
    comparison = []
    if not is_group:
        country = reference.countries().get(area)
        groups = [g for g in reference.COUNTRY_GROUPS if reference.in_group(g, area, dt.date.today())]
        if country and country.itu_region:
            groups.append(country.itu_region)
        for g in groups:
            comparison.append({"group": g, "indicators": group_indicators(web.session, g)})
    data = {
        "indicators": indicators,
        "history": history,
        "comparison": comparison,
        "catalogue": web.url("/infrastructure/indicators"),
    }
    names = {i.code: web.gettext(i.name) for i in CATALOGUE}
    chart_list = {code: _line(web, points, names[code], code) for code, points in history.items() if len(points) > 1}
    context = {
        "infrastructure_charts": chart_list,
        "infrastructure_names": names,
        "infrastructure_value": lambda code, v: _value_text(web, code, v),
        "infrastructure_source": lambda source: _source_text(web, source),
        "infrastructure_group_name": lambda g: label(
            web, "country_group" if g in reference.COUNTRY_GROUPS else "region", g
        ),
    }
    return data, context


@router.get("/infrastructure")
def infrastructure_page(web: WebDep) -> Response:
    """World map of IXP presence (IXPs per country, latest snapshot), with the table behind it."""
    counts = ixp_map(web.session)
    ordered = sorted(
        ((c, v) for c, v in counts.items() if c in reference.countries()), key=lambda cv: (-(cv[1].value or 0), cv[0])
    )
    rows: list[dict[str, Any]] = [
        {
            "country": c,
            "name": label(web, "country", c),
            "ixp_count": v.value,
            "source": v.source,
            "snapshot_date": v.snapshot_date.isoformat(),
        }
        for c, v in ordered
    ]
    without = [c for c in reference.countries() if c not in counts]
    data = {"ixp_count": rows, "countries_without_ixp_data": len(without)}
    context: dict[str, Any] = {}
    if rows:
        context["ixp_map"] = charts.world_map(
            {c: float(v.value or 0) for c, v in ordered},
            title=web.gettext("Internet exchange points per country"),
            value_format=lambda v: web.fmt.number(v),
            href=lambda code: web.url("/countries/" + code),
            legend_title=web.gettext("IXPs"),
            no_data_label=web.gettext("No IXP"),
            labels={code: label(web, "country", code) for code in reference.countries()},
        )
    return web.render("network/infrastructure.html", data, **context)


@router.get("/infrastructure/indicators")
def catalogue_page(web: WebDep) -> Response:
    """The indicator catalogue: codes, definitions, units, sources and how groups aggregate them."""
    data = {
        "indicators": [
            {
                "code": i.code,
                "name": web.gettext(i.name),
                "definition": web.gettext(i.definition),
                "unit": i.unit,
                "aggregate": i.aggregate,
                "sources": i.sources,
            }
            for i in CATALOGUE
        ]
    }
    return web.render("network/indicators.html", data)
