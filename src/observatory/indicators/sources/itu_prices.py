"""ITU ICT Price Baskets: the monthly price of a mobile-broadband (data-only 2 GB, 5 GB) and a fixed-broadband
(5 GB) basket as % of monthly GNI per capita and in USD, per economy, as tabulated from ITU's workbook (one row
per economy, one column per basket and year).

Columns named ``…_<year>`` give that year's value; ``…_latest_official`` with ``…_latest_year`` give the latest
official value where the year columns have none. ``mbb_2gb_pct_gni_2025_exp`` (an estimate beyond ITU's
official series) and the PPP columns are not loaded.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from observatory import reference
from observatory.i18n import N_
from observatory.indicators.sources.base import (
    IndicatorData,
    IndicatorSource,
    check_years,
    first_bad,
    no_duplicates,
    numbers,
    read_table,
    require_columns,
)

YEAR_COLUMNS = {
    "mbb_2gb_pct_gni_2024": ("MBB_2GB_GNI", 2024),
    "mbb_5gb_pct_gni_2025": ("MBB_5GB_GNI", 2025),
    "fbb_5gb_pct_gni_2024": ("FBB_5GB_GNI", 2024),
    "fbb_5gb_pct_gni_2025": ("FBB_5GB_GNI", 2025),
    "mbb_2gb_usd_2024": ("MBB_2GB_USD", 2024),
    "fbb_5gb_usd_2024": ("FBB_5GB_USD", 2024),
    "fbb_5gb_usd_2025": ("FBB_5GB_USD", 2025),
}
LATEST_COLUMNS = {
    "MBB_2GB_GNI": ("mbb_2gb_pct_gni_latest_official", "mbb_2gb_latest_year"),
    "FBB_5GB_GNI": ("fbb_5gb_pct_gni_latest_official", "fbb_5gb_latest_year"),
}


class ItuPriceBaskets(IndicatorSource):
    NAME = "itu_price_baskets"
    ORG = "International Telecommunication Union"
    DATASET = "ICT Price Baskets (mobile and fixed broadband, % of monthly GNI per capita)"
    LABEL = N_("ITU, ICT Price Baskets")  # as the publisher names it, on public pages
    URL = (
        "https://raw.githubusercontent.com/Noah-TaeHwan/affording-generative-ai/main/data/raw/itu/"
        "itu_affordability_latest.csv"
    )
    INFO_URL = "https://www.itu.int/en/ITU-D/Statistics/Pages/ICTprices/default.aspx"
    LICENCE = "ITU's terms of use (cited elsewhere as CC BY-NC-SA 3.0 IGO; the copy used states none)"
    FILES = ("indicators/itu_price_baskets_via_noah-taehwan/*.csv",)
    EDITION = "2025-12-02"  # the Dec 2025 release (workbook of 2 December 2025)

    def parse(self, path: Path) -> IndicatorData:
        _, frame = read_table(path)
        require_columns(path, frame, ["iso3", *YEAR_COLUMNS, *(c for pair in LATEST_COLUMNS.values() for c in pair)])
        iso = list(reference.countries())
        first_bad(
            path, frame, ~pl.col("iso3").str.strip_chars().is_in(iso), "not an ISO 3166-1 alpha-3 country code", "iso3"
        )
        numeric = [*YEAR_COLUMNS, *(c for pair in LATEST_COLUMNS.values() for c in pair)]
        frame = frame.with_columns(
            area=pl.col("iso3").str.strip_chars(), **{c: numbers(path, frame, c) for c in numeric}
        )
        parts = [
            frame.select("area", "line", indicator=pl.lit(code), year=pl.lit(year, pl.Int32), value=column)
            for column, (code, year) in YEAR_COLUMNS.items()
        ]
        parts += [
            frame.select("area", "line", indicator=pl.lit(code), year=pl.col(year).cast(pl.Int32), value=value)
            for code, (value, year) in LATEST_COLUMNS.items()
        ]
        long = (
            pl.concat(parts)
            .drop_nulls(["value", "year"])
            .unique(["indicator", "area", "year"], keep="first", maintain_order=True)
        )
        first_bad(path, long, pl.col("value") < 0, "a negative price", "value")
        check_years(path, long)
        no_duplicates(path, long)
        long = long.select("indicator", "area", "year", "value")
        return IndicatorData(long, edition=f"data to {long.select(pl.col('year').max()).item()}")
