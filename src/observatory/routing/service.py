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
from observatory.network.models import AsLink
from observatory.reference import COUNTRY_GROUPS, Area, countries, in_group, resolve_area
from observatory.routing import transit
from observatory.routing.models import CountryDependency
from observatory.sources import SourceLoad

log = logging.getLogger(__name__)

ASREL = "caida_asrel"  # the ``NAME`` of the network capability's source of CAIDA AS relationships
IXP_CODES = ("asn_at_domestic_ixp_share", "eyeball_share_at_domestic_ixp")
# The areas transit figures are computed for: a country, or a group whose members the reference data know.
TRANSIT_KINDS = ("country", "un_group", "itu_region")
BATCH = 100_000  # rows written per batch


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
    """What the transit figures are computed from, with the snapshots they come from."""

    links: pl.DataFrame
    registry: pl.DataFrame
    users: pl.DataFrame
    asrel_loads: list[dict[str, Any]] = field(default_factory=list)
    date: dt.date | None = None


def load_inputs(session: Session, on: dt.date | None = None) -> Inputs:
    """AS relationships from every loaded CAIDA snapshot dated on or before ``on`` (a pair seen in
    several keeps the newest snapshot's relationship: the shared data are subsets of one CAIDA release),
    with the registry state and APNIC estimates as of the newest of them."""
    stmt = select(SourceLoad).where(SourceLoad.source == ASREL, SourceLoad.id.in_(select(AsLink.load_id).distinct()))
    loads = [x for x in session.scalars(stmt) if on is None or (x.data_date or dt.date.min) <= on]
    loads.sort(key=lambda x: (x.data_date or dt.date.min, x.id))
    if not loads:
        return Inputs(
            pl.DataFrame(schema=transit.LINK_SCHEMA), pl.DataFrame(schema=transit.REGISTRY_SCHEMA), pl.DataFrame()
        )
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
    date = loads[-1].data_date
    return Inputs(
        links,
        network.asn_countries(session, date),
        network.eyeballs(session, date),
        [{"edition": x.edition, "data_date": x.data_date.isoformat() if x.data_date else None} for x in loads],
        date,
    )


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
    (from stored AS hegemony when present), its top AS dependencies over time, and its groups' figures."""
    inputs = inputs or load_inputs(session)
    table = transit.transit_table(inputs.links, inputs.registry, inputs.users)
    found = table.filter(pl.col("country") == country)
    figures = found.row(0, named=True) if found.height else None
    provider_rows = transit.providers(inputs.links, inputs.registry, country, inputs.users)
    ixp = network.country_indicators(session, country)
    # Without AS relationships there is no snapshot date to take the registry at: its newest state.
    registry = inputs.registry if inputs.registry.height else network.asn_countries(session)
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
    return {
        "country": country,
        "as_relationships": {
            **_snapshots(inputs),
            "eyeballs": bool(inputs.users.height),
            "figures": _clean(figures),
            "providers": provider_rows.head(25).to_dicts(),
            "providers_total": provider_rows.height,
        },
        "ixp": {code: ixp[code].as_json() for code in IXP_CODES if code in ixp},
        "hegemony": hegemony,
        "top_dependencies": top,
        "groups": [
            {"group": g, **transit.group_summary(table, _members(g, today)), "ixp": _group_ixp(session, g)}
            for g in country_groups(country, today)
        ],
    }


def group_transit(session: Session, group: str, inputs: Inputs | None = None) -> dict[str, Any]:
    """The transit/peering figures of a group (LDC, LLDC, SIDS or an ITU region, by its code), pooled over its
    members today, and the members' own figures, most dependent on foreign transit first."""
    inputs = inputs or load_inputs(session)
    table = transit.transit_table(inputs.links, inputs.registry, inputs.users)
    members = _members(group, dt.date.today())
    rows = table.filter(pl.col("country").is_in(members) & (pl.col("known_asns") > 0)).sort(
        "foreign_transit_share", descending=True, nulls_last=True
    )
    return {
        "group": group,
        "as_relationships": _snapshots(inputs),
        "summary": transit.group_summary(table, members),
        "ixp": _group_ixp(session, group),
        "countries": [_clean(r) for r in rows.to_dicts()],
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


def _clean(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop the numerator/denominator helpers from a figures row (the shares beside them say it)."""
    if row is None:
        return None
    return {k: v for k, v in row.items() if not k.endswith(("_num", "_den"))}
