"""World Bank WDI indicator in the World Bank API's wide CSV layout (``API_<code>_DS2_en_csv_v2_….csv``: one
row per economy, one column per year), with its country metadata file (region and income group).

The API serves a ZIP holding both files; a local CSV is read with the ``Metadata_Country_…`` file beside it.
An archive whose members add up to more than the input limit (``TABLE_LIMIT_MB``) is refused before anything
is extracted.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import polars as pl

from observatory.i18n import N_
from observatory.indicators.sources.base import (
    IndicatorData,
    IndicatorSource,
    check_years,
    known_indicator,
    no_duplicates,
    numbers,
    read_table,
    require_columns,
    world_bank_areas,
)
from observatory.reference.areas import INCOME_GROUPS
from observatory.sources import MIB, TABLE_LIMIT_MB, SourceError, input_limit

INCOME_CODES = {name: code for code, name in INCOME_GROUPS.items()}


class WorldBankApiCsv(IndicatorSource):
    NAME = "worldbank_api"
    ORG = "World Bank"
    DATASET = "World Development Indicators (API CSV download)"
    LABEL = N_("World Bank, World Development Indicators")  # as the publisher names it, on public pages
    URL = "https://api.worldbank.org/v2/en/indicator/IT.NET.USER.ZS?downloadformat=csv"
    INFO_URL = "https://data.worldbank.org/indicator/IT.NET.USER.ZS"
    LICENCE = "CC BY 4.0 (World Bank terms of use for datasets)"
    FEEDS = "the World Bank region and income group of every economy (the income groups' members)"
    FILES = ("indicators/worldbank_it.net.user.zs_2024-11/API_*.csv",)
    EDITION = "2024-11"

    def parse(self, path: Path) -> IndicatorData:
        data_path, metadata_path = _files(path)
        preamble, frame = read_table(data_path, header_first_cell="Country Name")
        require_columns(data_path, frame, ["Country Name", "Country Code", "Indicator Code"])
        codes = frame["Indicator Code"].unique().to_list()
        for code in codes:
            known_indicator(data_path, code, int(frame.filter(pl.col("Indicator Code") == code)["line"][0]))
        years = [c for c in frame.columns if c.strip().isdigit()]
        if not years:
            raise SourceError(data_path, "no year columns in the header", line=len(preamble) + 1)
        frame = frame.with_columns(**{y: numbers(data_path, frame, y) for y in years})
        frame, skipped = world_bank_areas(data_path, frame, "Country Code")
        long = (
            frame.unpivot(index=["area", "Indicator Code", "line"], on=years, variable_name="year", value_name="value")
            .drop_nulls("value")
            .select(
                indicator=pl.col("Indicator Code").str.strip_chars().str.to_uppercase(),
                area="area",
                year=pl.col("year").str.strip_chars().cast(pl.Int32),
                value="value",
                line="line",
            )
        )
        check_years(data_path, long)
        no_duplicates(data_path, long)
        updated = next((r[1] for r in preamble if len(r) > 1 and r[0] == "Last Updated Date"), "")
        data_date = dt.date.fromisoformat(updated) if updated else None
        classes = _classes(metadata_path) if metadata_path else None
        notes = (
            [] if metadata_path else [f"no Metadata_Country file beside {data_path.name}: no region or income group"]
        )
        return IndicatorData(long.drop("line"), classes, updated, data_date, skipped, notes)


def _files(path: Path) -> tuple[Path, Path | None]:
    """The data CSV and its country metadata CSV, from a ZIP (as the API serves it) or a CSV."""
    if zipfile.is_zipfile(path):
        target = path.parent / (path.name + ".files")
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                data = [n for n in names if Path(n).name.startswith("API_") and n.endswith(".csv")]
                if not data:
                    raise SourceError(path, f"no API_….csv in the archive (it holds {', '.join(names)})")
                # A member is never read past the size it declares, so the declared sizes bound what is written.
                size, limit = sum(i.file_size for i in archive.infolist()), input_limit(TABLE_LIMIT_MB)
                if size > limit:
                    raise SourceError(
                        path,
                        f"decompresses to more than {limit // MIB} MiB ({size // MIB} MiB); the limit for this "
                        f"source is {limit // MIB} MiB (OBSERVATORY_MAX_INPUT_MB sets another)",
                    )
                archive.extractall(target)
        except (zipfile.BadZipFile, EOFError) as e:
            raise SourceError(path, f"truncated or corrupt ZIP: {e}") from e
        data_path = target / data[0]
    else:
        data_path = path
    metadata = data_path.with_name("Metadata_Country_" + data_path.name)
    return data_path, metadata if metadata.is_file() else None


def _classes(path: Path) -> pl.DataFrame:
    """Region and income group of each ISO economy (aggregates have neither)."""
    _, frame = read_table(path)
    require_columns(path, frame, ["Country Code", "Region", "IncomeGroup"])
    frame, _ = world_bank_areas(path, frame, "Country Code")
    frame = frame.filter(~pl.col("area").str.starts_with("WB:"))
    unknown = ~pl.col("IncomeGroup").is_in([*INCOME_CODES, ""])
    bad = frame.filter(unknown).head(1)
    if bad.height:
        raise SourceError(path, f"unknown income group {bad['IncomeGroup'][0]!r}", line=int(bad["line"][0]))
    region = frame.filter(pl.col("Region") != "").select("area", scheme=pl.lit("wb_region"), value="Region")
    income = frame.filter(pl.col("IncomeGroup") != "").select(
        "area", scheme=pl.lit("wb_income"), value=pl.col("IncomeGroup").replace_strict(INCOME_CODES)
    )
    return pl.concat([region, income])
