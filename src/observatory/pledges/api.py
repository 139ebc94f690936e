"""The JSON API, ``/api/v1``: pledges, progress reports, organisations, countries and groups, summaries.

Routes are thin: they parse the request, ask ``observatory.auth`` whether the caller may act, and call
the registry's services.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import Field

from observatory import reference
from observatory.auth import (
    NEW_ORGANISATION,
    Action,
    can,
    require,
    require_new_pledge,
    require_pledge_change,
)
from observatory.errors import Conflict
from observatory.pledges import reports, service
from observatory.pledges.breakdowns import By, attributed_values, summary
from observatory.pledges.csvio import csv_text
from observatory.pledges.index import pledge_index
from observatory.pledges.models import Organisation
from observatory.pledges.overview import overview
from observatory.pledges.query import PledgeFilter, SortKey, iter_pledges, list_pledges
from observatory.pledges.schemas import (
    HistoryEntryOut,
    Id,
    MergeIn,
    MergeOut,
    OrganisationChange,
    OrganisationIn,
    OrganisationOut,
    PledgeDetailOut,
    PledgeIn,
    PledgeOut,
    PledgePage,
    PledgeUpdate,
    ProgressReportIn,
    ReportDecisionIn,
    ReportOut,
    WithdrawIn,
)
from observatory.pledges.service import public_pledge
from observatory.pledges.snapshot import registry_as_of
from observatory.web.deps import PrincipalDep, SessionDep, WriterDep, strict_json
from observatory.web.openapi import (
    OPTIONAL_TOKEN,
    IsoDate,
    Out,
    YearParam,
    responses,
)

router = APIRouter(prefix="/api/v1")


def warm_up(session: SessionDep) -> None:
    """What a worker works out when it starts (see ``web.app.capability_warmups``): the pledge index, which
    takes seconds for a large registry, before the first reader asks."""
    pledge_index(session)


Values = Annotated[list[str], Query()]


def pledge_filter(
    principal: PrincipalDep,
    q: str = "",
    focus_area: Values = [],  # noqa: B006  (FastAPI copies defaults)
    pillar: Values = [],  # noqa: B006
    country: Values = [],  # noqa: B006
    region: Values = [],  # noqa: B006
    country_group: Values = [],  # noqa: B006
    stakeholder_type: Values = [],  # noqa: B006
    pledge_type: Values = [],  # noqa: B006
    status: Values = [],  # noqa: B006
    year: Annotated[list[YearParam], Query()] = [],  # noqa: B006
    announced_by: Annotated[
        IsoDate | None, Query(description="only pledges announced on or before this day (YYYY-MM-DD)")
    ] = None,
    organisation: Annotated[list[Id], Query()] = [],  # noqa: B006
    review_state: Values = [],  # noqa: B006
) -> PledgeFilter:
    """The selection a request's query parameters describe; the public sees published pledges only."""
    if review_state and review_state != ["published"]:
        require(principal, Action.READ_UNPUBLISHED)
        if principal.role == "pledger":  # only its own organisations' pledges
            organisation = [o for o in organisation if o in principal.organisations] or sorted(principal.organisations)
            if not organisation:
                organisation = [-1]
    return PledgeFilter(
        q=q,
        focus_area=focus_area,
        pillar=pillar,
        country=country,
        region=region,
        country_group=country_group,
        stakeholder_type=stakeholder_type,
        pledge_type=pledge_type,
        status=status,
        year=year,
        announced_by=announced_by,
        organisation=organisation,
        review_state=review_state or ["published"],
    )


FilterDep = Annotated[PledgeFilter, Depends(pledge_filter)]


class SummaryTotal(Out):
    """The totals of the selected published pledges: the full value of the pledges the selection touches and
    the part of it attributed to the selection (by the counting rules), and the same for the USD committed
    and disbursed that their published progress reports record."""

    pledges: int
    organisations: int
    value_usd: float = Field(description="full USD value of the selected pledges")
    value_usd_attributed: float = Field(description="the part of their USD value that falls on the selection")
    committed_usd: float = Field(description="USD committed, by the selected pledges' published reports")
    committed_usd_attributed: float = Field(description="the part of it that falls on the selection")
    disbursed_usd: float = Field(description="USD disbursed, by the selected pledges' published reports")
    disbursed_usd_attributed: float = Field(description="the part of it that falls on the selection")
    disbursed_share: float | None = Field(
        description="attributed USD disbursed by pledges with a USD value over their attributed value (0–1); "
        "null when nothing is pledged in USD"
    )
    reporting_pledges: int = Field(description="selected pledges with at least one published progress report")
    unconverted_pledges: int = Field(description="selected pledges with an amount but no USD value: not in USD sums")
    global_pledges: int = Field(description="selected pledges without target countries")


class SummaryGroup(Out):
    """One group of a breakdown: the pledges touching it, their full value and the part of the selection's
    attributed value that falls on it."""

    key: str
    label: str
    pledges: int
    value_usd: float = Field(description="full USD value of the pledges in this group")
    value_usd_attributed: float = Field(description="the part of the selection's attributed value in this group")


class Summary(Out):
    """Published pledges and their USD value, in all and broken down by one dimension."""

    by: By
    total: SummaryTotal
    groups: list[SummaryGroup]


# What the operations can answer besides 200: reads of pledges look at the token (401 when it is wrong,
# 403 when asking for unpublished pledges one may not read); writes read a body (400 when it is not text, 413
# when too large), need a token (401), check what its owner may do (403), find the pledge (404) and compare
# versions (409).
READ = (401, 403)
READ_ONE = (401, 403, 404)
BODY = (400, 401, 403, 409, 413)
WRITE = (*BODY, 404)


@router.get(
    "/pledges",
    response_model=PledgePage,
    responses=responses(*READ, csv="A page of pledges (JSON), or every selected pledge as CSV with `format=csv`."),
    openapi_extra=OPTIONAL_TOKEN,
    summary="List pledges (filters, full-text search, sort, pages; CSV with format=csv)",
)
def pledges_list(
    session: SessionDep,
    f: FilterDep,
    sort: SortKey = "-announced_on",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    format: Literal["json", "csv"] = "json",
) -> Any:
    if format == "csv":
        return Response(
            csv_text(iter_pledges(session, f, sort), attributed_values(session, f)),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="pledges.csv"'},
        )
    result = list_pledges(session, f, sort, page, per_page)
    return {
        "items": [public_pledge(p) for p in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "pages": math.ceil(result.total / per_page),
    }


@router.get(
    "/pledges/summary",
    response_model=Summary,
    responses=responses(*READ),
    openapi_extra=OPTIONAL_TOKEN,
    summary="Pledges and USD value broken down by one dimension",
)
def pledges_summary(
    session: SessionDep,
    f: FilterDep,
    by: By,
    as_of: Annotated[
        IsoDate | None,
        Query(description="count the registry as it stood at the end of this day (the annual reports' figures)"),
    ] = None,
) -> Any:
    with registry_as_of(session, as_of) as registry:
        return summary(registry, by, f)


@router.get(
    "/pledges/overview",
    responses=responses(*READ),
    openapi_extra=OPTIONAL_TOKEN,
    summary="Participation and implementation of the selected pledges (the annual report's figures)",
)
def pledges_overview(
    session: SessionDep,
    f: FilterDep,
    as_of: Annotated[IsoDate | None, Query(description="count the registry as it stood at the end of this day")] = None,
    reports_to: Annotated[
        int | None, Query(ge=1900, le=2100, description="count progress reports for years up to this one only")
    ] = None,
) -> Any:
    """Participation (organisations, pledgers, new pledgers, countries), implementation (reporting health on
    the as-of day, status, USD committed and disbursed, people reached), the attributed value by region of
    origin and of implementation, and the pledges naming each beneficiary group and SDG."""
    with registry_as_of(session, as_of) as registry:
        return overview(registry, f, on=as_of, reports_to=reports_to)


@router.get(
    "/pledges/{reference}",
    response_model=PledgeDetailOut,
    responses=responses(*READ_ONE),
    openapi_extra=OPTIONAL_TOKEN,
    summary="One pledge",
)
def pledge_get(reference: str, session: SessionDep, principal: PrincipalDep) -> Any:
    pledge = service.visible_pledge(session, reference, principal)
    return {**public_pledge(pledge), **reports.pledge_detail(pledge, principal)}


@router.post(
    "/pledges", status_code=201, response_model=PledgeOut, responses=responses(*WRITE), summary="Register a pledge"
)
def pledge_create(
    principal: WriterDep, _: Annotated[None, strict_json(PledgeIn)], data: PledgeIn, session: SessionDep
) -> Any:
    org = service.find_organisation(session, data.pledger.name)
    require_new_pledge(
        principal,
        org.id if org else None,
        reference_chosen=data.reference is not None,
        synthetic=data.synthetic,
        review_state=data.review_state,
    )
    return public_pledge(service.create_pledge(session, data, principal.name))


@router.patch(
    "/pledges/{reference}",
    response_model=PledgeOut,
    responses=responses(*WRITE),
    summary="Change a pledge (send the version you changed)",
)
def pledge_update(
    principal: WriterDep,
    _: Annotated[None, strict_json(PledgeUpdate)],
    reference: str,
    data: PledgeUpdate,
    session: SessionDep,
) -> Any:
    pledge = service.visible_pledge(session, reference, principal)
    changes = data.changes.given()
    target = None
    if data.changes.pledger is not None:
        org = service.find_organisation(session, data.changes.pledger.name)
        target = org.id if org else NEW_ORGANISATION
    require_pledge_change(
        principal,
        pledge.pledger_id,
        pledge.review_state,
        changes,
        new_organisation=target,
        new_review_state=data.changes.review_state,
    )
    return public_pledge(service.update_pledge(session, reference, data.version, changes, principal.name))


@router.post(
    "/pledges/{reference}/withdraw",
    response_model=PledgeOut,
    responses=responses(*WRITE),
    summary="Withdraw a pledge (it stays on record, out of counts)",
)
def pledge_withdraw(
    principal: WriterDep,
    _: Annotated[None, strict_json(WithdrawIn)],
    reference: str,
    data: WithdrawIn,
    session: SessionDep,
) -> Any:
    require(principal, Action.WITHDRAW_PLEDGE, service.visible_pledge(session, reference, principal).pledger_id)
    return public_pledge(service.withdraw_pledge(session, reference, data.version, data.reason, principal.name))


@router.get(
    "/pledges/{reference}/reports",
    response_model=list[ReportOut],
    responses=responses(*READ_ONE),
    openapi_extra=OPTIONAL_TOKEN,
    summary="A pledge's progress reports (the published ones; all of them for its pledger and the secretariat)",
)
def reports_list(reference: str, session: SessionDep, principal: PrincipalDep) -> Any:
    pledge = service.visible_pledge(session, reference, principal)
    return [reports.report_dict(r) for r in reports.visible_reports(pledge, principal)]


@router.post(
    "/pledges/{reference}/reports",
    status_code=201,
    response_model=ReportOut,
    responses=responses(*WRITE, 422),
    summary="File a year's progress report (a year that has one: 409; with its version, correct it)",
)
def report_file(
    principal: WriterDep,
    _: Annotated[None, strict_json(ProgressReportIn)],
    reference: str,
    data: ProgressReportIn,
    session: SessionDep,
) -> Any:
    require(principal, Action.FILE_REPORT, service.visible_pledge(session, reference, principal).pledger_id)
    return reports.report_dict(reports.file_report(session, reference, data, principal.name))


@router.put(
    "/pledges/{reference}/reports/{year}",
    response_model=ReportOut,
    responses=responses(*WRITE, 422),
    summary="Correct a year's progress report (send its version; the year cannot change)",
)
def report_correct(
    principal: WriterDep,
    _: Annotated[None, strict_json(ProgressReportIn)],
    reference: str,
    year: Annotated[YearParam, Path()],
    data: ProgressReportIn,
    session: SessionDep,
) -> Any:
    require(principal, Action.FILE_REPORT, service.visible_pledge(session, reference, principal).pledger_id)
    return reports.report_dict(reports.correct_report(session, reference, year, data, principal.name))


@router.post(
    "/pledges/{reference}/reports/{year}/publish",
    response_model=ReportOut,
    responses=responses(*WRITE, 422),
    summary="Publish a submitted progress report (secretariat)",
)
def report_publish(
    principal: WriterDep,
    _: Annotated[None, strict_json(ReportDecisionIn)],
    reference: str,
    year: Annotated[YearParam, Path()],
    data: ReportDecisionIn,
    session: SessionDep,
) -> Any:
    require(principal, Action.REVIEW_REPORT)
    return reports.report_dict(reports.publish_report(session, reference, year, data.version, principal.name))


@router.post(
    "/pledges/{reference}/reports/{year}/return",
    response_model=ReportOut,
    responses=responses(*WRITE, 422),
    summary="Return a progress report to its pledger with a note (secretariat)",
)
def report_return(
    principal: WriterDep,
    _: Annotated[None, strict_json(ReportDecisionIn)],
    reference: str,
    year: Annotated[YearParam, Path()],
    data: ReportDecisionIn,
    session: SessionDep,
) -> Any:
    require(principal, Action.REVIEW_REPORT)
    return reports.report_dict(reports.return_report(session, reference, year, data.version, data.note, principal.name))


@router.get(
    "/pledges/{reference}/history",
    response_model=list[HistoryEntryOut],
    responses=responses(*READ_ONE),
    openapi_extra=OPTIONAL_TOKEN,
    summary="The audit history of a pledge and its reports",
)
def pledge_history(reference: str, session: SessionDep, principal: PrincipalDep) -> Any:
    pledge = service.visible_pledge(session, reference, principal)
    show_actor = can(principal, Action.READ_UNPUBLISHED, pledge.pledger_id)  # the public sees what, not who
    entries = service.history(session, reference)
    return [
        {
            "at": e.at.isoformat(),
            "actor": e.actor if show_actor else None,
            "action": e.action,
            "entity": e.entity,
            "key": e.entity_key,
            "before": e.before,
            "after": e.after,
        }
        for e in (entries if show_actor else reports.public_history(entries))
    ]


def _organisation(org: Organisation, pledges: int) -> dict[str, Any]:
    return {**service.organisation_record(org), "pledges": pledges}


def _published(session: Any, org: Organisation) -> int:
    return service.pledges_by_pledger(session, [org.id], published_only=True).get(org.id, 0)


@router.get(
    "/organisations",
    response_model=list[OrganisationOut],
    responses=responses(),
    summary="Organisations with their number of published pledges",
)
def organisations_list(session: SessionDep) -> Any:
    counts = service.pledges_by_pledger(session, published_only=True)
    return [_organisation(o, counts.get(o.id, 0)) for o in service.organisations(session)]


@router.get(
    "/organisations/{organisation_id}",
    response_model=OrganisationOut,
    responses=responses(404),
    summary="One organisation",
)
def organisation_get(organisation_id: Annotated[Id, Path()], session: SessionDep) -> Any:
    org = service.get_organisation(session, organisation_id)
    return _organisation(org, service.pledges_by_pledger(session, [org.id], published_only=True).get(org.id, 0))


@router.post(
    "/organisations",
    status_code=201,
    response_model=OrganisationOut,
    responses=responses(*BODY),
    summary="Register an organisation",
)
def organisation_create(
    principal: WriterDep, _: Annotated[None, strict_json(OrganisationIn)], data: OrganisationIn, session: SessionDep
) -> Any:
    require(principal, Action.MANAGE_ORGANISATIONS)
    if service.find_organisation(session, data.name) is not None:
        raise Conflict(f"organisation {data.name!r} already exists")
    return _organisation(service.upsert_organisation(session, data, principal.name), 0)


@router.patch(
    "/organisations/{organisation_id}",
    response_model=OrganisationOut,
    responses=responses(*WRITE, 422),
    summary="Correct an organisation (secretariat)",
    description="Send the fields to change with the record's `fingerprint`; a change made against a record that "
    "changed since is refused (409), and so is a name that is another organisation's name or other name (409: "
    "merge the two instead).",
)
def organisation_update(
    organisation_id: Annotated[Id, Path()],
    principal: WriterDep,
    _: Annotated[None, strict_json(OrganisationChange)],
    data: OrganisationChange,
    session: SessionDep,
) -> Any:
    require(principal, Action.MANAGE_ORGANISATIONS)
    changes = data.model_dump(exclude={"fingerprint"}, exclude_unset=True)
    org = service.update_organisation(session, organisation_id, changes, data.fingerprint, principal.name)
    return _organisation(org, _published(session, org))


@router.post(
    "/organisations/{organisation_id}/merge",
    response_model=MergeOut,
    responses=responses(*WRITE, 422),
    summary="Merge another organisation into this one (secretariat)",
    description="The merged organisation's pledges (as pledger and as partner) and pledger accounts move to this "
    "one, its names become other names of this one, and it is deleted; the audit log keeps both records.",
)
def organisation_merge(
    organisation_id: Annotated[Id, Path()],
    principal: WriterDep,
    _: Annotated[None, strict_json(MergeIn)],
    data: MergeIn,
    session: SessionDep,
) -> Any:
    require(principal, Action.MANAGE_ORGANISATIONS)
    merged = service.organisation_dict(service.get_organisation(session, data.merged))
    plan = service.merge_organisations(
        session,
        organisation_id,
        data.merged,
        principal.name,
        seen=data.fingerprint,
        merged_seen=data.merged_fingerprint,
    )
    return {"organisation": _organisation(plan.kept, _published(session, plan.kept)), "merged": merged, **plan.counts()}


class PillarOut(Out):
    """A pillar of a P2C focus area."""

    code: str
    name_en: str
    name_fr: str


class FocusAreaOut(Out):
    """A P2C focus area and its pillars."""

    code: str
    name_en: str
    name_fr: str
    pillars: list[PillarOut]


@router.get(
    "/taxonomy", response_model=list[FocusAreaOut], responses=responses(), summary="P2C focus areas and their pillars"
)
def taxonomy() -> Any:
    pillars = reference.pillars().values()
    return [
        {
            "code": code,
            "name_en": en,
            "name_fr": fr,
            "pillars": [
                {"code": p.code, "name_en": p.name_en, "name_fr": p.name_fr} for p in pillars if p.focus_area == code
            ],
        }
        for code, (en, fr) in reference.focus_areas().items()
    ]
