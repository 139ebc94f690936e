"""The JSON API of countries and country groups (``/api/v1``): ISO 3166-1 and M49 codes, ITU regions and the
UN groups (LDC, LLDC, SIDS) with their dated memberships."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from observatory import reference
from observatory.errors import NotFound
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


@router.get(
    "/countries/{code}",
    response_model=CountryDetailOut,
    responses=responses(404),
    summary="One country, with its dated group memberships",
)
def country_get(code: str, on: OnDay = None) -> Any:
    alpha3 = reference.country_code(code)
    if alpha3 is None:
        raise NotFound(f"unknown country code {code!r}")
    memberships = [
        {"group": m.group, "since": m.since, "until": m.until, "note": m.note}
        for m in reference.memberships()
        if m.alpha3 == alpha3
    ]
    return {**_country(reference.countries()[alpha3], on or dt.date.today()), "memberships": memberships}


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


@router.get(
    "/groups/{code}",
    response_model=GroupOut,
    responses=responses(404),
    summary="One country group or ITU region",
)
def group_get(code: str, on: OnDay = None) -> Any:
    return _group(code, on or dt.date.today())
