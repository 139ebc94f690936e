"""The annual reports' records: what the secretariat writes for each year's report (the edition), each build
of a report and how far it has got, the due date of the report on IP-based networks and what is still missing
for a year's report. Building and drawing a report is ``reports.build`` (it draws with the web's templates).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory import audit
from observatory.auth import Action, Principal, require
from observatory.db import utcnow
from observatory.errors import Conflict, Invalid, NotFound
from observatory.i18n import LANGUAGES, N_
from observatory.reports.document import Edition, Proposal
from observatory.reports.models import FORMATS, REPORT_KINDS, ReportBuild, ReportEdition
from observatory.sources import SourceLoad

# The report on IP-based networks is circulated to Council one month before it meets.
DAYS_BEFORE_COUNCIL = 30
FIRST_YEAR = 2021  # Partner2Connect was launched in 2021
BUILDS_SHOWN = 50
PROPOSALS_IN_FORM = 6  # proposals the workspace's form holds
# Builds running at once: each takes a core and a few hundred MB, so more wait (a clear refusal, not a queue).
MAX_RUNNING = 2
# A build unfinished after this long was interrupted (the server stopped): it no longer holds a place.
ABANDONED_AFTER = dt.timedelta(minutes=30)


class ProposalIn(BaseModel):
    """A concrete proposal of the report on IP-based networks."""

    title: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=5000)
    resources: str = Field(default="", max_length=2000)


class EditionIn(BaseModel):
    """What the secretariat writes for one year's report in one language."""

    outlook: str = Field(default="", max_length=20_000)
    proposals: list[ProposalIn] = Field(default_factory=list, max_length=30)
    council_date: dt.date | None = None
    council_symbol: str = Field(default="", max_length=40)
    references: list[str] = Field(default_factory=list, max_length=30)
    spotlight_pledges: list[str] = Field(default_factory=list, max_length=30)
    spotlight_practices: list[str] = Field(default_factory=list, max_length=30)

    @field_validator("references", "spotlight_pledges", "spotlight_practices")
    @classmethod
    def _clean(cls, values: list[str]) -> list[str]:
        return [v.strip()[:300] for v in values if v.strip()]


def check_kind(kind: str, year: int, language: str | None = None) -> None:
    """Refuse an unknown report, a year out of range or an unknown language, with a sentence."""
    if kind not in REPORT_KINDS:
        raise NotFound(f"no report {kind!r} (one of {', '.join(REPORT_KINDS)})")
    if not FIRST_YEAR <= year <= dt.date.today().year:
        raise Invalid(f"year: the reports cover {FIRST_YEAR} to {dt.date.today().year}, not {year}")
    if language is not None and language not in LANGUAGES:
        raise Invalid(f"language: one of {', '.join(LANGUAGES)}, not {language!r}")


def edition_record(e: ReportEdition) -> dict[str, Any]:
    """An edition as the audit log keeps it and the API shows it."""
    return {
        "kind": e.kind, "year": e.year, "language": e.language, "outlook": e.outlook,
        "proposals": list(e.proposals), "council_date": e.council_date.isoformat() if e.council_date else None,
        "council_symbol": e.council_symbol, "references": list(e.references),
        "spotlight_pledges": list(e.spotlight_pledges), "spotlight_practices": list(e.spotlight_practices),
        "version": e.version,
    }  # fmt: skip


def _row(session: Session, kind: str, year: int, language: str) -> ReportEdition | None:
    return session.scalar(
        select(ReportEdition).where(
            ReportEdition.kind == kind, ReportEdition.year == year, ReportEdition.language == language
        )
    )


def edition(session: Session, kind: str, year: int, language: str) -> Edition:
    """What the secretariat wrote for a year's report in ``language``. The Council date and symbol, the
    references and the spotlights are shared by the languages: where this language's version has none, another
    language's are used; the outlook and the proposals are this language's only. The references end with the
    Council documents of the earlier years' reports of the series (their symbols), newest first."""
    check_kind(kind, year)
    mine = _row(session, kind, year, language)
    others = session.scalars(
        select(ReportEdition).where(ReportEdition.kind == kind, ReportEdition.year == year).order_by(ReportEdition.id)
    ).all()

    def shared(name: str) -> Any:
        for row in [mine, *others]:
            if row is not None and getattr(row, name):
                return getattr(row, name)
        return None

    references = list(shared("references") or [])
    # The earlier reports of the series, from the Council symbols their editions were given.
    earlier = session.execute(
        select(ReportEdition.year, ReportEdition.council_symbol)
        .where(ReportEdition.kind == kind, ReportEdition.year < year, ReportEdition.council_symbol != "")
        .order_by(ReportEdition.year.desc(), ReportEdition.id)
    ).all()
    for _, symbol in earlier:
        if symbol not in references:
            references.append(symbol)
    return Edition(
        kind=kind,  # type: ignore[arg-type]
        year=year,
        outlook=mine.outlook if mine else "",
        proposals=[Proposal(p["title"], p["text"], p.get("resources", "")) for p in (mine.proposals if mine else [])],
        council_date=shared("council_date"),
        council_symbol=shared("council_symbol") or "",
        references=references,
        spotlight_pledges=list(shared("spotlight_pledges") or []),
        spotlight_practices=list(shared("spotlight_practices") or []),
    )


def edition_version(session: Session, kind: str, year: int, language: str) -> int:
    """The version of an edition (0 when nothing is written yet): a change is sent with it."""
    row = _row(session, kind, year, language)
    return row.version if row else 0


def save_edition(
    session: Session, principal: Principal, kind: str, year: int, language: str, data: EditionIn, version: int
) -> dict[str, Any]:
    """Write what the secretariat wrote for a year's report in one language; ``version`` is the version the
    change was made against (0 for the first), so that two people cannot overwrite each other unknowingly."""
    require(principal, Action.BUILD_REPORT)
    check_kind(kind, year, language)
    row = _row(session, kind, year, language)
    if (row.version if row else 0) != version:
        raise Conflict("this report's texts were changed meanwhile: reload the page and make your change again")
    before = edition_record(row) if row else None
    if row is None:
        row = ReportEdition(kind=kind, year=year, language=language)
        session.add(row)
    row.outlook = data.outlook.strip()
    row.proposals = [p.model_dump() for p in data.proposals]
    row.council_date = data.council_date
    row.council_symbol = data.council_symbol.strip()
    row.references = data.references
    row.spotlight_pledges = data.spotlight_pledges
    row.spotlight_practices = data.spotlight_practices
    row.updated_at = utcnow()
    session.flush()
    after = edition_record(row)
    audit.record(session, principal.name, "update" if before else "create", "report_edition",
                 f"{kind}/{year}/{language}", before, after)  # fmt: skip
    return after


def due_on(e: Edition) -> dt.date | None:
    """When the report on IP-based networks is due: one month before the Council it goes to."""
    return e.council_date - dt.timedelta(days=DAYS_BEFORE_COUNCIL) if e.council_date else None


def still_missing(session: Session, kind: str, year: int, language: str) -> list[str]:
    """What a year's report still lacks, in words (English msgids; pages translate them): the secretariat's texts,
    the Council date, data not loaded."""
    e = edition(session, kind, year, language)
    missing = []
    if kind == "p2c":
        if not e.outlook:
            missing.append(N_("the outlook"))
        if not e.spotlight_pledges:
            missing.append(N_("the pledges to spotlight"))
    else:
        if not e.proposals:
            missing.append(N_("the concrete proposals"))
        if not e.council_date:
            missing.append(N_("the date of the Council session"))
        if not e.council_symbol:
            missing.append(N_("the Council document symbol"))
    loaded = set(session.scalars(select(SourceLoad.source).distinct()))
    if not loaded:
        missing.append(N_("the data (no data file is loaded)"))
    return missing


def request_build(
    session: Session, principal: Principal, kind: str, year: int, language: str, format: str, as_of: dt.date | None
) -> ReportBuild:
    """Queue a build of a report (the caller starts it): as of ``as_of`` (default: today)."""
    require(principal, Action.BUILD_REPORT)
    check_kind(kind, year, language)
    if format not in FORMATS:
        raise Invalid(f"format: one of {', '.join(FORMATS)}, not {format!r}")
    day = as_of or dt.date.today()
    if day > dt.date.today():
        raise Invalid("as_of: a report cannot be built as of a day still to come")
    forget_abandoned(session)
    if unfinished(session) >= MAX_RUNNING:
        raise Conflict(f"{MAX_RUNNING} reports are being built already: build this one when one of them has ended")
    build = ReportBuild(kind=kind, year=year, language=language, format=format, as_of=day,
                        requested_by=principal.name, step="queued")  # fmt: skip
    session.add(build)
    session.flush()
    audit.record(session, principal.name, "build", "report_build", str(build.id), None, build_record(build))
    return build


def build_record(b: ReportBuild) -> dict[str, Any]:
    """A build as the workspace and the API show it."""
    return {
        "id": b.id, "kind": b.kind, "year": b.year, "language": b.language, "format": b.format,
        "as_of": b.as_of.isoformat(), "state": b.state, "progress": b.progress, "step": b.step, "error": b.error,
        "pages": b.pages, "seconds": b.seconds, "requested_by": b.requested_by,
        "requested_at": _aware(b.requested_at).isoformat(timespec="seconds"),
        "finished_at": _aware(b.finished_at).isoformat(timespec="seconds") if b.finished_at else None,
    }  # fmt: skip


def _aware(at: dt.datetime) -> dt.datetime:
    """A stored moment with its time zone (UTC; SQLite gives it back without one)."""
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def get_build(session: Session, build_id: int) -> ReportBuild:
    """One build; :class:`NotFound` when there is none."""
    b = session.get(ReportBuild, build_id)
    if b is None:
        raise NotFound(f"no report build {build_id}")
    return b


def builds(session: Session, limit: int = BUILDS_SHOWN) -> list[ReportBuild]:
    """The latest builds, newest first."""
    return list(session.scalars(select(ReportBuild).order_by(ReportBuild.id.desc()).limit(limit)))


def latest_build(session: Session, kind: str, year: int, language: str, format: str) -> ReportBuild | None:
    """The newest finished build of a report in a language and format (what the public downloads)."""
    return session.scalar(
        select(ReportBuild)
        .where(ReportBuild.kind == kind, ReportBuild.year == year, ReportBuild.language == language,
               ReportBuild.format == format, ReportBuild.state == "done")
        .order_by(ReportBuild.id.desc())
        .limit(1)
    )  # fmt: skip


def set_progress(session: Session, build_id: int, progress: int, step: str, **done: Any) -> None:
    """Record how far a build has got (and, when it ends, its state, folder, pages, time or error)."""
    b = get_build(session, build_id)
    b.progress, b.step = progress, step
    for name, value in done.items():
        setattr(b, name, value)
    if done.get("state") in ("done", "failed"):
        b.finished_at = utcnow()


def unfinished(session: Session) -> int:
    """How many builds are queued or running."""
    return int(session.scalar(select(func.count()).select_from(ReportBuild).where(
        ReportBuild.state.in_(("queued", "running"))
    )) or 0)  # fmt: skip


def forget_abandoned(session: Session) -> int:
    """Mark as failed the builds left unfinished for longer than ``ABANDONED_AFTER`` (the server stopped while
    they ran); how many."""
    old = session.scalars(select(ReportBuild).where(
        ReportBuild.state.in_(("queued", "running")), ReportBuild.requested_at < utcnow() - ABANDONED_AFTER
    )).all()  # fmt: skip
    for b in old:
        b.state, b.step, b.error, b.finished_at = "failed", "interrupted", "interrupted: the server stopped", utcnow()
    return len(old)


def data_editions(session: Session) -> list[dict[str, Any]]:
    """The newest load of every data source: its name, organisation, dataset, edition and dates (what a
    report's colophon lists)."""
    newest = select(SourceLoad.source, func.max(SourceLoad.id).label("id")).group_by(SourceLoad.source).subquery()
    rows = session.scalars(select(SourceLoad).join(newest, newest.c.id == SourceLoad.id).order_by(SourceLoad.source))
    return [
        {"source": r.source, "organisation": r.organisation, "dataset": r.dataset, "edition": r.edition,
         "data_date": r.data_date.isoformat() if r.data_date else None, "loaded_at": r.loaded_at.date().isoformat(),
         "url": r.info_url}
        for r in rows
    ]  # fmt: skip
