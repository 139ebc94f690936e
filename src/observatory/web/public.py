"""The public dashboard: what has been pledged, by whom, for where, and how reporting goes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
from fastapi import APIRouter
from fastapi.responses import Response

from observatory import reference
from observatory.pledges.index import HEALTH
from observatory.pledges.query import PledgeFilter, selection
from observatory.pledges.summary import summary
from observatory.web.context import Web, WebDep
from observatory.web.i18n import N_

router = APIRouter(include_in_schema=False)

BREAKDOWNS = ("focus_area", "pillar", "region", "stakeholder_type", "pledge_type")


# English names of the registry's codes (translated when shown).
CODE_NAMES = {
    "government": N_("Government"), "private_sector": N_("Private sector"),
    "international_organisation": N_("International organisation"), "un_entity": N_("UN entity"),
    "financial_institution": N_("Financial institution"), "academia": N_("Academia"),
    "civil_society": N_("Civil society"), "financial": N_("Financial"), "programmatic": N_("Programmatic"),
    "policy": N_("Policy"), "advocacy": N_("Advocacy"), "planned": N_("Planned"), "in_progress": N_("In progress"),
    "completed": N_("Completed"), "discontinued": N_("Discontinued"), "draft": N_("Draft"),
    "submitted": N_("Submitted"), "published": N_("Published"), "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"), "member_state": N_("Member State"), "sector_member": N_("Sector Member"),
    "associate": N_("Associate"), "none": N_("None"), "global": N_("Global"), "unspecified": N_("Unspecified"),
    "stated": N_("Stated by the pledger"), "converted": N_("Converted"), "green": N_("Green"), "amber": N_("Amber"),
    "red": N_("Red"), "not_due": N_("Not yet due"), "other": N_("Not in an ITU region"),
}  # fmt: skip


def label(web: Web, by: str, key: str) -> str:
    """A breakdown key in the reader's language."""
    if by == "country":
        country = reference.countries().get(key)
        if country:
            return country.name_fr if web.language == "fr" else country.name_en
    if by == "region" and key in reference.ITU_REGIONS:
        return reference.ITU_REGIONS[key][1 if web.language == "fr" else 0]
    if by == "focus_area" and key in reference.focus_areas():
        return reference.focus_areas()[key][1 if web.language == "fr" else 0]
    if by == "pillar" and key in reference.pillars():
        p = reference.pillars()[key]
        return p.name_fr if web.language == "fr" else p.name_en
    if by == "country_group" and key in reference.COUNTRY_GROUPS:
        return reference.COUNTRY_GROUPS[key][1 if web.language == "fr" else 0]
    return web.gettext(CODE_NAMES.get(key, key.replace("_", " ").capitalize()))


def dashboard_data(web: Web) -> dict[str, Any]:
    """Everything the dashboard shows, by the registry's counting rules."""
    by = {b: summary(web.session, b) for b in (*BREAKDOWNS, "country", "country_group", "year")}
    total = by["focus_area"]["total"]
    index, mask = selection(web.session, PledgeFilter())
    health = index.health()
    counts = np.bincount(health.code[mask], minlength=len(HEALTH))
    countries = [g for g in by["country"]["groups"] if g["key"] != "global"]
    cumulative, pledges, value = [], 0, 0.0
    for g in by["year"]["groups"]:
        if g["key"] == "unspecified":
            continue
        pledges += g["pledges"]
        value += g["value_usd"]
        cumulative.append({"year": int(g["key"]), "pledges": pledges, "value_usd": round(value, 2)})
    return {
        "total": {**total, "countries_reached": len(countries)},
        "breakdowns": {b: by[b]["groups"] for b in BREAKDOWNS},
        "country_groups": [
            {**g, "value_share": g["value_usd"] / total["value_usd"] if total["value_usd"] else None}
            for g in by["country_group"]["groups"]
        ],
        "over_time": cumulative,
        "undated_pledges": next((g["pledges"] for g in by["year"]["groups"] if g["key"] == "unspecified"), 0),
        "reporting_health": {h: int(counts[i]) for i, h in enumerate(HEALTH)},
        "countries": countries,
        "as_of": dt.date.today().isoformat(),
    }


@router.get("/")
def dashboard(web: WebDep) -> Response:
    from observatory.web import charts, connectivity

    data = dashboard_data(web)
    data["connectivity"], world_picture = connectivity.world_picture(web)
    fmt = web.fmt

    def explorer_link(by: str) -> Callable[[int], str]:
        return lambda i: web.url("/pledges", **{by: data["breakdowns"][by][i]["key"]})

    bars = {
        b: charts.bar_chart(
            [(label(web, b, g["key"]), g["value_usd"]) for g in data["breakdowns"][b]],
            title=web.gettext("USD pledged"),
            value_format=fmt.usd,
            href=explorer_link(b),
            width=520,
        )
        for b in BREAKDOWNS
    }
    years = [(float(p["year"]), float(p["pledges"])) for p in data["over_time"]]
    values = [(float(p["year"]), float(p["value_usd"])) for p in data["over_time"]]
    ticks = [x for x, _ in years]
    timeline = {
        "pledges": charts.line_chart(
            [(web.gettext("Pledges"), years)], title=web.gettext("Pledges, cumulative"),
            x_format=lambda x: str(int(x)), y_format=fmt.number, x_ticks=ticks, width=520,
        ),
        "value": charts.line_chart(
            [(web.gettext("USD pledged"), values)], title=web.gettext("USD pledged, cumulative"),
            x_format=lambda x: str(int(x)), y_format=fmt.usd, x_ticks=ticks, width=520,
        ),
    }  # fmt: skip
    world = charts.world_map(
        {g["key"]: g["value_usd"] for g in data["countries"]},
        title=web.gettext("USD pledged per target country"),
        value_format=fmt.usd,
        href=lambda code: web.url("/countries/" + code),
        legend_title=web.gettext("USD pledged"),
        no_data_label=web.gettext("No data"),
        labels={code: label(web, "country", code) for code in reference.countries()},
    )
    return web.render(
        "public/dashboard.html", data, bars=bars, timeline=timeline, over_time_rows=data["over_time"], world=world,
        label=label, **world_picture,
    )  # fmt: skip
