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
from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from observatory.indicators import population
from observatory.network.common import insert_frame
from observatory.network.models import Delegation, Eyeballs, Facility, Ixp, IxpMember, NetworkIndicator
from observatory.sources import SourceLoad

RIR = "rir_delegated"
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


def _frame(session: Session, statement: Any, schema: dict[str, Any]) -> pl.DataFrame:
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


def _registry(load: SourceLoad) -> str:
    return load.edition.split("-", 1)[0]


def _pick(loads: Sequence[SourceLoad], on: dt.date | None) -> list[SourceLoad]:
    """Per registry, the file that best tells the state on ``on``: the earliest dated on or after it
    (read by delegation date, it misses only what was returned in between), else the newest."""
    by_registry: dict[str, list[SourceLoad]] = {}
    for load in loads:  # oldest first
        by_registry.setdefault(_registry(load), []).append(load)
    chosen = []
    for group in by_registry.values():
        after = [x for x in group if on is not None and (x.data_date or dt.date.min) >= on]
        chosen.append(after[0] if after else group[-1])
    return chosen


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
    return _frame(session, stmt, DELEGATION_SCHEMA)


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

    ``registry`` (the RIR loads and their delegations, already read) spares reading them again."""
    loads, frame = registry if registry is not None else (_loads(session, RIR, Delegation), None)
    chosen = [x.id for x in _pick(loads, on)]
    if not chosen:
        return pl.DataFrame(schema={"asn": pl.Int64, "country": pl.String})
    if frame is None:
        frame = _delegations(session, chosen, "asn")
    return expand_asns(_as_of(frame.filter(pl.col("load_id").is_in(chosen)), on))


def eyeball_frame(session: Session, on: dt.date | None = None) -> pl.DataFrame:
    """APNIC estimates from the snapshot on or before ``on`` (else the earliest), or the latest."""
    loads = _loads(session, EYEBALLS, Eyeballs)
    schema = {"asn": pl.Int64, "country": pl.String, "users": pl.Int64}
    if not loads:
        return pl.DataFrame(schema=schema)
    before = [x for x in loads if on is None or (x.data_date or dt.date.min) <= on]
    chosen = before[-1] if before else loads[0]
    e = Eyeballs
    return _frame(session, select(e.asn, e.country, e.users).where(e.load_id == chosen.id), schema)


def _store(session: Session, frame: pl.DataFrame, load: SourceLoad, source: str, snapshot: dt.date) -> int:
    frame = frame.select(list(INDICATOR_SCHEMA)).with_columns(
        pl.lit(source).alias("source"), pl.lit(snapshot).alias("snapshot_date")
    )
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


def rir_indicators(frame: pl.DataFrame, day: dt.date, population: pl.DataFrame | None = None) -> pl.DataFrame:
    """Registry indicators per country on ``day`` from delegation records (already the state on that day)."""
    f = _as_of(frame, day)
    parts = [
        _counts(f.filter(pl.col("kind") == "asn"), "asn_count", day, pl.col("value").sum()),
        _counts(f.filter(pl.col("kind") == "ipv4"), "ipv4_addresses", day, pl.col("value").sum()),
        _counts(f.filter(pl.col("kind") == "ipv6"), "ipv6_prefixes", day, pl.len()),
    ]
    holders = (
        f.filter(pl.col("holder").is_not_null())
        .group_by("country", "rir", "holder")
        .agg((pl.col("kind") == "ipv6").any().alias("v6"))
    )
    if holders.height:
        parts.append(
            _share(
                holders.group_by("country").agg(pl.col("v6").sum().alias("numerator"), pl.len().alias("denominator")),
                "ipv6_holder_share",
                day,
            )
        )
    if population is not None and population.height:
        v4 = f.filter(pl.col("kind") == "ipv4").group_by("country").agg(pl.col("value").sum().alias("numerator"))
        joined = v4.join(population.rename({"population": "denominator"}), on="country", how="inner")
        parts.append(_share(joined, "ipv4_per_capita", day))
    return pl.concat([p.select(list(INDICATOR_SCHEMA)) for p in parts])


def populations(session: Session) -> pl.DataFrame:
    """Population per country (alpha-3) and year from the connectivity indicators (World Bank
    SP.POP.TOTL); empty when they are not loaded, and ``ipv4_per_capita`` is then left out."""
    return population(session).select(pl.col("area").alias("country"), "year", "population")


def population_on(frame: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """Each country's population in ``day``'s year, or its latest earlier year."""
    found = frame.filter(pl.col("year") <= day.year).sort("year")
    return found.group_by("country").last().select("country", "population")


def history_dates(last: dt.date, first_year: int = HISTORY_FROM) -> list[dt.date]:
    """Every 31 December from ``first_year`` before ``last``: the dates registry history is computed on."""
    return [dt.date(y, 12, 31) for y in range(first_year, last.year) if dt.date(y, 12, 31) < last]


def refresh_rir(session: Session) -> tuple[int, tuple[list[SourceLoad], pl.DataFrame]]:
    """Recompute every registry indicator from the loaded RIR files (history and file dates); also
    returns the loads and delegations read, for the indicators that join them with IXP membership."""
    session.execute(delete(NetworkIndicator).where(NetworkIndicator.source == RIR))
    loads = _loads(session, RIR, Delegation)
    everything = _delegations(session, [x.id for x in loads])
    file_dates = sorted({x.data_date for x in loads if x.data_date})
    population = populations(session) if loads else pl.DataFrame()
    rows = 0
    for day in sorted(set(history_dates(file_dates[-1]) + file_dates)) if file_dates else []:
        chosen = _pick(loads, day)
        ids = [x.id for x in chosen]
        newest = max(chosen, key=lambda x: (x.data_date or dt.date.min, x.id))
        state = everything.filter(pl.col("load_id").is_in(ids))
        rows += _store(
            session, rir_indicators(state, day, population_on(population, day)), newest, RIR, newest.data_date or day
        )
    return rows, (loads, everything.filter(pl.col("kind") == "asn"))


def ixp_indicators(
    ixps: pl.DataFrame, members: pl.DataFrame, day: dt.date, asn_country: pl.DataFrame, eyeballs: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(IXP-only indicators, indicators joining registry or APNIC data) for one IXP snapshot.

    ``ixps``: ixp_key, country; ``members``: ixp_key, asn, country (the member's, may be null);
    ``asn_country``: asn, country from the registries; ``eyeballs``: asn, country, users."""
    located = ixps.filter(pl.col("country").is_not_null())
    own = [_counts(located, "ixp_count", day, pl.len())]
    cross: list[pl.DataFrame] = []
    if members.height:
        at = members.join(located.select("ixp_key", pl.col("country").alias("ixp_country")), on="ixp_key")
        size = at.group_by("ixp_key").agg(pl.col("asn").n_unique().alias("n"))
        sized = located.join(size, on="ixp_key", how="left").with_columns(pl.col("n").fill_null(0))
        own.append(_counts(sized, "ixp_active_count", day, (pl.col("n") >= ACTIVE_MEMBERS).sum()))
        distinct = (
            located.select("country")
            .unique()
            .join(
                at.group_by("ixp_country").agg(pl.col("asn").n_unique().alias("n")).rename({"ixp_country": "country"}),
                on="country",
                how="left",
            )
            .with_columns(pl.col("n").fill_null(0))
        )
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


def refresh_ixp(
    session: Session, load: SourceLoad, registry: tuple[list[SourceLoad], pl.DataFrame] | None = None
) -> int:
    """Recompute the indicators of one IXP snapshot (and those joining registry and APNIC data)."""
    session.execute(delete(NetworkIndicator).where(NetworkIndicator.load_id == load.id))
    day = load.data_date or load.loaded_at.date()
    ixps = _frame(
        session,
        select(Ixp.ixp_key, Ixp.country).where(Ixp.load_id == load.id),
        {"ixp_key": pl.String, "country": pl.String},
    )
    m = IxpMember
    members = _frame(
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
    f = _frame(
        session,
        select(Facility.country).where(Facility.load_id == load.id, Facility.country.is_not(None)),
        {"country": pl.String},
    )
    return _store(session, _counts(f, "facility_count", day, pl.len()), load, load.source, day)


def refresh_network(session: Session, *, registry: bool = True) -> int:
    """Recompute what depends on registry or APNIC data: the registry indicators (unless
    ``registry`` is false, for an APNIC load) and the indicators joining them with IXP membership."""
    rows, read = refresh_rir(session) if registry else (0, None)
    for source in IXP_SOURCES:
        for ixp_load in _loads(session, source, IxpMember):
            rows += refresh_ixp(session, ixp_load, read)
    log.info("recomputed %d %s indicator values", rows, "registry and IXP" if registry else "IXP")
    return rows
