"""Internet infrastructure on the web: the section of country and group pages, the world map of IXP
presence (``/infrastructure``) and the indicator catalogue (``/infrastructure/indicators``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
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


def _ordinal_year(x: float) -> str:
    return str(dt.date.fromordinal(int(x)).year)


def _ordinal_month(x: float) -> str:
    return dt.date.fromordinal(int(x)).isoformat()[:7]


def _value_text(web: Web, code: str, value: float | None) -> str:
    if value is None:
        return "–"
    unit = INFRASTRUCTURE[code].unit
    if unit == "share":
        return web.fmt.percent(value)
    if unit in ("addresses_per_person", "ratio"):
        return web.fmt.number(value, 3 if abs(value) < 0.1 else 2)
    return web.fmt.number(value)


UNIT_WORDS = {
    "count": N_("number"),
    "share": N_("share"),
    "addresses_per_person": N_("addresses per person"),
    "ratio": N_("delegations per network"),
}


def _line(web: Web, points: list[dict[str, Any]], name: str, code: str) -> Markup:
    # Each point keeps its source: the line is broken where the source changes, never joining two sources.
    xy = [
        (float(p["date"].toordinal()), None if p["value"] is None else float(p["value"]), p.get("source"))
        for p in points
    ]
    first, last = dt.date.fromordinal(int(xy[0][0])).year, dt.date.fromordinal(int(xy[-1][0])).year
    ticks = [float(dt.date(y, 1, 1).toordinal()) for y in range(first + 1, last + 1, max(1, (last - first) // 6))]
    x_format = _ordinal_year
    if first == last:  # points of one year: their months, or every tick would read the same year
        ticks = sorted({x for x, _, _ in xy})
        x_format = _ordinal_month
    stored = list(dict.fromkeys(str(s) for _, _, s in xy if s))
    names = {s: service.source_label(s, web.gettext) for s in stored}
    unit = INFRASTRUCTURE[code].unit
    return charts.line_chart(
        [(name, xy)],
        title=name,
        x_format=x_format,
        y_format=lambda v: _value_text(web, code, v),
        x_ticks=ticks or None,
        source_names=names,
        width=560,
        unit=web.gettext("Unit: %(unit)s") % {"unit": web.gettext(UNIT_WORDS.get(unit, unit))},
        source=web.gettext("Source: %(source)s") % {"source": "; ".join(names.values())} if names else "",
    )


def missing_text(web: Web, missing: list[str] | tuple[str, ...]) -> str:
    """What a figure lacks, as a sentence: "RIPE NCC data not loaded", "APNIC extended file not loaded"."""
    parts = []
    for code in dict.fromkeys(missing):
        registry, _, what = code.partition(":")
        name = reference.RIR_NAMES.get(registry, registry)
        if what == "extended":
            parts.append(web.gettext("%(registry)s extended file not loaded") % {"registry": name})
        else:
            parts.append(web.gettext("%(registry)s data not loaded") % {"registry": name})
    return web.gettext("Not covered: %(what)s") % {"what": "; ".join(parts)}


def section(
    web: Web, area: str, figures: dict[str, Any] | None = None, *, given: bool = False
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The infrastructure section of a country (alpha-3) or group page: its data (the JSON twin's
    ``infrastructure``, None when nothing is loaded) and the template's context (charts, names). ``figures``
    (with ``given``): the section's figures as :func:`observatory.network.service.area_section` computed them,
    kept per data revision by the caller; else they are computed here."""
    found = figures if given else service.area_section(web.session, area)
    if found is None:
        return None, {}
    is_group = found["is_group"]
    history = found["history"]
    data = {
        **{k: found[k] for k in ("indicators", "dates", "coverage_threshold", "history", "comparison")},
        "catalogue": web.url("/infrastructure/indicators"),
        "cost_model": web.url(f"/cost-model?country={area}") if not is_group else None,
        "ixp_dependency": found["ixp_dependency"],
        "ixp_dependency_evidence": found["ixp_dependency_evidence"],
    }
    names = {code: web.gettext(i.name) for code, i in INFRASTRUCTURE.items()}
    chart_list = {
        code: _line(web, points, names[code], code)
        for code, points in history.items()
        if sum(p["value"] is not None for p in points) > 1
    }
    context = {
        "infrastructure_charts": chart_list,
        "infrastructure_names": names,
        "infrastructure_value": lambda code, v: _value_text(web, code, v),
        "infrastructure_source": lambda source: service.source_label(source, web.gettext),
        "infrastructure_missing": lambda missing: missing_text(web, missing),
        "infrastructure_group_name": lambda g: label(
            web, "country_group" if g in reference.COUNTRY_GROUPS else "region", g
        ),
    }
    return data, context


ACROSS = ("ixp_count", "asn_count", "ipv4_per_capita", "ipv6_per_network", "ipv6_holder_share")
"""The columns of the table across countries on ``/infrastructure`` (maps for the last three)."""
MAPS = ("ipv4_per_capita", "ipv6_per_network", "ipv6_holder_share")


def _map(web: Web, code: str, values: dict[str, service.Value]) -> Markup:
    covered = {c: v for c, v in values.items() if v.covered and v.value is not None}
    names = sorted({service.source_label(v.source, web.gettext) for v in covered.values()})
    unit = INFRASTRUCTURE[code].unit
    return charts.world_map(
        {c: float(v.value) for c, v in covered.items() if v.value is not None},
        title=web.gettext(INFRASTRUCTURE[code].name),
        value_format=lambda v: _value_text(web, code, v),
        href=lambda c: web.url("/countries/" + c),
        legend_title=web.gettext(INFRASTRUCTURE[code].name),
        no_data_label=web.gettext("Not covered or no data"),
        up_to_label=web.gettext("up to %(value)s"),
        labels={c: label(web, "country", c) for c in reference.countries()},
        unit=web.gettext("Unit: %(unit)s") % {"unit": web.gettext(UNIT_WORDS.get(unit, unit))},
        source=web.gettext("Source: %(source)s") % {"source": "; ".join(names)},
    )


@router.get("/infrastructure")
def infrastructure_page(web: WebDep, sort: str = "country", order: str = "asc", map: str = "ixp_count") -> Response:
    """IXP presence, address space and IPv6 across countries: a map of one indicator at a time (``map``)
    and a table that sorts by any column, each value with its date, or what it lacks where not covered."""
    shown = map if map in ("ixp_count", *MAPS) else "ixp_count"
    counts = service.ixp_map(web.session)
    table = service.country_table(web.session, [c for c in ACROSS if c != "ixp_count"])
    sort = sort if sort in ("country", *ACROSS) else "country"
    descending = order == "desc"
    rows: list[dict[str, Any]] = []
    for code in sorted(reference.countries(), key=lambda c: label(web, "country", c)):
        known = table.get(code, {})
        row: dict[str, Any] = {"country": code, "name": label(web, "country", code)}
        ixps = counts.get(code)
        row["ixp_count"] = {
            "value": ixps.value if ixps else (0.0 if counts else None),
            "covered": bool(counts),
            "missing": [],
            "date": (ixps.date if ixps else max(v.date for v in counts.values())).isoformat() if counts else None,
        }
        for c in ACROSS[1:]:
            v = known.get(c)
            row[c] = (
                v.as_json()
                if v
                else {"value": None, "covered": True, "missing": [], "date": None, "source": "", "snapshot_date": None}
            )
        rows.append(row)

    def key(r: dict[str, Any]) -> tuple[int, Any]:
        if sort == "country":
            return (0, r["name"])
        cell = r[sort]
        if cell["value"] is None or not cell["covered"]:
            return (1, 0.0)  # not covered or no data: always last
        return (0, -cell["value"] if descending else cell["value"])

    if sort != "country" or descending:
        rows.sort(key=key, reverse=sort == "country" and descending)
    # Each column's most common date is said once, in its heading; a cell says its own only when it differs.
    usual = {
        c: Counter(r[c]["date"] for r in rows if r[c]["covered"] and r[c]["value"] is not None).most_common(1)
        for c in ACROSS
    }
    data = {
        "countries": rows,
        "usual_dates": {c: (found[0][0] if found else None) for c, found in usual.items()},
        "sort": sort,
        "order": "desc" if descending else "asc",
        "ixp_snapshot": max(v.date for v in counts.values()).isoformat() if counts else None,
        "map": shown,
        "covered": {c: sum(1 for r in rows if r[c]["covered"] and r[c]["value"] is not None) for c in ACROSS},
        "not_covered": {c: sum(1 for r in rows if not r[c]["covered"]) for c in ACROSS},
    }
    context: dict[str, Any] = {
        "columns": {c: web.gettext(INFRASTRUCTURE[c].name) for c in ACROSS},
        "cell": lambda code, cell: _value_text(web, code, cell["value"]),
        "registries": lambda missing: ", ".join(
            dict.fromkeys(reference.RIR_NAMES.get(m.partition(":")[0], m) for m in missing)
        ),
    }
    if counts and shown == "ixp_count":
        context["chosen_map"] = charts.world_map(
            {c: float(v.value) if v.value is not None else None for c, v in counts.items()}
            | {c: 0.0 for c in reference.countries() if c not in counts},
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
            % {"source": service.source_label(next(iter(counts.values())).source, web.gettext)},
        )
    if table and shown != "ixp_count":
        context["chosen_map"] = _map(web, shown, {k: v[shown] for k, v in table.items() if shown in v})
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
