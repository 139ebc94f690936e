"""Targets as data, ITU's bands, and the projection of the year of 95 % Internet use."""

from __future__ import annotations

import csv

import polars as pl
import pytest

from observatory.indicators import CONNECTIVITY, projections, targets
from tests.conftest import shared_data


def test_every_target_is_measured_by_a_known_indicator_and_sourced() -> None:
    shared = list(csv.DictReader(shared_data("p2c/connectivity_targets.csv").open(encoding="utf-8")))
    listed = {row["source_url"] for row in shared}
    for t in targets.TARGETS:
        assert t.indicator in CONNECTIVITY and t.source.startswith("http")
        assert t.source in listed or t.source == targets.UMC
    # The UMC dashboard's bands as the shared file states them.
    umc = next(r for r in shared if r["value"] == "95" and "i99H" in r["target"])
    assert "Limited 0-50, Satisfactory 50-75, Advanced 75-95, Target met 95-100" in umc["notes"]


@pytest.mark.parametrize(
    ("progress", "band"),
    [
        (0.0, "limited"),
        (0.4999, "limited"),
        (0.5, "satisfactory"),
        (0.75, "advanced"),
        (0.9499, "advanced"),
        (0.95, "met"),
        (1, "met"),
    ],
)
def test_bands(progress: float, band: str) -> None:
    assert targets.band(progress) == band
    assert pl.select(targets.band_expr(pl.lit(progress))).item() == band


def test_scores_for_floors_ceilings_and_group_specific_targets() -> None:
    latest = pl.DataFrame(
        {"area": ["MWI", "FRA", "MWI", "FRA"], "indicator": ["IT.NET.USER.ZS"] * 2 + ["MBB_2GB_GNI"] * 2,
         "year": [2023, 2023, 2024, 2024], "value": [18.0, 86.8, 8.0, 0.5]}
    )  # fmt: skip
    scores = targets.score(latest, ldc={"MWI"}, developing={"MWI"})
    row = {(r["area"], r["target"]): r for r in scores.iter_rows(named=True)}
    assert row[("MWI", "bbcom_3_internet_use")]["target_value"] == 35.0  # the LDC target
    assert row[("FRA", "bbcom_3_internet_use")]["target_value"] == 75.0
    assert (
        row[("FRA", "bbcom_3_internet_use")]["band"] == "met" and row[("FRA", "bbcom_3_internet_use")]["distance"] == 0
    )
    assert row[("MWI", "umc_internet_use")]["progress"] == pytest.approx(0.18)
    assert row[("MWI", "umc_internet_use")]["distance"] == pytest.approx(82.0)
    # A price must not exceed its target: progress is target / value.
    assert row[("MWI", "bbcom_2_affordability")]["progress"] == pytest.approx(0.25)
    assert row[("MWI", "bbcom_2_affordability")]["band"] == "limited"
    assert row[("FRA", "bbcom_2_affordability")]["band"] == "met"


def test_projection_of_a_straight_and_an_s_shaped_series() -> None:
    years = list(range(2014, 2024))
    straight = [(("AAA"), y, 20.0 + 5.0 * (y - 2014)) for y in years]  # 95 % in 2029
    curve = [("BBB", y, 100 / (1 + 2.718281828 ** (-0.4 * (y - 2024)))) for y in years]
    flat = [("CCC", y, 30.0 + (0.5 if y % 2 else -0.5)) for y in years]
    done = [("DDD", y, 90.0 + 0.7 * (y - 2014)) for y in years]
    short = [("EEE", y, 10.0 + y - 2014) for y in years[-4:]]
    frame = pl.DataFrame(straight + curve + flat + done + short, schema=["area", "year", "value"], orient="row")
    result = {r["area"]: r for r in projections.project(frame).iter_rows(named=True)}
    assert result["AAA"]["method"] == "linear" and result["AAA"]["year_95"] == 2029
    assert result["AAA"]["status"] == "on_track" and result["AAA"]["before_2030"]
    assert result["BBB"]["method"] == "logistic"
    assert result["BBB"]["year_95"] == 2032 and result["BBB"]["status"] == "after_2030"  # logit(0.95)/0.4 = 7.4
    assert result["CCC"]["status"] == "not_on_course" and result["CCC"]["year_95"] is None
    assert result["DDD"]["status"] == "reached" and result["DDD"]["year_95"] == 2022
    assert "EEE" not in result  # fewer than five observations
    ranged = result["AAA"]
    assert ranged["year_95_low"] <= ranged["year_95"] <= ranged["year_95_high"]
