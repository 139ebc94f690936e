"""The JSON API, ``/api/v1``: pledges, progress reports, organisations, countries and groups, summaries.

Routes are thin: they parse the request, ask ``observatory.auth`` whether the caller may act, and call
the registry's services.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory import reference
from observatory.accounts import service as accounts
from observatory.auth import (
    ANONYMOUS,
    NEW_ORGANISATION,
    Action,
    Principal,
    Role,
    Unauthenticated,
    can,
    require,
    require_new_pledge,
    require_pledge_change,
)
from observatory.pledges import service
from observatory.pledges.csvio import write_csv
from observatory.pledges.models import Organisation, Pledge
from observatory.pledges.query import PledgeFilter, SortKey, iter_pledges, list_pledges
from observatory.pledges.schemas import (
    HistoryEntryOut,
    Id,
    OrganisationIn,
    OrganisationOut,
    PledgeDetailOut,
    PledgeIn,
    PledgeOut,
    PledgePage,
    PledgeUpdate,
    ProgressReportIn,
    ReportOut,
    WithdrawIn,
)
from observatory.pledges.summary import By, summary
from observatory.web.context import SessionDep
from observatory.web.openapi import (
    OPTIONAL_TOKEN,
    IsoDate,
    Out,
    YearParam,
    bearer,
    nul_issue,
    nul_paths,
    responses,
)

router = APIRouter(prefix="/api/v1")


def get_principal(
    request: Request,
    session: SessionDep,
    _token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,  # for the OpenAPI
) -> Principal:
    """Who is asking: the owner of a personal API token (``Authorization: Bearer …``), else the public."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = accounts.api_token_user(session, header[7:].strip())
        if user is None:
            raise Unauthenticated("invalid or revoked API token")
        return accounts.principal_for(user)
    return ANONYMOUS


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_writer(principal: PrincipalDep) -> Principal:
    """Who is writing: a write needs credentials, checked before the request's body is even read."""
    if principal.role == Role.PUBLIC:
        raise Unauthenticated("authentication required: send a personal API token (Authorization: Bearer …)")
    return principal


WriterDep = Annotated[Principal, Depends(get_writer)]
Values = Annotated[list[str], Query()]


def strict_json(model: type[BaseModel]) -> Any:
    """A dependency type-checking the request's JSON body as JSON, before it is used: a number must be a number
    (not ``"5"``, not ``true``), a string a string, an integer an integer. The model's own rules then apply as
    they do everywhere (the form and CSV importer read text, so the models themselves stay lenient). Declared
    after ``WriterDep``, so a request without credentials is refused (401) before its body is looked at. No
    string may hold a NUL character (PostgreSQL can neither store nor compare one)."""

    async def check(request: Request) -> None:
        body = await request.body()
        try:
            model.model_validate_json(body, strict=True)
        except ValidationError as e:
            errors = [{**error, "loc": ("body", *error["loc"])} for error in e.errors(include_url=False)]
            raise RequestValidationError(errors) from None
        if b"\\u0000" in body and (found := nul_paths(json.loads(body))):  # JSON can only write NUL so
            raise RequestValidationError([nul_issue("body", *where) for where in found])

    return Depends(check)


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
        organisation=organisation,
        review_state=review_state or ["published"],
    )


FilterDep = Annotated[PledgeFilter, Depends(pledge_filter)]


class SummaryTotal(Out):
    pledges: int
    organisations: int
    value_usd: float
    unconverted_pledges: int


class SummaryGroup(Out):
    key: str
    label: str
    pledges: int
    value_usd: float


class Summary(Out):
    by: By
    total: SummaryTotal
    groups: list[SummaryGroup]


def public_pledge(p: Pledge) -> dict[str, Any]:
    return {**service.pledge_dict(p), "reporting_health": service.reporting_health(p)}


def _visible(session: Session, principal: Principal, ref: str) -> Pledge:
    pledge = service.get_pledge(session, ref)
    if pledge.review_state != "published" and not can(principal, Action.READ_UNPUBLISHED, pledge.pledger_id):
        raise service.NotFound(f"no pledge {ref!r}")
    return pledge


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
        out = io.StringIO()
        write_csv(iter_pledges(session, f, sort), out)
        return Response(
            out.getvalue(),
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
def pledges_summary(session: SessionDep, f: FilterDep, by: By) -> Any:
    return summary(session, by, f)


@router.get(
    "/pledges/{reference}",
    response_model=PledgeDetailOut,
    responses=responses(*READ_ONE),
    openapi_extra=OPTIONAL_TOKEN,
    summary="One pledge",
)
def pledge_get(reference: str, session: SessionDep, principal: PrincipalDep) -> Any:
    pledge = _visible(session, principal, reference)
    return {**public_pledge(pledge), "reports": [service.report_dict(r) for r in pledge.reports]}


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
    pledge = _visible(session, principal, reference)
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
    require(principal, Action.WITHDRAW_PLEDGE, _visible(session, principal, reference).pledger_id)
    return public_pledge(service.withdraw_pledge(session, reference, data.version, data.reason, principal.name))


@router.get(
    "/pledges/{reference}/reports",
    response_model=list[ReportOut],
    responses=responses(*READ_ONE),
    openapi_extra=OPTIONAL_TOKEN,
    summary="A pledge's progress reports",
)
def reports_list(reference: str, session: SessionDep, principal: PrincipalDep) -> Any:
    return [service.report_dict(r) for r in _visible(session, principal, reference).reports]


@router.post(
    "/pledges/{reference}/reports",
    status_code=201,
    response_model=ReportOut,
    responses=responses(*WRITE),
    summary="File or correct an annual progress report",
)
def report_file(
    principal: WriterDep,
    _: Annotated[None, strict_json(ProgressReportIn)],
    reference: str,
    data: ProgressReportIn,
    session: SessionDep,
) -> Any:
    require(principal, Action.FILE_REPORT, _visible(session, principal, reference).pledger_id)
    return service.report_dict(service.file_report(session, reference, data, principal.name))


@router.get(
    "/pledges/{reference}/history",
    response_model=list[HistoryEntryOut],
    responses=responses(*READ_ONE),
    openapi_extra=OPTIONAL_TOKEN,
    summary="The audit history of a pledge and its reports",
)
def pledge_history(reference: str, session: SessionDep, principal: PrincipalDep) -> Any:
    pledge = _visible(session, principal, reference)
    show_actor = can(principal, Action.READ_UNPUBLISHED, pledge.pledger_id)  # the public sees what, not who
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
        for e in service.history(session, reference)
    ]


def _organisation(org: Organisation, pledges: int) -> dict[str, Any]:
    return {**service.organisation_dict(org), "pledges": pledges}


@router.get(
    "/organisations",
    response_model=list[OrganisationOut],
    responses=responses(),
    summary="Organisations with their number of published pledges",
)
def organisations_list(session: SessionDep) -> Any:
    published = select(Pledge.pledger_id, func.count()).where(Pledge.review_state == "published")
    counts = {org_id: n for org_id, n in session.execute(published.group_by(Pledge.pledger_id))}
    orgs = session.scalars(select(Organisation).order_by(Organisation.name_key))
    return [_organisation(o, counts.get(o.id, 0)) for o in orgs]


@router.get(
    "/organisations/{organisation_id}",
    response_model=OrganisationOut,
    responses=responses(404),
    summary="One organisation",
)
def organisation_get(organisation_id: Annotated[Id, Path()], session: SessionDep) -> Any:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise service.NotFound(f"no organisation {organisation_id}")
    n = session.scalar(select(func.count()).where(Pledge.pledger_id == org.id, Pledge.review_state == "published"))
    return _organisation(org, n or 0)


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
        raise service.Conflict(f"organisation {data.name!r} already exists")
    return _organisation(service.upsert_organisation(session, data, principal.name), 0)


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


class PillarOut(Out):
    code: str
    name_en: str
    name_fr: str


class FocusAreaOut(Out):
    """A P2C focus area and its pillars."""

    code: str
    name_en: str
    name_fr: str
    pillars: list[PillarOut]


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
        raise service.NotFound(f"unknown country code {code!r}")
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
        raise service.NotFound(f"unknown group {code!r}")
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
