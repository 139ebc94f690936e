"""The infrastructure API, ``/api/v1/network``: indicators per country or group (as the CLI's ``show``),
time series, the catalogue and a full export. Routes are thin: they call :mod:`observatory.network.service`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy import select

from observatory import reference
from observatory.network.catalogue import CATALOGUE
from observatory.network.models import NetworkIndicator
from observatory.network.service import CODES, country_indicators, group_countries, group_indicators, series
from observatory.web.context import SessionDep

router = APIRouter(prefix="/api/v1/network", tags=["network"])


def _area(code: str) -> tuple[str, bool]:
    if group := reference.group_code(code):
        return group, True
    alpha3 = reference.country_code(code)
    if alpha3:
        return alpha3, False
    if len(code) == 2 and code.isalpha():  # registry codes that are not countries: ZZ, EU, AP
        return code.upper(), False
    raise HTTPException(404, f"unknown country or group {code!r}")


@router.get("/indicators")
def catalogue() -> list[dict[str, str]]:
    """The indicator catalogue: code, name, definition, unit, group aggregation, sources."""
    return [
        {
            "code": i.code,
            "name": i.name,
            "definition": i.definition,
            "unit": i.unit,
            "aggregate": i.aggregate,
            "sources": i.sources,
        }
        for i in CATALOGUE
    ]


@router.get("/countries/{code}")
def country(code: str, session: SessionDep, date: dt.date | None = None, source: str | None = None) -> dict[str, Any]:
    """Latest value of each indicator on or before ``date`` for a country (alpha-2 or alpha-3) or group
    (LDC, LLDC, SIDS, an ITU region), with its source and snapshot date."""
    area, is_group = _area(code)
    if is_group:
        values: dict[str, Any] = group_indicators(session, area, date)
    else:
        values = {k: v.as_json() for k, v in country_indicators(session, area, date, source).items()}
    return {"country": area, "date": date.isoformat() if date else None, "indicators": values}


@router.get("/countries/{code}/series")
def country_series(
    code: str,
    session: SessionDep,
    indicator: Annotated[list[str], Query()],
    source: str | None = None,
) -> list[dict[str, Any]]:
    """Values over time (code, date, value, source) for a country or group (summed; shares re-divided)."""
    area, is_group = _area(code)
    unknown = [i for i in indicator if i not in CODES]
    if unknown:
        raise HTTPException(422, f"unknown indicator(s): {', '.join(unknown)}")
    members = group_countries(area, dt.date.today()) if is_group else [area]
    frame = series(session, members, indicator, source)
    return [{**r, "date": r["date"].isoformat()} for r in frame.to_dicts()]


@router.get("/export")
def export(session: SessionDep, format: Literal["json", "csv"] = "csv") -> Any:
    """Every stored indicator value with its source and snapshot date."""
    n = NetworkIndicator
    columns = ("country", "code", "date", "value", "numerator", "denominator", "source", "snapshot_date")
    rows = session.execute(select(*(getattr(n, c) for c in columns)).order_by(n.country, n.code, n.date)).all()
    if format == "json":
        return [dict(zip(columns, r, strict=True)) for r in rows]
    types = (pl.String, pl.String, pl.Date, pl.Float64, pl.Float64, pl.Float64, pl.String, pl.Date)
    frame = pl.DataFrame(rows, schema=dict(zip(columns, types, strict=True)), orient="row")
    return Response(
        frame.write_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="network-indicators.csv"'},
    )
