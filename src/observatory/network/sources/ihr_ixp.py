"""The Internet Health Report's IXP dependency results (Tashiro et al., "Following the Data Trail: An Analysis of
IXP Dependencies", PAM 2024; repository ``InternetHealthReport/ixp-dependency``).

IHR computes AS hegemony over traceroutes (RIPE Atlas or CAIDA Ark) with IXPs as nodes of the path: a network
(a "scope") depends on an IXP when the IXP is on at least 10 % of the paths towards it (hegemony ≥ 0.1, seen
from at least 10 vantage points). Three kinds of file, one measurement platform and date each
(``<platform>.<YYYY-MM-DD>.<kind>.csv``):

- ``ixp_table``: per IXP (PeeringDB ix id) its PeeringDB members (national, international, of unknown
  country), the members seen in traceroutes, the traceroutes crossing it, the networks depending on it
  (national, international: the network's registry country against the IXP's) and the dependent members;
- ``per_as_ixp_dependencies``: per IXP and country of the depending networks (``overview``: all countries;
  ``**``: networks registered in several countries), how many depend on it (``general``), and through whom:
  one member network (a line per member ASN), several known members (``multiple``), members and unidentified
  interfaces (``mixed``), unidentified interfaces only (``unknown``);
- ``ixp_regionality`` (RIPE Atlas only): per IXP the share of its dependent networks registered in the IXP's
  own country.

Each file is loaded as it is published, as its own snapshot (edition: the file name), dated by the
measurement date in its name.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy.orm import Session

from observatory.i18n import N_
from observatory.network.common import check_asn, read_csv, stem, with_country, write_snapshot
from observatory.network.models import IxpDependency, IxpDependencyScope
from observatory.sources import LoadResult, Source, SourceError, SourceLoad

FOLDER = "network/hegemony"
PLATFORMS = ("atlas", "ark")
KINDS = ("ixp_table", "per_as_ixp_dependencies", "ixp_regionality")
SCOPE_KINDS = ("general", "single", "multiple", "mixed", "unknown")
MAX_ROWS = 500_000  # the published files hold a few thousand lines; far more is not this dataset
_NAME = re.compile(r"(?P<platform>atlas|ark)\.(?P<date>\d{4}-\d{2}-\d{2})\.(?P<kind>[a-z_]+)\.csv$")

TABLE_COUNTS = (
    "peers",
    "peers_national",
    "peers_international",
    "peers_seen",
    "tr_count",
    "dependencies",
    "dependencies_national",
    "dependencies_international",
    "dependent_peers",
    "dependent_peers_national",
)
COLUMNS: dict[str, tuple[str, ...]] = {
    "ixp_table": ("ix_id", "name", "name_long", "cc", *TABLE_COUNTS),
    "per_as_ixp_dependencies": ("ix_id", "cc", "asn", "scopes", "asn_count"),
    "ixp_regionality": ("ix_id", "scopes", "regionality", "cc", "name", "name_long"),
}


@dataclass(frozen=True)
class IxpDependencyFile:
    """One parsed file: its platform (``atlas`` or ``ark``), measurement date, kind and rows."""

    measurement: str
    date: dt.date
    kind: str
    rows: pl.DataFrame


def file_kind(path: Path) -> tuple[str, dt.date, str]:
    """The platform, date and kind a file's name states (``atlas.2022-10-03.ixp_table.csv``)."""
    m = _NAME.search(path.name)
    if m is None or m["kind"] not in KINDS:
        raise SourceError(
            path, f"the file name must end <atlas|ark>.<YYYY-MM-DD>.<{'|'.join(KINDS)}>.csv to say what it holds"
        )
    try:
        date = dt.date.fromisoformat(m["date"])
    except ValueError:
        raise SourceError(path, f"the date in the file name, {m['date']!r}, is not a date") from None
    return m["platform"], date, m["kind"]


def _counts(path: Path, frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """``columns`` as non-negative integers; the first cell that is not one is an error naming its line."""
    for column in columns:
        text = pl.col(column).str.strip_chars()
        parsed = frame.with_columns(text.str.to_integer(strict=False).alias("_n"))
        bad = parsed.filter(pl.col("_n").is_null() | (pl.col("_n") < 0))
        if bad.height:
            row = bad.row(0, named=True)
            raise SourceError(path, f"{column} must be a whole number ≥ 0; got {row[column]!r}", line=row["line"])
        frame = parsed.with_columns(pl.col("_n").alias(column)).drop("_n")
    return frame


def _ix_ids(path: Path, frame: pl.DataFrame, *, unique: bool) -> pl.DataFrame:
    """``ix_id`` checked (a PeeringDB ix id: a whole number) as the text key ``ixp_key``."""
    key = pl.col("ix_id").str.strip_chars()
    frame = frame.with_columns(key.alias("ixp_key"))
    bad = frame.filter(~pl.col("ixp_key").str.contains(r"^\d{1,12}$").fill_null(False))
    if bad.height:
        row = bad.row(0, named=True)
        raise SourceError(path, f"ix_id must be a PeeringDB ix id (a number); got {row['ix_id']!r}", line=row["line"])
    if unique:
        twice = frame.filter(pl.col("ixp_key").is_duplicated())
        if twice.height:
            row = twice.row(1, named=True)
            raise SourceError(path, f"IXP {row['ixp_key']} is listed twice", line=row["line"])
    return frame


def _read(path: Path, kind: str) -> pl.DataFrame:
    frame = read_csv(path)
    missing = [c for c in COLUMNS[kind] if c not in frame.columns]
    if missing:
        raise SourceError(path, f"missing column(s) {', '.join(missing)} of an IHR {kind} file", line=1)
    if frame.height > MAX_ROWS:
        raise SourceError(path, f"more than {MAX_ROWS:,} lines: not an IHR IXP dependency file")
    return frame


def _ixp_table(path: Path, frame: pl.DataFrame) -> pl.DataFrame:
    frame = _counts(path, _ix_ids(path, frame, unique=True), TABLE_COUNTS)
    name = pl.coalesce(pl.col("name_long").str.strip_chars().replace("", None), pl.col("name").str.strip_chars())
    frame = frame.with_columns(name=name.fill_null(""), regionality=pl.lit(None, pl.Float64))
    return with_country(frame, "cc").select("ixp_key", "name", "country", *TABLE_COUNTS, "regionality")


def _regionality(path: Path, frame: pl.DataFrame) -> pl.DataFrame:
    frame = _counts(path, _ix_ids(path, frame, unique=True), ("scopes",))
    share = frame.with_columns(pl.col("regionality").str.strip_chars().cast(pl.Float64, strict=False).alias("_r"))
    bad = share.filter(pl.col("_r").is_null() | pl.col("_r").is_nan() | (pl.col("_r") < 0) | (pl.col("_r") > 1))
    if bad.height:
        row = bad.row(0, named=True)
        raise SourceError(
            path, f"regionality must be a share from 0 to 1; got {row['regionality']!r}", line=row["line"]
        )
    name = pl.coalesce(pl.col("name_long").str.strip_chars().replace("", None), pl.col("name").str.strip_chars())
    frame = share.with_columns(regionality="_r", dependencies="scopes", name=name.fill_null(""))
    return with_country(frame, "cc").select("ixp_key", "name", "country", "dependencies", "regionality")


def _scopes(path: Path, frame: pl.DataFrame) -> pl.DataFrame:
    frame = _counts(path, _ix_ids(path, frame, unique=False), ("scopes", "asn_count"))
    text = pl.col("asn").str.strip_chars().str.to_lowercase()
    frame = frame.with_columns(kind=pl.when(text.is_in(SCOPE_KINDS)).then(text).otherwise(pl.lit("asn")))
    members = check_asn(path, frame.filter(pl.col("kind") == "asn"), "asn")
    frame = pl.concat(
        [frame.filter(pl.col("kind") != "asn").with_columns(pl.lit(None, pl.Int64).alias("asn")), members]
    ).sort("line")
    cc = pl.col("cc").str.strip_chars()
    blank = frame.filter(cc.fill_null("") == "")
    if blank.height:
        raise SourceError(
            path, "cc (the country of the depending networks) is empty", line=blank.row(0, named=True)["line"]
        )
    # "overview" (all countries) and "**" (networks in several countries) are the source's own codes, kept.
    frame = with_country(frame.with_columns((cc.str.to_lowercase() == "overview").alias("_all")), "cc")
    frame = frame.with_columns(pl.when("_all").then(pl.lit("OVERVIEW")).otherwise("country").alias("country"))
    too_long = frame.filter(pl.col("country").str.len_chars() > 10)
    if too_long.height:
        row = too_long.row(0, named=True)
        raise SourceError(path, f"cc {row['country']!r} is not a country code", line=row["line"])
    return frame.select("ixp_key", "country", "kind", "asn", "scopes", "asn_count")


class IhrIxpDependency(Source[IxpDependencyFile]):
    NAME: ClassVar[str] = "ihr_ixp_dependency"
    ORG: ClassVar[str] = "Internet Health Report (IIJ Research Laboratory)"
    DATASET: ClassVar[str] = "IXP dependency results (Tashiro et al., PAM 2024)"
    URL: ClassVar[str] = (
        "https://raw.githubusercontent.com/InternetHealthReport/ixp-dependency/main/stats/ixp-table/"
        "atlas.2022-10-03.ixp_table.csv"
    )
    INFO_URL: ClassVar[str] = "https://internethealthreport.github.io/ixp-dependency/"
    LICENCE: ClassVar[str] = "MIT (the repository InternetHealthReport/ixp-dependency)"
    LABEL: ClassVar[str] = N_("Internet Health Report")
    FEEDS: ClassVar[str] = "the IXP dependency figures of country pages and the cost model's local-exchange estimate"
    FILES: ClassVar[tuple[str, ...]] = (
        f"{FOLDER}/ihr-ixp-dependency_*.ixp_table.csv",
        f"{FOLDER}/ihr-ixp-dependency_*.per_as_ixp_dependencies.csv",
        f"{FOLDER}/ihr-ixp-dependency_*.ixp_regionality.csv",
    )

    def parse(self, path: Path) -> IxpDependencyFile:
        platform, date, kind = file_kind(path)
        frame = _read(path, kind)
        reader = {"ixp_table": _ixp_table, "per_as_ixp_dependencies": _scopes, "ixp_regionality": _regionality}[kind]
        rows = reader(path, frame).with_columns(measurement=pl.lit(platform))
        return IxpDependencyFile(platform, date, kind, rows)

    def describe(self, path: Path, parsed: IxpDependencyFile) -> dict[str, Any]:
        """The file's name as edition, the measurement date in it as the snapshot's date."""
        return {"edition": stem(path), "data_date": parsed.date}

    def load(self, session: Session, parsed: IxpDependencyFile, load: SourceLoad) -> LoadResult:
        """The file's rows as its snapshot (replacing an earlier load of the same file)."""
        model = IxpDependencyScope if parsed.kind == "per_as_ixp_dependencies" else IxpDependency
        rows = write_snapshot(session, model, parsed.rows, load)
        return LoadResult(load.id, self.NAME, rows, load.edition, load.data_date)
