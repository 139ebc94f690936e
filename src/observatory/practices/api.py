"""The JSON API of the best-practice library (``/api/v1/practices``): the published cases, filtered as the
public page filters them; never a case's contact."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from observatory import reference
from observatory.errors import Invalid
from observatory.practices import files, service
from observatory.web.deps import PrincipalDep, SessionDep
from observatory.web.openapi import OPTIONAL_TOKEN, Out, YearParam, responses

router = APIRouter(prefix="/api/v1", tags=["practices"])


class ResultFigureOut(Out):
    label: str
    value: float
    unit: str
    year: int | None


class PracticeOut(Out):
    reference: str
    title: str
    language: str
    country: str | None
    other_countries: list[str]
    focus_areas: list[str]
    pillars: list[str]
    year: int | None
    what_was_done: str
    results: str
    result_figures: list[ResultFigureOut]
    lessons: str
    pledges: list[str]
    licence: str
    source_urls: list[str]
    organisation_id: int | None
    organisation: str | None
    needs_check: bool
    spotlight_years: list[int]
    published_on: str | None


class PracticePage(Out):
    items: list[PracticeOut]
    total: int


def _filter(
    country: str, region: str, focus_area: str, pillar: str, year: int | None, q: str, spotlight_year: int | None
) -> service.PracticeFilter:
    code = reference.country_code(country) if country else ""
    if country and code is None:
        raise Invalid(f"country: unknown country code {country!r} (ISO 3166-1 alpha-3 expected)")
    if region and region not in reference.ITU_REGIONS:
        raise Invalid(f"region: unknown ITU region {region!r} (one of {', '.join(reference.ITU_REGIONS)})")
    if focus_area and focus_area not in reference.focus_areas():
        raise Invalid(f"focus_area: unknown focus area {focus_area!r}")
    if pillar and pillar not in reference.pillars():
        raise Invalid(f"pillar: unknown pillar {pillar!r}")
    return service.PracticeFilter(code or "", region, focus_area, pillar, year, q, spotlight_year)


@router.get(
    "/practices",
    response_model=PracticePage,
    responses=responses(401, 403, 422, csv="The published cases (JSON), or all of them as CSV with `format=csv`."),
    openapi_extra=OPTIONAL_TOKEN,
    summary="List the published best-practice cases (filters, text search; CSV with format=csv)",
)
def practices_list(
    session: SessionDep,
    principal: PrincipalDep,
    country: Annotated[str, Query(description="ISO 3166-1 alpha-3: cases concerning this country")] = "",
    region: Annotated[str, Query(description="ITU region code, such as africa")] = "",
    focus_area: Annotated[str, Query(description="P2C focus area code")] = "",
    pillar: Annotated[str, Query(description="P2C pillar code")] = "",
    year: Annotated[YearParam | None, Query(description="the year the practice began")] = None,
    q: Annotated[str, Query(max_length=200, description="words of the title, text or countries")] = "",
    spotlight_year: Annotated[
        YearParam | None, Query(description="spotlight candidates for the P2C report of this year")
    ] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    f = _filter(country, region, focus_area, pillar, year, q, spotlight_year)
    items = service.list_practices(session, f)
    if format == "csv":
        return Response(
            files.csv_text(files.public_rows(items)),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="practices.csv"'},
        )
    return {"items": items, "total": len(items)}


@router.get(
    "/practices/{reference}",
    response_model=PracticeOut,
    responses=responses(401, 403, 404),
    openapi_extra=OPTIONAL_TOKEN,
    summary="One best-practice case",
)
def practice_get(reference: str, session: SessionDep, principal: PrincipalDep) -> Any:
    return service.public_practice(session, service.visible_practice(session, reference, principal))
