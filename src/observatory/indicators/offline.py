"""People offline: population × (1 − Internet use share), for every country and year, with the gaps in the
Internet use series filled by a documented method, and population-weighted aggregates.

Imputation of a country's Internet use share in a year without an observation, in this order:

1. ``interpolated`` — linearly between the country's observations before and after;
2. ``carried_forward`` — the last observation, at most ``CARRY_YEARS`` years after it;
3. ``group_mean`` — the population-weighted share of the countries with a value of their own (steps 0–2) in
   the same World Bank region and income group that year; failing that, the same region; then the same
   income group; then the world.

Population gaps are filled by steps 1–2 only; a country without population in a year is left out of that
year (and listed by :func:`compute`'s ``excluded``). Every filled value is flagged ``imputed``; aggregates
report the share of their population whose Internet use was observed that year.

Aggregates: ``WORLD`` (every country with population), ``LDC``/``LLDC``/``SIDS`` (membership on 1 July of the
year, the reference day of mid-year population, so a country leaves the LDCs from the year after the one in
which it graduated if it graduated in the second half-year), the ITU regions, and the World Bank income groups
(the classification of the loaded edition, applied to every year as the World Bank does for its aggregates).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from observatory import reference
from observatory.reference.areas import INCOME_GROUPS

CARRY_YEARS = 3
FIRST_YEAR = 2000
# An aggregate's year is an estimate ("mostly imputed") when less than this share of its population is observed.
MEASURED_SHARE = 0.5
METHODS = ("observed", "interpolated", "carried_forward", "group_mean")


@dataclass(frozen=True)
class Offline:
    """Per-country rows (area, year, population, internet_use_pct, method, imputed, people_online,
    people_offline) and per-aggregate rows (area, year, population, people_online, people_offline,
    internet_use_pct, observed_population_share, interpolated_share, carried_forward_share, group_mean_share,
    countries, estimated): the shares of the aggregate's population whose Internet use was known each way that
    year, and whether the year rests mostly on imputed values (less than ``MEASURED_SHARE`` observed)."""

    countries: pl.DataFrame
    aggregates: pl.DataFrame
    excluded: list[str]


def fill_series(
    observed: pl.DataFrame, areas: list[str], years: list[int], *, carry: int = CARRY_YEARS
) -> pl.DataFrame:
    """``observed`` (area, year, value) on the full grid of areas × years, gaps filled by interpolation inside
    each area's series and carrying its last value forward at most ``carry`` years: area, year, value, method
    (``observed``, ``interpolated``, ``carried_forward``, or null where still missing)."""
    grid = pl.DataFrame({"area": areas}).join(pl.DataFrame({"year": years}, schema={"year": pl.Int32}), how="cross")
    seen = observed.select("area", pl.col("year").cast(pl.Int32), "value").filter(pl.col("area").is_in(areas))
    frame = (
        grid.join(seen, on=["area", "year"], how="full", coalesce=True)
        .sort("area", "year")
        .with_columns(
            obs_year=pl.when(pl.col("value").is_not_null()).then(pl.col("year")),
        )
        .with_columns(
            prev_year=pl.col("obs_year").forward_fill().over("area"),
            prev_value=pl.col("value").forward_fill().over("area"),
            next_year=pl.col("obs_year").backward_fill().over("area"),
            next_value=pl.col("value").backward_fill().over("area"),
        )
    )
    inside = pl.col("prev_year").is_not_null() & pl.col("next_year").is_not_null()
    span = (pl.col("next_year") - pl.col("prev_year")).cast(pl.Float64)
    interpolated = pl.col("prev_value") + (pl.col("next_value") - pl.col("prev_value")) * (
        (pl.col("year") - pl.col("prev_year")).cast(pl.Float64) / span
    )
    carried = (
        pl.col("prev_year").is_not_null()
        & pl.col("next_year").is_null()
        & (pl.col("year") - pl.col("prev_year") <= carry)
    )
    return (
        frame.with_columns(
            method=pl.when(pl.col("value").is_not_null())
            .then(pl.lit("observed"))
            .when(inside)
            .then(pl.lit("interpolated"))
            .when(carried)
            .then(pl.lit("carried_forward")),
            value=pl.when(pl.col("value").is_not_null())
            .then(pl.col("value"))
            .when(inside)
            .then(interpolated)
            .when(carried)
            .then(pl.col("prev_value")),
        )
        .filter(pl.col("year").is_in(years))
        .select("area", "year", "value", "method")
    )


def group_membership(years: list[int], income: dict[str, str]) -> pl.DataFrame:
    """(aggregate, area, year) for every aggregate the observatory computes, by the rules in the module doc."""
    countries = reference.countries()
    year_frame = pl.DataFrame({"year": years}, schema={"year": pl.Int32})
    static = pl.DataFrame(
        [("WORLD", c) for c in countries]
        + [(c.itu_region, c.alpha3) for c in countries.values() if c.itu_region]
        + [(group, area) for area, group in income.items() if group in INCOME_GROUPS],
        schema={"aggregate": pl.String, "area": pl.String},
        orient="row",
    ).join(year_frame, how="cross")
    intervals = pl.DataFrame(
        [(m.group, m.alpha3, m.since, m.until) for m in reference.memberships()],
        schema={"aggregate": pl.String, "area": pl.String, "since": pl.Date, "until": pl.Date},
        orient="row",
    )
    mid_year = pl.date(pl.col("year"), 7, 1)
    dated = (
        intervals.join(year_frame, how="cross")
        .filter(
            (pl.col("since").is_null() | (pl.col("since") <= mid_year))
            & (pl.col("until").is_null() | (mid_year < pl.col("until")))
        )
        .select("aggregate", "area", "year")
    )
    return pl.concat([static, dated]).unique()


def compute(
    population: pl.DataFrame,
    internet_use: pl.DataFrame,
    region: dict[str, str],
    income: dict[str, str],
    last_year: int | None = None,
) -> Offline:
    """People offline for every country and year from ``FIRST_YEAR`` to ``last_year`` (default: the last year
    with population), and the aggregates. ``population`` and ``internet_use`` are (area, year, value) frames of
    countries (rows of other areas are ignored); ``region`` and ``income`` map countries to their World Bank
    region and income group."""
    iso = set(reference.countries())
    population = population.filter(pl.col("area").is_in(iso))
    internet_use = internet_use.filter(pl.col("area").is_in(iso))
    end = last_year if last_year is not None else int(population["year"].max() or FIRST_YEAR)  # type: ignore[arg-type]
    years = list(range(FIRST_YEAR, end + 1))
    areas = sorted(set(population["area"].unique()))
    pop = fill_series(population, areas, years).drop_nulls("value").select("area", "year", population="value")
    use = fill_series(internet_use, areas, years).rename({"value": "share"})
    frame = pop.join(use, on=["area", "year"], how="left").with_columns(
        region=pl.col("area").replace_strict(region, default=None, return_dtype=pl.String),
        income=pl.col("area").replace_strict(income, default=None, return_dtype=pl.String),
    )
    # Group means from the countries with a value of their own, most specific peer group first.
    own = frame.filter(pl.col("share").is_not_null())
    fallback = pl.lit(None, pl.Float64)
    for keys in (["region", "income"], ["region"], ["income"], []):
        means = own.filter(pl.all_horizontal([pl.col(k).is_not_null() for k in keys]) if keys else pl.lit(True))
        means = (
            means.group_by(["year", *keys])
            .agg((pl.col("share") * pl.col("population")).sum() / pl.col("population").sum())
            .rename({"share": "mean_" + "_".join(keys or ["world"])})
        )
        frame = frame.join(means, on=["year", *keys], how="left")
        fallback = pl.coalesce(fallback, pl.col("mean_" + "_".join(keys or ["world"])))
    frame = frame.with_columns(
        method=pl.when(pl.col("share").is_null()).then(pl.lit("group_mean")).otherwise(pl.col("method")),
        internet_use_pct=pl.coalesce(pl.col("share"), fallback),
    ).with_columns(imputed=pl.col("method") != "observed")
    countries = frame.select(
        "area",
        "year",
        "population",
        "internet_use_pct",
        "method",
        "imputed",
        people_online=pl.col("population") * pl.col("internet_use_pct") / 100,
        people_offline=pl.col("population") * (1 - pl.col("internet_use_pct") / 100),
    ).sort("area", "year")
    members = group_membership(years, income)
    aggregates = (
        members.join(countries, on=["area", "year"], how="inner")
        .group_by("aggregate", "year")
        .agg(
            population=pl.col("population").sum(),
            people_online=pl.col("people_online").sum(),
            people_offline=pl.col("people_offline").sum(),
            observed_population=pl.col("population").filter(pl.col("method") == "observed").sum(),
            **{
                f"{method}_population": pl.col("population").filter(pl.col("method") == method).sum()
                for method in METHODS[1:]
            },
            countries=pl.len(),
        )
        .select(
            area="aggregate",
            year="year",
            population="population",
            people_online="people_online",
            people_offline="people_offline",
            internet_use_pct=100 * pl.col("people_online") / pl.col("population"),
            observed_population_share=pl.col("observed_population") / pl.col("population"),
            **{f"{m}_share": pl.col(f"{m}_population") / pl.col("population") for m in METHODS[1:]},
            countries="countries",
        )
        .with_columns(estimated=pl.col("observed_population_share") < MEASURED_SHARE)
        .sort("area", "year")
    )
    return Offline(countries, aggregates, sorted(iso - set(areas)))
