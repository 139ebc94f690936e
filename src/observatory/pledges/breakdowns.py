"""Pledge totals and breakdowns without double counting.

Counting rules:
- only published pledges count; a total counts each pledge once;
- a breakdown over a many-valued dimension (focus area, pillar, target country, ITU region) splits a
  pledge's USD value equally over its values (regions: over its target countries, then summed per
  region), so a breakdown adds up to the total; a group's ``pledges`` is the number of pledges touching it;
- pledges without target countries appear under ``global``; missing single values under ``unspecified``;
- country groups (LDC, LLDC, SIDS; membership as of the announcement date) give the pledges with at
  least one target in the group and the share of their value that falls on those targets; groups overlap;
- a pledge with an amount but no USD value (no stated value, no rate for its year) is counted as a
  pledge, left out of USD sums and reported in ``unconverted_pledges``.

The counting runs on the pledge index (``observatory.pledges.index``), a few vectorised operations
however many pledges there are.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal, get_args

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory import reference
from observatory.pledges.index import HEALTH
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


def summary(session: Session, by: str, f: PledgeFilter | None = None) -> dict[str, Any]:
    """Totals and the breakdown ``by`` one dimension of the published pledges matching ``f``."""
    if by not in BY_VALUES:
        raise ValueError(f"unknown breakdown {by!r} (one of {', '.join(BY_VALUES)})")
    f = f or PledgeFilter()
    f.review_state = ["published"]
    index, mask = selection(session, f)
    n = index.size
    usd = np.where(mask & ~np.isnan(index.value), index.value, 0.0)
    orgs = index.many["organisation"]
    total = {
        "pledges": int(mask.sum()),
        "organisations": int(np.count_nonzero(np.bincount(orgs.key[mask[orgs.pledge]], minlength=len(orgs.keys)))),
        "value_usd": round(float(usd.sum()), 2),
        "unconverted_pledges": int((mask & index.unconverted).sum()),
    }
    groups: list[tuple[str, int, float]] = []
    if by in index.single:
        single = index.single[by]
        counts = np.bincount(single.code[mask], minlength=len(single.keys))
        values = np.bincount(single.code, weights=usd, minlength=len(single.keys))
        groups = [(k, int(counts[i]), float(values[i])) for i, k in enumerate(single.keys)]
    else:
        links = index.many[by]
        counts = np.bincount(links.key[mask[links.pledge]], minlength=len(links.keys))
        values = np.bincount(links.key, weights=usd[links.pledge] * links.share, minlength=len(links.keys))
        groups = [(k, int(counts[i]), float(values[i])) for i, k in enumerate(links.keys)]
        if by in ("country", "region", "pillar"):
            # Pledges with no target country are global; with no pillar, unspecified.
            unlinked = mask & ~index.many["country" if by != "pillar" else "pillar"].linked(n)
            groups.append(
                ("global" if by != "pillar" else "unspecified", int(unlinked.sum()), float(usd[unlinked].sum()))
            )
    rows = [g for g in groups if g[1] > 0]
    rows.sort(key=(lambda g: g[0]) if by == "year" else (lambda g: (-g[2], -g[1], g[0])))
    return {
        "by": by,
        "total": total,
        "groups": [{"key": k, "label": _label(by, k), "pledges": c, "value_usd": round(v, 2)} for k, c, v in rows],
    }


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


def area_figures(session: Session, f: PledgeFilter, by: str, key: str) -> dict[str, Any]:
    """What is pledged for an area (``f`` selects the pledges touching it; ``by``/``key`` is its own
    breakdown group, ``key`` empty for the world): the totals of those pledges with ``value_usd_here``, the
    part of their value that falls on the area, and their breakdowns by focus area and by year."""
    own = summary(session, by, replace(f))
    group = next((g for g in own["groups"] if g["key"] == key), {"pledges": 0, "value_usd": 0.0})
    here = group["value_usd"] if key else own["total"]["value_usd"]
    return {
        "totals": {**own["total"], "value_usd_here": here},
        "by_focus_area": summary(session, "focus_area", replace(f))["groups"],
        "by_year": summary(session, "year", replace(f))["groups"],
    }
