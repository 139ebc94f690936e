"""The connectivity section of a country or group page (and its JSON twin): Internet use over time against
the targets, people offline, coverage, affordability, the projected year, pledges per offline person, and
the edition of every figure."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from observatory.indicators import service
from observatory.indicators.catalogue import CONNECTIVITY, INTERNET_USE, POPULATION
from observatory.indicators.targets import TARGETS
from observatory.reference.areas import AGGREGATES

COVERAGE = ("IT_MOB_2GNTWK", "IT_MOB_3GNTWK", "IT_MOB_4GNTWK")
AFFORDABILITY = ("MBB_2GB_GNI", "FBB_5GB_GNI", "MBB_2GB_USD", "FBB_5GB_USD")


def _latest(c: service.Connectivity, area: str, codes: tuple[str, ...]) -> list[dict[str, Any]]:
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


def area_section(session: Session, area: str) -> dict[str, Any] | None:
    """The section's data for ``area`` (a country's alpha-3 or an aggregate code); None when population and
    Internet use are not loaded. Its headline figures (Internet use, people offline, USD pledged per person
    offline) are all for one ``year`` (:func:`service.headline_year`), marked observed or estimated; ``breaks``
    lists the restatements and jumps of a country's series (:mod:`observatory.indicators.breaks`)."""
    try:
        c = service.connectivity(session)
    except service.NoData:
        return None
    group = area in AGGREGATES
    if group:
        rows = c.offline.aggregates.filter(pl.col("area") == area).with_columns(
            imputed=pl.col("observed_population_share") < service.MEASURED_SHARE, method=pl.lit(None, pl.String)
        )
        extra: tuple[str, ...] = ("interpolated_share", "carried_forward_share", "group_mean_share")
    else:
        rows = c.offline.countries.filter(pl.col("area") == area).with_columns(
            observed_population_share=pl.when(pl.col("imputed")).then(0.0).otherwise(1.0)
        )
        extra = ()
    year, observed = service.headline_year(c, area) if rows.height else (None, False)
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
    pledges = None
    if year is not None:
        need = service.need_and_pledges(session, c, year)
        pledge_rows = need["groups" if group else "countries"].filter(pl.col("area") == area).to_dicts()
        pledges = {**pledge_rows[0], "year": need["year"]} if pledge_rows else None
    projection = c.projections.filter(pl.col("area") == area).to_dicts()
    used = {code for code in (POPULATION, INTERNET_USE, *COVERAGE, *AFFORDABILITY) if code in c.editions}
    return {
        "area": area,
        "kind": "group" if group else "country",
        # The one year of the headline figures (Internet use, people offline, USD per person offline).
        "year": year,
        "headline": {
            **headline,
            "status": "observed" if observed else "estimated",
            "usd_pledged": pledges["usd_pledged"] if pledges else None,
            "usd_per_offline_person": pledges["usd_per_offline_person"] if pledges else None,
        }
        if headline
        else None,
        "series": series,
        "breaks": c.breaks.filter(pl.col("area") == area).drop("area").to_dicts(),
        "coverage": _latest(c, area, COVERAGE),
        "affordability": _latest(c, area, AFFORDABILITY),
        "scores": c.scores.filter(pl.col("area") == area).to_dicts(),
        "targets": {
            t.code: {"framework": t.framework, "year": t.year, "text": t.text, "source": t.source} for t in TARGETS
        },
        "projection": projection[0] if projection else None,
        "pledges": pledges,
        "editions": {code: c.edition_of(code) for code in sorted(used)},
    }
