"""Where the trend leads: the year each country would reach 95 % Internet use at its recent pace.

For each country, the observed values of its last ten years of data (at least five observations) are fitted
two ways by least squares: a straight line in the share, and a logistic curve (a straight line in the log-odds
of the share, the S-shaped path adoption usually follows). The fit with the smaller root-mean-square error in
percentage points is kept and named. The projected year is where the fitted curve reaches 95 %; the range is
where it would with the slope at either end of its 95 % confidence interval (Student's t with n − 2 degrees of
freedom); an upper end that never reaches 95 % (slope not surely positive) is left open. A country already at
95 % or more in its latest observation has reached it (in the first year of the window at 95 % or more).

A series with a break (:mod:`observatory.indicators.breaks`: a restatement or a jump) is fitted on the part
after its latest break only (``break_year`` says from when); when that part holds fewer than five observations
the status is ``too_short_after_break`` and nothing is projected, rather than a line across the break.
"""

from __future__ import annotations

import math

import polars as pl

GOAL = 95.0
WINDOW = 10
MIN_POINTS = 5
HORIZON = 2100
CONFIDENCE = 0.95
LOGIT_GOAL = math.log(GOAL / (100 - GOAL))


def _fit(frame: pl.DataFrame, y: pl.Expr, name: str) -> pl.DataFrame:
    """Least squares of ``y`` on year per area: intercept at the mean year, slope and its standard error."""
    x = pl.col("year").cast(pl.Float64)
    stats = (
        frame.with_columns(y=y, x=x)
        .group_by("area")
        .agg(
            n=pl.len(),
            x_mean=pl.col("x").mean(),
            y_mean=pl.col("y").mean(),
            sxx=((pl.col("x") - pl.col("x").mean()) ** 2).sum(),
            sxy=((pl.col("x") - pl.col("x").mean()) * (pl.col("y") - pl.col("y").mean())).sum(),
            syy=((pl.col("y") - pl.col("y").mean()) ** 2).sum(),
        )
    )
    slope = pl.col("sxy") / pl.col("sxx")
    residual = (pl.col("syy") - slope * pl.col("sxy")).clip(lower_bound=0.0)
    return stats.with_columns(
        method=pl.lit(name),
        slope=slope,
        slope_se=(residual / (pl.col("n") - 2) / pl.col("sxx")).sqrt(),
    )


def _predicted(method: str, fit: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """Root-mean-square error of the fit on the observed points, in percentage points."""
    line = pl.col("y_mean") + pl.col("slope") * (pl.col("year") - pl.col("x_mean"))
    share = 100 / (1 + (-line).exp()) if method == "logistic" else line
    return (
        frame.join(fit, on="area")
        .group_by("area")
        .agg(rmse=((share - pl.col("value")) ** 2).mean().sqrt())
        .with_columns(method=pl.lit(method))
    )


def _student_t(degrees: pl.Series) -> pl.Series:
    """The two-sided ``CONFIDENCE`` quantile of Student's t for each number of degrees of freedom."""
    # scipy.special, not scipy.stats: the same inverse distribution function, without stats' second of import.
    from scipy.special import stdtrit  # type: ignore[import-untyped]  # scipy ships no type information

    return pl.Series(stdtrit(degrees.to_numpy().astype(float), 1 - (1 - CONFIDENCE) / 2), dtype=pl.Float64)


def project(internet_use: pl.DataFrame, breaks: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per country (``internet_use``: area, year, value of observed Internet use, %; ``breaks``: the breaks of
    :func:`observatory.indicators.breaks.find`): area, method, points, first_year, last_year, last_value,
    slope (per year, in the fit's scale), year_95, year_95_low, year_95_high (None: not within the slope's
    range, or after ``HORIZON``), status (``reached``, ``on_track`` before 2030, ``after_2030``,
    ``not_on_course``, ``too_short_after_break``), before_2030, and break_year (the first year after the latest
    break in the window, None without one)."""
    observed = internet_use.select("area", pl.col("year").cast(pl.Int32), "value").drop_nulls()
    window = observed.filter(pl.col("year") > pl.col("year").max().over("area") - WINDOW)
    window = window.filter(pl.len().over("area") >= MIN_POINTS)
    cut = _breaks_in(window, breaks)
    window = window.join(cut, on="area", how="left").filter(
        pl.col("break_year").is_null() | (pl.col("year") >= pl.col("break_year"))
    )
    short = window.filter(pl.len().over("area") < MIN_POINTS)
    window = window.filter(pl.len().over("area") >= MIN_POINTS).drop("break_year")
    share = pl.col("value").clip(0.5, 99.5) / 100
    fits = pl.concat([_fit(window, pl.col("value"), "linear"), _fit(window, (share / (1 - share)).log(), "logistic")])
    errors = pl.concat([_predicted(m, fits.filter(pl.col("method") == m), window) for m in ("linear", "logistic")])
    best = (
        fits.join(errors, on=["area", "method"])
        .sort("area", "rmse", "method")
        .group_by("area", maintain_order=True)
        .first()
    )
    goal = pl.when(pl.col("method") == "logistic").then(LOGIT_GOAL).otherwise(GOAL)
    best = best.with_columns(t=_student_t(best["n"] - 2))
    t = pl.col("t")

    def reach(slope: pl.Expr) -> pl.Expr:
        year = pl.col("x_mean") + (goal - pl.col("y_mean")) / slope
        return pl.when((slope > 0) & (year <= HORIZON)).then(year.ceil().cast(pl.Int32))

    last = (
        window.sort("year")
        .group_by("area")
        .agg(
            first_year=pl.col("year").first(),
            last_year=pl.col("year").last(),
            last_value=pl.col("value").last(),
            first_95=pl.col("year").filter(pl.col("value") >= GOAL).first(),
        )
    )
    result = best.join(last, on="area").with_columns(
        year_95=reach(pl.col("slope")),
        # The fastest plausible pace gives the earliest year, the slowest the latest.
        year_95_low=reach(pl.col("slope") + t * pl.col("slope_se")),
        year_95_high=reach(pl.col("slope") - t * pl.col("slope_se")),
    )
    reached = pl.col("last_value") >= GOAL
    result = result.with_columns(
        # A fit that crosses 95 % before the last observation (which is below it) projects the next year.
        year_95=pl.when(reached)
        .then(pl.col("first_95"))
        .when(pl.col("year_95").is_not_null())
        .then(pl.max_horizontal("year_95", pl.col("last_year") + 1)),
        status=pl.when(reached)
        .then(pl.lit("reached"))
        .when(pl.col("year_95").is_null())
        .then(pl.lit("not_on_course"))
        .when(pl.col("year_95") <= 2030)
        .then(pl.lit("on_track"))
        .otherwise(pl.lit("after_2030")),
    ).with_columns(before_2030=pl.col("status").is_in(["reached", "on_track"]))
    result = result.rename({"n": "points"}).join(cut, on="area", how="left")
    return pl.concat([result.select(*COLUMNS), _too_short(short)], how="vertical_relaxed").sort("area")


def _breaks_in(window: pl.DataFrame, breaks: pl.DataFrame | None) -> pl.DataFrame:
    """Area → break_year: the first year after the latest break inside each area's window."""
    schema = {"area": pl.String, "break_year": pl.Int32}
    if breaks is None or breaks.height == 0:
        return pl.DataFrame(schema=schema)
    first = window.group_by("area").agg(first=pl.col("year").min())
    return (
        breaks.join(first, on="area")
        .filter(pl.col("previous_year") >= pl.col("first"))
        .group_by("area")
        .agg(break_year=pl.col("year").max())
        .cast(schema)  # type: ignore[arg-type]
    )


def _too_short(short: pl.DataFrame) -> pl.DataFrame:
    """The rows of the countries whose part after a break is too short to fit: what is known, nothing projected
    (a country at 95 % or more has still reached it)."""
    rows = (
        short.sort("year")
        .group_by("area")
        .agg(
            points=pl.len().cast(pl.UInt32),
            first_year=pl.col("year").first(),
            last_year=pl.col("year").last(),
            last_value=pl.col("value").last(),
            first_95=pl.col("year").filter(pl.col("value") >= GOAL).first(),
            break_year=pl.col("break_year").first(),
        )
    )
    reached = pl.col("last_value") >= GOAL
    none_f, none_i = pl.lit(None, pl.Float64), pl.lit(None, pl.Int32)
    return rows.select(
        "area",
        method=pl.lit(None, pl.String),
        points="points",
        first_year="first_year",
        last_year="last_year",
        last_value="last_value",
        slope=none_f,
        rmse=none_f,
        year_95=pl.when(reached).then(pl.col("first_95")),
        year_95_low=none_i,
        year_95_high=none_i,
        status=pl.when(reached).then(pl.lit("reached")).otherwise(pl.lit("too_short_after_break")),
        before_2030=reached,
        break_year="break_year",
    )


COLUMNS = (
    "area",
    "method",
    "points",
    "first_year",
    "last_year",
    "last_value",
    "slope",
    "rmse",
    "year_95",
    "year_95_low",
    "year_95_high",
    "status",
    "before_2030",
    "break_year",
)
