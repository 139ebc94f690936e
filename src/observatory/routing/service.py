"""Routing's queries and rules: the stored AS hegemony and country dependency read back (they are stored by the
routing tables' source, :mod:`observatory.routing.sources.routing_tables`), and the transit/peering picture of a
country or a group put together from the loaded snapshots (the figures themselves:
:mod:`observatory.routing.transit`)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory import network
from observatory.errors import NotFound
from observatory.i18n import N_
from observatory.network.models import AsLink
from observatory.network.sources import as_names
from observatory.reference import COUNTRY_GROUPS, Area, countries, in_group, resolve_area
from observatory.routing import transit
from observatory.routing.models import AsHegemony, CountryDependency
from observatory.routing.sources.ihr import IhrHegemony
from observatory.sources import SourceLoad

log = logging.getLogger(__name__)

ASREL = "caida_asrel"  # the ``NAME`` of the network capability's source of CAIDA AS relationships
IXP_CODES = ("asn_at_domestic_ixp_share", "eyeball_share_at_domestic_ixp")
# The areas transit figures are computed for: a country, or a group whose members the reference data know.
TRANSIT_KINDS = ("country", "un_group", "itu_region")
BATCH = 5_000  # AS numbers per query
MAX_ASN = 4_294_967_295


def registry(session: Session, users: bool = False) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The newest RIR registry (asn → country) and, with ``users``, APNIC's users per AS, as loaded by
    ``observatory network ingest`` (each empty when not loaded; users None when not asked for)."""
    return network.asn_countries(session), network.eyeballs(session) if users else None


# ------------------------------------------------------------------ stored results


def top_dependencies(
    session: Session, country: str, *, weighting: str = "as", af: int = 4, limit: int = 10
) -> dict[str, Any]:
    """The latest stored date's top ``limit`` dependencies of ``country`` and, for those ASes, every
    stored date: ``{"date", "top": [{asn, dependency, transit_dependency}], "series": {asn: [[date, value]]}}``."""
    where = (CountryDependency.country == country, CountryDependency.weighting == weighting, CountryDependency.af == af)
    latest = session.scalar(
        select(CountryDependency.data_date).where(*where).order_by(CountryDependency.data_date.desc())
    )
    if latest is None:
        return {"date": None, "top": [], "series": {}}
    top = session.execute(
        select(CountryDependency.asn, CountryDependency.dependency, CountryDependency.transit_dependency)
        .where(*where, CountryDependency.data_date == latest)
        .order_by(CountryDependency.dependency.desc(), CountryDependency.asn)
        .limit(limit)
    ).all()
    asns = [row.asn for row in top]
    series: dict[int, list[list[Any]]] = {asn: [] for asn in asns}
    for row in session.execute(
        select(CountryDependency.asn, CountryDependency.data_date, CountryDependency.dependency)
        .where(*where, CountryDependency.asn.in_(asns))
        .order_by(CountryDependency.data_date)
    ):
        series[row.asn].append([row.data_date.isoformat(), row.dependency])
    return {
        "date": latest.isoformat(),
        "top": [{"asn": r.asn, "dependency": r.dependency, "transit_dependency": r.transit_dependency} for r in top],
        "series": series,
    }


def dependency_frames(session: Session, country: str | None = None) -> dict[str, tuple[dt.date, pl.DataFrame]]:
    """Per weighting (``as``, ``eyeball``), the newest stored date's IPv4 country dependency (of ``country``, or
    of every country): that date and a frame country, asn, dependency, transit_dependency."""
    c = CountryDependency
    out: dict[str, tuple[dt.date, pl.DataFrame]] = {}
    for weighting in ("as", "eyeball"):
        where = [c.weighting == weighting, c.af == 4]
        if country:
            where.append(c.country == country)
        latest = session.scalar(select(c.data_date).where(*where).order_by(c.data_date.desc()).limit(1))
        if latest is None:
            continue
        rows = session.execute(
            select(c.country, c.asn, c.dependency, c.transit_dependency).where(*where, c.data_date == latest)
        ).all()
        schema = {"country": pl.String, "asn": pl.Int64, "dependency": pl.Float64, "transit_dependency": pl.Float64}
        out[weighting] = (latest, pl.DataFrame(rows, schema=schema, orient="row"))
    return out


# ------------------------------------------------------------------ transit vs. peering from the loaded snapshots


@dataclass
class Inputs:
    """What the transit figures are computed from, with the snapshots they come from. Computing the figures of
    many areas from one ``Inputs`` (one database state) reads and derives what they share once: the transit
    table of every country (:meth:`table`) and the newest registry (:meth:`newest_registry`)."""

    links: pl.DataFrame
    registry: pl.DataFrame
    users: pl.DataFrame
    asrel_loads: list[dict[str, Any]] = field(default_factory=list)
    date: dt.date | None = None
    _table: pl.DataFrame | None = field(default=None, init=False, repr=False, compare=False)
    _newest: pl.DataFrame | None = field(default=None, init=False, repr=False, compare=False)

    def table(self) -> pl.DataFrame:
        """The transit figures of every country (:func:`observatory.routing.transit.transit_table`)."""
        if self._table is None:
            self._table = transit.transit_table(self.links, self.registry, self.users)
        return self._table

    def newest_registry(self, session: Session) -> pl.DataFrame:
        """The registry's newest state (:func:`observatory.network.asn_countries` on no date), read once."""
        if self._newest is None:
            self._newest = network.asn_countries(session)
        return self._newest


def load_inputs(session: Session, on: dt.date | None = None) -> Inputs:
    """AS relationships from every loaded CAIDA snapshot dated on or before ``on`` (a pair seen in
    several keeps the newest snapshot's relationship: the shared data are subsets of one CAIDA release),
    with the registry state and APNIC estimates as of the newest of them."""
    loads, links = as_links(session, on)
    if not loads:
        return Inputs(links, pl.DataFrame(schema=transit.REGISTRY_SCHEMA), pl.DataFrame())
    date = loads[-1].data_date
    return Inputs(
        links,
        network.asn_countries(session, date),
        network.eyeballs(session, date),
        [{"edition": x.edition, "data_date": x.data_date.isoformat() if x.data_date else None} for x in loads],
        date,
    )


def as_links(session: Session, on: dt.date | None = None) -> tuple[list[SourceLoad], pl.DataFrame]:
    """The loaded CAIDA AS-relationship snapshots dated on or before ``on`` (oldest first) and their links
    (``provider``, ``customer``, ``relationship``), a pair seen in several keeping the newest snapshot's."""
    stmt = select(SourceLoad).where(SourceLoad.source == ASREL, SourceLoad.id.in_(select(AsLink.load_id).distinct()))
    loads = [x for x in session.scalars(stmt) if on is None or (x.data_date or dt.date.min) <= on]
    loads.sort(key=lambda x: (x.data_date or dt.date.min, x.id))
    if not loads:
        return [], pl.DataFrame(schema=transit.LINK_SCHEMA)
    rank = {x.id: i for i, x in enumerate(loads)}
    a = AsLink
    rows = session.execute(select(a.load_id, a.asn1, a.asn2, a.relationship).where(a.load_id.in_(list(rank)))).all()
    links = pl.DataFrame(rows, schema={"load_id": pl.Int64, **transit.LINK_SCHEMA}, orient="row")
    pair = [
        pl.min_horizontal("provider", "customer").alias("lo"),
        pl.max_horizontal("provider", "customer").alias("hi"),
    ]
    links = (
        links.with_columns(pl.col("load_id").replace_strict(rank, return_dtype=pl.Int64).alias("rank"), *pair)
        .sort("rank")
        .unique(["lo", "hi"], keep="last")
        .select(list(transit.LINK_SCHEMA))
    )
    return loads, links


def transit_picture(session: Session, area: Area, inputs: Inputs | None = None) -> dict[str, Any]:
    """Transit vs. peering for ``area``: :func:`country_transit` for a country, :func:`group_transit` for a UN
    group or an ITU region. Other kinds of area (the world, income groups, published aggregates, registry codes)
    have no transit figures: :class:`NotFound`."""
    if area.kind == "country":
        return country_transit(session, area.code, inputs)
    if area.kind in TRANSIT_KINDS:
        return group_transit(session, area.code, inputs)
    raise NotFound(f"no transit figures for {area.code}: they are computed for countries, UN groups and ITU regions")


def country_transit(session: Session, country: str, inputs: Inputs | None = None) -> dict[str, Any]:
    """The transit/peering picture of one country (alpha-3): AS-relationship figures with their
    coverage, the providers of its networks, the IXP shares, the foreign share of its transit dependency
    (from stored AS hegemony when present), its top AS dependencies over time, the Internet Health Report's
    global hegemony of its networks and their providers, and its groups' figures; every AS with its name
    where a loaded source knows it."""
    inputs = inputs or load_inputs(session)
    table = inputs.table()
    found = table.filter(pl.col("country") == country)
    figures = found.row(0, named=True) if found.height else None
    provider_rows = transit.providers(inputs.links, inputs.registry, country, inputs.users)
    ixp = network.country_indicators(session, country)
    # Without AS relationships there is no snapshot date to take the registry at: its newest state.
    registry = inputs.registry if inputs.registry.height else inputs.newest_registry(session)
    hegemony: dict[str, Any] = {}
    for weighting, (date, frame) in dependency_frames(session, country).items():
        share = transit.hegemony_foreign_share(frame, registry, country)
        if share:
            hegemony[weighting] = {"date": date.isoformat(), **share}
    top = top_dependencies(session, country)
    where = dict(zip(registry["asn"].to_list(), registry["country"].to_list(), strict=True)) if top["top"] else {}
    for row in top["top"]:
        row["country"] = where.get(row["asn"])
        row["foreign"] = where.get(row["asn"]) != country
    today = dt.date.today()
    providers = provider_rows.head(25).to_dicts()
    newest = inputs.newest_registry(session) if inputs.date is not None else registry  # for IHR's 2022–2023 dates
    name_rows(session, providers + top["top"], newest)
    shown = _published(_clean(figures))
    return {
        "country": country,
        "as_relationships": {
            **_snapshots(inputs),
            "eyeballs": bool(inputs.users.height),
            "figures": shown,
            "providers": providers if shown is None or shown["published"] else [],
            "providers_total": provider_rows.height,
        },
        "ixp": {code: ixp[code].as_json() for code in IXP_CODES if code in ixp},
        "hegemony": hegemony,
        "top_dependencies": top,
        "ihr_hegemony": country_hegemony(session, country, inputs, newest),
        "groups": [
            {"group": g, **_pooled(transit.group_summary(table, _members(g, today))), "ixp": _group_ixp(session, g)}
            for g in country_groups(country, today)
        ],
    }


def group_transit(session: Session, group: str, inputs: Inputs | None = None) -> dict[str, Any]:
    """The transit/peering figures of a group (LDC, LLDC, SIDS or an ITU region, by its code), pooled over its
    members today, and the members' own figures, most dependent on foreign transit first."""
    inputs = inputs or load_inputs(session)
    table = inputs.table()
    members = _members(group, dt.date.today())
    rows = table.filter(pl.col("country").is_in(members) & (pl.col("known_asns") > 0)).sort(
        "foreign_transit_share", descending=True, nulls_last=True
    )
    return {
        "group": group,
        "as_relationships": _snapshots(inputs),
        "summary": _pooled(transit.group_summary(table, members)),
        "ixp": _group_ixp(session, group),
        "countries": [_published(_clean(r)) for r in rows.to_dicts()],
    }


def country_groups(country: str, on: dt.date | None = None) -> list[str]:
    """The UN groups the country (alpha-3) belongs to on ``on`` (default today), then its ITU region."""
    groups = [g for g in COUNTRY_GROUPS if in_group(g, country, on or dt.date.today())]
    found = countries().get(country)
    if found and found.itu_region:
        groups.append(found.itu_region)
    return groups


def _members(group: str, on: dt.date) -> list[str]:
    return resolve_area(group).members(on)


def _snapshots(inputs: Inputs) -> dict[str, Any]:
    return {"snapshots": inputs.asrel_loads, "registry_date": inputs.date.isoformat() if inputs.date else None}


def _group_ixp(session: Session, group: str) -> dict[str, Any]:
    values = network.group_indicators(session, group)
    return {code: values[code]["value"] for code in IXP_CODES if code in values}


MIN_TRANSIT_COVERAGE = 0.5
"""A country's transit figures are published when the AS relationships loaded know at least this share of
its registered networks: below it they describe a few networks, not the country (docs/routing-transit.md)."""
KEPT_UNPUBLISHED = ("country", "registered_asns", "known_asns", "coverage", "countries", "members")


def _published(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """``row`` with ``published``; below :data:`MIN_TRANSIT_COVERAGE` only its coverage is kept, the figures null."""
    if row is None:
        return None
    published = (row.get("coverage") or 0.0) >= MIN_TRANSIT_COVERAGE
    kept = row if published else {k: (v if k in KEPT_UNPUBLISHED else None) for k, v in row.items()}
    return {**kept, "published": published}


def _pooled(summary: dict[str, Any]) -> dict[str, Any]:
    """A group's pooled figures with ``published`` (the rule of :func:`_published` on its pooled coverage)."""
    shown = _published(summary)
    return shown if shown is not None else summary


def _clean(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop the numerator/denominator helpers from a figures row (the shares beside them say it)."""
    if row is None:
        return None
    return {k: v for k, v in row.items() if not k.endswith(("_num", "_den"))}


# ------------------------------------------------------------------ AS hegemony by source, and what is known of an AS

IHR = "ihr_hegemony"  # the ``NAME`` of IHR's published global hegemony (routing/sources/ihr.py)
OWN = "routing_tables"  # the platform's own hegemony, computed from RIB files
HEGEMONY_SOURCES = (IHR, OWN)
# How readers know each source of hegemony (English; the pages translate them).
HEGEMONY_LABELS: dict[str, str] = {
    IHR: IhrHegemony.label(),
    OWN: N_("AS hegemony computed from BGP routing tables (RIPE RIS, RouteViews)"),
}
TOP = 10  # ASes listed per ranking on a country page
NEIGHBOURS = 100  # providers and customers listed on an AS page


def hegemony_dates(session: Session, source: str, af: int = 4) -> list[dt.date]:
    """The dates of the global AS hegemony stored from ``source`` (``ihr_hegemony`` or ``routing_tables``),
    newest first."""
    stmt = (
        select(AsHegemony.data_date)
        .join(SourceLoad, SourceLoad.id == AsHegemony.load_id)
        .where(SourceLoad.source == source, AsHegemony.af == af)
        .distinct()
    )
    return sorted(session.scalars(stmt), reverse=True)


def global_hegemony(
    session: Session, source: str, *, asns: list[int] | None = None, on: dt.date | None = None, af: int = 4
) -> pl.DataFrame:
    """The global AS hegemony stored from ``source``: columns ``data_date``, ``asn``, ``hegemony``, for the ASes
    ``asns`` (default all) and the date ``on`` (default every date)."""
    h = AsHegemony
    where = [SourceLoad.source == source, h.af == af]
    if on is not None:
        where.append(h.data_date == on)
    schema = {"data_date": pl.Date, "asn": pl.Int64, "hegemony": pl.Float64}
    stmt = select(h.data_date, h.asn, h.hegemony).join(SourceLoad, SourceLoad.id == h.load_id).where(*where)
    if asns is None:
        return pl.DataFrame(session.execute(stmt).all(), schema=schema, orient="row")
    rows: list[Any] = []
    wanted = sorted(set(asns))
    for start in range(0, len(wanted), BATCH):
        rows.extend(session.execute(stmt.where(h.asn.in_(wanted[start : start + BATCH]))).all())
    return pl.DataFrame(rows, schema=schema, orient="row")


def known_ases(session: Session, asns: list[int], registry: pl.DataFrame | None = None) -> dict[int, dict[str, Any]]:
    """Name, country and category of each AS of ``asns`` from every loaded source that knows them, with
    what each source said (:func:`observatory.network.sources.as_names.known`)."""
    return {asn: k.as_json() for asn, k in as_names.known(session, asns, registry=registry).items()}


def _ranking(session: Session, asns: list[int], dates: list[dt.date], registry: pl.DataFrame) -> dict[str, Any]:
    """The IHR hegemony of ``asns`` on each of ``dates`` (newest first), ranked by the newest date's value."""
    if not asns or not dates:
        return {"rows": [], "with_value": 0, "of": len(asns)}
    frame = global_hegemony(session, IHR, asns=asns).filter(pl.col("data_date").is_in(dates))
    newest = frame.filter(pl.col("data_date") == dates[0]).sort(["hegemony", "asn"], descending=[True, False])
    ranked = newest["asn"].to_list()
    # ASes IHR gives a value only on an earlier date come after, by that value
    earlier = frame.filter(~pl.col("asn").is_in(ranked)).sort(["hegemony", "asn"], descending=[True, False])
    ranked += [a for a in earlier["asn"].unique(maintain_order=True).to_list()]
    values: dict[int, dict[str, float]] = {}
    for date, asn, value in frame.iter_rows():
        values.setdefault(asn, {})[date.isoformat()] = value
    top = ranked[:TOP]
    names = as_names.known(session, top, registry=registry)
    rows = [
        {
            "rank": i + 1,
            "asn": asn,
            "name": names[asn].name,
            "country": names[asn].country,
            "hegemony": values.get(asn, {}),
        }
        for i, asn in enumerate(top)
    ]
    return {"rows": rows, "with_value": len(ranked), "of": len(asns)}


def country_hegemony(
    session: Session, country: str, inputs: Inputs | None = None, registry: pl.DataFrame | None = None
) -> dict[str, Any] | None:
    """The Internet Health Report's global hegemony of ``country``'s networks (ASes registered in it) and of
    their providers (CAIDA AS relationships), ranked, on each IHR date; None when no IHR file is loaded.
    ``registry`` (the newest :func:`observatory.network.asn_countries`) spares reading it again."""
    dates = hegemony_dates(session, IHR)
    if not dates:
        return None
    inputs = inputs or load_inputs(session)
    registry = registry if registry is not None else network.asn_countries(session)
    mine = registry.filter(pl.col("country") == country)["asn"].to_list()
    providers = (
        transit.providers(inputs.links, inputs.registry, country)["asn"].to_list() if inputs.links.height else []
    )
    return {
        "source": IHR,
        "dates": [d.isoformat() for d in dates],
        "networks": _ranking(session, mine, dates, registry),
        "providers": _ranking(session, providers, dates, registry),
    }


def name_rows(session: Session, rows: list[dict[str, Any]], registry: pl.DataFrame | None = None) -> None:
    """Give each row (a dict with ``asn``) the ``name`` the loaded sources know, and a ``country`` where it has
    none."""
    if not rows:
        return
    names = as_names.known(session, [r["asn"] for r in rows], registry=registry)
    for row in rows:
        row["name"] = names[row["asn"]].name
        if not row.get("country"):
            row["country"] = names[row["asn"]].country


def as_profile(session: Session, asn: int) -> dict[str, Any]:
    """Everything loaded about AS ``asn``: name, country, category and what each source says; the registry
    that delegated it; its global hegemony over time per source; its IXPs; its providers, customers and
    peers (CAIDA AS relationships). :class:`NotFound` when no loaded source knows the AS."""
    if not 0 <= asn <= MAX_ASN:
        raise NotFound(f"AS{asn} is not an AS number (0–{MAX_ASN})")
    facts = as_names.known(session, [asn])[asn]
    facts.registry = as_names.delegation(session, asn)
    hegemony = []
    for source in HEGEMONY_SOURCES:
        frame = global_hegemony(session, source, asns=[asn]).sort("data_date")
        if frame.height:
            hegemony.append({"source": source, "points": [[d.isoformat(), v] for d, _, v in frame.iter_rows()]})
    ixps = as_names.ixps(session, asn)
    loads, links = as_links(session)
    providers = links.filter((pl.col("customer") == asn) & (pl.col("relationship") == -1))["provider"].to_list()
    customers = links.filter((pl.col("provider") == asn) & (pl.col("relationship") == -1))["customer"].to_list()
    peers = links.filter(
        ((pl.col("provider") == asn) | (pl.col("customer") == asn)) & (pl.col("relationship") == 0)
    ).height
    if not (facts.known or hegemony or ixps or providers or customers or peers):
        raise NotFound(f"nothing is known about AS{asn} in the loaded data")
    providers, customers = sorted(set(providers)), sorted(set(customers))
    # A large transit network has thousands of customers: the page lists the first ones, and says how many.
    neighbours = as_names.known(session, providers[:NEIGHBOURS] + customers[:NEIGHBOURS])

    def listed(asns: list[int]) -> list[dict[str, Any]]:
        return [{"asn": a, "name": neighbours[a].name, "country": neighbours[a].country} for a in asns]

    return {
        **facts.as_json(),
        "hegemony": hegemony,
        "ixps": ixps,
        "relationships": {
            "snapshots": [
                {"edition": x.edition, "data_date": x.data_date.isoformat() if x.data_date else None} for x in loads
            ],
            "providers": listed(providers[:NEIGHBOURS]),
            "providers_total": len(providers),
            "customers": listed(customers[:NEIGHBOURS]),
            "customers_total": len(customers),
            "peers": peers,
        },
    }
