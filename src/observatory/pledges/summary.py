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

The published pledges are held as columns (NumPy arrays) rebuilt only when the registry revision
changes, so a breakdown is a few vectorised operations however many pledges there are.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory import reference
from observatory.pledges.models import (
    Organisation,
    Pledge,
    PledgeCountry,
    PledgeFocusArea,
    PledgePartner,
    PledgePillar,
)
from observatory.pledges.query import PledgeFilter, matching_ids
from observatory.pledges.service import current_revision

By = Literal[
    "focus_area", "pillar", "country", "region", "country_group",
    "stakeholder_type", "pledge_type", "status", "year",
]  # fmt: skip
BY_VALUES: tuple[str, ...] = get_args(By)
MANY_VALUED = ("focus_area", "pillar", "country", "region", "country_group")
GROUPS = tuple(reference.COUNTRY_GROUPS)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass
class Links:
    """Pledge-to-value links of a many-valued dimension: position of the pledge, index of the key."""

    pledge: IntArray
    key: IntArray
    keys: list[str]


@dataclass
class Columns:
    revision: int
    ids: IntArray
    value: FloatArray  # NaN where there is no USD value
    unconverted: npt.NDArray[np.bool_]
    organisations: Links  # pledger and partners
    single: dict[str, tuple[IntArray, list[str]]]
    many: dict[str, Links]
    country_links: Links
    group_flags: dict[str, npt.NDArray[np.bool_]]  # per country link: target in group at announcement


def _codes(values: list[str | None]) -> tuple[IntArray, list[str]]:
    keys = sorted({v or "unspecified" for v in values})
    index = {k: i for i, k in enumerate(keys)}
    return np.fromiter((index[v or "unspecified"] for v in values), np.int64, len(values)), keys


def _links(pairs: list[tuple[int, str]], position: dict[int, int]) -> Links:
    keys = sorted({k for _, k in pairs})
    index = {k: i for i, k in enumerate(keys)}
    pledge = np.fromiter((position[p] for p, _ in pairs), np.int64, len(pairs))
    key = np.fromiter((index[k] for _, k in pairs), np.int64, len(pairs))
    return Links(pledge, key, keys)


def _load(session: Session, revision: int) -> Columns:
    published = Pledge.review_state == "published"
    rows = session.execute(
        select(
            Pledge.id,
            Pledge.value_usd,
            Pledge.value_amount,
            Pledge.pledger_id,
            Organisation.stakeholder_type,
            Pledge.pledge_type,
            Pledge.status,
            Pledge.announced_on,
        )
        .join(Organisation, Organisation.id == Pledge.pledger_id)
        .where(published)
        .order_by(Pledge.id)
    ).all()
    ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    position = {int(i): n for n, i in enumerate(ids)}
    value = np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=np.float64)
    unconverted = np.array([r[1] is None and r[2] is not None for r in rows], dtype=np.bool_)
    announced = [r[7] for r in rows]

    def pairs(table: Any, column: Any) -> list[tuple[int, str]]:
        stmt = select(table.pledge_id, column).join(Pledge, Pledge.id == table.pledge_id).where(published)
        return [(int(p), str(k)) for p, k in session.execute(stmt)]

    partner_pairs = pairs(PledgePartner, PledgePartner.organisation_id)
    organisations = _links([(int(r[0]), str(r[3])) for r in rows] + partner_pairs, position)
    country_pairs = pairs(PledgeCountry, PledgeCountry.country)
    countries = _links(country_pairs, position)
    table = reference.countries()
    today = dt.date.today()
    group_flags = {
        g: np.array(
            [reference.in_group(g, c, announced[position[p]] or today) for p, c in country_pairs], dtype=np.bool_
        )
        for g in GROUPS
    }
    region_pairs = [(p, table[c].itu_region or "other") for p, c in country_pairs]
    return Columns(
        revision=revision,
        ids=ids,
        value=value,
        unconverted=unconverted,
        organisations=organisations,
        single={
            "stakeholder_type": _codes([r[4] for r in rows]),
            "pledge_type": _codes([r[5] for r in rows]),
            "status": _codes([r[6] for r in rows]),
            "year": _codes([str(r[7].year) if r[7] else None for r in rows]),
        },
        many={
            "focus_area": _links(pairs(PledgeFocusArea, PledgeFocusArea.focus_area), position),
            "pillar": _links(pairs(PledgePillar, PledgePillar.pillar), position),
            "country": countries,
            "region": _links(region_pairs, position),
        },
        country_links=countries,
        group_flags=group_flags,
    )


_cache: dict[str, Columns] = {}
_lock = threading.Lock()


def columns(session: Session) -> Columns:
    """The published pledges as columns, reloaded when the registry has changed since last time."""
    revision = current_revision(session)
    key = str(session.get_bind().engine.url)
    cached = _cache.get(key)
    if cached is not None and cached.revision == revision:
        return cached
    with _lock:
        cached = _cache.get(key)
        if cached is None or cached.revision != revision:
            cached = _cache[key] = _load(session, revision)
    return cached


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
    col = columns(session)
    n = len(col.ids)
    if f.is_default():
        mask = np.ones(n, dtype=np.bool_)
    else:
        mask = np.isin(col.ids, np.array(matching_ids(session, f), dtype=np.int64))
    usd = np.where(mask & ~np.isnan(col.value), col.value, 0.0)
    org = col.organisations
    total = {
        "pledges": int(mask.sum()),
        "organisations": len(np.unique(org.key[mask[org.pledge]])),
        "value_usd": round(float(usd.sum()), 2),
        "unconverted_pledges": int((mask & col.unconverted).sum()),
    }
    groups: list[tuple[str, int, float]] = []
    if by in col.single:
        codes, keys = col.single[by]
        counts = np.bincount(codes[mask], minlength=len(keys))
        values = np.bincount(codes, weights=usd, minlength=len(keys))
        groups = [(k, int(counts[i]), float(values[i])) for i, k in enumerate(keys)]
    elif by == "country_group":
        links = col.country_links
        share = _split(links, usd, n)
        for g in GROUPS:
            flags = col.group_flags[g] & mask[links.pledge]
            touched = np.unique(links.pledge[flags])
            groups.append((g, len(touched), float(share[flags].sum())))
    else:
        links = col.many[by]
        target = col.country_links if by == "region" else links
        share = _split(target, usd, n)
        live = mask[links.pledge]
        values = np.bincount(links.key, weights=share, minlength=len(links.keys))
        # A pledge touching a key through several links (two countries of one region) counts once.
        pairs = np.unique(links.pledge[live] * len(links.keys) + links.key[live])
        counts = np.bincount(pairs % max(len(links.keys), 1), minlength=len(links.keys))
        groups = [(k, int(counts[i]), float(values[i])) for i, k in enumerate(links.keys)]
        if by in ("country", "region"):
            unlinked = mask.copy()
            unlinked[links.pledge] = False
            groups.append(("global", int(unlinked.sum()), float(usd[unlinked].sum())))
        elif by == "pillar":
            unlinked = mask.copy()
            unlinked[links.pledge] = False
            groups.append(("unspecified", int(unlinked.sum()), float(usd[unlinked].sum())))
    rows = [g for g in groups if g[1] > 0]
    if by == "year":
        rows.sort(key=lambda g: g[0])
    else:
        rows.sort(key=lambda g: (-g[2], -g[1], g[0]))
    return {
        "by": by,
        "total": total,
        "groups": [{"key": k, "label": _label(by, k), "pledges": c, "value_usd": round(v, 2)} for k, c, v in rows],
    }


def _split(links: Links, usd: FloatArray, n: int) -> FloatArray:
    """Each link's equal share of its pledge's USD value (zero for pledges outside the selection)."""
    per_pledge = np.bincount(links.pledge, minlength=n)
    return usd[links.pledge] / np.maximum(per_pledge[links.pledge], 1)
