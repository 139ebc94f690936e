"""Every query and rule of the best-practice library.

A case is written by a pledger for one of its organisations (or by the secretariat, for an organisation or on
behalf of a country), saved as a draft or submitted; the secretariat publishes it or returns it with a note, and
may mark a published case as a spotlight candidate for a year's P2C report. Every write checks the version it
was made against and writes the case's whole record, before and after, to the audit log in the same
transaction: that is what :func:`practices_as_of` reads.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory import audit, reference
from observatory.audit import AuditEntry
from observatory.auth import Action, Principal, can, require
from observatory.db import utcnow
from observatory.errors import Conflict, Invalid, NotFound
from observatory.pledges.models import Organisation, Pledge
from observatory.practices.models import BestPractice
from observatory.practices.schemas import PracticeFields, PracticeIn

ENTITY = "best_practice"
# Review states in which a pledger may still change its case; once published, the secretariat decides.
PLEDGER_EDITABLE = frozenset({"draft", "submitted", "returned"})
# The fields of a case anybody may read (the contact and the review note stay with the submitter and the
# secretariat).
PUBLIC_FIELDS = (
    "reference", "title", "language", "country", "other_countries", "focus_areas", "pillars", "year",
    "what_was_done", "results", "result_figures", "lessons", "pledges", "licence", "source_urls",
    "organisation_id", "organisation", "needs_check", "spotlight_years", "published_on",
)  # fmt: skip
PRIVATE_FIELDS = ("contact_name", "contact_email", "review_state", "review_note", "version")


# ---------------------------------------------------------------- records


def practice_dict(p: BestPractice, organisation: str | None = None) -> dict[str, Any]:
    """A case's full record, as the audit log keeps it and its submitter and the secretariat read it."""
    return {
        "reference": p.reference,
        "title": p.title,
        "language": p.language,
        "country": p.country,
        "other_countries": list(p.other_countries),
        "focus_areas": list(p.focus_areas),
        "pillars": list(p.pillars),
        "year": p.year,
        "what_was_done": p.what_was_done,
        "results": p.results,
        "result_figures": [dict(f) for f in p.result_figures],
        "lessons": p.lessons,
        "pledges": list(p.pledges),
        "licence": p.licence,
        "source_urls": list(p.source_urls),
        "organisation_id": p.organisation_id,
        "organisation": organisation,
        "needs_check": p.needs_check,
        "spotlight_years": list(p.spotlight_years),
        "published_on": None,
        "contact_name": p.contact_name,
        "contact_email": p.contact_email,
        "review_state": p.review_state,
        "review_note": p.review_note,
        "version": p.version,
    }


def public_record(record: dict[str, Any]) -> dict[str, Any]:
    """What anybody may read of a case's record: never its contact, nor the secretariat's note."""
    return {k: record.get(k) for k in PUBLIC_FIELDS}


def _organisation_name(session: Session, p: BestPractice) -> str | None:
    if p.organisation_id is None:
        return None
    return session.scalar(select(Organisation.name).where(Organisation.id == p.organisation_id))


def record_of(session: Session, p: BestPractice) -> dict[str, Any]:
    """A case's full record with its organisation's name and the day it was last published."""
    record = practice_dict(p, _organisation_name(session, p))
    record["published_on"] = _published_on(session, p.reference)
    return record


def public_practice(session: Session, p: BestPractice) -> dict[str, Any]:
    """A case as the public pages, their JSON twins, the API and the CSV export show it (of its pledges, the
    published ones)."""
    record = public_record(record_of(session, p))
    record["pledges"] = [r for r, _ in linked_pledges(session, record["pledges"])]
    return record


def _published_on(session: Session, ref: str) -> str | None:
    at = session.scalar(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.entity == ENTITY, AuditEntry.entity_key == ref, AuditEntry.action == "publish"
        )
    )
    return at.date().isoformat() if at else None


def _audit(session: Session, principal: Principal, action: str, p: BestPractice, before: dict[str, Any] | None) -> None:
    session.flush()
    audit.record(session, principal.name, action, ENTITY, p.reference, before, record_of(session, p))


# ---------------------------------------------------------------- reading


def get_practice(session: Session, ref: str) -> BestPractice:
    """The case of that reference, in whatever review state; :class:`NotFound` when there is none."""
    p = session.scalar(select(BestPractice).where(BestPractice.reference == ref.strip().upper()))
    if p is None:
        raise NotFound(f"no best-practice case {ref}")
    return p


def may_read(principal: Principal, p: BestPractice) -> bool:
    """Whether ``principal`` may read this case: a published one, anybody; else its organisation's members and
    the secretariat."""
    if p.review_state == "published":
        return True
    if p.organisation_id is None:
        return can(principal, Action.REVIEW_PRACTICE)
    return can(principal, Action.SUBMIT_PRACTICE, p.organisation_id) or can(principal, Action.REVIEW_PRACTICE)


def may_edit(principal: Principal, p: BestPractice) -> bool:
    """Whether ``principal`` may change this case: its organisation's members while it is not published, the
    secretariat always."""
    if can(principal, Action.REVIEW_PRACTICE):
        return True
    if p.organisation_id is None or p.review_state not in PLEDGER_EDITABLE:
        return False
    return can(principal, Action.SUBMIT_PRACTICE, p.organisation_id)


def linked_pledges(session: Session, refs: Collection[str]) -> list[tuple[str, str]]:
    """The published pledges among these references, with their titles, by reference."""
    if not refs:
        return []
    query = select(Pledge.reference, Pledge.title).where(
        Pledge.reference.in_(list(refs)), Pledge.review_state == "published"
    )
    return [(r, t) for r, t in session.execute(query.order_by(Pledge.reference))]


def visible_practice(session: Session, ref: str, principal: Principal) -> BestPractice:
    """The case as ``principal`` may see it; an unpublished case is :class:`NotFound` to others."""
    p = get_practice(session, ref)
    if not may_read(principal, p):
        raise NotFound(f"no best-practice case {ref}")
    return p


def practices_of(session: Session, organisation_ids: Collection[int]) -> list[BestPractice]:
    """Every case of these organisations, in every review state, the most recently changed first."""
    if not organisation_ids:
        return []
    query = select(BestPractice).where(BestPractice.organisation_id.in_(organisation_ids))
    return list(session.scalars(query.order_by(BestPractice.updated_at.desc(), BestPractice.id.desc())))


def review_queue(session: Session, limit: int = 200) -> list[BestPractice]:
    """The cases waiting for the secretariat's decision, the longest waiting first (at most ``limit``)."""
    query = select(BestPractice).where(BestPractice.review_state == "submitted")
    return list(session.scalars(query.order_by(BestPractice.updated_at, BestPractice.id).limit(limit)))


def published_practices(session: Session) -> list[BestPractice]:
    """Every published case, by reference."""
    query = select(BestPractice).where(BestPractice.review_state == "published")
    return list(session.scalars(query.order_by(BestPractice.reference)))


def unpublished_practices(session: Session, limit: int = 200) -> list[BestPractice]:
    """The drafts and returned cases (neither submitted nor published), the most recently changed first."""
    query = select(BestPractice).where(BestPractice.review_state.in_(("draft", "returned")))
    return list(session.scalars(query.order_by(BestPractice.updated_at.desc()).limit(limit)))


def count_practices(session: Session) -> int:
    """How many cases the library holds, in every review state."""
    return int(session.scalar(select(func.count()).select_from(BestPractice)) or 0)


def practices_for_pledge(session: Session, ref: str) -> list[BestPractice]:
    """The published cases that name this pledge among theirs, by reference."""
    ref = ref.strip().upper()
    return [p for p in published_practices(session) if ref in p.pledges]


def organisation_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    """The names of the organisations of these ids, by id."""
    if not ids:
        return {}
    rows = session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
    return {i: name for i, name in rows}


def organisations_for(session: Session, principal: Principal) -> list[tuple[int, str]]:
    """The organisations ``principal`` may submit a case for (its own; any for the secretariat), by name."""
    query = select(Organisation.id, Organisation.name).order_by(Organisation.name_key)
    if principal.organisations:
        query = query.where(Organisation.id.in_(principal.organisations))
    elif not can(principal, Action.REVIEW_PRACTICE):
        return []
    return [(i, n) for i, n in session.execute(query) if can(principal, Action.SUBMIT_PRACTICE, i)]


# ---------------------------------------------------------------- filters


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


@dataclass(frozen=True)
class PracticeFilter:
    """Which published cases a list shows: by country (any of the case's), ITU region, focus area, pillar, the
    year the practice began, and words of its text."""

    country: str = ""
    region: str = ""
    focus_area: str = ""
    pillar: str = ""
    year: int | None = None
    q: str = ""
    spotlight_year: int | None = None


def countries_of(record: dict[str, Any]) -> list[str]:
    """Every country a case concerns: its country and its other countries."""
    return [c for c in [record.get("country"), *(record.get("other_countries") or [])] if c]


def _search_text(record: dict[str, Any]) -> str:
    names = [n for c in countries_of(record) if (k := reference.countries().get(c)) for n in (k.name_en, k.name_fr)]
    parts = [record["title"], record["what_was_done"], record["results"], record["lessons"], *names]
    return _fold(" ".join([*parts, record.get("organisation") or ""]))


def matches(record: dict[str, Any], f: PracticeFilter) -> bool:
    """Whether a case's record is one the filter selects."""
    countries = countries_of(record)
    if f.country and f.country not in countries:
        return False
    if f.region:
        regions = {k.itu_region for c in countries if (k := reference.countries().get(c))}
        if f.region not in regions:
            return False
    if f.focus_area and f.focus_area not in record["focus_areas"]:
        return False
    if f.pillar and f.pillar not in record["pillars"]:
        return False
    if f.year is not None and record.get("year") != f.year:
        return False
    if f.spotlight_year is not None and f.spotlight_year not in record.get("spotlight_years", []):
        return False
    return all(word in _search_text(record) for word in _fold(f.q).split())


def list_practices(session: Session, f: PracticeFilter) -> list[dict[str, Any]]:
    """The published cases the filter selects, each as the public sees it, by reference. (The library is small:
    hundreds of cases, not the registry's hundred thousand pledges, so filtering happens here.)"""
    out = []
    for p in published_practices(session):
        record = public_practice(session, p)
        if matches(record, f):
            out.append(record)
    return out


# ---------------------------------------------------------------- the report's view


@dataclass(frozen=True)
class PracticeRecord:
    """A published case as the registry knew it at a moment: its public fields (as codes) and the years of the
    P2C reports it is a spotlight candidate for."""

    ref: str
    title: str
    language: str
    country: str | None
    other_countries: list[str]
    focus_areas: list[str]
    pillars: list[str]
    year: int | None
    what_was_done: str
    results: str
    result_figures: list[dict[str, Any]]
    lessons: str
    pledges: list[str]
    licence: str
    source_urls: list[str]
    organisation_id: int | None
    organisation: str | None
    needs_check: bool
    spotlight_years: list[int] = field(default_factory=list)


def end_of(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` (UTC)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def states_as_of(session: Session, as_of: dt.date) -> dict[str, dict[str, Any] | None]:
    """Each case's full record at the end of ``as_of`` (UTC), from the audit log: the ``after`` of its last
    change up to then (None for a case not yet created, or deleted)."""
    end = end_of(as_of)
    rows = session.execute(
        select(AuditEntry.entity_key, AuditEntry.at, AuditEntry.after)
        .where(AuditEntry.entity == ENTITY)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    state: dict[str, dict[str, Any] | None] = {}
    for key, at, after in rows:
        if _aware(at) < end:
            state[key] = after
    return state


def practices_as_of(session: Session, as_of: dt.date) -> list[PracticeRecord]:
    """The published cases as the library knew them at the end of ``as_of``, by reference: changes made later
    are ignored."""
    out = []
    for ref, record in sorted(states_as_of(session, as_of).items()):
        if record is None or record.get("review_state") != "published":
            continue
        out.append(
            PracticeRecord(
                ref=ref,
                title=record["title"],
                language=record.get("language", "en"),
                country=record.get("country"),
                other_countries=list(record.get("other_countries") or []),
                focus_areas=list(record.get("focus_areas") or []),
                pillars=list(record.get("pillars") or []),
                year=record.get("year"),
                what_was_done=record.get("what_was_done", ""),
                results=record.get("results", ""),
                result_figures=list(record.get("result_figures") or []),
                lessons=record.get("lessons", ""),
                pledges=list(record.get("pledges") or []),
                licence=record.get("licence", ""),
                source_urls=list(record.get("source_urls") or []),
                organisation_id=record.get("organisation_id"),
                organisation=record.get("organisation"),
                needs_check=bool(record.get("needs_check")),
                spotlight_years=list(record.get("spotlight_years") or []),
            )
        )
    return out


def spotlights_as_of(session: Session, year: int, as_of: dt.date) -> list[PracticeRecord]:
    """The published cases marked as spotlight candidates for the P2C report of ``year``, as of ``as_of``."""
    return [r for r in practices_as_of(session, as_of) if year in r.spotlight_years]


# ---------------------------------------------------------------- writing


def next_reference(session: Session) -> str:
    """The first free reference (``BP-0042``)."""
    refs = session.scalars(select(BestPractice.reference))
    numbers = [int(r[3:]) for r in refs if r[3:].isdigit()]
    return f"BP-{max(numbers, default=0) + 1:04d}"


def unknown_pledges(session: Session, refs: Iterable[str]) -> list[str]:
    """The references among these that name no pledge of the registry."""
    wanted = sorted(set(refs))
    if not wanted:
        return []
    known = set(session.scalars(select(Pledge.reference).where(Pledge.reference.in_(wanted))))
    return [r for r in wanted if r not in known]


def _check_pledges(session: Session, refs: Iterable[str]) -> None:
    unknown = unknown_pledges(session, refs)
    if unknown:
        raise Invalid(f"pledges: no pledge has the reference {', '.join(unknown)}")


def _check_organisation(session: Session, organisation_id: int | None) -> None:
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise Invalid(f"organisation: no organisation {organisation_id}")


def _check_version(p: BestPractice, given: int | None) -> None:
    if given != p.version:
        raise Conflict(
            f"case {p.reference} has changed since version {given} (now version {p.version}); "
            "reload it and apply your change again"
        )


def _apply(p: BestPractice, data: PracticeFields) -> None:
    p.title = data.title
    p.language = data.language
    p.country = data.country
    p.other_countries = list(data.other_countries)
    p.focus_areas = list(data.focus_areas)
    p.pillars = list(data.pillars)
    p.year = data.year
    p.what_was_done = data.what_was_done
    p.results = data.results
    p.result_figures = [f.model_dump() for f in data.result_figures]
    p.lessons = data.lessons
    p.pledges = list(data.pledges)
    p.contact_name = data.contact_name
    p.contact_email = data.contact_email
    p.licence = data.licence
    p.source_urls = list(data.source_urls)


def _content(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("version", "published_on")}


def _require_submit(principal: Principal, organisation_id: int | None, review_state: str) -> None:
    """May ``principal`` write a case for ``organisation_id`` (None: on behalf of a country) that ends in
    ``review_state``? A draft or a submission is the submitter's; anything else, or no organisation, is the
    secretariat's."""
    if organisation_id is None:
        require(principal, Action.REVIEW_PRACTICE)
    require(principal, Action.SUBMIT_PRACTICE, organisation_id)
    if review_state not in ("draft", "submitted"):
        require(principal, Action.REVIEW_PRACTICE)


def create_practice(
    session: Session,
    data: PracticeFields,
    organisation_id: int | None,
    principal: Principal,
    review_state: str = "submitted",
) -> BestPractice:
    """Register a case for an organisation (None: submitted by the secretariat on behalf of the country), as a
    draft or submitted for review; with a :class:`PracticeIn`, also its reference, review state, check flag and
    spotlight years (the secretariat's, through imports)."""
    extra = data if isinstance(data, PracticeIn) else None
    if extra is not None:
        review_state = extra.review_state
    _require_submit(principal, organisation_id, review_state)
    if extra is not None and (extra.needs_check or extra.spotlight_years or extra.reference):
        require(principal, Action.REVIEW_PRACTICE)
    _check_organisation(session, organisation_id)
    _check_pledges(session, data.pledges)
    ref = (extra.reference if extra else None) or next_reference(session)
    if session.scalar(select(BestPractice.id).where(BestPractice.reference == ref)) is not None:
        raise Conflict(f"reference: case {ref} exists already")
    p = BestPractice(reference=ref, organisation_id=organisation_id, review_state=review_state)
    _apply(p, data)
    if extra is not None:
        p.needs_check = extra.needs_check
        p.spotlight_years = list(extra.spotlight_years)
        p.review_note = extra.review_note
    session.add(p)
    _audit(session, principal, "create", p, None)
    if review_state == "published":
        audit.record(session, principal.name, "publish", ENTITY, p.reference, None, record_of(session, p))
    return p


def update_practice(
    session: Session,
    ref: str,
    version: int | None,
    data: PracticeFields,
    principal: Principal,
    review_state: str | None = None,
    organisation_id: int | None = None,
) -> BestPractice:
    """Change a case last seen at ``version`` (a stale version is refused), optionally moving it to
    ``review_state`` (a pledger: draft or submitted, while not published) or another of the principal's
    organisations. A pledger's change to a returned case keeps its note until the secretariat decides again."""
    p = get_practice(session, ref)
    _check_version(p, version)
    require(principal, Action.SUBMIT_PRACTICE, p.organisation_id)
    if p.organisation_id is None or p.review_state not in PLEDGER_EDITABLE:
        require(principal, Action.REVIEW_PRACTICE)
    state = review_state or p.review_state
    target = organisation_id if organisation_id is not None else p.organisation_id
    if state != p.review_state or target != p.organisation_id:
        _require_submit(principal, target, state)
    _check_organisation(session, target)
    _check_pledges(session, data.pledges)
    before = record_of(session, p)
    _apply(p, data)
    p.review_state = state
    p.organisation_id = target
    if isinstance(data, PracticeIn):
        require(principal, Action.REVIEW_PRACTICE)
        p.needs_check = data.needs_check
        p.spotlight_years = list(data.spotlight_years)
        p.review_note = data.review_note
    with session.no_autoflush:  # one flush, one new version, once ``updated_at`` is set too
        unchanged = _content(record_of(session, p)) == _content(before)
    if unchanged:
        return p  # nothing changed: no new version
    p.updated_at = utcnow()
    action = "publish" if state == "published" and before["review_state"] != "published" else "update"
    _audit(session, principal, action, p, before)
    return p


def publish_practice(session: Session, ref: str, version: int, principal: Principal) -> BestPractice:
    """Publish a submitted case: it appears in the public library."""
    require(principal, Action.REVIEW_PRACTICE)
    p = get_practice(session, ref)
    _check_version(p, version)
    if p.review_state != "submitted":
        raise Invalid(f"case {p.reference} is {p.review_state}: only a submitted case is published")
    before = record_of(session, p)
    p.review_state = "published"
    p.review_note = ""
    p.updated_at = utcnow()
    _audit(session, principal, "publish", p, before)
    return p


def return_practice(session: Session, ref: str, version: int, note: str, principal: Principal) -> BestPractice:
    """Send a submitted (or published) case back to its submitter with a note saying what to change; it leaves
    the public library until published again."""
    require(principal, Action.REVIEW_PRACTICE)
    p = get_practice(session, ref)
    _check_version(p, version)
    if not note.strip():
        raise Invalid("review_note: say what the submitter should change")
    if p.review_state not in ("submitted", "published"):
        raise Invalid(f"case {p.reference} is {p.review_state}: only a submitted or published case is returned")
    before = record_of(session, p)
    p.review_state = "returned"
    p.review_note = note.strip()
    p.updated_at = utcnow()
    _audit(session, principal, "return", p, before)
    return p


def set_spotlight(
    session: Session, ref: str, version: int, year: int, spotlight: bool, principal: Principal
) -> BestPractice:
    """Mark a published case as a spotlight candidate for the P2C report of ``year`` (or no longer)."""
    require(principal, Action.REVIEW_PRACTICE)
    p = get_practice(session, ref)
    _check_version(p, version)
    if p.review_state != "published":
        raise Invalid(f"case {p.reference} is {p.review_state}: only a published case is a spotlight")
    years = set(p.spotlight_years)
    changed = years | {year} if spotlight else years - {year}
    if changed == years:
        return p
    before = record_of(session, p)
    p.spotlight_years = sorted(changed)
    p.updated_at = utcnow()
    _audit(session, principal, "spotlight", p, before)
    return p


def mark_checked(session: Session, ref: str, version: int, principal: Principal) -> BestPractice:
    """Record that the secretariat has checked a case shipped or imported as "to be checked"."""
    require(principal, Action.REVIEW_PRACTICE)
    p = get_practice(session, ref)
    _check_version(p, version)
    if not p.needs_check:
        return p
    before = record_of(session, p)
    p.needs_check = False
    p.updated_at = utcnow()
    _audit(session, principal, "check", p, before)
    return p


def history(session: Session, ref: str) -> list[AuditEntry]:
    """Every change of a case, from the audit log, the oldest first."""
    query = select(AuditEntry).where(AuditEntry.entity == ENTITY, AuditEntry.entity_key == ref)
    return list(session.scalars(query.order_by(AuditEntry.at, AuditEntry.id)))
