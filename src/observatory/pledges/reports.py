"""Progress reports, deliverables and reminders: what pledgers report each year, how the secretariat reviews it,
the milestones of a pledge, and the mail that reminds pledgers when a report is due.

A report belongs to one pledge and one year, both fixed once filed. Filed or corrected by a pledger it is
``submitted``; the secretariat publishes it or returns it with a note; only published reports count in public
figures. Every write checks the version it was made against, bumps the registry revision and is audited.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory import audit
from observatory.accounts import mailer_for
from observatory.accounts.models import Membership, User
from observatory.audit import AuditEntry
from observatory.auth import Action, Principal, can
from observatory.config import Settings
from observatory.db import utcnow
from observatory.errors import Conflict, Invalid, NotFound
from observatory.i18n import DEFAULT, N_, translations
from observatory.pledges.models import Deliverable, DeliverableUpdate, Pledge, ProgressReport, Reminder
from observatory.pledges.schemas import REPORT, REPORT_RULES, DeliverableIn, ProgressReportIn, ReportContext
from observatory.pledges.service import (
    bump_revision,
    format_validation_error,
    get_pledge,
    pledge_dict,
    reporting_health,
)

log = logging.getLogger(__name__)

# A published pledge is "due" this many days before its report becomes overdue, for reminders.
REMINDER_DUE_DAYS = 30
# Statuses of a pledge that is over: no more reports are asked for.
FINISHED = frozenset({"completed", "discontinued"})
# Deliverable statuses that are not late whatever their due date.
SETTLED = frozenset({"completed", "cancelled"})


# ---------------------------------------------------------------- records


def deliverable_dict(d: Deliverable, today: dt.date | None = None) -> dict[str, Any]:
    """A deliverable as the API shows it and the audit log keeps it; ``overdue`` when due before today and
    neither completed nor cancelled."""
    today = today or dt.date.today()
    return {
        "id": d.id,
        "title": d.title,
        "due_on": d.due_on.isoformat() if d.due_on else None,
        "status": d.status,
        "overdue": bool(d.due_on and d.due_on < today and d.status not in SETTLED),
        "version": d.version,
    }


def report_dict(r: ProgressReport) -> dict[str, Any]:
    """A progress report as the API shows it and the audit log keeps it."""
    return {
        "year": r.year,
        "status": r.status,
        "percent_complete": r.percent_complete,
        "usd_committed": r.usd_committed,
        "usd_disbursed": r.usd_disbursed,
        "people_reached": r.people_reached,
        "narrative": r.narrative,
        "completed_on": r.completed_on.isoformat() if r.completed_on else None,
        "status_reason": r.status_reason,
        "finance_note": r.finance_note,
        "review_state": r.review_state,
        "review_note": r.review_note,
        "deliverables": [
            {"deliverable_id": u.deliverable_id, "title": u.deliverable.title, "status": u.status, "note": u.note}
            for u in sorted(r.deliverable_updates, key=lambda u: u.deliverable_id)
        ],
        "filed_on": r.filed_on.isoformat(),
        "version": r.version,
    }


def published_reports(pledge: Pledge) -> list[ProgressReport]:
    """The pledge's published reports, by year: the only ones public figures count."""
    return [r for r in pledge.reports if r.review_state == "published"]


def visible_reports(pledge: Pledge, principal: Principal) -> list[ProgressReport]:
    """The reports ``principal`` may read: the published ones, and all of them for those who may read the
    pledger's unpublished work (``observatory.auth`` decides)."""
    if can(principal, Action.READ_UNPUBLISHED, pledge.pledger_id):
        return list(pledge.reports)
    return published_reports(pledge)


def progress(pledge: Pledge) -> dict[str, Any]:
    """Pledged → committed → disbursed from the published reports: the totals, the share of the pledged USD
    value disbursed (None without a USD value), and per year the year's and the cumulative figures."""
    years: list[dict[str, Any]] = []
    committed = disbursed = 0.0
    for r in published_reports(pledge):
        committed += r.usd_committed or 0.0
        disbursed += r.usd_disbursed or 0.0
        years.append(
            {
                "year": r.year,
                "usd_committed": r.usd_committed or 0.0,
                "usd_disbursed": r.usd_disbursed or 0.0,
                "cumulative_committed": committed,
                "cumulative_disbursed": disbursed,
                "people_reached": r.people_reached,
            }
        )
    value = pledge.value_usd
    return {
        "value_usd": value,
        "usd_committed": committed,
        "usd_disbursed": disbursed,
        "disbursed_share": disbursed / value if value else None,
        "years": years,
    }


def pledge_detail(pledge: Pledge, principal: Principal, today: dt.date | None = None) -> dict[str, Any]:
    """What a pledge's detail adds to its public record: the reports ``principal`` may read, its deliverables
    and pledged → committed → disbursed (from published reports)."""
    return {
        "reports": [report_dict(r) for r in visible_reports(pledge, principal)],
        "deliverables": [deliverable_dict(d, today) for d in pledge.deliverables],
        "progress": progress(pledge),
    }


# What the public sees of a pledge's history: no report before it is published, no reminder.
PUBLIC_REPORT_ACTIONS = frozenset({"publish"})


def public_history(entries: Sequence[AuditEntry]) -> list[AuditEntry]:
    """The audit entries of a pledge the public may read: its own changes and deliverables, and its reports as
    published (a report's filing, corrections and returns stay with its pledger and the secretariat)."""
    return [
        e
        for e in entries
        if e.entity not in ("progress_report", "reminder")
        or (e.entity == "progress_report" and e.action in PUBLIC_REPORT_ACTIONS)
    ]


# ---------------------------------------------------------------- filing and correcting


def first_year(pledge: Pledge) -> int | None:
    """The first year a report may cover: the pledge's start year or announcement year, the earlier."""
    years = [y for y in (pledge.start_year, pledge.announced_on.year if pledge.announced_on else None) if y]
    return min(years) if years else None


def report_context(pledge: Pledge, year: int | None = None, today: dt.date | None = None) -> ReportContext:
    """What a report for ``year`` on this pledge is checked against: the pledge's first year and its other
    reports' commitments and disbursements."""
    others = tuple(
        (r.year, r.usd_committed or 0.0, r.usd_disbursed or 0.0, bool(r.finance_note.strip()))
        for r in pledge.reports
        if r.year != year
    )
    return ReportContext(first_year=first_year(pledge), others=others, today=today)


def checked(pledge: Pledge, data: ProgressReportIn) -> ProgressReportIn:
    """The report validated again with what it is checked against (the pledge and its other reports);
    :class:`Invalid` listing every rule it breaks."""
    try:
        return ProgressReportIn.model_validate(
            data.model_dump(exclude_unset=True), context={REPORT: report_context(pledge, data.year)}
        )
    except ValidationError as exc:
        rules = [e for e in exc.errors() if e["type"] in REPORT_RULES]
        if len(rules) < len(exc.errors()):
            raise Invalid(format_validation_error(exc)) from exc
        raise Invalid("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in rules)) from exc


def _report(pledge: Pledge, year: int) -> ProgressReport | None:
    return next((r for r in pledge.reports if r.year == year), None)


def get_report(session: Session, ref: str, year: int) -> ProgressReport:
    """The pledge's report for that year; :class:`NotFound` when there is none."""
    report = _report(get_pledge(session, ref), year)
    if report is None:
        raise NotFound(f"no {year} report on {ref}")
    return report


def _check_version(key: str, current: int, given: int | None) -> None:
    if given != current:
        raise Conflict(
            f"report {key} has changed since version {given} (now version {current}); "
            "reload it and apply your change again"
        )


def _apply(session: Session, report: ProgressReport, pledge: Pledge, data: ProgressReportIn) -> None:
    ids = {d.id: d for d in pledge.deliverables}
    unknown = sorted({u.deliverable_id for u in data.deliverables} - set(ids))
    if unknown:
        raise Invalid(f"deliverables: {', '.join(map(str, unknown))} are not deliverables of {pledge.reference}")
    report.status = data.status
    report.percent_complete = data.percent_complete
    report.usd_committed = data.usd_committed
    report.usd_disbursed = data.usd_disbursed
    report.people_reached = data.people_reached
    report.narrative = data.narrative
    report.completed_on = data.completed_on
    report.status_reason = data.status_reason.strip()
    report.finance_note = data.finance_note.strip()
    report.filed_on = data.filed_on or dt.date.today()
    report.review_state = "submitted"
    wanted = {u.deliverable_id: u for u in data.deliverables}
    kept = []
    for old in report.deliverable_updates:
        u = wanted.pop(old.deliverable_id, None)
        if u is not None:
            old.status, old.note = u.status, u.note.strip()
            kept.append(old)
    for deliverable_id, u in sorted(wanted.items()):
        update = DeliverableUpdate(deliverable=ids[deliverable_id], status=u.status, note=u.note.strip())
        update.deliverable_id = deliverable_id
        kept.append(update)
    report.deliverable_updates = kept


def file_report(session: Session, ref: str, data: ProgressReportIn, actor: str) -> ProgressReport:
    """File the pledge's report for a year (submitted for review). With ``data.version`` it corrects that
    year's report instead (see :func:`correct_report`); a year that has a report is a :class:`Conflict`."""
    if data.version is not None:
        return correct_report(session, ref, data.year, data, actor)
    pledge = get_pledge(session, ref)
    if pledge.review_state != "published":
        raise Invalid(f"pledge {ref} is {pledge.review_state}: reports are filed on published pledges")
    existing = _report(pledge, data.year)
    if existing is not None:
        raise Conflict(
            f"{ref} already has a {data.year} report (version {existing.version}): correct it instead, "
            "sending its version"
        )
    data = checked(pledge, data)
    report = ProgressReport(pledge=pledge, year=data.year)
    _apply(session, report, pledge, data)
    session.add(report)
    session.flush()
    audit.record(session, actor, "report", "progress_report", f"{ref}/{data.year}", None, report_dict(report))
    bump_revision(session, [pledge.id])
    return report


def correct_report(session: Session, ref: str, year: int, data: ProgressReportIn, actor: str) -> ProgressReport:
    """Correct the pledge's report for ``year``, last seen at ``data.version``; the year cannot change. The
    corrected report is submitted for review again."""
    pledge = get_pledge(session, ref)
    report = _report(pledge, year)
    if report is None:
        raise NotFound(f"no {year} report on {ref} to correct")
    if data.year != year:
        raise Invalid(f"year: a report's year is fixed once filed; file the {data.year} report separately")
    key = f"{ref}/{year}"
    _check_version(key, report.version, data.version)
    data = checked(pledge, data)
    before = report_dict(report)
    _apply(session, report, pledge, data)
    if report_dict(report) | {"filed_on": before["filed_on"]} == before:
        return report  # nothing changed: no new version
    session.flush()
    audit.record(session, actor, "update", "progress_report", key, before, report_dict(report))
    bump_revision(session, [pledge.id])
    return report


# ---------------------------------------------------------------- review


def review_queue(session: Session, limit: int) -> list[ProgressReport]:
    """The reports waiting for the secretariat's decision, the longest waiting first (at most ``limit``)."""
    waiting = select(ProgressReport).where(ProgressReport.review_state == "submitted")
    return list(session.scalars(waiting.order_by(ProgressReport.filed_on, ProgressReport.id).limit(limit)))


def publish_report(session: Session, ref: str, year: int, version: int, actor: str) -> ProgressReport:
    """Publish a submitted report: it counts in public figures, its deliverables' statuses apply, and the
    pledge takes the status of its latest published report."""
    report = get_report(session, ref, year)
    key = f"{ref}/{year}"
    _check_version(key, report.version, version)
    if report.review_state != "submitted":
        raise Invalid(f"report {key} is {report.review_state}: only a submitted report is published")
    pledge = report.pledge
    before, pledge_before = report_dict(report), pledge_dict(pledge)
    report.review_state = "published"
    report.review_note = ""
    for u in report.deliverable_updates:
        if u.deliverable.status != u.status:
            old = deliverable_dict(u.deliverable)
            u.deliverable.status = u.status
            u.deliverable.updated_at = utcnow()
            session.flush()
            key_d = _deliverable_key(ref, u.deliverable_id)
            audit.record(session, actor, "update", "deliverable", key_d, old, deliverable_dict(u.deliverable))
    latest = max((r for r in pledge.reports if r.review_state == "published"), key=lambda r: r.year)
    if pledge.status != latest.status:
        pledge.status = latest.status
        pledge.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "publish", "progress_report", key, before, report_dict(report))
    if pledge_dict(pledge) != pledge_before:
        audit.record(session, actor, "update", "pledge", ref, pledge_before, pledge_dict(pledge))
    bump_revision(session, [pledge.id])
    return report


def return_report(session: Session, ref: str, year: int, version: int, note: str, actor: str) -> ProgressReport:
    """Send a submitted (or published) report back to its pledger with a note saying what to correct; it
    leaves public figures until corrected and published again."""
    report = get_report(session, ref, year)
    key = f"{ref}/{year}"
    _check_version(key, report.version, version)
    if not note.strip():
        raise Invalid("review_note: say what the pledger should correct")
    if report.review_state == "returned":
        raise Invalid(f"report {key} is returned already")
    before = report_dict(report)
    report.review_state = "returned"
    report.review_note = note.strip()
    session.flush()
    audit.record(session, actor, "return", "progress_report", key, before, report_dict(report))
    bump_revision(session, [report.pledge_id])
    return report


# ---------------------------------------------------------------- deliverables


def _deliverable_key(ref: str, deliverable_id: int) -> str:
    return f"{ref}/deliverable/{deliverable_id}"


def get_deliverable(session: Session, ref: str, deliverable_id: int) -> Deliverable:
    """The pledge's deliverable of that id; :class:`NotFound` when the pledge has none such."""
    found = next((d for d in get_pledge(session, ref).deliverables if d.id == deliverable_id), None)
    if found is None:
        raise NotFound(f"no deliverable {deliverable_id} on {ref}")
    return found


def add_deliverable(session: Session, ref: str, data: DeliverableIn, actor: str) -> Deliverable:
    """Add a deliverable (a milestone with its due date and status) to a pledge."""
    pledge = get_pledge(session, ref)
    deliverable = Deliverable(pledge_id=pledge.id, title=data.title, due_on=data.due_on, status=data.status)
    session.add(deliverable)
    session.flush()
    session.refresh(pledge, ["deliverables"])
    key = _deliverable_key(ref, deliverable.id)
    audit.record(session, actor, "create", "deliverable", key, None, deliverable_dict(deliverable))
    bump_revision(session, [pledge.id])
    return deliverable


def update_deliverable(session: Session, ref: str, deliverable_id: int, data: DeliverableIn, actor: str) -> Deliverable:
    """Change a deliverable last seen at ``data.version``; a stale version is refused."""
    d = get_deliverable(session, ref, deliverable_id)
    key = _deliverable_key(ref, deliverable_id)
    _check_version(key, d.version, data.version)
    before = deliverable_dict(d)
    d.title, d.due_on, d.status = data.title, data.due_on, data.status
    if deliverable_dict(d) == before:
        return d
    d.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "update", "deliverable", key, before, deliverable_dict(d))
    bump_revision(session, [d.pledge_id])
    return d


def remove_deliverable(session: Session, ref: str, deliverable_id: int, version: int, actor: str) -> None:
    """Remove a deliverable last seen at ``version`` (and what reports said of it)."""
    d = get_deliverable(session, ref, deliverable_id)
    key = _deliverable_key(ref, deliverable_id)
    _check_version(key, d.version, version)
    before = deliverable_dict(d)
    pledge = get_pledge(session, ref)
    pledge.deliverables.remove(d)
    session.flush()
    audit.record(session, actor, "delete", "deliverable", key, before, None)
    bump_revision(session, [pledge.id])


# ---------------------------------------------------------------- reminders


def report_flag(pledge: Pledge, today: dt.date, window_days: int = REMINDER_DUE_DAYS) -> str | None:
    """``overdue`` for a published pledge whose report is late (reporting health amber or red), ``due`` when it
    will be within ``window_days``; None otherwise. A report submitted but not yet published counts as filed."""
    if pledge.review_state != "published":
        return None
    if reporting_health(pledge, today) in ("amber", "red"):
        return "overdue"
    if reporting_health(pledge, today + dt.timedelta(days=window_days)) in ("amber", "red"):
        return "due"
    return None


def report_year_due(pledge: Pledge, today: dt.date) -> int:
    """The year the next report should cover: the one after the last reported, else the last full year (not
    before the pledge's first year); never after the current year."""
    last = max((r.year for r in pledge.reports), default=None)
    year = last + 1 if last is not None else max(first_year(pledge) or 0, today.year - 1)
    return min(year, today.year)


@dataclass(frozen=True)
class ReminderDue:
    """A reminder to send: for which pledge and organisation, why (``due`` or ``overdue``), the report's year,
    and to whom (``address`` None when the organisation has no pledger account to mail)."""

    pledge_id: int
    reference: str
    title: str
    organisation: str
    kind: str
    report_year: int
    address: str | None
    language: str


def pledger_addresses(session: Session, organisation_id: int) -> list[tuple[str, str]]:
    """The addresses and languages of an organisation's active pledger accounts, by address."""
    rows = session.execute(
        select(User.email, User.language)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id, User.active.is_(True), User.role == "pledger")
        .order_by(User.email_key)
    )
    return [(email, language) for email, language in rows]


def _reminded_since(session: Session, since: dt.datetime) -> set[tuple[int, str]]:
    rows = session.execute(select(Reminder.pledge_id, Reminder.kind).where(Reminder.sent_at >= since))
    return {(pledge_id, kind) for pledge_id, kind in rows}


def reminders_due(session: Session, today: dt.date, interval_days: int) -> list[ReminderDue]:
    """Who should be reminded today: each pledger account of each published pledge (not yet completed or
    discontinued) whose report is due within :data:`REMINDER_DUE_DAYS` days or overdue, unless the same
    reminder (pledge and kind) was sent within ``interval_days``; an organisation without a pledger account is
    listed once, with no address."""
    recent = _reminded_since(session, utcnow() - dt.timedelta(days=interval_days))
    published = select(Pledge).where(Pledge.review_state == "published").order_by(Pledge.reference)
    out: list[ReminderDue] = []
    addresses: dict[int, list[tuple[str, str]]] = {}
    for pledge in session.scalars(published):
        kind = report_flag(pledge, today)
        if kind is None or pledge.status in FINISHED or (pledge.id, kind) in recent:
            continue
        if pledge.pledger_id not in addresses:
            addresses[pledge.pledger_id] = pledger_addresses(session, pledge.pledger_id)
        year = report_year_due(pledge, today)
        to: Sequence[tuple[str | None, str]] = addresses[pledge.pledger_id] or [(None, DEFAULT)]
        for address, language in to:
            due = ReminderDue(
                pledge.id, pledge.reference, pledge.title, pledge.pledger.name, kind, year, address, language
            )
            out.append(due)
    return out


SUBJECTS = {
    "due": N_("Progress report due soon: %(reference)s"),
    "overdue": N_("Progress report overdue: %(reference)s"),
}
BODIES = {
    "due": N_(
        "Hello,\n\nThe progress report of %(organisation)s on the pledge %(reference)s, “%(title)s”, is due "
        "within 30 days: the report for %(year)s.\n\nFile it in the portal:\n%(link)s\n\nIt tells what was "
        "committed and disbursed in the year, the people reached and the state of the deliverables; the "
        "Partner2Connect secretariat reviews it before it is published.\n\nThe Connectivity Observatory\n"
    ),
    "overdue": N_(
        "Hello,\n\nThe progress report of %(organisation)s on the pledge %(reference)s, “%(title)s”, is "
        "overdue: the last one is more than 12 months old, or none was filed. Please file the report for "
        "%(year)s.\n\nFile it in the portal:\n%(link)s\n\nIt tells what was committed and disbursed in the year, "
        "the people reached and the state of the deliverables; the Partner2Connect secretariat reviews it before "
        "it is published.\n\nThe Connectivity Observatory\n"
    ),
}


def reminder_message(due: ReminderDue, settings: Settings) -> tuple[str, str]:
    """The subject and body of a reminder, in the language of the account it goes to."""
    g = translations(due.language if due.language in ("en", "fr") else DEFAULT).gettext
    values = {
        "reference": due.reference,
        "title": due.title,
        "organisation": due.organisation,
        "year": str(due.report_year),
        "link": f"{settings.base_url}/portal/pledges/{due.reference}/report?year={due.report_year}",
    }
    return g(SUBJECTS[due.kind]) % values, g(BODIES[due.kind]) % values


def send_reminder(session: Session, due: ReminderDue, settings: Settings, actor: str) -> Reminder:
    """Mail one reminder and record it (who sent it: the command, or a secretariat member)."""
    if due.address is None:
        raise Invalid(f"{due.organisation} has no pledger account to remind")
    subject, body = reminder_message(due, settings)
    mailer_for(settings).send(due.address, subject, body)
    row = Reminder(
        pledge_id=due.pledge_id, report_year=due.report_year, kind=due.kind, sent_to=due.address, sent_by=actor
    )
    session.add(row)
    session.flush()
    sent = {"kind": due.kind, "report_year": due.report_year, "sent_to": due.address}
    audit.record(session, actor, "remind", "reminder", f"{due.reference}/reminder/{row.id}", None, sent)
    log.info("%s reminder for %s mailed to %s", due.kind, due.reference, due.address)
    return row


def send_reminders(
    session: Session, settings: Settings, actor: str, today: dt.date | None = None
) -> tuple[list[ReminderDue], list[ReminderDue]]:
    """Mail every reminder due today (see :func:`reminders_due`) and record each: those sent, and those that
    could not be (an organisation with no pledger account)."""
    due = reminders_due(session, today or dt.date.today(), settings.reminder_interval_days)
    sent = [d for d in due if d.address is not None]
    for d in sent:
        send_reminder(session, d, settings, actor)
    nobody = [d for d in due if d.address is None]
    for d in nobody:
        log.warning("%s reminder for %s: %s has no pledger account to mail", d.kind, d.reference, d.organisation)
    return sent, nobody


def remind_by_hand(session: Session, ref: str, settings: Settings, actor: str, today: dt.date | None = None) -> int:
    """Mail the pledger accounts of a pledge a reminder now (``overdue`` when its report is late, else ``due``),
    recorded with the secretariat member's name; how many were sent. :class:`Invalid` when nobody can be mailed."""
    today = today or dt.date.today()
    pledge = get_pledge(session, ref)
    if pledge.review_state != "published":
        raise Invalid(f"pledge {ref} is {pledge.review_state}: reminders are for published pledges")
    kind = "overdue" if report_flag(pledge, today) == "overdue" else "due"
    addresses = pledger_addresses(session, pledge.pledger_id)
    if not addresses:
        raise Invalid(f"{pledge.pledger.name} has no pledger account to remind")
    year = report_year_due(pledge, today)
    for address, language in addresses:
        due = ReminderDue(pledge.id, ref, pledge.title, pledge.pledger.name, kind, year, address, language)
        send_reminder(session, due, settings, actor)
    return len(addresses)


def reminders_of(session: Session, pledge_ids: Collection[int]) -> list[Reminder]:
    """The reminders sent about these pledges, the latest first."""
    if not pledge_ids:
        return []
    query = select(Reminder).where(Reminder.pledge_id.in_(pledge_ids))
    return list(session.scalars(query.order_by(Reminder.sent_at.desc(), Reminder.id.desc())))
