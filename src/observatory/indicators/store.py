"""Reading the indicator store: editions, observations (latest edition by default, or a named one), the
comparison of two editions, and for other capabilities population and the members of an area (income groups
by the loaded World Bank classification).

The latest edition of an indicator is the load with the latest release date (``SourceLoad.data_date``, or the
day it was loaded when the file states none; the later load among equals). Results are polars frames.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory.indicators.catalogue import POPULATION, indicator
from observatory.indicators.models import AreaClassification, Observation
from observatory.reference import Area
from observatory.sources import SourceLoad


class EditionNotFound(LookupError):
    """No load of that edition holds the indicator."""


def editions(session: Session, indicator_code: str | None = None) -> list[dict[str, Any]]:
    """Every loaded edition holding indicator observations (newest first): load id, source, edition label,
    release date, load time, and the indicators with their row counts."""
    query = (
        select(SourceLoad, Observation.indicator, func.count())
        .join(Observation, Observation.load_id == SourceLoad.id)
        .group_by(SourceLoad.id, Observation.indicator)
    )
    if indicator_code:
        query = query.where(Observation.indicator == indicator(indicator_code).code)
    found: dict[int, dict[str, Any]] = {}
    for load, code, count in session.execute(query):
        entry = found.setdefault(
            load.id,
            {
                "load_id": load.id,
                "source": load.source,
                "dataset": load.dataset,
                "edition": load.edition,
                "data_date": load.data_date,
                "loaded_at": load.loaded_at,
                "location": load.location,
                "indicators": {},
            },
        )
        entry["indicators"][code] = int(count)
    return sorted(found.values(), key=_recency, reverse=True)


def _recency(entry: dict[str, Any]) -> tuple[dt.date, int]:
    loaded: dt.datetime = entry["loaded_at"]
    return (entry["data_date"] or loaded.date(), entry["load_id"])


def chosen_loads(session: Session, indicators: Iterable[str], edition: str | None = None) -> dict[str, dict[str, Any]]:
    """Indicator → the edition (as :func:`editions` gives it) that answers for it: the latest, or the latest
    load labelled ``edition``. An indicator with no such edition is left out."""
    wanted = {indicator(code).code for code in indicators}
    chosen: dict[str, dict[str, Any]] = {}
    for entry in editions(session):
        if edition is not None and entry["edition"] != edition:
            continue
        for code in entry["indicators"]:
            if code in wanted and code not in chosen:
                chosen[code] = entry
    return chosen


def observations(
    session: Session,
    indicator_code: str,
    areas: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    edition: str | None = None,
) -> pl.DataFrame:
    """Observations of one indicator from its latest edition (or ``edition``), with their provenance:
    indicator, area, year, value, unit, imputed, source, edition, load_id, loaded_at.

    Raises :class:`EditionNotFound` when no load (of that edition) holds the indicator."""
    code = indicator(indicator_code).code
    load = chosen_loads(session, [code], edition).get(code)
    if load is None:
        which = f"edition {edition!r}" if edition else "any edition"
        raise EditionNotFound(f"no {which} of {code} is loaded")
    query = select(Observation.area, Observation.year, Observation.value, Observation.unit, Observation.imputed).where(
        Observation.load_id == load["load_id"], Observation.indicator == code
    )
    if areas is not None:
        query = query.where(Observation.area.in_(list(areas)))
    if years is not None:
        query = query.where(Observation.year.in_(list(years)))
    rows = session.execute(query.order_by(Observation.area, Observation.year)).all()
    schema = {"area": pl.String, "year": pl.Int32, "value": pl.Float64, "unit": pl.String, "imputed": pl.Boolean}
    return (
        pl.DataFrame(rows, schema=schema, orient="row")
        .with_columns(
            indicator=pl.lit(code),
            source=pl.lit(load["source"]),
            edition=pl.lit(load["edition"]),
            load_id=pl.lit(load["load_id"]),
            loaded_at=pl.lit(load["loaded_at"]),
        )
        .select("indicator", "area", "year", "value", "unit", "imputed", "source", "edition", "load_id", "loaded_at")
    )


def compare_editions(
    session: Session, indicator_code: str, old: str, new: str, areas: Iterable[str] | None = None
) -> pl.DataFrame:
    """Two editions of one indicator side by side: area, year, old, new, change (new − old); a value only one
    edition has appears with the other missing, so restated and added figures both show."""
    listed = list(areas) if areas is not None else None
    a = observations(session, indicator_code, listed, edition=old).select("area", "year", old="value")
    b = observations(session, indicator_code, listed, edition=new).select("area", "year", new="value")
    return (
        a.join(b, on=["area", "year"], how="full", coalesce=True)
        .with_columns(change=pl.col("new") - pl.col("old"))
        .sort("area", "year")
    )


def population(session: Session, country_alpha3: str | None = None, year: int | None = None) -> pl.DataFrame:
    """Total population (World Bank SP.POP.TOTL, latest edition) as a frame of area, year, population:
    all countries and years, or one country and/or one year. Empty when population is not loaded."""
    try:
        found = observations(
            session, POPULATION, [country_alpha3] if country_alpha3 else None, [year] if year is not None else None
        )
    except EditionNotFound:
        return pl.DataFrame(schema={"area": pl.String, "year": pl.Int32, "population": pl.Float64})
    return found.select("area", "year", population="value")


def classifications(session: Session, scheme: str) -> dict[str, str]:
    """Area → class (``wb_income``: LIC/LMC/UMC/HIC, ``wb_region``) from the latest load that has it."""
    latest = session.scalar(select(func.max(AreaClassification.load_id)).where(AreaClassification.scheme == scheme))
    if latest is None:
        return {}
    rows = session.execute(
        select(AreaClassification.area, AreaClassification.value).where(
            AreaClassification.load_id == latest, AreaClassification.scheme == scheme
        )
    )
    return {area: value for area, value in rows}


def area_members(session: Session, area: Area, day: dt.date) -> list[str]:
    """The ISO alpha-3 codes of ``area``'s countries on ``day``: the reference data's membership, and for an
    income group the World Bank classification of the latest load (empty when none is loaded)."""
    if area.kind == "income_group":
        return sorted(a for a, group in classifications(session, "wb_income").items() if group == area.code)
    return area.members(day)
