"""The pledger portal: an organisation's pledges in every review state, the guided pledge form and personal API
tokens (progress reports and deliverables: ``pages/reports``).

Pledgers see and change their own organisations' pledges; the secretariat and administrators may use the
portal too. Every decision on who may do what is taken by ``observatory.auth``.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
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
from observatory.pledges import reports, service
from observatory.pledges.models import Organisation, Pledge
from observatory.pledges.schemas import Id, PledgeFields, PledgeIn, validation_context
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
    """``overdue`` for a published pledge whose report is late, ``due`` when it soon will be (the rule of
    ``reports.report_flag``, looking ahead :data:`DUE_WINDOW_DAYS`)."""
    return reports.report_flag(pledge, today, DUE_WINDOW_DAYS)


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
        "returned_reports": [r.year for r in p.reports if r.review_state == "returned"],
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
        "value": opt(values["value"]),  # read as the reader's language writes numbers (validation_context)
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


def values_of(p: Pledge, language: str = "en") -> dict[str, Any]:
    """A pledge as the form shows it (its amount as ``language`` writes numbers)."""
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
        "value": number_text(d["value"], language),
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


def _searchable(*names: str) -> str:
    """Names as the country search compares them (the start of any word): lower case, without accents, any
    punctuation a space."""
    text = unicodedata.normalize("NFD", " ".join(names).casefold())
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text if not unicodedata.combining(ch)).split())


def countries_by_region(web: Web, chosen: list[str] | None = None) -> list[dict[str, Any]]:
    """The countries grouped by ITU region (then the other territories), by name, each with what the search
    box matches (English and French names, ISO codes) and the country groups it belongs to today."""
    today = dt.date.today()
    groups = {g: set(reference.group_members(g, today)) for g in reference.COUNTRY_GROUPS}
    picked = set(chosen or [])
    by_region: dict[str | None, list[dict[str, Any]]] = {}
    for c in reference.countries().values():
        by_region.setdefault(c.itu_region, []).append(
            {
                "code": c.alpha3,
                "name": label(web, "country", c.alpha3),
                "search": _searchable(c.name_en, c.name_fr, c.alpha2, c.alpha3),
                "groups": " ".join(g for g, members in groups.items() if c.alpha3 in members),
                "chosen": c.alpha3 in picked,
            }
        )
    out: list[dict[str, Any]] = []
    for region in [*reference.ITU_REGIONS, None]:
        countries = sorted(by_region.get(region, []), key=lambda c: c["name"].casefold())
        name = label(web, "region", region) if region else web.gettext("Other territories")
        if countries:
            chosen_here = sum(c["chosen"] for c in countries)
            out.append({"code": region or "other", "label": name, "countries": countries, "chosen": chosen_here})
    return out


def country_shortcuts(web: Web) -> list[dict[str, Any]]:
    """The country groups (their members today) and ITU regions the form can add at once, with their size."""
    today = dt.date.today()
    out: list[dict[str, Any]] = []
    for g in reference.COUNTRY_GROUPS:
        count = len(reference.group_members(g, today))
        out.append({"value": f"group:{g}", "label": label(web, "country_group", g), "count": count})
    for r in reference.ITU_REGIONS:
        count = sum(c.itu_region == r for c in reference.countries().values())
        out.append({"value": f"region:{r}", "label": label(web, "region", r), "count": count})
    return out


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
        regions=countries_by_region(web, values.get("target_countries")),
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
        typed = {**fields, "pledger": organisation_input(org) if org else {}}
        data = PledgeIn.model_validate(typed, context=validation_context(web.language))
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
    return form_page(web, pledge, values_of(pledge, web.language), {})


def _conflict(web: Web, pledge: Pledge, values: dict[str, Any]) -> Response:
    """The current pledge, and what the user typed that differs from it: nothing is overwritten."""
    current = values_of(pledge, web.language)
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
        data = PledgeFields.model_validate(fields, context=validation_context(web.language))
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
