"""The annual reports' API: ``GET /api/v1/reports/{kind}/{year}`` (every figure of a report, as of a day,
with its query and the API address that answers it), and builds: ``POST /api/v1/reports/builds`` queues one in
the background and ``GET /api/v1/reports/builds/{id}`` follows it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from observatory.reports import build, render, service
from observatory.web.deps import SessionDep, WriterDep, strict_json
from observatory.web.openapi import responses

router = APIRouter(prefix="/api/v1", tags=["reports"])
Kind = Literal["p2c", "ip-networks"]


class BuildIn(BaseModel):
    """A report to build."""

    kind: Kind
    year: int = Field(ge=service.FIRST_YEAR, le=2100)
    language: Literal["en", "fr"] = "en"
    format: Literal["html", "pdf"] = "pdf"
    as_of: dt.date | None = None


@router.post(
    "/reports/builds",
    status_code=202,
    responses=responses(400, 401, 403),
    dependencies=[strict_json(BuildIn)],
    summary="Build an annual report in the background",
)
def start_build(request: Request, session: SessionDep, principal: WriterDep, body: BuildIn) -> Any:
    """Queue a build (the secretariat's); follow it at ``/api/v1/reports/builds/{id}``."""
    b = service.request_build(session, principal, body.kind, body.year, body.language, body.format, body.as_of)
    session.commit()  # the build runs in transactions of its own: it must see its row
    settings = request.app.state.settings
    build.start(request.app.state.engine, b.id, settings.home, base_url=settings.base_url)
    return service.build_record(b)


@router.get("/reports/builds/{build_id}", responses=responses(401, 403, 404), summary="A report build's progress")
def build_state(session: SessionDep, principal: WriterDep, build_id: int) -> Any:
    """A build's state (queued, running, done, failed), progress in per cent, pages and time."""
    from observatory.auth import Action, require

    require(principal, Action.BUILD_REPORT)
    return service.build_record(service.get_build(session, build_id))


# Last: its path would also match /reports/builds/{id}.
@router.get("/reports/{kind}/{year}", responses=responses(404), summary="Every figure of an annual report")
def report_figures(
    session: SessionDep,
    kind: Kind,
    year: int,
    lang: Literal["en", "fr"] = "en",
    as_of: Annotated[dt.date | None, Query(description="count the registry as it stood at the end of this day")] = None,
) -> Any:
    """The report's manifest: the as-of day, the sources with their editions, and every figure (its note number,
    value, unit, the query in words and the API address that answers it)."""
    return render.manifest(build.make(session, kind, year, lang, as_of))
