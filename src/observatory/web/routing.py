"""Routing on the web: the transit/peering section (``#routing``) of country and group pages and its API,
``GET /api/v1/routing/transit/{code}``. Thin: the figures come from :mod:`observatory.routing.transit`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException
from markupsafe import Markup
from pydantic import Field

from observatory import reference
from observatory.network.api import CountryValueOut
from observatory.routing import transit
from observatory.web import charts
from observatory.web.context import SessionDep, Web
from observatory.web.openapi import Out, responses
from observatory.web.public import label

api = APIRouter(prefix="/api/v1/routing", tags=["routing"])


class SnapshotOut(Out):
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


class ProviderOut(Out):
    """A provider of the country's networks."""

    asn: int
    country: str | None = Field(description="where the provider is registered; null: unknown")
    domestic: bool
    customers: int = Field(description="the country's networks it serves")
    users: int | None = Field(description="their users (APNIC estimates); null: not loaded")


class CountryRelationshipsOut(Out):
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
    asn: int
    dependency: float
    transit_dependency: float
    country: str | None
    foreign: bool


class TopDependenciesOut(Out):
    date: dt.date | None
    top: list[DependencyOut]
    series: dict[int, list[tuple[dt.date, float]]] = Field(description="AS number → [[date, dependency], …]")


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


class CountryGroupFiguresOut(GroupFiguresOut):
    group: str
    ixp: dict[str, float | None]


class CountryTransitOut(Out):
    """Transit vs. peering for a country."""

    country: str
    as_relationships: CountryRelationshipsOut
    ixp: dict[str, CountryValueOut]
    hegemony: dict[str, HegemonyOut] = Field(description="by weighting (as, eyeball), where stored")
    top_dependencies: TopDependenciesOut
    groups: list[CountryGroupFiguresOut] = Field(description="the country's UN groups and ITU region")


class GroupRelationshipsOut(Out):
    snapshots: list[SnapshotOut]
    registry_date: dt.date | None


class GroupTransitOut(Out):
    """Transit vs. peering for a group (LDC, LLDC, SIDS, an ITU region)."""

    group: str
    as_relationships: GroupRelationshipsOut
    summary: GroupFiguresOut
    ixp: dict[str, float | None]
    countries: list[TransitFiguresOut]


def _area(code: str) -> tuple[str, bool]:
    if group := reference.group_code(code):
        return group, True
    alpha3 = reference.country_code(code)
    if alpha3 is None:
        raise HTTPException(404, f"unknown country or group {code!r}")
    return alpha3, False


@api.get("/transit/{code}", response_model=CountryTransitOut | GroupTransitOut, responses=responses(404))
def transit_figures(code: str, session: SessionDep) -> Any:
    """Transit vs. peering for a country (alpha-2 or alpha-3) or a group (LDC, LLDC, SIDS, an ITU region):
    providers of its networks (domestic or foreign), distinct foreign upstreams and their HHI, the shares of
    networks and users at a domestic IXP, the foreign share of its transit dependency, its top AS
    dependencies over time, with the AS-relationship coverage and the snapshots used (docs/routing-transit.md)."""
    area, is_group = _area(code)
    return transit.group_transit(session, area) if is_group else transit.country_transit(session, area)


def _has_data(data: dict[str, Any], is_group: bool) -> bool:
    if is_group:
        return bool(data["countries"] or data["ixp"])
    return bool(data["as_relationships"]["figures"] and data["as_relationships"]["figures"]["known_asns"]) or bool(
        data["ixp"] or data["hegemony"] or data["top_dependencies"]["top"]
    )


def _dependency_chart(web: Web, top: dict[str, Any]) -> Markup | None:
    series = [
        (f"AS{asn}", [(float(dt.date.fromisoformat(d).toordinal()), float(v)) for d, v in points])
        for asn, points in list(top["series"].items())[:5]
        if len(points) > 1
    ]
    if not series:
        return None
    return charts.line_chart(
        series,
        title=web.gettext("Dependency on each AS over time"),
        x_format=lambda x: web.fmt.date(dt.date.fromordinal(int(x))),
        y_format=web.fmt.percent,
        width=900,
    )


def section(web: Web, area: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The routing section of a country (alpha-3) or group page: its data (the JSON twin's ``routing``,
    None when nothing it needs is loaded) and the template's context (charts, names)."""
    is_group = area in reference.COUNTRY_GROUPS or area in reference.ITU_REGIONS
    data = transit.group_transit(web.session, area) if is_group else transit.country_transit(web.session, area)
    if not _has_data(data, is_group):
        return None, {}
    context: dict[str, Any] = {
        "routing_is_group": is_group,
        "routing_group_name": lambda g: label(web, "country_group" if g in reference.COUNTRY_GROUPS else "region", g),
        "routing_country_name": lambda c: label(web, "country", c) if c in reference.countries() else (c or "–"),
    }
    if not is_group:
        context["routing_dependency_chart"] = _dependency_chart(web, data["top_dependencies"])
        providers = data["as_relationships"]["providers"]
        if providers:
            context["routing_provider_chart"] = charts.bar_chart(
                [(f"AS{p['asn']} ({p['country'] or '?'})", float(p["customers"])) for p in providers],
                title=web.gettext("Providers by number of the country's networks they serve"),
                value_format=lambda v: web.fmt.number(v),
                max_items=10,
                width=900,  # drawn across the page: a narrower drawing would be scaled up, text and all
            )
    return data, context
