"""RIR statistics exchange format (``delegated-<rir>[-extended]-YYYYMMDD``), all five registries.

Layout (NRO "RIR Statistics Exchange Format"): ``#`` comment lines; a version line
``version|registry|serial|records|startdate|enddate|UTCoffset``; summary lines
``registry|*|type|*|count|summary``; then records ``registry|cc|type|start|value|date|status`` and, in
extended files, ``|opaque-id`` (one id per resource holder) and optional extensions. ``value`` counts
addresses for ipv4, is a prefix length for ipv6, and counts AS numbers for asn.

The summary counts and the version line's record count are checked against the records: a file
cut short or edited disagrees and is refused. Only ``allocated`` and ``assigned`` records are stored
(they are the delegations); ``available`` and ``reserved`` lines are counted and reported as skipped.

The file is read in pieces of whole lines (:func:`observatory.network.common.text_lines`): only the
kept lines are held, a line longer than 1 MiB (a file of zeros has no line break at all) or a file
decompressing to more than :data:`RIR_LIMIT_MB` MiB is a :class:`SourceError` naming the file.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy.orm import Session

from observatory.i18n import N_
from observatory.network.common import IPV6, MAX_ASN, text_lines, with_country, write_snapshot
from observatory.network.compute import REGISTRY_FIGURES, refresh_network
from observatory.network.models import Delegation
from observatory.sources import TABLE_LIMIT_MB, LoadResult, Progress, Source, SourceError, SourceLoad, input_limit

KINDS = ("asn", "ipv4", "ipv6")
DELEGATED = ("allocated", "assigned")
STATUSES = (*DELEGATED, "available", "reserved")
# Most MiB a delegated file may decompress to (OBSERVATORY_MAX_INPUT_MB replaces it): the largest
# registry's extended file is about 25 MB.
RIR_LIMIT_MB = TABLE_LIMIT_MB
# Canonical public addresses of the newest extended file of each registry.
LATEST = {
    "afrinic": "https://ftp.afrinic.net/pub/stats/afrinic/delegated-afrinic-extended-latest",
    "apnic": "https://ftp.apnic.net/stats/apnic/delegated-apnic-extended-latest",
    "arin": "https://ftp.arin.net/pub/stats/arin/delegated-arin-extended-latest",
    "lacnic": "https://ftp.lacnic.net/pub/stats/lacnic/delegated-lacnic-extended-latest",
    "ripencc": "https://ftp.ripe.net/pub/stats/ripencc/delegated-ripencc-extended-latest",
}


@dataclass
class RirFile:
    registry: str
    serial: str
    extended: bool
    data_date: dt.date | None
    records: pl.DataFrame  # allocated/assigned only
    skipped: dict[str, int]


def _field(i: int) -> pl.Expr:
    return pl.col("fields").list.get(i, null_on_oob=True)


def _fail(path: Path, bad: pl.DataFrame, message: str) -> None:
    if bad.height:
        row = bad.row(0, named=True)
        raise SourceError(path, message.format(**row), line=row["line"])


def parse_rir(path: Path) -> RirFile:
    """Parse one delegated file completely (columnar); raise :class:`SourceError` naming the line."""
    lines = text_lines(path, limit=input_limit(RIR_LIMIT_MB))
    lines = lines.with_columns(pl.col("text").str.strip_chars_end("\r"))
    if lines.height == 0:
        raise SourceError(path, "no version line: not an RIR statistics file")
    lines = lines.with_columns(pl.col("text").str.split("|").alias("fields"))
    version = lines.row(0, named=True)
    head = version["fields"]
    if len(head) < 7 or not head[0].replace(".", "").isdigit():
        raise SourceError(
            path, "the first line is not a version line (version|registry|serial|records|…)", line=version["line"]
        )
    registry, serial = head[1].lower(), head[2]
    try:
        declared = int(head[3])
    except ValueError:
        raise SourceError(path, f"record count {head[3]!r} is not a number", line=version["line"]) from None
    body = lines.slice(1)
    is_summary = (pl.col("fields").list.len() >= 6) & (_field(5) == "summary")
    summary = body.filter(is_summary)
    records = body.filter(~is_summary)
    _fail(
        path,
        records.filter(pl.col("fields").list.len() < 7),
        "a record needs at least 7 fields (registry|cc|type|start|value|date|status): {text!r}",
    )
    records = records.select(
        "line",
        _field(0).str.to_lowercase().alias("rir"),
        _field(1).alias("cc"),
        _field(2).str.to_lowercase().alias("kind"),
        _field(3).alias("start"),
        _field(4).alias("value_text"),
        _field(5).alias("date_text"),
        _field(6).str.to_lowercase().str.strip_chars().alias("status"),
        _field(7).replace("", None).alias("holder"),
    )
    _fail(path, records.filter(~pl.col("kind").is_in(KINDS)), "unknown resource type {kind!r}")
    _fail(path, records.filter(~pl.col("status").is_in(STATUSES)), "unknown status {status!r}")
    records = records.with_columns(pl.col("value_text").str.to_integer(strict=False).alias("value"))
    _fail(
        path, records.filter(pl.col("value").is_null() | (pl.col("value") < 0)), "value {value_text!r} is not a count"
    )
    _check_summary(path, summary, records, declared, version["line"])
    _check_resources(path, records)
    records = records.with_columns(
        pl.col("date_text").str.to_date("%Y%m%d", strict=False).alias("delegated"),
        pl.col("cc").replace("", "ZZ"),
    )
    counts = records.get_column("status").value_counts()
    skipped = {s: int(n) for s, n in counts.iter_rows() if s not in DELEGATED}
    kept = with_country(records.filter(pl.col("status").is_in(DELEGATED)), "cc")
    extended = records.get_column("holder").is_not_null().any()
    data_date = _date(serial) or _date(head[5])
    return RirFile(
        registry,
        serial,
        bool(extended),
        data_date,
        kept.select("rir", "country", "is_country", "kind", "start", "value", "delegated", "status", "holder"),
        skipped,
    )


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def _check_summary(path: Path, summary: pl.DataFrame, records: pl.DataFrame, declared: int, version_line: int) -> None:
    actual = dict(records.group_by("kind").len().iter_rows())
    for row in summary.iter_rows(named=True):
        kind, count = row["fields"][2].lower(), row["fields"][4]
        if not count.isdigit():
            raise SourceError(path, f"summary count {count!r} is not a number", line=row["line"])
        if int(count) != actual.get(kind, 0):
            raise SourceError(
                path, f"summary says {count} {kind} records, the file has {actual.get(kind, 0)}", line=row["line"]
            )
    if declared != records.height:
        raise SourceError(
            path, f"version line says {declared} records, the file has {records.height}", line=version_line
        )


def _check_resources(path: Path, records: pl.DataFrame) -> None:
    asn = records.filter(pl.col("kind") == "asn").with_columns(pl.col("start").str.to_integer(strict=False).alias("n"))
    _fail(
        path,
        asn.filter(pl.col("n").is_null() | (pl.col("n") < 0) | (pl.col("n") + pl.col("value") - 1 > MAX_ASN)),
        "AS number range {start}+{value_text} is outside 0–4294967295",
    )
    octets = pl.col("start").str.split(".")
    v4 = records.filter(pl.col("kind") == "ipv4").with_columns(
        (
            pl.col("start").str.contains(r"^\d{1,3}(\.\d{1,3}){3}$")
            & (octets.list.eval(pl.element().cast(pl.Int64, strict=False)).list.max() <= 255)
        ).alias("ok")
    )
    _fail(path, v4.filter(~pl.col("ok").fill_null(False)), "IPv4 address {start!r} does not parse")
    v6 = records.filter(pl.col("kind") == "ipv6")
    _fail(path, v6.filter(pl.col("value") > 128), "IPv6 prefix length {value_text} is over 128")
    odd = v6.filter(~pl.col("start").str.to_lowercase().str.contains(f"^{IPV6}$"))
    for start in odd.get_column("start").unique().to_list():  # rare forms: let ipaddress judge
        try:
            ipaddress.IPv6Address(start)
        except ValueError:
            _fail(path, v6.filter(pl.col("start") == start), "IPv6 address {start!r} does not parse")


class RirDelegated(Source[RirFile]):
    """Delegation statistics of one RIR (the registry is read from the file's version line)."""

    NAME: ClassVar[str] = "rir_delegated"
    ORG: ClassVar[str] = "Regional Internet Registries (AFRINIC, APNIC, ARIN, LACNIC, RIPE NCC)"
    DATASET: ClassVar[str] = "RIR statistics exchange format (delegated, delegated-extended)"
    URL: ClassVar[str] = LATEST["afrinic"]
    INFO_URL: ClassVar[str] = "https://www.nro.net/about/rirs/statistics/"
    LICENCE: ClassVar[str] = "Public statistics of the RIRs (NRO), free to use"
    LABEL: ClassVar[str] = N_("Regional Internet registries")
    FEEDS: ClassVar[str] = "routing: the country of every AS number (asn_countries)"
    FILES: ClassVar[tuple[str, ...]] = ("network/rir/delegated-*",)
    ALIASES: ClassVar[tuple[str, ...]] = ("rir",)

    def __init__(self, edition: str | None = None, registry: str = "afrinic") -> None:
        super().__init__(edition)
        self.registry = registry

    RECOMPUTES: ClassVar[str] = REGISTRY_FIGURES

    @classmethod
    def recompute(cls, session: Session) -> list[str]:
        """The registry indicators (history and file dates) and those joining the registry with IXP
        membership, for every IXP snapshot."""
        return refresh_network(session, registry=True)

    def fetch(self, location: str | Path | None = None, *, progress: Progress | None = None) -> Path:
        return super().fetch(location if location is not None else LATEST[self.registry], progress=progress)

    def parse(self, path: Path) -> RirFile:
        return parse_rir(path)

    def describe(self, path: Path, parsed: RirFile) -> dict[str, Any]:
        kind = "-extended" if parsed.extended else ""
        return {"edition": f"{parsed.registry}{kind}-{parsed.serial}", "data_date": parsed.data_date}

    def load(self, session: Session, parsed: RirFile, load: SourceLoad) -> LoadResult:
        rows = write_snapshot(session, Delegation, parsed.records, load)
        return LoadResult(load.id, self.NAME, rows, load.edition, load.data_date, parsed.skipped)
