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
from observatory.indicators import INFRASTRUCTURE
from observatory.network import service
from observatory.web import charts
from observatory.web.deps import WebDep
from observatory.web.labels import label
from observatory.web.render import Web, add_templates

router = APIRouter(include_in_schema=False)
add_templates(Path(__file__).parent / "templates")
HISTORY = ("ixp_count", "ixp_members", "ipv6_prefixes", "ipv6_holder_share", "asn_count")


def _ordinal_year(x: float) -> str:
    return str(dt.date.fromordinal(int(x)).year)


def _value_text(web: Web, code: str, value: float | None) -> str:
    if value is None:
        return "–"
    unit = INFRASTRUCTURE[code].unit
    if unit == "share":
        return web.fmt.percent(value)
    if unit == "addresses_per_person":
        return web.fmt.number(value, 2)
    return web.fmt.number(value)


UNIT_WORDS = {"count": N_("number"), "share": N_("share"), "addresses_per_person": N_("addresses per person")}


def _line(web: Web, points: list[dict[str, Any]], name: str, code: str) -> Markup:
    # Each point keeps its source: the line is broken where the source changes, never joining two sources.
    xy = [
        (float(p["date"].toordinal()), None if p["value"] is None else float(p["value"]), p.get("source"))
        for p in points
    ]
    first, last = dt.date.fromordinal(int(xy[0][0])).year, dt.date.fromordinal(int(xy[-1][0])).year
    ticks = [float(dt.date(y, 1, 1).toordinal()) for y in range(first + 1, last + 1, max(1, (last - first) // 6))]
    stored = list(dict.fromkeys(str(s) for _, _, s in xy if s))
    names = {s: service.source_label(s, web.gettext) for s in stored}
    unit = INFRASTRUCTURE[code].unit
    return charts.line_chart(
        [(name, xy)],
        title=name,
        x_format=_ordinal_year,
        y_format=lambda v: _value_text(web, code, v),
        x_ticks=ticks or None,
        source_names=names,
        width=560,
        unit=web.gettext("Unit: %(unit)s") % {"unit": web.gettext(UNIT_WORDS.get(unit, unit))},
        source=web.gettext("Source: %(source)s") % {"source": "; ".join(names.values())} if names else "",
    )


def section(web: Web, area: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The infrastructure section of a country (alpha-3) or group page: its data (the JSON twin's
    ``infrastructure``, None when nothing is loaded) and the template's context (charts, names)."""
    found = service.area(area)
    is_group = found.kind not in ("country", "registry")
    members = service.members(web.session, found)
    indicators = service.area_indicators(web.session, area)["indicators"]
    if not indicators:
        return None, {}
    history: dict[str, list[dict[str, Any]]] = {}
    for code in HISTORY:
        # IXP history from CAIDA's quarterly files (one source, so the line is comparable over time).
        source = "caida_ixp" if code == "ixp_count" else None
        frame = service.series(web.session, members, [code], source)
        history[code] = frame.select("date", "value", "source").to_dicts()
    comparison = []
    if not is_group:
        country = reference.countries().get(area)
        groups = [g for g in reference.COUNTRY_GROUPS if reference.in_group(g, area, dt.date.today())]
        if country and country.itu_region:
            groups.append(country.itu_region)
        for g in groups:
            comparison.append({"group": g, "indicators": service.group_indicators(web.session, g)})
    data = {
        "indicators": indicators,
        "history": history,
        "comparison": comparison,
        "catalogue": web.url("/infrastructure/indicators"),
    }
    names = {code: web.gettext(i.name) for code, i in INFRASTRUCTURE.items()}
    chart_list = {code: _line(web, points, names[code], code) for code, points in history.items() if len(points) > 1}
    context = {
        "infrastructure_charts": chart_list,
        "infrastructure_names": names,
        "infrastructure_value": lambda code, v: _value_text(web, code, v),
        "infrastructure_source": lambda source: service.source_label(source, web.gettext),
        "infrastructure_group_name": lambda g: label(
            web, "country_group" if g in reference.COUNTRY_GROUPS else "region", g
        ),
    }
    return data, context


@router.get("/infrastructure")
def infrastructure_page(web: WebDep) -> Response:
    """World map of IXP presence (IXPs per country, latest snapshot), with the table behind it."""
    counts = service.ixp_map(web.session)
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
            {c: None if v.value is None else float(v.value) for c, v in ordered},
            title=web.gettext("Internet exchange points per country"),
            value_format=lambda v: web.fmt.number(v),
            href=lambda code: web.url("/countries/" + code),
            legend_title=web.gettext("IXPs"),
            no_data_label=web.gettext("No data"),
            zero_label=web.gettext("No IXP"),
            counts=True,
            up_to_label=web.gettext("up to %(value)s"),
            labels={code: label(web, "country", code) for code in reference.countries()},
            unit=web.gettext("Unit: %(unit)s") % {"unit": web.gettext("IXPs")},
            source=web.gettext("Source: %(source)s")
            % {"source": "; ".join(sorted({service.source_label(v.source, web.gettext) for _, v in ordered}))},
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
                "sources": service.sources_text(i.sources, web.gettext),
            }
            for i in INFRASTRUCTURE.values()
        ]
    }
    return web.render("network/indicators.html", data)
