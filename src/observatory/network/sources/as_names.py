"""Names, countries and kinds of AS: what the loaded files say about each network, and one answer to "what is
known about AS n".

One source, several kinds of file (told apart by their first line, whatever their name):

- **IHR's AS classification** (``classifiedAS.txt`` of the Internet Health Report's country hegemony code,
  lines ``asn class country``; the class may hold a ``/``, e.g. ``Transit/Access``): a category and a country,
  no name; ``ZZ`` is IHR's "unknown" and kept as written.
- **AFRINIC Labs' AS relationships** (CSV derived from CAIDA's, columns ``provider``, ``provider_cc``,
  ``provider_name``, ``customer``, ``customer_cc``, ``customer_name``, and in later files ``*_type``): the
  handle and country of both ends of each link.
- **CAIDA's CTI results** (``combined_joint_cti_hegemony.csv``, column ``asn`` written ``174-Cogent…``): the
  organisation's name, cut at 40 characters by CAIDA.
- **APNIC Labs' AS population estimates** (``asn,name,cc,users,…``): the name APNIC shows, and the country
  where the AS serves the most users.

Each file is one snapshot (edition ``kind:file name``), replaced when the same file is loaded again.
Registry holders of the RIR files are opaque identifiers, not names: they are never shown as names.

:func:`known` answers for a set of AS numbers: a name (from the newest snapshot that names it), a country
(the registry's, else the newest source's), a category (IHR's, else AFRINIC Labs'), and what each source said.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy import BigInteger, case, cast, or_, select
from sqlalchemy.orm import Session

from observatory.i18n import N_
from observatory.network.common import TableSource, check_asn, read_csv, stem, text_lines, with_country
from observatory.network.models import AsName, Delegation, Ixp, IxpMember
from observatory.network.service import asn_countries
from observatory.reference import countries
from observatory.sources import SourceError, SourceLoad, line_chunks

NAME = "as_names"
IHR_CLASSES = "ihr"
ASREL = "asrel"
CTI = "cti"
APNIC = "apnic"
# Each kind of file as readers know its publisher (translated with the catalogs).
KIND_LABELS = {
    IHR_CLASSES: N_("Internet Health Report (AS classification)"),
    ASREL: N_("AFRINIC Labs (CAIDA AS relationships)"),
    CTI: N_("CAIDA (Country-level Transit Influence)"),
    APNIC: N_("APNIC Labs (AS population estimates)"),
}
# Dates of files whose names state none (the data folder's MANIFEST): IHR's classification was committed on
# 2019-11-19; CAIDA's CTI results are of March 2020.
KNOWN_DATES = {
    "ihr_country-as-hegemony_classifiedAS_2019": dt.date(2019, 11, 19),
    "caida-cti_combined_joint_cti_hegemony": dt.date(2020, 3, 1),
    "combined_joint_cti_hegemony": dt.date(2020, 3, 1),
}
# Which source's name is shown when several name an AS: an organisation's name (CAIDA's CTI results) reads best,
# then the AS handle of the relationships, then APNIC's (often cut short: "Airtel-").
NAME_ORDER = (CTI, ASREL, APNIC, IHR_CLASSES)
SCHEMA = {"asn": pl.Int64, "name": pl.String, "country": pl.String, "category": pl.String}
BATCH = 5_000  # AS numbers per query
FEW = 50  # up to this many AS numbers, their registry records are looked up; more: the registry is read whole


def _first_line(path: Path) -> str:
    for chunk in line_chunks(path, size=1 << 16):
        for raw in chunk.data.decode("utf-8", errors="replace").split("\n"):
            if raw.strip() and not raw.startswith("#"):
                return raw.strip().lower()
    return ""


def kind_of(path: Path) -> str:
    """Which kind of AS-name file ``path`` is, from its first line; :class:`SourceError` when none."""
    first = _first_line(path)
    columns = {c.strip().strip('"') for c in first.split(",")}
    if {"provider", "customer"} <= columns:
        return ASREL
    if {"asn", "name", "cc"} <= columns:
        return APNIC
    if {"asn", "cti"} <= columns:
        return CTI
    fields = first.split()
    if len(fields) >= 3 and fields[0].isdigit() and "," not in first:
        return IHR_CLASSES
    raise SourceError(
        path,
        "not a file of AS names: expected IHR's classification (asn class country), AFRINIC Labs' AS "
        "relationships, CAIDA's CTI results or APNIC's AS population estimates",
        line=1,
    )


def _mojibake(text: str) -> str:
    """UTF-8 read once as Latin-1 ("TelefÃ³nica") read back as UTF-8 ("Telefónica"); any other text as it is."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _repaired(expr: pl.Expr) -> pl.Expr:
    # CAIDA's CTI file holds some names decoded twice (19 of them, Latin American operators' mostly): only
    # those with the tell-tale "Ã" or "Â" are looked at, and a name that does not decode stays as written.
    return (
        pl.when(expr.str.contains("[ÃÂ]"))
        .then(expr.map_elements(_mojibake, return_dtype=pl.String, skip_nulls=True))
        .otherwise(expr)
    )


def _clean(expr: pl.Expr) -> pl.Expr:
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


class AsNames(TableSource):
    """Names, countries and kinds of AS, from IHR, AFRINIC Labs, CAIDA and APNIC files."""

    NAME: ClassVar[str] = NAME
    ORG: ClassVar[str] = "Internet Health Report; AFRINIC Labs; CAIDA (UC San Diego); APNIC Labs"
    DATASET: ClassVar[str] = "AS names, countries and categories"
    URL: ClassVar[str] = "https://github.com/InternetHealthReport/country-as-hegemony/raw/master/classifiedAS.txt"
    INFO_URL: ClassVar[str] = "https://github.com/InternetHealthReport/country-as-hegemony"
    LICENCE: ClassVar[str] = (
        "IHR code and data: GPL-3.0; AFRINIC Labs and CAIDA CTI: CAIDA's academic-use terms; APNIC Labs: free "
        "to use with attribution"
    )
    LABEL: ClassVar[str] = N_("AS names (Internet Health Report, AFRINIC Labs, CAIDA, APNIC Labs)")
    FEEDS: ClassVar[str] = "routing and network pages: the name, country and category shown beside every AS number"
    FILES: ClassVar[tuple[str, ...]] = (
        "network/hegemony/ihr_country-as-hegemony_classifiedAS_*",
        "network/caida-asrel/afrinic-labs_*.csv",
        "network/transit/caida-cti_combined_joint_cti_hegemony.csv",
        "network/ipv6/apnic_aspop*",
    )
    MODEL: ClassVar[Any] = AsName

    def describe(self, path: Path, parsed: pl.DataFrame) -> dict[str, Any]:
        """Edition ``kind:file name``; the date in the file's name, else the one its data folder states."""
        name = stem(path)
        meta = super().describe(path, parsed)
        return {"edition": f"{kind_of(path)}:{name}"[:60], "data_date": meta["data_date"] or KNOWN_DATES.get(name)}

    def parse(self, path: Path) -> pl.DataFrame:
        """One row per AS the file speaks of: ``asn``, ``name``, ``country`` (alpha-3 or the file's code),
        ``category``; empty names and categories are null."""
        kind = kind_of(path)
        frame = {IHR_CLASSES: _classes, ASREL: _asrel, CTI: _cti, APNIC: _apnic}[kind](path)
        frame = with_country(frame.with_columns(_clean(pl.col("cc")).alias("cc")), "cc", flag=None)
        return frame.select(
            "asn",
            _repaired(_clean(pl.col("name"))).str.slice(0, 300).alias("name"),
            "country",
            _clean(pl.col("category")).str.slice(0, 40).alias("category"),
        ).with_columns(pl.col("name").fill_null(""), pl.col("category").fill_null(""))


def _classes(path: Path) -> pl.DataFrame:
    lines = text_lines(path)
    split = lines.with_columns(
        pl.col("text").str.strip_chars().str.split(" ").list.eval(pl.element().filter(pl.element() != "")).alias("f")
    )
    short = split.filter(pl.col("f").list.len() < 3)
    if short.height:
        row = short.row(0, named=True)
        raise SourceError(path, f"expected 'asn class country': {row['text']!r}", line=row["line"])
    frame = split.select(
        "line",
        pl.col("f").list.first().alias("asn"),
        pl.col("f").list.slice(1, pl.col("f").list.len() - 2).list.join(" ").alias("category"),
        pl.col("f").list.last().alias("cc"),
        pl.lit(None, pl.String).alias("name"),
    )
    return _one_per_as(path, check_asn(path, frame, "asn"))


def _asrel(path: Path) -> pl.DataFrame:
    table = read_csv(path, null_values=["NULL"])
    if not {"provider_name", "customer_name"} <= set(table.columns):
        raise SourceError(path, "AS relationships without provider_name and customer_name: no names to read", line=1)
    sides = []
    for side in ("provider", "customer"):
        category = pl.col(f"{side}_type") if f"{side}_type" in table.columns else pl.lit(None, pl.String)
        sides.append(
            table.select(
                "line",
                pl.col(side).alias("asn"),
                pl.col(f"{side}_name").alias("name"),
                pl.col(f"{side}_cc").alias("cc")
                if f"{side}_cc" in table.columns
                else pl.lit(None, pl.String).alias("cc"),
                category.alias("category"),
            )
        )
    frame = check_asn(path, pl.concat(sides), "asn")
    # A network appears on many lines: keep the first that names it (they agree in AFRINIC Labs' files).
    return frame.sort(_clean(pl.col("name")).is_null(), "line").unique("asn", keep="first", maintain_order=True)


def _cti(path: Path) -> pl.DataFrame:
    # Names hold quotes and may hold commas (``47394-"Albanian Satellite Communications" ,0.01778,…``): the
    # line is cut at its last two commas (the CTI and hegemony figures), not read by a CSV reader.
    lines = text_lines(path).slice(1)
    parts = lines.with_columns(
        pl.col("text").str.strip_chars_end("\r").str.replace(r",[^,]*,[^,]*$", "").str.splitn("-", 2).alias("p")
    ).select(
        "line",
        pl.col("p").struct.field("field_0").alias("asn"),
        pl.col("p").struct.field("field_1").str.strip_chars(' "').alias("name"),
        pl.lit(None, pl.String).alias("cc"),
        pl.lit(None, pl.String).alias("category"),
    )
    frame = check_asn(path, parts, "asn")
    return frame.sort(_clean(pl.col("name")).is_null(), "line").unique("asn", keep="first", maintain_order=True)


def _apnic(path: Path) -> pl.DataFrame:
    table = read_csv(path)
    table = check_asn(path, table, "asn").with_columns(pl.col("users").str.to_integer(strict=False).fill_null(0))
    # An AS serving several countries has a line in each: its country is where it serves the most users.
    return (
        table.sort(["asn", "users", "line"], descending=[False, True, False])
        .unique("asn", keep="first", maintain_order=True)
        .select("line", "asn", "name", "cc", pl.lit(None, pl.String).alias("category"))
    )


def _one_per_as(path: Path, frame: pl.DataFrame) -> pl.DataFrame:
    twice = frame.filter(pl.col("asn").is_duplicated()).sort("line")
    if twice.height:
        row = twice.row(1, named=True)
        raise SourceError(path, f"AS{row['asn']} is listed twice", line=row["line"])
    return frame


# ------------------------------------------------------------------ what is known about an AS


@dataclass
class KnownAs:
    """What the loaded sources say about one AS."""

    asn: int
    name: str | None = None
    country: str | None = None  # alpha-3 where a source gives a country, else the source's code, else None
    category: str | None = None
    registry: dict[str, Any] | None = None  # the RIR delegation: rir, country, date delegated, status, as of
    sources: list[dict[str, Any]] = field(default_factory=list)  # each source's own statement, newest first

    def as_json(self) -> dict[str, Any]:
        """The facts as the pages' JSON twins and the API answer them."""
        return {
            "asn": self.asn,
            "name": self.name,
            "country": self.country,
            "category": self.category,
            "registry": self.registry,
            "sources": self.sources,
        }

    @property
    def known(self) -> bool:
        """Whether any loaded source says anything about the AS."""
        return bool(self.sources or self.registry or self.country)


def kind_label(edition: str) -> str:
    """The publisher of a stored AS-names snapshot, from its edition (``kind:file``), as readers know it."""
    return KIND_LABELS.get(edition.split(":", 1)[0], edition)


def known(session: Session, asns: Iterable[int], *, registry: pl.DataFrame | None = None) -> dict[int, KnownAs]:
    """What is known about each AS of ``asns``: name, country, category and what each source says.

    The name is the first source of :data:`NAME_ORDER` that names it (its newest snapshot). The country is the
    registry's (``registry`` when the caller has read it with :func:`observatory.network.asn_countries`; else,
    for a few numbers, the newest loaded RIR record holding each, :func:`registry_countries`), else the newest
    source's that gives a country. The category is IHR's class, else (or when IHR says only "Other") AFRINIC
    Labs' type. Every AS asked about has an entry, empty when nothing is known."""
    wanted = sorted({int(a) for a in asns})
    out = {asn: KnownAs(asn) for asn in wanted}
    if not wanted:
        return out
    rows: list[Any] = []
    for start in range(0, len(wanted), BATCH):
        part = wanted[start : start + BATCH]
        rows.extend(
            session.execute(
                select(
                    AsName.asn,
                    AsName.name,
                    AsName.country,
                    AsName.category,
                    SourceLoad.edition,
                    SourceLoad.data_date,
                    SourceLoad.id,
                )
                .join(SourceLoad, SourceLoad.id == AsName.load_id)
                .where(AsName.asn.in_(part))
            ).all()
        )
    rows.sort(key=lambda r: (r.data_date or dt.date.min, r.id), reverse=True)
    known_countries = countries()
    for r in rows:
        entry = out[r.asn]
        entry.sources.append(
            {
                "source": kind_label(r.edition),
                "edition": r.edition,
                "date": r.data_date.isoformat() if r.data_date else None,
                "name": r.name or None,
                "country": r.country,
                "category": r.category or None,
            }
        )
    for entry in out.values():
        named = [s for s in entry.sources if s["name"]]
        if named:  # sources in NAME_ORDER, newest first within one (``sources`` is newest first already)
            entry.name = min(named, key=lambda s: NAME_ORDER.index(s["edition"].split(":", 1)[0]))["name"]
    if registry is not None:
        found = registry.filter(pl.col("asn").is_in(wanted)).unique("asn")
        where: dict[int, str] = dict(zip(found["asn"].to_list(), found["country"].to_list(), strict=True))
    elif len(wanted) > FEW:
        every = asn_countries(session)
        found = every.filter(pl.col("asn").is_in(wanted)).unique("asn")
        where = dict(zip(found["asn"].to_list(), found["country"].to_list(), strict=True))
    else:
        where = registry_countries(session, wanted)
    for asn, entry in out.items():
        stated = [s["country"] for s in entry.sources if s["country"]]
        entry.country = (
            where.get(asn) or next((c for c in stated if c in known_countries), None) or next(iter(stated), None)
        )
        by_kind = {s["edition"].split(":", 1)[0]: s["category"] for s in reversed(entry.sources) if s["category"]}
        ihr = by_kind.get(IHR_CLASSES)
        entry.category = (ihr if ihr != "Other" else None) or by_kind.get(ASREL) or ihr
    return out


def _asn_records(session: Session, asns: list[int]) -> list[Any]:
    """The ASN records of the loaded RIR files that hold one of ``asns``, newest file first (one pass over the
    records for a few numbers)."""
    d = Delegation
    # Only ASN records hold a number in ``start`` (the others an address): the CASE keeps the cast to them.
    first = case((d.kind == "asn", cast(d.start, BigInteger)), else_=None)
    return list(
        session.execute(
            select(first.label("first"), d.value, d.rir, d.country, d.delegated, d.status, SourceLoad.data_date)
            .join(SourceLoad, SourceLoad.id == d.load_id)
            .where(d.kind == "asn", or_(*((first <= asn) & (first + d.value > asn) for asn in asns)))
            .order_by(SourceLoad.data_date.desc(), SourceLoad.id.desc())
        ).all()
    )


def registry_countries(session: Session, asns: Iterable[int]) -> dict[int, str]:
    """The country (alpha-3, or the registry's own code) of each of a few AS numbers, from the newest loaded
    RIR file that holds it; numbers no loaded file holds are left out. (For many numbers, read the registry
    once with :func:`observatory.network.asn_countries` instead.)"""
    wanted = sorted(set(asns))
    out: dict[int, str] = {}
    for start in range(0, len(wanted), 50):
        part = wanted[start : start + 50]
        records = _asn_records(session, part)
        for asn in part:
            found = next((r for r in records if r.first <= asn < r.first + r.value), None)
            if found is not None:
                out[asn] = found.country
    return out


def delegation(session: Session, asn: int) -> dict[str, Any] | None:
    """The RIR record that delegated ``asn`` in the newest loaded file that holds it: registry, country,
    date delegated, status and the file's date (None when no loaded file holds it)."""
    row = next(iter(_asn_records(session, [asn])), None)
    if row is None:
        return None
    return {
        "rir": row.rir,
        "country": row.country,
        "delegated": row.delegated.isoformat() if row.delegated else None,
        "status": row.status,
        "as_of": row.data_date.isoformat() if row.data_date else None,
    }


def ixps(session: Session, asn: int) -> list[dict[str, Any]]:
    """The IXPs listing ``asn`` as a member, in the newest snapshot of each IXP source that lists it: IXP
    name, country, city, the source (its registry ``NAME``) and the snapshot's date."""
    m, x = IxpMember, Ixp
    rows = session.execute(
        select(SourceLoad.source, SourceLoad.data_date, SourceLoad.id, x.ixp_key, x.name, x.country, x.city)
        .join(m, (m.load_id == x.load_id) & (m.ixp_key == x.ixp_key))
        .join(SourceLoad, SourceLoad.id == x.load_id)
        .where(m.asn == asn)
    ).all()
    newest: dict[str, tuple[dt.date, int]] = {}
    for r in rows:
        when = (r.data_date or dt.date.min, r.id)
        newest[r.source] = max(newest.get(r.source, when), when)
    kept = [r for r in rows if (r.data_date or dt.date.min, r.id) == newest[r.source]]
    # PeeringDB's membership files name no IXP: its ids are stable, so another snapshot's name is the IXP's.
    unnamed = {r.ixp_key for r in kept if not r.name}
    names: dict[tuple[str, str], str] = {}
    if unnamed:
        for source, key, name in session.execute(
            select(SourceLoad.source, x.ixp_key, x.name)
            .join(SourceLoad, SourceLoad.id == x.load_id)
            .where(x.ixp_key.in_(unnamed), x.name != "")
            .order_by(SourceLoad.data_date)
        ):
            names[(source, key)] = name
    return [
        {
            "source": r.source,
            "date": r.data_date.isoformat() if r.data_date else None,
            "ixp_key": r.ixp_key,
            "name": r.name or names.get((r.source, r.ixp_key), ""),
            "country": r.country,
            "city": r.city,
        }
        for r in sorted(kept, key=lambda r: (r.source, r.country or "", r.name))
    ]
