"""The indicators API, ``/api/v1/indicators`` and ``/api/v1/connectivity``: editions and observations with their
provenance, the comparison of two editions, people offline, scores, projections and need against pledges.

Lists answer JSON, or CSV with ``format=csv``. Routes are thin: they call :mod:`observatory.indicators.store`
and :mod:`observatory.indicators.service`. Each answer's model lists the columns the service's frame has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import Field

from observatory.errors import Invalid
from observatory.exports import frame_csv
from observatory.indicators import CONNECTIVITY, report, service
from observatory.indicators.store import EditionNotFound, compare_editions, editions, observations
from observatory.reference import UnknownArea
from observatory.reference.areas import AGGREGATES
from observatory.web.deps import AreaDep, SessionDep
from observatory.web.openapi import Out, Timestamp, YearParam, responses

router = APIRouter(prefix="/api/v1", tags=["indicators"])
Areas = Annotated[list[str], Query(description="ISO alpha-3 country or aggregate (WORLD, LDC, africa, LIC …)")]
Years = Annotated[list[YearParam], Query()]
Format = Literal["json", "csv"]
# A figure computed from others: null where it cannot be (a division by zero, nothing to compute it from).
Computed = float | None
OfflineMethod = Literal["observed", "interpolated", "carried_forward", "group_mean"]


class IndicatorOut(Out):
    code: str
    name: str
    unit: str
    better: Literal["higher", "lower"] | None = Field(description="whether more or less is better; null: neither")


class EditionOut(Out):
    """A loaded edition of a source: where it was read from and when, and how many observations of each
    indicator it holds."""

    load_id: int
    source: str
    dataset: str
    edition: str
    data_date: dt.date | None = Field(description="the release date the edition describes")
    loaded_at: Timestamp
    location: str
    indicators: dict[str, int] = Field(description="indicator code → number of observations")


class ObservationOut(Out):
    indicator: str
    area: str
    year: int
    value: float
    unit: str
    imputed: bool
    source: str
    edition: str
    load_id: int
    loaded_at: Timestamp


class ComparisonOut(Out):
    """One area and year in two editions: a value only one edition has shows with the other null."""

    area: str
    year: int
    old: float | None
    new: float | None
    change: float | None = Field(description="new − old")


class OfflineFigureOut(Out):
    """People offline in one area and year (``year`` given)."""

    area: str
    year: int
    population: float
    people_online: float
    people_offline: float
    internet_use_pct: float
    observed_population_share: float = Field(description="share of the population whose Internet use is observed")
    estimated: bool = Field(description="resting mostly on imputed values (less than half the population observed)")
    method: OfflineMethod | None = Field(None, description="for a country only: how its Internet use was known")
    interpolated_share: float | None = Field(None, description="for an aggregate: share of its population interpolated")
    carried_forward_share: float | None = Field(
        None, description="for an aggregate: share of its population carried forward from an earlier year"
    )
    group_mean_share: float | None = Field(
        None, description="for an aggregate: share of its population given the mean of similar countries"
    )


class OfflineCountryYear(Out):
    """A country's people offline in one year."""

    area: str
    year: int
    population: float
    internet_use_pct: float
    method: OfflineMethod
    imputed: bool
    people_online: float
    people_offline: float


class OfflineAggregateYear(Out):
    """An aggregate's people offline in one year, over its members."""

    area: str
    year: int
    population: float
    people_online: float
    people_offline: float
    internet_use_pct: float
    observed_population_share: float
    interpolated_share: float
    carried_forward_share: float
    group_mean_share: float
    countries: int
    estimated: bool = Field(description="resting mostly on imputed values: less than half the population observed")


class ScoreOut(Out):
    """An area's distance to one target (UMC 2030, Broadband Commission 2025) and ITU's band."""

    area: str
    target: str
    indicator: str
    year: int
    value: float
    target_value: float
    distance: Computed = Field(description="how far from the target, in the indicator's unit; 0 once reached")
    progress: Computed = Field(description="0-1, 1 once reached")
    band: str | None


class ProjectionOut(Out):
    """A country's projected year of 95 % Internet use."""

    area: str
    method: Literal["linear", "logistic"] | None = Field(description="null: too few observations after a break")
    points: int
    first_year: int
    last_year: int
    last_value: float
    slope: Computed
    rmse: Computed
    year_95: int | None = Field(description="null: not on course within the horizon, or nothing projected")
    year_95_low: int | None
    year_95_high: int | None
    status: Literal["reached", "on_track", "after_2030", "not_on_course", "too_short_after_break"]
    before_2030: bool
    break_year: int | None = Field(
        description="the first year after the latest break (restatement or jump) in the window: the fit uses "
        "the years from it on; null: no break"
    )


class NeedCountryOut(Out):
    """A country's people offline against the USD pledged to it, ranked most underserved first."""

    rank: int
    area: str
    year: int
    people_offline: float
    internet_use_pct: float
    imputed: bool
    usd_pledged: float
    pledges: int
    usd_per_offline_person: Computed
    offline_share: Computed
    pledged_share: Computed
    underserved_gap: Computed


class NeedGroupOut(Out):
    """A group's people offline against the USD pledged to its members."""

    area: str
    year: int
    people_offline: float
    observed_population_share: float
    usd_pledged: float
    usd_per_offline_person: Computed


class AreaYearOut(Out):
    """An area's Internet use and people offline in one year."""

    year: int
    population: float
    internet_use_pct: float
    people_offline: float
    imputed: bool
    method: OfflineMethod | None = Field(description="for a country: how its Internet use was known")
    observed_population_share: float
    estimated: bool = Field(
        description="a country's imputed value, or an aggregate resting mostly on them (less than half observed)"
    )
    interpolated_share: float | None = Field(None, description="for a group")
    carried_forward_share: float | None = Field(None, description="for a group")
    group_mean_share: float | None = Field(None, description="for a group")


class HeadlineOut(AreaYearOut):
    """The headline figures of an area's page: all for one year, observed or estimated."""

    status: Literal["observed", "estimated"]
    usd_pledged: float | None
    usd_per_offline_person: Computed


class BreakOut(Out):
    """A break in a country's Internet-use series between two consecutive observations (docs/indicators.md)."""

    year: int = Field(description="the first year after the break")
    previous_year: int
    previous_value: float
    value: float
    change: float = Field(description="value − previous_value, percentage points")
    typical: float | None = Field(description="the series' typical yearly change, percentage points")
    kind: Literal["fall", "jump"]


class LatestValueOut(Out):
    indicator: str
    name: str
    unit: str
    year: int
    value: float
    computed: bool = Field(description="true for the observatory's own aggregates")


class TargetOut(Out):
    framework: str
    year: int
    text: str
    source: str


class EditionUsedOut(Out):
    load_id: int
    source: str
    dataset: str
    edition: str
    data_date: dt.date | None
    loaded_at: Timestamp


class AreaSectionOut(Out):
    """Everything a country or group page shows in its connectivity section, with the edition of every figure."""

    area: str
    kind: Literal["country", "group"]
    year: int | None = Field(description="the one year of the headline figures")
    headline: HeadlineOut | None = Field(
        description="a country's latest observed year; a group's latest year with at least half its population "
        "observed; else the latest year, estimated"
    )
    series: list[AreaYearOut]
    breaks: list[BreakOut]
    coverage: list[LatestValueOut]
    affordability: list[LatestValueOut]
    scores: list[ScoreOut]
    targets: dict[str, TargetOut]
    projection: ProjectionOut | None
    pledges: NeedCountryOut | NeedGroupOut | None
    editions: dict[str, EditionUsedOut | None]


def _areas(values: list[str]) -> list[str] | None:
    """The store's codes of the areas asked for (None: all); an unknown one is a 422, as any bad parameter."""
    try:
        return [service.area(v) for v in values] or None
    except UnknownArea as e:
        raise Invalid(str(e)) from e


@contextmanager
def _not_found() -> Iterator[None]:
    """An unknown indicator or edition as a 404 naming it."""
    try:
        yield
    except (KeyError, EditionNotFound) as e:
        raise HTTPException(404, str(e.args[0])) from e


def _answer(frame: pl.DataFrame, format: Format, name: str) -> Any:
    if format == "csv":
        return Response(
            frame_csv(frame),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}.csv"'},
        )
    return frame.to_dicts()


def _connectivity(session: SessionDep) -> service.Connectivity:
    try:
        return service.connectivity(session)
    except service.NoData as e:
        raise HTTPException(404, str(e)) from e


def _csv(what: str) -> str:
    return f"{what} (JSON), or the same rows as CSV with `format=csv`."


@router.get("/indicators", response_model=list[IndicatorOut], responses=responses())
def list_indicators() -> Any:
    """The indicators the store knows: code, name, unit, and whether higher or lower is better."""
    return [{"code": i.code, "name": i.name, "unit": i.unit, "better": i.better} for i in CONNECTIVITY.values()]


@router.get("/indicators/editions", response_model=list[EditionOut], responses=responses(404))
def list_editions(session: SessionDep, indicator: str | None = None) -> Any:
    """Every loaded edition, newest first, with its source, label, release date, load time and indicators."""
    with _not_found():
        return editions(session, indicator)


@router.get(
    "/indicators/{code}/observations",
    response_model=list[ObservationOut],
    responses=responses(404, csv=_csv("The observations")),
)
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
    with _not_found():
        frame = observations(session, code, _areas(area), year or None, edition)
    return _answer(frame, format, f"{code}-{edition or 'latest'}")


@router.get(
    "/indicators/{code}/compare",
    response_model=list[ComparisonOut],
    responses=responses(404, csv=_csv("The two editions side by side")),
)
def get_comparison(
    code: str,
    old: str,
    new: str,
    session: SessionDep,
    area: Areas = [],  # noqa: B006
    format: Format = "json",
) -> Any:
    """Two editions side by side (area, year, old, new, change): restated, added and dropped values."""
    with _not_found():
        frame = compare_editions(session, code, old, new, _areas(area))
    return _answer(frame, format, f"{code}-{old}-vs-{new}")


@router.get(
    "/connectivity/offline",
    response_model=OfflineFigureOut | list[OfflineCountryYear] | list[OfflineAggregateYear],
    response_model_exclude_unset=True,  # an aggregate's figure has no imputation method
    responses=responses(
        404, csv=_csv("One area's figure with `year`, else every year's (a country's or an aggregate's)")
    ),
)
def get_offline(
    session: SessionDep, area: str = "WORLD", year: YearParam | None = None, format: Format = "json"
) -> Any:
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


@router.get("/connectivity/scores", response_model=list[ScoreOut], responses=responses(404, csv=_csv("The scores")))
def get_scores(session: SessionDep, area: Areas = [], format: Format = "json") -> Any:  # noqa: B006
    """Distance to each target and ITU's band, per country and group."""
    return _answer(service.of_areas(_connectivity(session).scores, _areas(area)), format, "scores")


@router.get(
    "/connectivity/projections",
    response_model=list[ProjectionOut],
    responses=responses(404, csv=_csv("The projections")),
)
def get_projections(session: SessionDep, area: Areas = [], format: Format = "json") -> Any:  # noqa: B006
    """Per country, the projected year of 95 % Internet use, its range, method and whether before 2030."""
    return _answer(service.of_areas(_connectivity(session).projections, _areas(area)), format, "projections")


@router.get(
    "/connectivity/need",
    response_model=list[NeedCountryOut] | list[NeedGroupOut],
    responses=responses(404, csv=_csv("Countries (`by=country`) or groups (`by=group`)")),
)
def get_need(
    session: SessionDep,
    year: YearParam | None = None,
    by: Literal["country", "group"] = "country",
    format: Format = "json",
) -> Any:
    """People offline against USD pledged; countries ranked most underserved first."""
    try:
        result = service.need_and_pledges(session, _connectivity(session), year)
    except service.NoData as e:
        raise HTTPException(404, str(e)) from e
    return _answer(result["countries" if by == "country" else "groups"], format, f"need-{result['year']}")


@router.get("/areas/{code}/connectivity", response_model=AreaSectionOut, responses=responses(404))
def get_area(area: AreaDep, session: SessionDep) -> Any:
    """An area's connectivity: everything the country and group pages show in their connectivity section, with
    the edition of every figure."""
    section = report.area_section(session, area.code)
    if section is None:
        raise HTTPException(404, "population and Internet use are not loaded")
    return section
