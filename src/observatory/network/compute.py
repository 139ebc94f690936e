"""Indicators per country per snapshot date, computed in polars from the loaded snapshots.

An IXP or facilities snapshot computes its own indicators inside its load's transaction, so a load and
the indicators it changes commit together or not at all; what joins registry or APNIC data is
recomputed by those sources' hook (:meth:`observatory.sources.Source.recompute`, :func:`refresh_network`)
once after a batch of their files. Every row carries its source, the load it came from and the date of
the snapshot it was computed from.

How snapshots combine:

- IXP sources (CAIDA, PeeringDB, PCH): each snapshot gives the IXP indicators for its own date.
- RIR files: the registries' state on a day D takes, per registry, the earliest file dated on or
  after D (else the newest) and keeps the records delegated on or before D: delegation dates make
  history rebuildable from one file, and the closest later file misses only resources returned in
  between. Registry indicators are computed on every 31 December since 2000 and on every file's date.
- Indicators that join IXP membership with registry or APNIC data are computed for each IXP snapshot
  that knows its members, and recomputed when registry or APNIC data arrive.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from observatory.indicators import population
from observatory.network.common import insert_frame
from observatory.network.models import Delegation, Eyeballs, Facility, Ixp, IxpMember, NetworkIndicator
from observatory.reference import RIR_NAMES, rir_regions
from observatory.sources import SourceLoad

RIR = "rir_delegated"
LISTS = "rir_lists"  # per-registry lists derived from the delegated files (observatory.network.sources.rir_lists)
BLOCKS = "country_ip_blocks"  # every country's prefixes from the five registries together
NRO_ASNS = "nro_asn_countries"  # AS number → country from the NRO's combined file
REGISTRY_SOURCES = (RIR, LISTS, BLOCKS, NRO_ASNS)
REGISTRY_FIGURES = "network registry figures"  # the one recompute the registry sources share (Source.RECOMPUTES)
RIRS = ("afrinic", "apnic", "arin", "lacnic", "ripencc")
ALL, NRO = "all", "nro"
EYEBALLS = "apnic_eyeballs"
IXP_SOURCES = ("caida_ixp", "peeringdb", "peeringdb_csv", "pch")
FACILITIES = "caida_facilities"
HISTORY_FROM = 2000
log = logging.getLogger(__name__)
ACTIVE_MEMBERS = 3
INDICATOR_SCHEMA = {
    "country": pl.String,
    "code": pl.String,
    "date": pl.Date,
    "value": pl.Float64,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
}


def read_frame(session: Session, statement: Any, schema: dict[str, Any]) -> pl.DataFrame:
    """Rows of ``statement`` as a frame. Read through the driver (bound parameters, no per-row ORM
    processing): registry files are read whole on every recomputation, and that dominates its time."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = tuple(compiled.params[k] for k in compiled.positiontup or ()) if compiled.positional else compiled.params
    rows = connection.exec_driver_sql(str(compiled), params).all()
    if connection.dialect.name != "sqlite":
        return pl.DataFrame(rows, schema=schema, orient="row")
    # SQLite hands dates back as ISO text.
    text = {k: (pl.String if v == pl.Date else v) for k, v in schema.items()}
    frame = pl.DataFrame(rows, schema=text, orient="row")
    return frame.with_columns(pl.col(k).str.to_date() for k, v in schema.items() if v == pl.Date)


def _loads(session: Session, source: str, table: Any) -> list[SourceLoad]:
    """Loads of ``source`` that still hold rows in ``table`` (a replaced load holds none), oldest first."""
    live = select(table.load_id).distinct()
    stmt = select(SourceLoad).where(SourceLoad.source == source, SourceLoad.id.in_(live))
    return sorted(session.scalars(stmt), key=lambda x: (x.data_date or dt.date.min, x.id))


def _date_of(load: SourceLoad) -> dt.date:
    return load.data_date or load.loaded_at.date()


@dataclass(frozen=True)
class RegistryFile:
    """One loaded file of registry data: whose (a registry of :data:`RIRS`, ``all`` for lists of the five
    together, ``nro`` for the AS number → country file), the kinds of record it holds (``holders``: it
    names resource holders, as extended files do), and whether it is a registry's official file."""

    load: SourceLoad
    registry: str
    kinds: frozenset[str]
    official: bool

    @property
    def date(self) -> dt.date:
        return _date_of(self.load)


def registry_file(load: SourceLoad) -> RegistryFile:
    """What a load of one of :data:`REGISTRY_SOURCES` holds, read from its source and edition."""
    head = load.edition.split("-")
    if load.source == RIR:
        kinds = {"asn", "ipv4", "ipv6"} | ({"holders"} if "extended" in head else set())
        return RegistryFile(load, head[0], frozenset(kinds), True)
    if load.source == LISTS:
        return RegistryFile(load, head[0], frozenset(head[1:2]), False)
    if load.source == BLOCKS:
        return RegistryFile(load, ALL, frozenset({"ipv4", "ipv6"}), False)
    return RegistryFile(load, NRO, frozenset({"asn"}), False)


def registry_files(session: Session) -> list[RegistryFile]:
    """Every loaded file of registry data, oldest first."""
    loads = [x for source in REGISTRY_SOURCES for x in _loads(session, source, Delegation)]
    return [registry_file(x) for x in sorted(loads, key=lambda x: (_date_of(x), x.id))]


def latest_before(files: Sequence[RegistryFile], registry: str, kind: str, on: dt.date) -> RegistryFile | None:
    """``registry``'s newest file holding ``kind`` records dated before ``on`` (official first at equal dates)."""
    found = [f for f in files if f.registry == registry and kind in f.kinds and f.date < on]
    return max(found, key=lambda f: (f.date, f.official, f.load.id)) if found else None


def choose(files: Sequence[RegistryFile], registry: str, kind: str, on: dt.date) -> RegistryFile | None:
    """The file that tells ``registry``'s ``kind`` records on ``on``: the earliest dated on or after it (read
    by delegation date, it misses only what was returned in between); at equal dates the official file.
    None when no file of the registry is that recent: its state on ``on`` is not known."""
    found = [f for f in files if f.registry == registry and kind in f.kinds and f.date >= on]
    return min(found, key=lambda f: (f.date, not f.official, -f.load.id)) if found else None


DELEGATION_SCHEMA = {
    "load_id": pl.Int64,
    "rir": pl.String,
    "country": pl.String,
    "kind": pl.String,
    "start": pl.String,
    "value": pl.Int64,
    "delegated": pl.Date,
    "holder": pl.String,
}


def _delegations(session: Session, load_ids: Sequence[int], kind: str | None = None) -> pl.DataFrame:
    d = Delegation
    stmt = select(d.load_id, d.rir, d.country, d.kind, d.start, d.value, d.delegated, d.holder).where(
        d.load_id.in_(load_ids)
    )
    if kind:
        stmt = stmt.where(d.kind == kind)
    return read_frame(session, stmt, DELEGATION_SCHEMA)


def _as_of(frame: pl.DataFrame, on: dt.date | None) -> pl.DataFrame:
    if on is None:
        return frame
    return frame.filter(pl.col("delegated").is_null() | (pl.col("delegated") <= on))


def expand_asns(delegations: pl.DataFrame) -> pl.DataFrame:
    """One row per AS number from ``asn`` delegation records (a record covers ``value`` numbers)."""
    asn = delegations.filter(pl.col("kind") == "asn").with_columns(pl.col("start").cast(pl.Int64).alias("first"))
    return (
        asn.select(pl.int_ranges("first", pl.col("first") + pl.col("value")).alias("asn"), "country")
        .explode("asn")
        .drop_nulls("asn")
        .unique("asn", keep="first", maintain_order=True)
        .select(pl.col("asn").cast(pl.Int64), "country")
    )


def rir_asn_countries(
    session: Session, on: dt.date | None, registry: tuple[list[SourceLoad], pl.DataFrame] | None = None
) -> pl.DataFrame:
    """ASN → country from the registry state on ``on`` (see :func:`observatory.network.asn_countries`).

    Per registry, the file :func:`choose` picks (else its newest: a country changes rarely, and a lookup
    is better stale than empty); AS numbers none of them holds take the NRO file's country.
    ``registry`` (the registry loads and their AS number records, already read) spares reading them again."""
    if registry is None:
        # Pages ask for it on every request: kept per date and set of loaded files (a load makes new ids,
        # so a change of the data is a new key), the last few only.
        files = registry_files(session)
        key = (on, tuple(sorted(f.load.id for f in files)), str(session.connection().engine.url))
        cached = _ASN_COUNTRIES.get(key)
        if cached is None:
            cached = _asn_countries(session, on, [f.load for f in files], None)
            _ASN_COUNTRIES[key] = cached
            while len(_ASN_COUNTRIES) > 8:
                _ASN_COUNTRIES.pop(next(iter(_ASN_COUNTRIES)))
        return cached
    return _asn_countries(session, on, *registry)


_ASN_COUNTRIES: dict[tuple[Any, ...], pl.DataFrame] = {}


def _asn_countries(
    session: Session, on: dt.date | None, loads: list[SourceLoad] | None, frame: pl.DataFrame | None
) -> pl.DataFrame:
    files = [registry_file(x) for x in loads] if loads is not None else registry_files(session)
    chosen: list[RegistryFile] = []
    for name in RIRS:
        own = [f for f in files if f.registry == name and "asn" in f.kinds]
        pick = choose(own, name, "asn", on) if on is not None else None
        if pick is None and own:
            pick = max(own, key=lambda f: (f.date, f.official, f.load.id))
        if pick is not None:
            chosen.append(pick)
    chosen += (
        [max([f for f in files if f.registry == NRO], key=lambda f: (f.date, f.load.id))]
        if any(f.registry == NRO for f in files)
        else []
    )
    if not chosen:
        return pl.DataFrame(schema={"asn": pl.Int64, "country": pl.String})
    ids = [f.load.id for f in chosen]
    if frame is None:
        frame = _delegations(session, ids, "asn")
    state = _as_of(frame.filter(pl.col("load_id").is_in(ids)), on)
    # The registries' own records first, then the NRO file's for the numbers they do not hold.
    order = {f.load.id: (f.registry == NRO) for f in chosen}
    state = state.with_columns(pl.col("load_id").replace_strict(order, return_dtype=pl.Boolean).alias("_nro"))
    return expand_asns(state.sort("_nro", maintain_order=True))


def eyeball_frame(session: Session, on: dt.date | None = None) -> pl.DataFrame:
    """APNIC estimates from the snapshot on or before ``on`` (else the earliest), or the latest."""
    loads = _loads(session, EYEBALLS, Eyeballs)
    schema = {"asn": pl.Int64, "country": pl.String, "users": pl.Int64}
    if not loads:
        return pl.DataFrame(schema=schema)
    before = [x for x in loads if on is None or (x.data_date or dt.date.min) <= on]
    chosen = before[-1] if before else loads[0]
    e = Eyeballs
    return read_frame(session, select(e.asn, e.country, e.users).where(e.load_id == chosen.id), schema)


def _store(session: Session, frame: pl.DataFrame, load: SourceLoad, source: str, snapshot: dt.date) -> int:
    if "missing" not in frame.columns:
        frame = frame.with_columns(pl.lit("").alias("missing"))
    if "source" not in frame.columns:
        frame = frame.with_columns(pl.lit(source).alias("source"))
    frame = frame.select(*INDICATOR_SCHEMA, "missing", "source").with_columns(pl.lit(snapshot).alias("snapshot_date"))
    return insert_frame(session, NetworkIndicator, frame, load)


def _counts(frame: pl.DataFrame, code: str, day: dt.date, value: pl.Expr) -> pl.DataFrame:
    return (
        frame.group_by("country")
        .agg(value.cast(pl.Float64).alias("value"))
        .with_columns(
            pl.lit(code).alias("code"),
            pl.lit(day).alias("date"),
            pl.lit(None, pl.Float64).alias("numerator"),
            pl.lit(None, pl.Float64).alias("denominator"),
        )
    )


def _share(frame: pl.DataFrame, code: str, day: dt.date) -> pl.DataFrame:
    """``frame`` has country, numerator, denominator; value is their ratio (null when nothing to divide)."""
    return frame.with_columns(
        pl.when(pl.col("denominator") > 0).then(pl.col("numerator") / pl.col("denominator")).alias("value"),
        pl.lit(code).alias("code"),
        pl.lit(day).alias("date"),
    ).with_columns(pl.col("numerator").cast(pl.Float64), pl.col("denominator").cast(pl.Float64))


CODES_OF = {
    "asn_count": ("asn",),
    "ipv4_addresses": ("ipv4",),
    "ipv4_per_capita": ("ipv4",),
    "ipv6_prefixes": ("ipv6",),
    "ipv6_per_network": ("ipv6", "asn"),
    "ipv6_holder_share": ("holders",),
}
"""The kinds of registry record each registry indicator rests on (its coverage is theirs)."""


def _joined(labels: Iterable[str]) -> str:
    """Source ids joined by "+", each once, in :data:`REGISTRY_SOURCES` order."""
    parts = {p for label in labels for p in label.split("+") if p}
    return "+".join(sorted(parts, key=lambda s: REGISTRY_SOURCES.index(s) if s in REGISTRY_SOURCES else 99))


def serving_registries() -> pl.DataFrame:
    """Every country (alpha-3) and the registry whose service region holds it (``rir``)."""
    regions = rir_regions()
    return pl.DataFrame({"country": list(regions), "rir": list(regions.values())})


def registry_indicators(
    everything: pl.DataFrame,
    files: Sequence[RegistryFile],
    day: dt.date,
    population: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Registry indicators of every country on ``day``, each with what it is ``missing`` and its ``source``.

    ``everything``: the delegation records of ``files``. A country's value is covered when the registry
    serving its region has a file that tells its state on ``day`` (:func:`choose`); the other registries'
    records add to it from the file that tells their state, else from their newest earlier file
    (:func:`latest_before`). An uncovered value is null, ``missing`` naming the registry
    (``<registry>:extended`` when only an extended file would tell it). The country prefix lists (all
    registries, on their own date only) give the IPv4 figures of countries no registry file covers then."""
    kinds = ("asn", "ipv4", "ipv6", "holders")
    telling = {(r, k): choose(files, r, k, day) for r in RIRS for k in kinds}
    known = {k: [r for r in RIRS if telling[(r, k)] is not None] for k in kinds}
    # A registry that does not serve the country adds its few delegations to it from the file that tells
    # its state on the day, else from its newest earlier file: only the serving registry decides coverage.
    chosen = {key: found or latest_before(files, *key, day) for key, found in telling.items()}

    def state(kind: str) -> pl.DataFrame:
        ids = [f.load.id for (_, k), f in chosen.items() if k == kind and f is not None]
        record = "ipv6" if kind == "holders" else kind
        return _as_of(everything.filter(pl.col("load_id").is_in(ids) & (pl.col("kind") == record)), day)

    def label(kind: str) -> str:
        names = {f.load.source for (_, k), f in chosen.items() if k == kind and f is not None}
        return "+".join(sorted(names, key=lambda s: REGISTRY_SOURCES.index(s)))

    asn = state("asn").group_by("country").agg(pl.col("value").sum().alias("asn"))
    v4 = state("ipv4").group_by("country").agg(pl.col("value").sum().alias("ipv4"))
    v6 = state("ipv6").group_by("country").agg(pl.len().alias("ipv6"))
    holders = (
        everything.filter(
            pl.col("load_id").is_in([f.load.id for (_, k), f in chosen.items() if k == "holders" and f is not None])
        )
        .pipe(_as_of, day)
        .filter(pl.col("holder").is_not_null())
        .group_by("country", "rir", "holder")
        .agg((pl.col("kind") == "ipv6").any().alias("v6"))
        .group_by("country")
        .agg(pl.col("v6").sum().alias("holders_v6"), pl.len().alias("holders"))
    )
    base = serving_registries()
    extra = pl.concat([f.select("country") for f in (asn, v4, v6)]).unique().join(base, on="country", how="anti")
    table = pl.concat([base, extra.with_columns(pl.lit(None, pl.String).alias("rir"))])
    for part in (asn, v4, v6, holders):
        table = table.join(part, on="country", how="left")
    pop = (
        population
        if population is not None and population.height
        else pl.DataFrame(schema={"country": pl.String, "population": pl.Float64})
    ).select("country", pl.col("population").cast(pl.Float64))
    table = table.join(pop, on="country", how="left")

    def covered(kind: str) -> pl.Expr:
        # A code that is no country (ZZ, EU, AP) has no region: its records are what they are.
        return pl.col("rir").is_null() | pl.col("rir").is_in(known[kind])

    def missing(*kinds: str) -> pl.Expr:
        parts = [
            pl.when(covered(k))
            .then(pl.lit(None, pl.String))
            .otherwise(pl.col("rir") + (":extended" if k == "holders" else ""))
            for k in kinds
        ]
        joined = pl.concat_str(parts, separator=",", ignore_nulls=True).fill_null("")
        return joined.str.split(",").list.unique(maintain_order=True).list.join(",")

    def frame(
        code: str, value: pl.Expr, numerator: pl.Expr | None = None, denominator: pl.Expr | None = None
    ) -> pl.DataFrame:
        kinds = CODES_OF[code]
        ok = pl.all_horizontal(covered(k) for k in kinds)
        num = pl.lit(None, pl.Float64) if numerator is None else numerator.cast(pl.Float64)
        den = pl.lit(None, pl.Float64) if denominator is None else denominator.cast(pl.Float64)
        return table.select(
            "country",
            pl.lit(code).alias("code"),
            pl.lit(day).alias("date"),
            pl.when(ok).then(value.cast(pl.Float64)).alias("value"),
            pl.when(ok).then(num).alias("numerator"),
            pl.when(ok).then(den).alias("denominator"),
            missing(*kinds).alias("missing"),
            pl.lit(_joined(label(k) for k in kinds)).alias("source"),
        )

    n_asn, n_v4, n_v6 = (pl.col(c).fill_null(0) for c in ("asn", "ipv4", "ipv6"))
    parts = [
        frame("asn_count", n_asn),
        frame("ipv4_addresses", n_v4),
        frame("ipv6_prefixes", n_v6),
        frame(
            "ipv6_per_network",
            pl.when(n_asn > 0).then(n_v6 / n_asn),
            n_v6,
            n_asn,
        ),
        frame(
            "ipv6_holder_share",
            pl.when(pl.col("holders") > 0).then(pl.col("holders_v6") / pl.col("holders")),
            pl.col("holders_v6").fill_null(0),
            pl.col("holders").fill_null(0),
        ),
    ]
    if pop.height:
        per_person = frame("ipv4_per_capita", n_v4 / pl.col("population"), n_v4, pl.col("population"))
        # Only where the population is known: without it there is no figure to cover or not.
        parts.append(per_person.join(pop.drop_nulls("population").select("country"), on="country", how="semi"))
    out = pl.concat(parts)
    # Country prefix lists of this very date: the IPv4 space of the countries no registry file covers.
    blocks = [f for f in files if f.registry == ALL and f.date == day]
    if blocks:
        newest = max(blocks, key=lambda f: f.load.id)
        space = (
            everything.filter((pl.col("load_id") == newest.load.id) & (pl.col("kind") == "ipv4"))
            .group_by("country")
            .agg(pl.col("value").sum().cast(pl.Float64).alias("fill"))
            .join(pop, on="country", how="left")
        )
        fill = pl.concat(
            [
                space.select(
                    "country", pl.lit("ipv4_addresses").alias("code"), "fill", pl.lit(None, pl.Float64).alias("d")
                ),
                space.filter(pl.col("population").is_not_null()).select(
                    "country", pl.lit("ipv4_per_capita").alias("code"), "fill", pl.col("population").alias("d")
                ),
            ]
        )
        out = out.join(fill, on=["country", "code"], how="left")
        use = (pl.col("missing") != "") & pl.col("fill").is_not_null()
        out = out.with_columns(
            pl.when(use)
            .then(pl.when(pl.col("d").is_null()).then("fill").otherwise(pl.col("fill") / pl.col("d")))
            .otherwise("value")
            .alias("value"),
            pl.when(use & pl.col("d").is_not_null()).then("fill").otherwise("numerator").alias("numerator"),
            pl.when(use).then("d").otherwise("denominator").alias("denominator"),
            pl.when(use).then(pl.lit(BLOCKS)).otherwise("source").alias("source"),
            pl.when(use).then(pl.lit("")).otherwise("missing").alias("missing"),
        ).drop("fill", "d")
    # What no file speaks of at all on this day is left out (no registry known: not a figure of this day).
    return out.filter(pl.col("source") != "")


def populations(session: Session) -> pl.DataFrame:
    """Population per country (alpha-3) and year from the connectivity indicators (World Bank
    SP.POP.TOTL); empty when they are not loaded, and ``ipv4_per_capita`` is then left out.

    Read once per session (a page asks for it for every group and series it shows)."""
    cached = session.info.get("network.populations")
    if cached is None:
        cached = population(session).select(pl.col("area").alias("country"), "year", "population")
        session.info["network.populations"] = cached
    return cached


def population_on(frame: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """Each country's population in ``day``'s year, or its latest earlier year."""
    found = frame.filter(pl.col("year") <= day.year).sort("year")
    return found.group_by("country").last().select("country", "population")


def history_dates(last: dt.date, first_year: int = HISTORY_FROM) -> list[dt.date]:
    """Every 31 December from ``first_year`` before ``last``: the dates registry history is computed on."""
    return [dt.date(y, 12, 31) for y in range(first_year, last.year) if dt.date(y, 12, 31) < last]


def disagreements(everything: pl.DataFrame, files: Sequence[RegistryFile]) -> list[str]:
    """Where a derived list and an official file speak for the same registry, kind and date: how many
    records one has and the other has not (the official file is the one used), as load notes."""
    notes = []
    for lst in (f for f in files if not f.official and f.registry in RIRS):
        for official in (f for f in files if f.official and f.registry == lst.registry and f.date == lst.date):
            for kind in lst.kinds & official.kinds:
                ours, theirs = (
                    everything.filter((pl.col("load_id") == f.load.id) & (pl.col("kind") == kind))
                    for f in (lst, official)
                )
                if kind == "asn":  # ranges against single numbers: compare the numbers
                    ours, theirs = expand_asns(ours), expand_asns(theirs)
                    keys, what = ["asn", "country"], "AS numbers"
                else:
                    keys, what = ["start", "country"], f"{kind} blocks"
                differ = ours.join(theirs, on=keys, how="anti").height + theirs.join(ours, on=keys, how="anti").height
                if differ:
                    notes.append(
                        f"{RIR_NAMES.get(lst.registry, lst.registry)} {lst.date.isoformat()}: the derived list "
                        f"({lst.load.edition}) and the official file ({official.load.edition}) differ on {differ} "
                        f"{what}; the official file is used"
                    )
    for note in notes:
        log.warning("%s", note)
    return notes


def refresh_rir(session: Session) -> tuple[int, tuple[list[SourceLoad], pl.DataFrame], list[str]]:
    """Recompute every registry indicator from the loaded registry files (official files, derived lists,
    country prefix lists) on every 31 December since 2000 and on every file's date; also returns the
    loads and AS number records read, for the indicators that join them with IXP membership, and the
    notes for the load report (disagreements between derived lists and official files)."""
    session.execute(delete(NetworkIndicator).where(NetworkIndicator.code.in_(list(CODES_OF))))
    files = registry_files(session)
    everything = _delegations(session, [f.load.id for f in files])
    counted = [f for f in files if f.registry in RIRS or f.registry == ALL]
    file_dates = sorted({f.date for f in counted})
    population = populations(session) if counted else pl.DataFrame()
    rows = 0
    for day in sorted(set(history_dates(file_dates[-1]) + file_dates)) if file_dates else []:
        values = registry_indicators(everything, counted, day, population_on(population, day))
        if values.height == 0:
            continue
        used = [f for f in counted if f.date >= day] or counted
        anchor = min(used, key=lambda f: (f.date, f.load.id))
        rows += _store(session, values, anchor.load, RIR, anchor.date)  # each row keeps its own source
    loads = [f.load for f in files]
    return rows, (loads, everything.filter(pl.col("kind") == "asn")), disagreements(everything, files)


def ixp_indicators(
    ixps: pl.DataFrame, members: pl.DataFrame, day: dt.date, asn_country: pl.DataFrame, eyeballs: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(IXP-only indicators, indicators joining registry or APNIC data) for one IXP snapshot.

    ``ixps``: ixp_key, country (one row per country an IXP is in; the records of one IXP share its key,
    so it counts once per country); ``members``: ixp_key, asn, country (the member's, may be null);
    ``asn_country``: asn, country from the registries; ``eyeballs``: asn, country, users."""
    located = ixps.filter(pl.col("country").is_not_null()).unique(["ixp_key", "country"], maintain_order=True)
    own = [_counts(located, "ixp_count", day, pl.len())]
    cross: list[pl.DataFrame] = []
    if members.height:
        at = members.join(located.select("ixp_key", pl.col("country").alias("ixp_country")), on="ixp_key")
        size = at.group_by("ixp_key").agg(pl.col("asn").n_unique().alias("n"))
        # Only where the source lists members of at least one of the country's IXPs: elsewhere it says
        # nothing of their members (PCH's 2017 membership file leaves out most IXPs), which is no zero.
        listed = at.select(pl.col("ixp_country").alias("country")).unique()
        sized = (
            located.join(listed, on="country", how="semi")
            .join(size, on="ixp_key", how="left")
            .with_columns(pl.col("n").fill_null(0))
        )
        own.append(_counts(sized, "ixp_active_count", day, (pl.col("n") >= ACTIVE_MEMBERS).sum()))
        distinct = listed.join(
            at.group_by("ixp_country").agg(pl.col("asn").n_unique().alias("n")).rename({"ixp_country": "country"}),
            on="country",
            how="left",
        ).with_columns(pl.col("n").fill_null(0))
        own.append(_counts(distinct, "ixp_members", day, pl.col("n").sum()))
        pairs = at.select("ixp_country", "asn", pl.col("country").alias("member_country")).unique(
            ["ixp_country", "asn"]
        )
        pairs = pairs.join(asn_country.rename({"country": "rir_country"}), on="asn", how="left").with_columns(
            pl.coalesce("rir_country", "member_country").alias("as_country")
        )
        known = pairs.filter(pl.col("as_country").is_not_null())
        national = known.group_by(pl.col("ixp_country").alias("country")).agg(
            (pl.col("as_country") == pl.col("ixp_country")).sum().alias("numerator"), pl.len().alias("denominator")
        )
        cross.append(_share(national, "ixp_national_member_share", day))
        domestic = pairs.select(pl.col("ixp_country").alias("country"), "asn", pl.lit(True).alias("present"))
        if asn_country.height:
            held = asn_country.join(domestic, on=["country", "asn"], how="left")
            cross.append(
                _share(
                    held.group_by("country").agg(
                        pl.col("present").fill_null(False).sum().alias("numerator"), pl.len().alias("denominator")
                    ),
                    "asn_at_domestic_ixp_share",
                    day,
                )
            )
        if eyeballs.height:
            users = eyeballs.join(domestic, on=["country", "asn"], how="left")
            cross.append(
                _share(
                    users.group_by("country").agg(
                        pl.col("users").filter(pl.col("present").fill_null(False)).sum().alias("numerator"),
                        pl.col("users").sum().alias("denominator"),
                    ),
                    "eyeball_share_at_domestic_ixp",
                    day,
                )
            )
    empty = pl.DataFrame(schema=INDICATOR_SCHEMA)
    return (
        pl.concat([p.select(list(INDICATOR_SCHEMA)) for p in own]),
        pl.concat([empty, *(p.select(list(INDICATOR_SCHEMA)) for p in cross)]),
    )


# PCH's words for exchanges it keeps listed but that do not (or do not yet) run.
NOT_OPERATING = ("defunct", "deprecated", "planned", "not an exchange")


def refresh_ixp(
    session: Session, load: SourceLoad, registry: tuple[list[SourceLoad], pl.DataFrame] | None = None
) -> int:
    """Recompute the indicators of one IXP snapshot (and those joining registry and APNIC data); an IXP
    counts in each country it is placed in, once, if its source does not say it has closed or not opened."""
    session.execute(delete(NetworkIndicator).where(NetworkIndicator.load_id == load.id))
    day = load.data_date or load.loaded_at.date()
    ixps = read_frame(
        session,
        # Unplaced IXPs are in no country's count, nor those the source says are not (or not yet) operating.
        select(Ixp.ixp_key, Ixp.country).where(
            Ixp.load_id == load.id, Ixp.is_country, func.lower(Ixp.status).not_in(NOT_OPERATING)
        ),
        {"ixp_key": pl.String, "country": pl.String},
    )
    m = IxpMember
    members = read_frame(
        session,
        select(m.ixp_key, m.asn, m.country).where(m.load_id == load.id),
        {"ixp_key": pl.String, "asn": pl.Int64, "country": pl.String},
    )
    asn_country = rir_asn_countries(session, day, registry) if members.height else pl.DataFrame()
    eyeballs = eyeball_frame(session, day) if members.height else pl.DataFrame()
    own, cross = ixp_indicators(ixps, members, day, asn_country, eyeballs)
    rows = _store(session, own, load, load.source, day)
    with_registry = cross.filter(pl.col("code") != "eyeball_share_at_domestic_ixp")
    rows += _store(session, with_registry, load, f"{load.source}+{RIR}", day)
    rows += _store(
        session, cross.filter(pl.col("code") == "eyeball_share_at_domestic_ixp"), load, f"{load.source}+{EYEBALLS}", day
    )
    return rows


def refresh_facilities(session: Session, load: SourceLoad) -> int:
    """Recompute ``facility_count`` of one facilities snapshot."""
    session.execute(delete(NetworkIndicator).where(NetworkIndicator.load_id == load.id))
    day = load.data_date or load.loaded_at.date()
    f = read_frame(
        session,
        select(Facility.country).where(Facility.load_id == load.id, Facility.country.is_not(None)),
        {"country": pl.String},
    )
    return _store(session, _counts(f, "facility_count", day, pl.len()), load, load.source, day)


def refresh_network(session: Session, *, registry: bool = True) -> list[str]:
    """Recompute what depends on registry or APNIC data: the registry indicators (unless
    ``registry`` is false, for an APNIC load) and the indicators joining them with IXP membership.
    Returns the notes for the load report: how many values, and where derived lists and official files
    disagree."""
    rows, read, notes = refresh_rir(session) if registry else (0, None, [])
    for source in IXP_SOURCES:
        for ixp_load in _loads(session, source, IxpMember):
            rows += refresh_ixp(session, ixp_load, read)
    log.info("recomputed %d %s indicator values", rows, "registry and IXP" if registry else "IXP")
    return [f"{rows} indicator values recomputed", *notes]
