"""AS hegemony (Fontugne et al., the Internet Health Report method) and country dependency.

The rules, exactly as implemented (docs/routing.md says why each one is so):

* One address family at a time (IPv4 or IPv6). A **viewpoint** is one peer IP of one RIB file with a
  full table: at least half as many distinct prefixes as the peer that sees the most (over all files
  of the computation).
* **Paths**: prepending is collapsed; a path in which an AS reappears after another AS (a loop) is
  dropped, and so is an empty path; the members of an AS_SET share their weight equally (1/k each).
* **Weight** of a prefix in a viewpoint: IPv4 — its addresses that no more-specific prefix in the same
  viewpoint's table covers; IPv6 — 1. A prefix a viewpoint holds with several paths (ADD-PATH) splits
  its weight equally over them.
* **Viewpoint score** of AS *a*: the weight of the prefixes whose path contains *a* over the total weight
  of the viewpoint's kept paths — globally, and per origin AS over that origin's prefixes only (the
  local graph; a path ending in an AS_SET has no single origin and counts only globally).
* Scores of the viewpoints of one peer AS are averaged (a viewpoint that does not see *a* counts 0);
  an AS missing from a peer AS counts 0 there; **hegemony** is the mean of the *n* peer-AS scores after
  dropping ⌊0.1·n⌋ at each end. Per origin, *n* counts the peer ASes that see that origin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from numba import njit, types
from numba.typed import Dict

from observatory.routing.mrt import Rib

TRIM = 0.1  # share of the peer-AS scores dropped at each end
FULL_FEED = 0.5  # a full table holds at least this share of the prefixes of the best-seeing peer
Array = Any  # numba kernels take arrays of several dtypes; numba types them when it compiles


@njit(cache=True)
def _dense(asn: Array) -> tuple[Array, Array]:
    """Dense ids 0…m-1 for the AS numbers of ``asn`` (first-seen order) and the AS number of each id."""
    direct = np.full(1 << 24, -1, np.int32)  # most AS numbers are below 2^24: an array beats a hash
    other = Dict.empty(key_type=types.int64, value_type=types.int64)
    ids = np.empty(asn.shape[0], np.int32)
    values = np.empty(1024, np.int64)
    m = 0
    for i in range(asn.shape[0]):
        a = np.int64(asn[i])
        if a < (1 << 24):
            d = direct[a]
            if d < 0:
                d = m
                direct[a] = d
        elif a in other:
            d = other[a]
        else:
            d = m
            other[a] = d
        if d == m:
            if m == values.shape[0]:
                grown = np.empty(2 * m, np.int64)
                grown[:m] = values
                values = grown
            values[m] = a
            m += 1
        ids[i] = d
    return ids, values[:m].copy()


@njit(cache=True)
def _counting_order(key: Array, k: int) -> Array:
    """The stable order that sorts ``key`` (integers in [0, k)): a counting sort, O(n + k)."""
    start = np.zeros(k + 1, np.int64)
    for v in key:
        start[v + 1] += 1
    for v in range(k):
        start[v + 1] += start[v]
    order = np.empty(key.shape[0], np.int64)
    for i in range(key.shape[0]):
        order[start[key[i]]] = i
        start[key[i]] += 1
    return order


@njit(cache=True)
def _prefix_sorted(order: Array, peer: Array, hi: Array, lo: Array, length: Array) -> bool:
    for i in range(1, order.shape[0]):
        a = order[i - 1]
        b = order[i]
        if peer[a] == peer[b] and (hi[a], lo[a], length[a]) > (hi[b], lo[b], length[b]):
            return False
    return True


@njit(cache=True)
def _weights(
    order: Array, peer: Array, hi: Array, lo: Array, length: Array, v6: bool, n_peer: int
) -> tuple[Array, Array]:
    """Weight of each entry and the distinct prefixes of each peer; ``order`` sorts the entries by
    (peer, address, length), so a prefix comes right after the prefixes that contain it."""
    n = order.shape[0]
    weight = np.zeros(peer.shape[0], np.float64)
    prefixes = np.zeros(n_peer, np.int64)
    stack_end = np.empty(129, np.int64)
    stack_id = np.empty(129, np.int64)
    uncovered = np.empty(n, np.int64)  # per distinct prefix (indexed by its first position in ``order``)
    depth = 0
    cur_peer = -1
    i = 0
    while i < n:
        e = order[i]
        p = peer[e]
        # the run of entries of the same prefix in the same viewpoint (ADD-PATH gives several)
        j = i + 1
        while (
            j < n
            and peer[order[j]] == p
            and hi[order[j]] == hi[e]
            and lo[order[j]] == lo[e]
            and length[order[j]] == length[e]
        ):
            j += 1
        if p != cur_peer:
            cur_peer = p
            depth = 0
        prefixes[p] += 1
        if v6:
            uncovered[i] = 1
        else:
            start = np.int64(lo[e])
            size = np.int64(1) << np.int64(32 - length[e])
            while depth > 0 and stack_end[depth - 1] <= start:
                depth -= 1
            if depth > 0:
                uncovered[stack_id[depth - 1]] -= size  # the enclosing prefix loses these addresses
            uncovered[i] = size
            stack_end[depth] = start + size
            stack_id[depth] = i
            depth += 1
        i = j
    # second pass: spread each prefix's uncovered addresses over its entries
    i = 0
    while i < n:
        e = order[i]
        j = i + 1
        while (
            j < n
            and peer[order[j]] == peer[e]
            and hi[order[j]] == hi[e]
            and lo[order[j]] == lo[e]
            and length[order[j]] == length[e]
        ):
            j += 1
        share = uncovered[i] / (j - i)
        for k in range(i, j):
            weight[order[k]] = share
        i = j
    return weight, prefixes


@njit(cache=True)
def _scores(
    order: Array, peer: Array, origin: Array, weight: Array, offsets: Array, ids: Array, sets: Array, n_asn: int
) -> tuple[Array, ...]:
    """Viewpoint scores, global and per origin, for entries sorted by (peer, origin).

    Returns (global peer, global AS id, global score, local peer, local origin, local AS id, local
    score, counts[kept, loops, empty])."""
    n = order.shape[0]
    acc_g = np.zeros(n_asn, np.float64)
    acc_l = np.zeros(n_asn, np.float64)
    touched_g = np.empty(n_asn, np.int64)
    touched_l = np.empty(n_asn, np.int64)
    in_g = np.zeros(n_asn, np.bool_)  # not acc == 0: a prefix fully covered by more-specifics weighs 0
    in_l = np.zeros(n_asn, np.bool_)
    cap_g = 1 << 16
    gp = np.empty(cap_g, np.int64)
    ga = np.empty(cap_g, np.int64)
    gs = np.empty(cap_g, np.float64)
    cap_l = 1 << 18
    lp = np.empty(cap_l, np.int64)
    lo_ = np.empty(cap_l, np.int64)
    la = np.empty(cap_l, np.int64)
    ls = np.empty(cap_l, np.float64)
    counts = np.zeros(3, np.int64)
    buf_id = np.empty(1 << 16, np.int64)
    buf_sh = np.empty(1 << 16, np.float64)
    ng = 0
    nl = 0
    nt_g = 0
    nt_l = 0
    tot_g = 0.0
    tot_l = 0.0
    i = 0
    while i < n:
        e = order[i]
        p = peer[e]
        o = origin[e]
        # path → distinct ASes with their share, or drop
        s0 = offsets[e]
        s1 = offsets[e + 1]
        m = 0
        loop = False
        prev = -1
        for k in range(s0, s1):
            a = int(ids[k])
            if sets[k] == 0:
                if a == prev:
                    continue  # prepending
                prev = a
                share = 1.0
            else:
                prev = -1
                share = 1.0 / sets[k]
            found = -1
            for q in range(m):
                if buf_id[q] == a:
                    found = q
                    break
            if found < 0:
                buf_id[m] = a
                buf_sh[m] = share
                m += 1
            elif sets[k] == 0 and buf_sh[found] == 1.0:
                loop = True  # an AS seen again further along the path
                break
            elif share > buf_sh[found]:
                buf_sh[found] = share
        w = weight[e]
        if m == 0:
            counts[2] += 1
        elif loop:
            counts[1] += 1
        else:
            counts[0] += 1
            tot_g += w
            for q in range(m):
                a = buf_id[q]
                if not in_g[a]:
                    in_g[a] = True
                    touched_g[nt_g] = a
                    nt_g += 1
                acc_g[a] += w * buf_sh[q]
            if o >= 0:
                tot_l += w
                for q in range(m):
                    a = buf_id[q]
                    if not in_l[a]:
                        in_l[a] = True
                        touched_l[nt_l] = a
                        nt_l += 1
                    acc_l[a] += w * buf_sh[q]
        i += 1
        last_peer = i == n or peer[order[i]] != p
        if last_peer or origin[order[i]] != o:
            if nl + nt_l > lp.shape[0]:
                cap_l = max(nl + nt_l, 2 * lp.shape[0])
                lp = _grow_i(lp, cap_l)
                lo_ = _grow_i(lo_, cap_l)
                la = _grow_i(la, cap_l)
                ls = _grow_f(ls, cap_l)
            for q in range(nt_l):
                a = touched_l[q]
                if tot_l > 0:
                    lp[nl] = p
                    lo_[nl] = o
                    la[nl] = a
                    ls[nl] = acc_l[a] / tot_l
                    nl += 1
                acc_l[a] = 0.0
                in_l[a] = False
            nt_l = 0
            tot_l = 0.0
        if last_peer:
            if ng + nt_g > gp.shape[0]:
                cap_g = max(ng + nt_g, 2 * gp.shape[0])
                gp = _grow_i(gp, cap_g)
                ga = _grow_i(ga, cap_g)
                gs = _grow_f(gs, cap_g)
            for q in range(nt_g):
                a = touched_g[q]
                if tot_g > 0:
                    gp[ng] = p
                    ga[ng] = a
                    gs[ng] = acc_g[a] / tot_g
                    ng += 1
                acc_g[a] = 0.0
                in_g[a] = False
            nt_g = 0
            tot_g = 0.0
    return gp[:ng], ga[:ng], gs[:ng], lp[:nl], lo_[:nl], la[:nl], ls[:nl], counts


@njit(cache=True)
def _grow_i(a: Array, n: int) -> Array:
    b = np.empty(n, np.int64)
    b[: a.shape[0]] = a
    return b


@njit(cache=True)
def _grow_f(a: Array, n: int) -> Array:
    b = np.empty(n, np.float64)
    b[: a.shape[0]] = a
    return b


@dataclass
class ViewpointScores:
    """The scores of every peer of one RIB file, before the full-feed rule and the peer-AS averages.

    ``viewpoints``: vp, peer_ip, peer_asn, prefixes; ``global_scores``: vp, asn, score;
    ``local_scores``: vp, origin, asn, score. ``vp`` is the peer's index in the file."""

    source: str
    date: str
    viewpoints: pl.DataFrame
    global_scores: pl.DataFrame
    local_scores: pl.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, tuple[int, int]] = field(default_factory=dict)  # as ``Rib.skipped``


def viewpoint_scores(rib: Rib, af: int = 4) -> ViewpointScores:
    """Score every AS in every viewpoint of ``rib`` for address family ``af`` (4 or 6), globally and per
    origin AS."""
    if af not in (4, 6):
        raise ValueError(f"address family must be 4 or 6, not {af}")
    selected = np.flatnonzero(rib.af == af)
    peer = rib.peer.astype(np.int64)
    n_peer = int(rib.peer_asn.shape[0])
    # Entries grouped by peer keeping file order, which RIB dumps write sorted by prefix; when a file
    # is not sorted, a full sort by (peer, address, length).
    by_prefix = selected[_counting_order(peer[selected], n_peer)]
    if not _prefix_sorted(by_prefix, peer, rib.hi, rib.lo, rib.length):
        by_prefix = selected[np.lexsort((rib.length[selected], rib.lo[selected], rib.hi[selected], peer[selected]))]
    weight, prefixes = _weights(by_prefix, peer, rib.hi, rib.lo, rib.length, af == 6, n_peer)
    origin = rib.origins()
    origin_id, origin_values = _dense(origin[selected] + 1)  # + 1: no origin (-1) becomes 0
    n_origin = len(origin_values)
    by_origin = selected[_counting_order(peer[selected] * n_origin + origin_id, n_peer * n_origin)]
    ids, asns = _dense(rib.asn)
    gp, ga, gs, lp, lorig, la, ls, counts = _scores(
        by_origin,
        peer,
        origin,
        weight,
        rib.path_offsets,
        ids,
        rib.as_set,
        int(asns.shape[0]),
    )
    viewpoints = pl.DataFrame(
        {
            "vp": np.arange(n_peer, dtype=np.int64),
            "peer_ip": rib.peer_ips(),
            "peer_asn": rib.peer_asn,
            "prefixes": prefixes,
        },
        schema={"vp": pl.Int64, "peer_ip": pl.String, "peer_asn": pl.Int64, "prefixes": pl.Int64},
    ).filter(pl.col("prefixes") > 0)
    return ViewpointScores(
        source=rib.path,
        date=rib.date.isoformat(),
        viewpoints=viewpoints,
        global_scores=pl.DataFrame({"vp": gp, "asn": asns[ga], "score": gs}),
        local_scores=pl.DataFrame({"vp": lp, "origin": lorig, "asn": asns[la], "score": ls}),
        counts={
            "entries": len(selected),
            "paths_used": int(counts[0]),
            "paths_with_loops": int(counts[1]),
            "empty_paths": int(counts[2]),
        },
        skipped=rib.skipped,
    )


@dataclass
class Hegemony:
    """Global (asn, hegemony) and local (origin, asn, hegemony) results, with the viewpoints used."""

    global_: pl.DataFrame
    local: pl.DataFrame
    viewpoints: pl.DataFrame  # every viewpoint with ``full`` telling whether it was used
    peer_ases: int
    counts: dict[str, int] = field(default_factory=dict)


@njit(cache=True)
def _trim(values: Array, n: int) -> float:
    """Mean of ``values`` padded with zeros to ``n`` after dropping ⌊0.1·n⌋ at each end: scipy's
    ``trim_mean(padded, 0.1)``, written here because it runs inside the compiled loop of :func:`_combine`
    (once per AS and origin) and counts the zeros without building the padded array."""
    k = int(np.floor(n * TRIM))
    ordered = np.sort(values)
    zeros = n - values.shape[0]
    total = 0.0
    for r in range(values.shape[0]):
        rank = zeros + r  # the absent peer ASes' zeros sort first
        if k <= rank < n - k:
            total += ordered[r]
    return total / (n - 2 * k)


@njit(cache=True)
def _combine(
    order: Array, group: Array, is_self: Array, pa: Array, score: Array, n_pa: int, vps_of_pa: Array
) -> tuple[Array, Array]:
    """Peer-AS averages and trimmed means of viewpoint scores.

    ``order`` sorts the rows by (origin, AS) with each origin's own row group first; ``group`` is the
    (origin, AS) key of each row. Globally (``vps_of_pa`` non-empty) a peer AS averages over all its
    full viewpoints and n is the number of peer ASes; per origin, over its viewpoints that see the
    origin (those with a row for the origin itself) and n counts the peer ASes that see it.
    Returns, per group in order, its first row and its hegemony."""
    n = order.shape[0]
    per_pa = np.zeros(n_pa, np.float64)
    seen = np.zeros(n_pa, np.bool_)
    nv = np.zeros(n_pa, np.int64)
    used = np.empty(n_pa, np.int64)
    values = np.empty(n_pa, np.float64)
    heads = np.empty(n, np.int64)
    result = np.empty(n, np.float64)
    fixed = vps_of_pa.shape[0] > 0
    n_seeing = 0
    if fixed:
        nv[:] = vps_of_pa
        n_seeing = n_pa
    g = 0
    i = 0
    while i < n:
        j = i
        while j < n and group[order[j]] == group[order[i]]:
            j += 1
        if not fixed and is_self[order[i]]:  # a new origin: who sees it
            nv[:] = 0
            n_seeing = 0
            for k in range(i, j):
                nv[pa[order[k]]] += 1
            for q in range(n_pa):
                if nv[q] > 0:
                    n_seeing += 1
        m = 0
        for k in range(i, j):
            q = pa[order[k]]
            if not seen[q]:
                seen[q] = True
                used[m] = q
                m += 1
            per_pa[q] += score[order[k]]
        for t in range(m):
            q = used[t]
            values[t] = per_pa[q] / nv[q]
            per_pa[q] = 0.0
            seen[q] = False
        heads[g] = order[i]
        result[g] = _trim(values[:m], n_seeing)
        g += 1
        i = j
    return heads[:g], result[:g]


def _hegemony_of(frame: pl.DataFrame, pa_index: pl.DataFrame, n_pa: int, vps_of_pa: Array, local: bool) -> pl.DataFrame:
    """Run :func:`_combine` on viewpoint scores, kept for full viewpoints (``pa_index``: vp → pa)."""
    rows = frame.join(pa_index, on="vp")
    if rows.height == 0:
        return pl.DataFrame(schema={"origin": pl.Int64, "asn": pl.Int64, "hegemony": pl.Float64})
    origin = rows["origin"].to_numpy() if local else np.zeros(rows.height, np.int64)
    asn = rows["asn"].to_numpy()
    # one integer key per (origin, AS), the origin's own AS sorting first within the origin; the rows
    # are put in that order by two counting sorts (by AS, then by origin), O(n)
    origin_id, origin_values = _dense(origin)
    asn_id, asn_values = _dense(asn)
    is_self = asn == origin if local else np.zeros(rows.height, np.bool_)
    asn_key = np.where(is_self, 0, asn_id.astype(np.int64) + 1)
    by_asn = _counting_order(asn_key, len(asn_values) + 1)
    order = by_asn[_counting_order(origin_id[by_asn].astype(np.int64), len(origin_values))]
    group = origin_id.astype(np.int64) * (len(asn_values) + 1) + asn_key
    heads, result = _combine(order, group, is_self, rows["pa"].to_numpy(), rows["score"].to_numpy(), n_pa, vps_of_pa)
    return pl.DataFrame({"origin": origin[heads], "asn": asn[heads], "hegemony": result})


def hegemony(parts: list[ViewpointScores]) -> Hegemony:
    """AS hegemony from the viewpoint scores of one or more RIB files of the same date."""
    if not parts:
        raise ValueError("no RIB files to compute hegemony from")
    tagged = [(i << 24, p) for i, p in enumerate(parts)]  # viewpoints of different files stay distinct
    viewpoints = pl.concat(
        [p.viewpoints.with_columns(pl.col("vp") + base, source=pl.lit(p.source)) for base, p in tagged]
    )
    most = viewpoints.select(pl.col("prefixes").max()).item() or 0
    viewpoints = viewpoints.with_columns(full=pl.col("prefixes") >= FULL_FEED * most)
    full = viewpoints.filter("full").select("vp", "peer_asn")
    peer_ases = full.group_by("peer_asn").agg(nv=pl.len()).sort("peer_asn").with_row_index("pa")
    pa_index = full.join(peer_ases.select("peer_asn", pl.col("pa").cast(pl.Int64)), on="peer_asn").select("vp", "pa")
    n_pa = peer_ases.height
    glob = pl.concat([p.global_scores.with_columns(pl.col("vp") + base) for base, p in tagged])
    loc = pl.concat([p.local_scores.with_columns(pl.col("vp") + base) for base, p in tagged])
    vps_of_pa = peer_ases["nv"].to_numpy().astype(np.int64)
    global_ = (
        _hegemony_of(glob, pa_index, n_pa, vps_of_pa, local=False)
        .drop("origin")
        .sort(["hegemony", "asn"], descending=[True, False])
    )
    local = _hegemony_of(loc, pa_index, n_pa, np.empty(0, np.int64), local=True).sort(
        ["origin", "hegemony", "asn"], descending=[False, True, False]
    )
    counts: dict[str, int] = {}
    for p in parts:
        for key, value in p.counts.items():
            counts[key] = counts.get(key, 0) + value
        for kind, (value, _) in p.skipped.items():
            counts[f"skipped {kind} records"] = counts.get(f"skipped {kind} records", 0) + value
    return Hegemony(global_, local, viewpoints, n_pa, counts)


def country_dependency(
    local: pl.DataFrame,
    asn_countries: pl.DataFrame,
    eyeballs: pl.DataFrame | None = None,
    *,
    country: str | None = None,
) -> pl.DataFrame:
    """Dependency of each country on each AS from the per-origin hegemony ``local`` (origin, asn,
    hegemony).

    The origins of country C are the ASes ``asn_countries`` (asn, country) registers in C and that the
    RIB announces. dependency(C, a) = Σ w_o·H_o(a) / Σ w_o, with w_o = 1 per AS, or, given ``eyeballs``
    (asn, country, users), the users of o in C (0 when unknown); ``transit_dependency`` leaves out
    the term o = a from the numerator (what C depends on *a* to carry, not to originate).
    Returns country, asn, dependency, transit_dependency, origins (the origins counted)."""
    registered = asn_countries.select(pl.col("asn").cast(pl.Int64), pl.col("country").cast(pl.String)).unique()
    if country is not None:
        registered = registered.filter(pl.col("country") == country)
    announced = local.select(pl.col("origin").unique())
    origins = registered.join(announced, left_on="asn", right_on="origin").rename({"asn": "origin"})
    if eyeballs is None:
        origins = origins.with_columns(w=pl.lit(1.0))
    else:
        users = eyeballs.group_by(pl.col("asn").cast(pl.Int64), pl.col("country").cast(pl.String)).agg(
            w=pl.col("users").cast(pl.Float64).sum()
        )
        origins = origins.join(
            users, left_on=["origin", "country"], right_on=["asn", "country"], how="left"
        ).with_columns(pl.col("w").fill_null(0.0))
    totals = origins.group_by("country").agg(total=pl.col("w").sum(), origins=pl.len())
    terms = origins.join(local, on="origin").with_columns(term=pl.col("w") * pl.col("hegemony"))
    return (
        terms.group_by("country", "asn")
        .agg(
            num=pl.col("term").sum(),
            transit=pl.when(pl.col("asn") != pl.col("origin")).then(pl.col("term")).otherwise(0.0).sum(),
        )
        .join(totals, on="country")
        .filter(pl.col("total") > 0)
        .select(
            "country",
            "asn",
            dependency=pl.col("num") / pl.col("total"),
            transit_dependency=pl.col("transit") / pl.col("total"),
            origins="origins",
        )
        .sort(["country", "dependency", "asn"], descending=[False, True, False])
    )
