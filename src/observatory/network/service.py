"""Reading the infrastructure indicators: per country, per group, over time, and for other capabilities;
the network sources of the registry, and loading their files.

Areas are resolved by :func:`observatory.reference.resolve_area` (the one rule); the registry codes that
RIR files write instead of a country (``ZZ``, ``EU``, ``AP``) are areas of their own here. The indicator
catalogue is :mod:`observatory.indicators`' (:data:`observatory.indicators.INFRASTRUCTURE`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.indicators import INFRASTRUCTURE, area_members
from observatory.network.compute import INDICATOR_SCHEMA, eyeball_frame, rir_asn_countries
from observatory.network.models import NetworkIndicator
from observatory.reference import Area, UnknownArea, resolve_area
from observatory.sources import Ingested, Registry, Source, find_source, registry

# How a group aggregates each code (the catalogue gives definitions and sources).
CODES: dict[str, str] = {code: i.aggregate for code, i in INFRASTRUCTURE.items()}
EXPORT_COLUMNS = ("country", "code", "date", "value", "numerator", "denominator", "source", "snapshot_date")


def sources() -> Registry:
    """The network sources of the registry, by ``NAME`` (:func:`observatory.sources.registry`)."""
    return registry("observatory.network.sources")


def source(name: str) -> type[Source[Any]]:
    """The network source named ``name`` (its ``NAME``, or an earlier command-line name such as ``rir``);
    :class:`KeyError` naming the sources otherwise."""
    return find_source(sources(), name)


def source_label(stored: str, translate: Callable[[str], str] = str) -> str:
    """A stored source id as readers know it: ``peeringdb_csv+rir_delegated`` is "PeeringDB + Regional
    Internet registries" (``translate``: the reader's language); an id no source has stays as it is."""
    known = sources()
    names = [translate(known[part].label()) if part in known else part for part in stored.split("+")]
    return " + ".join(dict.fromkeys(names))


def sources_text(names: Iterable[str], translate: Callable[[str], str] = str) -> str:
    """The sources of a catalogue entry (registry names) as readers know them, ``; ``-separated."""
    return "; ".join(dict.fromkeys(source_label(n, translate) for n in names))


def ingest(
    name: str, locations: list[str], engine: Engine | None = None, progress: Callable[[str], None] | None = None
) -> list[Ingested]:
    """Load each location of source ``name`` as its own snapshot, in its own transaction.

    A file that fails is reported and leaves the data as it was; the others load. Indicators that
    depend on registry or APNIC data are recomputed once, after the last file, not after each."""
    return source(name)().run_batch(locations, engine, each=progress)


def area(value: str) -> Area:
    """The area ``value`` names for the infrastructure figures: a country, a registry code, or a group
    whose members are known (UN groups, ITU regions, the world, income groups); :class:`UnknownArea`
    (404) for anything else, aggregates as a source published them included."""
    found = resolve_area(value)
    if found.kind == "published":
        raise UnknownArea(f"{found.code} is an aggregate as a source published it: no infrastructure figures")
    return found


def members(session: Session, found: Area, on: dt.date | None = None) -> list[str]:
    """The codes whose values make ``found``'s: itself for a country or a registry code, else its members
    on ``on`` (default today)."""
    if found.kind in ("country", "registry"):
        return [found.code]
    return area_members(session, found, on or dt.date.today())


def asn_countries(session: Session, on: dt.date | None = None) -> pl.DataFrame:
    """AS number → country from the loaded RIR delegations (allocated and assigned), one row per number.

    Columns ``asn`` (Int64) and ``country`` (ISO alpha-3, or the registry's own code such as ``ZZ``,
    ``EU``, ``AP`` for what is not a country). The state on ``on``: per registry, its earliest file
    dated on or after ``on`` (else its newest), keeping the records delegated on or before ``on``;
    ``on=None`` takes each registry's newest file whole. Empty when no RIR file is loaded."""
    return rir_asn_countries(session, on)


def eyeballs(session: Session, on: dt.date | None = None) -> pl.DataFrame:
    """APNIC's estimated Internet users per AS and country: columns ``asn``, ``country`` (alpha-3), ``users``.

    From the newest APNIC snapshot (or, with ``on``, the latest on or before it); empty when none is loaded."""
    return eyeball_frame(session, on)


@dataclass(frozen=True)
class Value:
    """One country's value of an indicator, with the snapshot it comes from (and, for shares, its
    numerator and denominator)."""

    value: float | None
    source: str
    snapshot_date: dt.date
    date: dt.date
    numerator: float | None = None
    denominator: float | None = None

    def as_json(self) -> dict[str, Any]:
        """The value as the API and the command line answer it."""
        return {
            "value": self.value,
            "source": self.source,
            "snapshot_date": self.snapshot_date.isoformat(),
            "date": self.date.isoformat(),
        }


def _rows(session: Session, countries: list[str], on: dt.date | None, source: str | None) -> list[NetworkIndicator]:
    n = NetworkIndicator
    stmt = select(n).where(n.country.in_(countries))
    if on is not None:
        stmt = stmt.where(n.date <= on)
    if source:
        stmt = stmt.where(n.source.startswith(source))
    return list(session.scalars(stmt))


def _latest(rows: list[NetworkIndicator]) -> dict[tuple[str, str], Value]:
    best: dict[tuple[str, str], NetworkIndicator] = {}
    for r in rows:
        key = (r.country, r.code)
        if key not in best or (r.date, r.snapshot_date, r.load_id) > (
            best[key].date,
            best[key].snapshot_date,
            best[key].load_id,
        ):
            best[key] = r
    return {k: Value(r.value, r.source, r.snapshot_date, r.date, r.numerator, r.denominator) for k, r in best.items()}


def country_indicators(
    session: Session, country: str, on: dt.date | None = None, source: str | None = None
) -> dict[str, Value]:
    """Each indicator's latest value for ``country`` (alpha-3 or a registry code) dated on or before ``on``."""
    latest = _latest(_rows(session, [country], on, source))
    return {code: latest[(country, code)] for code in CODES if (country, code) in latest}


def group_indicators(session: Session, group: str, on: dt.date | None = None) -> dict[str, dict[str, Any]]:
    """Aggregates over a group's members on ``on``: sums, and shares as Σnumerators/Σdenominators.

    Each country contributes its latest value dated on or before ``on``; ``countries`` says how many did."""
    found = members(session, area(group), on)
    latest = _latest(_rows(session, found, on, None))
    out: dict[str, dict[str, Any]] = {}
    for code, kind in CODES.items():
        values = [v for (_, c), v in latest.items() if c == code]
        if not values:
            continue
        if kind == "sum":
            total: float | None = sum(v.value or 0 for v in values)
        else:
            den = sum(v.denominator or 0 for v in values)
            total = sum(v.numerator or 0 for v in values) / den if den else None
        out[code] = {
            "value": total,
            "countries": len(values),
            "members": len(found),
            "sources": sorted({v.source for v in values}),
            "snapshot_date": max(v.snapshot_date for v in values).isoformat(),
        }
    return out


def area_indicators(
    session: Session, value: str, on: dt.date | None = None, source: str | None = None
) -> dict[str, Any]:
    """The infrastructure figures of the area ``value`` names, as the API and ``observatory network show``
    answer them: ``country`` (its code), ``date``, and ``indicators`` (a country's latest values with their
    snapshots, or a group's aggregates with how many members gave one). :class:`UnknownArea` when
    ``value`` names no area."""
    found = area(value)
    if found.kind in ("country", "registry"):
        values: dict[str, Any] = {
            k: v.as_json() for k, v in country_indicators(session, found.code, on, source).items()
        }
    else:
        values = group_indicators(session, found.code, on)
    return {"country": found.code, "date": on.isoformat() if on else None, "indicators": values}


def series(session: Session, countries: list[str], codes: list[str], source: str | None = None) -> pl.DataFrame:
    """Time series (date, code, value summed over ``countries``), one value per date from the newest snapshot.

    Shares are Σnumerators/Σdenominators. Columns: code, date, value, source."""
    n = NetworkIndicator
    stmt = select(
        n.country, n.code, n.date, n.value, n.numerator, n.denominator, n.source, n.snapshot_date, n.load_id
    ).where(n.country.in_(countries), n.code.in_(codes))
    if source:
        stmt = stmt.where(n.source.startswith(source))
    schema = {**INDICATOR_SCHEMA, "source": pl.String, "snapshot_date": pl.Date, "load_id": pl.Int64}
    f = pl.DataFrame(session.execute(stmt).all(), schema=schema, orient="row")
    if f.height == 0:
        return pl.DataFrame(schema={"code": pl.String, "date": pl.Date, "value": pl.Float64, "source": pl.String})
    newest = f.sort("snapshot_date", "load_id").group_by("country", "code", "date").last()
    agg = newest.group_by("code", "date").agg(
        pl.col("value").sum().alias("total"),
        pl.col("numerator").sum(),
        pl.col("denominator").sum(),
        pl.col("source").first(),
    )
    share = pl.col("code").replace_strict(CODES, default="sum") == "share"
    value = (
        pl.when(share)
        .then(pl.when(pl.col("denominator") > 0).then(pl.col("numerator") / pl.col("denominator")))
        .otherwise(pl.col("total"))
    )
    return agg.select("code", "date", value.alias("value"), "source").sort("code", "date")


def area_series(session: Session, value: str, codes: list[str], source: str | None = None) -> pl.DataFrame:
    """:func:`series` of the area ``value`` names (a group's members today); :class:`UnknownArea` when it
    names none, :class:`KeyError` for a code the catalogue does not have."""
    found = area(value)
    unknown = [c for c in codes if c not in CODES]
    if unknown:
        raise KeyError(f"unknown indicator(s): {', '.join(unknown)}")
    return series(session, members(session, found), codes, source)


def ixp_map(session: Session, on: dt.date | None = None) -> dict[str, Value]:
    """``ixp_count`` per country (alpha-3), latest on or before ``on`` — the world map of IXP presence."""
    n = NetworkIndicator
    stmt = select(n).where(n.code == "ixp_count")
    if on is not None:
        stmt = stmt.where(n.date <= on)
    return {country: v for (country, _), v in _latest(list(session.scalars(stmt))).items()}


def export_rows(session: Session) -> list[tuple[Any, ...]]:
    """Every stored indicator value as a row of :data:`EXPORT_COLUMNS` (country, code, date, value,
    numerator, denominator, source, snapshot date), by country, code and date."""
    n = NetworkIndicator
    columns = [getattr(n, c) for c in EXPORT_COLUMNS]
    return [tuple(r) for r in session.execute(select(*columns).order_by(n.country, n.code, n.date)).all()]


def export_frame(session: Session) -> pl.DataFrame:
    """:func:`export_rows` as a frame."""
    schema = {**INDICATOR_SCHEMA, "source": pl.String, "snapshot_date": pl.Date}
    return pl.DataFrame(export_rows(session), schema={c: schema[c] for c in EXPORT_COLUMNS}, orient="row")
