"""The connectivity targets as data, each tied to the indicator that measures it, and the scores against them.

Targets are those of ``../shared/data/p2c/connectivity_targets.csv`` (the P2C self-reporting form: universal
and meaningful connectivity, UMC 2030, and Broadband Commission 2025 targets) that an indicator in the store
measures, plus the UMC 2030 4G coverage target of ITU's UMC dashboard. Scores follow ITU's UMC dashboard:
progress is the value as a share of the target (the target as a share of the value for a ceiling such as a
price), and its band is ``limited`` (< 50 %), ``satisfactory`` (50–75 %), ``advanced`` (75–95 %) or ``met``
(≥ 95 %).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from observatory.indicators.catalogue import INTERNET_USE

P2C_FORM = "https://itu.int/itu-d/reports/partner2connect-annual-report-2022/2022/12/02/p2c-pledges-mobilization-and-implementation-6"
BBCOM = "http://reports.broadbandcommission.org/the-state-of-broadband-2020/meeting-the-2025-targets"
UMC = "https://www.itu.int/itu-d/sites/statistics/umc/"
BANDS = ((0.95, "met"), (0.75, "advanced"), (0.5, "satisfactory"), (0.0, "limited"))


@dataclass(frozen=True, slots=True)
class Target:
    """A connectivity target, the indicator that measures it and the value to reach (or not to exceed)."""

    code: str
    framework: str  # "UMC 2030" or "Broadband Commission 2025"
    year: int
    text: str
    indicator: str
    value: float  # the target for most areas
    ceiling: bool  # True when the value must not exceed the target (a price)
    source: str
    ldc_value: float | None = None  # where the target differs for LDCs
    developing_value: float | None = None  # and for low- and middle-income countries


TARGETS: tuple[Target, ...] = (
    Target(
        "umc_internet_use",
        "UMC 2030",
        2030,
        "100% of individuals use the Internet (met at 95%)",
        INTERNET_USE,
        100.0,
        False,
        P2C_FORM,
    ),
    Target(
        "bbcom_3_internet_use",
        "Broadband Commission 2025",
        2025,
        "Broadband-Internet user penetration: 75% world, 65% developing countries, 35% LDCs",
        INTERNET_USE,
        75.0,
        False,
        P2C_FORM,
        ldc_value=35.0,
        developing_value=65.0,
    ),
    Target(
        "bbcom_2_affordability",
        "Broadband Commission 2025",
        2025,
        "Entry-level broadband costs less than 2% of monthly GNI per capita (mobile data, 2 GB)",
        "MBB_2GB_GNI",
        2.0,
        True,
        P2C_FORM,
    ),
    Target(
        "umc_affordability_fixed",
        "UMC 2030",
        2030,
        "Entry-level fixed broadband costs less than 2% of monthly GNI per capita",
        "FBB_5GB_GNI",
        2.0,
        True,
        UMC,
    ),
    Target(
        "umc_4g_coverage",
        "UMC 2030",
        2030,
        "100% of the population covered by a 4G mobile network",
        "IT_MOB_4GNTWK",
        100.0,
        False,
        UMC,
    ),
)
# Targets of the P2C form that no indicator in the store measures yet (households, businesses and schools
# connected, school bandwidth, 10 Mb/s fixed broadband, digital skills, mobile phone ownership, ...).


def band(progress: float | None) -> str | None:
    """ITU's UMC band for progress expressed as a share of the target (1.0 = target reached)."""
    if progress is None:
        return None
    return next(name for floor, name in BANDS if progress >= floor)


def band_expr(progress: pl.Expr) -> pl.Expr:
    """:func:`band` as a polars expression (null where progress is null)."""
    expr: pl.Expr = pl.lit(None, pl.String)
    for floor, name in reversed(BANDS):
        expr = pl.when(progress >= floor).then(pl.lit(name)).otherwise(expr)
    return expr


def score(latest: pl.DataFrame, ldc: set[str], developing: set[str]) -> pl.DataFrame:
    """Scores of areas against every target. ``latest`` has area, indicator, year, value (each area's latest
    value of each indicator); ``ldc`` and ``developing`` are the areas whose target is the LDC or the
    developing-country value. Answers area, target, indicator, year, value, target_value, distance (how far the
    value is from the target, in the indicator's unit, 0 once reached), progress (0–1) and band."""
    parts = []
    for t in TARGETS:
        rows = latest.filter(pl.col("indicator") == t.indicator)
        goal = pl.lit(t.value)
        if t.developing_value is not None:
            goal = pl.when(pl.col("area").is_in(list(developing))).then(pl.lit(t.developing_value)).otherwise(goal)
        if t.ldc_value is not None:
            goal = pl.when(pl.col("area").is_in(list(ldc))).then(pl.lit(t.ldc_value)).otherwise(goal)
        rows = rows.with_columns(target=pl.lit(t.code), target_value=goal)
        if t.ceiling:
            progress = pl.when(pl.col("value") <= 0).then(1.0).otherwise(pl.col("target_value") / pl.col("value"))
            distance = pl.col("value") - pl.col("target_value")
        else:
            progress = pl.col("value") / pl.col("target_value")
            distance = pl.col("target_value") - pl.col("value")
        parts.append(
            rows.with_columns(
                progress=pl.min_horizontal(progress, pl.lit(1.0)), distance=pl.max_horizontal(distance, pl.lit(0.0))
            )
        )
    if not parts:
        return pl.DataFrame()
    return (
        pl.concat(parts)
        .with_columns(band=band_expr(pl.col("progress")))
        .select("area", "target", "indicator", "year", "value", "target_value", "distance", "progress", "band")
        .sort("area", "target")
    )
