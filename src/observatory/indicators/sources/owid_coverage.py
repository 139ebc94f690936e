"""SDG 9.c.1, proportion of the population covered by a mobile network (2G, 3G, 4G), as published by Our World
in Data from the UN SDG database (ITU data): one row per entity and year, one column per technology.

Countries carry their ISO code; UN aggregates (World, LDCs, SIDS, UN regions) load as published aggregates
``UN:<name>`` (``UN:WORLD``, ``UN:LDC``, ``UN:SIDS``, ``UN:LLDC``), apart from the observatory's own.
"""

from __future__ import annotations

import re
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
from observatory.sources import SourceError

COLUMNS = {
    "_9_c_1__it_mob_2gntwk": "IT_MOB_2GNTWK",
    "_9_c_1__it_mob_3gntwk": "IT_MOB_3GNTWK",
    "_9_c_1__it_mob_4gntwk": "IT_MOB_4GNTWK",
}
NAMED_AGGREGATES = {
    "World": "UN:WORLD",
    "Least Developed Countries (LDCs)": "UN:LDC",
    "Small Island Developing States (SIDS)": "UN:SIDS",
    "Landlocked Developing Countries (LLDCs)": "UN:LLDC",
}


def _aggregate_code(entity: str) -> str:
    return NAMED_AGGREGATES.get(entity) or "UN:" + re.sub(r"[^A-Z0-9]+", "_", entity.upper()).strip("_")[:20]


class OwidMobileCoverage(IndicatorSource):
    NAME = "owid_sdg9c1"
    ORG = "Our World in Data (UN SDG database, ITU)"
    DATASET = "SDG 9.c.1 Population covered by a mobile network, by technology"
    LABEL = N_("ITU, SDG indicator 9.c.1 (UN SDG Global Database, via Our World in Data)")
    URL = "https://ourworldindata.org/grapher/population-covered-by-mobile-network-by-network-capability.csv"
    INFO_URL = "https://ourworldindata.org/grapher/population-covered-by-mobile-network-by-network-capability"
    LICENCE = "CC BY 4.0 (Our World in Data); the underlying series: UN SDG database, ITU"
    FILES = ("indicators/owid_sdg9c1_mobile_network_coverage/*.csv",)

    def parse(self, path: Path) -> IndicatorData:
        _, frame = read_table(path)
        require_columns(path, frame, ["Entity", "Code", "Year"])
        present = [c for c in COLUMNS if c in frame.columns]
        if not present:
            raise SourceError(path, f"none of the coverage columns {', '.join(COLUMNS)}", line=1)
        iso = list(reference.countries())
        code = pl.col("Code").str.strip_chars()
        # OWID gives aggregates no code, except World (OWID_WRL); any other code must be ISO.
        first_bad(
            path,
            frame,
            (code != "") & (code != "OWID_WRL") & ~code.is_in(iso),
            "not an ISO 3166-1 alpha-3 country code",
            "Code",
        )
        frame = frame.with_columns(
            area=pl.when(code.is_in(iso))
            .then(code)
            .otherwise(pl.col("Entity").map_elements(_aggregate_code, return_dtype=pl.String)),
            year=numbers(path, frame, "Year", pl.Int32),
            **{c: numbers(path, frame, c) for c in present},
        )
        first_bad(path, frame, pl.col("year").is_null(), "a row without its year", "Entity")
        long = (
            frame.unpivot(index=["area", "year", "line"], on=present, variable_name="column", value_name="value")
            .drop_nulls("value")
            .with_columns(indicator=pl.col("column").replace_strict(COLUMNS))
            .select("indicator", "area", "year", "value", "line")
        )
        first_bad(path, long, (pl.col("value") < 0) | (pl.col("value") > 100), "a share outside 0-100", "value")
        check_years(path, long)
        no_duplicates(path, long)
        missing = sorted(set(COLUMNS) - set(present))
        notes = [f"column(s) absent: {', '.join(missing)}"] if missing else []
        return IndicatorData(
            long.drop("line"), edition=f"data to {long.select(pl.col('year').max()).item()}", notes=notes
        )
