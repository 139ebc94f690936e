"""The pledger portal: an organisation's pledges in every review state, the guided pledge form, annual
progress reports and personal API tokens.

Pledgers see and change their own organisations' pledges; the secretariat and administrators may use the
portal too. Every decision on who may do what is taken by ``observatory.auth``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from observatory import reference
from observatory.accounts import service as accounts
from observatory.accounts.models import User
from observatory.auth import Action, require, require_new_pledge, require_pledge_change
from observatory.errors import Conflict, Invalid
from observatory.pledges import service
from observatory.pledges.models import Organisation, Pledge, ProgressReport
from observatory.pledges.schemas import Id, PledgeFields, PledgeIn, ProgressReportIn
from observatory.web.deps import CsrfDep, FormDep, WebDep
from observatory.web.forms import enter, form_errors, integer, lines, many, number_text, redirect, text
from observatory.web.labels import choices, field_labels, label
from observatory.web.render import Web

router = APIRouter(prefix="/portal", include_in_schema=False)

# A published pledge is flagged "report due" this many days before its report becomes overdue.
DUE_WINDOW_DAYS = 60
# Review states in which the form offers "Save draft" and "Submit for review".
IN_REVIEW = ("draft", "submitted", "rejected")


# ---------------------------------------------------------------- the portal's home page


def member_organisations(web: Web) -> list[Organisation]:
    """The organisations the signed-in user acts for (and may read the unpublished pledges of), by name."""
    orgs = service.member_organisations(web.session, sorted(web.principal.organisations))
    return [o for o in orgs if web.can(Action.READ_UNPUBLISHED, o.id)]


def organisation_options(web: Web) -> list[Organisation]:
    """The organisations the user may register a pledge for: its own, or any for the secretariat."""
    orgs = member_organisations(web) or service.organisations(web.session)
    return [o for o in orgs if web.can(Action.CREATE_PLEDGE, o.id)]


def report_flag(pledge: Pledge, today: dt.date) -> str | None:
    """``overdue`` for a published pledge whose report is late, ``due`` when it soon will be."""
    if pledge.review_state != "published":
        return None
    if service.reporting_health(pledge, today) in ("amber", "red"):
        return "overdue"
    if service.reporting_health(pledge, today + dt.timedelta(days=DUE_WINDOW_DAYS)) in ("amber", "red"):
        return "due"
    return None


def pledge_row(web: Web, p: Pledge, today: dt.date) -> dict[str, Any]:
    """A pledge as a line of the portal's list, with what the user may do with it."""
    org, state = p.pledger_id, p.review_state
    last = max((r.filed_on for r in p.reports), default=None)
    return {
        "reference": p.reference,
        "title": p.title,
        "organisation": {"id": org, "name": p.pledger.name},
        "review_state": state,
        "review_note": p.review_note if state in ("draft", "rejected") else "",
        "reporting_health": service.reporting_health(p, today) if state == "published" else None,
        "report": report_flag(p, today),
        "last_report_on": last,
        "version": p.version,
        "updated_at": p.updated_at,
        "can_edit": web.can(Action.UPDATE_PLEDGE, org, state),
        "can_submit": web.can(Action.UPDATE_PLEDGE, org, state) and state in ("draft", "rejected"),
        "can_report": web.can(Action.FILE_REPORT, org) and state == "published",
    }


def _tokens(web: Web, user: User) -> list[dict[str, Any]]:
    rows = accounts.active_api_tokens(web.session, user)
    return [{"id": t.id, "name": t.name, "created_at": t.created_at} for t in rows]


def portal_page(
    web: Web,
    user: User,
    *,
    saved: str = "",
    new_token: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    """The portal's home page: the user's organisations' pledges with what is due, and the user's API tokens."""
    orgs = member_organisations(web)
    pledges = service.pledges_of(web.session, [o.id for o in orgs])
    today = dt.date.today()
    rows = [pledge_row(web, p, today) for p in pledges]
    data = {
        "organisations": [{"id": o.id, "name": o.name} for o in orgs],
        "pledges": rows,
        "counts": {
            "pledges": len(rows),
            "report_overdue": sum(r["report"] == "overdue" for r in rows),
            "report_due": sum(r["report"] == "due" for r in rows),
            "changes_asked": sum(bool(r["review_note"]) for r in rows),
        },
        "tokens": _tokens(web, user),
        "new_token": new_token,
        "saved": saved,
        "error": error,
    }
    return web.render("pledges/portal/index.html", data, status=status, labels=choices(web))


@router.get("")
def portal(web: WebDep, saved: str = "") -> Response:
    """The portal's home page."""
    user = enter(web)
    return portal_page(web, user, saved=saved)


@router.post("/tokens", dependencies=[CsrfDep])
def token_create(web: WebDep, form: FormDep) -> Response:
    """Issue a personal API token, shown once."""
    user = enter(web)
    name = " ".join(text(form, "name").split())[:100]
    if not name:
        return portal_page(web, user, error=web.gettext("Give the token a name, such as the tool that will use it."),
                           status=422)  # fmt: skip
    token = accounts.create_api_token(web.session, user, name)
    return portal_page(web, user, new_token={"name": name, "token": token})


@router.post("/tokens/{token_id}/revoke", dependencies=[CsrfDep])
def token_revoke(web: WebDep, token_id: Annotated[Id, Path()]) -> Response:
    """Revoke one of the user's API tokens."""
    user = enter(web)
    accounts.revoke_api_token(web.session, user, token_id)
    return redirect(web, "/portal")


@router.post("/pledges/{ref}/submit", dependencies=[CsrfDep])
def pledge_submit(web: WebDep, ref: str, form: FormDep) -> Response:
    """Submit a draft (or rejected) pledge for review."""
    user = enter(web)
    pledge = service.get_pledge(web.session, ref)
    require(web.principal, Action.UPDATE_PLEDGE, pledge.pledger_id, pledge.review_state)
    version = integer(text(form, "version"))
    try:
        service.update_pledge(web.session, ref, version or 0, {"review_state": "submitted"}, web.principal.name)
    except Conflict:
        message = web.gettext("This pledge changed since you opened it; nothing was submitted. Check it and try again.")
        return portal_page(web, user, error=message, status=409)
    return redirect(web, web.url("/portal", saved=ref))


# ---------------------------------------------------------------- the pledge form

# Languages a pledge's text may be written in, by their own names: the six UN languages and Portuguese.
TEXT_LANGUAGES = (
    ("en", "English"), ("fr", "Français"), ("es", "Español"), ("ar", "العربية"), ("zh", "中文"), ("ru", "Русский"),
    ("pt", "Português"),
)  # fmt: skip

EMPTY_FORM: dict[str, Any] = {
    "organisation": "",
    "title": "",
    "description": "",
    "language": "",
    "pledge_type": "",
    "focus_areas": [],
    "pillars": [],
    "target_countries": [],
    "value": "",
    "currency": "",
    "start_year": "",
    "end_year": "",
    "announced_on": "",
    "event": "",
    "beneficiary_groups": "",
    "sdgs": [],
    "partners": "",
    "source_url": "",
}


def expand_shortcut(shortcut: str, today: dt.date) -> list[str]:
    """The countries of a UN group (``group:LDC``) or an ITU region (``region:africa``)."""
    kind, _, code = shortcut.partition(":")
    if kind == "group" and code in reference.COUNTRY_GROUPS:
        return reference.group_members(code, today)
    if kind == "region" and code in reference.ITU_REGIONS:
        return [c.alpha3 for c in reference.countries().values() if c.itu_region == code]
    return []


def read_pledge_form(form: FormData) -> dict[str, Any]:
    """The form as typed, with the ticked country groups expanded into their countries."""
    values = {k: many(form, k) if isinstance(v, list) else text(form, k) for k, v in EMPTY_FORM.items()}
    countries = set(values["target_countries"])
    today = dt.date.today()
    for shortcut in many(form, "add_countries"):
        countries.update(expand_shortcut(shortcut, today))
    values["target_countries"] = sorted(countries)
    return values


def pledge_input(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the registry's pledge fields (empty means not given)."""

    def opt(v: str) -> str | None:
        return v or None

    return {
        "title": values["title"],
        "description": values["description"],
        "language": values["language"] or "en",
        "pledge_type": opt(values["pledge_type"]),
        "focus_areas": values["focus_areas"],
        "pillars": values["pillars"],
        "target_countries": values["target_countries"],
        "value": opt("".join(values["value"].replace("\u00a0", " ").replace("_", "").split())),
        "currency": opt(values["currency"]),
        "start_year": opt(values["start_year"]),
        "end_year": opt(values["end_year"]),
        "announced_on": opt(values["announced_on"]),
        "event": values["event"],
        "beneficiary_groups": lines(values["beneficiary_groups"]),
        "sdgs": values["sdgs"],
        "partners": lines(values["partners"]),
        "source_url": values["source_url"],
    }


def values_of(p: Pledge) -> dict[str, Any]:
    """A pledge as the form shows it."""
    d = service.pledge_dict(p)
    return {
        "organisation": str(p.pledger_id),
        "title": d["title"],
        "description": d["description"],
        "language": d["language"],
        "pledge_type": d["pledge_type"] or "",
        "focus_areas": d["focus_areas"],
        "pillars": d["pillars"],
        "target_countries": d["target_countries"],
        "value": number_text(d["value"]),
        "currency": d["currency"] or "",
        "start_year": number_text(d["start_year"]),
        "end_year": number_text(d["end_year"]),
        "announced_on": d["announced_on"] or "",
        "event": d["event"],
        "beneficiary_groups": "\n".join(d["beneficiary_groups"]),
        "sdgs": [str(n) for n in d["sdgs"]],
        "partners": "\n".join(d["partners"]),
        "source_url": d["source_url"],
    }


def organisation_input(org: Organisation) -> dict[str, Any]:
    """An organisation as the registry's input (``OrganisationIn``) names it."""
    return {k: v for k, v in service.organisation_dict(org).items() if k != "id"}


def _chosen_organisation(web: Web, value: str) -> Organisation | None:
    org_id = integer(value)
    return service.organisation_by_id(web.session, org_id) if org_id is not None else None


def taxonomy(web: Web) -> list[dict[str, Any]]:
    """The focus areas with their pillars, as the pledge form ticks them."""
    pillars = reference.pillars()
    return [
        {
            "code": fa,
            "label": label(web, "focus_area", fa),
            "pillars": [
                {"code": p.code, "label": label(web, "pillar", p.code)} for p in pillars.values() if p.focus_area == fa
            ],
        }
        for fa in reference.focus_areas()
    ]


def countries_by_region(web: Web) -> list[dict[str, Any]]:
    """The countries grouped by ITU region (then the other territories), by name."""
    by_region: dict[str | None, list[dict[str, str]]] = {}
    for c in reference.countries().values():
        by_region.setdefault(c.itu_region, []).append({"code": c.alpha3, "name": label(web, "country", c.alpha3)})
    out: list[dict[str, Any]] = []
    for region in [*reference.ITU_REGIONS, None]:
        countries = sorted(by_region.get(region, []), key=lambda c: c["name"].casefold())
        name = label(web, "region", region) if region else web.gettext("Other territories")
        if countries:
            out.append({"label": name, "countries": countries})
    return out


def country_shortcuts(web: Web) -> list[dict[str, str]]:
    """The country groups and ITU regions the form can add at once."""
    groups = [{"value": f"group:{g}", "label": label(web, "country_group", g)} for g in reference.COUNTRY_GROUPS]
    regions = [{"value": f"region:{r}", "label": label(web, "region", r)} for r in reference.ITU_REGIONS]
    return groups + regions


def form_page(
    web: Web,
    pledge: Pledge | None,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    status: int = 200,
    conflict: dict[str, Any] | None = None,
) -> Response:
    """The pledge form (a new pledge when ``pledge`` is None), with what was typed, its errors, and on a conflict what
    the user typed that differs from the current version."""
    orgs = organisation_options(web)
    if pledge is not None and all(o.id != pledge.pledger_id for o in orgs):
        orgs.insert(0, pledge.pledger)
    data = {
        "pledge": None
        if pledge is None
        else {
            "reference": pledge.reference,
            "version": pledge.version,
            "review_state": pledge.review_state,
            "review_note": pledge.review_note,
        },
        "organisations": [{"id": o.id, "name": o.name} for o in orgs],
        "values": values,
        "errors": errors,
        "conflict": conflict,
    }
    names = {c.alpha3: label(web, "country", c.alpha3) for c in reference.countries().values()}
    return web.render(
        "pledges/portal/pledge_form.html",
        data,
        status=status,
        labels=choices(web),
        fields=field_labels(web),
        taxonomy=taxonomy(web),
        text_languages=TEXT_LANGUAGES,
        regions=countries_by_region(web),
        shortcuts=country_shortcuts(web),
        currencies=sorted(reference.currencies().values(), key=lambda c: c.code),
        country_names=names,
        in_review=IN_REVIEW,
    )


@router.get("/pledges/new")
def pledge_new_form(web: WebDep) -> Response:
    """The form for a new pledge."""
    enter(web, Action.CREATE_PLEDGE)
    values = dict(EMPTY_FORM)
    orgs = organisation_options(web)
    if len(orgs) == 1:
        values["organisation"] = str(orgs[0].id)
    return form_page(web, None, values, {})


@router.post("/pledges/new", dependencies=[CsrfDep])
def pledge_new(web: WebDep, form: FormDep) -> Response:
    """Register a pledge from the form, as a draft or submitted for review."""
    enter(web, Action.CREATE_PLEDGE)
    values = read_pledge_form(form)
    action = text(form, "action")
    org = _chosen_organisation(web, values["organisation"])
    state = "submitted" if action == "submit" else "draft"
    if org is not None:
        require_new_pledge(web.principal, org.id, review_state=state)
    if action == "expand":
        return form_page(web, None, values, {})
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = pledge_input(values)
    fields["review_state"] = state
    try:
        data = PledgeIn.model_validate({**fields, "pledger": organisation_input(org) if org else {}})
    except ValidationError as exc:
        errors = form_errors(web, exc, {"pledger": "organisation"})
    if org is None:
        errors["organisation"] = [web.gettext("Choose the organisation making the pledge.")]
    if errors:
        return form_page(web, None, values, errors, status=422)
    pledge = service.create_pledge(web.session, data, web.principal.name)
    return redirect(web, web.url("/portal", saved=pledge.reference))


def _editable(web: Web, ref: str) -> Pledge:
    enter(web)
    pledge = service.get_pledge(web.session, ref)
    require(web.principal, Action.UPDATE_PLEDGE, pledge.pledger_id, pledge.review_state)
    return pledge


@router.get("/pledges/{ref}/edit")
def pledge_edit_form(web: WebDep, ref: str) -> Response:
    """The form to change a pledge."""
    pledge = _editable(web, ref)
    return form_page(web, pledge, values_of(pledge), {})


def _conflict(web: Web, pledge: Pledge, values: dict[str, Any]) -> Response:
    """The current pledge, and what the user typed that differs from it: nothing is overwritten."""
    current = values_of(pledge)
    yours = {k: v for k, v in values.items() if v != current.get(k)}
    return form_page(web, pledge, current, {}, status=409, conflict=yours)


@router.post("/pledges/{ref}/edit", dependencies=[CsrfDep])
def pledge_edit(web: WebDep, ref: str, form: FormDep) -> Response:
    """Change a pledge from the form; a pledge changed meanwhile is shown again, nothing overwritten."""
    pledge = _editable(web, ref)
    values = read_pledge_form(form)
    action = text(form, "action")
    version = integer(text(form, "version"))
    if version != pledge.version:
        return _conflict(web, pledge, values)
    org = _chosen_organisation(web, values["organisation"])
    if org is not None and org.id != pledge.pledger_id:
        require_pledge_change(
            web.principal, pledge.pledger_id, pledge.review_state, ["pledger"], new_organisation=org.id
        )
    if action == "expand":
        return form_page(web, pledge, values, {})
    errors: dict[str, list[str]] = {}
    current = service.editable_fields(pledge)
    fields = pledge_input(values)
    fields["status"] = pledge.status
    try:
        data = PledgeFields.model_validate(fields)
        if (data.value, data.currency) == (current["value"], current["currency"]) and data.currency != "USD":
            data.value_usd = current["value_usd"]  # a stated USD value stays while the amount stays
    except ValidationError as exc:
        errors = form_errors(web, exc)
    if org is None:
        errors["organisation"] = [web.gettext("Choose the organisation making the pledge.")]
    if errors or org is None:
        return form_page(web, pledge, values, errors, status=422)
    changes: dict[str, Any] = data.model_dump()
    if org.id != pledge.pledger_id:
        changes["pledger"] = organisation_input(org)
    wanted = {"submit": "submitted", "draft": "draft"}.get(action)
    if wanted and wanted != pledge.review_state and wanted in service.REVIEW_TRANSITIONS[pledge.review_state]:
        changes["review_state"] = wanted
    try:
        service.update_pledge(web.session, ref, version, changes, web.principal.name)
    except Conflict:
        return _conflict(web, pledge, values)
    except Invalid as exc:
        return form_page(web, pledge, values, {"form": [str(exc)]}, status=422)
    return redirect(web, web.url("/portal", saved=ref))


# ---------------------------------------------------------------- progress reports

EMPTY_REPORT: dict[str, str] = {
    "year": "",
    "status": "",
    "percent_complete": "",
    "usd_disbursed": "",
    "people_reached": "",
    "narrative": "",
    "version": "",
}


def report_values(r: ProgressReport) -> dict[str, str]:
    """A progress report as the report form shows it."""
    return {
        "year": str(r.year),
        "status": r.status,
        "percent_complete": number_text(r.percent_complete),
        "usd_disbursed": number_text(r.usd_disbursed),
        "people_reached": number_text(r.people_reached),
        "narrative": r.narrative,
        "version": str(r.version),
    }


def _reportable(web: Web, ref: str) -> Pledge:
    enter(web)
    pledge = service.get_pledge(web.session, ref)
    require(web.principal, Action.FILE_REPORT, pledge.pledger_id)
    return pledge


def report_page(
    web: Web,
    pledge: Pledge,
    values: dict[str, str],
    errors: dict[str, list[str]],
    *,
    status: int = 200,
    conflict: bool = False,
) -> Response:
    """The progress report form of a pledge, with its earlier reports."""
    data = {
        "pledge": {
            "reference": pledge.reference,
            "title": pledge.title,
            "review_state": pledge.review_state,
            "reporting_health": service.reporting_health(pledge),
        },
        "reports": [service.report_dict(r) for r in pledge.reports],
        "values": values,
        "errors": errors,
        "conflict": conflict,
    }
    return web.render(
        "pledges/portal/report_form.html", data, status=status, labels=choices(web), fields=field_labels(web)
    )


@router.get("/pledges/{ref}/report")
def report_form(web: WebDep, ref: str, year: int | None = None) -> Response:
    """The form for a year's progress report (the current year unless asked), filled in when it exists."""
    pledge = _reportable(web, ref)
    year = year or dt.date.today().year
    existing = next((r for r in pledge.reports if r.year == year), None)
    values = report_values(existing) if existing else {**EMPTY_REPORT, "year": str(year), "status": pledge.status}
    return report_page(web, pledge, values, {})


@router.post("/pledges/{ref}/report", dependencies=[CsrfDep])
def report_file(web: WebDep, ref: str, form: FormDep) -> Response:
    """File or correct a year's progress report from the form."""
    pledge = _reportable(web, ref)
    values = {k: text(form, k) for k in EMPTY_REPORT}
    year = integer(values["year"])
    existing = next((r for r in pledge.reports if r.year == year), None)
    if existing is None:
        values["version"] = ""  # a year without a report gets a new one
    fields = {k: (v or None) for k, v in values.items() if k != "narrative"}
    try:
        data = ProgressReportIn.model_validate({**fields, "narrative": values["narrative"]})
    except ValidationError as exc:
        return report_page(web, pledge, values, form_errors(web, exc), status=422)
    if existing is not None and data.version != existing.version:
        return report_page(web, pledge, report_values(existing), {}, status=409, conflict=True)
    try:
        service.file_report(web.session, ref, data, web.principal.name)
    except Conflict:
        return report_page(web, pledge, report_values(existing) if existing else values, {}, status=409, conflict=True)
    except Invalid:
        message = web.gettext("Progress reports are filed on published pledges only.")
        return report_page(web, pledge, values, {"form": [message]}, status=422)
    return redirect(web, web.url("/portal", saved=ref))
