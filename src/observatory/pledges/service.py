"""The registry's operations: organisations, pledges, review and the audit log (progress reports, deliverables
and reminders: ``observatory.pledges.reports``).

Every write bumps the registry revision and writes an audit entry in the same transaction, and
refuses a change made against a stale version instead of applying it over someone else's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, String, cast, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from observatory import audit
from observatory.accounts.models import Membership
from observatory.audit import AuditEntry
from observatory.auth import Action, Principal, can
from observatory.db import utcnow
from observatory.errors import Conflict, Invalid, NotFound
from observatory.i18n.validation import clean, error_message, names_field
from observatory.pledges.models import (
    Organisation,
    Pledge,
    PledgeChange,
    PledgeCountry,
    PledgeFocusArea,
    PledgePartner,
    PledgePillar,
    RegistryRevision,
)
from observatory.pledges.schemas import (
    OrganisationFields,
    OrganisationIn,
    PledgeFields,
    PledgeIn,
    in_taxonomy_order,
    other_names,
)
from observatory.reference.models import ExchangeRateRow

# Which review states a pledge may move to from each state.
REVIEW_TRANSITIONS: dict[str, set[str]] = {
    "draft": {"submitted", "withdrawn"},
    "submitted": {"draft", "published", "rejected", "withdrawn"},
    "published": {"withdrawn"},
    "rejected": {"draft", "submitted", "withdrawn"},
    "withdrawn": set(),
}


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """How organisation names are matched: ignoring case and runs of blanks."""
    return " ".join(name.casefold().split())


# Changes kept for the pledge index: an index older than this many revisions is built again from scratch.
CHANGES_KEPT = 10_000


def bump_revision(session: Session, pledges: Collection[int] | None = None) -> int:
    """Mark the registry as changed, so that what was worked out from it (the pledge index, cached pages) is
    done again, and say which pledges changed (their ids; None for a change too wide to list, such as an
    import or a merge): the pledge index then reads again only those. Returns the new revision."""
    revision = int(
        session.execute(
            update(RegistryRevision).values(revision=RegistryRevision.revision + 1).returning(RegistryRevision.revision)
        ).scalar_one()
    )
    # Every revision has at least one row, so the index can tell a revision it knows nothing of (one
    # bumped by hand, or forgotten) from one that changed no pledge; None: read every pledge again.
    listed = sorted(set(pledges)) if pledges is not None else []
    rows: list[dict[str, int | None]] = [{"revision": revision, "pledge_id": p} for p in listed]
    rows = rows or [{"revision": revision, "pledge_id": None}]
    session.execute(insert(PledgeChange), rows)
    if revision % 1_000 == 0:  # now and then, forget what no index can still need
        session.execute(delete(PledgeChange).where(PledgeChange.revision <= revision - CHANGES_KEPT))
    return revision


def current_revision(session: Session) -> int:
    """How many times the registry has changed: the number the pledge index is kept under."""
    return int(session.scalar(select(RegistryRevision.revision)) or 0)


# ---------------------------------------------------------------- organisations


def _other_name_keys(session: Session) -> dict[str, int]:
    """Every other name of an organisation (its key) → that organisation's id; a small table, read whole."""
    rows = session.execute(
        select(Organisation.id, Organisation.other_names).where(
            func.length(cast(Organisation.other_names, String)) > 2  # not "[]"
        )
    )
    return {name_key(n): org_id for org_id, names in rows for n in names or []}


def find_organisation(session: Session, name: str) -> Organisation | None:
    """The organisation registered under this name or one of its other names (ignoring case and runs of
    blanks), if any."""
    key = name_key(name)
    org = session.scalar(select(Organisation).where(Organisation.name_key == key))
    if org is None and (other := _other_name_keys(session).get(key)) is not None:
        org = session.get(Organisation, other)
    return org


def organisation_keys(session: Session) -> tuple[dict[str, int], dict[str, str]]:
    """How an import finds organisations: every name and other name (their keys) → organisation id, and
    each other name's key → the key of the organisation's own name."""
    ids: dict[str, int] = {k: v for k, v in session.execute(select(Organisation.name_key, Organisation.id))}
    by_id = {v: k for k, v in ids.items()}
    canonical = {}
    for other, org_id in _other_name_keys(session).items():
        if other not in ids:  # an organisation's own name wins over another's other name
            ids[other] = org_id
            canonical[other] = by_id[org_id]
    return ids, canonical


def organisation_by_id(session: Session, organisation_id: int) -> Organisation | None:
    """The organisation of that id, if any."""
    return session.get(Organisation, organisation_id)


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    """The organisation of that id; :class:`NotFound` when there is none."""
    org = organisation_by_id(session, organisation_id)
    if org is None:
        raise NotFound(f"no organisation {organisation_id}")
    return org


def organisations(session: Session) -> list[Organisation]:
    """Every registered organisation, by name."""
    return list(session.scalars(select(Organisation).order_by(Organisation.name_key)))


def member_organisations(session: Session, ids: Collection[int]) -> list[Organisation]:
    """The organisations of these ids (those a pledger acts for), by name."""
    if not ids:
        return []
    return list(session.scalars(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name_key)))


def organisation_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    """The names of the organisations of these ids, by id (ids of no organisation are left out)."""
    if not ids:
        return {}
    rows = session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
    return {org_id: name for org_id, name in rows}


def search_organisations(session: Session, q: str, page: int, per_page: int) -> tuple[list[Organisation], int]:
    """One page of the organisations whose name or one of whose other names contains ``q`` (ignoring case and
    runs of blanks; all of them when ``q`` is blank), by name, and how many there are in all."""
    query = select(Organisation)
    if q.strip():
        key = name_key(q)
        also = {org_id for other, org_id in _other_name_keys(session).items() if key in other}
        query = query.where(or_(Organisation.name_key.contains(key, autoescape=True), Organisation.id.in_(also)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    first = (max(1, page) - 1) * per_page
    return list(session.scalars(query.order_by(Organisation.name_key).offset(first).limit(per_page))), total


def pledges_by_pledger(
    session: Session, organisation_ids: Collection[int] | None = None, *, published_only: bool = False
) -> dict[int, int]:
    """How many pledges each organisation made as pledger (in every review state, or only the published
    ones), for these organisations or for all; an organisation without pledges is left out."""
    query = select(Pledge.pledger_id, func.count())
    if organisation_ids is not None:
        query = query.where(Pledge.pledger_id.in_(organisation_ids))
    if published_only:
        query = query.where(Pledge.review_state == "published")
    return {org: n for org, n in session.execute(query.group_by(Pledge.pledger_id))}


def upsert_organisation(session: Session, data: OrganisationIn, actor: str) -> Organisation:
    """The organisation of that name (or other name), created when new."""
    org = find_organisation(session, data.name)
    if org is None:
        org = Organisation(
            name=data.name,
            name_key=name_key(data.name),
            stakeholder_type=data.stakeholder_type,
            country=data.country,
            itu_membership=data.itu_membership,
            other_names=list(data.other_names) if isinstance(data, OrganisationFields) else [],
        )
        session.add(org)
        session.flush()
        audit.record(session, actor, "create", "organisation", str(org.id), None, organisation_record(org))
    return org


def partner_organisation(name: str) -> OrganisationIn:
    """A partner known only by its name is registered with its type of stakeholder and its ITU
    membership "unspecified", for the secretariat to complete: nothing about it is invented."""
    return OrganisationIn(name=name, stakeholder_type="unspecified", itu_membership="unspecified")


def organisation_for(session: Session, name: str, actor: str) -> Organisation:
    """The organisation a pledge names as partner, registered when new."""
    return find_organisation(session, name) or upsert_organisation(session, partner_organisation(name), actor)


def organisation_dict(org: Organisation) -> dict[str, Any]:
    """An organisation as a pledge's record shows it."""
    return {
        "id": org.id,
        "name": org.name,
        "stakeholder_type": org.stakeholder_type,
        "country": org.country,
        "itu_membership": org.itu_membership,
    }


def organisation_record(org: Organisation) -> dict[str, Any]:
    """An organisation's full record, as the API shows it and the audit log keeps it: with its other names
    and the fingerprint a change must be sent with."""
    record = {**organisation_dict(org), "other_names": list(org.other_names or [])}
    return {**record, "fingerprint": fingerprint(record)}


def fingerprint(record: dict[str, Any]) -> str:
    """A digest of an organisation's record (its fields but the fingerprint itself)."""
    fields = {k: v for k, v in record.items() if k != "fingerprint"}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


class NameTaken(Conflict):
    """A name (or other name) given to an organisation is already another organisation's: the two are
    perhaps one, to merge. ``other`` is that organisation, ``name`` the name in common."""

    def __init__(self, name: str, other: Organisation):
        super().__init__(f"the name {name!r} is already {other.name!r}'s (organisation {other.id}): merge them instead")
        self.name = name
        self.other = other


def _check_fingerprint(org: Organisation, given: str | None) -> None:
    if given is not None and given != organisation_record(org)["fingerprint"]:
        raise Conflict(f"organisation {org.id} has changed since it was read; reload it and apply your change again")


def name_holder(session: Session, names: Collection[str], but: int | None = None) -> tuple[str, Organisation] | None:
    """The first of these names that is another organisation's name or other name (ignoring case and runs
    of blanks), with that organisation; organisation ``but`` does not count."""
    others = _other_name_keys(session)
    for name in names:
        key = name_key(name)
        holder = session.scalar(select(Organisation).where(Organisation.name_key == key, Organisation.id != but))
        if holder is None and others.get(key) not in (None, but):
            holder = session.get(Organisation, others[key])
        if holder is not None:
            return name, holder
    return None


def _renamed(session: Session, org: Organisation) -> None:
    """Search again under an organisation's new name: the search text of the pledges naming it (a derived
    column, written without a new version of the pledge)."""
    partner_of = select(PledgePartner.pledge_id).where(PledgePartner.organisation_id == org.id)
    naming = select(Pledge).where(or_(Pledge.pledger_id == org.id, Pledge.id.in_(partner_of)))
    for p in session.scalars(naming):
        partners = [pp.organisation.name for pp in p.partners]
        text = search_text(p.title, p.description, p.pledger.name, partners, p.event)
        session.execute(update(Pledge).where(Pledge.id == p.id).values(search_text=text))


def update_organisation(
    session: Session, organisation_id: int, changes: dict[str, Any], seen: str | None, actor: str
) -> Organisation:
    """Correct an organisation (name, other names, stakeholder type, country, ITU membership) read with
    fingerprint ``seen``: :class:`Conflict` when it changed since, :class:`NameTaken` when a name is another
    organisation's, :class:`Invalid` for a bad value; the audit log keeps the record before and after."""
    org = get_organisation(session, organisation_id)
    _check_fingerprint(org, seen)
    before = organisation_record(org)
    current = {k: v for k, v in before.items() if k not in ("id", "fingerprint")}
    try:
        data = OrganisationFields.model_validate({**current, **changes})
    except ValidationError as exc:
        raise Invalid(format_validation_error(exc)) from exc
    taken = name_holder(session, [data.name, *data.other_names], but=org.id)
    if taken is not None:
        raise NameTaken(*taken)
    renamed = data.name != org.name
    org.name = data.name
    org.name_key = name_key(data.name)
    org.other_names = list(data.other_names)
    org.stakeholder_type = data.stakeholder_type
    org.country = data.country
    org.itu_membership = data.itu_membership
    after = organisation_record(org)
    if after == before:
        return org
    session.flush()
    if renamed:
        _renamed(session, org)
    audit.record(session, actor, "update", "organisation", str(org.id), before, after)
    pledged = select(Pledge.id).where(Pledge.pledger_id == org.id)
    partnered = select(PledgePartner.pledge_id).where(PledgePartner.organisation_id == org.id)
    bump_revision(session, set(session.scalars(pledged)) | set(session.scalars(partnered)))
    return org


@dataclass(frozen=True)
class MergePlan:
    """What merging organisation ``merged`` into ``kept`` moves: pledges made, partnerships (and those
    dropped because the pledge names the kept one already, or is its own), pledger accounts (and those
    already acting for the kept one), and the names the kept one gains."""

    kept: Organisation
    merged: Organisation
    pledges: list[Pledge]
    partner_pledges: list[Pledge]
    partnerships_dropped: int
    memberships_moved: int
    memberships_dropped: int
    names_added: list[str]

    def counts(self) -> dict[str, int]:
        """How much moves, as the merge's audit entry and the API give it."""
        return {
            "pledges_moved": len(self.pledges),
            "partnerships_moved": len(self.partner_pledges) - self.partnerships_dropped,
            "partnerships_dropped": self.partnerships_dropped,
            "pledgers_moved": self.memberships_moved,
        }


def merge_plan(session: Session, kept_id: int, merged_id: int) -> MergePlan:
    """What merging organisation ``merged_id`` into ``kept_id`` would move; :class:`Invalid` for an
    organisation merged into itself."""
    if kept_id == merged_id:
        raise Invalid("an organisation cannot be merged into itself: choose two different organisations")
    kept, merged = get_organisation(session, kept_id), get_organisation(session, merged_id)
    pledges = list(session.scalars(select(Pledge).where(Pledge.pledger_id == merged.id).order_by(Pledge.id)))
    partner_of = select(PledgePartner.pledge_id).where(PledgePartner.organisation_id == merged.id)
    partner_pledges = list(session.scalars(select(Pledge).where(Pledge.id.in_(partner_of)).order_by(Pledge.id)))
    dropped = sum(
        1
        for p in partner_pledges
        if p.pledger_id in (kept.id, merged.id) or any(pp.organisation_id == kept.id for pp in p.partners)
    )
    members = set(session.scalars(select(Membership.user_id).where(Membership.organisation_id == merged.id)))
    already = set(session.scalars(select(Membership.user_id).where(Membership.organisation_id == kept.id)))
    names = other_names([merged.name, *(merged.other_names or [])], kept.name)
    known = {name_key(n) for n in kept.other_names or []}
    return MergePlan(
        kept, merged, pledges, partner_pledges, dropped, len(members - already), len(members & already),
        [n for n in names if name_key(n) not in known],
    )  # fmt: skip


def merge_organisations(
    session: Session,
    kept_id: int,
    merged_id: int,
    actor: str,
    *,
    seen: str | None = None,
    merged_seen: str | None = None,
) -> MergePlan:
    """Merge organisation ``merged_id`` into ``kept_id``, in the caller's transaction: its pledges (as
    pledger and as partner) and its pledgers' accounts move to the kept one, its names become other names
    of the kept one, and it is deleted. One audit entry keeps both records; each pledge moved gets a new
    version. ``seen`` and ``merged_seen`` are the fingerprints the two were read with (a stale one is a
    :class:`Conflict`)."""
    plan = merge_plan(session, kept_id, merged_id)
    kept, merged = plan.kept, plan.merged
    _check_fingerprint(kept, seen)
    _check_fingerprint(merged, merged_seen)
    before = {"kept": organisation_record(kept), "merged": organisation_record(merged)}
    touched = {p.id: p for p in [*plan.pledges, *plan.partner_pledges]}
    old = {ref: pledge_dict(p) for ref, p in ((p.reference, p) for p in touched.values())}
    for p in plan.pledges:
        p.pledger = kept
    for p in touched.values():
        own = p.pledger is kept  # an organisation is not a partner of its own pledge
        partners = [
            pp for pp in p.partners if pp.organisation_id != merged.id and not (own and pp.organisation_id == kept.id)
        ]
        if not own and all(pp.organisation_id != kept.id for pp in partners) and len(partners) < len(p.partners):
            partners.append(PledgePartner(organisation=kept))
        p.partners = partners
        names = [pp.organisation.name for pp in partners]
        p.search_text = search_text(p.title, p.description, p.pledger.name, names, p.event)
        p.updated_at = utcnow()  # a new version: an edit begun before the merge is refused as stale
    session.flush()
    already = select(Membership.user_id).where(Membership.organisation_id == kept.id)
    session.execute(delete(Membership).where(Membership.organisation_id == merged.id, Membership.user_id.in_(already)))
    session.execute(update(Membership).where(Membership.organisation_id == merged.id).values(organisation_id=kept.id))
    kept.other_names = [*(kept.other_names or []), *plan.names_added]
    session.delete(merged)
    session.flush()
    session.expire_all()  # accounts' memberships were changed by statements, not through the objects
    for p in touched.values():
        audit.record(session, actor, "merge", "pledge", p.reference, old[p.reference], pledge_dict(p))
    after = {"kept": organisation_record(kept), "merged_id": merged_id, **plan.counts()}
    audit.record(session, actor, "merge", "organisation", str(kept.id), before, after)
    bump_revision(session)
    return plan


# ---------------------------------------------------------------- money


@dataclass(frozen=True)
class UsdValue:
    """A pledge's value in USD, the rate it was converted at (and that rate's date), and whether the
    pledger stated it or it was converted (``origin``); all None when it has no USD value."""

    value_usd: float | None
    rate: float | None
    rate_date: dt.date | None
    origin: str | None


def exchange_rates(session: Session) -> dict[tuple[str, int], float]:
    """The loaded rate table: (currency, year) → USD per unit."""
    rows = session.execute(select(ExchangeRateRow.currency, ExchangeRateRow.year, ExchangeRateRow.usd_per_unit))
    return {(c, y): r for c, y, r in rows}


def usd_value(data: PledgeFields, rates: dict[tuple[str, int], float]) -> UsdValue:
    """The pledge's USD value: stated by the pledger, else converted with the loaded annual rate of the
    announcement year (else the start year); a value with no rate for its year stays unconverted."""
    amount, currency, stated = data.value, data.currency, data.value_usd
    if stated is not None:
        rate = 1.0 if currency == "USD" else (stated / amount if amount else None)
        return UsdValue(stated, rate, None, "stated")
    year = rate_year(data)
    rate = rates.get((currency, year)) if amount is not None and currency and year else None
    if amount is None or rate is None or year is None:
        return UsdValue(None, None, None, None)
    return UsdValue(round(amount * rate, 2), rate, dt.date(year, 12, 31), "converted")


# ---------------------------------------------------------------- references


def next_reference(session: Session, year: int) -> str:
    """The first free reference of a year's numbering (``P2C-2024-00042``)."""
    prefix = f"P2C-{year}-"
    last = session.scalar(select(func.max(Pledge.reference)).where(Pledge.reference.like(prefix + "%")))
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:05d}"


def pledge_year(announced_on: dt.date | None) -> int:
    """The year in a generated reference: of the announcement, else of registration."""
    return (announced_on or dt.date.today()).year


def rate_year(data: PledgeFields) -> int | None:
    """The year whose exchange rate converts a pledge: of the announcement, else its start year."""
    return data.announced_on.year if data.announced_on else data.start_year


# ---------------------------------------------------------------- pledges


def get_pledge(session: Session, ref: str) -> Pledge:
    """The pledge of that reference, in whatever review state; :class:`NotFound` when there is none."""
    pledge = session.scalar(select(Pledge).where(Pledge.reference == ref))
    if pledge is None:
        raise NotFound(f"no pledge {ref!r}")
    return pledge


def visible_pledge(session: Session, ref: str, principal: Principal) -> Pledge:
    """The pledge of that reference, as ``principal`` may see it: a pledge not yet published (or no longer)
    is not found for those who may not read it (``observatory.auth`` decides)."""
    pledge = get_pledge(session, ref)
    if pledge.review_state != "published" and not can(principal, Action.READ_UNPUBLISHED, pledge.pledger_id):
        raise NotFound(f"no pledge {ref!r}")
    return pledge


def review_queue(session: Session, limit: int) -> list[Pledge]:
    """The pledges waiting for the secretariat's decision, the longest waiting first (at most ``limit``)."""
    waiting = select(Pledge).where(Pledge.review_state == "submitted").order_by(Pledge.updated_at, Pledge.id)
    return list(session.scalars(waiting.limit(limit)))


def pledges_of(session: Session, organisation_ids: Collection[int]) -> list[Pledge]:
    """Every pledge these organisations made, in every review state, the most recently changed first."""
    if not organisation_ids:
        return []
    query = select(Pledge).where(Pledge.pledger_id.in_(organisation_ids))
    return list(session.scalars(query.order_by(Pledge.updated_at.desc(), Pledge.id.desc())))


def _newest(session: Session, query: Select[Pledge], limit: int) -> tuple[list[Pledge], int]:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    newest = query.order_by(Pledge.announced_on.desc().nulls_last(), Pledge.reference.desc()).limit(limit)
    return list(session.scalars(newest)), total


def organisation_pledges(
    session: Session, organisation_id: int, include_unpublished: bool, limit: int
) -> tuple[list[Pledge], int]:
    """The newest pledges an organisation made as pledger (at most ``limit``, the last announced first)
    and how many it made: the published ones, or all of them for those who may read its unpublished ones."""
    query = select(Pledge).where(Pledge.pledger_id == organisation_id)
    if not include_unpublished:
        query = query.where(Pledge.review_state == "published")
    return _newest(session, query, limit)


def partner_pledges(
    session: Session, organisation_id: int, unpublished_of: Collection[int] | None, limit: int
) -> tuple[list[Pledge], int]:
    """The newest pledges naming an organisation as partner (at most ``limit``, the last announced first) and
    how many there are: the published ones, and those not published whose pledger is one of
    ``unpublished_of`` (``None``: every pledger's)."""
    partner_of = select(PledgePartner.pledge_id).where(PledgePartner.organisation_id == organisation_id)
    query = select(Pledge).where(Pledge.id.in_(partner_of))
    if unpublished_of is not None:
        readable = [Pledge.review_state == "published"]
        if unpublished_of:
            readable.append(Pledge.pledger_id.in_(unpublished_of))
        query = query.where(or_(*readable))
    return _newest(session, query, limit)


def public_pledge(p: Pledge) -> dict[str, Any]:
    """A pledge as the API and the JSON twins show it: its public record and its reporting health."""
    return {**pledge_dict(p), "reporting_health": reporting_health(p)}


def search_text(title: str, description: str, pledger: str, partners: list[str], event: str) -> str:
    """What full-text search looks in: a pledge's title, description, pledger, partners and event."""
    return " ".join(part for part in (title, description, pledger, *partners, event) if part)


def pledge_dict(p: Pledge) -> dict[str, Any]:
    """The full public record of a pledge, as the API shows it and the audit log keeps it."""
    focus_areas, pillars = in_taxonomy_order([f.focus_area for f in p.focus_areas], [x.pillar for x in p.pillars])
    return {
        "reference": p.reference,
        "pledger": organisation_dict(p.pledger),
        "partners": sorted((pp.organisation.name for pp in p.partners), key=str.casefold),
        "title": p.title,
        "description": p.description,
        "language": p.language,
        "pledge_type": p.pledge_type,
        "focus_areas": focus_areas,
        "pillars": pillars,
        "target_countries": [c.country for c in p.countries],
        "value": p.value_amount,
        "currency": p.currency,
        "value_usd": p.value_usd,
        "usd_rate": p.usd_rate,
        "usd_rate_date": p.usd_rate_date.isoformat() if p.usd_rate_date else None,
        "usd_origin": p.usd_origin,
        "start_year": p.start_year,
        "end_year": p.end_year,
        "announced_on": p.announced_on.isoformat() if p.announced_on else None,
        "event": p.event,
        "status": p.status,
        "sdgs": list(p.sdgs),
        "beneficiary_groups": list(p.beneficiary_groups),
        "source_url": p.source_url,
        "review_state": p.review_state,
        "review_note": p.review_note,
        "synthetic": p.synthetic,
        "version": p.version,
    }


def editable_fields(p: Pledge) -> dict[str, Any]:
    """The pledge as a ``PledgeFields`` input, so a partial change can be validated as a whole."""
    d = pledge_dict(p)
    if p.usd_origin != "stated" or p.currency == "USD":
        d["value_usd"] = None  # derived again from the value (USD) or the rate table, not kept as if stated
    keys = PledgeFields.model_fields.keys()
    return {k: d[k] for k in keys if k in d}


def _apply_fields(session: Session, pledge: Pledge, data: PledgeFields, actor: str) -> None:
    partners = [organisation_for(session, n, actor) for n in data.partners]  # queries first: one UPDATE, one version
    usd = usd_value(data, exchange_rates(session))
    pledge.title = data.title
    pledge.description = data.description
    pledge.language = data.language
    pledge.pledge_type = data.pledge_type
    pledge.value_amount = data.value
    pledge.currency = data.currency
    pledge.value_usd = usd.value_usd
    pledge.usd_rate = usd.rate
    pledge.usd_rate_date = usd.rate_date
    pledge.usd_origin = usd.origin
    pledge.start_year = data.start_year
    pledge.end_year = data.end_year
    pledge.announced_on = data.announced_on
    pledge.event = data.event
    pledge.status = data.status
    pledge.sdgs = list(data.sdgs)
    pledge.beneficiary_groups = list(data.beneficiary_groups)
    pledge.source_url = data.source_url
    pledge.focus_areas = [PledgeFocusArea(focus_area=f) for f in data.focus_areas]
    pledge.pillars = [PledgePillar(pillar=x) for x in data.pillars]
    pledge.countries = [PledgeCountry(country=c) for c in data.target_countries]
    pledge.partners = [PledgePartner(organisation=o) for o in partners]
    pledge.search_text = search_text(data.title, data.description, pledge.pledger.name, data.partners, data.event)
    pledge.updated_at = utcnow()


# How many times a generated reference is tried again when a concurrent registration took it first.
REFERENCE_TRIES = 5


def create_pledge(session: Session, data: PledgeIn, actor: str) -> Pledge:
    """Register a pledge; its reference is generated when absent (the next free one, tried again when another
    registration running at the same time took it first)."""
    ref = data.reference or next_reference(session, pledge_year(data.announced_on))
    if session.scalar(select(Pledge.id).where(Pledge.reference == ref)) is not None:
        raise Conflict(f"pledge {ref} already exists")
    pledger = upsert_organisation(session, data.pledger, actor)
    pledge = Pledge(reference=ref, pledger=pledger, review_state=data.review_state, synthetic=data.synthetic)
    _apply_fields(session, pledge, data, actor)
    for attempt in range(REFERENCE_TRIES):
        try:
            with session.begin_nested():  # a savepoint: a reference taken meanwhile undoes only this insert
                session.add(pledge)
                session.flush()
            break
        except IntegrityError as e:
            if data.reference or attempt == REFERENCE_TRIES - 1 or "reference" not in str(e.orig).lower():
                raise Conflict(f"pledge {ref} already exists") from None
            ref = next_reference(session, pledge_year(data.announced_on))
            pledge.reference = ref
    audit.record(session, actor, "create", "pledge", ref, None, pledge_dict(pledge))
    bump_revision(session, [pledge.id])
    return pledge


def _check_version(kind: str, key: str, current: int, given: int) -> None:
    if current != given:
        raise Conflict(
            f"{kind} {key} has changed since version {given} (now version {current}); "
            "reload it and apply your change again"
        )


def update_pledge(session: Session, ref: str, version: int, changes: dict[str, Any], actor: str) -> Pledge:
    """Apply ``changes`` to a pledge last seen at ``version``; a stale version is refused."""
    pledge = get_pledge(session, ref)
    _check_version("pledge", ref, pledge.version, version)
    before = pledge_dict(pledge)
    changes = dict(changes)
    new_state = changes.pop("review_state", None)
    review_note = changes.pop("review_note", None)
    pledger = changes.pop("pledger", None)
    current, data = _as_changed(pledge, changes)
    try:
        org = OrganisationIn.model_validate(pledger) if pledger is not None else None
    except ValidationError as exc:
        raise Invalid(format_validation_error(exc)) from exc
    moved = org is not None and name_key(org.name) != pledge.pledger.name_key
    if org is not None and moved:
        pledge.pledger = upsert_organisation(session, org, actor)
    if moved or data != current:
        _apply_fields(session, pledge, data, actor)
    if new_state is not None and new_state != pledge.review_state:
        _move(pledge, new_state)
    if review_note is not None:
        pledge.review_note = str(review_note)
    after = pledge_dict(pledge)
    if after == before:
        return pledge
    pledge.updated_at = utcnow()
    session.flush()
    after["version"] = pledge.version
    audit.record(session, actor, "update", "pledge", ref, before, after)
    bump_revision(session, [pledge.id])
    return pledge


def _as_changed(pledge: Pledge, changes: dict[str, Any]) -> tuple[PledgeFields, PledgeFields]:
    """The pledge's fields as they are and as ``changes`` would make them, each validated as a whole."""
    unknown = set(changes) - set(PledgeFields.model_fields)
    if unknown:
        raise Invalid(f"cannot change {', '.join(sorted(unknown))}")
    try:
        current = PledgeFields.model_validate(editable_fields(pledge))
        data = PledgeFields.model_validate({**editable_fields(pledge), **changes})
    except ValidationError as exc:
        raise Invalid(format_validation_error(exc)) from exc
    return current, data


def would_change(session: Session, ref: str, changes: dict[str, Any]) -> bool:
    """Whether ``update_pledge`` with these field ``changes`` would change the pledge, without writing
    anything; :class:`Invalid` when the changed pledge would not be valid."""
    current, data = _as_changed(get_pledge(session, ref), changes)
    return data != current


def _move(pledge: Pledge, state: str) -> None:
    if state not in REVIEW_TRANSITIONS:
        raise Invalid(f"unknown review state {state!r}")
    if state not in REVIEW_TRANSITIONS[pledge.review_state]:
        raise Invalid(f"a {pledge.review_state} pledge cannot become {state}")
    pledge.review_state = state


def withdraw_pledge(session: Session, ref: str, version: int, reason: str, actor: str) -> Pledge:
    """Withdraw a pledge: it stays on record, out of every count."""
    return update_pledge(session, ref, version, {"review_state": "withdrawn", "review_note": reason}, actor)


# ---------------------------------------------------------------- progress reports


def reporting_health(pledge: Pledge, today: dt.date | None = None) -> str:
    """Green: last report under 12 months old; amber: 12–24 months; red: older or never, once the
    pledge is over a year old (from its announcement, else its start year, else its registration);
    ``not_due`` for a younger pledge with no report yet."""
    today = today or dt.date.today()
    last = max((r.filed_on for r in pledge.reports), default=None)
    if last is None:
        start = pledge.announced_on or (
            dt.date(pledge.start_year, 1, 1) if pledge.start_year else pledge.created_at.date()
        )
        return "red" if _months(start, today) >= 12 else "not_due"
    months = _months(last, today)
    return "green" if months < 12 else "amber" if months <= 24 else "red"


DAYS_PER_MONTH = 30.4375


def _months(start: dt.date, end: dt.date) -> float:
    return (end - start).days / DAYS_PER_MONTH


def count_by_review_state(session: Session) -> dict[str, int]:
    """How many pledges the registry holds in each review state."""
    rows = session.execute(select(Pledge.review_state, func.count()).group_by(Pledge.review_state))
    return {state: n for state, n in rows}


def history(session: Session, ref: str) -> list[AuditEntry]:
    """Every change of a pledge and of its progress reports, from the audit log, the oldest first."""
    keys = select(AuditEntry).where((AuditEntry.entity_key == ref) | AuditEntry.entity_key.like(ref + "/%"))
    return list(session.scalars(keys.order_by(AuditEntry.id)))


def format_validation_error(exc: ValidationError, gettext: Callable[[str], str] = str, language: str = "en") -> str:
    """Every validation error as one line of sentences, each naming its field (in English unless ``gettext``
    and ``language`` say otherwise)."""
    out = []
    for e in exc.errors():
        field = ".".join(str(x) for x in e["loc"]) or "record"
        sentence = error_message(e, gettext, field, str(e["loc"][0]) if e["loc"] else "", language)
        out.append(sentence if names_field(e) else f"{field}: {sentence}")
    return " ".join(out)


def clean_message(msg: str) -> str:
    """A validation message without pydantic's prefix (``Value error, …``)."""
    return clean(msg)
