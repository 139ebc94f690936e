"""Progress reports and deliverables in the pledger portal, and their review by the secretariat: filing a year's
report (a deliberate choice of year), correcting a report (its year fixed), keeping a pledge's deliverables,
publishing or returning reports, and reminding a pledger by hand.

Every decision on who may do what is taken by ``observatory.auth``; every rule a report keeps is checked by
``ProgressReportIn`` (all its errors at once) and the services of ``observatory.pledges.reports``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from observatory.auth import Action, require
from observatory.errors import Conflict, Invalid, NotFound
from observatory.pledges import reports, service
from observatory.pledges.models import DELIVERABLE_STATUSES, Pledge, ProgressReport
from observatory.pledges.schemas import (
    REPORT,
    REPORT_MESSAGES,
    DeliverableIn,
    Id,
    ProgressReportIn,
    Year,
    validation_context,
)
from observatory.web.deps import CsrfDep, FormDep, WebDep
from observatory.web.forms import enter, form_errors, integer, number_text, redirect, text
from observatory.web.labels import choices, field_labels
from observatory.web.render import Web

router = APIRouter(include_in_schema=False)

# The fields of the report form (the year only when filing a new report).
REPORT_FIELDS = (
    "year", "status", "percent_complete", "usd_committed", "usd_disbursed", "people_reached", "narrative",
    "completed_on", "status_reason", "finance_note", "version",
)  # fmt: skip
NUMBERS = ("percent_complete", "usd_committed", "usd_disbursed", "people_reached")
TEXTS = ("narrative", "status_reason", "finance_note")


def report_fields(web: Web) -> dict[str, str]:
    """The names of the report form's fields, in the reader's language."""
    g = web.gettext
    return {
        **field_labels(web),
        "usd_committed": g("USD committed in the year"),
        "usd_disbursed": g("USD disbursed in the year"),
        "completed_on": g("Completed on"),
        "status_reason": g("Why the pledge was discontinued"),
        "finance_note": g("Finance note"),
        "deliverables": g("Deliverables"),
        "due_on": g("Due on"),
    }


def report_choices(web: Web) -> dict[str, dict[str, str]]:
    """The coded values of reports and deliverables, with the registry's, in the reader's language."""
    g = web.gettext
    return {
        **choices(web),
        "report_review_state": {
            "submitted": g("Waiting for the secretariat's review"),
            "published": g("Published"),
            "returned": g("Returned for correction"),
        },
        "deliverable_status": {
            "planned": g("Planned"),
            "in_progress": g("In progress"),
            "completed": g("Completed"),
            "delayed": g("Delayed"),
            "cancelled": g("Cancelled"),
        },
    }


def rule_errors(web: Web, exc: ValidationError) -> dict[str, list[str]]:
    """Validation errors by field, in words: pydantic's own, and the report's rules, in the reader's language."""
    return form_errors(web, exc, messages=REPORT_MESSAGES)


def service_errors(web: Web, exc: Invalid) -> dict[str, list[str]]:
    """An error the service raised, by field when it names one."""
    message = str(exc)
    field, _, rest = message.partition(": ")
    if field == "deliverables":
        return {"deliverables": [web.gettext("A deliverable in the form is not one of this pledge's any more.")]}
    if field in REPORT_FIELDS and rest:
        return {field: [rest]}
    return {"form": [message]}


# ---------------------------------------------------------------- the report form


def report_values(r: ProgressReport) -> dict[str, Any]:
    """A progress report as the report form shows it."""
    return {
        "year": str(r.year),
        "status": r.status,
        "percent_complete": number_text(r.percent_complete),
        "usd_committed": number_text(r.usd_committed),
        "usd_disbursed": number_text(r.usd_disbursed),
        "people_reached": number_text(r.people_reached),
        "narrative": r.narrative,
        "completed_on": r.completed_on.isoformat() if r.completed_on else "",
        "status_reason": r.status_reason,
        "finance_note": r.finance_note,
        "version": str(r.version),
        "deliverables": {str(u.deliverable_id): {"status": u.status, "note": u.note} for u in r.deliverable_updates},
    }


def empty_report(pledge: Pledge, year: int) -> dict[str, Any]:
    """A new report's form: the year chosen, the pledge's status, its deliverables as they stand."""
    values: dict[str, Any] = {k: "" for k in REPORT_FIELDS}
    values.update(year=str(year), status=pledge.status)
    values["deliverables"] = {str(d.id): {"status": d.status, "note": ""} for d in pledge.deliverables}
    return values


def read_report_form(form: FormData, pledge: Pledge) -> dict[str, Any]:
    """The report form as typed, with each deliverable's status and note."""
    values: dict[str, Any] = {k: text(form, k) for k in REPORT_FIELDS}
    values["deliverables"] = {
        str(d.id): {"status": text(form, f"deliverable-{d.id}"), "note": text(form, f"deliverable-{d.id}-note")}
        for d in pledge.deliverables
        if text(form, f"deliverable-{d.id}")
    }
    return values


def report_input(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the report's input (empty means not given)."""
    out: dict[str, Any] = {k: values[k] for k in TEXTS}
    out["year"] = values["year"] or None
    out["status"] = values["status"] or None
    out["completed_on"] = values["completed_on"] or None
    out["version"] = values["version"] or None
    for k in NUMBERS:
        out[k] = values[k] or None  # read as the reader's language writes numbers (``validation_context``)
    out["deliverables"] = [
        {"deliverable_id": int(k), "status": v["status"], "note": v["note"]} for k, v in values["deliverables"].items()
    ]
    return out


def checking(web: Web, pledge: Pledge, year: int | None) -> dict[str, Any]:
    """The validation context of the report form: numbers as the reader's language writes them, and what a
    report for ``year`` on this pledge is checked against."""
    return {**validation_context(web.language), REPORT: reports.report_context(pledge, year)}


def _reportable(web: Web, ref: str) -> Pledge:
    enter(web)
    pledge = service.get_pledge(web.session, ref)
    require(web.principal, Action.FILE_REPORT, pledge.pledger_id)
    return pledge


def report_page(
    web: Web,
    pledge: Pledge,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    report: ProgressReport | None = None,
    status: int = 200,
    conflict: str = "",
    saved: str = "",
) -> Response:
    """The progress report form of a pledge (a new report, or the correction of ``report``), with its reports,
    its deliverables and what the secretariat said of a returned report."""
    today = dt.date.today()
    data = {
        "pledge": {
            "reference": pledge.reference,
            "title": pledge.title,
            "review_state": pledge.review_state,
            "reporting_health": service.reporting_health(pledge, today),
            "year_due": reports.report_year_due(pledge, today),
            "first_year": reports.first_year(pledge),
        },
        "report": None if report is None else reports.report_dict(report),
        "reports": [reports.report_dict(r) for r in pledge.reports],
        "deliverables": [reports.deliverable_dict(d, today) for d in pledge.deliverables],
        "values": values,
        "errors": errors,
        "conflict": conflict,
        "saved": saved,
        "current_year": today.year,
    }
    return web.render(
        "pledges/portal/report_form.html",
        data,
        status=status,
        labels=report_choices(web),
        fields=report_fields(web),
        can_manage=web.can(Action.MANAGE_DELIVERABLES, pledge.pledger_id),
        deliverable_statuses=DELIVERABLE_STATUSES,
    )


@router.get("/portal/pledges/{ref}/report")
def report_form(web: WebDep, ref: str, year: Year | None = None, saved: str = "") -> Response:
    """The form for a new report for ``year`` (the year due unless asked); a year that has its report opens
    that report's correction instead."""
    pledge = _reportable(web, ref)
    year = year or reports.report_year_due(pledge, dt.date.today())
    existing = next((r for r in pledge.reports if r.year == year), None)
    if existing is not None:
        return redirect(web, f"/portal/pledges/{ref}/reports/{year}")
    return report_page(web, pledge, empty_report(pledge, year), {}, saved=saved)


@router.post("/portal/pledges/{ref}/report", dependencies=[CsrfDep])
def report_file(web: WebDep, ref: str, form: FormDep) -> Response:
    """File a new year's progress report from the form; it waits for the secretariat's review."""
    pledge = _reportable(web, ref)
    values = read_report_form(form, pledge)
    values["version"] = ""
    year = integer(values["year"])
    existing = next((r for r in pledge.reports if r.year == year), None)
    if existing is not None:
        message = web.gettext(
            "The %(year)s report was filed already: nothing was saved. Correct that report instead."
        ) % {"year": year}
        return report_page(web, pledge, values, {"year": [message]}, status=409)
    try:
        data = ProgressReportIn.model_validate(report_input(values), context=checking(web, pledge, year))
    except ValidationError as exc:
        return report_page(web, pledge, values, rule_errors(web, exc), status=422)
    try:
        reports.file_report(web.session, ref, data, web.principal.name)
    except Conflict:
        message = web.gettext("The %(year)s report was filed meanwhile: nothing was saved. Correct that report.")
        return report_page(web, pledge, values, {"year": [message % {"year": year}]}, status=409)
    except Invalid as exc:
        if pledge.review_state != "published":
            message = web.gettext("Progress reports are filed on published pledges only.")
            return report_page(web, pledge, values, {"form": [message]}, status=422)
        return report_page(web, pledge, values, service_errors(web, exc), status=422)
    return redirect(web, web.url("/portal", saved=ref))


def _existing(web: Web, ref: str, year: int) -> tuple[Pledge, ProgressReport]:
    pledge = _reportable(web, ref)
    report = next((r for r in pledge.reports if r.year == year), None)
    if report is None:
        raise NotFound(f"no {year} report on {ref}")
    return pledge, report


@router.get("/portal/pledges/{ref}/reports/{year}")
def report_correction_form(web: WebDep, ref: str, year: Annotated[Year, Path()]) -> Response:
    """The form to correct a year's report (its year is fixed)."""
    pledge, report = _existing(web, ref, year)
    return report_page(web, pledge, report_values(report), {}, report=report)


@router.post("/portal/pledges/{ref}/reports/{year}", dependencies=[CsrfDep])
def report_correct(web: WebDep, ref: str, year: Annotated[Year, Path()], form: FormDep) -> Response:
    """Correct a year's report from the form; it is submitted for review again. A report changed meanwhile is
    shown as it is now, nothing overwritten."""
    pledge, report = _existing(web, ref, year)
    values = read_report_form(form, pledge)
    values["year"] = str(year)  # fixed: a year typed in the request is ignored
    stale = web.gettext(
        "This report changed since you opened it. Nothing was overwritten: the form now shows the current "
        "report. Apply your corrections again and save."
    )
    if integer(values["version"]) != report.version:
        return report_page(web, pledge, report_values(report), {}, report=report, status=409, conflict=stale)
    try:
        data = ProgressReportIn.model_validate(report_input(values), context=checking(web, pledge, year))
    except ValidationError as exc:
        return report_page(web, pledge, values, rule_errors(web, exc), report=report, status=422)
    try:
        reports.correct_report(web.session, ref, year, data, web.principal.name)
    except Conflict:
        return report_page(web, pledge, report_values(report), {}, report=report, status=409, conflict=stale)
    except Invalid as exc:
        return report_page(web, pledge, values, service_errors(web, exc), report=report, status=422)
    return redirect(web, web.url("/portal", saved=ref))


# ---------------------------------------------------------------- deliverables


def _deliverables_of(web: Web, ref: str) -> Pledge:
    enter(web)
    pledge = service.get_pledge(web.session, ref)
    require(web.principal, Action.MANAGE_DELIVERABLES, pledge.pledger_id)
    return pledge


def _back(web: Web, pledge: Pledge, saved: str) -> Response:
    return redirect(web, web.url(f"/portal/pledges/{pledge.reference}/report", saved=saved) + "#deliverables")


def _deliverable_input(form: FormData) -> dict[str, Any]:
    return {
        "title": text(form, "title"),
        "due_on": text(form, "due_on") or None,
        "status": text(form, "status") or "planned",
        "version": text(form, "version") or None,
    }


def _deliverable_error(web: Web, pledge: Pledge, errors: dict[str, list[str]], status: int) -> Response:
    values = empty_report(pledge, reports.report_year_due(pledge, dt.date.today()))
    named = {("deliverable_" + k if k != "form" else k): v for k, v in errors.items()}
    return report_page(web, pledge, values, named, status=status)


@router.post("/portal/pledges/{ref}/deliverables", dependencies=[CsrfDep])
def deliverable_add(web: WebDep, ref: str, form: FormDep) -> Response:
    """Add a deliverable (title, due date, status) to a pledge."""
    pledge = _deliverables_of(web, ref)
    try:
        data = DeliverableIn.model_validate({**_deliverable_input(form), "version": None})
    except ValidationError as exc:
        return _deliverable_error(web, pledge, form_errors(web, exc), 422)
    reports.add_deliverable(web.session, ref, data, web.principal.name)
    return _back(web, pledge, "deliverable")


@router.post("/portal/pledges/{ref}/deliverables/{deliverable_id}", dependencies=[CsrfDep])
def deliverable_edit(web: WebDep, ref: str, deliverable_id: Annotated[Id, Path()], form: FormDep) -> Response:
    """Change a deliverable's title, due date or status."""
    pledge = _deliverables_of(web, ref)
    try:
        data = DeliverableIn.model_validate(_deliverable_input(form))
        reports.update_deliverable(web.session, ref, deliverable_id, data, web.principal.name)
    except ValidationError as exc:
        return _deliverable_error(web, pledge, form_errors(web, exc), 422)
    except Conflict:
        stale = web.gettext("This deliverable changed since you opened the page; nothing was saved. Check it again.")
        return _deliverable_error(web, pledge, {"form": [stale]}, 409)
    return _back(web, pledge, "deliverable")


@router.post("/portal/pledges/{ref}/deliverables/{deliverable_id}/remove", dependencies=[CsrfDep])
def deliverable_remove(web: WebDep, ref: str, deliverable_id: Annotated[Id, Path()], form: FormDep) -> Response:
    """Remove a deliverable from a pledge."""
    pledge = _deliverables_of(web, ref)
    try:
        version = integer(text(form, "version")) or 0
        reports.remove_deliverable(web.session, ref, deliverable_id, version, web.principal.name)
    except Conflict:
        stale = web.gettext("This deliverable changed since you opened the page; nothing was saved. Check it again.")
        return _deliverable_error(web, pledge, {"form": [stale]}, 409)
    return _back(web, pledge, "deliverable-removed")


# ---------------------------------------------------------------- the secretariat's review


def review_section(web: Web, pledge: Pledge) -> dict[str, Any]:
    """What the secretariat's review page of a pledge shows of its reports and reminders."""
    return {
        "reports": [reports.report_dict(r) for r in pledge.reports],
        "reminders": [
            {
                "sent_at": r.sent_at,
                "kind": r.kind,
                "report_year": r.report_year,
                "sent_to": r.sent_to,
                "sent_by": r.sent_by,
            }
            for r in reports.reminders_of(web.session, [pledge.id])
        ],
        "report_flag": reports.report_flag(pledge, dt.date.today()),
        "can_review_reports": web.can(Action.REVIEW_REPORT),
    }


def report_queue(web: Web, limit: int) -> list[dict[str, Any]]:
    """The reports waiting for review, as the secretariat's home lists them."""
    return [
        {
            "reference": r.pledge.reference,
            "title": r.pledge.title,
            "organisation": r.pledge.pledger.name,
            "year": r.year,
            "filed_on": r.filed_on,
        }
        for r in reports.review_queue(web.session, limit)
    ]


def _reviewed(web: Web, ref: str, message: str = "", status: int = 200) -> Response:
    """Back to the pledge's review page; with an error, that page shown with it."""
    if not message:
        return redirect(web, f"/secretariat/pledges/{ref}#reports")
    from observatory.pledges.pages.secretariat import review_page  # the page this section belongs to

    return review_page(web, service.get_pledge(web.session, ref), error=message, status=status)


def _decide(web: Web, ref: str, year: int, form: FormData, publish: bool) -> Response:
    enter(web, Action.REVIEW_REPORT)
    report = reports.get_report(web.session, ref, year)
    version = integer(text(form, "version")) or 0
    note = text(form, "note")
    if not publish and not note:
        message = web.gettext("Say what the pledger should correct in the %(year)s report: they will see your note.")
        return _reviewed(web, ref, message % {"year": year}, 422)
    try:
        if publish:
            reports.publish_report(web.session, ref, year, version, web.principal.name)
        else:
            reports.return_report(web.session, ref, year, version, note, web.principal.name)
    except Conflict:
        message = web.gettext(
            "The %(year)s report changed since you opened the page (it is now at version %(version)s). Nothing was "
            "changed: look at the current report and decide again."
        ) % {"year": year, "version": report.version}
        return _reviewed(web, ref, message, 409)
    except Invalid:
        message = web.gettext("This decision does not apply to the %(year)s report in its present state.")
        return _reviewed(web, ref, message % {"year": year}, 422)
    return _reviewed(web, ref)


@router.post("/secretariat/pledges/{ref}/reports/{year}/publish", dependencies=[CsrfDep])
def report_publish(web: WebDep, ref: str, year: Annotated[Year, Path()], form: FormDep) -> Response:
    """Publish a submitted report: it becomes public and counts in the figures."""
    return _decide(web, ref, year, form, publish=True)


@router.post("/secretariat/pledges/{ref}/reports/{year}/return", dependencies=[CsrfDep])
def report_return(web: WebDep, ref: str, year: Annotated[Year, Path()], form: FormDep) -> Response:
    """Send a report back to its pledger with a note saying what to correct."""
    return _decide(web, ref, year, form, publish=False)


@router.post("/secretariat/pledges/{ref}/remind", dependencies=[CsrfDep])
def remind(web: WebDep, ref: str) -> Response:
    """Mail the pledger a reminder now, recorded with the secretariat member's name."""
    enter(web, Action.REVIEW_REPORT)
    settings = web.request.app.state.settings
    try:
        reports.remind_by_hand(web.session, ref, settings, web.principal.name)
    except Invalid:
        message = web.gettext(
            "Nobody could be reminded: the pledge is not published, or its organisation has no pledger account. "
            "Invite one from the organisations page."
        )
        return _reviewed(web, ref, message, 422)
    return redirect(web, f"/secretariat/pledges/{ref}#reminders")
