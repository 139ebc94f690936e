"""The JSON API of places (``/api/v1``): the lists of countries and groups, and one URL scheme for everything
known about one area, ``/api/v1/areas/{code}``: the area itself, and its ``pledges``, ``connectivity``,
``infrastructure``, ``transit`` and ``cost`` (each answered by its own capability under that path).

``{code}`` is any code :func:`observatory.reference.resolve_area` knows: a country (``KEN``, ``KE``), a UN
group (``LDC``), an ITU region (``africa``), an income group (``LIC``), ``WORLD``. The paths used before
this scheme answer with a permanent redirect (308) to their new place, for one release."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from observatory import pledges, reference
from observatory.errors import Invalid, NotFound
from observatory.pledges.api import SummaryGroup, SummaryTotal
from observatory.reference.areas import INCOME_GROUPS, REGISTRY_CODES
from observatory.web.deps import AreaDep, SessionDep
from observatory.web.openapi import IsoDate, Out, responses

router = APIRouter(prefix="/api/v1")


class CountryOut(Out):
    """A country or territory (ISO 3166-1, UN M49), its ITU region and the UN groups it belongs to on the day."""

    alpha3: str
    alpha2: str
    m49: str
    name_en: str
    name_fr: str
    itu_region: str | None
    groups: list[str] = Field(description="LDC, LLDC, SIDS: the groups it belongs to on the day asked (``on``)")


class MembershipOut(Out):
    """A membership of a UN group over [since, until); an open end is null."""

    group: str
    since: dt.date | None
    until: dt.date | None
    note: str


class CountryDetailOut(CountryOut):
    memberships: list[MembershipOut]


class CountryAreaOut(CountryDetailOut):
    """A country as an area: its codes, names, region, groups and dated memberships."""

    code: str = Field(description="ISO 3166-1 alpha-3, the area's code in every /api/v1/areas URL")
    kind: Literal["country"]


class GroupOut(Out):
    """A UN country group (LDC, LLDC, SIDS) or an ITU region, with its members on the day."""

    code: str
    kind: Literal["un_group", "itu_region"]
    name_en: str
    name_fr: str
    on: dt.date
    members: list[str] = Field(description="ISO 3166-1 alpha-3 codes")


OnDay = Annotated[IsoDate | None, Query(description="The day the memberships are taken on (YYYY-MM-DD; today)")]


def _country(c: reference.Country, day: dt.date) -> dict[str, Any]:
    return {
        "alpha3": c.alpha3,
        "alpha2": c.alpha2,
        "m49": c.m49,
        "name_en": c.name_en,
        "name_fr": c.name_fr,
        "itu_region": c.itu_region,
        "groups": [g for g in reference.COUNTRY_GROUPS if reference.in_group(g, c.alpha3, day)],
    }


@router.get(
    "/countries",
    response_model=list[CountryOut],
    responses=responses(),
    summary="Countries and territories (ISO 3166-1, M49), with ITU region and UN groups",
)
def countries_list(on: OnDay = None) -> Any:
    day = on or dt.date.today()
    return [_country(c, day) for c in reference.countries().values()]


def _group(code: str, day: dt.date) -> dict[str, Any]:
    if code in reference.COUNTRY_GROUPS:
        names, kind = reference.COUNTRY_GROUPS[code], "un_group"
        members = reference.group_members(code, day)
    elif code in reference.ITU_REGIONS:
        names, kind = reference.ITU_REGIONS[code], "itu_region"
        members = sorted(c.alpha3 for c in reference.countries().values() if c.itu_region == code)
    else:
        raise NotFound(f"unknown group {code!r}")
    return {"code": code, "kind": kind, "name_en": names[0], "name_fr": names[1], "on": day, "members": members}


@router.get(
    "/groups",
    response_model=list[GroupOut],
    responses=responses(),
    summary="UN country groups (LDC, LLDC, SIDS) and ITU regions, members as of a date",
)
def groups_list(on: OnDay = None) -> Any:
    day = on or dt.date.today()
    return [_group(code, day) for code in (*reference.COUNTRY_GROUPS, *reference.ITU_REGIONS)]


class OtherAreaOut(Out):
    """An area without members in the reference data: the world (every country), an income group (members as
    the loaded World Bank metadata says), an aggregate as a source published it, a registry code."""

    code: str
    kind: Literal["world", "income_group", "published", "registry"]
    name_en: str


def _memberships(alpha3: str) -> list[dict[str, Any]]:
    return [
        {"group": m.group, "since": m.since, "until": m.until, "note": m.note}
        for m in reference.memberships()
        if m.alpha3 == alpha3
    ]


OTHER_NAMES = {"world": "World", "published": "Aggregate as its source published it"}


@router.get(
    "/areas/{code}",
    response_model=CountryAreaOut | GroupOut | OtherAreaOut,
    responses=responses(404),
    summary="One area: a country (with its dated group memberships), a group or region (with its members)",
)
def area_get(area: AreaDep, on: OnDay = None) -> Any:
    day = on or dt.date.today()
    if area.kind == "country":
        country = _country(reference.countries()[area.code], day)
        return {**country, "code": area.code, "kind": "country", "memberships": _memberships(area.code)}
    if area.kind in ("un_group", "itu_region"):
        return _group(area.code, day)
    names = {**INCOME_GROUPS, **REGISTRY_CODES}
    return {"code": area.code, "kind": area.kind, "name_en": names.get(area.code, OTHER_NAMES.get(area.kind, ""))}


class AreaPledgesOut(Out):
    """What is pledged for an area, by the registry's counting rules: the pledges with at least one target in
    it (or every pledge, for the world); ``value_usd_attributed``, the part of their value that falls on its
    countries; the breakdowns split that attributed value."""

    area: str
    totals: SummaryTotal
    by_focus_area: list[SummaryGroup]
    by_year: list[SummaryGroup]
    pledges: str = Field(description="the API address that lists these pledges")


@router.get(
    "/areas/{code}/pledges",
    response_model=AreaPledgesOut,
    responses=responses(404),
    summary="What is pledged for an area: totals, the part falling on it, by focus area and by year",
)
def area_pledges(area: AreaDep, session: SessionDep) -> Any:
    chosen = pledges.area_selection(area)
    if chosen is None:
        raise NotFound(f"pledges are counted for countries, UN groups, ITU regions and the world, not {area.code}")
    f = chosen
    figures = pledges.area_figures(session, f)
    params = {
        k: v for k, v in {"country": f.country, "country_group": f.country_group, "region": f.region}.items() if v
    }
    listed = "/api/v1/pledges" + ("?" + urlencode(params, doseq=True) if params else "")
    return {"area": area.code, **figures, "pledges": listed}


# ---------------------------------------------------------------- the paths used before /api/v1/areas

moved = APIRouter(prefix="/api/v1", include_in_schema=False)


def _to(path: str, request: Request, drop: tuple[str, ...] = ()) -> RedirectResponse:
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in drop]
    return RedirectResponse(path + ("?" + urlencode(query) if query else ""), status_code=308)


# The path used before -> its place under /api/v1/areas/{code}.
MOVED = {
    "/countries/{code}": "/areas/{code}",
    "/groups/{code}": "/areas/{code}",
    "/connectivity/{code}": "/areas/{code}/connectivity",
    "/network/countries/{code}": "/areas/{code}/infrastructure",
    "/network/countries/{code}/series": "/areas/{code}/infrastructure/series",
    "/routing/transit/{code}": "/areas/{code}/transit",
}


def _redirect(new: str) -> Callable[[str, Request], Response]:
    def moved_here(code: str, request: Request) -> Response:
        return _to("/api/v1" + new.format(code=quote(code)), request)

    return moved_here


for old, new in MOVED.items():
    moved.add_api_route(old, _redirect(new), methods=["GET"])


@moved.get("/cost-model")
def moved_cost(request: Request) -> Response:
    country = request.query_params.get("country", "")
    if not country:
        raise Invalid("country is required (ISO 3166-1 alpha-2 or alpha-3)")
    return _to(f"/api/v1/areas/{quote(country)}/cost", request, drop=("country",))
