"""The Internet Health Report's published global AS hegemony (IIJ Research Laboratory): one file per day.

IHR computes, from the BGP data of RIPE RIS and RouteViews collectors, each AS's global hegemony: the share
of the paths towards every origin that cross it, trimmed of the extreme viewpoints (Fontugne et al., 2018).
The files read here hold one line per AS (``asn,hege``); the daily archive files, with a ``originasn`` column
(``0`` for the global figure) and a ``timebin``, are read the same way, their global rows kept. The date is
the file name's (``…_20220720.csv.gz``, ``…_2022-07-20.csv``): a file without one is refused, since a
hegemony value without its day cannot be compared with anything.

Rows go to :class:`~observatory.routing.models.AsHegemony` (IPv4, ``af`` 4) beside the platform's own
computation from RIB files (source ``routing_tables``); each row points at its load, so pages tell them
apart by source and never join them. Loading a date again replaces IHR's rows of that date only.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from observatory.db import bulk_insert
from observatory.i18n import N_
from observatory.routing.models import AsHegemony
from observatory.sources import LoadResult, Source, SourceError, SourceLoad, input_limit, read_bytes

log = logging.getLogger(__name__)

NAME = "ihr_hegemony"
MAX_ASN = 4_294_967_295
# The published global files are 2 MB for some 75,000 ASes; a daily archive file with every origin's local
# hegemony is larger, but this reader keeps only the global rows: a file over this bound is not one of them.
LIMIT_MB = 64
BATCH = 100_000


def file_date(path: Path) -> dt.date | None:
    """The day a hegemony file describes, from its name: ``YYYYMMDD`` or ``YYYY-MM-DD``."""
    name = path.name
    found = re.search(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)", name)
    if not found:
        return None
    try:
        return dt.date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


class IhrHegemony(Source[pl.DataFrame]):
    """The Internet Health Report's global AS hegemony (IPv4), one file per day."""

    NAME: ClassVar[str] = NAME
    ORG: ClassVar[str] = "Internet Health Report (IIJ Research Laboratory)"
    DATASET: ClassVar[str] = "Global AS hegemony (IPv4)"
    URL: ClassVar[str] = "https://ihr-archive.iijlab.net/ihr/hegemony/ipv4/global/"
    INFO_URL: ClassVar[str] = "https://ihr.iijlab.net/ihr/en-us/documentation#AS_dependency"
    LICENCE: ClassVar[str] = "Internet Health Report data: CC BY 4.0 (IIJ), with attribution"
    LABEL: ClassVar[str] = N_("Internet Health Report")
    FEEDS: ClassVar[str] = "routing: the global AS hegemony of each AS (country pages, AS pages)"
    FILES: ClassVar[tuple[str, ...]] = ("network/hegemony/ihr_global_AS_hegemony_*.csv*",)

    def parse(self, path: Path) -> pl.DataFrame:
        """The global rows of the file: ``asn`` and ``hegemony`` (a share in 0–1), one per AS."""
        if file_date(path) is None:
            raise SourceError(path, "no date (YYYYMMDD or YYYY-MM-DD) in the file name: which day is it?")
        try:
            table = pl.read_csv(
                io.BytesIO(read_bytes(path, limit=input_limit(LIMIT_MB))),
                infer_schema=False,
                truncate_ragged_lines=False,
            )
        except pl.exceptions.PolarsError as e:
            raise SourceError(path, f"not a CSV file: {e}") from None
        missing = {"asn", "hege"} - set(table.columns)
        if missing:
            raise SourceError(path, f"missing columns: {', '.join(sorted(missing))} (expected asn,hege)", line=1)
        table = table.with_row_index("line", offset=2)
        if "originasn" in table.columns:  # a daily archive file: the global figure is origin 0
            table = table.filter(pl.col("originasn").str.strip_chars() == "0")
        table = table.with_columns(
            pl.col("asn").str.strip_chars().str.to_integer(strict=False).alias("_asn"),
            pl.col("hege").str.strip_chars().cast(pl.Float64, strict=False).alias("hegemony"),
        )
        bad = table.filter(pl.col("_asn").is_null() | (pl.col("_asn") < 0) | (pl.col("_asn") > MAX_ASN))
        if bad.height:
            row = bad.row(0, named=True)
            raise SourceError(path, f"AS number {row['asn']!r} is not in 0–{MAX_ASN}", line=row["line"])
        bad = table.filter(
            pl.col("hegemony").is_null() | pl.col("hegemony").is_nan() | ~pl.col("hegemony").is_between(0, 1)
        )
        if bad.height:
            row = bad.row(0, named=True)
            raise SourceError(path, f"hegemony {row['hege']!r} is not a share between 0 and 1", line=row["line"])
        twice = table.filter(pl.col("_asn").is_duplicated()).sort("line")
        if twice.height:
            row = twice.row(1, named=True)
            raise SourceError(path, f"AS{row['_asn']} is listed twice", line=row["line"])
        return table.select(pl.col("_asn").alias("asn"), "hegemony")

    def describe(self, path: Path, parsed: pl.DataFrame) -> dict[str, Any]:
        """The day of the file (its name's date) as edition and data date."""
        date = file_date(path)
        return {"edition": f"{date.isoformat() if date else ''} IPv4", "data_date": date}

    def load(self, session: Session, parsed: pl.DataFrame, load: SourceLoad) -> LoadResult:
        """Replace IHR's hegemony of the file's day (only IHR's: the platform's own results stay) by the file's."""
        date = load.data_date
        assert date is not None  # parse refused a file without a date
        earlier = select(SourceLoad.id).where(
            SourceLoad.source == self.NAME, SourceLoad.data_date == date, SourceLoad.id != load.id
        )
        session.execute(delete(AsHegemony).where(AsHegemony.load_id.in_(earlier), AsHegemony.af == 4))
        rows = parsed.with_columns(
            pl.lit(date).alias("data_date"), pl.lit(4).alias("af"), pl.lit(load.id).alias("load_id")
        )
        table: Any = AsHegemony.__table__
        for batch in rows.iter_slices(BATCH):
            bulk_insert(session.connection(), table, batch.to_dicts())
        return LoadResult(load.id, self.NAME, rows.height, load.edition, date)
