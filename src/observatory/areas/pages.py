"""The pages of places: the dashboard (the world: what has been pledged, by whom, for where, and how
reporting goes), each country's and each group's page (the pledges touching it, its connectivity, its
Internet infrastructure and its routing, each section from its own capability) and the list of groups."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import numpy as np
from fastapi import APIRouter
from fastapi.responses import Response
from jinja2 import meta

from observatory import reference
from observatory.areas import service
from observatory.errors import NotFound
from observatory.i18n import N_
from observatory.indicators import pages as connectivity
from observatory.indicators.service import sources as indicator_sources
from observatory.network.pages import section as infrastructure_section
from observatory.network.service import sources as network_sources
from observatory.pledges import HEALTH, PledgeFilter, selection, summaries, summary
from observatory.pledges.pages.explorer import area_pledges, area_pledges_context, pledge_note, sort_key
from observatory.routing.pages import section as routing_section
from observatory.web.deps import WebDep
from observatory.web.labels import label
from observatory.web.render import Web, add_templates, templates

log = logging.getLogger(__name__)

PAGES = ("areas/country.html", "areas/group.html", "areas/groups.html", "areas/dashboard.html")


def templates_of(names: tuple[str, ...]) -> list[str]:
    """``names`` and every template they extend, import or include, each once (one drawn from a variable is
    not known before it is drawn)."""
    found: list[str] = []
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.append(name)
        source = templates.loader.get_source(templates, name)[0] if templates.loader else ""
        todo.extend(n for n in meta.find_referenced_templates(templates.parse(source)) if n)
    return found


def prepare() -> None:
    """What the first country or group page of a process would otherwise do before drawing anything, done at
    the application's start: compile the pages' templates, import the sources that name the figures'
    publishers and digest the code the kept figures' key names. Nothing in it depends on a request or on the
    data."""
    start = time.perf_counter()
    compiled = templates_of(PAGES)
    for name in compiled:
        templates.get_template(name)
    indicator_sources()
    network_sources()
    service.prepare()
    log.info("area pages: %d templates compiled in %.2f s", len(compiled), time.perf_counter() - start)


@asynccontextmanager
async def _at_start(_app: Any) -> AsyncIterator[None]:
    await anyio.to_thread.run_sync(prepare)
    yield


router = APIRouter(include_in_schema=False, lifespan=_at_start)
add_templates(Path(__file__).parent / "templates")

BREAKDOWNS = ("focus_area", "pillar", "region", "stakeholder_type", "pledge_type")


def dashboard_data(web: Web) -> dict[str, Any]:
    """Everything the dashboard shows, by the registry's counting rules."""
    by = summaries(web.session, (*BREAKDOWNS, "country", "country_group", "year"))
    total = by["focus_area"]["total"]
    all_usd = total["value_usd_attributed"]
    index, mask = selection(web.session, PledgeFilter())
    health = index.health()
    counts = np.bincount(health.code[mask], minlength=len(HEALTH))
    countries = [g for g in by["country"]["groups"] if g["key"] != "global"]
    cumulative, pledges, value = [], 0, 0.0
    for g in by["year"]["groups"]:
        if g["key"] == "unspecified":
            continue
        pledges += g["pledges"]
        value += g["value_usd_attributed"]
        cumulative.append({"year": int(g["key"]), "pledges": pledges, "value_usd_attributed": round(value, 2)})
    return {
        "total": {**total, "countries_reached": len(countries)},
        "breakdowns": {b: by[b]["groups"] for b in BREAKDOWNS},
        "country_groups": [
            {**g, "value_share": g["value_usd_attributed"] / all_usd if all_usd else None}
            for g in by["country_group"]["groups"]
        ],
        "over_time": cumulative,
        "undated_pledges": next((g["pledges"] for g in by["year"]["groups"] if g["key"] == "unspecified"), 0),
        "reporting_health": {h: int(counts[i]) for i, h in enumerate(HEALTH)},
        "countries": countries,
        "not_on_map": next((g for g in by["country"]["groups"] if g["key"] == "global"), None),
        "as_of": dt.date.today().isoformat(),
    }


def cumulative_by_year(rows: list[dict[str, Any]], key: str) -> dict[int, float]:
    """A cumulative figure for every year from the first row's to the last's (rows: ``year`` and ``key``, in
    year order); a year without a row keeps the figure of the year before."""
    given = {int(r["year"]): float(r[key]) for r in rows}
    out: dict[int, float] = {}
    running = 0.0
    for year in range(min(given, default=0), max(given, default=-1) + 1):
        running = given.get(year, running)
        out[year] = running
    return out


@router.get("/")
def dashboard(web: WebDep) -> Response:
    from observatory.indicators import pages as connectivity
    from observatory.web import charts

    data = dashboard_data(web)
    data["connectivity"], world_picture = connectivity.world_picture(web)
    fmt = web.fmt

    def explorer_link(by: str) -> Callable[[int], str]:
        return lambda i: web.url("/pledges", **{by: data["breakdowns"][by][i]["key"]})

    bars = {
        b: charts.bar_chart(
            [(label(web, b, g["key"]), g["value_usd_attributed"]) for g in data["breakdowns"][b]],
            title=web.gettext("USD pledged"),
            value_format=fmt.usd,
            href=explorer_link(b),
            width=520,
            **pledge_note(web, N_("US dollars")),
        )
        for b in BREAKDOWNS
    }
    # Cumulative totals at the end of each year: a year without pledges keeps the total before it.
    pledges = cumulative_by_year(data["over_time"], "pledges")
    value = cumulative_by_year(data["over_time"], "value_usd_attributed")

    def year_link(year: int) -> str:
        return web.url("/pledges", year=str(year))

    timeline = {
        "pledges": charts.year_bars(
            pledges, title=web.gettext("Pledges, cumulative"), value_format=fmt.number, href=year_link, width=520,
            **pledge_note(web, N_("pledges announced up to the end of each year")),
        ),
        "value": charts.year_bars(
            value, title=web.gettext("USD pledged, cumulative"), value_format=fmt.usd, href=year_link, width=520,
            **pledge_note(web, N_("US dollars pledged up to the end of each year")),
        ),
    }  # fmt: skip
    world = charts.world_map(
        {g["key"]: g["value_usd_attributed"] for g in data["countries"]},
        title=web.gettext("USD pledged per target country"),
        value_format=fmt.usd,
        href=lambda code: web.url("/countries/" + code),
        legend_title=web.gettext("USD pledged"),
        no_data_label=web.gettext("No pledge"),
        zero_label=fmt.usd(0),
        up_to_label=web.gettext("up to %(value)s"),
        labels={code: label(web, "country", code) for code in reference.countries()},
        **pledge_note(web, N_("US dollars pledged to each target country")),
    )
    return web.render(
        "areas/dashboard.html", data, bars=bars, timeline=timeline, over_time_rows=data["over_time"], world=world,
        label=label, **world_picture,
    )  # fmt: skip


# ---------------------------------------------------------------- countries and groups


def _country(web: Web, c: reference.Country, day: dt.date) -> dict[str, Any]:
    return {
        "alpha3": c.alpha3,
        "alpha2": c.alpha2,
        "m49": c.m49,
        "name": label(web, "country", c.alpha3),
        "name_en": c.name_en,
        "name_fr": c.name_fr,
        "itu_region": c.itu_region,
        "groups": [g for g in reference.COUNTRY_GROUPS if reference.in_group(g, c.alpha3, day)],
    }


@router.get("/countries/{code}")
def country_page(code: str, web: WebDep) -> Response:
    alpha3 = reference.country_code(code)
    if alpha3 is None:
        raise NotFound(f"unknown country code {code!r}")
    country = _country(web, reference.countries()[alpha3], dt.date.today())
    f = PledgeFilter(country=[alpha3])
    data = {"country": country, **area_pledges(web, f, web.url("/pledges", country=alpha3))}
    connectivity_context, infrastructure_context, routing_context = _sections(web, alpha3, data)
    return web.render(
        "areas/country.html",
        data,
        **area_pledges_context(web, data, {"country": alpha3}),
        **connectivity_context,
        **infrastructure_context,
        **routing_context,
        region_name=label(web, "region", country["itu_region"]) if country["itu_region"] else None,
        group_names=[(g, label(web, "country_group", g)) for g in country["groups"]],
    )


def _sections(web: Web, code: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The connectivity, infrastructure and routing sections of the page of ``code`` into ``data``, from the
    figures kept for the loaded data (:func:`observatory.areas.service.area_figures`); their contexts."""
    kept = service.area_figures(web.session, code, service.folder_in(web.request.app.state.settings.home))
    data["connectivity"], connectivity_context = connectivity.section(web, code, kept["connectivity"], given=True)
    data["infrastructure"], infrastructure_context = infrastructure_section(
        web, code, kept["infrastructure"], given=True
    )
    data["routing"], routing_context = routing_section(web, code, kept["routing"], given=True)
    return connectivity_context, infrastructure_context, routing_context


def _members(code: str, day: dt.date) -> list[str]:
    if code in reference.COUNTRY_GROUPS:
        return reference.group_members(code, day)
    return sorted(c.alpha3 for c in reference.countries().values() if c.itu_region == code)


def _group_code(code: str) -> tuple[str, str]:
    """A group's code as the registry writes it and its kind; unknown codes are not found."""
    if code.upper() in reference.COUNTRY_GROUPS:
        return code.upper(), "country_group"
    if code.lower() in reference.ITU_REGIONS:
        return code.lower(), "region"
    raise NotFound(f"unknown group {code!r}")


@router.get("/groups")
def groups_page(web: WebDep) -> Response:
    today = dt.date.today()
    countries = reference.countries().values()
    groups = [
        {
            "code": code,
            "kind": "un_group" if kind == "country_group" else "itu_region",
            "name": label(web, kind, code),
            "members": len(_members(code, today)),
        }
        for kind, codes in (("country_group", reference.COUNTRY_GROUPS), ("region", reference.ITU_REGIONS))
        for code in codes
    ]
    listed = sorted((_country(web, c, today) for c in countries), key=lambda c: sort_key(c["name"]))
    data = {"as_of": today.isoformat(), "groups": groups, "countries": listed}
    return web.render(
        "areas/groups.html",
        data,
        region_names={k: label(web, "region", k) for k in reference.ITU_REGIONS},
        as_of_text=web.fmt.date(today),
    )


@router.get("/groups/{code}")
def group_page(code: str, web: WebDep) -> Response:
    key, by = _group_code(code)
    if key != code:
        return Response(status_code=308, headers={"location": web.url("/groups/" + key, **_query(web))})
    today = dt.date.today()
    f = PledgeFilter(country_group=[key]) if by == "country_group" else PledgeFilter(region=[key])
    members = _members(key, today)
    per_country = {g["key"]: g for g in summary(web.session, "country", replace(f))["groups"]}
    listed = [
        {
            "alpha3": m,
            "name": label(web, "country", m),
            "pledges": per_country.get(m, {}).get("pledges", 0),
            "value_usd_attributed": per_country.get(m, {}).get("value_usd_attributed", 0.0),
            "itu_member_state": reference.countries()[m].itu_member_state,
        }
        for m in members
    ]
    group = {
        "code": key,
        "kind": "un_group" if by == "country_group" else "itu_region",
        "name": label(web, by, key),
        "as_of": today.isoformat(),
        "members": sorted(listed, key=lambda m: sort_key(m["name"])),
    }
    data = {"group": group, **area_pledges(web, f, web.url("/pledges", **{by: key}))}
    connectivity_context, infrastructure_context, routing_context = _sections(web, key, data)
    return web.render(
        "areas/group.html",
        data,
        **area_pledges_context(web, data, {by: key}),
        **connectivity_context,
        **infrastructure_context,
        **routing_context,
        as_of=web.fmt.date(today),
        filter_name=by,
    )


def _query(web: Web) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in web.request.query_params.multi_items():
        out.setdefault(k, []).append(v)
    return out
