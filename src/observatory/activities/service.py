"""Every query and rule of the registry of activities on IP-based networks (Resolution 101).

Every change bumps the activity's version, is refused when made against a stale version, and writes an
audit entry with the full record before and after in the same transaction: the audit log is what
:func:`activities_as_of` reads to give the registry as it stood at the end of a day.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory import audit, reference
from observatory.activities.models import (
    COLLABORATIONS,
    GLOBAL,
    ITU_ORGANISATIONS,
    KINDS,
    ONE_OFF_KINDS,
    ORGANISATIONS,
    TOPICS,
    Activity,
)
from observatory.activities.schemas import MESSAGES, ActivityIn, field_of
from observatory.audit import AuditEntry
from observatory.db import utcnow
from observatory.errors import Conflict, Invalid, NotFound
from observatory.i18n import N_, translations
from observatory.i18n.validation import error_message

ENTITY = "activity"

# ---------------------------------------------------------------- names of the codes, in every language

ORGANISATION_NAMES = {
    "itu_t": N_("ITU Telecommunication Standardization Sector (ITU-T)"),
    "itu_d": N_("ITU Telecommunication Development Sector (ITU-D)"),
    "itu_r": N_("ITU Radiocommunication Sector (ITU-R)"),
    "itu_gs": N_("ITU General Secretariat"),
    "icann": "ICANN",
    "afrinic": "AFRINIC",
    "apnic": "APNIC",
    "arin": "ARIN",
    "lacnic": "LACNIC",
    "ripe_ncc": "RIPE NCC",
    "ietf": N_("Internet Engineering Task Force (IETF)"),
    "isoc": N_("Internet Society (ISOC)"),
    "ixf": N_("Internet Exchange Federation (IXF)"),
    "af_ix": N_("African IXP Association (Af-IX)"),
    "apix": N_("Asia Pacific Internet Exchange Association (APIX)"),
    "euro_ix": N_("European Internet Exchange Association (Euro-IX)"),
    "lac_ix": N_("Latin American and Caribbean IXP Association (LAC-IX)"),
    "w3c": N_("World Wide Web Consortium (W3C)"),
    "uasg": N_("Universal Acceptance Steering Group (UASG)"),
    "unesco": "UNESCO",
    "broadband_commission": N_("Broadband Commission for Sustainable Development"),
}
TOPIC_NAMES = {
    "ipv6": N_("IPv6"),
    "ixp_interconnection": N_("IXPs and interconnection"),
    "naming_addressing": N_("Naming and addressing"),
    "universal_acceptance": N_("Universal acceptance and multilingualism"),
    "security": N_("Security"),
    "capacity_building": N_("Capacity building"),
    "standards": N_("Standards and interoperability"),
    "affordability": N_("Affordability of international connectivity"),
}
KIND_NAMES = {
    "recommendation": N_("Recommendation or standard approved"),
    "study": N_("Study or study question"),
    "event": N_("Event or workshop"),
    "training": N_("Training or capacity-building course"),
    "publication": N_("Publication or report"),
    "programme": N_("Programme or project"),
    "dataset": N_("Data set or measurement"),
    "agreement": N_("Agreement or memorandum of understanding"),
}
COLLABORATION_NAMES = {
    "none": N_("No collaboration with ITU"),
    "information_exchange": N_("Information exchange"),
    "liaison_mou": N_("Liaison or memorandum of understanding"),
    "joint": N_("Joint activity"),
    "itu": N_("ITU activity"),
}
FIELD_NAMES = {
    "ref": N_("Reference"),
    "organisation": N_("Organisation"),
    "title": N_("Title"),
    "description": N_("Description"),
    "topic": N_("Topic"),
    "kind": N_("Kind of activity"),
    "starts": N_("Start"),
    "ends": N_("End"),
    "areas": N_("Countries and regions"),
    "collaboration": N_("Degree of collaboration with ITU"),
    "evidence": N_("Evidence of the collaboration"),
    "source_url": N_("Source (web address)"),
    "checked": N_("Checked by the secretariat"),
    "withdrawn": N_("Withdrawn"),
    "withdrawn_reason": N_("Why it was withdrawn"),
}
_NAMES = {
    "organisation": ORGANISATION_NAMES,
    "topic": TOPIC_NAMES,
    "kind": KIND_NAMES,
    "collaboration": COLLABORATION_NAMES,
    "field": FIELD_NAMES,
}
_CODES: dict[str, Sequence[str]] = {
    "organisation": ORGANISATIONS,
    "topic": TOPICS,
    "kind": KINDS,
    "collaboration": COLLABORATIONS,
}


def label(by: str, code: str, language: str = "en") -> str:
    """The name of a code in ``language``: ``by`` is organisation, topic, kind, collaboration, area or field."""
    if by == "area":
        if code == GLOBAL:
            return translations(language).gettext("Global")
        if code in reference.ITU_REGIONS:
            return reference.ITU_REGIONS[code][1 if language == "fr" else 0]
        country = reference.countries().get(code)
        if country:
            return country.name_fr if language == "fr" else country.name_en
        return code
    name = _NAMES.get(by, {}).get(code)
    return translations(language).gettext(name) if name else code


def choices(language: str = "en") -> dict[str, dict[str, str]]:
    """Every code of organisation, topic, kind and collaboration with its name in ``language``, in order."""
    return {by: {code: label(by, code, language) for code in codes} for by, codes in _CODES.items()}


def field_names(language: str = "en") -> dict[str, str]:
    """The names of an activity's fields in ``language`` (the form's labels)."""
    return {name: label("field", name, language) for name in FIELD_NAMES}


# ---------------------------------------------------------------- the organisations and their roles


@dataclass(frozen=True)
class OrganisationRole:
    """An organisation of the registry: its code, name, group (``itu`` or ``other``), role and its source."""

    code: str
    name: str
    group: str
    role: str
    source_url: str
    role_fr: str = ""

    def role_in(self, language: str) -> str:
        """The role in ``language`` when the curated text has it, else in English."""
        return self.role_fr if language == "fr" and self.role_fr else self.role


@cache
def organisations() -> list[OrganisationRole]:
    """Every organisation of the registry, ITU's Sectors first, with its curated role and source."""
    text = resources.files(__package__).joinpath("data", "organisations.csv").read_text(encoding="utf-8")
    rows = {r["code"]: r for r in csv.DictReader(text.splitlines())}
    return [
        OrganisationRole(
            code=code,
            name=rows[code]["name"] if code in rows else code,
            group="itu" if code in ITU_ORGANISATIONS else "other",
            role=rows.get(code, {}).get("role", ""),
            source_url=rows.get(code, {}).get("source_url", ""),
            role_fr=rows.get(code, {}).get("role_fr", ""),
        )
        for code in ORGANISATIONS
    ]


def organisation_role(code: str) -> OrganisationRole:
    """One organisation's role; :class:`NotFound` for an unknown code."""
    for org in organisations():
        if org.code == code:
            return org
    raise NotFound(f"no organisation {code!r} in the registry of activities")


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class ActivityRecord:
    """An activity as the registry knew it (codes, not labels), with its reference and version."""

    ref: str
    organisation: str
    title: str
    description: str
    topic: str
    kind: str
    starts: str
    ends: str
    areas: tuple[str, ...]
    collaboration: str
    evidence: str
    source_url: str
    checked: bool
    version: int
    withdrawn: bool = False
    withdrawn_reason: str = ""

    @property
    def first_year(self) -> int:
        """The year the activity starts."""
        return int(self.starts[:4])

    @property
    def last_year(self) -> int | None:
        """The year it ends; None while it goes on (a one-off kind without end ends the year it starts)."""
        if self.ends:
            return int(self.ends[:4])
        return self.first_year if self.kind in ONE_OFF_KINDS else None

    def overlaps(self, year: int) -> bool:
        """Whether the activity's period includes some of ``year``."""
        last = self.last_year
        return self.first_year <= year and (last is None or year <= last)

    @property
    def itu(self) -> bool:
        """Whether it is an activity of ITU itself (a Sector or the General Secretariat)."""
        return self.organisation in ITU_ORGANISATIONS


def activity_dict(a: Activity) -> dict[str, Any]:
    """The full record of an activity, as the API shows it and the audit log keeps it."""
    return {
        "ref": a.ref,
        "organisation": a.organisation,
        "title": a.title,
        "description": a.description,
        "topic": a.topic,
        "kind": a.kind,
        "starts": a.starts,
        "ends": a.ends,
        "areas": list(a.areas),
        "collaboration": a.collaboration,
        "evidence": a.evidence,
        "source_url": a.source_url,
        "checked": a.checked,
        "withdrawn": a.withdrawn,
        "withdrawn_reason": a.withdrawn_reason,
        "version": a.version,
    }


def record_of(d: Mapping[str, Any]) -> ActivityRecord:
    """An activity's record from its dictionary (a row's :func:`activity_dict` or an audit entry's record)."""
    return ActivityRecord(
        ref=str(d["ref"]),
        organisation=str(d["organisation"]),
        title=str(d["title"]),
        description=str(d.get("description", "")),
        topic=str(d["topic"]),
        kind=str(d["kind"]),
        starts=str(d["starts"]),
        ends=str(d.get("ends", "")),
        areas=tuple(d.get("areas") or ()),
        collaboration=str(d["collaboration"]),
        evidence=str(d.get("evidence", "")),
        source_url=str(d["source_url"]),
        checked=bool(d.get("checked", False)),
        version=int(d.get("version", 1)),
        withdrawn=bool(d.get("withdrawn", False)),
        withdrawn_reason=str(d.get("withdrawn_reason", "")),
    )


def public_activity(r: ActivityRecord, language: str = "en") -> dict[str, Any]:
    """An activity as the public pages and the API show it: its codes with their names in ``language``."""
    org = organisation_role(r.organisation)
    return {
        "ref": r.ref,
        "organisation": r.organisation,
        "organisation_name": label("organisation", r.organisation, language),
        "group": org.group,
        "title": r.title,
        "description": r.description,
        "topic": r.topic,
        "topic_name": label("topic", r.topic, language),
        "kind": r.kind,
        "kind_name": label("kind", r.kind, language),
        "starts": r.starts,
        "ends": r.ends,
        "first_year": r.first_year,
        "last_year": r.last_year,
        "areas": list(r.areas),
        "area_names": [label("area", a, language) for a in r.areas],
        "collaboration": r.collaboration,
        "collaboration_name": label("collaboration", r.collaboration, language),
        "evidence": r.evidence,
        "source_url": r.source_url,
        "checked": r.checked,
        "version": r.version,
    }


# ---------------------------------------------------------------- validation


class ActivityInvalid(Invalid):
    """An activity that cannot be saved: ``errors`` gives, field by field, each problem as a sentence."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(" ".join(m for messages in errors.values() for m in messages))


def problems(
    exc: ValidationError, language: str = "en", names: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Every validation error of an activity by field, each a sentence naming the field in ``language``
    (``names``: how to name each field, by default its label; the importer names its columns)."""
    gettext = translations(language).gettext
    labels = field_names(language) if names is None else names
    out: dict[str, list[str]] = {}
    for e in exc.errors():
        name = field_of(e) or "form"
        message = error_message(e, gettext, labels.get(name, name), name, language, MESSAGES)
        if message not in out.setdefault(name, []):
            out[name].append(message)
    return out


def activity_input(values: Mapping[str, Any], language: str = "en") -> ActivityIn:
    """Typed values checked as an activity; :class:`ActivityInvalid` says what is wrong, in ``language``."""
    try:
        return ActivityIn.model_validate(dict(values))
    except ValidationError as exc:
        raise ActivityInvalid(problems(exc, language)) from exc


# ---------------------------------------------------------------- queries


@dataclass
class ActivityFilter:
    """Which activities to show: every list holds codes (empty: any); ``checked`` None for both states."""

    organisation: list[str] = field(default_factory=list)
    topic: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    collaboration: list[str] = field(default_factory=list)
    year: list[int] = field(default_factory=list)
    checked: bool | None = None
    q: str = ""
    withdrawn: bool = False  # the withdrawn ones instead of the others

    def applied(self) -> dict[str, Any]:
        """The filters given, by name."""
        return {k: v for k, v in self.__dict__.items() if v not in ([], None, "", False)}


def matches(r: ActivityRecord, f: ActivityFilter) -> bool:
    """Whether an activity is among those ``f`` selects."""
    q = f.q.casefold().strip()
    return (
        (not f.organisation or r.organisation in f.organisation)
        and (not f.topic or r.topic in f.topic)
        and (not f.kind or r.kind in f.kind)
        and (not f.collaboration or r.collaboration in f.collaboration)
        and (not f.year or any(r.overlaps(y) for y in f.year))
        and (f.checked is None or r.checked == f.checked)
        and r.withdrawn == f.withdrawn
        and (not q or q in f"{r.ref} {r.title} {r.description} {r.evidence}".casefold())
    )


def _order(r: ActivityRecord) -> tuple[int, str, str]:
    return (ORGANISATIONS.index(r.organisation), r.starts, r.ref)


def list_activities(session: Session, f: ActivityFilter | None = None) -> list[ActivityRecord]:
    """The activities ``f`` selects (by default every one not withdrawn), by organisation, then date."""
    f = f or ActivityFilter()
    query = select(Activity).where(Activity.withdrawn == f.withdrawn)
    if f.organisation:
        query = query.where(Activity.organisation.in_(f.organisation))
    if f.topic:
        query = query.where(Activity.topic.in_(f.topic))
    if f.kind:
        query = query.where(Activity.kind.in_(f.kind))
    if f.collaboration:
        query = query.where(Activity.collaboration.in_(f.collaboration))
    records = (record_of(activity_dict(a)) for a in session.scalars(query))
    return sorted((r for r in records if matches(r, f)), key=_order)


def get_activity(session: Session, ref: str) -> Activity:
    """The activity with this reference; :class:`NotFound` otherwise."""
    found = session.scalar(select(Activity).where(Activity.ref == ref.strip().upper()))
    if found is None:
        raise NotFound(f"no activity {ref}")
    return found


def public_record(session: Session, ref: str) -> ActivityRecord:
    """An activity the public may see (not withdrawn); :class:`NotFound` otherwise."""
    a = get_activity(session, ref)
    if a.withdrawn:
        raise NotFound(f"no activity {ref}")
    return record_of(activity_dict(a))


def count(session: Session) -> int:
    """How many activities the registry holds, withdrawn ones included."""
    return int(session.scalar(select(func.count()).select_from(Activity)) or 0)


def count_unchecked(session: Session) -> int:
    """How many activities (not withdrawn) are still to be checked by the secretariat."""
    query = select(func.count()).select_from(Activity).where(~Activity.checked, ~Activity.withdrawn)
    return int(session.scalar(query) or 0)


def history(session: Session, ref: str) -> list[AuditEntry]:
    """Every change of an activity, from the audit log, the oldest first."""
    query = select(AuditEntry).where(AuditEntry.entity == ENTITY, AuditEntry.entity_key == ref.strip().upper())
    return list(session.scalars(query.order_by(AuditEntry.id)))


def activities_as_of(session: Session, as_of: dt.date, year: int | None = None) -> list[ActivityRecord]:
    """The activities as the registry knew them at the end of ``as_of`` (UTC), from the audit log, withdrawn
    ones left out; with ``year``, those whose period includes some of that year."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    last = (
        select(AuditEntry.entity_key, func.max(AuditEntry.id).label("id"))
        .where(AuditEntry.entity == ENTITY, AuditEntry.at < end)
        .group_by(AuditEntry.entity_key)
        .subquery()
    )
    entries = session.scalars(select(AuditEntry).join(last, AuditEntry.id == last.c.id))
    records = [record_of(e.after) for e in entries if e.after]
    kept = [r for r in records if not r.withdrawn and (year is None or r.overlaps(year))]
    return sorted(kept, key=_order)


def summary(records: Iterable[ActivityRecord]) -> dict[str, Any]:
    """The counts the report gives: by organisation and topic, by ITU Sector and kind, by degree of
    collaboration (codes as keys; every organisation, topic, kind and degree present, with 0 when none)."""
    rows = list(records)
    by_org_topic = {o: dict.fromkeys(TOPICS, 0) for o in ORGANISATIONS}
    by_sector_kind = {o: dict.fromkeys(KINDS, 0) for o in ITU_ORGANISATIONS}
    by_collaboration = dict.fromkeys(COLLABORATIONS, 0)
    for r in rows:
        by_org_topic[r.organisation][r.topic] += 1
        if r.itu:
            by_sector_kind[r.organisation][r.kind] += 1
        by_collaboration[r.collaboration] += 1
    return {
        "total": len(rows),
        "by_organisation": {o: sum(by_org_topic[o].values()) for o in ORGANISATIONS},
        "by_topic": {t: sum(by_org_topic[o][t] for o in ORGANISATIONS) for t in TOPICS},
        "by_organisation_topic": by_org_topic,
        "by_sector_kind": by_sector_kind,
        "by_collaboration": by_collaboration,
        "unchecked": sum(1 for r in rows if not r.checked),
    }


# ---------------------------------------------------------------- changes


def next_ref(session: Session, taken: Iterable[str] = ()) -> str:
    """The next free reference, ``ACT-0001`` onwards (after every one stored or in ``taken``)."""
    numbers = [int(r[4:]) for r in (*session.scalars(select(Activity.ref)), *taken) if r[4:].isdigit()]
    return f"ACT-{max(numbers, default=0) + 1:04d}"


def _apply(a: Activity, data: ActivityIn) -> None:
    a.organisation = data.organisation
    a.title = data.title
    a.description = data.description
    a.topic = data.topic
    a.kind = data.kind
    a.starts = data.starts
    a.ends = data.ends
    a.areas = list(data.areas)
    a.collaboration = data.collaboration
    a.evidence = data.evidence
    a.source_url = data.source_url
    a.checked = data.checked


def create_activity(session: Session, data: ActivityIn, actor: str, action: str = "create") -> Activity:
    """Register an activity; its reference is generated when ``data`` has none."""
    ref = data.ref or next_ref(session)
    if session.scalar(select(Activity.id).where(Activity.ref == ref)) is not None:
        raise Conflict(f"activity {ref} already exists")
    a = Activity(ref=ref, withdrawn=False, withdrawn_reason="")
    _apply(a, data)
    session.add(a)
    session.flush()
    audit.record(session, actor, action, ENTITY, ref, None, activity_dict(a))
    return a


def _check_version(a: Activity, version: int) -> None:
    if a.version != version:
        raise Conflict(
            f"activity {a.ref} has changed since version {version} (now version {a.version}); "
            "reload it and apply your change again"
        )


def _changed(session: Session, a: Activity, before: dict[str, Any], actor: str, action: str) -> Activity:
    if activity_dict(a) == before:
        return a
    a.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, action, ENTITY, a.ref, before, activity_dict(a))
    return a


def editable(a: Activity) -> dict[str, Any]:
    """The fields of an activity as :class:`ActivityIn` takes them (to change some and check the whole)."""
    d = activity_dict(a)
    return {k: d[k] for k in ActivityIn.model_fields if k in d}


def update_activity(
    session: Session, ref: str, version: int, data: ActivityIn, actor: str, action: str = "update"
) -> Activity:
    """Replace an activity's fields by ``data``, when last seen at ``version``; a stale version is refused."""
    a = get_activity(session, ref)
    _check_version(a, version)
    if a.withdrawn:
        raise Invalid(f"activity {a.ref} is withdrawn")
    before = activity_dict(a)
    _apply(a, data)
    return _changed(session, a, before, actor, action)


def mark_checked(session: Session, ref: str, version: int, actor: str, checked: bool = True) -> Activity:
    """Record that the secretariat checked an activity against its source (or, ``checked=False``, undo it)."""
    a = get_activity(session, ref)
    _check_version(a, version)
    before = activity_dict(a)
    a.checked = checked
    return _changed(session, a, before, actor, "check" if checked else "uncheck")


def withdraw_activity(session: Session, ref: str, version: int, reason: str, actor: str) -> Activity:
    """Withdraw an activity, saying why: it stays on record (and in its history), out of every page and count."""
    if not reason.strip():
        raise Invalid("say why the activity is withdrawn")
    a = get_activity(session, ref)
    _check_version(a, version)
    if a.withdrawn:
        raise Invalid(f"activity {a.ref} is already withdrawn")
    before = activity_dict(a)
    a.withdrawn = True
    a.withdrawn_reason = reason.strip()
    return _changed(session, a, before, actor, "withdraw")


def existing_keys(session: Session) -> tuple[dict[str, Activity], dict[tuple[str, str], Activity]]:
    """Every stored activity by reference, and by (source, title) for rows without a reference."""
    rows = list(session.scalars(select(Activity)))
    return {a.ref: a for a in rows}, {match_key(a.source_url, a.title): a for a in rows}


def match_key(source_url: str, title: str) -> tuple[str, str]:
    """How an imported row without a reference finds its activity: the same source and title (case and
    blanks aside)."""
    return (source_url.strip().rstrip("/").casefold(), " ".join(title.split()).casefold())
