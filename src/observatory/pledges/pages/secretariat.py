"""The secretariat's workspace: the review queue, reviewing a pledge (differences between its versions,
its history, publish / reject / ask for changes), spreadsheet import with a preview and exports. The
organisations' pages are in ``organisations``."""

from __future__ import annotations

import csv
import difflib
import itertools
import json
import math
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.datastructures import UploadFile

from observatory.audit import AuditEntry
from observatory.auth import ANONYMOUS, Action
from observatory.db import transaction
from observatory.errors import Conflict, Invalid, NotFound
from observatory.pledges import reports as reports_service
from observatory.pledges import service
from observatory.pledges.csvio import ImportRejected, ImportResult, check_file, csv_chunks, import_file
from observatory.pledges.models import REVIEW_STATES, Pledge
from observatory.pledges.pages import reports as report_pages
from observatory.pledges.query import PledgeFilter, iter_pledges, list_pledges
from observatory.pledges.schemas import Version
from observatory.web.deps import CsrfDep, FormDep, WebDep, reads_only
from observatory.web.forms import enter, integer, redirect, text
from observatory.web.labels import choices, field_labels, label
from observatory.web.render import Web, finite

if TYPE_CHECKING:
    from sqlalchemy import Engine

router = APIRouter(prefix="/secretariat", include_in_schema=False)

QUEUE_LIMIT = 200
OVERDUE_LIMIT = 50
ORGANISATIONS_PER_PAGE = 100
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
IMPORT_STATES = ("published", "submitted", "draft")
# Texts compared word by word; other values are compared whole.
WORDED = frozenset({"title", "description", "event", "review_note", "pledger"})
# The fields a reviewer compares between two versions of a pledge, in the order shown.
DIFF_FIELDS = (
    "title", "pledger", "description", "pledge_type", "focus_areas", "pillars", "target_countries", "value",
    "currency", "value_usd", "start_year", "end_year", "announced_on", "event", "status", "sdgs",
    "beneficiary_groups", "partners", "source_url", "review_state", "review_note",
)  # fmt: skip


# ---------------------------------------------------------------- the review queue


def _brief(p: Pledge) -> dict[str, Any]:
    return {
        "reference": p.reference,
        "title": p.title,
        "organisation": p.pledger.name,
        "review_state": p.review_state,
        "updated_at": p.updated_at,
        "reporting_health": service.reporting_health(p),
        "last_report_on": max((r.filed_on for r in p.reports), default=None),
    }


@router.get("")
def workspace(web: WebDep) -> Response:
    """The secretariat's home: pledges by review state, the review queue and overdue reports."""
    enter(web, Action.REVIEW_PLEDGE)
    counts = {state: 0 for state in REVIEW_STATES} | service.count_by_review_state(web.session)
    queue = service.review_queue(web.session, QUEUE_LIMIT)
    overdue = list_pledges(
        web.session, PledgeFilter(health=["amber", "red"]), sort="announced_on", per_page=OVERDUE_LIMIT
    )
    data = {
        "counts": {**counts, "overdue_reports": overdue.total},
        "queue": [_brief(p) for p in queue],
        "report_queue": report_pages.report_queue(web, QUEUE_LIMIT),
        "overdue": [_brief(p) for p in overdue.items],
    }
    return web.render("pledges/secretariat/index.html", data, labels=choices(web))


# ---------------------------------------------------------------- reviewing one pledge


def _words(old: str, new: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Two texts word by word: what the old one loses (``del``) and the new one gains (``ins``)."""
    a, b = old.split(), new.split()
    left: list[tuple[str, str]] = []
    right: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(("same", " ".join(a[i1:i2])))
            right.append(("same", " ".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(("del", " ".join(a[i1:i2])))
        if j2 > j1:
            right.append(("ins", " ".join(b[j1:j2])))
    return left, right


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _field_value(record: dict[str, Any], name: str) -> Any:
    value = record.get(name)
    if name == "pledger" and isinstance(value, dict):
        return value.get("name")
    return value


Show = Callable[[str, Any], str]


def compare(old: dict[str, Any], new: dict[str, Any], show: Show | None = None) -> list[dict[str, Any]]:
    """For each field that differs between two versions: both values, and the parts each side changed
    (``show`` writes a value of a field for people)."""

    def shown(name: str, value: Any) -> str:
        return show(name, value) if show else _shown(value)

    out = []
    for name in DIFF_FIELDS:
        before, after = _field_value(old, name), _field_value(new, name)
        if before == after or (not before and not after):
            continue
        if isinstance(before, list) or isinstance(after, list):
            left = [("same" if x in (after or []) else "del", shown(name, x)) for x in before or []]
            right = [("same" if x in (before or []) else "ins", shown(name, x)) for x in after or []]
        elif name in WORDED and isinstance(before, str) and isinstance(after, str) and before and after:
            left, right = _words(before, after)
        else:
            left = [("del", shown(name, before))] if before not in (None, "") else []
            right = [("ins", shown(name, after))] if after not in (None, "") else []
        out.append({"field": name, "before": before, "after": after, "old": left, "new": right})
    return out


def shower(web: Web) -> Show:
    """How the review page writes a field's value: names for codes, in the reader's language."""
    coded = choices(web)
    by = {"target_countries": "country", "focus_areas": "focus_area", "pillars": "pillar"}

    def show(name: str, value: Any) -> str:
        if name in by and isinstance(value, str):
            return label(web, by[name], value)
        if name in coded and isinstance(value, str):
            return coded[name].get(value, value)
        return _shown(value)

    return show


def versions_of(entries: list[AuditEntry]) -> dict[int, dict[str, Any]]:
    """Each recorded version of the pledge (from its audit entries), by version number."""
    out: dict[int, dict[str, Any]] = {}
    for e in entries:
        if e.entity != "pledge" or not e.after:
            continue
        number = e.after.get("version") or (max(out) + 1 if out else 1)
        out[int(number)] = {"record": e.after, "at": e.at, "actor": e.actor, "action": e.action}
    return out


def without_usd(pledge: Pledge) -> dict[str, Any] | None:
    """Why a pledge with a value has no USD value (the currency and the year with no rate), for the reviewer:
    it will count as a pledge but in no USD total; None when it has a USD value or no value."""
    if pledge.value_amount is None or pledge.value_usd is not None:
        return None
    year = pledge.announced_on.year if pledge.announced_on else pledge.start_year
    return {"currency": pledge.currency, "year": year}


def review_page(
    web: Web, pledge: Pledge, *, old: int | None = None, new: int | None = None, error: str = "", status: int = 200
) -> Response:
    """A pledge under review: its record, the differences between two of its versions (the last two unless asked), its
    history and the decisions open to it."""
    entries = service.history(web.session, pledge.reference)
    versions = versions_of(entries)
    numbers = sorted(versions)
    new = new if new in versions else (numbers[-1] if numbers else None)
    earlier = [n for n in numbers if new is not None and n < new]
    old = old if old in versions and old != new else (earlier[-1] if earlier else None)
    show = shower(web)
    diff: list[dict[str, Any]] = []
    if old is not None and new is not None:
        diff = compare(versions[old]["record"], versions[new]["record"], show)
    history = []
    for e in entries:
        before, after = e.before or {}, e.after or {}
        if not before:
            changed = []
        elif e.entity == "pledge":
            changed = [d["field"] for d in compare(before, after)]
        else:
            changed = [k for k in after if k != "version" and before.get(k) != after[k]]
        history.append(
            {"at": e.at, "actor": e.actor, "action": e.action, "entity": e.entity, "key": e.entity_key,
             "version": (e.after or {}).get("version"), "changed": changed}
        )  # fmt: skip
    data = {
        "pledge": {**service.pledge_dict(pledge), "reporting_health": service.reporting_health(pledge)},
        **report_pages.review_section(web, pledge),
        "versions": [
            {"version": n, "at": versions[n]["at"], "actor": versions[n]["actor"], "action": versions[n]["action"]}
            for n in numbers
        ],
        "diff": {"from": old, "to": new, "fields": diff},
        "history": history,
        "error": error,
        "without_usd": without_usd(pledge),
    }
    return web.render(
        "pledges/secretariat/review.html",
        data,
        status=status,
        labels=choices(web),
        fields=field_labels(web),
        country_name=lambda code: label(web, "country", code),
        focus_name=lambda code: label(web, "focus_area", code),
        pillar_name=lambda code: label(web, "pillar", code),
        transitions=service.REVIEW_TRANSITIONS[pledge.review_state],
        report_labels=report_pages.report_choices(web),
        report_fields=report_pages.report_fields(web),
    )


@router.get("/pledges/{ref}")
def review(
    web: WebDep,
    ref: str,
    old: Annotated[Version | None, Query(alias="from")] = None,
    new: Annotated[Version | None, Query(alias="to")] = None,
) -> Response:
    """Review a pledge; ``from`` and ``to`` choose the versions compared."""
    enter(web, Action.REVIEW_PLEDGE)
    return review_page(web, service.get_pledge(web.session, ref), old=old, new=new)


def _decide(web: Web, ref: str, version_text: str, state: str, note: str, note_needed: str = "") -> Response:
    enter(web, Action.REVIEW_PLEDGE)
    pledge = service.get_pledge(web.session, ref)
    if note_needed and not note:
        return review_page(web, pledge, error=note_needed, status=422)
    version = integer(version_text)
    try:
        service.update_pledge(
            web.session, ref, version or 0, {"review_state": state, "review_note": note}, web.principal.name
        )
    except Conflict:
        message = web.gettext(
            "This pledge changed since you opened it (it is now at version %(version)s). Nothing was changed: "
            "look at the current version and decide again."
        ) % {"version": pledge.version}
        return review_page(web, pledge, error=message, status=409)
    except Invalid:
        message = web.gettext("This decision does not apply to a pledge in the state “%(state)s”.") % {
            "state": choices(web)["review_state"].get(pledge.review_state, pledge.review_state)
        }
        return review_page(web, pledge, error=message, status=422)
    return redirect(web, f"/secretariat/pledges/{ref}")


@router.post("/pledges/{ref}/publish", dependencies=[CsrfDep])
def publish(web: WebDep, ref: str, form: FormDep) -> Response:
    """Publish a pledge."""
    return _decide(web, ref, text(form, "version"), "published", "")


@router.post("/pledges/{ref}/reject", dependencies=[CsrfDep])
def reject(web: WebDep, ref: str, form: FormDep) -> Response:
    """Reject a pledge, saying why."""
    needed = web.gettext("Give the reason for rejecting the pledge: the pledger will see it.")
    return _decide(web, ref, text(form, "version"), "rejected", text(form, "note"), needed)


@router.post("/pledges/{ref}/changes", dependencies=[CsrfDep])
def ask_for_changes(web: WebDep, ref: str, form: FormDep) -> Response:
    """Send a pledge back to its pledger as a draft, saying which changes to make."""
    needed = web.gettext("Say which changes the pledger should make.")
    return _decide(web, ref, text(form, "version"), "draft", text(form, "note"), needed)


# ---------------------------------------------------------------- import

REJECTED_PER_PAGE = 100


def _uploads(web: Web) -> Path:
    folder: Path = web.request.app.state.settings.home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _engine(web: Web) -> Engine:
    """The application's database engine, for work done in a transaction of its own."""
    engine: Engine = web.request.app.state.engine
    return engine


def forget_old_uploads(folder: Path, hours: float) -> None:
    """Delete the uploads (and their previews) checked but not imported within ``hours``."""
    forgotten = time.time() - hours * 3600
    for old in folder.glob("*"):
        if old.is_file() and old.stat().st_mtime < forgotten:
            old.unlink(missing_ok=True)


def _files(web: Web, upload_id: str) -> tuple[Path, Path, Path] | None:
    """The upload, its rejected rows and its preview summary; None for an unknown or expired id."""
    if not UPLOAD_ID.match(upload_id):
        return None
    folder = _uploads(web)
    forget_old_uploads(folder, web.request.app.state.settings.upload_kept_hours)
    paths = (folder / f"{upload_id}.csv", folder / f"{upload_id}.rejected.csv", folder / f"{upload_id}.json")
    return paths if paths[0].is_file() else None


def _remove(paths: tuple[Path, Path, Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _rejected_page(path: Path, page: int) -> list[dict[str, Any]]:
    """One page of the rejected rows streamed to ``path`` at preview time."""
    if not path.is_file():
        return []
    first = (page - 1) * REJECTED_PER_PAGE
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh)
        chosen = itertools.islice(rows, first, first + REJECTED_PER_PAGE)
        return [{"line": int(r["line"]), "column": r["column"], "reason": r["reason"]} for r in chosen]


def _outcome(result: ImportResult | None, rejected: list[Any], count: int, lines: int) -> dict[str, Any]:
    return {
        "created": result.created if result else 0,
        "updated": result.updated if result else 0,
        "unchanged": result.unchanged if result else 0,
        "rejected": [{"line": e.line, "column": e.column, "reason": e.reason} for e in rejected[:REJECTED_PER_PAGE]],
        "rejected_count": count,
        "rejected_lines": lines,
        # What the reviewer checks before committing: the organisations the file would register (a typo
        # makes a duplicate) and the values that will count in no USD total.
        "new_organisations": [asdict(o) for o in result.new_organisations] if result else [],
        "new_organisation_count": result.new_organisation_count if result else 0,
        "without_usd": [asdict(w) for w in result.without_usd] if result else [],
        "without_usd_count": result.without_usd_count if result else 0,
    }


def import_page(web: Web, data: dict[str, Any], status: int = 200) -> Response:
    """The import page at one of its stages: upload, preview, refused or done."""
    page = {
        "stage": "upload",
        "upload": None,
        "filename": "",
        "review_state": "published",
        "error": "",
        "rejected_page": 1,
        "rejected_pages": 1,
        "max_upload_mb": web.request.app.state.settings.max_upload_mb,
        "upload_kept_hours": web.request.app.state.settings.upload_kept_hours,
        **data,
    }
    return web.render(
        "pledges/secretariat/import.html",
        page,
        status=status,
        labels=choices(web),
        states=IMPORT_STATES,
        country_name=lambda code: label(web, "country", code) if code else "–",
    )


@router.get("/import")
def import_form(web: WebDep) -> Response:
    """The import page, to upload a file."""
    enter(web, Action.IMPORT_PLEDGES)
    forget_old_uploads(_uploads(web), web.request.app.state.settings.upload_kept_hours)
    return import_page(web, {})


@router.post("/import", dependencies=[CsrfDep])
@reads_only
def import_preview(web: WebDep, form: FormDep) -> Response:
    """Check an uploaded file: what it would create and update, and every rejected row. Nothing is
    written to the registry and no write lock is taken; the file is kept until "Import now", "Cancel"
    or its expiry."""
    enter(web, Action.IMPORT_PLEDGES)
    upload = form.get("file")
    state = text(form, "review_state") or "published"
    if state not in IMPORT_STATES:
        return import_page(web, {"error": web.gettext("Choose one of the review states.")}, status=422)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return import_page(web, {"error": web.gettext("Choose a CSV file to upload.")}, status=422)
    folder = _uploads(web)
    forget_old_uploads(folder, web.request.app.state.settings.upload_kept_hours)
    upload_id = secrets.token_hex(16)
    paths = (folder / f"{upload_id}.csv", folder / f"{upload_id}.rejected.csv", folder / f"{upload_id}.json")
    with paths[0].open("wb") as fh:
        shutil.copyfileobj(upload.file, fh)
    with paths[1].open("w", encoding="utf-8", newline="") as rejected_to:
        result = check_file(_engine(web), paths[0], web.principal.name, state, rejected_to, web.language)
    summary = {
        "stage": "preview",
        "upload": upload_id,
        "filename": upload.filename,
        "review_state": state,
        **_outcome(result, [e for _row, e in result.rejected], result.rejected_count, result.rejected_lines),
    }
    paths[2].write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    return _preview(web, summary, 1)


def _preview(web: Web, summary: dict[str, Any], page: int) -> Response:
    pages = max(1, math.ceil(summary["rejected_count"] / REJECTED_PER_PAGE))
    return import_page(web, {**summary, "rejected_page": min(page, pages), "rejected_pages": pages})


@router.get("/import/{upload_id}")
def import_preview_page(web: WebDep, upload_id: str, page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    """The preview of an upload again, at another page of its rejected rows."""
    enter(web, Action.IMPORT_PLEDGES)
    paths = _files(web, upload_id)
    if paths is None or not paths[2].is_file():
        message = web.gettext("This upload is no longer available: upload the file again.")
        return import_page(web, {"error": message}, status=404)
    summary = json.loads(paths[2].read_text(encoding="utf-8"))
    summary["rejected"] = _rejected_page(paths[1], page)
    return _preview(web, summary, page)


@router.get("/import/{upload_id}/rejected.csv")
def import_rejected_csv(web: WebDep, upload_id: str) -> Response:
    """Every rejected row of an upload, with its line, column and reason, to correct in a spreadsheet."""
    enter(web, Action.IMPORT_PLEDGES)
    paths = _files(web, upload_id)
    if paths is None or not paths[1].is_file():
        raise NotFound(web.gettext("This upload is no longer available: upload the file again."))
    return FileResponse(paths[1], media_type="text/csv; charset=utf-8", filename="rejected-rows.csv")


@router.post("/import/cancel", dependencies=[CsrfDep])
def import_cancel(web: WebDep, form: FormDep) -> Response:
    """Forget an upload without importing it."""
    enter(web, Action.IMPORT_PLEDGES)
    paths = _files(web, text(form, "upload"))
    if paths is not None:
        _remove(paths)
    return redirect(web, "/secretariat/import")


@router.post("/import/commit", dependencies=[CsrfDep])
def import_commit(web: WebDep, form: FormDep) -> Response:
    """Import a checked upload, all or nothing or skipping its invalid rows, and forget the file."""
    enter(web, Action.IMPORT_PLEDGES)
    upload_id = text(form, "upload")
    state = text(form, "review_state") or "published"
    skip_invalid = text(form, "skip_invalid") == "1"
    paths = _files(web, upload_id)
    if paths is None:
        message = web.gettext("This upload is no longer available: upload the file again.")
        return import_page(web, {"error": message}, status=404)
    if state not in IMPORT_STATES:
        return import_page(web, {"error": web.gettext("Choose one of the review states.")}, status=422)
    try:
        result = import_file(_engine(web), paths[0], web.principal.name, skip_invalid=skip_invalid, review_state=state,
                             session=web.session)  # fmt: skip
    except ImportRejected as exc:
        data = {"stage": "refused", "upload": upload_id, "review_state": state,
                **_outcome(None, exc.errors, exc.count, exc.lines)}  # fmt: skip
        return import_page(web, data, status=422)
    _remove(paths)
    outcome = _outcome(result, [e for _row, e in result.rejected], result.rejected_count, result.rejected_lines)
    return import_page(web, {"stage": "done", "review_state": state, **outcome})


# ---------------------------------------------------------------- export

States = Annotated[list[str], Query()]


def _export_filter(review_state: list[str]) -> PledgeFilter:
    chosen = [s for s in review_state if s in REVIEW_STATES]
    return PledgeFilter(review_state=chosen or list(REVIEW_STATES))


@router.get("/export")
def export_page(web: WebDep) -> Response:
    """The export page: links to every pledge, or those in one review state, as CSV or JSON."""
    enter(web, Action.REVIEW_PLEDGE)
    links = {
        kind: {"all": f"/secretariat/export.{kind}"}
        | {s: f"/secretariat/export.{kind}?review_state={s}" for s in REVIEW_STATES}
        for kind in ("csv", "json")
    }
    return web.render(
        "pledges/secretariat/export.html", {"links": links, "states": list(REVIEW_STATES)}, labels=choices(web)
    )


def _csv_chunks(engine: Engine, f: PledgeFilter) -> Iterator[str]:
    """The export in the import format, a few hundred rows at a time, read in a transaction of its own."""
    with transaction(engine, writes=False) as session:
        yield from csv_chunks(iter_pledges(session, f))


def _json_chunks(engine: Engine, f: PledgeFilter) -> Iterator[str]:
    with transaction(engine, writes=False) as session:
        yield "["
        for n, p in enumerate(iter_pledges(session, f)):
            record = {**service.public_pledge(p), **reports_service.pledge_detail(p, ANONYMOUS)}  # published reports
            yield ("," if n else "") + "\n" + json.dumps(finite(record), ensure_ascii=False, allow_nan=False)
        yield "\n]\n"


@router.get("/export.csv")
def export_csv(web: WebDep, review_state: States = []) -> Response:  # noqa: B006  (FastAPI copies defaults)
    """Every pledge (or those in the review states asked) in the import format, streamed."""
    enter(web, Action.REVIEW_PLEDGE)
    return StreamingResponse(
        _csv_chunks(_engine(web), _export_filter(review_state)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="pledges.csv"'},
    )


@router.get("/export.json")
def export_json(web: WebDep, review_state: States = []) -> Response:  # noqa: B006
    """Every pledge (or those in the review states asked) with its progress reports, as JSON, streamed."""
    enter(web, Action.REVIEW_PLEDGE)
    return StreamingResponse(
        _json_chunks(_engine(web), _export_filter(review_state)),
        media_type="application/json",
        headers={"content-disposition": 'attachment; filename="pledges.json"'},
    )
