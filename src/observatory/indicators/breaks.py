"""Breaks in a country's Internet-use series: a restatement (a new survey or method) or a jump that no adoption
path explains, found between two consecutive observations of one edition.

The rule (``docs/indicators.md``, "Breaks in a series"), between observations ``v0`` in year ``y0`` and ``v1``
in year ``y1``:

* a **fall**: ``v1 < v0 − FALL_POINTS``. The share of people using the Internet barely ever falls; a fall of
  more than five points in a country's series is a new measurement (a household survey replacing ITU's
  estimates), not people going offline. Malawi 2022 → 2023 (27.7 % → 18.0 %) is one.
* a **jump**: a rise faster than ``RISE_POINTS`` points a year *and* more than ``TIMES`` times the country's
  typical yearly change (the median absolute yearly change between its consecutive observations in the
  ``TYPICAL_YEARS`` years up to the jump). Fifteen points a year is more than the COVID-19 years brought any
  large country (India +13.9 in 2020, counted as growth); the second condition keeps fast but steady adopters
  from being cut.

The series itself is never altered: a break tells the charts not to join the two sides and the projection to
fit only the part after the latest break (:mod:`observatory.indicators.projections`).
"""

from __future__ import annotations

import polars as pl

FALL_POINTS = 5.0
RISE_POINTS = 15.0
TIMES = 3.0
TYPICAL_YEARS = 10

SCHEMA = {
    "area": pl.String,
    "year": pl.Int32,
    "previous_year": pl.Int32,
    "previous_value": pl.Float64,
    "value": pl.Float64,
    "change": pl.Float64,
    "typical": pl.Float64,
    "kind": pl.String,
}


def find(internet_use: pl.DataFrame) -> pl.DataFrame:
    """The breaks in each area's observed series (``internet_use``: area, year, value in %): area, year (the
    first year after the break), previous_year, previous_value, value, change (points), typical (the typical
    yearly change, points), kind (``fall`` or ``jump``), by area and year."""
    observed = internet_use.select("area", pl.col("year").cast(pl.Int32), pl.col("value").cast(pl.Float64))
    steps = (
        observed.drop_nulls()
        .sort("area", "year")
        .with_columns(
            previous_year=pl.col("year").shift().over("area"),
            previous_value=pl.col("value").shift().over("area"),
        )
        .drop_nulls("previous_year")
        .with_columns(change=pl.col("value") - pl.col("previous_value"))
        .with_columns(per_year=pl.col("change") / (pl.col("year") - pl.col("previous_year")).cast(pl.Float64))
    )
    # The typical yearly change around each step: the median over the steps of the ten years up to it.
    typical = (
        steps.select("area", "year")
        .join(steps.select("area", other="year", size=pl.col("per_year").abs()), on="area")
        .filter((pl.col("other") <= pl.col("year")) & (pl.col("other") > pl.col("year") - TYPICAL_YEARS))
        .group_by("area", "year")
        .agg(typical=pl.col("size").median())
    )
    found = (
        steps.join(typical, on=["area", "year"], how="left")
        .with_columns(
            kind=pl.when(pl.col("change") < -FALL_POINTS)
            .then(pl.lit("fall"))
            .when((pl.col("per_year") > RISE_POINTS) & (pl.col("per_year") > TIMES * pl.col("typical")))
            .then(pl.lit("jump"))
        )
        .drop_nulls("kind")
    )
    return found.select(list(SCHEMA)).cast(SCHEMA).sort("area", "year")  # type: ignore[arg-type]


def latest(breaks: pl.DataFrame) -> dict[str, int]:
    """Area → the first year after its latest break."""
    return {r["area"]: r["year"] for r in breaks.group_by("area").agg(pl.col("year").max()).iter_rows(named=True)}
