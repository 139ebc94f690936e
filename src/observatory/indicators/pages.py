"""The connectivity section of country and group pages and the dashboard's world picture: the indicator
capability's figures (``observatory.indicators``) drawn as charts and tables in the reader's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from fastapi import APIRouter
from fastapi.responses import Response
from markupsafe import Markup

from observatory import reference
from observatory.i18n import N_
from observatory.indicators import CONNECTIVITY, INTERNET_USE, POPULATION, report, service
from observatory.reference.areas import AGGREGATES
from observatory.web import charts
from observatory.web.deps import WebDep
from observatory.web.labels import label
from observatory.web.render import Web, add_templates

router = APIRouter(include_in_schema=False)
add_templates(Path(__file__).parent / "templates")

TARGET_NAMES = {
    "umc_internet_use": N_("UMC 2030: everyone uses the Internet (met at 95 %)"),
    "bbcom_3_internet_use": N_("Broadband Commission 2025: Internet use (75 % world, 65 % developing, 35 % LDCs)"),
    "bbcom_2_affordability": N_("Broadband Commission 2025: mobile data under 2 % of monthly GNI per capita"),
    "umc_affordability_fixed": N_("UMC 2030: fixed broadband under 2 % of monthly GNI per capita"),
    "umc_4g_coverage": N_("UMC 2030: everyone covered by 4G"),
}
BAND_NAMES = {
    "limited": N_("Limited"),
    "satisfactory": N_("Satisfactory"),
    "advanced": N_("Advanced"),
    "met": N_("Target met"),
}
STATUS_NAMES = {
    "reached": N_("Reached"),
    "on_track": N_("Before 2030"),
    "after_2030": N_("After 2030"),
    "not_on_course": N_("Not at the recent pace"),
}
METHOD_NAMES = {
    "observed": N_("Observed"),
    "interpolated": N_("Interpolated"),
    "carried_forward": N_("Last value carried forward"),
    "group_mean": N_("Mean of similar countries"),
    "linear": N_("linear"),
    "logistic": N_("logistic"),
}
GROUP_NAMES = {
    "WORLD": N_("World"),
    "LIC": N_("Low income"),
    "LMC": N_("Lower middle income"),
    "UMC": N_("Upper middle income"),
    "HIC": N_("High income"),
}


def area_name(web: Web, code: str) -> str:
    """A country, UN group, ITU region or income group in the reader's language."""
    if code in GROUP_NAMES:
        return web.gettext(GROUP_NAMES[code])
    if code in reference.COUNTRY_GROUPS:
        return label(web, "country_group", code)
    if code in reference.ITU_REGIONS:
        return label(web, "region", code)
    return label(web, "country", code)


def apart(
    points: list[tuple[float, float]], estimated: list[bool]
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Reported points, and estimated ones joined to the reported point before them, to draw as two series."""
    reported = [p for p, e in zip(points, estimated, strict=True) if not e]
    rest = [p for k, p in enumerate(points) if estimated[k] or (k + 1 < len(points) and estimated[k + 1])]
    return reported, rest


def _year(x: float) -> str:
    return str(int(x))


def chart_note(web: Web, unit: str, editions: dict[str, Any], codes: tuple[str, ...]) -> charts.ChartNote:
    """The unit (an English msgid) and the sources (the editions read for ``codes``) of a chart, as shown."""
    found = [e for code in codes if (e := editions.get(code))]
    return {
        "unit": web.gettext("Unit: %(unit)s") % {"unit": web.gettext(unit)},
        "source": web.gettext("Source: %(source)s")
        % {"source": "; ".join(dict.fromkeys(f"{e['dataset']} ({e['edition']})" for e in found))}
        if found
        else "",
    }


def _names(web: Web) -> dict[str, dict[str, str]]:
    def translate(names: dict[str, str]) -> dict[str, str]:
        return {k: web.gettext(v) for k, v in names.items()}

    return {
        "indicators": {code: web.gettext(i.name) for code, i in CONNECTIVITY.items()},
        "targets": translate(TARGET_NAMES),
        "bands": translate(BAND_NAMES),
        "status": translate(STATUS_NAMES),
        "methods": translate(METHOD_NAMES),
    }


def section(web: Web, area: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The section's data (for the JSON twin, None when nothing is loaded) and its template context."""
    data = report.area_section(web.session, area)
    if data is None or not data["series"]:
        return data, {"connectivity_names": _names(web)}
    fmt = web.fmt
    series = [r for r in data["series"] if r["year"] >= 2005]

    def split(key: str) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        return apart([(float(r["year"]), float(r[key])) for r in series], [r["imputed"] for r in series])

    use, use_estimated = split("internet_use_pct")
    lines: list[tuple[str, list[tuple[float, float]]]] = [(web.gettext("Internet use"), use)]
    if use_estimated:
        lines.append((web.gettext("Internet use, estimated (imputed)"), use_estimated))
    gaps: list[float | None] = [1.0] * len(lines)  # yearly measurements: a year without a value breaks the line
    for score in data["scores"]:
        if score["indicator"] == INTERNET_USE:
            goal = 95.0 if score["target"] == "umc_internet_use" else float(score["target_value"])
            end = float(data["targets"][score["target"]]["year"])
            name = TARGET_NAMES[score["target"]]
            lines.append((web.gettext(name), [(2005.0, goal), (end, goal)]))
            gaps.append(None)  # a target holds for the whole period
    ticks = [float(y) for y in range(2005, 2031, 5)]
    editions = data.get("editions", {})
    use_chart = charts.line_chart(
        lines,
        title=web.gettext("Internet use against the targets"),
        x_format=_year,
        y_format=lambda y: fmt.number(y) + " %",
        x_ticks=ticks,
        max_gap=gaps,
        width=560,
        **chart_note(web, N_("percentage of individuals using the Internet"), editions, (INTERNET_USE,)),
    )
    offline, offline_estimated = split("people_offline")
    offline_lines = [(web.gettext("People offline"), offline)]
    if offline_estimated:
        offline_lines.append((web.gettext("People offline, estimated (imputed)"), offline_estimated))
    offline_chart = charts.line_chart(
        offline_lines,
        title=web.gettext("People offline"),
        x_format=_year,
        y_format=fmt.compact,
        x_ticks=[float(y) for y in range(2005, series[-1]["year"] + 1, 5)],
        max_gap=1.0,
        width=560,
        **chart_note(web, N_("people"), editions, (POPULATION, INTERNET_USE)),
    )
    return data, {
        "connectivity_charts": {"use": use_chart, "offline": offline_chart},
        "connectivity_names": _names(web),
    }


def world_picture(web: Web) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The dashboard's world picture: people offline over time and by group (the map of Internet use is on
    ``/connectivity``: a second world map would take the dashboard over its weight budget)."""
    try:
        c = service.connectivity(web.session)
        year = service.measured_year(c)
    except service.NoData:
        return None, {}
    fmt = web.fmt
    aggregates = c.offline.aggregates
    world = aggregates.filter((pl.col("area") == "WORLD") & (pl.col("year") >= 2005)).sort("year")
    groups = aggregates.filter((pl.col("year") == year) & (pl.col("area") != "WORLD"))
    order = {a: i for i, a in enumerate(AGGREGATES)}
    groups = groups.sort(pl.col("area").replace_strict(order, return_dtype=pl.Int32))
    use = c.latest.filter((pl.col("indicator") == INTERNET_USE) & ~pl.col("computed"))
    data: dict[str, Any] = {
        "year": year,
        "world": service.offline_figure(c, "WORLD", year),
        "over_time": world.select(
            "year", "population", "people_offline", "internet_use_pct", "observed_population_share"
        ).to_dicts(),
        "by_group": groups.select(
            "area", "population", "people_offline", "internet_use_pct", "observed_population_share"
        ).to_dicts(),
        "internet_use": use.select("area", "year", "value").sort("area").to_dicts(),
        "editions": {code: c.edition_of(code) for code in (POPULATION, INTERNET_USE)},
    }
    # Years resting mostly on imputed values are drawn apart: they carry old values forward, not news.
    mostly_observed, mostly_imputed = apart(
        [(float(r["year"]), float(r["people_offline"])) for r in data["over_time"]],
        [r["observed_population_share"] < 0.5 for r in data["over_time"]],
    )
    world_lines = [(web.gettext("People offline"), mostly_observed)]
    if mostly_imputed:
        world_lines.append((web.gettext("Estimated, mostly from imputed values"), mostly_imputed))
    offline_chart = charts.line_chart(
        world_lines,
        title=web.gettext("People offline in the world"),
        x_format=_year,
        y_format=fmt.compact,
        x_ticks=[float(y) for y in range(2005, year + 1, 5)],
        max_gap=1.0,
        width=520,
        **chart_note(web, N_("people"), data["editions"], (POPULATION, INTERNET_USE)),
    )
    group_chart = charts.bar_chart(
        [(area_name(web, r["area"]), r["people_offline"]) for r in data["by_group"]],
        title=web.gettext("People offline by group"),
        value_format=fmt.compact,
        href=lambda i: (
            web.url("/groups/" + data["by_group"][i]["area"])
            if data["by_group"][i]["area"] not in GROUP_NAMES
            else None
        ),
        max_items=len(data["by_group"]),
        width=520,
        **chart_note(web, N_("people"), data["editions"], (POPULATION, INTERNET_USE)),
    )
    context: dict[str, Markup | Any] = {
        "offline_chart": offline_chart,
        "group_chart": group_chart,
        "area_name": lambda code: area_name(web, code),
    }
    return data, context


@router.get("/connectivity")
def connectivity_page(web: WebDep) -> Response:
    """The world's connectivity: a map of Internet use, and need against pledges with the most underserved
    countries first (the list a resource-mobilisation meeting starts from)."""
    picture, context = world_picture(web)
    data: dict[str, Any] = {"connectivity": picture}
    if picture is not None:
        result = service.need_and_pledges(web.session, service.connectivity(web.session))
        data["need"] = {
            "year": result["year"],
            "total_usd_pledged_to_countries": result["total_usd_pledged_to_countries"],
            "left_out": result["left_out"],
            "countries": result["countries"].head(25).to_dicts(),
            "groups": result["groups"].to_dicts(),
        }
        fmt = web.fmt
        context["use_map"] = charts.world_map(
            {r["area"]: r["value"] for r in picture["internet_use"]},
            title=web.gettext("Individuals using the Internet (%), latest year"),
            value_format=lambda v: fmt.number(v) + " %",
            href=lambda code: web.url("/countries/" + code),
            legend_title=web.gettext("Internet use"),
            no_data_label=web.gettext("No data"),
            up_to_label=web.gettext("up to %(value)s"),
            labels={code: label(web, "country", code) for code in reference.countries()},
            **chart_note(web, N_("percentage of individuals using the Internet"), picture["editions"], (INTERNET_USE,)),
        )
    return web.render("indicators/connectivity.html", data, **context, label=label)
