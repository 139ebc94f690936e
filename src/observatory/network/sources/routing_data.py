"""APNIC AS population estimates, CAIDA AS relationships and CAIDA prefix-to-AS files.

- APNIC (``asn,name,cc,users,country_pct,internet_pct,samples``): Internet users served by each AS
  in each country, estimated from ad-based measurements.
- CAIDA AS relationships: serial-1 ``asn1|asn2|rel`` and serial-2 ``asn1|asn2|rel|source`` (``#``
  comments), ``rel`` -1 provider→customer, 0 peers (1 siblings in some derived sets); CSV
  derivatives with ``provider, customer, type`` columns are read the same way.
- CAIDA/RouteViews prefix-to-AS: ``prefix<TAB>length<TAB>origins`` where ``origins`` keeps the file's
  multi-origin (``_``) and AS-set (``,``) notation.

Text files are read in pieces of whole lines and CSV files whole, both within the bounds of
:mod:`observatory.sources` (``TABLE_LIMIT_MB`` decompressed, lines of at most 1 MiB).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy.orm import Session

from observatory.i18n import N_
from observatory.network.common import TableSource, check_asn, check_prefixes, read_csv, text_lines, with_country
from observatory.network.compute import REGISTRY_FIGURES, refresh_network
from observatory.network.models import AsLink, Eyeballs, PrefixOrigin
from observatory.network.sources.caida_ixp import CAIDA_LICENCE, CAIDA_ORG
from observatory.sources import SourceError


def _fields(path: Path, lines: pl.DataFrame, separator: str, names: list[str], minimum: int) -> pl.DataFrame:
    split = lines.with_columns(pl.col("text").str.strip_chars_end("\r").str.split(separator).alias("f"))
    short = split.filter(pl.col("f").list.len() < minimum)
    if short.height:
        row = short.row(0, named=True)
        raise SourceError(
            path, f"expected {minimum} fields separated by {separator!r}: {row['text']!r}", line=row["line"]
        )
    return split.select("line", *(pl.col("f").list.get(i, null_on_oob=True).alias(n) for i, n in enumerate(names)))


class ApnicEyeballs(TableSource):
    NAME: ClassVar[str] = "apnic_eyeballs"
    ORG: ClassVar[str] = "APNIC Labs"
    DATASET: ClassVar[str] = "APNIC AS population (eyeball) estimates"
    URL: ClassVar[str] = "https://stats.labs.apnic.net/cgi-bin/aspop?c=&d=&f=csv"
    INFO_URL: ClassVar[str] = "https://stats.labs.apnic.net/aspop"
    LICENCE: ClassVar[str] = "APNIC Labs' public estimates, free to use with attribution"
    LABEL: ClassVar[str] = N_("APNIC user estimates")
    FEEDS: ClassVar[str] = "routing: the users behind each AS (country dependency weighted by users, transit)"
    FILES: ClassVar[tuple[str, ...]] = ("network/ipv6/apnic_aspop*",)
    ALIASES: ClassVar[tuple[str, ...]] = ("apnic-eyeballs",)
    MODEL: ClassVar[Any] = Eyeballs

    # The registry sources' recompute (loaded after this one, by name) includes this one's work.
    RECOMPUTES: ClassVar[str] = REGISTRY_FIGURES

    @classmethod
    def recompute(cls, session: Session) -> list[str]:
        """The indicators joining APNIC's users with IXP membership, for every IXP snapshot."""
        return refresh_network(session, registry=False)

    def parse(self, path: Path) -> pl.DataFrame:
        table = read_csv(path)
        missing = {"asn", "cc", "users"} - set(table.columns)
        if missing:
            raise SourceError(path, f"missing columns: {', '.join(sorted(missing))}")
        table = check_asn(path, table, "asn")
        table = table.with_columns(
            pl.col("users").str.to_integer(strict=False).alias("n"),
            pl.col("country_pct").cast(pl.Float64, strict=False).alias("country_share")
            if "country_pct" in table.columns
            else pl.lit(None, pl.Float64).alias("country_share"),
        )
        bad = table.filter(pl.col("n").is_null() | (pl.col("n") < 0))
        if bad.height:
            row = bad.row(0, named=True)
            raise SourceError(path, f"users {row['users']!r} is not a count", line=row["line"])
        table = with_country(table.with_columns(pl.col("n").alias("users")), "cc", flag=None)
        return table.select("asn", "country", "users", "country_share")


class CaidaAsRelationships(TableSource):
    NAME: ClassVar[str] = "caida_asrel"
    ORG: ClassVar[str] = CAIDA_ORG
    DATASET: ClassVar[str] = "CAIDA AS relationships (serial-1, serial-2)"
    URL: ClassVar[str] = "https://publicdata.caida.org/datasets/as-relationships/serial-2/"
    INFO_URL: ClassVar[str] = "https://www.caida.org/catalog/datasets/as-relationships/"
    LICENCE: ClassVar[str] = CAIDA_LICENCE
    LABEL: ClassVar[str] = N_("CAIDA AS relationships")
    FEEDS: ClassVar[str] = "routing: transit vs. peering per country (providers, customers and peers of each AS)"
    # AFRINIC Labs' derivatives of CAIDA's 2019-07 release; the folder's bgp-simulator file is a simulator's test
    # fixture (an undated sample), for the tests only: it is no source of a public figure.
    FILES: ClassVar[tuple[str, ...]] = ("network/caida-asrel/afrinic-labs_*.csv",)
    ALIASES: ClassVar[tuple[str, ...]] = ("caida-asrel",)
    MODEL: ClassVar[Any] = AsLink

    def parse(self, path: Path) -> pl.DataFrame:
        lines = text_lines(path)
        first = lines.row(0, named=True)["text"] if lines.height else ""
        if "provider" in first and "customer" in first:  # CSV derivative with named columns
            links = read_csv(path, null_values=["NULL"]).select(
                "line",
                pl.col("provider").alias("asn1"),
                pl.col("customer").alias("asn2"),
                pl.col("type").alias("rel"),
                pl.lit("").alias("origin"),
            )
        else:
            links = _fields(path, lines, "|", ["asn1", "asn2", "rel", "origin"], 3).with_columns(
                pl.col("origin").fill_null("")
            )
        links = check_asn(path, check_asn(path, links, "asn1"), "asn2")
        links = links.with_columns(pl.col("rel").str.strip_chars().str.to_integer(strict=False).alias("relationship"))
        bad = links.filter(~pl.col("relationship").is_in([-1, 0, 1]) | pl.col("relationship").is_null())
        if bad.height:
            row = bad.row(0, named=True)
            raise SourceError(path, f"relationship {row['rel']!r} is not -1, 0 or 1", line=row["line"])
        return links.select("asn1", "asn2", "relationship", "origin")


class CaidaPrefixToAs(TableSource):
    NAME: ClassVar[str] = "caida_pfx2as"
    ORG: ClassVar[str] = CAIDA_ORG
    DATASET: ClassVar[str] = "RouteViews prefix-to-AS mappings (pfx2as)"
    URL: ClassVar[str] = "https://publicdata.caida.org/datasets/routing/routeviews6-prefix2as/"
    INFO_URL: ClassVar[str] = "https://www.caida.org/catalog/datasets/routeviews-prefix2as/"
    LICENCE: ClassVar[str] = CAIDA_LICENCE
    LABEL: ClassVar[str] = N_("CAIDA prefix-to-AS")
    FEEDS: ClassVar[str] = "the routed prefixes and their origin ASes, stored for routing (no indicator reads them yet)"
    FILES: ClassVar[tuple[str, ...]] = ("network/caida-pfx2as/*",)
    ALIASES: ClassVar[tuple[str, ...]] = ("caida-pfx2as",)
    MODEL: ClassVar[Any] = PrefixOrigin

    def parse(self, path: Path) -> pl.DataFrame:
        rows = _fields(path, text_lines(path), "\t", ["address", "length", "origins"], 3)
        rows = rows.with_columns((pl.col("address") + "/" + pl.col("length")).alias("prefix"))
        rows = check_prefixes(path, rows, "prefix")
        asns = rows.select("line", pl.col("origins").str.replace_all("_", ",").str.split(",").alias("asn"))
        asns = asns.explode("asn")
        check_asn(path, asns, "asn")
        return rows.select("prefix", "origins")
