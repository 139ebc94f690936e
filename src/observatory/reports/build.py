"""Building a report: the document (``p2c`` or ``ip_networks``) from the registry and the data as of a day, drawn
as HTML or PDF with every table as CSV and the manifest beside it; in the background for the secretariat's
workspace, with its progress recorded, or at once for the command line."""

from __future__ import annotations

import datetime as dt
import json
import logging
import resource
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from observatory.db import transaction
from observatory.practices import service as practices
from observatory.reports import p2c, render, service
from observatory.reports.document import Report

log = logging.getLogger(__name__)
FOLDER = "reports"  # under the platform's home: one folder per build


def make(session: Session, kind: str, year: int, language: str, as_of: dt.date | None = None) -> Report:
    """The document of a report, as of ``as_of`` (default today), with what the secretariat wrote for it."""
    service.check_kind(kind, year, language)
    day = as_of or dt.date.today()
    edition = service.edition(session, kind, year, language)
    if kind == "p2c":
        return p2c.build(session, year, language, day, edition, practices=practices.practices_as_of(session, day))
    from observatory.reports import ip_networks  # type: ignore[attr-defined,unused-ignore]

    report: Report = ip_networks.build(session, year, language, day, edition)
    return report


def file_name(report: Report, format: str) -> str:
    """The report's file name: ``p2c-2025-en.pdf``."""
    return f"{report.kind}-{report.year}-{report.language}.{format}"


def manifest_path(target: Path) -> Path:
    """Where the manifest of the report written to ``target`` is: ``p2c-2025-en.manifest.json`` beside it."""
    return target.with_name(target.stem + ".manifest.json")


def tables_path(target: Path) -> Path:
    """Where the CSV tables of the report written to ``target`` are: ``p2c-2025-en-tables/`` beside it."""
    return target.with_name(target.stem + "-tables")


def write(report: Report, format: str, target: Path, *, base_url: str = "") -> dict[str, Any]:
    """Write the report (``format`` html or pdf) to ``target``, one CSV per table into the tables folder beside
    it and the manifest beside it; what was written, with the PDF's page count."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tables = tables_path(target)
    tables.mkdir(exist_ok=True)
    files: dict[str, str] = {}
    for t in report.tables():
        (tables / f"{t.key}.csv").write_text(render.table_csv(t), encoding="utf-8")
        files[f"{tables.name}/{t.key}.csv"] = t.title
    pages = None
    if format == "pdf":
        data, pages = render.pdf_with_pages(report, base_url=base_url)
        target.write_bytes(data)
    else:
        target.write_text(render.document_html(report, base_url=base_url), encoding="utf-8")
    files[target.name] = report.title
    manifest = render.manifest(report, files=files)
    manifest["pages"] = pages
    manifest_path(target).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return {"file": target, "pages": pages, "manifest": manifest}


def run(engine: Engine, build_id: int, home: Path, *, base_url: str = "") -> None:
    """Run a queued build, recording its progress; a failure is recorded with its reason, never raised."""
    started = time.perf_counter()

    def step(progress: int, what: str, **done: Any) -> None:
        with transaction(engine) as s:
            service.set_progress(s, build_id, progress, what, **done)

    folder = home / FOLDER / str(build_id)
    try:
        with transaction(engine) as s:
            b = service.get_build(s, build_id)
            kind, year, language, format, as_of = b.kind, b.year, b.language, b.format, b.as_of
        step(10, "counting the registry and the data", state="running")
        with transaction(engine, writes=False) as s:
            report = make(s, kind, year, language, as_of)
        step(60, "drawing the PDF" if format == "pdf" else "drawing the page")
        written = write(report, format, folder / file_name(report, format), base_url=base_url)
        step(100, "done", state="done", folder=str(folder.relative_to(home)), pages=written["pages"],
             seconds=round(time.perf_counter() - started, 2))  # fmt: skip
        log.info("report build %s: %s in %.1f s, peak %d MB", build_id, written["file"], time.perf_counter() - started,
                 resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)  # fmt: skip
    except Exception as e:  # a build must end, with its reason: the workspace shows it
        log.exception("report build %s failed", build_id)
        shutil.rmtree(folder, ignore_errors=True)
        try:
            step(100, "failed", state="failed", error=str(e)[:2000] or e.__class__.__name__)
        except Exception:  # the database itself is gone (the platform stopping): nothing more to record
            log.exception("report build %s: its failure could not be recorded", build_id)


def start(engine: Engine, build_id: int, home: Path, *, base_url: str = "") -> threading.Thread:
    """Run a queued build in a background thread (the workspace shows its progress)."""
    thread = threading.Thread(target=run, args=(engine, build_id, home), kwargs={"base_url": base_url},
                              name=f"report-build-{build_id}", daemon=True)  # fmt: skip
    thread.start()
    return thread
