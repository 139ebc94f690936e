"""The pages of the best-practice library, with their JSON twins: the public library (``/practices``, one case),
the pledger portal's cases (``/portal/practices``: new, edit while not published) and the secretariat's review
(``/secretariat/practices``: queue, publish, return with a note, spotlight candidates, checked).

Every decision on who may do what is taken by ``observatory.auth`` (through the service); every rule a case keeps
is checked by ``PracticeFields`` and the service.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from observatory import reference
from observatory.auth import Action, Forbidden
from observatory.errors import Conflict, Invalid
from observatory.i18n.validation import error_message
from observatory.practices import files, service
from observatory.practices.models import BestPractice
from observatory.practices.schemas import LICENCE_NAMES, LICENCE_URLS, MESSAGES, PracticeFields, figure_lines
from observatory.web.deps import CsrfDep, FormDep, WebDep
from observatory.web.forms import FORM_MESSAGES, enter, integer, lines, many, redirect, text
from observatory.web.labels import label
from observatory.web.render import Web, add_templates

add_templates(Path(__file__).parent / "templates")

router = APIRouter(include_in_schema=False)

FORM_FIELDS = (
    "organisation", "title", "language", "country", "other_countries", "year", "what_was_done", "results",
    "result_figures", "lessons", "pledges", "contact_name", "contact_email", "licence", "source_urls", "version",
)  # fmt: skip
_CODES = re.compile(r"[\s,;]+")


# ---------------------------------------------------------------- words


def practice_fields(web: Web) -> dict[str, str]:
    """The names of a case's fields, in the reader's language."""
    g = web.gettext
    return {
        "organisation": g("Organisation"),
        "title": g("Title"),
        "language": g("Language of the text"),
        "country": g("Country"),
        "other_countries": g("Other countries"),
        "focus_areas": g("Focus areas"),
        "pillars": g("Pillars"),
        "year": g("Year the practice began"),
        "what_was_done": g("What was done"),
        "results": g("Results"),
        "result_figures": g("Result figures"),
        "lessons": g("Lessons learnt"),
        "pledges": g("Related pledges"),
        "contact_name": g("Contact name"),
        "contact_email": g("Contact e-mail address"),
        "licence": g("Licence of the text"),
        "source_urls": g("Sources (web addresses)"),
        "review_note": g("Note from the secretariat"),
        "spotlight_year": g("Year of the P2C report"),
        "reference": g("Reference"),
        "form": g("Form"),
    }


def review_state_names(web: Web) -> dict[str, str]:
    """A case's review states in the reader's language."""
    g = web.gettext
    return {
        "draft": g("Draft"),
        "submitted": g("Submitted for review"),
        "published": g("Published"),
        "returned": g("Returned for changes"),
    }


def action_names(web: Web) -> dict[str, str]:
    """What each change of a case's history did, in the reader's language."""
    g = web.gettext
    return {
        "create": g("Registered"),
        "update": g("Changed"),
        "publish": g("Published"),
        "return": g("Returned for changes"),
        "spotlight": g("Spotlight candidates changed"),
        "check": g("Checked by the secretariat"),
    }


def licence_names(web: Web) -> dict[str, str]:
    """The licences a case's text may be published under, as readers know them."""
    return {code: web.gettext(name) for code, name in LICENCE_NAMES.items()}


def practice_errors(web: Web, exc: ValidationError) -> dict[str, list[str]]:
    """Every validation error of the case form by field, each a sentence naming the field in the reader's
    language."""
    labels = practice_fields(web)
    out: dict[str, list[str]] = {}
    known = {**FORM_MESSAGES, **MESSAGES}
    for e in exc.errors():
        name = str(e["loc"][0]) if e["loc"] else "form"
        field = labels.get(name, name)
        message = error_message(e, web.gettext, field, name, web.language, known)
        if message not in out.setdefault(name, []):
            out[name].append(message)
    return out


def _country_name(web: Web, code: str | None) -> str:
    return label(web, "country", code) if code else ""


def shown(web: Web, record: dict[str, Any]) -> dict[str, Any]:
    """A case's record with what the page shows of its codes, in the reader's language."""
    countries = service.countries_of(record)
    return {
        **record,
        "country_names": [(c, _country_name(web, c)) for c in countries],
        "focus_area_names": [label(web, "focus_area", k) for k in record["focus_areas"]],
        "pillar_names": [label(web, "pillar", k) for k in record["pillars"]],
        "licence_name": licence_names(web).get(record["licence"], record["licence"]),
        "licence_url": LICENCE_URLS.get(record["licence"], ""),
        "figures": [
            {**f, "value_text": web.fmt.number(f["value"], 0 if float(f["value"]).is_integer() else 2)}
            for f in record.get("result_figures") or []
        ],
        "review_state_name": review_state_names(web).get(record.get("review_state") or "", ""),
        # a link's text is its site, so that a long address does not widen a phone's page
        "sources": [(url, urlsplit(url).netloc or url) for url in record.get("source_urls") or []],
    }


# ---------------------------------------------------------------- the public library


def _filter(web: Web) -> tuple[service.PracticeFilter, dict[str, str]]:
    params = web.request.query_params
    chosen = {k: params.get(k, "").strip() for k in ("country", "region", "focus_area", "pillar", "year", "q")}
    year = integer(chosen["year"]) if chosen["year"] else None
    if chosen["year"] and year is None:
        raise Invalid("year: a year is written in digits, such as 2020")
    country = reference.country_code(chosen["country"]) if chosen["country"] else ""
    f = service.PracticeFilter(
        country=country or chosen["country"].upper(),
        region=chosen["region"],
        focus_area=chosen["focus_area"],
        pillar=chosen["pillar"],
        year=year,
        q=chosen["q"],
    )
    return f, {k: v for k, v in chosen.items() if v}


def _options(web: Web, everything: list[dict[str, Any]]) -> list[dict[str, Any]]:
    codes = sorted({c for r in everything for c in service.countries_of(r)}, key=lambda c: _country_name(web, c))
    years = sorted({r["year"] for r in everything if r.get("year")}, reverse=True)
    return [
        {"name": "country", "label": web.gettext("Country"), "options": [(c, _country_name(web, c)) for c in codes]},
        {
            "name": "region",
            "label": web.gettext("Region"),
            "options": [(k, label(web, "region", k)) for k in reference.ITU_REGIONS],
        },
        {
            "name": "focus_area",
            "label": web.gettext("Focus area"),
            "options": [(k, label(web, "focus_area", k)) for k in reference.focus_areas()],
        },
        {
            "name": "pillar",
            "label": web.gettext("Pillar"),
            "options": [(k, label(web, "pillar", k)) for k in reference.pillars()],
        },
        {"name": "year", "label": web.gettext("Year the practice began"), "options": [(str(y), str(y)) for y in years]},
    ]


@router.get("/practices")
def practices(web: WebDep) -> Response:
    """The best-practice library: the published cases the URL selects, or all of them as CSV."""
    f, chosen = _filter(web)
    items = service.list_practices(web.session, f)
    if web.request.query_params.get("format") == "csv":
        response = Response(
            files.csv_text(files.public_rows(items)),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="practices.csv"'},
        )
        web.set_cookies(response)
        return response
    everything = service.list_practices(web.session, service.PracticeFilter())
    data = {"items": items, "total": len(items), "filter": chosen}
    return web.render(
        "practices/list.html",
        data,
        rows=[shown(web, r) for r in items],
        controls=_options(web, everything),
        chosen=chosen,
        filtered=bool(chosen),
    )


@router.get("/practices/{ref}")
def practice_page(ref: str, web: WebDep) -> Response:
    """One case: what was done, its results and lessons, the pledges it relates to and the licence of its
    text. The contact is never shown here."""
    p = service.visible_practice(web.session, ref, web.principal)
    record = service.public_practice(web.session, p)
    linked = service.linked_pledges(web.session, record["pledges"])
    data = {**record, "linked_pledges": [{"reference": r, "title": t} for r, t in linked]}
    return web.render(
        "practices/case.html",
        data,
        case=shown(web, record),
        linked=linked,
        unpublished=p.review_state != "published",
        review_state=review_state_names(web)[p.review_state],
    )


def pledge_section(web: Web, ref: str) -> list[dict[str, Any]]:
    """The published cases that name a pledge, as the pledge's page lists them (reference and title)."""
    return [{"reference": p.reference, "title": p.title} for p in service.practices_for_pledge(web.session, ref)]


# ---------------------------------------------------------------- the portal


def _values_of(p: BestPractice) -> dict[str, Any]:
    return {
        "organisation": str(p.organisation_id or ""),
        "title": p.title,
        "language": p.language,
        "country": p.country or "",
        "other_countries": ", ".join(p.other_countries),
        "focus_areas": list(p.focus_areas),
        "pillars": list(p.pillars),
        "year": str(p.year or ""),
        "what_was_done": p.what_was_done,
        "results": p.results,
        "result_figures": figure_lines(p.result_figures),
        "lessons": p.lessons,
        "pledges": " ".join(p.pledges),
        "contact_name": p.contact_name,
        "contact_email": p.contact_email,
        "licence": p.licence,
        "source_urls": "\n".join(p.source_urls),
        "version": str(p.version),
    }


EMPTY: dict[str, Any] = {**{k: "" for k in FORM_FIELDS}, "focus_areas": [], "pillars": [], "language": "en",
                         "licence": "cc_by_4"}  # fmt: skip


def _read_form(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {k: text(form, k) for k in FORM_FIELDS}
    values["focus_areas"] = many(form, "focus_areas")
    values["pillars"] = many(form, "pillars")
    return values


def _input(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": values["title"],
        "language": values["language"] or "en",
        "country": values["country"] or None,
        "other_countries": [c for c in _CODES.split(values["other_countries"]) if c],
        "focus_areas": values["focus_areas"],
        "pillars": values["pillars"],
        "year": values["year"] or None,
        "what_was_done": values["what_was_done"],
        "results": values["results"],
        "result_figures": values["result_figures"],
        "lessons": values["lessons"],
        "pledges": [r for r in _CODES.split(values["pledges"]) if r],
        "contact_name": values["contact_name"],
        "contact_email": values["contact_email"],
        "licence": values["licence"] or "cc_by_4",
        "source_urls": lines(values["source_urls"]),
    }


def form_page(
    web: Web,
    p: BestPractice | None,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
    conflict: str = "",
) -> Response:
    """The form of a case (a new one, or a change to ``p``) with its errors."""
    orgs = service.organisations_for(web.session, web.principal)
    countries = sorted(reference.countries().values(), key=lambda c: c.name_fr if web.language == "fr" else c.name_en)
    data = {
        "case": None
        if p is None
        else {
            "reference": p.reference,
            "review_state": p.review_state,
            "review_note": p.review_note,
            "version": p.version,
        },
        "values": values,
        "errors": errors,
        "conflict": conflict,
    }
    return web.render(
        "practices/form.html",
        data,
        fields=practice_fields(web),
        organisations=orgs,
        countries=[(c.alpha3, c.name_fr if web.language == "fr" else c.name_en) for c in countries],
        focus_areas=[
            (
                code,
                label(web, "focus_area", code),
                [(p.code, label(web, "pillar", p.code)) for p in reference.pillars().values() if p.focus_area == code],
            )
            for code in reference.focus_areas()
        ],
        licences=licence_names(web),
        states=review_state_names(web),
        status=status,
    )


def _organisation(web: Web, values: dict[str, Any]) -> tuple[int | None, dict[str, list[str]]]:
    chosen = integer(values["organisation"]) if values["organisation"] else None
    if chosen is not None and not web.can(Action.SUBMIT_PRACTICE, chosen):
        raise Forbidden(web.principal, Action.SUBMIT_PRACTICE, " for this organisation")
    allowed = {i for i, _ in service.organisations_for(web.session, web.principal)}
    if chosen is None and not values["organisation"] and web.can(Action.REVIEW_PRACTICE):
        return None, {}  # the secretariat, on behalf of the country
    if chosen is None or chosen not in allowed:
        return None, {"organisation": [web.gettext("Choose the organisation submitting the case.")]}
    return chosen, {}


def _pledge_errors(web: Web, refs: list[str]) -> dict[str, list[str]]:
    unknown = service.unknown_pledges(web.session, [r.upper() for r in refs])
    if not unknown:
        return {}
    message = web.gettext("%(field)s: no pledge has the reference “%(value)s”.")
    field = practice_fields(web)["pledges"]
    return {"pledges": [message % {"field": field, "value": r} for r in unknown]}


def _validated(web: Web, values: dict[str, Any]) -> tuple[PracticeFields | None, dict[str, list[str]]]:
    given = _input(values)
    links = _pledge_errors(web, given["pledges"])  # checked whatever else is wrong, so all errors show at once
    try:
        data = PracticeFields.model_validate(given, context={"numbers": web.language})
    except ValidationError as exc:
        return None, practice_errors(web, exc) | links
    return data, links


@router.get("/portal/practices")
def portal_practices(web: WebDep, saved: str = "") -> Response:
    """The cases of the user's organisations, in every review state, with what the secretariat said."""
    enter(web, Action.SUBMIT_PRACTICE)
    orgs = dict(service.organisations_for(web.session, web.principal))
    own = sorted(web.principal.organisations) if web.principal.organisations else list(orgs)
    cases = service.practices_of(web.session, own)
    items = [
        {
            "reference": p.reference,
            "title": p.title,
            "organisation": orgs.get(p.organisation_id or 0, ""),
            "review_state": p.review_state,
            "review_note": p.review_note,
            "version": p.version,
        }
        for p in cases
    ]
    return web.render("practices/portal.html", {"items": items, "saved": saved}, states=review_state_names(web))


@router.get("/portal/practices/new")
def practice_new_form(web: WebDep) -> Response:
    """The form for a new case."""
    enter(web, Action.SUBMIT_PRACTICE)
    values = dict(EMPTY)
    orgs = service.organisations_for(web.session, web.principal)
    if len(orgs) == 1:
        values["organisation"] = str(orgs[0][0])
    return form_page(web, None, values, {})


@router.post("/portal/practices/new", dependencies=[CsrfDep])
def practice_new(web: WebDep, form: FormDep) -> Response:
    """Register a case from the form, as a draft or submitted for review."""
    enter(web, Action.SUBMIT_PRACTICE)
    values = _read_form(form)
    org, errors = _organisation(web, values)
    data, more = _validated(web, values)
    errors |= more
    if errors or data is None:
        return form_page(web, None, values, errors, status=422)
    state = "submitted" if text(form, "action") == "submit" else "draft"
    p = service.create_practice(web.session, data, org, web.principal, state)
    return redirect(web, web.url("/portal/practices", saved=p.reference))


def _editable(web: Web, ref: str) -> BestPractice:
    enter(web, Action.SUBMIT_PRACTICE)
    p = service.get_practice(web.session, ref)
    if not service.may_edit(web.principal, p):
        raise Forbidden(web.principal, Action.SUBMIT_PRACTICE, " for this case")
    return p


@router.get("/portal/practices/{ref}/edit")
def practice_edit_form(web: WebDep, ref: str) -> Response:
    """The form to change a case that is not published yet."""
    p = _editable(web, ref)
    return form_page(web, p, _values_of(p), {})


@router.post("/portal/practices/{ref}/edit", dependencies=[CsrfDep])
def practice_edit(web: WebDep, ref: str, form: FormDep) -> Response:
    """Change a case from the form, saved as a draft or submitted for review; a case changed meanwhile is shown
    as it is now, nothing overwritten."""
    p = _editable(web, ref)
    values = _read_form(form)
    stale = web.gettext(
        "This case changed since you opened it. Nothing was overwritten: the form now shows the current case. "
        "Apply your changes again and save."
    )
    if integer(values["version"]) != p.version:
        return form_page(web, p, _values_of(p), {}, status=409, conflict=stale)
    org, errors = _organisation(web, values)
    data, more = _validated(web, values)
    errors |= more
    if errors or data is None:
        return form_page(web, p, values, errors, status=422)
    state = "submitted" if text(form, "action") == "submit" else "draft"
    if p.review_state == "published":
        state = "published"  # the secretariat's correction of a published case keeps it published
    try:
        service.update_practice(web.session, ref, p.version, data, web.principal, state, org)
    except Conflict:
        return form_page(web, p, _values_of(p), {}, status=409, conflict=stale)
    return redirect(web, web.url("/portal/practices", saved=p.reference))


# ---------------------------------------------------------------- the secretariat's review


def _summary(web: Web, p: BestPractice, names: dict[int, str]) -> dict[str, Any]:
    return {
        "reference": p.reference,
        "title": p.title,
        "organisation": names.get(p.organisation_id or 0, ""),
        "country": _country_name(web, p.country),
        "review_state": p.review_state,
        "needs_check": p.needs_check,
        "spotlight_years": list(p.spotlight_years),
        "updated_at": p.updated_at,
        "version": p.version,
    }


@router.get("/secretariat/practices")
def review_list(web: WebDep) -> Response:
    """The secretariat's view of the library: the cases waiting for review, those published (spotlight
    candidates and those still to be checked marked), the drafts and returned ones."""
    enter(web, Action.REVIEW_PRACTICE)
    queue = service.review_queue(web.session)
    published = service.published_practices(web.session)
    others = service.unpublished_practices(web.session)
    names = service.organisation_names(web.session, {p.organisation_id for p in [*queue, *published, *others]
                                                     if p.organisation_id})  # fmt: skip
    data = {
        "queue": [_summary(web, p, names) for p in queue],
        "published": [_summary(web, p, names) for p in published],
        "others": [_summary(web, p, names) for p in others],
    }
    return web.render("practices/review_list.html", data, states=review_state_names(web))


def review_page(web: Web, p: BestPractice, error: str = "", status: int = 200) -> Response:
    """One case as the secretariat reviews it: its full record (with the contact), its history, and the
    decisions it allows."""
    record = service.record_of(web.session, p)
    data = {
        **record,
        "history": [
            {"at": e.at, "actor": e.actor, "action": e.action, "action_name": action_names(web).get(e.action, e.action)}
            for e in service.history(web.session, p.reference)
        ],
        "error": error,
    }
    return web.render(
        "practices/review.html",
        data,
        case=shown(web, record),
        fields=practice_fields(web),
        current_year=dt.date.today().year,
        status=status,
    )


@router.get("/secretariat/practices/{ref}")
def review(web: WebDep, ref: str) -> Response:
    """The review page of one case."""
    enter(web, Action.REVIEW_PRACTICE)
    return review_page(web, service.get_practice(web.session, ref))


def _decide(web: Web, ref: str, form: FormData, decision: str) -> Response:
    enter(web, Action.REVIEW_PRACTICE)
    p = service.get_practice(web.session, ref)
    version = integer(text(form, "version")) or 0
    try:
        if decision == "publish":
            service.publish_practice(web.session, ref, version, web.principal)
        elif decision == "return":
            note = text(form, "note")
            if not note:
                message = web.gettext("Say what the submitter should change: they will see your note.")
                return review_page(web, p, message, 422)
            service.return_practice(web.session, ref, version, note, web.principal)
        elif decision == "check":
            service.mark_checked(web.session, ref, version, web.principal)
        else:
            year = integer(text(form, "year"))
            if year is None or not 1990 <= year <= 2100:
                message = web.gettext("Give the year of the P2C report, such as %(year)s.")
                return review_page(web, p, message % {"year": dt.date.today().year}, 422)
            service.set_spotlight(web.session, ref, version, year, text(form, "spotlight") != "remove", web.principal)
    except Conflict:
        message = web.gettext(
            "This case changed since you opened the page (it is now at version %(version)s). Nothing was changed: "
            "look at the current case and decide again."
        ) % {"version": p.version}
        return review_page(web, p, message, 409)
    except Invalid:
        return review_page(web, p, web.gettext("This decision does not apply to the case in its present state."), 422)
    return redirect(web, f"/secretariat/practices/{p.reference}")


@router.post("/secretariat/practices/{ref}/publish", dependencies=[CsrfDep])
def publish(web: WebDep, ref: str, form: FormDep) -> Response:
    """Publish a submitted case."""
    return _decide(web, ref, form, "publish")


@router.post("/secretariat/practices/{ref}/return", dependencies=[CsrfDep])
def send_back(web: WebDep, ref: str, form: FormDep) -> Response:
    """Return a case to its submitter with a note saying what to change."""
    return _decide(web, ref, form, "return")


@router.post("/secretariat/practices/{ref}/spotlight", dependencies=[CsrfDep])
def spotlight(web: WebDep, ref: str, form: FormDep) -> Response:
    """Mark a published case as a spotlight candidate for a year's P2C report, or no longer."""
    return _decide(web, ref, form, "spotlight")


@router.post("/secretariat/practices/{ref}/checked", dependencies=[CsrfDep])
def checked(web: WebDep, ref: str, form: FormDep) -> Response:
    """Record that the secretariat has checked a case shipped as "to be checked"."""
    return _decide(web, ref, form, "check")
