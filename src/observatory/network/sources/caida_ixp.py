"""CAIDA IXP dataset: ``ixs_YYYYMM.jsonl`` (IXPs with their peering LAN prefixes) and
``facilities_YYYYMM.jsonl`` (colocation facilities), one quarterly release per file since 2018.

The release month in the file name is the snapshot date (the first of that month). ``#`` lines are
CAIDA's build metadata; ``ixs_201802.jsonl`` holds pretty-printed objects, read all the same
(:func:`observatory.network.common.json_records`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy.orm import Session

from observatory.i18n import N_
from observatory.network.common import TableSource, check_prefixes, header_date, json_records, stem, with_country
from observatory.network.compute import refresh_facilities
from observatory.network.ixp import IXP_COLUMNS, SAME_IXP_IDS, IxpSnapshot, IxpSource
from observatory.network.models import Facility
from observatory.sources import SourceError, SourceLoad

CAIDA_ORG = "CAIDA (UC San Diego)"
CAIDA_LICENCE = "CAIDA Acceptable Use Agreement (research and education use, with attribution)"
INFO = "https://www.caida.org/catalog/datasets/ixps/"
FOLDER = "network/caida-ixps"
IXP_FIELDS = {
    "ix_id": pl.String,
    "pdb_id": pl.String,
    "pch_id": pl.String,
    "name": pl.String,
    "country": pl.String,
    "city": pl.String,
    "prefixes": pl.Struct({"ipv4": pl.List(pl.String), "ipv6": pl.List(pl.String)}),
}
FACILITY_FIELDS = {
    "fac_id": pl.String,
    "pdb_fac_id": pl.String,
    "name": pl.String,
    "country": pl.String,
    "city": pl.String,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
}


def _text(column: str) -> pl.Expr:
    """A text field, stripped ("" when absent). CAIDA sometimes writes a list where one value belongs (two
    cities); polars hands it over as JSON text, kept as the loader always wrote it (Python's ``str``)."""
    text = pl.col(column).fill_null("").str.strip_chars()
    nested = text.str.starts_with("[") | text.str.starts_with("{")
    return pl.when(nested).then(text.map_elements(_as_python_text, return_dtype=pl.String)).otherwise(text)


def _as_python_text(text: str) -> str:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    return str(value).strip() if isinstance(value, list | dict) else text


def _as_list(text: str) -> list[str]:
    """A field CAIDA writes as one value or as a JSON list of them, as a list of stripped texts."""
    if text.startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return [text]
        if isinstance(value, list):
            return [str(v).strip() for v in value if v is not None] or [""]
    return [text]


def _places(records: pl.DataFrame) -> pl.DataFrame:
    """One row per IXP and country it is listed in: CAIDA writes the country of an IXP that spans
    borders as a list (``["LI", "NL"]``), and then its city as a list of the same length, in the same
    order (``["Balzers", "Amsterdam"]``), so each country takes its own city. A city list of another
    length is kept as one text, as before."""
    countries = pl.col("country").fill_null("").str.strip_chars()
    cities = pl.col("city").fill_null("").str.strip_chars()
    listed = records.with_columns(
        _countries=countries.map_elements(_as_list, return_dtype=pl.List(pl.String)),
        _cities=cities.map_elements(_as_list, return_dtype=pl.List(pl.String)),
        _city=_text("city"),
    ).with_row_index("_record")
    paired = (pl.col("_countries").list.len() > 1) & (pl.col("_cities").list.len() == pl.col("_countries").list.len())
    exploded = listed.with_columns(_paired=paired).explode("_countries")
    own = pl.col("_cities").list.get(pl.int_range(pl.len()).over("_record"), null_on_oob=True)
    return exploded.with_columns(
        country=pl.col("_countries"),
        city=pl.when(pl.col("_paired")).then(own).otherwise(pl.col("_city")),
    ).drop("_record", "_countries", "_cities", "_city", "_paired")


def _keyed(path: Path, records: pl.DataFrame, keys: tuple[str, str], what: str) -> pl.DataFrame:
    """``records`` with ``key``: its first key column, else its second; a record with neither is an error."""
    records = records.with_columns(key=pl.coalesce(*keys))
    missing = records.filter(pl.col("key").is_null())
    if missing.height:
        raise SourceError(path, f"{what} without {keys[0]}", line=int(missing["line"][0]))
    return records


class CaidaIxps(IxpSource):
    NAME: ClassVar[str] = "caida_ixp"
    ORG: ClassVar[str] = CAIDA_ORG
    DATASET: ClassVar[str] = "CAIDA IXP dataset (ixs)"
    URL: ClassVar[str] = "https://publicdata.caida.org/datasets/ixps/ixs_202401.jsonl"
    INFO_URL: ClassVar[str] = INFO
    LICENCE: ClassVar[str] = CAIDA_LICENCE
    LABEL: ClassVar[str] = N_("CAIDA IXP dataset")
    FILES: ClassVar[tuple[str, ...]] = (f"{FOLDER}/ixs_*.jsonl",)
    ALIASES: ClassVar[tuple[str, ...]] = ("caida-ixp",)

    def parse(self, path: Path) -> IxpSnapshot:
        records = _keyed(path, json_records(path, IXP_FIELDS), ("ix_id", "pdb_id"), "an IXP")
        ixps = _places(records).select(
            ixp_key="key",
            name=_text("name"),
            country="country",
            city="city",
            status=pl.lit(""),
            pdb_id="pdb_id",
            pch_id="pch_id",
        )
        families = {f: pl.col("prefixes").struct.field(f) for f in ("ipv4", "ipv6")}
        prefixes = (
            records.with_row_index("record")
            .with_columns(**families)
            .unpivot(index=["record", "line", "key"], on=list(families), variable_name="family")
            .explode("value")
            .drop_nulls("value")
            .sort("record", "family", maintain_order=True)  # each IXP's IPv4 prefixes, then its IPv6 ones
            .select(ixp_key="key", line="line", prefix="value")
        )
        found = check_prefixes(path, prefixes, "prefix").drop("line")
        # The PeeringDB and PCH ids ride along (not stored): records sharing one are one IXP (network.ixp.place).
        columns = [*IXP_COLUMNS, *SAME_IXP_IDS]
        return IxpSnapshot(stem(path), header_date(path), ixps.select(columns), prefixes=found)


class CaidaFacilities(TableSource):
    NAME: ClassVar[str] = "caida_facilities"
    ORG: ClassVar[str] = CAIDA_ORG
    DATASET: ClassVar[str] = "CAIDA IXP dataset (facilities)"
    URL: ClassVar[str] = "https://publicdata.caida.org/datasets/ixps/facilities_202401.jsonl"
    INFO_URL: ClassVar[str] = INFO
    LICENCE: ClassVar[str] = CAIDA_LICENCE
    LABEL: ClassVar[str] = N_("CAIDA IXP dataset")
    FILES: ClassVar[tuple[str, ...]] = (f"{FOLDER}/facilities_*.jsonl",)
    ALIASES: ClassVar[tuple[str, ...]] = ("caida-facilities",)
    MODEL: ClassVar[Any] = Facility

    def parse(self, path: Path) -> pl.DataFrame:
        records = _keyed(path, json_records(path, FACILITY_FIELDS), ("fac_id", "pdb_fac_id"), "a facility")
        table = records.select(
            facility_key="key",
            name=_text("name"),
            country=_text("country"),
            city=_text("city"),
            latitude="latitude",
            longitude="longitude",
        )
        return with_country(table, "country")

    def indicators(self, session: Session, load: SourceLoad) -> list[str]:
        """``facility_count`` of this snapshot."""
        session.flush()
        return [f"{refresh_facilities(session, load)} indicator values"]
