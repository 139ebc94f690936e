"""Selecting pledges: the filters every list, summary and export shares, full-text search, sorting and
pagination. The filters are SQL built from bound parameters only."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from typing import Literal

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from observatory import reference
from observatory.pledges.models import (
    Organisation,
    Pledge,
    PledgeCountry,
    PledgeFocusArea,
    PledgePartner,
    PledgePillar,
)
from observatory.reference.models import GroupMembershipRow

SORTS = {
    "announced_on": Pledge.announced_on,
    "value_usd": Pledge.value_usd,
    "reference": Pledge.reference,
    "title": Pledge.title,
    "updated_at": Pledge.updated_at,
}
SortKey = Literal[
    "announced_on", "-announced_on", "value_usd", "-value_usd", "reference", "-reference",
    "title", "-title", "updated_at", "-updated_at",
]  # fmt: skip


@dataclass
class PledgeFilter:
    """What to select; each list is a choice of values (any of them), and all the lists must hold."""

    q: str = ""
    focus_area: list[str] = field(default_factory=list)
    pillar: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    country_group: list[str] = field(default_factory=list)
    stakeholder_type: list[str] = field(default_factory=list)
    pledge_type: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    year: list[int] = field(default_factory=list)
    organisation: list[int] = field(default_factory=list)
    review_state: list[str] = field(default_factory=lambda: ["published"])

    def is_default(self) -> bool:
        return self == PledgeFilter()

    def query_params(self) -> dict[str, list[str]]:
        """The filter as URL query parameters (what a shareable link carries)."""
        out: dict[str, list[str]] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "q":
                if value:
                    out["q"] = [value]
            elif f.name == "review_state":
                if value != ["published"]:
                    out[f.name] = [str(v) for v in value]
            elif value:
                out[f.name] = [str(v) for v in value]
        return out


def _linked(
    column: InstrumentedAttribute[int], values: list[str], value_column: InstrumentedAttribute[str]
) -> ColumnElement[bool]:
    return Pledge.id.in_(select(column).where(value_column.in_(values)))


def _countries(values: list[str]) -> ColumnElement[bool]:
    codes = [c for c in values if c != "global"]
    clauses: list[ColumnElement[bool]] = []
    if codes:
        clauses.append(_linked(PledgeCountry.pledge_id, codes, PledgeCountry.country))
    if "global" in values:
        clauses.append(~exists().where(PledgeCountry.pledge_id == Pledge.id))
    return or_(*clauses)


def _groups(values: list[str]) -> ColumnElement[bool]:
    """Pledges with a target in one of the groups, membership as of the announcement date."""
    day = func.coalesce(Pledge.announced_on, dt.date.today())
    m = GroupMembershipRow
    return exists().where(
        PledgeCountry.pledge_id == Pledge.id,
        m.country == PledgeCountry.country,
        m.group.in_(values),
        or_(m.since.is_(None), m.since <= day),
        or_(m.until.is_(None), m.until > day),
    )


def _years(values: list[int]) -> ColumnElement[bool]:
    return or_(*[Pledge.announced_on.between(dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in values])


def _search(session: Session, q: str) -> ColumnElement[bool]:
    """Every word must match, the last one also as a prefix (search as you type). Only word characters
    reach the search engine's query language, as a bound parameter."""
    words = re.findall(r"\w+", q)
    if not words:
        return Pledge.id.is_(None)
    if session.get_bind().dialect.name == "sqlite":
        match = " ".join(f'"{w}"' for w in words) + "*"
        fts = text("SELECT rowid FROM pledge_fts WHERE pledge_fts MATCH :fts").bindparams(fts=match)
        return Pledge.id.in_(fts)
    query = " & ".join(words) + ":*"
    return func.to_tsvector("simple", Pledge.search_text).op("@@")(func.to_tsquery("simple", query))


def clauses(session: Session, f: PledgeFilter) -> list[ColumnElement[bool]]:
    """The SQL conditions for a filter."""
    out: list[ColumnElement[bool]] = []
    if f.review_state:
        out.append(Pledge.review_state.in_(f.review_state))
    if f.q.strip():
        out.append(_search(session, f.q))
    if f.focus_area:
        out.append(_linked(PledgeFocusArea.pledge_id, f.focus_area, PledgeFocusArea.focus_area))
    if f.pillar:
        out.append(_linked(PledgePillar.pledge_id, f.pillar, PledgePillar.pillar))
    if f.country:
        out.append(_countries([reference.country_code(c) or c for c in f.country]))
    if f.region:
        codes = [c.alpha3 for c in reference.countries().values() if c.itu_region in f.region]
        out.append(_countries(codes + (["global"] if "global" in f.region else [])))
    if f.country_group:
        out.append(_groups(f.country_group))
    if f.stakeholder_type:
        orgs = select(Organisation.id).where(Organisation.stakeholder_type.in_(f.stakeholder_type))
        out.append(Pledge.pledger_id.in_(orgs))
    if f.pledge_type:
        out.append(Pledge.pledge_type.in_(f.pledge_type))
    if f.status:
        out.append(Pledge.status.in_(f.status))
    if f.year:
        out.append(_years(f.year))
    if f.organisation:
        partners = select(PledgePartner.pledge_id).where(PledgePartner.organisation_id.in_(f.organisation))
        out.append(or_(Pledge.pledger_id.in_(f.organisation), Pledge.id.in_(partners)))
    return out


def select_pledges(session: Session, f: PledgeFilter) -> Select[Pledge]:
    return select(Pledge).where(and_(*clauses(session, f)))


def matching_ids(session: Session, f: PledgeFilter) -> list[int]:
    return list(session.scalars(select(Pledge.id).where(and_(*clauses(session, f)))))


@dataclass
class Page:
    items: list[Pledge]
    total: int
    page: int
    per_page: int


def list_pledges(
    session: Session, f: PledgeFilter, sort: str = "-announced_on", page: int = 1, per_page: int = 50
) -> Page:
    """One page of the pledges matching ``f``, in the order ``sort`` names (``-`` for descending)."""
    key = sort.lstrip("-")
    if key not in SORTS:
        raise ValueError(f"unknown sort {sort!r} (one of {', '.join(SORTS)})")
    column = SORTS[key]
    order = column.desc().nulls_last() if sort.startswith("-") else column.asc().nulls_last()
    where = and_(*clauses(session, f))
    total = session.scalar(select(func.count()).select_from(Pledge).where(where)) or 0
    rows = session.scalars(
        select(Pledge).where(where).order_by(order, Pledge.id).limit(per_page).offset((page - 1) * per_page)
    )
    return Page(list(rows), total, page, per_page)
