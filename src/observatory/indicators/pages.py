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
    "too_short_after_break": N_("Too few observations since the break"),
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


Drawn = list[tuple[str, list[tuple[float, float, str]]]]


def drawn_apart(
    rows: list[dict[str, Any]], key: str, names: tuple[str, str, str], breaks: list[int] | None = None
) -> tuple[Drawn, list[bool]]:
    """A series as the charts draw it (rows: year, ``key``, method or estimated), and which series are set apart.

    Observed values make one line, broken at a gap and at each break of the series (``breaks``: the first
    year after each; the two sides are tagged apart so no line joins them); interpolated values are joined
    to the observations on either side, as interpolation does; values beyond the observations (carried
    forward, means of similar countries, or for a group a year resting mostly on them) are a series of
    hollow markers of their own, never joined to anything. Series left empty are dropped."""
    cuts = sorted(breaks or [])

    def tag(year: int) -> str:
        return "since-" + str(max((b for b in cuts if b <= year), default=0))

    points = [
        (r["year"], float(r[key]), r.get("method") or ("estimated" if r["estimated"] else "observed")) for r in rows
    ]
    observed = [(float(y), v, tag(y)) for y, v, m in points if m == "observed"]
    inside: list[tuple[float, float, str]] = []
    for k, (y, v, m) in enumerate(points):
        if m != "interpolated":
            continue
        for j in (k - 1, k + 1):  # the observations it lies between, then itself
            if 0 <= j < len(points) and points[j][2] == "observed":
                inside.append((float(points[j][0]), points[j][1], tag(points[j][0])))
        inside.append((float(y), v, tag(y)))
    beyond = [(float(y), v, "estimated") for y, v, m in points if m not in ("observed", "interpolated")]
    found = [
        (name, sorted(dict.fromkeys(run))) for name, run in zip(names, (observed, inside, beyond), strict=True) if run
    ]
    return found, [name == names[2] for name, _ in found]


def _year(x: float) -> str:
    return str(int(x))


def source_names(web: Web, editions: dict[str, Any], codes: tuple[str, ...]) -> str:
    """The sources of ``codes`` as their publishers name them, each with its edition, for a chart or a page."""
    found = [e for code in codes if (e := editions.get(code))]
    return "; ".join(dict.fromkeys(f"{publisher(web, e)} ({e['edition']})" for e in found))


def publisher(web: Web, edition: dict[str, Any]) -> str:
    """The publisher's own name of the source an edition was read from (never the internal code)."""
    try:
        return web.gettext(service.source(edition["source"]).label())
    except KeyError:
        return str(edition["dataset"])


def chart_note(web: Web, unit: str, editions: dict[str, Any], codes: tuple[str, ...]) -> charts.ChartNote:
    """The unit (an English msgid) and the sources (the editions read for ``codes``) of a chart, as shown."""
    named = source_names(web, editions, codes)
    return {
        "unit": web.gettext("Unit: %(unit)s") % {"unit": web.gettext(unit)},
        "source": web.gettext("Source: %(source)s") % {"source": named} if named else "",
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


def section(
    web: Web, area: str, figures: dict[str, Any] | None = None, *, given: bool = False
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The section's data (for the JSON twin, None when nothing is loaded) and its template context.
    ``figures`` (with ``given``): the area's :func:`observatory.indicators.service.area_figures`, kept per data
    revision by the caller (None: nothing loaded); the pledges are set against them here, as they are now."""
    if given:
        data = service.area_pledges(web.session, figures) if figures is not None else None
    else:
        data = report.area_section(web.session, area)
    if data is None or not data["series"]:
        return data, {"connectivity_names": _names(web)}
    fmt = web.fmt
    series = [r for r in data["series"] if r["year"] >= 2005]
    group = data["kind"] == "group"
    cuts = [b["year"] for b in data["breaks"]]
    if group:
        names = (
            web.gettext("Mostly observed"),
            "",
            web.gettext("Mostly imputed (less than half the population observed)"),
        )
    else:
        names = (
            web.gettext("Observed"),
            web.gettext("Interpolated between observations"),
            web.gettext("Estimated: carried forward or mean of similar countries"),
        )
    segment_names = _segment_names(web, cuts)

    use_lines, use_apart = drawn_apart(series, "internet_use_pct", names, cuts)
    lines: list[tuple[str, list[Any]]] = list(use_lines)
    gaps: list[float | None] = [1.0] * len(lines)  # yearly measurements: a year without a value breaks the line
    hollow = list(use_apart)
    for score in data["scores"]:
        if score["indicator"] == INTERNET_USE:
            goal = 95.0 if score["target"] == "umc_internet_use" else float(score["target_value"])
            end = float(data["targets"][score["target"]]["year"])
            name = TARGET_NAMES[score["target"]]
            lines.append((web.gettext(name), [(2005.0, goal), (end, goal)]))
            gaps.append(None)  # a target holds for the whole period
            hollow.append(False)
    ticks = [float(y) for y in range(2005, 2031, 5)]
    editions = data.get("editions", {})
    use_chart = charts.line_chart(
        lines,
        title=web.gettext("Internet use against the targets"),
        x_format=_year,
        y_format=lambda y: fmt.number(y) + " %",
        x_ticks=ticks,
        max_gap=gaps,
        apart=hollow,
        source_names=segment_names,
        width=560,
        **chart_note(web, N_("percentage of individuals using the Internet"), editions, (INTERNET_USE,)),
    )
    offline_lines, offline_apart = drawn_apart(series, "people_offline", names, cuts)
    offline_chart = charts.line_chart(
        offline_lines,
        title=web.gettext("People offline"),
        x_format=_year,
        y_format=fmt.compact,
        x_ticks=[float(y) for y in range(2005, series[-1]["year"] + 1, 5)],
        max_gap=1.0,
        apart=offline_apart,
        source_names=segment_names,
        width=560,
        **chart_note(web, N_("people"), editions, (POPULATION, INTERNET_USE)),
    )
    return data, {
        "connectivity_charts": {"use": use_chart, "offline": offline_chart},
        "connectivity_names": _names(web),
        "connectivity_sources": {code: publisher(web, e) for code, e in editions.items() if e},
    }


def _segment_names(web: Web, cuts: list[int]) -> dict[str, str]:
    """The legend's names of the parts of a series cut at its breaks: "to 2022", "from 2023"."""
    names = {"estimated": web.gettext("estimated")}
    edges = sorted(cuts)
    for k, start in enumerate([0, *edges]):
        end = edges[k] - 1 if k < len(edges) else None
        if start == 0:
            names["since-0"] = web.gettext("to %(year)s") % {"year": end} if end is not None else ""
        elif end is None:
            names[f"since-{start}"] = web.gettext("from %(year)s") % {"year": start}
        else:
            names[f"since-{start}"] = web.gettext("%(first)s–%(last)s") % {"first": start, "last": end}
    return names


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
    over_time = world.select(
        "year",
        "population",
        "people_offline",
        "internet_use_pct",
        "observed_population_share",
        "interpolated_share",
        "carried_forward_share",
        "group_mean_share",
        "estimated",  # resting mostly on imputed values: less than half the population observed
    ).to_dicts()
    data: dict[str, Any] = {
        "year": year,
        "world": service.offline_figure(c, "WORLD", year),
        "over_time": over_time,
        "by_group": groups.select(
            "area",
            "population",
            "people_offline",
            "internet_use_pct",
            "observed_population_share",
            "estimated",
        ).to_dicts(),
        "internet_use": use.select("area", "year", "value").sort("area").to_dicts(),
        "editions": {code: c.edition_of(code) for code in (POPULATION, INTERNET_USE)},
        "estimated_from": next((r["year"] for r in over_time if r["year"] > year and r["estimated"]), None),
    }
    # Years resting mostly on imputed values are drawn apart: they carry old values forward, not news.
    names = (web.gettext("Mostly observed"), "", web.gettext("Mostly imputed (less than half the population observed)"))
    world_lines, world_apart = drawn_apart(over_time, "people_offline", names)
    offline_chart = charts.line_chart(
        world_lines,
        title=web.gettext("People offline in the world"),
        x_format=_year,
        y_format=fmt.compact,
        x_ticks=[float(y) for y in range(2005, int(over_time[-1]["year"]) + 1, 5)],
        max_gap=1.0,
        apart=world_apart,
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
        "connectivity_sources": source_names(web, data["editions"], (POPULATION, INTERNET_USE)),
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
