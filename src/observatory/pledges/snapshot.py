"""The registry as it stood at the end of a day: what a report "as of" that day counts.

Every change to a pledge, an organisation or a progress report writes its whole record to the audit log, so
the state of each on a past day is the record of its last change up to that day. A record changed only
after the day stood, on the day, as that first change's ``before`` (nothing, for a creation); a record that
was never changed through the audit log (none is, but a database written by hand may hold some) counts as it
is now if it existed then. The state is written into a fresh database of the same schema, in a temporary
file, so that every count — the counting rules, the breakdowns, the reporting health — runs unchanged on it.

When nothing was written after the day, the live registry is the snapshot and nothing is copied.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from observatory.audit import AuditEntry
from observatory.db import bulk_insert, migrate
from observatory.pledges import index as pledge_index
from observatory.pledges.models import (
    Organisation,
    Pledge,
    PledgeCountry,
    PledgeFocusArea,
    PledgePartner,
    PledgePillar,
    ProgressReport,
    RegistryRevision,
)
from observatory.reference.models import load_reference

log = logging.getLogger(__name__)

ENTITIES = ("organisation", "pledge", "progress_report")
# Snapshots kept built, by day and by how much of the audit log they rest on.
KEPT = 4


def end_of(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` (UTC): a snapshot of ``day`` holds what was written before it."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def is_live(session: Session, day: dt.date) -> bool:
    """Whether nothing in the registry was written after ``day``: then the live registry is its snapshot."""
    end = end_of(day)
    later = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.at >= end))
    created = session.scalar(select(func.count()).select_from(Pledge).where(Pledge.created_at >= end))
    return not later and not created


def _states(session: Session, entity: str, end: dt.datetime) -> dict[str, dict[str, Any] | None]:
    """Each record's state at ``end`` from the audit log, by key: None for a record that did not exist yet or
    was deleted by then."""
    rows = session.execute(
        select(AuditEntry.entity_key, AuditEntry.at, AuditEntry.before, AuditEntry.after)
        .where(AuditEntry.entity == entity)
        .order_by(AuditEntry.id)
    )
    state: dict[str, dict[str, Any] | None] = {}
    settled: set[str] = set()
    for key, at, before, after in rows:
        if _aware(at) < end:
            state[key] = after
        elif key not in state and key not in settled:
            state[key] = before  # first change after the day: it stood as this change found it
            settled.add(key)
        else:
            settled.add(key)
    return state


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _copy(session: Session, target: Engine, day: dt.date) -> dict[str, int]:
    """Write the registry of ``day`` into ``target`` (migrated, with the reference tables); counts per table."""
    end = end_of(day)
    org_states = _states(session, "organisation", end)
    pledge_states = _states(session, "pledge", end)
    report_states = _states(session, "progress_report", end)

    orgs: dict[int, dict[str, Any]] = {}
    for key, rec in org_states.items():
        if rec is not None:
            orgs[int(key)] = rec
    for org in session.scalars(select(Organisation).where(Organisation.created_at < end)):
        if str(org.id) not in org_states:
            orgs[org.id] = {"id": org.id, "name": org.name, "stakeholder_type": org.stakeholder_type,
                            "country": org.country, "itu_membership": org.itu_membership}  # fmt: skip

    pledges: dict[str, dict[str, Any]] = {}
    for key, rec in pledge_states.items():
        if rec is not None:
            pledges[key] = rec
    current = {p.reference: p for p in session.scalars(select(Pledge).where(Pledge.created_at < end))}
    from observatory.pledges.service import pledge_dict  # the record the audit log keeps

    for ref, p in current.items():
        if ref not in pledge_states:
            pledges[ref] = pledge_dict(p)
    for rec in pledges.values():
        pledger = rec["pledger"]
        orgs.setdefault(int(pledger["id"]), pledger)
    by_name = {str(o["name"]).casefold(): i for i, o in orgs.items()}
    next_id = max(orgs, default=0) + 1

    def org_id(name: str) -> int:
        nonlocal next_id
        key = name.casefold()
        if key not in by_name:  # a partner whose organisation's record is not in the log: its name is enough
            orgs[next_id] = {"id": next_id, "name": name, "stakeholder_type": "other", "country": None,
                             "itu_membership": "none"}  # fmt: skip
            by_name[key] = next_id
            next_id += 1
        return by_name[key]

    first_seen: dict[str, dt.datetime] = {
        k: _aware(at)
        for k, at in session.execute(
            select(AuditEntry.entity_key, func.min(AuditEntry.at))
            .where(AuditEntry.entity == "pledge")
            .group_by(AuditEntry.entity_key)
        )
    }
    pledge_rows: list[dict[str, Any]] = []
    focus: list[dict[str, Any]] = []
    pillars: list[dict[str, Any]] = []
    countries: list[dict[str, Any]] = []
    partners: list[dict[str, Any]] = []
    ids: dict[str, int] = {}
    for n, (ref, rec) in enumerate(sorted(pledges.items()), start=1):
        ids[ref] = n
        at = first_seen.get(ref) or (_aware(current[ref].created_at) if ref in current else end)
        pledge_rows.append({
            "id": n, "reference": ref, "pledger_id": int(rec["pledger"]["id"]), "title": rec["title"],
            "description": rec.get("description") or "", "language": rec.get("language") or "en",
            "pledge_type": rec.get("pledge_type"), "value_amount": rec.get("value"), "currency": rec.get("currency"),
            "value_usd": rec.get("value_usd"), "usd_rate": rec.get("usd_rate"),
            "usd_rate_date": _day(rec.get("usd_rate_date")), "usd_origin": rec.get("usd_origin"),
            "start_year": rec.get("start_year"), "end_year": rec.get("end_year"),
            "announced_on": _day(rec.get("announced_on")), "event": rec.get("event") or "",
            "source_url": rec.get("source_url") or "", "status": rec.get("status") or "planned",
            "review_state": rec.get("review_state") or "draft", "review_note": rec.get("review_note") or "",
            "sdgs": list(rec.get("sdgs") or []), "beneficiary_groups": list(rec.get("beneficiary_groups") or []),
            "synthetic": bool(rec.get("synthetic")), "search_text": rec["title"], "version": 1,
            "created_at": at, "updated_at": at,
        })  # fmt: skip
        focus += [{"pledge_id": n, "focus_area": f} for f in rec.get("focus_areas") or []]
        pillars += [{"pledge_id": n, "pillar": p} for p in rec.get("pillars") or []]
        countries += [{"pledge_id": n, "country": c} for c in rec.get("target_countries") or []]
        partners += [
            {"pledge_id": n, "organisation_id": i} for i in sorted({org_id(x) for x in rec.get("partners") or []})
        ]
    org_rows = [
        {"id": i, "name": o["name"], "name_key": f"{i}:{o['name']}".casefold()[:300],
         "stakeholder_type": o.get("stakeholder_type") or "other", "country": o.get("country"),
         "itu_membership": o.get("itu_membership") or "none", "other_names": [], "created_at": end}
        for i, o in sorted(orgs.items())
    ]  # fmt: skip
    reports: dict[str, dict[str, Any]] = {k: r for k, r in report_states.items() if r is not None}
    for r, ref in session.execute(
        select(ProgressReport, Pledge.reference)
        .join(Pledge, Pledge.id == ProgressReport.pledge_id)
        .where(ProgressReport.filed_on <= day)
    ):
        key = f"{ref}/{r.year}"
        if key not in report_states:
            reports[key] = {"year": r.year, "status": r.status, "percent_complete": r.percent_complete,
                            "usd_committed": r.usd_committed, "usd_disbursed": r.usd_disbursed,
                            "people_reached": r.people_reached, "review_state": r.review_state,
                            "filed_on": r.filed_on.isoformat()}  # fmt: skip
    report_rows: list[dict[str, Any]] = []
    for key, rec in sorted(reports.items()):
        ref = key.rsplit("/", 1)[0]
        if ref not in ids:
            continue
        report_rows.append({
            "id": len(report_rows) + 1, "pledge_id": ids[ref], "year": int(rec["year"]), "status": rec["status"],
            "percent_complete": rec.get("percent_complete"), "usd_committed": rec.get("usd_committed"),
            "usd_disbursed": rec.get("usd_disbursed"), "people_reached": rec.get("people_reached"),
            "narrative": "", "completed_on": _day(rec.get("completed_on")), "status_reason": "", "finance_note": "",
            "review_state": rec.get("review_state") or "submitted", "review_note": "",
            "filed_on": _day(rec.get("filed_on")) or day, "version": 1,
        })  # fmt: skip
    with target.begin() as conn:
        for model, rows in (
            (Organisation, org_rows), (Pledge, pledge_rows), (PledgeFocusArea, focus), (PledgePillar, pillars),
            (PledgeCountry, countries), (PledgePartner, partners), (ProgressReport, report_rows),
        ):  # fmt: skip
            table = cast(Table, model.__table__)
            for start in range(0, len(rows), 5000):
                bulk_insert(conn, table, rows[start : start + 5000])
        revision = cast(Table, RegistryRevision.__table__)
        conn.execute(revision.delete())
        conn.execute(revision.insert().values(id=1, revision=1))
    return {"organisations": len(org_rows), "pledges": len(pledge_rows), "progress_reports": len(report_rows)}


_template_lock = threading.Lock()
_template: Path | None = None
_kept: dict[tuple[Any, ...], Path] = {}
_kept_lock = threading.Lock()


def _empty_database(folder: Path) -> Path:
    """A migrated database with the reference tables, copied from one made once per process."""
    global _template
    with _template_lock:
        if _template is None or not _template.exists():
            made = Path(tempfile.mkdtemp(prefix="observatory-snapshot-")) / "empty.db"
            engine = create_engine(f"sqlite:///{made}")
            migrate(engine)
            with sessionmaker(engine)() as s, s.begin():
                load_reference(s)
            engine.dispose()
            _template = made
    path = folder / "registry.db"
    shutil.copyfile(_template, path)
    return path


def _key(session: Session, day: dt.date) -> tuple[Any, ...]:
    """What a snapshot of ``day`` rests on: the day, and how much of the log and of the registry precede it."""
    end = end_of(day)
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    entries = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.at < end))
    pledges = session.scalar(select(func.count()).select_from(Pledge).where(Pledge.created_at < end))
    return url, day, entries, pledges


@contextmanager
def registry_as_of(session: Session, day: dt.date | None) -> Iterator[Session]:
    """A session on the registry as it stood at the end of ``day`` (None or a day after the last write: the
    live registry itself). Read only: the snapshot is a copy, kept for a few further reads of the same day."""
    if day is None or is_live(session, day):
        yield session
        return
    key = _key(session, day)
    with _kept_lock:
        path = _kept.get(key)
        if path is None or not path.exists():
            folder = Path(tempfile.mkdtemp(prefix="observatory-as-of-"))
            path = _empty_database(folder)
            engine = create_engine(f"sqlite:///{path}")
            counts = _copy(session, engine, day)
            engine.dispose()
            log.info("registry as of %s: %s", day.isoformat(), counts)
            _kept[key] = path
            while len(_kept) > KEPT:
                old = _kept.pop(next(iter(_kept)))
                pledge_index.forget(f"sqlite:///{old}")
                shutil.rmtree(old.parent, ignore_errors=True)
    engine = create_engine(f"sqlite:///{path}")
    try:
        with sessionmaker(engine)() as snapshot:
            yield snapshot
    finally:
        engine.dispose()
