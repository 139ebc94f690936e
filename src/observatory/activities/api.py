"""The JSON API of activities (``/api/v1/activities…``): the registry of activities on IP-based networks, with
the same filters as the public page, one activity, and the counts the annual report gives. Read-only: the
secretariat keeps the registry in its workspace or with ``observatory activities import``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from observatory.activities import files, service
from observatory.activities.models import COLLABORATIONS, KINDS, ORGANISATIONS, TOPICS
from observatory.activities.schemas import ActivityDetailOut, ActivityPage, ActivitySummaryOut
from observatory.web.deps import SessionDep
from observatory.web.openapi import IsoDate, YearParam, responses

router = APIRouter(prefix="/api/v1", tags=["activities"])

Language = Annotated[Literal["en", "fr"], Query(description="Language of the names of the codes.")]


@router.get(
    "/activities", response_model=ActivityPage, responses=responses(422, csv="The activities in the import format.")
)
def list_activities(
    session: SessionDep,
    organisation: Annotated[list[Literal[ORGANISATIONS]], Query()] = [],  # type: ignore[valid-type]  # noqa: B006
    topic: Annotated[list[Literal[TOPICS]], Query()] = [],  # type: ignore[valid-type]  # noqa: B006
    kind: Annotated[list[Literal[KINDS]], Query()] = [],  # type: ignore[valid-type]  # noqa: B006
    collaboration: Annotated[list[Literal[COLLABORATIONS]], Query()] = [],  # type: ignore[valid-type]  # noqa: B006
    year: Annotated[list[YearParam], Query(description="Activities whose period includes this year.")] = [],  # noqa: B006
    q: Annotated[str, Query(max_length=200, description="Words in the reference, title or description.")] = "",
    lang: Language = "en",
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """Activities on IP-based networks of ITU and the other organisations, with the filters of ``/activities``;
    ``format=csv`` answers them in the import format."""
    f = service.ActivityFilter(
        organisation=list(organisation), topic=list(topic), kind=list(kind), collaboration=list(collaboration),
        year=list(year), q=q,
    )  # fmt: skip
    records = service.list_activities(session, f)
    if format == "csv":
        return Response(files.csv_text(records), media_type="text/csv; charset=utf-8")
    return {
        "total": len(records),
        "filter": f.applied(),
        "items": [service.public_activity(r, lang) for r in records],
    }


@router.get("/activities/summary", responses=responses(422))
def activities_summary(
    session: SessionDep,
    year: Annotated[YearParam | None, Query(description="Only activities whose period includes this year.")] = None,
    as_of: Annotated[
        IsoDate | None, Query(description="the registry as it stood at the end of this day (the annual report's)")
    ] = None,
) -> ActivitySummaryOut:
    """How many activities by organisation and topic, by ITU Sector and kind, and by degree of collaboration."""
    if as_of is not None:
        records = service.activities_as_of(session, as_of, year)
    else:
        records = [r for r in service.list_activities(session) if year is None or r.overlaps(year)]
    return ActivitySummaryOut.model_validate({"year": year, **service.summary(records)})


@router.get("/activities/{ref}", responses=responses(404))
def get_activity(
    session: SessionDep, ref: Annotated[str, Path(max_length=12)], lang: Language = "en"
) -> ActivityDetailOut:
    """One activity, with the role of its organisation."""
    record = service.public_record(session, ref)
    org = service.organisation_role(record.organisation)
    return ActivityDetailOut.model_validate(
        {**service.public_activity(record, lang), "organisation_role": org.role_in(lang),
         "organisation_source": org.source_url}
    )  # fmt: skip
