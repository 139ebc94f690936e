"""The JSON API, ``/api/v1``: pledges, progress reports, organisations, countries and groups, summaries.

Routes are thin: they parse the request, ask ``observatory.auth`` whether the caller may act, and call
the registry's services.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory import reference
from observatory.accounts import service as accounts
from observatory.auth import ANONYMOUS, Action, Principal, Unauthenticated, can, require
from observatory.pledges import service
from observatory.pledges.csvio import write_csv
from observatory.pledges.models import Organisation, Pledge
from observatory.pledges.query import PledgeFilter, SortKey, iter_pledges, list_pledges
from observatory.pledges.schemas import OrganisationIn, PledgeIn, PledgeUpdate, ProgressReportIn, WithdrawIn
from observatory.pledges.summary import By, summary
from observatory.web.context import SessionDep

router = APIRouter(prefix="/api/v1")


def get_principal(request: Request, session: SessionDep) -> Principal:
    """Who is asking: the owner of a personal API token (``Authorization: Bearer …``), else the public."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = accounts.api_token_user(session, header[7:].strip())
        if user is None:
            raise Unauthenticated("invalid or revoked API token")
        return accounts.principal_for(user)
    return ANONYMOUS


PrincipalDep = Annotated[Principal, Depends(get_principal)]
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
    year: Annotated[list[int], Query()] = [],  # noqa: B006
    organisation: Annotated[list[int], Query()] = [],  # noqa: B006
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


class SummaryTotal(BaseModel):
    pledges: int
    organisations: int
    value_usd: float
    unconverted_pledges: int


class SummaryGroup(BaseModel):
    key: str
    label: str
    pledges: int
    value_usd: float


class Summary(BaseModel):
    by: str
    total: SummaryTotal
    groups: list[SummaryGroup]


def public_pledge(p: Pledge) -> dict[str, Any]:
    return {**service.pledge_dict(p), "reporting_health": service.reporting_health(p)}


def _visible(session: Session, principal: Principal, ref: str) -> Pledge:
    pledge = service.get_pledge(session, ref)
    if pledge.review_state != "published" and not can(principal, Action.READ_UNPUBLISHED, pledge.pledger_id):
        raise service.NotFound(f"no pledge {ref!r}")
    return pledge


@router.get("/pledges", summary="List pledges (filters, full-text search, sort, pages; CSV with format=csv)")
def pledges_list(
    session: SessionDep,
    f: FilterDep,
    sort: SortKey = "-announced_on",
    page: Annotated[int, Query(ge=1)] = 1,
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


@router.get("/pledges/summary", response_model=Summary, summary="Pledges and USD value broken down by one dimension")
def pledges_summary(session: SessionDep, f: FilterDep, by: By) -> Any:
    return summary(session, by, f)


@router.get("/pledges/{reference}", summary="One pledge")
def pledge_get(reference: str, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    pledge = _visible(session, principal, reference)
    return {**public_pledge(pledge), "reports": [service.report_dict(r) for r in pledge.reports]}


@router.post("/pledges", status_code=201, summary="Register a pledge")
def pledge_create(data: PledgeIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    org = service.find_organisation(session, data.pledger.name)
    require(principal, Action.CREATE_PLEDGE, org.id if org else -1 if principal.role == "pledger" else None)
    if data.review_state in ("published", "rejected"):
        require(principal, Action.REVIEW_PLEDGE)
    return public_pledge(service.create_pledge(session, data, principal.name))


@router.patch("/pledges/{reference}", summary="Change a pledge (send the version you changed)")
def pledge_update(reference: str, data: PledgeUpdate, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    pledge = _visible(session, principal, reference)
    require(principal, Action.UPDATE_PLEDGE, pledge.pledger_id, pledge.review_state)
    if data.changes.get("review_state") in ("published", "rejected") or "review_note" in data.changes:
        require(principal, Action.REVIEW_PLEDGE)
    return public_pledge(service.update_pledge(session, reference, data.version, data.changes, principal.name))


@router.post("/pledges/{reference}/withdraw", summary="Withdraw a pledge (it stays on record, out of counts)")
def pledge_withdraw(reference: str, data: WithdrawIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    require(principal, Action.WITHDRAW_PLEDGE, _visible(session, principal, reference).pledger_id)
    return public_pledge(service.withdraw_pledge(session, reference, data.version, data.reason, principal.name))


@router.get("/pledges/{reference}/reports", summary="A pledge's progress reports")
def reports_list(reference: str, session: SessionDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    return [service.report_dict(r) for r in _visible(session, principal, reference).reports]


@router.post("/pledges/{reference}/reports", status_code=201, summary="File or correct an annual progress report")
def report_file(reference: str, data: ProgressReportIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    require(principal, Action.FILE_REPORT, _visible(session, principal, reference).pledger_id)
    return service.report_dict(service.file_report(session, reference, data, principal.name))


@router.get("/pledges/{reference}/history", summary="The audit history of a pledge and its reports")
def pledge_history(reference: str, session: SessionDep, principal: PrincipalDep) -> list[dict[str, Any]]:
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


@router.get("/organisations", summary="Organisations with their number of published pledges")
def organisations_list(session: SessionDep) -> list[dict[str, Any]]:
    published = select(Pledge.pledger_id, func.count()).where(Pledge.review_state == "published")
    counts = {org_id: n for org_id, n in session.execute(published.group_by(Pledge.pledger_id))}
    orgs = session.scalars(select(Organisation).order_by(Organisation.name_key))
    return [_organisation(o, counts.get(o.id, 0)) for o in orgs]


@router.get("/organisations/{organisation_id}", summary="One organisation")
def organisation_get(organisation_id: int, session: SessionDep) -> dict[str, Any]:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise service.NotFound(f"no organisation {organisation_id}")
    n = session.scalar(select(func.count()).where(Pledge.pledger_id == org.id, Pledge.review_state == "published"))
    return _organisation(org, n or 0)


@router.post("/organisations", status_code=201, summary="Register an organisation")
def organisation_create(data: OrganisationIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    require(principal, Action.MANAGE_ORGANISATIONS)
    if service.find_organisation(session, data.name) is not None:
        raise service.Conflict(f"organisation {data.name!r} already exists")
    return _organisation(service.upsert_organisation(session, data, principal.name), 0)


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


@router.get("/countries", summary="Countries and territories (ISO 3166-1, M49), with ITU region and UN groups")
def countries_list(on: dt.date | None = None) -> list[dict[str, Any]]:
    day = on or dt.date.today()
    return [_country(c, day) for c in reference.countries().values()]


@router.get("/countries/{code}", summary="One country, with its dated group memberships")
def country_get(code: str, on: dt.date | None = None) -> dict[str, Any]:
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


@router.get("/groups", summary="UN country groups (LDC, LLDC, SIDS) and ITU regions, members as of a date")
def groups_list(on: dt.date | None = None) -> list[dict[str, Any]]:
    day = on or dt.date.today()
    return [_group(code, day) for code in (*reference.COUNTRY_GROUPS, *reference.ITU_REGIONS)]


@router.get("/groups/{code}", summary="One country group or ITU region")
def group_get(code: str, on: dt.date | None = None) -> dict[str, Any]:
    return _group(code, on or dt.date.today())


@router.get("/taxonomy", summary="P2C focus areas and their pillars")
def taxonomy() -> list[dict[str, Any]]:
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
