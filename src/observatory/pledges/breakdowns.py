"""Pledge totals and breakdowns without double counting, with the value attributed to any selection.

Counting rules:
- only published pledges count; a total counts each pledge once;
- every figure about a selection of pledges comes in two: the *full value* (``value_usd``) of the
  pledges the selection touches, and the *attributed value* (``value_usd_attributed``), the part of their
  value that falls on the selection:
  - geography (target countries, ITU regions, country groups): a pledge's value is split equally over its
    target countries; the attributed part is that of its targets meeting every geographic criterion of the
    selection (a group's membership as of the pledge's announcement date); a pledge without target
    countries is global and counts whole;
  - themes: the part of the pledge's pillars that are chosen when pillars are chosen, else the part of its
    focus areas that are chosen;
  - single-valued criteria (type of pledger, type of pledge, status, year, organisation, text) count whole;
- a breakdown of a selection splits its attributed value, so the rows of a breakdown over a dimension
  that partitions pledges (focus area, pillar, target country, ITU region, and the single-valued ones) add
  up to the selection's attributed value; country groups overlap, so theirs need not;
  - focus areas and pillars split a pledge's attributed part equally over those of its focus areas
    (pillars) the selection allows (a chosen pillar allows its focus area, a chosen focus area its
    pillars); pledges with none are ``unspecified``;
  - target countries and regions split it as the target countries do; pledges without targets are
    ``global``;
- the same rules apply to the USD committed and disbursed that published progress reports record;
- amounts are rounded to the cent per pledge (per pledge and group in a breakdown) before they are
  added, so the explorer's CSV column ``value_usd_attributed`` adds up to the page's figure exactly and a
  breakdown's rows add up to it within a cent per pledge;
- a pledge with an amount but no USD value (no stated value, no rate for its year) is counted as a
  pledge, left out of USD sums and reported in ``unconverted_pledges``.

The counting runs on the pledge index (``observatory.pledges.index``), a few vectorised operations
however many pledges there are.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory import reference
from observatory.pledges.index import HEALTH, BoolArray, FloatArray, IntArray, Links, PledgeIndex, among
from observatory.pledges.models import Pledge
from observatory.pledges.query import PledgeFilter, selection

By = Literal[
    "focus_area", "pillar", "country", "region", "country_group",
    "stakeholder_type", "pledge_type", "status", "year",
]  # fmt: skip
BY_VALUES: tuple[str, ...] = get_args(By)


def _label(by: str, key: str) -> str:
    if by == "country":
        c = reference.countries().get(key)
        return c.name_en if c else key
    if by == "region":
        return reference.ITU_REGIONS.get(key, (key,))[0]
    if by == "focus_area":
        return reference.focus_areas().get(key, (key,))[0]
    if by == "pillar":
        p = reference.pillars().get(key)
        return p.name_en if p else key
    if by == "country_group":
        return reference.COUNTRY_GROUPS[key][0]
    return key.replace("_", " ").capitalize()


def _cents(usd: FloatArray) -> FloatArray:
    """USD amounts rounded to whole cents (as floats: exact up to USD 90 trillion). A stored value too large
    for cents (only reachable by writing the database directly: money is bounded on input) becomes infinite,
    which every page shows as "–"."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.rint(usd * 100.0)


def _usd(cents: float) -> float:
    return round(float(cents) / 100.0, 2)


@dataclass(frozen=True)
class Attribution:
    """Which pledges a selection takes and which part of each pledge's value falls on it."""

    index: PledgeIndex
    mask: BoolArray  # the selected pledges
    geo: FloatArray  # part on the targets meeting every geographic criterion (1 for global pledges)
    theme: FloatArray  # part on the chosen pillars, else the chosen focus areas (1 when none is chosen)
    target: BoolArray | None  # per country link: meets every geographic criterion (None: no criterion)
    focus: BoolArray | None  # per focus-area link: allowed by the chosen themes (None: no theme chosen)
    pillar: BoolArray | None  # per pillar link: allowed by the chosen themes (None: no theme chosen)
    weight: FloatArray = field(init=False)  # part of each pledge's value attributed (0 where not selected)
    value: FloatArray = field(init=False)  # USD value of the selected pledges (0 elsewhere, and where none)
    value_cents: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", np.where(self.mask, self.geo * self.theme, 0.0))
        object.__setattr__(self, "value", self.usd(self.index.value))
        object.__setattr__(self, "value_cents", _cents(self.value))

    def usd(self, amounts: FloatArray) -> FloatArray:
        """Per-pledge amounts of the selected pledges, 0 elsewhere and where there is no USD value."""
        return np.where(self.mask & ~np.isnan(amounts), amounts, 0.0)


def _keys_index(links: Links, wanted: list[str]) -> list[int]:
    index = {k: i for i, k in enumerate(links.keys)}
    return [index[k] for k in wanted if k in index]


def _part(links: Links, chosen: BoolArray, n: int) -> FloatArray:
    """Per pledge, the sum of the shares of its chosen links."""
    return np.bincount(links.pledge[chosen], weights=links.share[chosen], minlength=n).astype(np.float64)


def attribution(session: Session, f: PledgeFilter) -> Attribution:
    """The pledges ``f`` selects and the part of each one's value attributed to it (see the module's rules)."""
    index, mask = selection(session, f)
    n = index.size
    countries = index.many["country"]
    target: BoolArray | None = None
    named = [reference.country_code(c) or c for c in f.country if c != "global"]
    regions = [r for r in f.region if r != "global"]
    if f.country or f.region or f.country_group:
        target = np.ones(len(countries.key), dtype=np.bool_)
        if f.country:
            target &= among(countries.key, _keys_index(countries, named), len(countries.keys))
        if f.region:
            target &= among(
                index.country_region, _keys_index(index.many["region"], regions), len(index.many["region"].keys)
            )
        if f.country_group:
            in_any = np.zeros(len(countries.key), dtype=np.bool_)
            for g in f.country_group:
                if g in index.country_in_group:
                    in_any |= index.country_in_group[g]
            target &= in_any
    linked = countries.linked(n)
    geo = np.where(linked, _part(countries, target, n), 1.0) if target is not None else np.ones(n)

    focus_links, pillar_links = index.many["focus_area"], index.many["pillar"]
    focus_of = {p.code: p.focus_area for p in reference.pillars().values()}
    focus: BoolArray | None = None
    pillar: BoolArray | None = None
    theme = np.ones(n)
    if f.pillar:
        pillar = among(pillar_links.key, _keys_index(pillar_links, f.pillar), len(pillar_links.keys))
        if f.focus_area:
            allowed = [i for i, k in enumerate(pillar_links.keys) if focus_of.get(k) in f.focus_area]
            pillar &= among(pillar_links.key, allowed, len(pillar_links.keys))
        theme = _part(pillar_links, pillar, n)
        # The focus areas of the chosen pillars, pledge by pledge.
        focus_key = {k: i for i, k in enumerate(focus_links.keys)}
        of_pillar = np.array([focus_key.get(focus_of.get(k, ""), -1) for k in pillar_links.keys], dtype=np.int64)
        width = len(focus_links.keys) + 1
        pairs = pillar_links.pledge[pillar] * width + of_pillar[pillar_links.key[pillar]]
        focus = np.isin(focus_links.pledge * width + focus_links.key, pairs)
    elif f.focus_area:
        focus = among(focus_links.key, _keys_index(focus_links, f.focus_area), len(focus_links.keys))
        theme = _part(focus_links, focus, n)
        allowed = [i for i, k in enumerate(pillar_links.keys) if focus_of.get(k) in f.focus_area]
        pillar = among(pillar_links.key, allowed, len(pillar_links.keys))
    return Attribution(index, mask, geo, theme, target, focus, pillar)


def _rows(
    a: Attribution, pledge: IntArray, key: IntArray, keys: list[str], part: FloatArray, *, unique: bool = True
) -> list[tuple[str, int, float, float]]:
    """(key, pledges, full cents, attributed cents) per key from links (pledge, key, part of the pledge's
    value), links of unselected pledges ignored. ``unique``: each (pledge, key) pair appears once (else the
    parts of a pair's links are added first)."""
    usd = a.value
    keep = a.mask[pledge]
    pledge, key, part = pledge[keep], key[keep], part[keep]
    if not unique:
        width = max(len(keys), 1)
        pair, inverse = np.unique(pledge * width + key, return_inverse=True)
        pledge, key = pair // width, pair % width
        part = np.bincount(inverse, weights=part, minlength=len(pair)).astype(np.float64)
    attributed = np.bincount(key, weights=_cents(usd[pledge] * part), minlength=len(keys))
    full = np.bincount(key, weights=a.value_cents[pledge], minlength=len(keys))
    counts = np.bincount(key, minlength=len(keys))
    return [(k, int(counts[i]), float(full[i]), float(attributed[i])) for i, k in enumerate(keys)]


def _rest(a: Attribution, which: BoolArray, key: str, part: FloatArray) -> tuple[str, int, float, float]:
    """One more row for the selected pledges ``which`` (global, unspecified), with their attributed part."""
    rows = a.mask & which
    return key, int(rows.sum()), float(a.value_cents[rows].sum()), float(_cents(a.value[rows] * part[rows]).sum())


def _equal_split(links: Links, chosen: BoolArray, n: int) -> FloatArray:
    """Per link: 1 / the number of chosen links of its pledge (0 where not chosen)."""
    per_pledge = np.bincount(links.pledge[chosen], minlength=n)
    return np.where(chosen, 1.0 / np.maximum(per_pledge[links.pledge], 1), 0.0)


def _breakdown(a: Attribution, by: str) -> list[tuple[str, int, float, float]]:
    index, n = a.index, a.index.size
    weight = a.weight
    if by in index.single:
        single = index.single[by]
        return _rows(a, np.arange(n, dtype=np.int64), single.code, single.keys, weight)
    if by in ("focus_area", "pillar"):
        links = index.many[by]
        allowed = a.focus if by == "focus_area" else a.pillar
        chosen = allowed if allowed is not None else np.ones(len(links.key), dtype=np.bool_)
        split = _equal_split(links, chosen, n)
        part = weight[links.pledge] * split
        rows = _rows(a, links.pledge[chosen], links.key[chosen], links.keys, part[chosen])
        has = np.zeros(n, dtype=np.bool_)
        has[links.pledge[chosen]] = True
        return [*rows, _rest(a, ~has, "unspecified", weight)]
    countries = index.many["country"]
    if a.target is None and by in ("region", "country_group"):
        # No geographic criterion: the index's own links, one per pledge and region (group), serve as they are.
        links = index.many[by]
        rows = _rows(a, links.pledge, links.key, links.keys, a.theme[links.pledge] * links.share)
        if by == "country_group":
            return rows
        return [*rows, _rest(a, ~countries.linked(n), "global", a.theme)]
    chosen = a.target if a.target is not None else np.ones(len(countries.key), dtype=np.bool_)
    part = (a.theme[countries.pledge] * countries.share)[chosen]
    pledge = countries.pledge[chosen]
    if by == "country_group":
        rows = []
        for g, member in index.country_in_group.items():
            inside = member[chosen]
            group = np.zeros(int(inside.sum()), dtype=np.int64)
            rows.append(_rows(a, pledge[inside], group, [g], part[inside], unique=False)[0])
        return rows
    if by == "country":
        rows = _rows(a, pledge, countries.key[chosen], countries.keys, part)
    else:
        rows = _rows(a, pledge, index.country_region[chosen], index.many["region"].keys, part, unique=False)
    return [*rows, _rest(a, ~countries.linked(n), "global", a.theme)]


def totals(a: Attribution) -> dict[str, Any]:
    """A selection's totals: pledges, organisations, full and attributed USD pledged, committed and
    disbursed, the share of the attributed value disbursed, and the pledges left out of USD sums."""
    index, mask, weight = a.index, a.mask, a.weight
    orgs = index.many["organisation"]
    value = a.value
    has_value = mask & ~np.isnan(index.value)
    committed, disbursed = a.usd(index.committed), a.usd(index.disbursed)
    attributed = _cents(value * weight)
    disbursed_valued = _cents(np.where(has_value, disbursed * weight, 0.0)).sum()
    return {
        "pledges": int(mask.sum()),
        "organisations": int(np.count_nonzero(np.bincount(orgs.key[mask[orgs.pledge]], minlength=len(orgs.keys)))),
        "value_usd": _usd(a.value_cents.sum()),
        "value_usd_attributed": _usd(attributed.sum()),
        "committed_usd": _usd(_cents(committed).sum()),
        "committed_usd_attributed": _usd(_cents(committed * weight).sum()),
        "disbursed_usd": _usd(_cents(disbursed).sum()),
        "disbursed_usd_attributed": _usd(_cents(disbursed * weight).sum()),
        "disbursed_share": round(float(disbursed_valued / attributed.sum()), 4) if attributed.sum() else None,
        "reporting_pledges": int((mask & index.reported).sum()),
        "unconverted_pledges": int((mask & index.unconverted).sum()),
        "global_pledges": int((mask & ~index.many["country"].linked(index.size)).sum()),
    }


def attributed_values(session: Session, f: PledgeFilter, ids: Collection[int] | None = None) -> dict[int, float]:
    """The USD value of each pledge ``f`` selects (of ``ids`` only, if given) attributed to the selection, to
    the cent, by pledge id (pledges without a USD value are left out): the explorer's and the API's CSV
    column."""
    a = attribution(session, f)
    has_value = a.mask & ~np.isnan(a.index.value)
    if ids is not None:
        wanted = np.zeros(a.index.size, dtype=np.bool_)
        wanted[np.searchsorted(a.index.ids, np.fromiter(ids, np.int64))] = True
        has_value &= wanted
    cents = _cents(a.value * a.weight)
    return {int(i): _usd(c) for i, c in zip(a.index.ids[has_value], cents[has_value], strict=True)}


def summaries(session: Session, bys: Sequence[str], f: PledgeFilter | None = None) -> dict[str, dict[str, Any]]:
    """:func:`summary` for each breakdown of ``bys``, the selection and its totals worked out once."""
    for by in bys:
        if by not in BY_VALUES:
            raise ValueError(f"unknown breakdown {by!r} (one of {', '.join(BY_VALUES)})")
    f = replace(f) if f is not None else PledgeFilter()
    f.review_state = ["published"]
    a = attribution(session, f)
    total = totals(a)
    out = {}
    for by in bys:
        rows = [r for r in _breakdown(a, by) if r[1] > 0]
        rows.sort(key=(lambda r: r[0]) if by == "year" else (lambda r: (-r[3], -r[1], r[0])))
        groups = [
            {"key": k, "label": _label(by, k), "pledges": c, "value_usd": _usd(full), "value_usd_attributed": _usd(v)}
            for k, c, full, v in rows
        ]
        out[by] = {"by": by, "total": dict(total), "groups": groups}
    return out


def summary(session: Session, by: str, f: PledgeFilter | None = None) -> dict[str, Any]:
    """Totals and the breakdown ``by`` one dimension of the published pledges matching ``f``, with the
    value attributed to the selection (see the module's counting rules)."""
    return summaries(session, [by], f)[by]


def reporting_record(session: Session, organisation_id: int) -> dict[str, int]:
    """How many of an organisation's published pledges (as pledger) are in each reporting health (green,
    amber, red, not yet due), by the pledge index's health rule."""
    index, mask = selection(session, PledgeFilter(organisation=[organisation_id]))
    own = session.scalars(
        select(Pledge.id).where(Pledge.pledger_id == organisation_id, Pledge.review_state == "published")
    )
    mask = mask & np.isin(index.ids, np.fromiter(own, np.int64))
    counts = np.bincount(index.health().code[mask], minlength=len(HEALTH))
    return {h: int(counts[i]) for i, h in enumerate(HEALTH)}


def area_figures(session: Session, f: PledgeFilter) -> dict[str, Any]:
    """What is pledged for an area (``f`` selects the pledges touching it): the totals of those pledges,
    their value attributed to the area, and the breakdowns of that attributed value by focus area and by
    year."""
    by = summaries(session, ["focus_area", "year"], f)
    return {
        "totals": by["focus_area"]["total"],
        "by_focus_area": by["focus_area"]["groups"],
        "by_year": by["year"]["groups"],
    }
