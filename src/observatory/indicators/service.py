"""The connectivity picture computed from the store: people offline (countries and aggregates), the latest
value of every indicator per area, scores against the targets, projections, and need against pledges.

:func:`connectivity` computes it all in one pass (well under a second) and keeps the result per database and
set of editions, so pages and the API reuse it until another edition is loaded.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from observatory import pledges, reference
from observatory.indicators import breaks, offline, projections, targets
from observatory.indicators.catalogue import CONNECTIVITY, INTERNET_USE, POPULATION
from observatory.indicators.store import chosen_loads, classifications, observations
from observatory.indicators.targets import TARGETS
from observatory.reference import UnknownArea, resolve_area
from observatory.reference.areas import AGGREGATES
from observatory.sources import Registry, Source, find_source, registry

# A year's aggregate counts as measured when at least this share of its population has an observed value.
MEASURED_SHARE = offline.MEASURED_SHARE
SCORED = sorted(
    {t.indicator for t in targets.TARGETS}
    | {"IT_MOB_2GNTWK", "IT_MOB_3GNTWK", "IT.NET.BBND.P2", "IT.CEL.SETS.P2", "FBB_5GB_USD", "MBB_2GB_USD"}
)


COVERAGE = ("IT_MOB_2GNTWK", "IT_MOB_3GNTWK", "IT_MOB_4GNTWK")
AFFORDABILITY = ("MBB_2GB_GNI", "FBB_5GB_GNI", "MBB_2GB_USD", "FBB_5GB_USD")

log = logging.getLogger(__name__)


class NoData(LookupError):
    """The figures asked for cannot be computed: population or Internet use is not loaded, or no such year."""


def sources() -> Registry:
    """The indicator sources of the registry, by ``NAME`` (:func:`observatory.sources.registry`)."""
    return registry("observatory.indicators.sources")


def source(name: str) -> type[Source[Any]]:
    """The indicator source named ``name``; :class:`KeyError` naming the sources otherwise."""
    return find_source(sources(), name)


def area(value: str) -> str:
    """The store's code for an area a person typed (:func:`observatory.reference.resolve_area`: ISO alpha-3
    or alpha-2, an aggregate such as ``WORLD``, ``LDC``, ``africa``, ``LIC``, or a published aggregate such as
    ``WB:WLD``). :class:`~observatory.reference.UnknownArea` for anything else, the registry codes of RIR
    files (``ZZ``, ``EU``, ``AP``) included: no indicator is published for them."""
    found = resolve_area(value)
    if found.kind == "registry":
        raise UnknownArea(
            f"{value.strip()!r} is a registry code, not a country nor an aggregate ({', '.join(AGGREGATES)})"
        )
    return found.code


def of_areas(frame: pl.DataFrame, codes: list[str] | None) -> pl.DataFrame:
    """The rows of ``frame`` (with an ``area`` column) of the areas ``codes`` (store codes, :func:`area`), or
    every row when ``codes`` is None or empty."""
    return frame.filter(pl.col("area").is_in(codes)) if codes else frame


@dataclass(frozen=True)
class Connectivity:
    """The connectivity picture of one set of editions: people offline, the latest value of each indicator per
    area, scores, projections, the editions used and the groups' members."""

    offline: offline.Offline
    latest: pl.DataFrame  # area, indicator, year, value, computed (True for the observatory's aggregates)
    scores: pl.DataFrame
    projections: pl.DataFrame
    editions: dict[str, dict[str, Any]]  # indicator -> the edition used
    income: dict[str, str]
    members: pl.DataFrame  # aggregate, area, year
    series: dict[str, pl.DataFrame] = field(default_factory=dict)  # indicator -> area, year, value (countries)
    breaks: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=breaks.SCHEMA))  # breaks.find

    def edition_of(self, code: str) -> dict[str, Any] | None:
        """Source, edition label, release date and load time of the edition an indicator was read from."""
        entry = self.editions.get(code)
        if entry is None:
            return None
        return {k: entry[k] for k in ("load_id", "source", "dataset", "edition", "data_date", "loaded_at")}


_cache: dict[tuple[Any, ...], Connectivity] = {}
_lock = threading.Lock()


def connectivity(session: Session, edition: str | None = None) -> Connectivity:
    """Everything computed from the latest editions (or the loads labelled ``edition`` where they exist).

    Raises :class:`NoData` when population or Internet use is not loaded."""
    loads = chosen_loads(session, CONNECTIVITY, None)
    if edition is not None:
        loads.update(chosen_loads(session, CONNECTIVITY, edition))
    if POPULATION not in loads or INTERNET_USE not in loads:
        raise NoData("population (SP.POP.TOTL) and Internet use (IT.NET.USER.ZS) must be loaded first")
    key = (str(session.get_bind().engine.url), tuple(sorted((k, v["load_id"]) for k, v in loads.items())))
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    series = {
        code: observations(session, code, edition=entry["edition"])
        .filter(pl.col("load_id") == entry["load_id"])
        .select("area", "year", "value")
        for code, entry in loads.items()
    }
    start = time.perf_counter()
    result = compute(series, classifications(session, "wb_region"), classifications(session, "wb_income"), loads)
    log.info("connectivity figures computed from %d editions in %.2f s", len(loads), time.perf_counter() - start)
    with _lock:
        if len(_cache) > 8:
            _cache.clear()
        _cache[key] = result
    return result


def compute(
    series: dict[str, pl.DataFrame], region: dict[str, str], income: dict[str, str], editions: dict[str, Any]
) -> Connectivity:
    """The whole picture from the indicator series (indicator → area, year, value)."""
    off = offline.compute(series[POPULATION], series[INTERNET_USE], region, income)
    years = sorted(off.countries["year"].unique().to_list())
    members = offline.group_membership(years, income)
    iso = list(reference.countries())
    country_latest = pl.concat(
        [
            frame.filter(pl.col("area").is_in(iso))
            .sort("year")
            .group_by("area")
            .last()
            .with_columns(indicator=pl.lit(code))
            for code, frame in series.items()
            if code in SCORED
        ]
    ).select("area", "indicator", pl.col("year").cast(pl.Int32), "value", computed=pl.lit(False))
    group_latest = [
        _group_latest(code, series[code], off.countries, members)
        for code in SCORED
        if code in series and code != INTERNET_USE
    ]
    measured = off.aggregates.filter(pl.col("observed_population_share") >= MEASURED_SHARE)
    use_latest = (
        measured.sort("year")
        .group_by("area")
        .last()
        .select("area", indicator=pl.lit(INTERNET_USE), year="year", value="internet_use_pct", computed=pl.lit(True))
    )
    latest = pl.concat([country_latest, *group_latest, use_latest])
    ldc = set(reference.group_members("LDC", dt.date.today())) | {"LDC"}
    developing = {a for a, g in income.items() if g in ("LIC", "LMC", "UMC")} | {"LIC", "LMC", "UMC"}
    scores = targets.score(latest, ldc, developing)
    observed_use = series[INTERNET_USE].filter(pl.col("area").is_in(iso))
    found = breaks.find(observed_use)
    projected = projections.project(observed_use, found)
    return Connectivity(off, latest, scores, projected, editions, income, members, series, found)


def _group_latest(code: str, values: pl.DataFrame, countries: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """The population-weighted value of an indicator per aggregate, in the latest year when countries holding
    at least ``MEASURED_SHARE`` of the aggregate's population report it."""
    weighted = (
        members.join(countries.select("area", "year", "population"), on=["area", "year"])
        .join(values.select("area", pl.col("year").cast(pl.Int32), "value"), on=["area", "year"], how="left")
        .group_by("aggregate", "year")
        .agg(
            value=(pl.col("value") * pl.col("population")).sum()
            / pl.col("population").filter(pl.col("value").is_not_null()).sum(),
            share=pl.col("population").filter(pl.col("value").is_not_null()).sum() / pl.col("population").sum(),
        )
        .filter(pl.col("share") >= MEASURED_SHARE)
    )
    return (
        weighted.sort("year")
        .group_by("aggregate")
        .last()
        .select(area="aggregate", indicator=pl.lit(code), year="year", value="value", computed=pl.lit(True))
    )


def offline_figure(c: Connectivity, area: str, year: int) -> dict[str, Any]:
    """People offline in one area and year: area, year, population, people_online, people_offline,
    internet_use_pct, observed_population_share (1 or 0 for a country: observed or imputed), estimated (the
    figure rests mostly on imputed values: less than ``MEASURED_SHARE`` of the population observed), for a
    country the imputation method and for an aggregate the shares of its population interpolated, carried
    forward and given a group mean."""
    if area in AGGREGATES:
        rows = c.offline.aggregates.filter((pl.col("area") == area) & (pl.col("year") == year))
    else:
        rows = c.offline.countries.filter((pl.col("area") == area) & (pl.col("year") == year)).with_columns(
            observed_population_share=pl.when(pl.col("imputed")).then(0.0).otherwise(1.0)
        )
    if rows.height == 0:
        raise NoData(f"no people-offline figure for {area} in {year}")
    row = rows.row(0, named=True)
    figure = {
        k: row[k]
        for k in (
            "area",
            "year",
            "population",
            "people_online",
            "people_offline",
            "internet_use_pct",
            "observed_population_share",
        )
    }
    if "method" in row:
        figure["method"] = row["method"]
    else:
        figure.update({k: row[k] for k in ("interpolated_share", "carried_forward_share", "group_mean_share")})
    figure["estimated"] = bool(row["observed_population_share"] < MEASURED_SHARE)
    return figure


def measured_year(c: Connectivity, area: str = "WORLD") -> int:
    """The latest year in which an aggregate's Internet use (the world's by default) is observed for at least
    ``MEASURED_SHARE`` of its population: the year of its headline figures, and for the world the default year
    of rankings and comparisons."""
    rows = c.offline.aggregates.filter(
        (pl.col("area") == area) & (pl.col("observed_population_share") >= MEASURED_SHARE)
    )
    if rows.height == 0:
        raise NoData(f"no year with measured Internet use for {area}")
    return int(rows["year"].max())  # type: ignore[arg-type]


def headline_year(c: Connectivity, area: str) -> tuple[int, bool]:
    """The one year of an area's headline figures and whether they are observed: for a country its latest
    observed year, for an aggregate the latest year with at least ``MEASURED_SHARE`` of its population observed
    (:func:`measured_year`); failing that, the latest year with a figure, marked estimated (False).

    Raises :class:`NoData` when the area has no figure at all."""
    if area in AGGREGATES:
        rows = c.offline.aggregates.filter(pl.col("area") == area)
        observed = rows.filter(pl.col("observed_population_share") >= MEASURED_SHARE)
    else:
        rows = c.offline.countries.filter(pl.col("area") == area)
        observed = rows.filter(~pl.col("imputed"))
    if rows.height == 0:
        raise NoData(f"no people-offline figure for {area}")
    if observed.height:
        return int(observed["year"].max()), True  # type: ignore[arg-type]
    return int(rows["year"].max()), False  # type: ignore[arg-type]


@dataclass(frozen=True)
class NeedInputs:
    """What :func:`need_and_pledges` reads of the connectivity picture for one year: the countries' people
    offline that year, the groups' members that year and the groups' figures that year. Small (a few hundred
    rows), so it is kept with an area's figures and the pledges are set against it at each request."""

    year: int
    countries: pl.DataFrame  # area, year, people_offline, internet_use_pct, imputed
    members: pl.DataFrame  # aggregate, area, year
    aggregates: pl.DataFrame  # area, year, people_offline, observed_population_share


def need_inputs(c: Connectivity, year: int | None = None) -> NeedInputs:
    """The part of ``c`` that :func:`need_and_pledges` reads for ``year`` (default :func:`measured_year`)."""
    year = year if year is not None else measured_year(c)
    return NeedInputs(
        year,
        c.offline.countries.filter(pl.col("year") == year).select(
            "area", "year", "people_offline", "internet_use_pct", "imputed"
        ),
        c.members.filter(pl.col("year") == year),
        c.offline.aggregates.filter(pl.col("year") == year).select(
            "area", "year", "people_offline", "observed_population_share"
        ),
    )


def need_and_pledges(
    session: Session, c: Connectivity, year: int | None = None, selection: pledges.PledgeFilter | None = None
) -> dict[str, Any]:
    """People offline against USD pledged, per country and per group, in ``year`` (default
    :func:`measured_year`), by the registry's counting rules (published pledges; a pledge's value split equally
    over its target countries). Countries are ranked most underserved first: by their share of the world's
    offline people minus their share of the USD pledged to countries. ``left_out`` says what these figures
    leave out: global pledges (no target country) and the USD pledged to countries without data that year.
    ``selection`` narrows the pledges counted (the annual report's: those announced by the end of its year)."""
    return need_against_pledges(session, need_inputs(c, year), selection)


def need_against_pledges(
    session: Session, need: NeedInputs, selection: pledges.PledgeFilter | None = None
) -> dict[str, Any]:
    """:func:`need_and_pledges` from the part of the connectivity picture it reads (:func:`need_inputs`)."""
    year = need.year
    by_country = pledges.summary(session, "country", selection or pledges.PledgeFilter())["groups"]
    pledged = {g["key"]: g for g in by_country if g["key"] != "global"}
    everywhere = next((g for g in by_country if g["key"] == "global"), {"pledges": 0, "value_usd_attributed": 0.0})
    usd = pl.DataFrame(
        [(k, float(g["value_usd_attributed"]), int(g["pledges"])) for k, g in pledged.items()],
        schema={"area": pl.String, "usd_pledged": pl.Float64, "pledges": pl.Int64},
        orient="row",
    )
    countries = need.countries.join(usd, on="area", how="left").with_columns(
        pl.col("usd_pledged").fill_null(0.0), pl.col("pledges").fill_null(0)
    )
    total_offline = float(countries["people_offline"].sum())
    total_usd = float(countries["usd_pledged"].sum())
    measured = set(countries["area"].to_list())
    unmeasured = [g for k, g in pledged.items() if k not in measured and g["value_usd_attributed"]]
    left_out = {
        "global_pledges": int(everywhere["pledges"]),
        "global_usd": float(everywhere["value_usd_attributed"]),
        "unmeasured_countries": len(unmeasured),
        "unmeasured_usd": round(sum(g["value_usd_attributed"] for g in unmeasured), 2),
    }
    countries = (
        countries.with_columns(
            usd_per_offline_person=pl.when(pl.col("people_offline") > 0).then(
                pl.col("usd_pledged") / pl.col("people_offline")
            ),
            offline_share=pl.col("people_offline") / total_offline,
            pledged_share=(pl.col("usd_pledged") / total_usd) if total_usd else pl.lit(0.0),
        )
        .with_columns(underserved_gap=pl.col("offline_share") - pl.col("pledged_share"))
        .sort("underserved_gap", descending=True)
        .with_row_index("rank", offset=1)
        .select(
            "rank",
            "area",
            "year",
            "people_offline",
            "internet_use_pct",
            "imputed",
            "usd_pledged",
            "pledges",
            "usd_per_offline_person",
            "offline_share",
            "pledged_share",
            "underserved_gap",
        )
    )
    groups = (
        need.members.join(countries.select("area", "usd_pledged"), on="area")
        .group_by("aggregate")
        .agg(usd_pledged=pl.col("usd_pledged").sum())
        .rename({"aggregate": "area"})
        .join(need.aggregates, on="area")
        .with_columns(usd_per_offline_person=pl.col("usd_pledged") / pl.col("people_offline"))
        .select("area", "year", "people_offline", "observed_population_share", "usd_pledged", "usd_per_offline_person")
    )
    order = {a: i for i, a in enumerate(AGGREGATES)}
    groups = groups.sort(pl.col("area").replace_strict(order, default=len(order), return_dtype=pl.Int32))
    return {
        "year": year,
        "total_usd_pledged_to_countries": total_usd,
        "left_out": left_out,
        "countries": countries,
        "groups": groups,
    }


# ------------------------------------------------------------------ an area's section of the country and group pages


def _latest_of(c: Connectivity, area: str, codes: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = c.latest.filter((pl.col("area") == area) & pl.col("indicator").is_in(codes))
    found = {r["indicator"]: r for r in rows.iter_rows(named=True)}
    return [
        {
            "indicator": code,
            "name": CONNECTIVITY[code].name,
            "unit": CONNECTIVITY[code].unit,
            "year": found[code]["year"],
            "value": found[code]["value"],
            "computed": found[code]["computed"],
        }
        for code in codes
        if code in found
    ]


def area_figures(c: Connectivity, area: str) -> dict[str, Any]:
    """The connectivity figures of ``area`` (a country's alpha-3 or an aggregate code) that rest on the loaded
    data alone: the section of :func:`observatory.indicators.report.area_section` without what is pledged
    (:func:`area_pledges` adds it), and ``need``, the part of ``c`` the pledges are set against for the
    headline ``year`` (:func:`need_inputs`; None without a year)."""
    group = area in AGGREGATES
    if group:
        rows = c.offline.aggregates.filter(pl.col("area") == area).with_columns(
            imputed=pl.col("observed_population_share") < MEASURED_SHARE, method=pl.lit(None, pl.String)
        )
        extra: tuple[str, ...] = ("interpolated_share", "carried_forward_share", "group_mean_share")
    else:
        rows = c.offline.countries.filter(pl.col("area") == area).with_columns(
            observed_population_share=pl.when(pl.col("imputed")).then(0.0).otherwise(1.0)
        )
        extra = ()
    year, observed = headline_year(c, area) if rows.height else (None, False)
    series = rows.select(
        "year",
        "population",
        "internet_use_pct",
        "people_offline",
        "imputed",
        "method",
        "observed_population_share",
        *extra,
        # Estimated: a country's imputed value; an aggregate resting mostly (over half its population) on them.
        estimated=pl.col("imputed"),
    ).to_dicts()
    headline = next((r for r in series if r["year"] == year), None)
    projection = c.projections.filter(pl.col("area") == area).to_dicts()
    used = {code for code in (POPULATION, INTERNET_USE, *COVERAGE, *AFFORDABILITY) if code in c.editions}
    return {
        "area": area,
        "kind": "group" if group else "country",
        # The one year of the headline figures (Internet use, people offline, USD per person offline).
        "year": year,
        "headline": {**headline, "status": "observed" if observed else "estimated"} if headline else None,
        "series": series,
        "breaks": c.breaks.filter(pl.col("area") == area).drop("area").to_dicts(),
        "coverage": _latest_of(c, area, COVERAGE),
        "affordability": _latest_of(c, area, AFFORDABILITY),
        "scores": c.scores.filter(pl.col("area") == area).to_dicts(),
        "targets": {
            t.code: {"framework": t.framework, "year": t.year, "text": t.text, "source": t.source} for t in TARGETS
        },
        "projection": projection[0] if projection else None,
        "editions": {code: c.edition_of(code) for code in sorted(used)},
        "need": need_inputs(c, year) if year is not None else None,
    }


def area_pledges(session: Session, figures: dict[str, Any]) -> dict[str, Any]:
    """The connectivity section of an area from its :func:`area_figures`: what is pledged for it set against
    its people offline in the headline year (the registry's pledges as they are now), in the section's order."""
    need: NeedInputs | None = figures["need"]
    pledged = None
    if need is not None:
        result = need_against_pledges(session, need)
        rows = result["groups" if figures["kind"] == "group" else "countries"]
        found = rows.filter(pl.col("area") == figures["area"]).to_dicts()
        pledged = {**found[0], "year": result["year"]} if found else None
    headline = figures["headline"]
    return {
        **{k: figures[k] for k in ("area", "kind", "year")},
        "headline": {
            **headline,
            "usd_pledged": pledged["usd_pledged"] if pledged else None,
            "usd_per_offline_person": pledged["usd_per_offline_person"] if pledged else None,
        }
        if headline
        else None,
        **{k: figures[k] for k in ("series", "breaks", "coverage", "affordability", "scores", "targets", "projection")},
        "pledges": pledged,
        "editions": figures["editions"],
    }
