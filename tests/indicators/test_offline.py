"""People offline: the imputation method, group membership by date, and the system's aggregates checked
against the World Bank's published ones."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import Engine

from observatory.db import transaction
from observatory.indicators import offline, service
from observatory.indicators.store import observations
from observatory.reference.areas import WB_EQUIVALENT


def frame(rows: list[tuple[str, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"area": pl.String, "year": pl.Int32, "value": pl.Float64}, orient="row")


def test_fill_series_interpolates_and_carries_forward_three_years_at_most() -> None:
    filled = offline.fill_series(
        frame([("MWI", 2001, 10.0), ("MWI", 2004, 40.0)]), ["MWI", "ZMB"], list(range(2000, 2009))
    )
    mwi = filled.filter(pl.col("area") == "MWI").sort("year")
    assert mwi["value"].to_list() == [None, 10.0, 20.0, 30.0, 40.0, 40.0, 40.0, 40.0, None]
    assert mwi["method"].to_list() == [
        None,
        "observed",
        "interpolated",
        "interpolated",
        "observed",
        "carried_forward",
        "carried_forward",
        "carried_forward",
        None,
    ]
    assert filled.filter(pl.col("area") == "ZMB")["value"].null_count() == 9


def test_missing_values_take_the_population_weighted_mean_of_their_peers() -> None:
    years = [offline.FIRST_YEAR]
    y = years[0]
    population = frame([("MWI", y, 100.0), ("ZMB", y, 300.0), ("MOZ", y, 50.0), ("FRA", y, 60.0)])
    use = frame([("MWI", y, 10.0), ("ZMB", y, 30.0), ("FRA", y, 80.0)])
    region = {"MWI": "SSA", "ZMB": "SSA", "MOZ": "SSA", "FRA": "ECA"}
    income = {"MWI": "LIC", "ZMB": "LIC", "MOZ": "LIC", "FRA": "HIC"}
    result = offline.compute(population, use, region, income, last_year=y)
    moz = result.countries.filter(pl.col("area") == "MOZ").row(0, named=True)
    assert moz["method"] == "group_mean" and moz["imputed"]
    assert moz["internet_use_pct"] == pytest.approx((100 * 10 + 300 * 30) / 400)
    assert moz["people_offline"] == pytest.approx(50 * (1 - 25 / 100))
    world = result.aggregates.filter(pl.col("area") == "WORLD").row(0, named=True)
    assert world["population"] == 510 and world["countries"] == 4
    assert world["observed_population_share"] == pytest.approx(460 / 510)
    assert world["people_offline"] == pytest.approx(90 + 210 + 37.5 + 12)
    lic = result.aggregates.filter(pl.col("area") == "LIC").row(0, named=True)
    assert lic["population"] == 450


def test_a_graduated_ldc_leaves_the_ldc_aggregate_from_its_graduation() -> None:
    members = offline.group_membership([2022, 2023, 2024, 2025], {})
    ldc = {(r["area"], r["year"]) for r in members.filter(pl.col("aggregate") == "LDC").iter_rows(named=True)}
    # Bhutan graduated on 13 Dec 2023, Sao Tome and Principe on 13 Dec 2024 (membership on 1 July).
    assert ("BTN", 2023) in ldc and ("BTN", 2024) not in ldc
    assert ("STP", 2024) in ldc and ("STP", 2025) not in ldc
    assert ("MWI", 2025) in ldc and ("BGD", 2025) in ldc
    assert ("VUT", 2022) not in ldc  # graduated in 2020
    assert members.filter((pl.col("aggregate") == "africa") & (pl.col("area") == "MWI")).height == 4


def test_aggregates_match_the_world_banks_published_ones(loaded: Engine) -> None:
    """World and LDC population within 0.5 %: the World Bank's World also counts Taiwan, Kosovo and the
    Channel Islands (about 25 million, 0.31 %), which are not ISO economies in its files; its LDC aggregate
    applies one list to every year while ours follows graduations (at most 0.3 % since 2013).
    Internet use within 1 percentage point where at least 95 % of the population is observed: the World
    Bank (with ITU) fills gaps by its own model, which moves the aggregate by tenths of a point."""
    with transaction(loaded) as session:
        c = service.connectivity(session)
        published = {
            code: observations(session, code, list(WB_EQUIVALENT.values())).select("area", "year", "value")
            for code in ("SP.POP.TOTL", "IT.NET.USER.ZS")
        }
    ours = c.offline.aggregates.with_columns(wb=pl.col("area").replace_strict(WB_EQUIVALENT, default=None))
    pop = ours.join(published["SP.POP.TOTL"], left_on=["wb", "year"], right_on=["area", "year"])
    for area, first in (("WORLD", 2000), ("LDC", 2013)):
        rows = pop.filter((pl.col("area") == area) & (pl.col("year") >= first))
        assert rows.height >= 10
        worst = (rows["population"] / rows["value"] - 1).abs().max()
        assert isinstance(worst, float) and worst < 0.005, (area, worst)
    use = ours.join(published["IT.NET.USER.ZS"], left_on=["wb", "year"], right_on=["area", "year"]).filter(
        pl.col("area").is_in(["WORLD", "LDC"]) & (pl.col("observed_population_share") >= 0.95)
    )
    assert use.height >= 20
    worst_pp = (use["internet_use_pct"] - use["value"]).abs().max()
    assert isinstance(worst_pp, float) and worst_pp < 1.0


def test_every_country_year_is_computed_and_flagged(loaded: Engine) -> None:
    with transaction(loaded) as session:
        c = service.connectivity(session)
        figure = service.offline_figure(c, "MWI", 2023)
        world = service.offline_figure(c, "WORLD", 2022)
    countries = c.offline.countries
    assert countries["internet_use_pct"].null_count() == 0
    assert set(countries["method"]) == set(offline.METHODS)
    assert (countries["imputed"] == (countries["method"] != "observed")).all()
    assert figure["internet_use_pct"] == 18.0 and figure["method"] == "observed"
    assert figure["people_offline"] == pytest.approx(figure["population"] * 0.82)
    assert 2.8e9 < world["people_offline"] < 3.0e9 and 0.7 < world["observed_population_share"] < 0.9
    assert set(world) == {
        "area",
        "year",
        "population",
        "people_online",
        "people_offline",
        "internet_use_pct",
        "observed_population_share",
        "estimated",
        "interpolated_share",
        "carried_forward_share",
        "group_mean_share",
    }
    shares = world["observed_population_share"] + world["interpolated_share"] + world["carried_forward_share"]
    assert shares + world["group_mean_share"] == pytest.approx(1.0) and not world["estimated"]
