"""The pages of activities, with their JSON twins: the public registry (``/activities``, one activity at
``/activities/{ref}``) and the secretariat's workspace (``/secretariat/activities``: list with filters, new,
edit, mark checked, withdraw with a reason, history, upload and download as CSV or XLSX). Templates are in
``activities/templates/activities``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from babel.dates import format_date
from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from observatory import reference
from observatory.activities import files, service
from observatory.activities.models import COLLABORATIONS, ITU_ORGANISATIONS, KINDS, ORGANISATIONS, TOPICS
from observatory.audit import AuditEntry
from observatory.auth import Action
from observatory.errors import Conflict, Invalid
from observatory.i18n import N_
from observatory.web.deps import CsrfDep, FormDep, WebDep
from observatory.web.forms import enter, integer, many, redirect, text
from observatory.web.render import Web, add_templates

add_templates(Path(__file__).parent / "templates")

router = APIRouter(include_in_schema=False)

MAX_UPLOAD = 10 * 1024 * 1024
ACTIONS = {
    "create": N_("Registered"),
    "import": N_("Imported"),
    "update": N_("Changed"),
    "check": N_("Marked as checked"),
    "uncheck": N_("Marked as to be checked"),
    "withdraw": N_("Withdrawn"),
}


# ---------------------------------------------------------------- shared pieces


def _years(web: Web) -> list[int]:
    out = []
    for v in web.request.query_params.getlist("year"):
        n = integer(v.strip())
        if n is not None and 1960 <= n <= 2100:
            out.append(n)
    return out


def _chosen(web: Web, name: str, codes: tuple[str, ...]) -> list[str]:
    return [v for v in web.request.query_params.getlist(name) if v in codes]


def request_filter(web: Web) -> service.ActivityFilter:
    """The selection the URL's query parameters describe (the API's parameter names)."""
    checked = web.request.query_params.get("checked")
    return service.ActivityFilter(
        organisation=_chosen(web, "organisation", ORGANISATIONS),
        topic=_chosen(web, "topic", TOPICS),
        kind=_chosen(web, "kind", KINDS),
        collaboration=_chosen(web, "collaboration", COLLABORATIONS),
        year=_years(web),
        q=web.request.query_params.get("q", "")[:200],
        checked={"yes": True, "no": False}.get(checked or ""),
    )


def _controls(web: Web, f: service.ActivityFilter) -> list[dict[str, Any]]:
    names = service.choices(web.language)
    fields = service.field_names(web.language)
    this_year = dt.date.today().year
    years = [(str(y), str(y)) for y in range(this_year + 1, 1987, -1)]
    return [
        {"name": "organisation", "label": fields["organisation"], "options": list(names["organisation"].items()),
         "chosen": f.organisation},
        {"name": "topic", "label": fields["topic"], "options": list(names["topic"].items()), "chosen": f.topic},
        {"name": "kind", "label": fields["kind"], "options": list(names["kind"].items()), "chosen": f.kind},
        {"name": "year", "label": web.gettext("Year"), "options": years, "chosen": [str(y) for y in f.year]},
        {"name": "collaboration", "label": fields["collaboration"], "options": list(names["collaboration"].items()),
         "chosen": f.collaboration},
    ]  # fmt: skip


def _period(web: Web, r: service.ActivityRecord) -> str:
    start = _when(web, r.starts)
    if r.ends:
        return web.gettext("%(start)s to %(end)s") % {"start": start, "end": _when(web, r.ends)}
    if r.last_year is None:
        return web.gettext("since %(start)s") % {"start": start}
    return start


def _when(web: Web, partial: str) -> str:
    """A date as the source gives it, in the reader's language (a year alone stays a year)."""
    if len(partial) == 10:
        return web.fmt.date(dt.date.fromisoformat(partial))
    if len(partial) == 7:
        return format_date(dt.date.fromisoformat(partial + "-01"), format="MMMM y", locale=web.fmt.locale)
    return partial


def _view(web: Web, r: service.ActivityRecord) -> dict[str, Any]:
    """What a page shows of an activity: names in the reader's language, the period in words."""
    return {**service.public_activity(r, web.language), "period": _period(web, r)}


def _csv(web: Web, records: list[service.ActivityRecord], name: str) -> Response:
    response = Response(
        files.csv_text(records),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
    web.set_cookies(response)
    return response


# ---------------------------------------------------------------- public pages


@router.get("/activities")
def activities(web: WebDep) -> Response:
    """The registry of activities on IP-based networks, with filters; as JSON or CSV too."""
    f = request_filter(web)
    f.checked = None
    records = service.list_activities(web.session, f)
    if web.request.query_params.get("format") == "csv":
        return _csv(web, records, "activities.csv")
    language = web.language
    roles = [
        {"code": o.code, "name": service.label("organisation", o.code, language), "role": o.role_in(language),
         "source_url": o.source_url, "group": o.group}
        for o in service.organisations()
        if not f.organisation or o.code in f.organisation
    ]  # fmt: skip
    data = {
        "total": len(records),
        "filter": f.applied(),
        "items": [service.public_activity(r, language) for r in records],
        "organisations": roles,
        "summary": service.summary(records),
    }
    return web.render(
        "activities/list.html",
        data,
        rows=[_view(web, r) for r in records],
        controls=_controls(web, f),
        filtered=bool(f.applied()),
        collaboration_names=service.choices(language)["collaboration"],
        topic_names=service.choices(language)["topic"],
    )


@router.get("/activities/{ref}")
def activity_page(ref: str, web: WebDep) -> Response:
    """One activity: what, who, when, where, its degree of collaboration with ITU, its source."""
    record = service.public_record(web.session, ref)
    org = service.organisation_role(record.organisation)
    data = {
        **service.public_activity(record, web.language),
        "organisation_role": org.role_in(web.language),
        "organisation_source": org.source_url,
    }
    return web.render("activities/activity.html", data, a=_view(web, record), fields=service.field_names(web.language))


# ---------------------------------------------------------------- the secretariat's workspace


def _secretariat_list(web: Web, message: str = "", errors: list[dict[str, Any]] | None = None,
                      status: int = 200) -> Response:  # fmt: skip
    f = request_filter(web)
    f.withdrawn = web.request.query_params.get("withdrawn") == "1"
    records = service.list_activities(web.session, f)
    if web.request.query_params.get("format") == "csv":
        return _csv(web, records, "activities.csv")
    data = {
        "total": len(records),
        "unchecked": service.count_unchecked(web.session),
        "filter": f.applied(),
        "items": [service.public_activity(r, web.language) for r in records],
        "message": message,
        "errors": errors or [],
    }
    return web.render(
        "activities/secretariat/index.html",
        data,
        status=status,
        rows=[_view(web, r) for r in records],
        controls=_controls(web, f),
        checked=web.request.query_params.get("checked", ""),
        withdrawn=f.withdrawn,
        filtered=bool(f.applied()),
    )


@router.get("/secretariat/activities")
def secretariat_activities(web: WebDep) -> Response:
    """The secretariat's list of activities, with filters (checked or not, withdrawn), upload and download."""
    enter(web, Action.MANAGE_ACTIVITIES)
    return _secretariat_list(web)


@router.get("/secretariat/activities/export.csv")
def export_csv(web: WebDep) -> Response:
    """Every activity (not withdrawn) in the import format, as CSV."""
    enter(web, Action.MANAGE_ACTIVITIES)
    return _csv(web, service.list_activities(web.session), "activities.csv")


@router.get("/secretariat/activities/export.xlsx")
def export_xlsx(web: WebDep) -> Response:
    """Every activity (not withdrawn) in the import format, as an XLSX workbook."""
    enter(web, Action.MANAGE_ACTIVITIES)
    response = Response(
        files.xlsx_bytes(service.list_activities(web.session)),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"content-disposition": 'attachment; filename="activities.xlsx"'},
    )
    web.set_cookies(response)
    return response


@router.post("/secretariat/activities/import", dependencies=[CsrfDep])
async def import_activities(web: WebDep, form: FormDep) -> Response:
    """Import a CSV, XLSX or ODS file of activities, all or nothing."""
    enter(web, Action.MANAGE_ACTIVITIES)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        message = web.gettext("Choose a CSV, XLSX or ODS file to upload.")
        return _secretariat_list(web, errors=[{"row": "", "column": "", "reason": message}], status=422)
    content = await upload.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        message = web.gettext("The file is too large (at most 10 MB).")
        return _secretariat_list(web, errors=[{"row": "", "column": "", "reason": message}], status=422)
    try:
        result = files.import_file(web.session, content, upload.filename, web.principal.name, web.language)
    except files.ImportRejected as exc:
        errors = [{"row": e.row, "column": e.column, "reason": e.reason} for e in exc.errors]
        return _secretariat_list(web, errors=errors, status=422)
    message = web.gettext("Imported: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.") % {
        "created": len(result.created),
        "updated": len(result.updated),
        "unchanged": result.unchanged,
    }
    return _secretariat_list(web, message=message)


def _form_values(form: FormData) -> dict[str, Any]:
    """What the activity form holds, as :class:`ActivityIn` takes it."""
    regions = many(form, "regions")
    countries = [c for c in text(form, "countries").replace(",", ";").split(";") if c.strip()]
    return {
        "organisation": text(form, "organisation"),
        "title": text(form, "title"),
        "description": text(form, "description"),
        "topic": text(form, "topic"),
        "kind": text(form, "kind"),
        "starts": text(form, "starts"),
        "ends": text(form, "ends"),
        "areas": [*regions, *countries],
        "collaboration": text(form, "collaboration"),
        "evidence": text(form, "evidence"),
        "source_url": text(form, "source_url"),
        "checked": text(form, "checked") == "1",
    }


def _shown_values(values: dict[str, Any]) -> dict[str, Any]:
    areas = list(values.get("areas") or [])
    regions = [a for a in areas if a == "global" or a in reference.ITU_REGIONS]
    return {**values, "regions": regions, "countries": "; ".join(a for a in areas if a not in regions)}


def _history(web: Web, entries: list[AuditEntry]) -> list[dict[str, Any]]:
    names = service.field_names(web.language)
    coded = {"organisation", "topic", "kind", "collaboration"}

    def shown(k: str, v: Any) -> str:
        if v in (None, "", []):
            return "–"
        if k in coded:
            return service.label(k, str(v), web.language)
        if k == "areas":
            return ", ".join(service.label("area", a, web.language) for a in v)
        if isinstance(v, bool):
            return web.gettext("yes") if v else web.gettext("no")
        text_value = str(v)
        return text_value if len(text_value) <= 160 else text_value[:159] + "…"

    out = []
    for e in entries:
        before, after = e.before or {}, e.after or {}
        changed = [k for k in after if k != "version" and before and before.get(k) != after.get(k)]
        out.append({
            "when": web.fmt.date(e.at.date()),
            "who": e.actor,
            "what": web.gettext(ACTIONS.get(e.action, e.action)),
            "version": after.get("version"),
            "changes": [{"field": names.get(k, k), "before": shown(k, before.get(k)), "after": shown(k, after.get(k))}
                        for k in changed],
        })  # fmt: skip
    return out


def _form_page(
    web: Web,
    activity: service.ActivityRecord | None,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    history = _history(web, service.history(web.session, activity.ref)) if activity else []
    data = {
        "activity": service.public_activity(activity, web.language) if activity else None,
        "values": values,
        "errors": errors or {},
        "message": message,
        "history": history,
    }
    regions = [("global", web.gettext("Global"))] + [
        (code, service.label("area", code, web.language)) for code in reference.ITU_REGIONS
    ]
    return web.render(
        "activities/secretariat/form.html",
        data,
        status=status,
        shown=_shown_values(values),
        names=service.choices(web.language),
        fields=service.field_names(web.language),
        itu=ITU_ORGANISATIONS,
        regions=regions,
    )


@router.get("/secretariat/activities/new")
def new_form(web: WebDep) -> Response:
    """The form of a new activity."""
    enter(web, Action.MANAGE_ACTIVITIES)
    return _form_page(web, None, {"areas": ["global"], "collaboration": "", "checked": True})


@router.post("/secretariat/activities/new", dependencies=[CsrfDep])
def create(web: WebDep, form: FormDep) -> Response:
    """Register an activity from the form; nothing is saved while a field is wrong."""
    enter(web, Action.MANAGE_ACTIVITIES)
    values = _form_values(form)
    try:
        data = service.activity_input(values, web.language)
    except service.ActivityInvalid as exc:
        return _form_page(web, None, values, exc.errors, status=422)
    activity = service.create_activity(web.session, data, web.principal.name)
    return redirect(web, f"/secretariat/activities/{activity.ref}")


def _record(web: Web, ref: str) -> service.ActivityRecord:
    return service.record_of(service.activity_dict(service.get_activity(web.session, ref)))


@router.get("/secretariat/activities/{ref}")
def edit_form(web: WebDep, ref: str) -> Response:
    """One activity in the workspace: its form, the checks and withdrawal, and its history."""
    enter(web, Action.MANAGE_ACTIVITIES)
    record = _record(web, ref)
    return _form_page(web, record, service.editable(service.get_activity(web.session, ref)))


def _conflict(web: Web, record: service.ActivityRecord, values: dict[str, Any]) -> Response:
    message = web.gettext(
        "This activity changed since you opened it (it is now at version %(version)s). Nothing was saved: the "
        "form shows what you entered; compare it with the history and save again."
    ) % {"version": record.version}
    return _form_page(web, record, values, message=message, status=409)


@router.post("/secretariat/activities/{ref}", dependencies=[CsrfDep])
def save(web: WebDep, ref: str, form: FormDep) -> Response:
    """Save the changes of an activity, if nobody changed it meanwhile."""
    enter(web, Action.MANAGE_ACTIVITIES)
    record = _record(web, ref)
    values = _form_values(form)
    try:
        data = service.activity_input(values, web.language)
        service.update_activity(web.session, ref, integer(text(form, "version")) or 0, data, web.principal.name)
    except service.ActivityInvalid as exc:
        return _form_page(web, record, values, exc.errors, status=422)
    except Conflict:
        return _conflict(web, record, values)
    except Invalid:
        message = web.gettext("This activity is withdrawn: it can no longer be changed.")
        return _form_page(web, record, values, message=message, status=422)
    return redirect(web, f"/secretariat/activities/{record.ref}")


@router.post("/secretariat/activities/{ref}/check", dependencies=[CsrfDep])
def check(web: WebDep, ref: str, form: FormDep) -> Response:
    """Mark an activity as checked against its source (or, ``checked=0``, as to be checked again)."""
    enter(web, Action.MANAGE_ACTIVITIES)
    record = _record(web, ref)
    version = integer(text(form, "version")) or 0
    try:
        service.mark_checked(web.session, ref, version, web.principal.name, text(form, "checked") != "0")
    except Conflict:
        return _conflict(web, record, service.editable(service.get_activity(web.session, ref)))
    return redirect(web, f"/secretariat/activities/{record.ref}")


@router.post("/secretariat/activities/{ref}/withdraw", dependencies=[CsrfDep])
def withdraw(web: WebDep, ref: str, form: FormDep) -> Response:
    """Withdraw an activity, saying why: it leaves the public pages and the counts, its history stays."""
    enter(web, Action.MANAGE_ACTIVITIES)
    record = _record(web, ref)
    values = service.editable(service.get_activity(web.session, ref))
    reason = text(form, "reason")
    if not reason:
        errors = {"withdrawn_reason": [web.gettext("Say why the activity is withdrawn.")]}
        return _form_page(web, record, values, errors, status=422)
    try:
        service.withdraw_activity(web.session, ref, integer(text(form, "version")) or 0, reason, web.principal.name)
    except Conflict:
        return _conflict(web, record, values)
    except Invalid:
        message = web.gettext("This activity is already withdrawn.")
        return _form_page(web, record, values, message=message, status=422)
    return redirect(web, "/secretariat/activities")
