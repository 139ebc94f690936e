"""Reading the infrastructure indicators: per country, per group, over time, and for other capabilities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory import reference
from observatory.db import transaction
from observatory.network.catalogue import CATALOGUE
from observatory.network.compute import eyeball_frame, refresh_network, rir_asn_countries
from observatory.network.models import NetworkIndicator
from observatory.network.sources.caida_ixp import CaidaFacilities, CaidaIxps
from observatory.network.sources.pch import PchIxps
from observatory.network.sources.peeringdb import PeeringDb, PeeringDbCsv
from observatory.network.sources.rir import RirDelegated
from observatory.network.sources.routing_data import ApnicEyeballs, CaidaAsRelationships, CaidaPrefixToAs
from observatory.sources import LoadResult, Source, SourceError

SOURCES: dict[str, type[Source[Any]]] = {
    "rir": RirDelegated,
    "caida-ixp": CaidaIxps,
    "caida-facilities": CaidaFacilities,
    "peeringdb": PeeringDb,
    "peeringdb-csv": PeeringDbCsv,
    "pch": PchIxps,
    "apnic-eyeballs": ApnicEyeballs,
    "caida-asrel": CaidaAsRelationships,
    "caida-pfx2as": CaidaPrefixToAs,
}

# How a group aggregates each code (the catalogue gives definitions and sources).
CODES: dict[str, str] = {i.code: i.aggregate for i in CATALOGUE}


@dataclass
class Ingested:
    location: str
    result: LoadResult | None
    error: SourceError | None


def ingest(
    name: str, locations: list[str], engine: Engine | None = None, progress: Callable[[str], None] | None = None
) -> list[Ingested]:
    """Load each location of source ``name`` as its own snapshot, in its own transaction.

    A file that fails is reported and leaves the data as it was; the others load. Indicators that
    depend on registry or APNIC data are recomputed once, after the last file, not after each."""
    done: list[Ingested] = []
    for location in locations:
        if progress:
            progress(location)
        source = SOURCES[name]()
        if isinstance(source, RirDelegated | ApnicEyeballs):
            source.cascade = False
        try:
            done.append(Ingested(location, source.run(location, engine), None))
        except SourceError as e:
            done.append(Ingested(location, None, e))
    if any(d.result for d in done) and name in ("rir", "apnic-eyeballs"):
        with transaction(engine) as session:
            rows = refresh_network(session, registry=name == "rir")
        last = next(d for d in reversed(done) if d.result)
        assert last.result is not None
        last.result.notes.append(f"{rows} indicator values recomputed")
    return done


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
    value: float | None
    source: str
    snapshot_date: dt.date
    date: dt.date
    numerator: float | None = None
    denominator: float | None = None

    def as_json(self) -> dict[str, Any]:
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


def group_countries(group: str, on: dt.date) -> list[str]:
    """Members of an LDC/LLDC/SIDS group on ``on``, or of an ITU region."""
    if group in reference.COUNTRY_GROUPS:
        return reference.group_members(group, on)
    return sorted(c.alpha3 for c in reference.countries().values() if c.itu_region == group)


def group_indicators(session: Session, group: str, on: dt.date | None = None) -> dict[str, dict[str, Any]]:
    """Aggregates over a group's members on ``on``: sums, and shares as Σnumerators/Σdenominators.

    Each country contributes its latest value dated on or before ``on``; ``countries`` says how many did."""
    day = on or dt.date.today()
    members = group_countries(group, day)
    latest = _latest(_rows(session, members, on, None))
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
            "members": len(members),
            "sources": sorted({v.source for v in values}),
            "snapshot_date": max(v.snapshot_date for v in values).isoformat(),
        }
    return out


def series(session: Session, countries: list[str], codes: list[str], source: str | None = None) -> pl.DataFrame:
    """Time series (date, code, value summed over ``countries``), one value per date from the newest snapshot.

    Shares are Σnumerators/Σdenominators. Columns: code, date, value, source."""
    n = NetworkIndicator
    stmt = select(
        n.country, n.code, n.date, n.value, n.numerator, n.denominator, n.source, n.snapshot_date, n.load_id
    ).where(n.country.in_(countries), n.code.in_(codes))
    if source:
        stmt = stmt.where(n.source.startswith(source))
    schema = {
        "country": pl.String,
        "code": pl.String,
        "date": pl.Date,
        "value": pl.Float64,
        "numerator": pl.Float64,
        "denominator": pl.Float64,
        "source": pl.String,
        "snapshot_date": pl.Date,
        "load_id": pl.Int64,
    }
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


def ixp_map(session: Session, on: dt.date | None = None) -> dict[str, Value]:
    """``ixp_count`` per country (alpha-3), latest on or before ``on`` — the world map of IXP presence."""
    n = NetworkIndicator
    stmt = select(n).where(n.code == "ixp_count")
    if on is not None:
        stmt = stmt.where(n.date <= on)
    return {country: v for (country, _), v in _latest(list(session.scalars(stmt))).items()}
