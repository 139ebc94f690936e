"""Selecting pledges: the filters every list, summary and export shares, sorting and pagination, worked
out on the pledge index; the pledges themselves are then read from the database by id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory import reference
from observatory.pledges.index import BoolArray, PledgeIndex, order, pledge_index, search_ids
from observatory.pledges.models import Pledge
from observatory.reference import Area

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
    announced_by: dt.date | None = None  # announced on or before this day (pledges without a date left out)
    organisation: list[int] = field(default_factory=list)  # as pledger or as partner
    pledger: list[int] = field(default_factory=list)  # as pledger only
    health: list[str] = field(default_factory=list)
    review_state: list[str] = field(default_factory=lambda: ["published"])

    def is_default(self) -> bool:
        """Whether the filter selects what an unfiltered list shows: every published pledge."""
        return self == PledgeFilter()


def selection(session: Session, f: PledgeFilter) -> tuple[PledgeIndex, BoolArray]:
    """The pledge index and which of its pledges the filter selects."""
    index = pledge_index(session)
    n = index.size
    mask = index.single["review_state"].matching(f.review_state) if f.review_state else np.ones(n, np.bool_)
    if f.q.strip():
        mask &= np.isin(index.ids, search_ids(session, f.q))
    for name in ("focus_area", "pillar"):
        if wanted := getattr(f, name):
            mask &= index.many[name].touching(wanted, n)
    for name, values in (("country", [reference.country_code(c) or c for c in f.country]), ("region", f.region)):
        if values:
            hit = index.many[name].touching(values, n)
            if "global" in values:
                hit |= ~index.many["country"].linked(n)
            mask &= hit
    if f.country_group:
        mask &= index.many["country_group"].touching(f.country_group, n)
    for name in ("stakeholder_type", "pledge_type", "status"):
        if wanted := getattr(f, name):
            mask &= index.single[name].matching(wanted)
    if f.year:
        mask &= index.single["year"].matching(str(y) for y in f.year)
    if f.announced_by is not None:
        with np.errstate(invalid="ignore"):
            mask &= index.sort_keys["announced_on"] <= f.announced_by.toordinal()
    if f.organisation:
        mask &= index.many["organisation"].touching((str(o) for o in f.organisation), n)
    if f.pledger:
        mask &= index.single["pledger"].matching(str(o) for o in f.pledger)
    if f.health:
        mask &= index.health().matching(f.health)
    return index, mask


@dataclass
class Page:
    """One page of a list of pledges, and how many pledges the whole list holds."""

    items: list[Pledge]
    total: int
    page: int
    per_page: int


def _load(session: Session, ids: list[int]) -> list[Pledge]:
    by_id = {p.id: p for p in session.scalars(select(Pledge).where(Pledge.id.in_(ids)))}
    return [by_id[i] for i in ids]


def list_pledges(
    session: Session, f: PledgeFilter, sort: str = "-announced_on", page: int = 1, per_page: int = 50
) -> Page:
    """One page of the pledges matching ``f``, in the order ``sort`` names (``-`` for descending)."""
    index, mask = selection(session, f)
    positions = order(index, mask, sort)[(page - 1) * per_page : page * per_page]
    return Page(_load(session, [int(i) for i in index.ids[positions]]), int(mask.sum()), page, per_page)


def iter_pledges(session: Session, f: PledgeFilter, sort: str = "reference", chunk: int = 500) -> Iterator[Pledge]:
    """Every pledge matching ``f`` in ``sort`` order, read in chunks (for exports)."""
    index, mask = selection(session, f)
    ids = [int(i) for i in index.ids[order(index, mask, sort)]]
    for start in range(0, len(ids), chunk):
        yield from _load(session, ids[start : start + chunk])


def area_selection(area: Area) -> PledgeFilter | None:
    """The pledges touching an area: a country's by target country, a UN group's by country group, an ITU
    region's by region, every pledge for the world. None for the areas the registry does not count pledges
    by (income groups, published aggregates, registry codes)."""
    if area.kind == "country":
        return PledgeFilter(country=[area.code])
    if area.kind == "un_group":
        return PledgeFilter(country_group=[area.code])
    if area.kind == "itu_region":
        return PledgeFilter(region=[area.code])
    if area.kind == "world":
        return PledgeFilter()
    return None
