"""The routing API, ``GET /api/v1/areas/{code}/transit``: transit vs. peering per country and group. Thin:
the area is resolved by the one rule (``AreaDep``: ``reference.resolve_area``), the figures come from
:mod:`observatory.routing.service`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from observatory.routing import service
from observatory.web.deps import AreaDep, SessionDep
from observatory.web.openapi import Out, responses

router = APIRouter(prefix="/api/v1", tags=["routing"])


class SnapshotOut(Out):
    """An AS-relationship snapshot the figures rest on."""

    edition: str
    data_date: dt.date | None


class TransitFiguresOut(Out):
    """A country's transit and peering figures from AS relationships (definitions: docs/routing-transit.md);
    null where the country's networks are not in the relationships."""

    country: str
    registered_asns: int
    known_asns: int
    coverage: float | None = Field(description="known ÷ registered ASes")
    transit_links: int | None
    foreign_transit_links: int | None
    peering_links: int | None
    foreign_peering_links: int | None
    domestic_providers: int | None
    foreign_upstreams: int | None
    hhi_foreign: float | None
    hhi_foreign_users: float | None
    foreign_transit_share: float | None
    foreign_transit_share_users: float | None
    published: bool = Field(
        description="false: the relationships know under half the country's networks, and every figure is null"
    )


class IxpShareOut(Out):
    """A share at a domestic IXP as the network capability stores it, with the snapshot it comes from."""

    value: float | None
    covered: bool
    missing: list[str]
    source: str
    snapshot_date: dt.date
    date: dt.date


class ProviderOut(Out):
    """A provider of the country's networks."""

    asn: int
    country: str | None = Field(description="where the provider is registered; null: unknown")
    name: str | None = Field(description="its name where a loaded source knows it (docs/data-sources.md#as_names)")
    domestic: bool
    customers: int = Field(description="the country's networks it serves")
    users: int | None = Field(description="their users (APNIC estimates); null: not loaded")


class CountryRelationshipsOut(Out):
    """The country's figures from AS relationships, with the snapshots and registry state they rest on."""

    snapshots: list[SnapshotOut]
    registry_date: dt.date | None
    eyeballs: bool = Field(description="whether APNIC user estimates are loaded")
    figures: TransitFiguresOut | None
    providers: list[ProviderOut] = Field(description="the 25 serving most of the country's networks")
    providers_total: int


class HegemonyOut(Out):
    """The foreign share of the country's transit dependency (stored AS hegemony)."""

    date: dt.date
    share: float
    foreign_sum: float = Field(description="Σ of the foreign ASes' transit dependency (can exceed 1)")
    largest_foreign_asn: int | None
    largest_foreign_dependency: float | None


class DependencyOut(Out):
    """The country's dependency on one AS (stored AS hegemony)."""

    asn: int
    dependency: float
    transit_dependency: float
    country: str | None
    name: str | None = Field(description="its name where a loaded source knows it")
    foreign: bool


class TopDependenciesOut(Out):
    """The country's largest AS dependencies on the newest stored date, and their history."""

    date: dt.date | None
    top: list[DependencyOut]
    series: dict[int, list[tuple[dt.date, float]]] = Field(description="AS number → [[date, dependency], …]")


class RankedAsOut(Out):
    """One AS of a ranking by IHR's global hegemony."""

    rank: int
    asn: int
    name: str | None = Field(description="its name where a loaded source knows it")
    country: str | None = Field(description="where it is registered (alpha-3, or the source's code); null: unknown")
    hegemony: dict[dt.date, float] = Field(description="IHR date → global hegemony (0–1); a date missing: no value")


class RankingOut(Out):
    """The first ASes of a set by IHR's global hegemony on the newest IHR date."""

    rows: list[RankedAsOut]
    with_value: int = Field(description="ASes of the set IHR gives a value for")
    of: int = Field(description="ASes in the set")


class IhrHegemonyOut(Out):
    """The Internet Health Report's global AS hegemony of the country's networks and of their providers."""

    source: str = Field(description="the source's registry name, ihr_hegemony")
    dates: list[dt.date] = Field(description="IHR's dates, newest first")
    networks: RankingOut = Field(description="ASes registered in the country")
    providers: RankingOut = Field(description="providers of the country's networks (CAIDA AS relationships)")


class GroupFiguresOut(Out):
    """A group's figures pooled over its members with AS relationships (null: none has)."""

    countries: int = Field(description="members with figures")
    members: int
    registered_asns: int | None
    known_asns: int | None
    coverage: float | None
    foreign_transit_share: float | None
    foreign_transit_share_users: float | None
    foreign_link_share: float | None
    median_foreign_upstreams: float | None
    median_hhi_foreign: float | None
    published: bool = Field(description="false: the relationships know under half the members' networks; figures null")


class CountryGroupFiguresOut(GroupFiguresOut):
    """The figures of one of the country's groups."""

    group: str
    ixp: dict[str, float | None]


class CountryTransitOut(Out):
    """Transit vs. peering for a country."""

    country: str
    as_relationships: CountryRelationshipsOut
    ixp: dict[str, IxpShareOut]
    hegemony: dict[str, HegemonyOut] = Field(description="by weighting (as, eyeball), where stored")
    top_dependencies: TopDependenciesOut
    ihr_hegemony: IhrHegemonyOut | None = Field(description="null: no IHR file loaded")
    groups: list[CountryGroupFiguresOut] = Field(description="the country's UN groups and ITU region")


class GroupRelationshipsOut(Out):
    """The snapshots and registry state a group's figures rest on."""

    snapshots: list[SnapshotOut]
    registry_date: dt.date | None


class GroupTransitOut(Out):
    """Transit vs. peering for a group (LDC, LLDC, SIDS, an ITU region)."""

    group: str
    as_relationships: GroupRelationshipsOut
    summary: GroupFiguresOut
    ixp: dict[str, float | None]
    countries: list[TransitFiguresOut]


@router.get("/areas/{code}/transit", response_model=CountryTransitOut | GroupTransitOut, responses=responses(404))
def transit_figures(area: AreaDep, session: SessionDep) -> Any:
    """Transit vs. peering for a country (alpha-2 or alpha-3) or a group (LDC, LLDC, SIDS, an ITU region):
    providers of its networks (domestic or foreign), distinct foreign upstreams and their HHI, the shares of
    networks and users at a domestic IXP, the foreign share of its transit dependency, its top AS
    dependencies over time, with the AS-relationship coverage and the snapshots used (docs/routing-transit.md)."""
    return service.transit_picture(session, area)
