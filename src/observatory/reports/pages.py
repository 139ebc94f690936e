"""The annual reports on the web: ``/reports`` (every report and its downloads), ``/reports/{kind}/{year}``
(the report as a page, from the same templates as the PDF; its JSON twin is the manifest with every figure, and
``?format=csv&table=KEY`` gives a table), ``/reports/{kind}/{year}/pdf`` (the latest PDF built), and the
secretariat's ``/secretariat/reports``: what each report still lacks, its texts, and builds in the background
with their progress."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response

from observatory.auth import Action
from observatory.errors import Invalid, NotFound
from observatory.i18n import LANGUAGES
from observatory.reports import build, render, service
from observatory.reports.models import REPORT_KINDS
from observatory.web.deps import CsrfDep, FormDep, WebDep
from observatory.web.forms import enter, redirect, text
from observatory.web.render import Web, add_templates

router = APIRouter(include_in_schema=False)
add_templates(Path(__file__).parent / "templates")

KIND_NAMES = {
    "p2c": "Partner2Connect annual progress report",
    "ip-networks": "Report of the Secretary-General on IP-based networks",
}


def _years() -> list[int]:
    return list(range(dt.date.today().year, service.FIRST_YEAR - 1, -1))


def _as_of(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as e:
        raise Invalid("as_of: a day written YYYY-MM-DD") from e
    if day > dt.date.today():
        raise Invalid("as_of: a report cannot be built as of a day still to come")
    return day


@router.get("/reports")
def reports_index(web: WebDep) -> Response:
    """Every annual report: its page in each language and the latest PDF built."""
    rows = []
    for kind in REPORT_KINDS:
        for year in _years():
            pdfs = {lang: service.latest_build(web.session, kind, year, lang, "pdf") for lang in LANGUAGES}
            rows.append({
                "kind": kind, "year": year, "name": web.gettext(KIND_NAMES[kind]), "page": f"/reports/{kind}/{year}",
                "pdf": {lang: f"/reports/{kind}/{year}/pdf?lang={lang}" for lang, b in pdfs.items() if b},
            })  # fmt: skip
    return web.render("reports/index.html", {"reports": rows})


@router.get("/reports/{kind}/{year}")
def report_page(
    web: WebDep, kind: str, year: int, as_of: str | None = None,
    table: Annotated[str | None, Query(max_length=60)] = None, format: str | None = None,
) -> Response:  # fmt: skip
    """A report as a page of the platform, in the reader's language, as of a day (default today)."""
    service.check_kind(kind, year)
    report = build.make(web.session, kind, year, web.language, _as_of(as_of))
    if format == "csv":
        found = next((t for t in report.tables() if t.key == table), None)
        if found is None:
            raise NotFound(f"no table {table!r} in this report")
        name = f"{build.file_name(report, 'csv')[:-4]}-{found.key}.csv"
        return Response(render.table_csv(found), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}"'})  # fmt: skip
    base = web.request.app.state.settings.base_url
    data = render.manifest(report)
    pdf = service.latest_build(web.session, kind, year, web.language, "pdf")
    return web.render("reports/page.html", data, document=report, body=render.body_html(report, base_url=base),
                      pdf=f"/reports/{kind}/{year}/pdf?lang={web.language}" if pdf else None)  # fmt: skip


@router.get("/reports/{kind}/{year}/pdf")
def report_pdf(web: WebDep, kind: str, year: int, lang: str = "en") -> Response:
    """The latest PDF built of a report in a language."""
    service.check_kind(kind, year, lang)
    b = service.latest_build(web.session, kind, year, lang, "pdf")
    if b is None:
        raise NotFound(web.gettext("This report has not been built as a PDF in this language yet."))
    return _file(web, b.id)


def _file(web: Web, build_id: int) -> Response:
    b = service.get_build(web.session, build_id)
    if b.state != "done":
        raise NotFound(web.gettext("This build has not finished."))
    home: Path = web.request.app.state.settings.home
    path = home / b.folder / f"{b.kind}-{b.year}-{b.language}.{b.format}"
    if not path.is_file():
        raise NotFound(web.gettext("The file of this build is no longer on the server: build it again."))
    media = "application/pdf" if b.format == "pdf" else "text/html; charset=utf-8"
    return FileResponse(path, media_type=media, filename=path.name)


# ---------------------------------------------------------------- the secretariat's workspace


def _workspace(web: Web, kind: str, year: int, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    edition = service.edition(web.session, kind, year, web.language)
    builds = [service.build_record(b) for b in service.builds(web.session)]
    data: dict[str, Any] = {
        "kind": kind, "year": year, "kinds": {k: web.gettext(v) for k, v in KIND_NAMES.items()}, "years": _years(),
        "edition": {
            "outlook": edition.outlook,
            "council_date": edition.council_date.isoformat() if edition.council_date else "",
            "council_symbol": edition.council_symbol, "references": edition.references,
            "spotlight_pledges": edition.spotlight_pledges, "spotlight_practices": edition.spotlight_practices,
            "proposals": [p.__dict__ for p in edition.proposals],
        },
        "version": service.edition_version(web.session, kind, year, web.language),
        "due_on": (d.isoformat() if (d := service.due_on(edition)) else None) if kind == "ip-networks" else None,
        "missing": [web.gettext(m) for m in service.still_missing(web.session, kind, year, web.language)],
        "builds": builds, "running": any(b["state"] in ("queued", "running") for b in builds), "errors": errors or {},
    }  # fmt: skip
    return web.render("reports/workspace.html", data, status=status)


@router.get("/secretariat/reports")
def workspace(web: WebDep, kind: str = "p2c", year: int | None = None) -> Response:
    """The secretariat's reports: what a year's report still lacks, its texts, and its builds."""
    enter(web, Action.BUILD_REPORT)
    year = year or dt.date.today().year - 1
    service.check_kind(kind, year)
    return _workspace(web, kind, year)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


@router.post("/secretariat/reports/{kind}/{year}", dependencies=[CsrfDep])
def save_texts(web: WebDep, kind: str, year: int, form: FormDep) -> Response:
    """Save what the secretariat writes for a year's report in the reader's language."""
    enter(web, Action.BUILD_REPORT)
    service.check_kind(kind, year)
    proposals = []
    for i in range(service.PROPOSALS_IN_FORM):
        title, body = text(form, f"proposal_{i}_title"), text(form, f"proposal_{i}_text")
        if title or body:
            if not (title and body):
                return _workspace(
                    web, kind, year, {"proposals": web.gettext("A proposal needs both a title and a text.")}, 422
                )
            proposals.append(
                service.ProposalIn(title=title, text=body, resources=text(form, f"proposal_{i}_resources"))
            )
    day = text(form, "council_date")
    try:
        council = dt.date.fromisoformat(day) if day else None
    except ValueError:
        return _workspace(web, kind, year, {"council_date": web.gettext("Write the date as YYYY-MM-DD.")}, 422)
    data = service.EditionIn(
        outlook=text(form, "outlook")[:20_000], proposals=proposals, council_date=council,
        council_symbol=text(form, "council_symbol")[:40], references=_lines(text(form, "references"))[:30],
        spotlight_pledges=_lines(text(form, "spotlight_pledges"))[:30],
        spotlight_practices=_lines(text(form, "spotlight_practices"))[:30],
    )  # fmt: skip
    version = int(text(form, "version") or 0) if text(form, "version").isdigit() else -1
    service.save_edition(web.session, web.principal, kind, year, web.language, data, version)
    return redirect(web, f"/secretariat/reports?kind={kind}&year={year}")


@router.post("/secretariat/reports/builds", dependencies=[CsrfDep])
def start_build(web: WebDep, form: FormDep) -> Response:
    """Build a report in the background; the workspace shows its progress."""
    enter(web, Action.BUILD_REPORT)
    kind, fmt, lang = text(form, "kind"), text(form, "format") or "pdf", text(form, "language") or web.language
    year_text = text(form, "year")
    if not year_text.isdigit():
        raise Invalid(web.gettext("Choose the year of the report."))
    b = service.request_build(web.session, web.principal, kind, int(year_text), lang, fmt, _as_of(text(form, "as_of")))
    web.session.commit()  # the build runs in its own transactions: it must see its row
    settings = web.request.app.state.settings
    build.start(web.request.app.state.engine, b.id, settings.home, base_url=settings.base_url)
    return redirect(web, f"/secretariat/reports?kind={kind}&year={year_text}#builds")


@router.get("/secretariat/reports/builds/{build_id}")
def build_status(web: WebDep, build_id: int) -> Response:
    """One build: its state and progress (JSON twin for scripts)."""
    enter(web, Action.BUILD_REPORT)
    record = service.build_record(service.get_build(web.session, build_id))
    return web.render("reports/build.html", {"build": record})


@router.get("/secretariat/reports/builds/{build_id}/file")
def build_file(web: WebDep, build_id: int) -> Response:
    """The file a build wrote."""
    enter(web, Action.BUILD_REPORT)
    return _file(web, build_id)


@router.get("/secretariat/reports/builds/{build_id}/manifest")
def build_manifest(web: WebDep, build_id: int) -> Response:
    """The manifest a build wrote: what the report was built from and every figure."""
    enter(web, Action.BUILD_REPORT)
    b = service.get_build(web.session, build_id)
    home: Path = web.request.app.state.settings.home
    path = build.manifest_path(home / b.folder / f"{b.kind}-{b.year}-{b.language}.{b.format}")
    if b.state != "done" or not path.is_file():
        raise NotFound(web.gettext("This build has not finished."))
    return web.render(
        "reports/build.html", {"build": service.build_record(b), "manifest": json.loads(path.read_text())}
    )
