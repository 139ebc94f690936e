"""Lists derived from the registries' files, for the registries whose official file is not loaded.

Three kinds, each a source of its own with its own provenance and date, stored as delegation records
(:class:`observatory.network.models.Delegation`) beside the official files':

- **Per-registry lists** (``rir_lists``): one registry's AS numbers, or IPv4 blocks, per country, as
  extracted from its delegated-extended file (``juerson_<rir>_asn_by_country_YYYY-MM.csv``:
  ``RIR,Country Code,ASN Number,Allocated Date``; ``juerson_<rir>_ipv4_by_country_YYYY-MM.csv``:
  ``RIR,Network,Country Code,Host Number,Allocated Date``). Dated the first of the month in the name.
- **Country prefix lists** (``country_ip_blocks``, ipverse): every country's IPv4 and IPv6 prefixes from
  the five registries together, adjacent ones merged (``country/<cc>/aggregated.json`` in a tar
  archive). No registry and no delegation date: they give the address space of each country on their
  date, not the number of delegations.
- **AS number → country** (``nro_asn_countries``): the Internet Health Report's reading of the NRO's
  combined file (``asn,count,cc``); an AS number it places in several countries is left out and counted.

How they combine with the official files is :mod:`observatory.network.compute`'s rule (docs/network.md,
"Coverage").
"""

from __future__ import annotations

import json
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy.orm import Session

from observatory.i18n import N_
from observatory.network.common import header_date, read_csv, stem, with_country, write_snapshot
from observatory.network.compute import REGISTRY_FIGURES, RIRS, refresh_network
from observatory.network.models import Delegation
from observatory.sources import TABLE_LIMIT_MB, LoadResult, Source, SourceError, SourceLoad, input_limit, open_binary

COLUMNS = ("rir", "country", "is_country", "kind", "start", "value", "delegated", "status", "holder")
ALL_REGISTRIES = "all"  # the ``rir`` of records that come from the five registries together
NRO = "nro"  # the ``rir`` of the AS number → country records
LISTED = "listed"  # the ``status`` of derived records: the lists keep allocated and assigned alike


@dataclass
class Records:
    """Delegation records read from one derived file, its edition and date, and what was left out."""

    edition: str
    data_date: Any
    records: pl.DataFrame
    skipped: dict[str, int] = field(default_factory=dict)


class DerivedRegistryList(Source[Records]):
    """What the three derived sources share: their records are delegation records (written as one snapshot
    per file), dated by the file, and their loads change the registry figures, recomputed once after them
    all (:data:`observatory.network.compute.REGISTRY_FIGURES`). Each says only how it parses its files."""

    RECOMPUTES: ClassVar[str] = REGISTRY_FIGURES

    @classmethod
    def recompute(cls, session: Session) -> list[str]:
        """The registry indicators and those joining the registries with IXP membership."""
        return refresh_network(session, registry=True)

    def describe(self, path: Path, parsed: Records) -> dict[str, Any]:
        return {"edition": parsed.edition, "data_date": parsed.data_date}

    def load(self, session: Session, parsed: Records, load: SourceLoad) -> LoadResult:
        rows = write_snapshot(session, Delegation, parsed.records, load)
        return LoadResult(load.id, self.NAME, rows, load.edition, load.data_date, parsed.skipped)


def _finish(records: pl.DataFrame) -> pl.DataFrame:
    # No country (an empty code) is the registries' "ZZ", as in their own files.
    records = records.with_columns(pl.col("cc").fill_null("").str.strip_chars().replace("", "ZZ"))
    return with_country(records, "cc").select(COLUMNS)


def _dates(column: str) -> pl.Expr:
    # "00000000" (no date known) is null: such a record counts on every date.
    return pl.col(column).str.strip_chars().str.to_date("%Y%m%d", strict=False).alias("delegated")


def _registry(path: Path, table: pl.DataFrame) -> str:
    found = table.get_column("RIR").str.strip_chars().str.to_lowercase().unique().to_list()
    bad = [r for r in found if r not in RIRS]
    if bad or len(found) > 1:
        raise SourceError(path, f"one registry expected ({', '.join(RIRS)}), the file names {', '.join(found)}")
    return str(found[0]) if found else ""


def parse_list(path: Path) -> Records:
    """One per-registry list of AS numbers or IPv4 blocks by country."""
    table = read_csv(path)
    asn_columns = {"RIR", "Country Code", "ASN Number", "Allocated Date"}
    v4_columns = {"RIR", "Network", "Country Code", "Host Number", "Allocated Date"}
    skipped: dict[str, int] = {}
    if asn_columns <= set(table.columns):
        kind = "asn"
        number = pl.col("ASN Number").str.strip_chars().str.to_uppercase().str.strip_prefix("AS")
        table = table.with_columns(number.str.to_integer(strict=False).alias("n"))
        bad = table.filter(pl.col("n").is_null() | (pl.col("n") < 0) | (pl.col("n") > 4_294_967_295))
        if bad.height:
            row = bad.row(0, named=True)
            raise SourceError(path, f"AS number {row['ASN Number']!r} does not parse", line=row["line"])
        records = table.select(
            pl.col("RIR").str.strip_chars().str.to_lowercase().alias("rir"),
            pl.col("Country Code").alias("cc"),
            pl.lit(kind).alias("kind"),
            pl.col("n").cast(pl.String).alias("start"),
            pl.lit(1, pl.Int64).alias("value"),
            _dates("Allocated Date"),
        )
    elif v4_columns <= set(table.columns):
        kind = "ipv4"
        # The lists also carry the registry's IPv6 lines, rewritten into a form that is no prefix
        # ("2001:4200::/123" with 32 "hosts"): they are left out, and counted.
        v6 = pl.col("Network").str.contains(":")
        skipped = {"IPv6 lines (not in a form that can be read as a prefix)": table.filter(v6).height}
        table = table.filter(~v6).with_columns(
            pl.col("Network").str.strip_chars().str.extract(r"^(\d{1,3}(?:\.\d{1,3}){3})/\d{1,2}$").alias("start"),
            pl.col("Host Number").str.strip_chars().str.to_integer(strict=False).alias("value"),
        )
        bad = table.filter(pl.col("start").is_null() | pl.col("value").is_null() | (pl.col("value") <= 0))
        if bad.height:
            row = bad.row(0, named=True)
            raise SourceError(
                path, f"block {row['Network']!r} with {row['Host Number']!r} addresses does not parse", line=row["line"]
            )
        records = table.select(
            pl.col("RIR").str.strip_chars().str.to_lowercase().alias("rir"),
            pl.col("Country Code").alias("cc"),
            pl.lit(kind).alias("kind"),
            "start",
            "value",
            _dates("Allocated Date"),
        )
    else:
        raise SourceError(
            path,
            "not a per-country list: the header must be RIR,Country Code,ASN Number,Allocated Date "
            "or RIR,Network,Country Code,Host Number,Allocated Date",
            line=1,
        )
    registry = _registry(path, table)
    records = records.with_columns(pl.lit(LISTED).alias("status"), pl.lit(None, pl.String).alias("holder"))
    edition = f"{registry}-{kind}-{stem(path).rsplit('_', 1)[-1]}"
    return Records(edition, header_date(path), _finish(records), {k: v for k, v in skipped.items() if v})


class RirLists(DerivedRegistryList):
    """Per-registry lists of AS numbers and IPv4 blocks by country, derived from the delegated-extended files."""

    NAME: ClassVar[str] = "rir_lists"
    ORG: ClassVar[str] = "juerson/rir_ipaddress_and_asn_rust (from the RIRs' delegated-extended files)"
    DATASET: ClassVar[str] = "AS numbers and IPv4 blocks by country, per registry"
    URL: ClassVar[str] = (
        "https://raw.githubusercontent.com/juerson/rir_ipaddress_and_asn_rust/main/"
        "delegated-ripencc-extended-latest_output(ASN).csv"
    )
    INFO_URL: ClassVar[str] = "https://github.com/juerson/rir_ipaddress_and_asn_rust"
    LICENCE: ClassVar[str] = "No licence stated; the underlying RIR statistics are public"
    LABEL: ClassVar[str] = N_("Registries' lists by country (derived)")
    FEEDS: ClassVar[str] = "routing: the country of AS numbers whose registry's official file is not loaded"
    FILES: ClassVar[tuple[str, ...]] = ("network/rir/juerson_*_by_country_*",)

    def parse(self, path: Path) -> Records:
        return parse_list(path)


MEMBER = re.compile(r"(?:^|/)country/([a-z]{2})/aggregated\.json$")
MEMBER_LIMIT = 64 << 20  # the largest country's file is a few MB


def parse_blocks(path: Path) -> Records:
    """Every country's aggregated prefixes from an archive of ``country/<cc>/aggregated.json`` files.

    The archive is read as a stream (nothing is written to disk, member names are only matched), within
    the input limit; a member that is not the JSON the format says is an error naming it."""
    parts: list[pl.DataFrame] = []
    skipped: dict[str, int] = {}
    try:
        with open_binary(path, limit=input_limit(TABLE_LIMIT_MB)) as raw, tarfile.open(fileobj=raw, mode="r|") as tar:
            for member in tar:
                found = MEMBER.search(member.name)
                if not member.isfile() or not found:
                    continue
                if member.size > MEMBER_LIMIT:
                    raise SourceError(path, f"{member.name} holds more than {MEMBER_LIMIT >> 20} MiB")
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                parts.append(_country_blocks(path, member.name, found[1], handle.read()))
    except tarfile.TarError as e:
        raise SourceError(path, f"not a tar archive of country prefix lists: {e}") from None
    if not parts:
        raise SourceError(path, "no country/<cc>/aggregated.json file in the archive")
    records = pl.concat(parts).with_columns(
        pl.lit(ALL_REGISTRIES).alias("rir"),
        pl.lit(None, pl.Date).alias("delegated"),
        pl.lit(LISTED).alias("status"),
        pl.lit(None, pl.String).alias("holder"),
    )
    unknown = records.filter(pl.col("cc").str.to_uppercase() == "ZZ").height
    if unknown:
        skipped["prefixes of no country"] = unknown
    return Records(stem(path).removesuffix(".tar"), header_date(path), _finish(records), skipped)


def _country_blocks(path: Path, name: str, cc: str, data: bytes) -> pl.DataFrame:
    try:
        document = json.loads(data)
        prefixes = document["prefixes"]
        v4 = [str(p) for p in prefixes.get("ipv4", [])]
        v6 = [str(p) for p in prefixes.get("ipv6", [])]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError) as e:
        raise SourceError(path, f"{name} is not a country prefix list: {e}") from None
    rows = []
    for kind, prefixes_of in (("ipv4", v4), ("ipv6", v6)):
        for prefix in prefixes_of:
            start, _, length = prefix.partition("/")
            if not length.isdigit() or int(length) > (32 if kind == "ipv4" else 128):
                raise SourceError(path, f"{name}: prefix {prefix!r} does not parse")
            bits = int(length)
            rows.append((cc.upper(), kind, start, (1 << (32 - bits)) if kind == "ipv4" else bits))
    return pl.DataFrame(
        rows, schema={"cc": pl.String, "kind": pl.String, "start": pl.String, "value": pl.Int64}, orient="row"
    )


class CountryIpBlocks(DerivedRegistryList):
    """Each country's IPv4 and IPv6 prefixes from the five registries' files together (ipverse)."""

    NAME: ClassVar[str] = "country_ip_blocks"
    ORG: ClassVar[str] = "ipverse (from the five RIRs' delegated files)"
    DATASET: ClassVar[str] = "Country IP blocks, aggregated"
    URL: ClassVar[str] = "https://github.com/ipverse/rir-ip/archive/refs/heads/master.tar.gz"
    INFO_URL: ClassVar[str] = "https://github.com/ipverse/rir-ip"
    LICENCE: ClassVar[str] = "CC0 1.0"
    LABEL: ClassVar[str] = N_("Country IP blocks (ipverse, derived)")
    FILES: ClassVar[tuple[str, ...]] = ("network/rir/ipverse_country-ip-blocks_aggregated_*.tar*",)

    def parse(self, path: Path) -> Records:
        return parse_blocks(path)


def parse_nro(path: Path) -> Records:
    """AS number → country (``asn,count,cc``, several countries separated by ``;``)."""
    table = read_csv(path)
    if not {"asn", "cc"} <= set(table.columns):
        raise SourceError(path, "not an AS number → country file: the header must have asn and cc", line=1)
    table = table.with_columns(pl.col("asn").str.strip_chars().str.to_integer(strict=False).alias("n"))
    bad = table.filter(pl.col("n").is_null() | (pl.col("n") < 0) | (pl.col("n") > 4_294_967_295))
    if bad.height:
        row = bad.row(0, named=True)
        raise SourceError(path, f"AS number {row['asn']!r} does not parse", line=row["line"])
    several = pl.col("cc").str.contains(";")
    skipped = {"AS numbers placed in several countries": table.filter(several).height}
    records = table.filter(~several).select(
        pl.lit(NRO).alias("rir"),
        pl.col("cc").str.strip_chars().alias("cc"),
        pl.lit("asn").alias("kind"),
        pl.col("n").cast(pl.String).alias("start"),
        pl.lit(1, pl.Int64).alias("value"),
        pl.lit(None, pl.Date).alias("delegated"),
        pl.lit(LISTED).alias("status"),
        pl.lit(None, pl.String).alias("holder"),
    )
    return Records(stem(path), header_date(path), _finish(records), {k: v for k, v in skipped.items() if v})


class NroAsnCountries(DerivedRegistryList):
    """The country of every AS number in the NRO's combined delegation file, as the IHR read it."""

    NAME: ClassVar[str] = "nro_asn_countries"
    ORG: ClassVar[str] = "Internet Health Report (from the NRO's combined delegation statistics)"
    DATASET: ClassVar[str] = "AS number to country (asn-cc-best)"
    URL: ClassVar[str] = (
        "https://raw.githubusercontent.com/InternetHealthReport/ixp-dependency/main/stats/nro/asn-cc-best.csv"
    )
    INFO_URL: ClassVar[str] = "https://github.com/InternetHealthReport/ixp-dependency"
    LICENCE: ClassVar[str] = "MIT (repository); NRO statistics are public"
    LABEL: ClassVar[str] = N_("AS numbers by country (NRO, as read by the Internet Health Report)")
    FEEDS: ClassVar[str] = "routing and IXP figures: the country of AS numbers no loaded registry file places"
    FILES: ClassVar[tuple[str, ...]] = ("network/rir/ihr_nro_asn-cc-best_*",)

    def parse(self, path: Path) -> Records:
        return parse_nro(path)
