"""The pledge index: every pledge as columns (NumPy arrays), rebuilt when the registry revision changes.

Lists, summaries and exports select, sort and count pledges here with vectorised operations, so a
filtered page or a breakdown over 100,000 pledges takes milliseconds. Only full-text search asks the
database (its own search index) for the ids that match.

Each many-valued dimension is a set of links (pledge, key, share): ``share`` is the part of the pledge's
USD value that falls on the key — an equal split over focus areas, pillars or target countries; for a
region or a country group, the part of the pledge's target countries that lie in it (group membership
as of the announcement date).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select, text, true
from sqlalchemy.orm import Session

from observatory import reference
from observatory.pledges.models import (
    Organisation,
    Pledge,
    PledgeChange,
    PledgeCountry,
    PledgeFocusArea,
    PledgePartner,
    PledgePillar,
    ProgressReport,
)
from observatory.pledges.service import CHANGES_KEPT, DAYS_PER_MONTH, current_revision

log = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

SORTS = ("announced_on", "value_usd", "reference", "title", "updated_at")
HEALTH = ("green", "amber", "red", "not_due")


def among(codes: IntArray, wanted: Iterable[int], size: int) -> BoolArray:
    """Which of ``codes`` (positions in a list of ``size`` keys) are ``wanted``: a table lookup, faster than
    ``np.isin`` on the hundreds of thousands of links of a registry."""
    table = np.zeros(max(size, 1), dtype=np.bool_)
    table[list(wanted)] = True
    return table[codes]


@dataclass
class Links:
    """Links of a many-valued dimension; each (pledge, key) pair appears once."""

    pledge: IntArray  # position of the pledge in the index
    key: IntArray  # position of the key in ``keys``
    share: FloatArray
    keys: list[str]

    def touching(self, wanted: Iterable[str], n: int) -> BoolArray:
        """Pledges linked to any of the wanted keys."""
        index = {k: i for i, k in enumerate(self.keys)}
        codes = [index[k] for k in wanted if k in index]
        mask = np.zeros(n, dtype=np.bool_)
        mask[self.pledge[among(self.key, codes, len(self.keys))]] = True
        return mask

    def linked(self, n: int) -> BoolArray:
        """Pledges with at least one key (a target country, a pillar…)."""
        mask = np.zeros(n, dtype=np.bool_)
        mask[self.pledge] = True
        return mask


@dataclass
class Single:
    """A single-valued dimension: each pledge's key, ``unspecified`` where missing."""

    code: IntArray
    keys: list[str]

    def matching(self, wanted: Iterable[str]) -> BoolArray:
        """Pledges whose key is one of the wanted ones."""
        index = {k: i for i, k in enumerate(self.keys)}
        return among(self.code, [index[k] for k in wanted if k in index], len(self.keys))


@dataclass
class PledgeIndex:
    """Every pledge of the registry at one revision, as columns: what lists, summaries and exports select,
    sort and count."""

    revision: int
    ids: IntArray  # pledge ids, ascending
    value: FloatArray  # USD value, NaN where there is none
    committed: FloatArray  # USD committed, over the pledge's published progress reports (0 if none)
    disbursed: FloatArray  # USD disbursed, over the pledge's published progress reports (0 if none)
    reported: BoolArray  # the pledge has at least one published progress report
    unconverted: BoolArray  # an amount with no USD value
    due_from: FloatArray  # day (ordinal) from which reports are due
    last_report: FloatArray  # day (ordinal) of the last progress report, NaN if none
    single: dict[str, Single]  # review_state, stakeholder_type, pledge_type, status, year, pledger (its id), event
    many: dict[str, Links]  # focus_area, pillar, country, region, country_group, organisation, beneficiary_group, sdg
    # Per link of ``many["country"]``: the position of the target's ITU region in ``many["region"].keys``,
    # and for each country group whether the target was in it on the pledge's announcement date.
    country_region: IntArray
    country_in_group: dict[str, BoolArray]
    sort_keys: dict[str, FloatArray]  # announced_on, value_usd, updated_at; NaN sorts last
    texts: dict[str, ObjectArray]  # reference, title (case-folded): ranked when a list is sorted by them
    _ranks: dict[str, FloatArray] = field(default_factory=dict, repr=False, compare=False)
    made_at: float = field(default_factory=time.monotonic, compare=False)  # when this index was made

    def sort_key(self, name: str) -> FloatArray:
        """The values ``name`` sorts by: a number, or the rank of a text among every pledge's (worked out
        the first time a list is sorted by it, then kept with this index)."""
        if name in self.sort_keys:
            return self.sort_keys[name]
        rank = self._ranks.get(name)
        if rank is None:
            rank = self._ranks[name] = _rank(self.texts[name])
        return rank

    @property
    def size(self) -> int:
        """How many pledges the index holds (in every review state)."""
        return len(self.ids)

    def health(self, today: dt.date | None = None) -> Single:
        """Reporting health of every pledge, by the rule of ``service.reporting_health``."""
        day = (today or dt.date.today()).toordinal()
        since_report = (day - self.last_report) / DAYS_PER_MONTH
        age = (day - self.due_from) / DAYS_PER_MONTH
        never = np.isnan(self.last_report)
        code = np.select(
            [never & (age < 12), never, since_report < 12, since_report <= 24],
            [HEALTH.index("not_due"), HEALTH.index("red"), HEALTH.index("green"), HEALTH.index("amber")],
            default=HEALTH.index("red"),
        )
        return Single(code.astype(np.int64), list(HEALTH))


def _single(values: list[str | None]) -> Single:
    return Single(*_codes([v or "unspecified" for v in values]))


def _links(pledge: IntArray, keys_of_links: list[str], share: FloatArray) -> Links:
    key, keys = _codes(keys_of_links)
    return Links(pledge, key, share, keys)


def _split_equally(pledge: IntArray, n: int) -> FloatArray:
    per_pledge = np.bincount(pledge, minlength=n)
    return 1.0 / np.maximum(per_pledge[pledge], 1)


def _grouped(pledge: IntArray, group: IntArray, keys: list[str], weight: FloatArray) -> Links:
    """Collapse links onto (pledge, group) pairs, adding their weights."""
    pair = pledge * len(keys) + group
    unique, inverse = np.unique(pair, return_inverse=True)
    share = np.bincount(inverse, weights=weight, minlength=len(unique)).astype(np.float64)
    return Links(unique // len(keys), unique % len(keys), share, keys)


def _rank(values: ObjectArray) -> FloatArray:
    order = sorted(range(len(values)), key=lambda i: values[i])
    rank = np.empty(len(values), dtype=np.float64)
    rank[order] = np.arange(len(values), dtype=np.float64)
    return rank


def _texts(values: list[str]) -> ObjectArray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _build(session: Session, revision: int, only: Collection[int] | None = None) -> PledgeIndex:
    """The index of every pledge, or of the pledges ``only`` names (what :func:`_merge` puts into an index)."""
    db = session.connection()  # plain rows: no ORM bookkeeping for a few hundred thousand of them
    chosen = sorted(only) if only is not None else None

    def of(column: Any) -> Any:
        """The condition keeping the rows of the chosen pledges (all of them when none are chosen)."""
        return true() if chosen is None else column.in_(chosen)

    rows = db.execute(
        select(
            Pledge.id,
            Pledge.value_usd,
            Pledge.value_amount,
            Pledge.pledger_id,
            Organisation.stakeholder_type,
            Pledge.pledge_type,
            Pledge.status,
            Pledge.announced_on,
            Pledge.review_state,
            Pledge.reference,
            Pledge.title,
            Pledge.updated_at,
            Pledge.start_year,
            Pledge.created_at,
            Pledge.event,
        )
        .join(Organisation, Organisation.id == Pledge.pledger_id)
        .where(of(Pledge.id))
        .order_by(Pledge.id)
    ).all()
    n = len(rows)
    ids = np.fromiter((r[0] for r in rows), np.int64, n)
    # The tables are read one statement after another, not in one snapshot: rows of pledges registered (or
    # deleted) between two reads are left out. Every write bumps the revision read before this build, so the
    # next reader rebuilds the index with them.
    position = {int(i): p for p, i in enumerate(ids)}
    value = np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=np.float64)
    unconverted = np.array([r[1] is None and r[2] is not None for r in rows], dtype=np.bool_)
    today = dt.date.today().toordinal()
    announced = np.array([r[7].toordinal() if r[7] else np.nan for r in rows], dtype=np.float64)
    # When a pledge started to be due reports: its announcement, else its start year, else its registration.
    due_from = np.array(
        [(r[7] or (dt.date(r[12], 1, 1) if r[12] else r[13].date())).toordinal() for r in rows], dtype=np.float64
    )
    last_report = np.full(n, np.nan)
    reports = db.execute(select(ProgressReport.pledge_id, func.max(ProgressReport.filed_on)).where(
        of(ProgressReport.pledge_id)
    ).group_by(ProgressReport.pledge_id)).all()  # fmt: skip
    reports = [r for r in reports if r[0] in position]  # of the pledges read above (see ``position``)
    if reports:
        last_report[np.searchsorted(ids, [p for p, _ in reports])] = [d.toordinal() for _, d in reports]
    committed, disbursed, reported = np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.bool_)
    money = db.execute(
        select(
            ProgressReport.pledge_id,
            func.coalesce(func.sum(ProgressReport.usd_committed), 0.0),
            func.coalesce(func.sum(ProgressReport.usd_disbursed), 0.0),
        )
        .where(ProgressReport.review_state == "published", of(ProgressReport.pledge_id))
        .group_by(ProgressReport.pledge_id)
    ).all()
    money = [r for r in money if r[0] in position]
    if money:
        at = np.searchsorted(ids, [p for p, _, _ in money])
        committed[at] = [float(c or 0.0) for _, c, _ in money]
        disbursed[at] = [float(d or 0.0) for _, _, d in money]
        reported[at] = True

    def pairs(table: type[PledgeFocusArea | PledgePillar | PledgeCountry]) -> tuple[IntArray, list[str]]:
        column = {PledgeFocusArea: "focus_area", PledgePillar: "pillar", PledgeCountry: "country"}[table]
        read = select(table.pledge_id, getattr(table, column)).where(of(table.pledge_id))
        links = [r for r in db.execute(read) if r[0] in position]
        pledge = np.searchsorted(ids, np.fromiter((p for p, _ in links), np.int64, len(links)))
        return pledge.astype(np.int64), [str(k) for _, k in links]

    many: dict[str, Links] = {}
    for name, table in (("focus_area", PledgeFocusArea), ("pillar", PledgePillar), ("country", PledgeCountry)):
        pledge, keys = pairs(table)
        many[name] = _links(pledge, keys, _split_equally(pledge, n))
    countries = many["country"]

    # Regions and country groups: the part of each pledge's target countries that lies in them.
    known = reference.countries()
    regions = sorted({c.itu_region or "other" for c in known.values()})
    region_of = np.array([regions.index(known[c].itu_region or "other") for c in countries.keys], dtype=np.int64)
    many["region"] = _grouped(countries.pledge, region_of[countries.key], regions, countries.share)
    groups = list(reference.COUNTRY_GROUPS)
    day = np.nan_to_num(announced, nan=today)[countries.pledge]
    in_group: list[BoolArray] = [np.zeros(len(countries.key), dtype=np.bool_) for _ in groups]
    code_of = {c: i for i, c in enumerate(countries.keys)}
    for m in reference.memberships():
        if m.alpha3 not in code_of:
            continue
        hit = countries.key == code_of[m.alpha3]
        if m.since:
            hit &= day >= m.since.toordinal()
        if m.until:
            hit &= day < m.until.toordinal()
        in_group[groups.index(m.group)] |= hit
    g_pledge = np.concatenate([countries.pledge[f] for f in in_group])
    g_key = np.concatenate([np.full(int(f.sum()), i, dtype=np.int64) for i, f in enumerate(in_group)])
    g_share = np.concatenate([countries.share[f] for f in in_group])
    many["country_group"] = _grouped(g_pledge, g_key, groups, g_share)
    country_region = region_of[countries.key]

    # What each pledge names: beneficiary groups and SDGs (read as the driver gives them: JSON text on SQLite).
    tagged: dict[str, tuple[list[int], list[str]]] = {"beneficiary_group": ([], []), "sdg": ([], [])}
    tags = select(Pledge.id, Pledge.beneficiary_groups, Pledge.sdgs).where(of(Pledge.id))
    for pledge_id, beneficiaries, goals in db.execute(tags):
        spot = position.get(pledge_id)
        if spot is None:
            continue
        for name, values in (("beneficiary_group", beneficiaries), ("sdg", goals)):
            for v in values or []:
                tagged[name][0].append(spot)
                tagged[name][1].append(str(v))
    for name, (spots, tag_keys) in tagged.items():
        tag_pledge = np.array(spots, dtype=np.int64)
        many[name] = _links(tag_pledge, tag_keys, np.zeros(len(tag_pledge), dtype=np.float64))

    partnered = select(PledgePartner.pledge_id, PledgePartner.organisation_id).where(of(PledgePartner.pledge_id))
    partners = [r for r in db.execute(partnered) if r[0] in position]
    org_pledge = np.concatenate([np.arange(n), np.searchsorted(ids, [p for p, _ in partners]).astype(np.int64)])
    org_keys = [str(r[3]) for r in rows] + [str(o) for _, o in partners]
    many["organisation"] = _grouped(org_pledge, *_codes(org_keys), np.zeros(len(org_keys), dtype=np.float64))
    return PledgeIndex(
        revision=revision,
        ids=ids,
        value=value,
        committed=committed,
        disbursed=disbursed,
        reported=reported,
        unconverted=unconverted,
        due_from=due_from,
        last_report=last_report,
        single={
            "review_state": _single([r[8] for r in rows]),
            "stakeholder_type": _single([r[4] for r in rows]),
            "pledge_type": _single([r[5] for r in rows]),
            "status": _single([r[6] for r in rows]),
            "year": _single([str(r[7].year) if r[7] else None for r in rows]),
            "pledger": _single([str(r[3]) for r in rows]),
            "event": _single([(r[14] or "").strip() or None for r in rows]),
        },
        many=many,
        country_region=country_region,
        country_in_group=dict(zip(groups, in_group, strict=True)),
        sort_keys={
            "announced_on": announced,
            "value_usd": value,
            "updated_at": np.array([r[11].timestamp() for r in rows], dtype=np.float64),
        },
        texts={"reference": _texts([r[9] for r in rows]), "title": _texts([r[10].casefold() for r in rows])},
    )


def _codes(values: list[str]) -> tuple[IntArray, list[str]]:
    keys = sorted(set(values))
    index = {k: i for i, k in enumerate(keys)}
    return np.fromiter((index[v] for v in values), np.int64, len(values)), keys


def _remap(keys: list[str], into: list[str]) -> IntArray:
    """For each of ``keys``, its position in ``into`` (which holds them all)."""
    where = {k: i for i, k in enumerate(into)}
    return np.fromiter((where[k] for k in keys), np.int64, len(keys))


def _merge(base: PledgeIndex, part: PledgeIndex, changed: Collection[int]) -> PledgeIndex:
    """``base`` with the pledges ``changed`` replaced by what ``part`` holds of them (a pledge in ``changed``
    but not in ``part`` was deleted): the index a full build at ``part``'s revision gives, up to the order of
    the links of a pledge."""
    at = np.searchsorted(base.ids, part.ids)
    updated = (at < base.size) & (base.ids[np.minimum(at, max(base.size - 1, 0))] == part.ids) if base.size else at < 0
    appended = not base.size or bool((part.ids[~updated] > base.ids[-1]).all())
    if appended and int(updated.sum()) + int((~updated).sum()) == len(changed):
        return _merge_in_place(base, part, at[updated], updated)
    keep = ~np.isin(base.ids, np.fromiter(changed, np.int64, len(changed)))
    ids = np.concatenate([base.ids[keep], part.ids])
    order = np.argsort(ids, kind="stable")
    new_place = np.empty(len(ids), dtype=np.int64)
    new_place[order] = np.arange(len(ids), dtype=np.int64)
    kept = int(keep.sum())
    base_place = np.full(base.size, -1, dtype=np.int64)
    base_place[keep] = new_place[:kept]
    part_place = new_place[kept:]

    def column(a: Any, b: Any) -> Any:
        return np.concatenate([a[keep], b])[order]

    def single(a: Single, b: Single) -> Single:
        keys = sorted(set(a.keys) | set(b.keys))
        code = np.concatenate([_remap(a.keys, keys)[a.code[keep]], _remap(b.keys, keys)[b.code]])
        return Single(code[order], keys)

    def links(a: Links, b: Links) -> tuple[Links, BoolArray]:
        keys = sorted(set(a.keys) | set(b.keys))
        stays = keep[a.pledge]
        merged = Links(
            np.concatenate([base_place[a.pledge[stays]], part_place[b.pledge]]),
            np.concatenate([_remap(a.keys, keys)[a.key[stays]], _remap(b.keys, keys)[b.key]]),
            np.concatenate([a.share[stays], b.share]),
            keys,
        )
        return merged, stays

    many: dict[str, Links] = {}
    country_stays = np.zeros(0, dtype=np.bool_)
    for name, a in base.many.items():
        many[name], stays = links(a, part.many[name])
        if name == "country":
            country_stays = stays
    return PledgeIndex(
        revision=part.revision,
        ids=ids[order],
        value=column(base.value, part.value),
        committed=column(base.committed, part.committed),
        disbursed=column(base.disbursed, part.disbursed),
        reported=column(base.reported, part.reported),
        unconverted=column(base.unconverted, part.unconverted),
        due_from=column(base.due_from, part.due_from),
        last_report=column(base.last_report, part.last_report),
        single={name: single(a, part.single[name]) for name, a in base.single.items()},
        many=many,
        # Region keys and country groups are the reference's, the same in both.
        country_region=np.concatenate([base.country_region[country_stays], part.country_region]),
        country_in_group={
            g: np.concatenate([f[country_stays], part.country_in_group[g]]) for g, f in base.country_in_group.items()
        },
        sort_keys={name: column(a, part.sort_keys[name]) for name, a in base.sort_keys.items()},
        texts={name: column(a, part.texts[name]) for name, a in base.texts.items()},
    )


def _merge_in_place(base: PledgeIndex, part: PledgeIndex, places: IntArray, updated: BoolArray) -> PledgeIndex:
    """:func:`_merge` when no pledge was deleted and the new ones come after every other (the usual case):
    each pledge keeps its place, the changed ones are written over and the new ones added at the end, so only
    the few changed values are moved."""
    new = ~updated
    size = base.size
    part_place = np.empty(part.size, dtype=np.int64)
    part_place[updated] = places
    part_place[new] = size + np.arange(int(new.sum()), dtype=np.int64)
    touched = np.zeros(size, dtype=np.bool_)
    touched[places] = True

    def column(a: Any, b: Any) -> Any:
        out = np.concatenate([a, b[new]])
        out[places] = b[updated]
        return out

    def codes_into(a_keys: list[str], b_keys: list[str]) -> tuple[list[str], IntArray | None]:
        """The keys of the merged dimension, and how ``a``'s codes change (None: they do not)."""
        if set(b_keys) <= set(a_keys):
            return a_keys, None
        keys = sorted(set(a_keys) | set(b_keys))
        return keys, _remap(a_keys, keys)

    def single(a: Single, b: Single) -> Single:
        keys, remap = codes_into(a.keys, b.keys)
        code = column(a.code if remap is None else remap[a.code], _remap(b.keys, keys)[b.code])
        return Single(code, keys)

    many: dict[str, Links] = {}
    stays_of: dict[str, BoolArray] = {}
    for name, a in base.many.items():
        b = part.many[name]
        keys, remap = codes_into(a.keys, b.keys)
        stays = ~touched[a.pledge]
        stays_of[name] = stays
        many[name] = Links(
            np.concatenate([a.pledge[stays], part_place[b.pledge]]),
            np.concatenate([(a.key if remap is None else remap[a.key])[stays], _remap(b.keys, keys)[b.key]]),
            np.concatenate([a.share[stays], b.share]),
            keys,
        )
    country_stays = stays_of["country"]
    return PledgeIndex(
        revision=part.revision,
        ids=column(base.ids, part.ids),
        value=column(base.value, part.value),
        committed=column(base.committed, part.committed),
        disbursed=column(base.disbursed, part.disbursed),
        reported=column(base.reported, part.reported),
        unconverted=column(base.unconverted, part.unconverted),
        due_from=column(base.due_from, part.due_from),
        last_report=column(base.last_report, part.last_report),
        single={name: single(a, part.single[name]) for name, a in base.single.items()},
        many=many,
        country_region=np.concatenate([base.country_region[country_stays], part.country_region]),
        country_in_group={
            g: np.concatenate([f[country_stays], part.country_in_group[g]]) for g, f in base.country_in_group.items()
        },
        sort_keys={name: column(a, part.sort_keys[name]) for name, a in base.sort_keys.items()},
        texts={name: column(a, part.texts[name]) for name, a in base.texts.items()},
    )


# An index is brought up to date from the pledges changed since it was built, unless they are this many or
# more (an import): then it is built again.
MERGE_AT_MOST = 5_000
# A reader whose snapshot is a few revisions older than an index made in the last seconds uses that index (it
# began just before writes another request has read already); otherwise an index newer than the database
# is not believed (the database was restored) and the index is built again.
BEHIND_AT_MOST = 100
BEHIND_SECONDS = 30.0

_cache: dict[str, PledgeIndex] = {}
_lock = threading.Lock()


def _changed_since(session: Session, built: int, revision: int) -> set[int] | None:
    """The pledges changed after revision ``built`` up to ``revision``; None when that is not known (a change
    too wide to list, or revisions whose changes are forgotten already) or too many to merge."""
    if built < revision - CHANGES_KEPT:
        return None
    rows = session.execute(
        select(PledgeChange.revision, PledgeChange.pledge_id).where(
            PledgeChange.revision > built, PledgeChange.revision <= revision
        )
    ).all()
    changed = {p for _, p in rows}
    if len({r for r, _ in rows}) != revision - built or None in changed or len(changed) >= MERGE_AT_MOST:
        return None
    return {int(p) for p in changed if p is not None}


def _usable(index: PledgeIndex, revision: int) -> bool:
    """Whether ``index`` serves a reader of the registry at ``revision``."""
    if index.revision == revision:
        return True
    recent = time.monotonic() - index.made_at < BEHIND_SECONDS
    return recent and revision < index.revision <= revision + BEHIND_AT_MOST


def pledge_index(session: Session) -> PledgeIndex:
    """The index of the session's database at the registry's revision: the pledges changed since the cached
    index was built are read again and put in it; the whole index is built when that is not possible."""
    revision = current_revision(session)
    key = session.get_bind().engine.url.render_as_string(hide_password=False)
    cached = _cache.get(key)
    if cached is not None and _usable(cached, revision):
        return cached
    with _lock:
        cached = _cache.get(key)
        if cached is not None and _usable(cached, revision):
            return cached
        changed = _changed_since(session, cached.revision, revision) if cached and cached.revision < revision else None
        if cached is not None and changed is not None:
            cached = _merge(cached, _build(session, revision, changed), changed)
        else:
            started = time.perf_counter()
            built = None if cached is None else cached.revision
            cached = _build(session, revision)
            log.debug("pledge index built at revision %d (had %s) in %.2f s", revision, built,
                     time.perf_counter() - started)  # fmt: skip
        _cache[key] = cached
    return cached


def forget(url: str) -> None:
    """Drop the index of the database at ``url`` (a snapshot that is deleted)."""
    with _lock:
        _cache.pop(url, None)


def search_ids(session: Session, q: str) -> IntArray:
    """Ids of the pledges whose text matches every word of ``q`` (the last word also as a prefix).
    Only word characters reach the search engine's query language, and only as a bound parameter."""
    words = re.findall(r"\w+", q)
    if not words:
        return np.zeros(0, dtype=np.int64)
    if session.get_bind().dialect.name == "sqlite":
        match = " ".join(f'"{w}"' for w in words) + "*"
        stmt = text("SELECT rowid FROM pledge_fts WHERE pledge_fts MATCH :fts").bindparams(fts=match)
        found = session.scalars(stmt)
    else:
        query = func.to_tsquery("simple", " & ".join(words) + ":*")
        found = session.scalars(select(Pledge.id).where(func.to_tsvector("simple", Pledge.search_text).op("@@")(query)))
    return np.fromiter(found, np.int64)


def order(index: PledgeIndex, mask: BoolArray, sort: str) -> IntArray:
    """Positions of the selected pledges in ``sort`` order (``-`` for descending); missing values last."""
    key = sort.lstrip("-")
    if key not in SORTS:
        raise ValueError(f"unknown sort {sort!r} (one of {', '.join(SORTS)})")
    selected = np.flatnonzero(mask)
    values = index.sort_key(key)[selected]
    missing = np.isnan(values)
    values = np.where(missing, 0.0, values)
    if sort.startswith("-"):
        values = -values
    return selected[np.lexsort((index.ids[selected], values, missing))]
