"""The indicators API, ``/api/v1/indicators`` and ``/api/v1/connectivity``: editions and observations with their
provenance, the comparison of two editions, people offline, scores, projections and need against pledges.

Lists answer JSON, or CSV with ``format=csv``. Routes are thin: they call :mod:`observatory.indicators.store`
and :mod:`observatory.indicators.service`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, HTTPException, Query, Response

from observatory.indicators import report, service
from observatory.indicators.catalog import AGGREGATES, INDICATORS, UnknownArea, area_code
from observatory.indicators.store import EditionNotFound, compare_editions, editions, observations
from observatory.web.context import SessionDep

router = APIRouter(prefix="/api/v1", tags=["indicators"])
Areas = Annotated[list[str], Query(description="ISO alpha-3 country or aggregate (WORLD, LDC, africa, LIC …)")]
Years = Annotated[list[int], Query()]
Format = Literal["json", "csv"]


def _areas(values: list[str]) -> list[str] | None:
    try:
        return [area_code(v) for v in values] or None
    except UnknownArea as e:
        raise HTTPException(422, str(e)) from e


def _answer(frame: pl.DataFrame, format: Format, name: str) -> Any:
    if format == "csv":
        return Response(
            frame.write_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}.csv"'},
        )
    return frame.to_dicts()


def _connectivity(session: SessionDep) -> service.Connectivity:
    try:
        return service.connectivity(session)
    except service.NoData as e:
        raise HTTPException(404, str(e)) from e


@router.get("/indicators")
def list_indicators() -> list[dict[str, Any]]:
    """The indicators the store knows: code, name, unit, and whether higher or lower is better."""
    return [{"code": i.code, "name": i.name, "unit": i.unit, "better": i.better} for i in INDICATORS.values()]


@router.get("/indicators/editions")
def list_editions(session: SessionDep, indicator: str | None = None) -> list[dict[str, Any]]:
    """Every loaded edition, newest first, with its source, label, release date, load time and indicators."""
    try:
        return editions(session, indicator)
    except KeyError as e:
        raise HTTPException(404, e.args[0]) from e


@router.get("/indicators/{code}/observations", response_model=None)
def get_observations(
    code: str,
    session: SessionDep,
    area: Areas = [],  # noqa: B006
    year: Years = [],  # noqa: B006
    edition: str | None = None,
    format: Format = "json",
) -> Any:
    """Observations of one indicator from the latest edition (or ``edition``), each with its source, edition and
    load time."""
    try:
        frame = observations(session, code, _areas(area), year or None, edition)
    except (KeyError, EditionNotFound) as e:
        raise HTTPException(404, str(e.args[0])) from e
    return _answer(frame, format, f"{code}-{edition or 'latest'}")


@router.get("/indicators/{code}/compare", response_model=None)
def get_comparison(
    code: str,
    old: str,
    new: str,
    session: SessionDep,
    area: Areas = [],  # noqa: B006
    format: Format = "json",
) -> Any:
    """Two editions side by side (area, year, old, new, change): restated, added and dropped values."""
    try:
        frame = compare_editions(session, code, old, new, _areas(area))
    except (KeyError, EditionNotFound) as e:
        raise HTTPException(404, str(e.args[0])) from e
    return _answer(frame, format, f"{code}-{old}-vs-{new}")


@router.get("/connectivity/offline", response_model=None)
def get_offline(session: SessionDep, area: str = "WORLD", year: int | None = None, format: Format = "json") -> Any:
    """People offline in an area: with ``year``, one object ``{area, year, population, people_online,
    people_offline, internet_use_pct, observed_population_share}``; without, every year."""
    code = (_areas([area]) or [area])[0]
    c = _connectivity(session)
    try:
        if year is not None:
            return service.offline_figure(c, code, year)
    except service.NoData as e:
        raise HTTPException(404, str(e)) from e
    frame = c.offline.aggregates if code in AGGREGATES else c.offline.countries
    rows = frame.filter(pl.col("area") == code)
    if rows.height == 0:
        raise HTTPException(404, f"no people-offline figures for {code}")
    return _answer(rows, format, f"offline-{code}")


@router.get("/connectivity/scores", response_model=None)
def get_scores(session: SessionDep, area: Areas = [], format: Format = "json") -> Any:  # noqa: B006
    """Distance to each target and ITU's band, per country and group."""
    frame = _connectivity(session).scores
    if areas := _areas(area):
        frame = frame.filter(pl.col("area").is_in(areas))
    return _answer(frame, format, "scores")


@router.get("/connectivity/projections", response_model=None)
def get_projections(session: SessionDep, area: Areas = [], format: Format = "json") -> Any:  # noqa: B006
    """Per country, the projected year of 95 % Internet use, its range, method and whether before 2030."""
    frame = _connectivity(session).projections
    if areas := _areas(area):
        frame = frame.filter(pl.col("area").is_in(areas))
    return _answer(frame, format, "projections")


@router.get("/connectivity/need", response_model=None)
def get_need(
    session: SessionDep, year: int | None = None, by: Literal["country", "group"] = "country", format: Format = "json"
) -> Any:
    """People offline against USD pledged; countries ranked most underserved first."""
    try:
        result = service.need_and_pledges(session, _connectivity(session), year)
    except service.NoData as e:
        raise HTTPException(404, str(e)) from e
    return _answer(result["countries" if by == "country" else "groups"], format, f"need-{result['year']}")


@router.get("/connectivity/{area}")
def get_area(area: str, session: SessionDep) -> dict[str, Any]:
    """Everything the country and group pages show in their connectivity section, with the edition of every
    figure."""
    code = (_areas([area]) or [area])[0]
    section = report.area_section(session, code)
    if section is None:
        raise HTTPException(404, "population and Internet use are not loaded")
    return section
