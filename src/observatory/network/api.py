"""The infrastructure API, ``/api/v1/network``: indicators per country or group (as the CLI's ``show``),
time series, the catalogue and a full export. Routes are thin: they call :mod:`observatory.network.service`.
Each answer's model lists what the service gives."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import Field

from observatory.exports import frame_csv
from observatory.indicators import INFRASTRUCTURE
from observatory.network import service
from observatory.web.deps import SessionDep
from observatory.web.openapi import IsoDate, Out, responses

router = APIRouter(prefix="/api/v1", tags=["network"])


class CatalogueEntryOut(Out):
    code: str
    name: str
    definition: str
    unit: str = Field(description="count, share, addresses, addresses_per_person or ratio")
    aggregate: Literal["sum", "share"] = Field(description="a group's value: a sum, or Σ numerators / Σ denominators")
    sources: str


class CountryValueOut(Out):
    """A country's latest value of an indicator, with the snapshot it comes from; a value the loaded data
    does not cover is null, ``covered`` false and ``missing`` says what it needs."""

    value: float | None
    covered: bool = Field(description="false: the source serving the country's region is not loaded for this date")
    missing: list[str] = Field(
        description="what is not loaded: a registry (afrinic, apnic, arin, lacnic, ripencc), or <registry>:extended"
    )
    source: str
    snapshot_date: dt.date
    date: dt.date


class GroupValueOut(Out):
    """A group's value of an indicator on one date, with the share of the group it covers."""

    value: float | None = Field(description="null when not published (coverage below the threshold)")
    published: bool = Field(description="whether the members covered hold enough of the group's population")
    date: dt.date = Field(description="the one date every member's figure is for")
    countries: int = Field(description="members with a covered value on that date")
    members: int
    coverage: float = Field(description="share of the group's population whose figures are covered")
    missing: list[str] = Field(description="what the uncovered members' figures need")
    sources: list[str]
    snapshot_date: dt.date | None


class AreaIndicatorsOut(Out):
    country: str = Field(description="the country (alpha-3), registry code or group asked about")
    date: dt.date | None
    indicators: dict[str, CountryValueOut] | dict[str, GroupValueOut]


class SeriesPointOut(Out):
    code: str
    date: dt.date
    value: float | None = Field(description="null where the covered countries hold too little of the population")
    source: str | None
    coverage: float = Field(description="share of the countries' population whose figures are covered")


class ExportRowOut(Out):
    country: str
    code: str
    date: dt.date
    value: float | None
    numerator: float | None
    denominator: float | None
    source: str
    snapshot_date: dt.date
    missing: str = Field(description="what an uncovered value needs (its value is then null); empty when covered")


@router.get("/network/indicators", response_model=list[CatalogueEntryOut], responses=responses())
def catalogue() -> Any:
    """The indicator catalogue: code, name, definition, unit, group aggregation, sources."""
    return [
        {
            "code": i.code,
            "name": i.name,
            "definition": i.definition,
            "unit": i.unit,
            "aggregate": i.aggregate,
            "sources": service.sources_text(i.sources),
        }
        for i in INFRASTRUCTURE.values()
    ]


@router.get("/areas/{code}/infrastructure", response_model=AreaIndicatorsOut, responses=responses(404))
def country(code: str, session: SessionDep, date: IsoDate | None = None, source: str | None = None) -> Any:
    """An area's Internet infrastructure: the latest value of each indicator on or before ``date`` for a country
    (alpha-2 or alpha-3) or group (LDC, LLDC, SIDS, an ITU region), with its source and snapshot date."""
    return service.area_indicators(session, code, date, source)


@router.get("/areas/{code}/infrastructure/series", response_model=list[SeriesPointOut], responses=responses(404))
def country_series(
    code: str,
    session: SessionDep,
    indicator: Annotated[list[str], Query()],
    source: str | None = None,
) -> Any:
    """Values over time (code, date, value, source) for a country or group (summed; shares re-divided)."""
    try:
        frame = service.area_series(session, code, indicator, source)
    except KeyError as e:
        raise HTTPException(422, e.args[0]) from e
    return [{**r, "date": r["date"].isoformat()} for r in frame.to_dicts()]


@router.get(
    "/network/export",
    response_model=list[ExportRowOut],
    responses=responses(csv="Every stored value: CSV by default, JSON with `format=json`."),
)
def export(session: SessionDep, format: Literal["json", "csv"] = "csv") -> Any:
    """Every stored indicator value with its source and snapshot date."""
    if format == "json":
        return [dict(zip(service.EXPORT_COLUMNS, r, strict=True)) for r in service.export_rows(session)]
    return Response(
        frame_csv(service.export_frame(session)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="network-indicators.csv"'},
    )
