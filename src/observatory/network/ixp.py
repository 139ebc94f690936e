"""The snapshot every IXP source produces (IXPs, members, peering LAN prefixes), how it is written, and the
shape of those sources; how IXPs are placed in countries and counted once (``docs/network.md``, "How IXPs
are counted")."""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.network.common import header_date, insert_frame, replace_previous, with_country
from observatory.network.compute import NOT_OPERATING, refresh_ixp
from observatory.network.models import Ixp, IxpMember, IxpPrefix
from observatory.sources import LoadResult, Source, SourceLoad

log = logging.getLogger(__name__)
IXP_COLUMNS = {"ixp_key": pl.String, "name": pl.String, "country": pl.String, "city": pl.String, "status": pl.String}
MEMBER_COLUMNS = {"ixp_key": pl.String, "asn": pl.Int64, "country": pl.String}
PREFIX_COLUMNS = {"ixp_key": pl.String, "prefix": pl.String}
# Identifiers a source may give beside its own key (CAIDA: PeeringDB's and PCH's): records sharing one, in
# one country, are one IXP. Not stored; they only take part in placing a snapshot (:func:`place`).
SAME_IXP_IDS = ("pdb_id", "pch_id")
UNPLACED_NONE = "IXPs without a country that can be placed (none given)"
UNPLACED_UNKNOWN = "IXPs without a country that can be placed (not a country of the ISO list)"
MERGED = "records of an IXP already listed, kept and counted once"
NOT_RUNNING = "IXPs the source lists as defunct, deprecated, planned or not an exchange, kept and not counted"


@dataclass
class IxpSnapshot:
    """What one IXP file says; ``members`` is empty when the source does not list members."""

    edition: str
    data_date: dt.date | None
    ixps: pl.DataFrame
    members: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=MEMBER_COLUMNS))
    prefixes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PREFIX_COLUMNS))
    skipped: dict[str, int] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """The snapshot's edition and date, as :meth:`observatory.sources.Source.describe` gives them."""
        return {"edition": self.edition, "data_date": self.data_date}


class IxpSource(Source[IxpSnapshot]):
    """A source of IXP snapshots (CAIDA, PeeringDB, PCH): each file is one snapshot, written with the
    indicators computed from it."""

    def describe(self, path: Path, parsed: IxpSnapshot) -> dict[str, Any]:
        """The snapshot's own edition and date."""
        return parsed.describe()

    def load(self, session: Session, parsed: IxpSnapshot, load: SourceLoad) -> LoadResult:
        """Write the snapshot and compute its indicators (:func:`load_snapshot`)."""
        return load_snapshot(session, parsed, load, self.NAME)


def frame(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    """``rows`` as a frame of ``schema`` (an empty frame of it when there are none)."""
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)


def ixp_name_key(name: str) -> str:
    """An IXP's name as duplicates are found by: accents, case, spaces, hyphens and punctuation dropped
    ("IXP MegaLink" and "IXP-MegaLink" → ``ixpmegalink``). Words such as "IX" or "IXP" are kept: without
    them short names collide ("W-IX" would become "w")."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "", text)


@dataclass
class Placed:
    """A snapshot whose IXPs are placed in countries and merged (:func:`place`), with the merges made."""

    snapshot: IxpSnapshot
    merges: pl.DataFrame


MERGE_COLUMNS = {
    "country": pl.String,
    "ixp_key": pl.String,
    "name": pl.String,
    "city": pl.String,
    "into_key": pl.String,
    "into_name": pl.String,
    "into_city": pl.String,
}


def _same(group: pl.Expr, valid: pl.Expr) -> pl.Expr:
    """A label joining the rows where ``valid`` holds and ``group`` is equal; every other row alone."""
    alone = pl.concat_str(pl.lit("\x00"), pl.col("_row").cast(pl.String))
    return pl.when(valid).then(group).otherwise(alone)


def place(snapshot: IxpSnapshot) -> Placed:
    """Place the snapshot's IXPs in countries and merge the records of one IXP, as ``docs/network.md`` says.

    - Countries are resolved to alpha-3 (codes or names, :func:`~observatory.network.common.with_country`);
      an IXP listed in several countries has one row per country under one key (the same country twice
      is one row).
    - An IXP without a country, or with one that is not an ISO country, is kept (a code as written, a
      name as null) and counted in ``skipped``; it is in no country's count.
    - Records of one IXP within the snapshot — the same PeeringDB or PCH id, or the same name once
      accents, case, spaces and punctuation are dropped (:func:`ixp_name_key`), in the same country and
      city — are merged: each keeps its row, name and city, under the key of the first (so the IXP counts
      once), and their members and prefixes follow. A record without a city is in the city of its
      namesakes when they all give the same one; namesakes in different cities stay apart.
    """
    ixps = snapshot.ixps
    ids = [c for c in SAME_IXP_IDS if c in ixps.columns]
    ixps = ixps.with_columns(_raw=pl.col("country").fill_null("").str.strip_chars())
    ixps = with_country(ixps, "country").unique(["ixp_key", "country"], keep="first", maintain_order=True)
    ixps = ixps.with_row_index("_row").with_columns(
        _name=pl.col("name").fill_null("").map_elements(ixp_name_key, return_dtype=pl.String),
        _city=pl.col("city").fill_null("").map_elements(ixp_name_key, return_dtype=pl.String),
    )
    skipped = dict(snapshot.skipped)
    closed = pl.col("status").fill_null("").str.to_lowercase().is_in(NOT_OPERATING)
    for label, count in (
        (UNPLACED_NONE, ixps.filter(pl.col("_raw") == "").height),
        (UNPLACED_UNKNOWN, ixps.filter((pl.col("_raw") != "") & ~pl.col("is_country")).height),
        (NOT_RUNNING, ixps.filter(closed).get_column("ixp_key").n_unique()),
    ):
        if count:
            skipped[label] = count
    unknown = ixps.filter((pl.col("_raw") != "") & ~pl.col("is_country")).get_column("_raw").unique().sort()
    if unknown.len():
        log.info("%s: IXP countries that are not ISO countries: %s", snapshot.edition, ", ".join(unknown))
    # Namesakes of a country: one IXP if they give at most one city between them, else one per city.
    cities = pl.col("_city").filter(pl.col("_city") != "").n_unique().over("country", "_name")
    ixps = ixps.with_columns(_where=pl.when(cities <= 1).then(pl.lit("")).otherwise(pl.col("_city")))
    placed = pl.col("is_country")
    relations = [
        pl.col("ixp_key"),  # one IXP in several countries stays one IXP
        _same(pl.concat_str("country", "_name", "_where", separator="\x00"), placed & (pl.col("_name") != "")),
        *(_same(pl.concat_str("country", c, separator="\x00"), placed & pl.col(c).is_not_null()) for c in ids),
    ]
    # The records of one IXP are the connected rows: each row takes the smallest row number reachable.
    ixps = ixps.with_columns(_first=pl.col("_row"))
    for _ in range(ixps.height):
        before = ixps.get_column("_first")
        for relation in relations:
            ixps = ixps.with_columns(_first=pl.col("_first").min().over(relation))
        if ixps.get_column("_first").equals(before):
            break
    first = ixps.select("_row", into_key="ixp_key", into_name="name", into_city="city")
    ixps = ixps.join(first, left_on="_first", right_on="_row", how="left", maintain_order="left")
    moved = ixps.filter(pl.col("into_key") != pl.col("ixp_key"))
    merges = moved.select(list(MERGE_COLUMNS)).unique(["ixp_key", "country"], maintain_order=True)
    if (count := moved.get_column("ixp_key").n_unique()) > 0:
        skipped[MERGED] = count
    renamed = dict(zip(moved.get_column("ixp_key"), moved.get_column("into_key"), strict=True))
    rekey = pl.col("ixp_key").replace(renamed)
    out = replace(
        snapshot,
        ixps=ixps.with_columns(ixp_key=pl.col("into_key")).select([*IXP_COLUMNS, "is_country"]),
        members=snapshot.members.with_columns(rekey),
        prefixes=snapshot.prefixes.with_columns(rekey),
        skipped=skipped,
    )
    return Placed(out, merges)


def shared_ixp_excess(
    session: Session, countries: Collection[str], on: dt.date | None, source: str = "caida_ixp"
) -> dict[dt.date, int]:
    """How many IXPs among ``countries`` a sum of their counts takes twice or more, per snapshot date.

    For each snapshot of ``source`` dated on or before ``on`` (all of them when ``on`` is None; of two
    loads of one date, the later one): the IXP rows in ``countries`` that are a further country of an IXP
    already counted in another of them. A group's IXP count is the sum of its members' ``ixp_count``
    less this excess: an IXP in Liechtenstein and the Netherlands counts once in Europe."""
    wanted = sorted(set(countries))
    if not wanted:
        return {}
    stmt = (
        select(SourceLoad.id, SourceLoad.data_date, Ixp.ixp_key, Ixp.country)
        .join(Ixp, Ixp.load_id == SourceLoad.id)
        .where(SourceLoad.source == source, SourceLoad.data_date.is_not(None), Ixp.is_country)
        .where(Ixp.country.in_(wanted))
    )
    if on is not None:
        stmt = stmt.where(SourceLoad.data_date <= on)
    schema = {"load_id": pl.Int64, "date": pl.Date, "ixp_key": pl.String, "country": pl.String}
    rows = pl.DataFrame(session.execute(stmt).all(), schema=schema, orient="row")
    if rows.height == 0:
        return {}
    newest = rows.group_by("date").agg(pl.col("load_id").max())
    rows = rows.join(newest, on=["date", "load_id"]).unique(["load_id", "ixp_key", "country"])
    excess = rows.group_by("date").agg((pl.len() - pl.col("ixp_key").n_unique()).alias("excess")).sort("date")
    return dict(zip(excess.get_column("date"), excess.get_column("excess").cast(pl.Int64), strict=True))


def load_snapshot(session: Session, snapshot: IxpSnapshot, load: SourceLoad, name: str) -> LoadResult:
    """Write an IXP snapshot (replacing an earlier load of the same edition) and compute its indicators."""
    replace_previous(session, load)
    placed = place(snapshot)
    for merge in placed.merges.iter_rows(named=True):
        log.info(
            "%s %s: %r (%s, %s, %s) is %r (%s, %s): counted once",
            name, snapshot.edition, merge["name"], merge["ixp_key"], merge["city"], merge["country"],
            merge["into_name"], merge["into_key"], merge["into_city"],
        )  # fmt: skip
    snapshot = placed.snapshot
    if snapshot.skipped:  # what ``observatory data load`` prints of this file
        log.info("%s %s: %s", name, snapshot.edition, "; ".join(f"{k}: {n}" for k, n in snapshot.skipped.items()))
    rows = insert_frame(session, Ixp, snapshot.ixps, load)
    members = with_country(snapshot.members, "country", flag=None).unique(["ixp_key", "asn"], maintain_order=True)
    rows += insert_frame(session, IxpMember, members, load)
    rows += insert_frame(session, IxpPrefix, snapshot.prefixes.unique(maintain_order=True), load)
    session.flush()
    notes = [f"{refresh_ixp(session, load)} indicator values"]
    return LoadResult(load.id, name, rows, load.edition, load.data_date, snapshot.skipped, notes)


def companion(path: Path, suffix: str) -> Path | None:
    """The file beside ``path`` whose name ends with ``suffix``, closest in date (extracts come in sets)."""
    candidates = sorted(p for p in path.parent.iterdir() if p.name.endswith(suffix) and p != path)
    if not candidates:
        return None
    target = header_date(path) or dt.date.min
    return min(candidates, key=lambda p: abs(((header_date(p) or dt.date.min) - target).days))
