"""Reading the infrastructure indicators: per country, per group, over time, and for other capabilities;
the network sources of the registry, and loading their files.

Areas are resolved by :func:`observatory.reference.resolve_area` (the one rule); the registry codes that
RIR files write instead of a country (``ZZ``, ``EU``, ``AP``) are areas of their own here. The indicator
catalogue is :mod:`observatory.indicators`' (:data:`observatory.indicators.INFRASTRUCTURE`).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.indicators import INFRASTRUCTURE, area_members
from observatory.indicators.service import sources as indicator_sources
from observatory.network.compute import (
    CODES_OF,
    INDICATOR_SCHEMA,
    eyeball_frame,
    populations,
    read_frame,
    rir_asn_countries,
)
from observatory.network.dependency import domestic_exchange_evidence, ixp_dependency
from observatory.network.ixp import shared_ixp_excess
from observatory.network.models import NetworkIndicator
from observatory.reference import COUNTRY_GROUPS, Area, UnknownArea, in_group, resolve_area
from observatory.reference import countries as reference_countries
from observatory.sources import Ingested, Registry, Source, find_source, registry

# How a group aggregates each code (the catalogue gives definitions and sources).
CODES: dict[str, str] = {code: i.aggregate for code, i in INFRASTRUCTURE.items()}
EXPORT_COLUMNS = ("country", "code", "date", "value", "numerator", "denominator", "source", "snapshot_date", "missing")


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
    known = {**indicator_sources(), **sources()}  # population (World Bank) feeds IPv4 per person
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


# A group's figure is published when the members it covers hold at least this share of the group's
# population (docs/network.md, "Coverage"): below it, the figure would describe other countries than
# the group's.
COVERAGE_THRESHOLD = 0.9
REGISTRY_CODES = tuple(CODES_OF)  # the indicators computed from the registries' files
PRIMARY_DIRECTORY = "caida_ixp"  # the IXP directory groups and maps count IXPs by (it merges the others)


@dataclass(frozen=True)
class Value:
    """One country's value of an indicator, with the snapshot it comes from (and, for shares, its
    numerator and denominator). ``missing`` names what the value would need and is not loaded (the
    registry serving the country's region, ``ripencc`` or ``apnic:extended``): the value is then None."""

    value: float | None
    source: str
    snapshot_date: dt.date
    date: dt.date
    numerator: float | None = None
    denominator: float | None = None
    missing: tuple[str, ...] = ()

    @property
    def covered(self) -> bool:
        """Whether every source the value rests on is loaded."""
        return not self.missing

    def as_json(self) -> dict[str, Any]:
        """The value as the API and the command line answer it (``covered`` false: not a figure, and
        ``missing`` says what is not loaded)."""
        return {
            "value": self.value if self.covered else None,
            "covered": self.covered,
            "missing": list(self.missing),
            "source": self.source,
            "snapshot_date": self.snapshot_date.isoformat(),
            "date": self.date.isoformat(),
        }


def _missing(text: str | None) -> tuple[str, ...]:
    return tuple(x for x in (text or "").split(",") if x)


def _rows(session: Session, countries: list[str], on: dt.date | None, source: str | None) -> list[NetworkIndicator]:
    n = NetworkIndicator
    stmt = select(n).where(n.country.in_(countries))
    if on is not None:
        stmt = stmt.where(n.date <= on)
    if source:
        stmt = stmt.where(n.source.startswith(source))
    return list(session.scalars(stmt))


def _latest(rows: list[NetworkIndicator]) -> dict[tuple[str, str], Value]:
    """Per country and code, the latest covered value; the latest value saying what is not covered only
    when no covered one exists."""
    best: dict[tuple[str, str], NetworkIndicator] = {}
    for r in rows:
        key = (r.country, r.code)
        rank = (not r.missing, r.date, r.snapshot_date, r.load_id)
        old = best.get(key)
        if old is None or rank > (not old.missing, old.date, old.snapshot_date, old.load_id):
            best[key] = r
    return {
        k: Value(
            r.value if not r.missing else None,
            r.source,
            r.snapshot_date,
            r.date,
            r.numerator,
            r.denominator,
            _missing(r.missing),
        )
        for k, r in best.items()
    }


def country_indicators(
    session: Session, country: str, on: dt.date | None = None, source: str | None = None
) -> dict[str, Value]:
    """Each indicator's latest value for ``country`` (alpha-3 or a registry code) dated on or before ``on``.

    A country the IXP directory (:data:`PRIMARY_DIRECTORY`) does not list in its newest snapshot has 0 IXPs
    on that date: said as such, not left blank."""
    latest = _latest(_rows(session, [country], on, source))
    found = {code: latest[(country, code)] for code in CODES if (country, code) in latest}
    if "ixp_count" not in found and (source is None or PRIMARY_DIRECTORY.startswith(source)):
        n = NetworkIndicator
        stmt = select(func.max(n.date)).where(n.code == "ixp_count", n.source == PRIMARY_DIRECTORY)
        newest = session.scalar(stmt.where(n.date <= on) if on is not None else stmt)
        if newest is not None and country in reference_countries():
            found = {"ixp_count": Value(0.0, PRIMARY_DIRECTORY, newest, newest), **found}
    return {code: found[code] for code in CODES if code in found}


def _member_rows(session: Session, members: list[str], on: dt.date | None) -> pl.DataFrame:
    n = NetworkIndicator
    stmt = select(
        n.country, n.code, n.date, n.value, n.numerator, n.denominator, n.source, n.snapshot_date, n.load_id, n.missing
    ).where(n.country.in_(members))
    if on is not None:
        stmt = stmt.where(n.date <= on)
    schema = {
        **INDICATOR_SCHEMA,
        "source": pl.String,
        "snapshot_date": pl.Date,
        "load_id": pl.Int64,
        "missing": pl.String,
    }
    frame = read_frame(session, stmt, schema)
    # One value per member, code and date: the newest snapshot's.
    return frame.sort("snapshot_date", "load_id").group_by("country", "code", "date", maintain_order=True).last()


_REMEMBERED = "observatory.network.remembered"  # the key of a memo in ``Session.info`` (:func:`remembering`)


@contextmanager
def remembering(session: Session, memo: dict[Any, Any]) -> Iterator[None]:
    """Within the block, what many areas' figures read alike is read once into ``memo`` and answered from it: each
    group's aggregates (:func:`group_indicators`) and the populations coverage is weighted by. For a caller
    computing the figures of many areas from one state of the database that it does not change (``memo`` must
    be for that state: the figures of every country name their groups' again)."""
    previous = session.info.get(_REMEMBERED)
    session.info[_REMEMBERED] = memo
    try:
        yield
    finally:
        if previous is None:
            session.info.pop(_REMEMBERED, None)
        else:
            session.info[_REMEMBERED] = previous


def _latest_populations(session: Session) -> pl.DataFrame:
    memo = session.info.get(_REMEMBERED)
    if memo is not None and "populations" in memo:
        found: pl.DataFrame = memo["populations"]
        return found
    people = populations(session)
    latest = people.sort("year").group_by("country").last().select("country", "population")
    if memo is not None:
        memo["populations"] = latest
    return latest


def _weights(session: Session, members: list[str]) -> pl.DataFrame:
    """Each member's population (latest year), 1 where it is not known: what coverage is measured in."""
    latest = _latest_populations(session)
    return (
        pl.DataFrame({"country": members})
        .join(latest, on="country", how="left")
        .select("country", pl.col("population").cast(pl.Float64).fill_null(1.0).alias("weight"))
    )


def aggregate(
    rows: pl.DataFrame, weights: pl.DataFrame, kind: str, threshold: float = COVERAGE_THRESHOLD
) -> pl.DataFrame:
    """Per code and date, a group's figure from its members' ``rows`` (one per member, code and date) and
    how much of the group it covers: columns code, date, value, numerator, denominator, countries (members
    with a covered value), uncovered (members whose value is not covered), coverage (share of the group's
    population, ``weights``, whose figures are covered), published (coverage ≥ ``threshold``), sources,
    snapshot_date, missing (what the uncovered members miss). A member without a row on a date is covered
    and counts nothing there (an IXP directory lists every IXP it knows: a country absent has none)."""
    total = float(weights.get_column("weight").sum()) or 1.0
    joined = rows.join(weights, on="country", how="left").with_columns(pl.col("weight").fill_null(1.0))
    # Registry figures of one date combine several files; an IXP directory's snapshot stands alone.
    registry = pl.col("code").is_in(REGISTRY_CODES)
    joined = joined.with_columns(pl.when(registry).then(pl.lit("")).otherwise(pl.col("source")).alias("directory"))
    ok = pl.col("missing") == ""
    out = joined.group_by("code", "date", "directory").agg(
        pl.col("value").filter(ok).sum().alias("total"),
        pl.col("numerator").filter(ok).sum().alias("numerator"),
        pl.col("denominator").filter(ok).sum().alias("denominator"),
        ok.sum().alias("countries"),
        (~ok).sum().alias("uncovered"),
        pl.col("weight").filter(~ok).sum().alias("lost"),
        pl.col("source").filter(ok).unique().sort().alias("sources"),
        pl.col("snapshot_date").filter(ok).max().alias("snapshot_date"),
        pl.col("missing").filter(~ok).str.split(",").list.explode().unique().sort().alias("missing"),
    )
    value = (
        pl.when(pl.col("denominator") > 0).then(pl.col("numerator") / pl.col("denominator"))
        if kind == "share"
        else pl.col("total")
    )
    coverage = 1.0 - pl.col("lost").fill_null(0.0) / total
    return out.with_columns(
        value.alias("value"), coverage.alias("coverage"), (coverage >= threshold - 1e-12).alias("published")
    ).sort("code", "date")


def group_indicators(session: Session, group: str, on: dt.date | None = None) -> dict[str, dict[str, Any]]:
    """Aggregates over a group's members: sums, and shares as Σnumerators/Σdenominators, each on one date
    (the latest on or before ``on`` whose covered members hold at least :data:`COVERAGE_THRESHOLD` of the
    group's population), with how much of the group it covers. A code no date covers enough is given
    with ``value`` None, ``published`` false and its best ``coverage``."""
    memo = session.info.get(_REMEMBERED)
    if memo is None:
        return _group_indicators(session, group, on)
    key = ("group_indicators", group, on, dt.date.today())  # today: the group's members
    if key not in memo:
        memo[key] = _group_indicators(session, group, on)
    found: dict[str, dict[str, Any]] = copy.deepcopy(memo[key])  # each caller its own: none changes another's
    return found


def _group_indicators(session: Session, group: str, on: dt.date | None) -> dict[str, dict[str, Any]]:
    found = members(session, area(group), on)
    rows = _member_rows(session, found, on)
    if rows.height == 0:
        return {}
    weights = _weights(session, found)
    figures = aggregate(rows, weights, "sum")
    shares = aggregate(rows, weights, "share")
    out: dict[str, dict[str, Any]] = {}
    for code, kind in CODES.items():
        table = (shares if kind == "share" else figures).filter(pl.col("code") == code)
        if table.height == 0:
            continue
        if code == "ixp_count" and (table.get_column("directory") == PRIMARY_DIRECTORY).any():
            table = table.filter(pl.col("directory") == PRIMARY_DIRECTORY)
        # A directory snapshot listing under half as many of the group's countries as the fullest one is
        # an extract, not the group's picture.
        table = table.filter(pl.col("countries") >= 0.5 * pl.col("countries").max())
        published = table.filter(pl.col("published"))
        pick = (published if published.height else table.sort("coverage", "date")).row(-1, named=True)
        value = pick["value"] if pick["published"] else None
        if value is not None and code == "ixp_count":
            excess = shared_ixp_excess(session, found, pick["date"], pick["directory"] or PRIMARY_DIRECTORY)
            value -= excess.get(pick["date"], 0)
        out[code] = {
            "value": value,
            "published": bool(pick["published"]),
            "date": pick["date"].isoformat(),
            "countries": int(pick["countries"]),
            "members": len(found),
            "coverage": round(float(pick["coverage"]), 4),
            "missing": [m for m in pick["missing"] if m],
            "sources": list(pick["sources"]),
            "snapshot_date": pick["snapshot_date"].isoformat() if pick["snapshot_date"] else None,
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
    """Time series (date, code, value over ``countries``), one value per date from the newest snapshot.

    Shares are Σnumerators/Σdenominators. A date whose covered countries hold less than
    :data:`COVERAGE_THRESHOLD` of their population has value None (a gap, never a partial sum); a single
    country's uncovered date likewise. Columns: code, date, value, source, coverage."""
    rows = _member_rows(session, countries, None).filter(pl.col("code").is_in(codes))
    if source:
        rows = rows.filter(pl.col("source").str.starts_with(source))
    if rows.height == 0:
        return pl.DataFrame(
            schema={
                "code": pl.String,
                "date": pl.Date,
                "value": pl.Float64,
                "source": pl.String,
                "coverage": pl.Float64,
            }
        )
    weights = _weights(session, countries)
    parts = []
    for kind in ("sum", "share"):
        mine = [c for c in codes if CODES.get(c, "sum") == kind]
        if mine:
            parts.append(aggregate(rows.filter(pl.col("code").is_in(mine)), weights, kind))
    table = pl.concat(parts).sort("countries").group_by("code", "date", maintain_order=True).last()
    return table.select(
        "code",
        "date",
        pl.when(pl.col("published")).then(pl.col("value")).alias("value"),
        pl.col("sources").list.first().alias("source"),
        "coverage",
    ).sort("code", "date")


def area_series(session: Session, value: str, codes: list[str], source: str | None = None) -> pl.DataFrame:
    """:func:`series` of the area ``value`` names (a group's members today); :class:`UnknownArea` when it
    names none, :class:`KeyError` for a code the catalogue does not have."""
    found = area(value)
    unknown = [c for c in codes if c not in CODES]
    if unknown:
        raise KeyError(f"unknown indicator(s): {', '.join(unknown)}")
    return series(session, members(session, found), codes, source)


def ixp_map(session: Session, on: dt.date | None = None, source: str = "caida_ixp") -> dict[str, Value]:
    """``ixp_count`` per country (alpha-3) in the newest snapshot of ``source`` on or before ``on``: the world
    map of IXP presence, one source and one date (a country the directory does not list has none)."""
    n = NetworkIndicator
    stmt = select(n).where(n.code == "ixp_count", n.source == source)
    if on is not None:
        stmt = stmt.where(n.date <= on)
    rows = list(session.scalars(stmt))
    if not rows:
        return {}
    newest = max(r.date for r in rows)
    return {country: v for (country, _), v in _latest([r for r in rows if r.date == newest]).items()}


def country_table(session: Session, codes: list[str], on: dt.date | None = None) -> dict[str, dict[str, Value]]:
    """Every country's latest value of each of ``codes`` (covered where possible, else what it misses):
    alpha-3 → code → :class:`Value`, for the tables and maps across countries."""
    n = NetworkIndicator
    stmt = select(n).where(n.code.in_(codes))
    if on is not None:
        stmt = stmt.where(n.date <= on)
    out: dict[str, dict[str, Value]] = {}
    for (country, code), value in _latest(list(session.scalars(stmt))).items():
        out.setdefault(country, {})[code] = value
    return out


def export_rows(session: Session) -> list[tuple[Any, ...]]:
    """Every stored indicator value as a row of :data:`EXPORT_COLUMNS` (country, code, date, value,
    numerator, denominator, source, snapshot date, and what an uncovered value misses), by country, code
    and date."""
    n = NetworkIndicator
    columns = [getattr(n, c) for c in EXPORT_COLUMNS]
    return [tuple(r) for r in session.execute(select(*columns).order_by(n.country, n.code, n.date)).all()]


def export_frame(session: Session) -> pl.DataFrame:
    """:func:`export_rows` as a frame."""
    schema = {**INDICATOR_SCHEMA, "source": pl.String, "snapshot_date": pl.Date, "missing": pl.String}
    return pl.DataFrame(export_rows(session), schema={c: schema[c] for c in EXPORT_COLUMNS}, orient="row")


HISTORY = ("ixp_count", "ixp_members", "ipv6_prefixes", "ipv6_holder_share", "asn_count")
"""The series drawn over time in the infrastructure section of country and group pages."""


def area_section(session: Session, code: str) -> dict[str, Any] | None:
    """The infrastructure section of a country (alpha-3) or group page, as far as the loaded data make it:
    ``is_group``, the area's ``indicators`` (:func:`area_indicators`), their first and last ``dates``, the
    ``coverage_threshold``, the ``history`` of :data:`HISTORY` over its members, a country's groups' figures
    (``comparison``) and its IXPs' Internet Health Report figures (``ixp_dependency``,
    ``ixp_dependency_evidence``). None when no indicator is loaded for it."""
    found = area(code)
    is_group = found.kind not in ("country", "registry")
    found_members = members(session, found)
    indicators = area_indicators(session, code)["indicators"]
    if not indicators:
        return None
    # IXP history from CAIDA's quarterly files (one source, so the line is comparable over time).
    others = series(session, found_members, [c for c in HISTORY if c != "ixp_count"])
    caida = series(session, found_members, ["ixp_count"], "caida_ixp")
    history: dict[str, list[dict[str, Any]]] = {
        c: (caida if c == "ixp_count" else others.filter(pl.col("code") == c))
        .select("date", "value", "source")
        .to_dicts()
        for c in HISTORY
    }
    comparison = []
    if not is_group:
        country = reference_countries().get(code)
        groups = [g for g in COUNTRY_GROUPS if in_group(g, code, dt.date.today())]
        if country and country.itu_region:
            groups.append(country.itu_region)
        for g in groups:
            comparison.append({"group": g, "indicators": group_indicators(session, g)})
    dates = sorted(
        {v["date"] for v in indicators.values() if v.get("covered", v.get("published", True)) and v.get("date")}
    )
    return {
        "is_group": is_group,
        "indicators": indicators,
        "dates": {"first": dates[0], "last": dates[-1]} if dates else None,
        "coverage_threshold": COVERAGE_THRESHOLD,
        "history": history,
        "comparison": comparison,
        "ixp_dependency": ixp_dependency(session, code) if not is_group else [],
        "ixp_dependency_evidence": domestic_exchange_evidence(session, code) if not is_group else [],
    }
