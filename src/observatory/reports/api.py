"""The annual reports' API: ``GET /api/v1/reports/{kind}/{year}`` (every figure of a report, as of a day,
with its query and the API address that answers it), and builds: ``POST /api/v1/reports/builds`` queues one in
the background and ``GET /api/v1/reports/builds/{id}`` follows it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from observatory.reports import build, render, service
from observatory.web.deps import SessionDep, WriterDep, strict_json
from observatory.web.openapi import IsoDate, Out, responses

router = APIRouter(prefix="/api/v1", tags=["reports"])
Kind = Literal["p2c", "ip-networks"]


class BuildIn(BaseModel):
    """A report to build."""

    kind: Kind
    year: int = Field(ge=service.FIRST_YEAR, le=2100)
    language: Literal["en", "fr"] = "en"
    format: Literal["html", "pdf"] = "pdf"
    as_of: IsoDate | None = None


class BuildOut(Out):
    """A build of a report: what was asked, how far it has got, and once done its pages and time."""

    id: int
    kind: Kind
    year: int
    language: str
    format: Literal["html", "pdf"]
    as_of: dt.date
    state: Literal["queued", "running", "done", "failed"]
    progress: int = Field(description="per cent")
    step: str
    error: str
    pages: int | None
    seconds: float | None
    requested_by: str
    requested_at: dt.datetime
    finished_at: dt.datetime | None


class FigureOut(Out):
    """A number a report states, and how to get it again."""

    note: int = Field(description="its number in the report's annex of figures")
    key: str
    value: float | None = Field(description="null when not covered (``missing`` says why)")
    unit: str
    estimate: bool
    query: str = Field(description="what it counts, in words, in the report's language")
    api: str = Field(description="the API address that answers it")
    field: str = Field(description="where that answer holds it (empty for a figure derived from others)")
    missing: str


class SourceOut(Out):
    """A source a report rests on."""

    name: str
    edition: str
    url: str


class TableOut(Out):
    """A table of a report (each is also a CSV)."""

    number: int
    key: str
    title: str
    csv: str


class ManifestOut(Out):
    """What a report was built from and every figure it states."""

    report: Kind
    year: int
    language: str
    title: str
    as_of: dt.date
    built_at: dt.datetime
    software: str
    sources: list[SourceOut]
    figures: list[FigureOut]
    tables: list[TableOut]
    files: dict[str, str]


@router.post(
    "/reports/builds",
    status_code=201,
    response_model=BuildOut,
    responses=responses(400, 401, 403, 409, 413),
    dependencies=[strict_json(BuildIn)],
    summary="Build an annual report in the background",
)
def start_build(request: Request, session: SessionDep, principal: WriterDep, body: BuildIn) -> Any:
    """Register a build (the secretariat's) and start it in the background; follow it at
    ``/api/v1/reports/builds/{id}``."""
    b = service.request_build(session, principal, body.kind, body.year, body.language, body.format, body.as_of)
    session.commit()  # the build runs in transactions of its own: it must see its row
    settings = request.app.state.settings
    build.start(request.app.state.engine, b.id, settings.home, base_url=settings.base_url)
    return service.build_record(b)


@router.get(
    "/reports/builds/{build_id}",
    response_model=BuildOut,
    responses=responses(401, 403, 404),
    summary="A report build's progress",
)
def build_state(session: SessionDep, principal: WriterDep, build_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Any:
    """A build's state (queued, running, done, failed), progress in per cent, pages and time."""
    from observatory.auth import Action, require

    require(principal, Action.BUILD_REPORT)
    return service.build_record(service.get_build(session, build_id))


# Last: its path would also match /reports/builds/{id}.
@router.get(
    "/reports/{kind}/{year}",
    response_model=ManifestOut,
    responses=responses(404),
    summary="Every figure of an annual report",
)
def report_figures(
    session: SessionDep,
    kind: Kind,
    year: Annotated[int, Path(ge=service.FIRST_YEAR, le=2100)],
    lang: Literal["en", "fr"] = "en",
    as_of: Annotated[IsoDate | None, Query(description="count the registry as it stood at the end of this day")] = None,
) -> Any:
    """The report's manifest: the as-of day, the sources with their editions, and every figure (its note number,
    value, unit, the query in words and the API address that answers it)."""
    return render.manifest(build.make(session, kind, year, lang, as_of))
