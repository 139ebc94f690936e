"""Packet Clearing House IXP directory: exchanges, their subnets and participants (CSV exports).

Three linked files: ``ixp_exchange.csv`` (one row per exchange, the country as an English name),
``ixp_subnets.csv`` (exchange → peering LAN) and ``ixp_membership.csv`` (peering LAN address → ASN).
Loading the membership file reads the other two beside it to place members at exchanges; each file
can also be loaded alone. PCH's newer prefix lists (``Prefix,Name``) load as prefixes of named IXPs.
Country names that match no ISO country are kept as written, counted and reported when loaded, never
guessed. Each file is read within the bounds of :func:`observatory.sources.line_chunks` (a line of at
most 1 MiB, a file of at most ``TABLE_LIMIT_MB`` decompressed).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import polars as pl

from observatory.network.common import check_asn, check_prefixes, country_names, header_date, name_key, stem
from observatory.network.ixp import IXP_COLUMNS, IxpSnapshot, IxpSource, companion
from observatory.sources import SourceError, line_chunks


def _read(path: Path, skipped: dict[str, int]) -> pl.DataFrame:
    """PCH exports separate fields by ", " without quoting. A free-text last column keeps its commas;
    a row whose extra separators fall elsewhere cannot be placed, so it is counted and skipped. (Read by
    hand: no CSV reader takes a two-character separator without quotes and a last field that may hold it.)"""
    text = "".join(c.data.decode("utf-8", errors="replace") for c in line_chunks(path)).splitlines()
    if not text:
        raise SourceError(path, "empty file")
    separator = ", " if ", " in text[0] else ","
    header = [c.strip() for c in text[0].split(separator)]
    free_last = header[-1] in ("organization", "Name")
    rows, lines, bad = [], [], 0
    for number, line in enumerate(text[1:], start=2):
        fields = line.split(separator)
        if len(fields) > len(header) and free_last:
            fields = [*fields[: len(header) - 1], separator.join(fields[len(header) - 1 :])]
        if not line.strip():
            continue
        if len(fields) != len(header):
            bad += 1
            continue
        rows.append([f.strip() for f in fields])
        lines.append(number)
    if bad:
        skipped[f"{path.name}: rows whose unquoted separators do not match the columns"] = bad
    schema = dict.fromkeys(header, pl.String)
    table = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
    return table.with_columns(pl.Series("line", lines, pl.Int64))


def _exchanges(path: Path, skipped: dict[str, int]) -> pl.DataFrame:
    table = _read(path, skipped)
    names = country_names()
    table = table.with_columns(
        pl.col("country").map_elements(lambda n: names.get(name_key(n)), return_dtype=pl.String).alias("alpha3")
    )
    # A name that matches no ISO country stays as PCH wrote it: the load counts it as unplaced (network.ixp.place).
    return table.select(
        pl.col("exchange_point_id").alias("ixp_key"),
        pl.col("long_name").fill_null("").alias("name"),
        pl.coalesce("alpha3", pl.col("country").fill_null("")).alias("country"),
        pl.col("city").fill_null(""),
        pl.col("status").fill_null(""),
    )


def parse_pch(path: Path) -> IxpSnapshot:
    """Parse one PCH directory export; the exchange list beside it gives IXP countries."""
    skipped: dict[str, int] = {}
    table = _read(path, skipped)
    columns = set(table.columns)
    day, edition = header_date(path), stem(path)
    if {"Prefix", "Name"} <= columns:
        named = table.select(pl.col("Name").alias("ixp_key"), pl.col("Prefix").alias("prefix"), "line")
        prefixes = check_prefixes(path, named, "prefix", skipped=skipped).drop("line")
        found = prefixes.select(pl.col("ixp_key").unique(maintain_order=True)).with_columns(
            pl.col("ixp_key").alias("name"), *(pl.lit("").alias(c) for c in ("country", "city", "status"))
        )
        return IxpSnapshot(edition, day, found, prefixes=prefixes, skipped=skipped)
    is_exchange = "exchange_point_id" in columns and "long_name" in columns
    exchange = path if is_exchange else companion(path, "ixp_exchange.csv")
    ixps = _exchanges(exchange, skipped) if exchange else pl.DataFrame(schema=IXP_COLUMNS)
    if is_exchange:
        return IxpSnapshot(edition, day, ixps, skipped=skipped)
    if {"exchange_point_id", "subnet"} <= columns:
        if empty := table.filter(pl.col("subnet") == "").height:
            skipped["exchanges listed without a subnet"] = empty
        table = table.filter(pl.col("subnet") != "")
        prefixes = check_prefixes(path, table, "subnet", skipped=skipped).select(
            pl.col("exchange_point_id").alias("ixp_key"), pl.col("subnet").alias("prefix")
        )
        return IxpSnapshot(edition, day, ixps, prefixes=prefixes, skipped=skipped)
    if {"subnet", "asn"} <= columns:
        subnets_file = companion(path, "ixp_subnets.csv")
        if subnets_file is None:
            raise SourceError(path, "members need ixp_subnets.csv beside this file to find their exchange")
        subnets = _read(subnets_file, skipped).select("exchange_point_id", "subnet").unique("subnet")
        members = check_asn(path, table.filter(pl.col("asn") != ""), "asn").join(subnets, on="subnet", how="left")
        unplaced = members.filter(pl.col("exchange_point_id").is_null()).height
        if unplaced:
            skipped["members on a subnet of no known exchange"] = unplaced
        members = members.filter(pl.col("exchange_point_id").is_not_null()).select(
            pl.col("exchange_point_id").alias("ixp_key"), "asn", pl.lit(None, pl.String).alias("country")
        )
        return IxpSnapshot(edition, day, ixps, members, skipped=skipped)
    raise SourceError(path, f"not a PCH directory export this loader knows (columns: {', '.join(table.columns[:-1])})")


class PchIxps(IxpSource):
    NAME: ClassVar[str] = "pch"
    ORG: ClassVar[str] = "Packet Clearing House"
    DATASET: ClassVar[str] = "PCH Internet exchange point directory"
    URL: ClassVar[str] = "https://www.pch.net/api/ixp/directory/Active"
    INFO_URL: ClassVar[str] = "https://www.pch.net/ixp/dir"
    LICENCE: ClassVar[str] = "CC BY-NC-SA 3.0 (PCH's terms for its directory data)"
    FILES: ClassVar[tuple[str, ...]] = ("network/pch/*.csv",)

    def parse(self, path: Path) -> IxpSnapshot:
        return parse_pch(path)
