"""The pledger portal: an organisation's pledges in every review state, the guided pledge form, annual
progress reports and personal API tokens.

Pledgers see and change their own organisations' pledges; the secretariat and administrators may use the
portal too. Every decision on who may do what is taken by ``observatory.auth``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import select
from starlette.datastructures import FormData

from observatory import reference
from observatory.accounts import service as accounts
from observatory.accounts.models import ApiToken, User
from observatory.auth import Action, require, require_new_pledge, require_pledge_change
from observatory.errors import Conflict, Invalid
from observatory.pledges import service
from observatory.pledges.models import Organisation, Pledge, ProgressReport
from observatory.pledges.schemas import MAX_ID, Id, PledgeFields, PledgeIn, ProgressReportIn
from observatory.web.deps import CsrfDep, FormDep, WebDep, require_user
from observatory.web.labels import label
from observatory.web.render import Web

router = APIRouter(prefix="/portal", include_in_schema=False)

# A published pledge is flagged "report due" this many days before its report becomes overdue.
DUE_WINDOW_DAYS = 60
# Review states in which the form offers "Save draft" and "Submit for review".
IN_REVIEW = ("draft", "submitted", "rejected")


# ---------------------------------------------------------------- shared by the signed-in pages


def enter(web: Web, action: Action = Action.READ_UNPUBLISHED) -> User:
    """The signed-in user, if allowed to ``action`` at all; others are sent to sign in or refused."""
    user = require_user(web)
    require(web.principal, action)
    return user


def redirect(web: Web, url: str) -> Response:
    response = RedirectResponse(url, status_code=303)
    web.set_cookies(response)
    return response


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def many(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def lines(value: str) -> list[str]:
    return [x.strip() for x in value.splitlines() if x.strip()]


def integer(value: str) -> int | None:
    """A whole number typed in a form, or None; numbers beyond 64 bits are none (no record has them)."""
    try:
        number = int(value)
    except ValueError:
        return None
    return number if -MAX_ID - 1 <= number <= MAX_ID else None


def number_text(value: float | int | None) -> str:
    """A number as a form shows it: no exponent, no trailing zeros."""
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def choices(web: Web) -> dict[str, dict[str, str]]:
    """The coded values the pages show, in the reader's language."""
    g = web.gettext
    return {
        "review_state": {
            "draft": g("Draft"),
            "submitted": g("Submitted for review"),
            "published": g("Published"),
            "rejected": g("Rejected"),
            "withdrawn": g("Withdrawn"),
        },
        "pledge_type": {
            "financial": g("Financial"),
            "programmatic": g("Programmatic"),
            "policy": g("Policy"),
            "advocacy": g("Advocacy"),
        },
        "status": {
            "planned": g("Planned"),
            "in_progress": g("In progress"),
            "completed": g("Completed"),
            "discontinued": g("Discontinued"),
        },
        "stakeholder_type": {
            "government": g("Government"),
            "private_sector": g("Private sector"),
            "international_organisation": g("International organisation"),
            "un_entity": g("UN entity"),
            "financial_institution": g("Financial institution"),
            "academia": g("Academia"),
            "civil_society": g("Civil society"),
        },
        "itu_membership": {
            "member_state": g("ITU Member State"),
            "sector_member": g("ITU Sector Member"),
            "associate": g("ITU Associate"),
            "academia": g("ITU Academia member"),
            "none": g("Not an ITU member"),
        },
        "health": {
            "green": g("Reported in the last 12 months"),
            "amber": g("Last report 12 to 24 months old"),
            "red": g("No report for over 24 months, or none yet"),
            "not_due": g("First report not due yet"),
        },
        "report": {"overdue": g("Report overdue"), "due": g("Report due soon")},
        "role": {"pledger": g("Pledger"), "secretariat": g("Secretariat"), "admin": g("Administrator")},
    }


def field_labels(web: Web) -> dict[str, str]:
    g = web.gettext
    return {
        "organisation": g("Organisation"),
        "pledger": g("Organisation"),
        "title": g("Title"),
        "description": g("Description"),
        "pledge_type": g("Type of pledge"),
        "focus_areas": g("Focus areas"),
        "pillars": g("Pillars"),
        "target_countries": g("Target countries"),
        "value": g("Value"),
        "currency": g("Currency"),
        "value_usd": g("Value in USD"),
        "start_year": g("Start year"),
        "end_year": g("End year"),
        "announced_on": g("Announcement date"),
        "event": g("Event"),
        "status": g("Status"),
        "sdgs": g("Sustainable Development Goals"),
        "beneficiary_groups": g("Beneficiary groups"),
        "partners": g("Partners"),
        "source_url": g("Source (web address)"),
        "language": g("Language of the title and description"),
        "review_state": g("Review state"),
        "review_note": g("Note from the secretariat"),
        "year": g("Year"),
        "percent_complete": g("Per cent complete"),
        "usd_disbursed": g("USD disbursed"),
        "people_reached": g("People reached"),
        "narrative": g("What was done"),
        "name": g("Name"),
        "country": g("Country"),
        "stakeholder_type": g("Type of stakeholder"),
        "itu_membership": g("ITU membership"),
        "email": g("E-mail address"),
        "role": g("Role"),
        "form": g("Form"),
    }


def _model_level_field(message: str) -> str:
    if message.startswith("end_year"):
        return "end_year"
    if message.startswith("value needs"):
        return "currency"
    if message.startswith("pillar"):
        return "pillars"
    return "form"


def _message(web: Web, e: ErrorDetails) -> str:
    """A validation error in words a person filling the form understands."""
    g = web.gettext
    kind, msg = e["type"], service.clean_message(e["msg"])
    limit = (e.get("ctx") or {}).get("ge", (e.get("ctx") or {}).get("le", ""))
    known = {
        "missing": g("This field is required."),
        "too_short": g("This field is required."),
        "string_too_long": g("This text is too long."),
        "float_parsing": g("Enter a number, in digits only (such as 250000)."),
        "float_type": g("Enter a number, in digits only (such as 250000)."),
        "finite_number": g("Enter a number, in digits only (such as 250000)."),
        "int_parsing": g("Enter a whole number."),
        "int_from_float": g("Enter a whole number."),
        "int_type": g("Enter a whole number."),
        "date_from_datetime_parsing": g("Enter a date as YYYY-MM-DD."),
        "date_parsing": g("Enter a date as YYYY-MM-DD."),
        "date_type": g("Enter a date as YYYY-MM-DD."),
        "literal_error": g("Choose one of the options."),
        "greater_than_equal": g("Enter a number no lower than %(limit)s.") % {"limit": limit},
        "less_than_equal": g("Enter a number no higher than %(limit)s.") % {"limit": limit},
    }
    if kind in known:
        return known[kind]
    sentences = {
        "must not be empty": g("This field is required."),
        "value needs a currency": g("Choose the currency of the value."),
        "must be an http:// or https:// address": g("Enter an address starting with http:// or https://."),
    }
    if msg in sentences:
        return sentences[msg]
    if msg.startswith("end_year"):
        return g("The end year is before the start year.")
    if msg.startswith("pillar"):
        return g("A pillar you ticked belongs to a focus area you did not tick: tick that focus area too.")
    return msg


def form_errors(web: Web, exc: ValidationError, rename: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Validation errors by form field, each in words."""
    out: dict[str, list[str]] = {}
    for e in exc.errors():
        loc = [str(x) for x in e["loc"]]
        field = loc[0] if loc else _model_level_field(service.clean_message(e["msg"]))
        field = (rename or {}).get(field, field)
        message = _message(web, e)
        if message not in out.setdefault(field, []):
            out[field].append(message)
    return out


# ---------------------------------------------------------------- the portal's home page


def member_organisations(web: Web) -> list[Organisation]:
    ids = sorted(web.principal.organisations)
    if not ids:
        return []
    orgs = web.session.scalars(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name_key))
    return [o for o in orgs if web.can(Action.READ_UNPUBLISHED, o.id)]


def organisation_options(web: Web) -> list[Organisation]:
    """The organisations the user may register a pledge for: its own, or any for the secretariat."""
    own = member_organisations(web)
    if own:
        return [o for o in own if web.can(Action.CREATE_PLEDGE, o.id)]
    everyone = web.session.scalars(select(Organisation).order_by(Organisation.name_key))
    return [o for o in everyone if web.can(Action.CREATE_PLEDGE, o.id)]


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
    rows = web.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).order_by(ApiToken.id)
    )
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
    orgs = member_organisations(web)
    pledges: list[Pledge] = []
    if orgs:
        query = select(Pledge).where(Pledge.pledger_id.in_([o.id for o in orgs]))
        pledges = list(web.session.scalars(query.order_by(Pledge.updated_at.desc(), Pledge.id.desc())))
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
    user = enter(web)
    return portal_page(web, user, saved=saved)


@router.post("/tokens", dependencies=[CsrfDep])
def token_create(web: WebDep, form: FormDep) -> Response:
    user = enter(web)
    name = " ".join(text(form, "name").split())[:100]
    if not name:
        return portal_page(web, user, error=web.gettext("Give the token a name, such as the tool that will use it."),
                           status=422)  # fmt: skip
    token = accounts.create_api_token(web.session, user, name)
    return portal_page(web, user, new_token={"name": name, "token": token})


@router.post("/tokens/{token_id}/revoke", dependencies=[CsrfDep])
def token_revoke(web: WebDep, token_id: Annotated[Id, Path()]) -> Response:
    user = enter(web)
    accounts.revoke_api_token(web.session, user, token_id)
    return redirect(web, "/portal")


@router.post("/pledges/{ref}/submit", dependencies=[CsrfDep])
def pledge_submit(web: WebDep, ref: str, form: FormDep) -> Response:
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
    return {k: v for k, v in service.organisation_dict(org).items() if k != "id"}


def _chosen_organisation(web: Web, value: str) -> Organisation | None:
    org_id = integer(value)
    return web.session.get(Organisation, org_id) if org_id is not None else None


def taxonomy(web: Web) -> list[dict[str, Any]]:
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
    enter(web, Action.CREATE_PLEDGE)
    values = dict(EMPTY_FORM)
    orgs = organisation_options(web)
    if len(orgs) == 1:
        values["organisation"] = str(orgs[0].id)
    return form_page(web, None, values, {})


@router.post("/pledges/new", dependencies=[CsrfDep])
def pledge_new(web: WebDep, form: FormDep) -> Response:
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
    pledge = _editable(web, ref)
    return form_page(web, pledge, values_of(pledge), {})


def _conflict(web: Web, pledge: Pledge, values: dict[str, Any]) -> Response:
    """The current pledge, and what the user typed that differs from it: nothing is overwritten."""
    current = values_of(pledge)
    yours = {k: v for k, v in values.items() if v != current.get(k)}
    return form_page(web, pledge, current, {}, status=409, conflict=yours)


@router.post("/pledges/{ref}/edit", dependencies=[CsrfDep])
def pledge_edit(web: WebDep, ref: str, form: FormDep) -> Response:
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
    pledge = _reportable(web, ref)
    year = year or dt.date.today().year
    existing = next((r for r in pledge.reports if r.year == year), None)
    values = report_values(existing) if existing else {**EMPTY_REPORT, "year": str(year), "status": pledge.status}
    return report_page(web, pledge, values, {})


@router.post("/pledges/{ref}/report", dependencies=[CsrfDep])
def report_file(web: WebDep, ref: str, form: FormDep) -> Response:
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
