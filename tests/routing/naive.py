"""An independent, deliberately plain implementation of the MRT TABLE_DUMP reader and of AS hegemony.

Written apart from ``observatory.routing`` (no shared code), as directly from the rules in
docs/routing.md as possible, with dictionaries and loops: slow, but easy to check by reading.
"""

from __future__ import annotations

import functools
import gzip
import ipaddress
import math
import struct
from collections import defaultdict
from pathlib import Path

Entry = tuple[str, int, tuple[int, int, int], list[tuple[int, int]]]  # peer ip, peer AS, (af, net, len), path


@functools.cache  # the tests read the 2000 RIB twice
def read_table_dump(path: Path) -> list[Entry]:
    """TABLE_DUMP (MRT type 12, IPv4) entries: peer IP, peer AS, prefix, path as (AS, set size or 0)."""
    with gzip.open(path) as f:
        data = f.read()
    entries: list[Entry] = []
    pos = 0
    while pos < len(data):
        _, mrt_type, subtype, length = struct.unpack_from(">IHHI", data, pos)
        body = pos + 12
        end = body + length
        assert mrt_type == 12 and subtype == 1, (mrt_type, subtype)
        at = body + 4  # view, sequence
        while at < end:
            net, plen, _status, _time, peer, peer_as, attr_len = struct.unpack_from(">IBBIIHH", data, at)
            attrs = data[at + 18 : at + 18 + attr_len]
            at += 18 + attr_len
            entries.append((str(ipaddress.IPv4Address(peer)), peer_as, (4, net, plen), as_path(attrs)))
        pos = at  # the old RIS files state a length 4 bytes short; the entries say where the record ends
    return entries


def as_path(attrs: bytes) -> list[tuple[int, int]]:
    path: list[tuple[int, int]] = []
    i = 0
    while i < len(attrs):
        flags, code = attrs[i], attrs[i + 1]
        if flags & 0x10:
            (alen,) = struct.unpack_from(">H", attrs, i + 2)
            value = attrs[i + 4 : i + 4 + alen]
            i += 4 + alen
        else:
            alen = attrs[i + 2]
            value = attrs[i + 3 : i + 3 + alen]
            i += 3 + alen
        if code == 2:
            j = 0
            while j < len(value):
                seg_type, count = value[j], value[j + 1]
                members = list(struct.unpack_from(f">{count}H", value, j + 2))
                j += 2 + 2 * count
                if seg_type == 1:
                    path += [(a, count) for a in members]
                elif seg_type == 2:
                    path += [(a, 0) for a in members]
    return path


def path_shares(path: list[tuple[int, int]]) -> dict[int, float] | None:
    """AS → share for one path, None when the path has a loop or is empty."""
    collapsed: list[tuple[int, int]] = []
    for asn, set_size in path:
        if set_size == 0 and collapsed and collapsed[-1] == (asn, 0):
            continue
        collapsed.append((asn, set_size))
    sequence = [a for a, s in collapsed if s == 0]
    if len(sequence) != len(set(sequence)) or not collapsed:
        return None
    shares: dict[int, float] = {}
    for asn, set_size in collapsed:
        share = 1.0 if set_size == 0 else 1.0 / set_size
        shares[asn] = max(shares.get(asn, 0.0), share)
    return shares


def origin_of(path: list[tuple[int, int]]) -> int | None:
    return path[-1][0] if path and path[-1][1] == 0 else None


def trimmed_mean(values: list[float], n: int) -> float:
    padded = sorted(values + [0.0] * (n - len(values)))
    k = math.floor(0.1 * n)
    kept = padded[k : n - k]
    return sum(kept) / len(kept)


def hegemony(entries: list[Entry]) -> tuple[dict[int, float], dict[tuple[int, int], float]]:
    """Global {AS: hegemony} and local {(origin, AS): hegemony}, IPv4."""
    tables: dict[tuple[str, int], list[tuple[tuple[int, int, int], list[tuple[int, int]]]]] = defaultdict(list)
    for peer, peer_as, prefix, path in entries:
        tables[(peer, peer_as)].append((prefix, path))
    counts = {vp: len({p for p, _ in rows}) for vp, rows in tables.items()}
    most = max(counts.values())
    full = [vp for vp in tables if counts[vp] >= 0.5 * most]

    global_vp: dict[tuple[str, int], dict[int, float]] = {}
    local_vp: dict[tuple[str, int], dict[int, dict[int, float]]] = {}
    for vp in full:
        rows = tables[vp]
        prefixes = {p for p, _ in rows}
        uncovered = {p: 2 ** (32 - p[2]) for p in prefixes}
        for p in prefixes:  # subtract p from its closest covering prefix in this table
            for shorter in range(p[2] - 1, -1, -1):
                mask = (0xFFFFFFFF << (32 - shorter)) & 0xFFFFFFFF
                parent = (4, p[1] & mask, shorter)
                if parent in prefixes:
                    uncovered[parent] -= 2 ** (32 - p[2])
                    break
        paths_per_prefix: dict[tuple[int, int, int], int] = defaultdict(int)
        for p, _ in rows:
            paths_per_prefix[p] += 1
        total = 0.0
        acc: dict[int, float] = defaultdict(float)
        local_total: dict[int, float] = defaultdict(float)
        local_acc: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for p, path in rows:
            shares = path_shares(path)
            if shares is None:
                continue
            w = uncovered[p] / paths_per_prefix[p]
            total += w
            for asn, share in shares.items():
                acc[asn] += w * share
            origin = origin_of(path)
            if origin is not None:
                local_total[origin] += w
                for asn, share in shares.items():
                    local_acc[origin][asn] += w * share
        global_vp[vp] = {a: v / total for a, v in acc.items()}
        local_vp[vp] = {
            o: {a: v / local_total[o] for a, v in per.items()} for o, per in local_acc.items() if local_total[o] > 0
        }

    by_peer_as: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for vp in full:
        by_peer_as[vp[1]].append(vp)
    peer_ases = sorted(by_peer_as)

    all_ases = {a for scores in global_vp.values() for a in scores}
    global_result = {}
    for asn in all_ases:
        values = []
        for pa in peer_ases:
            vps = by_peer_as[pa]
            values.append(sum(global_vp[vp].get(asn, 0.0) for vp in vps) / len(vps))
        global_result[asn] = trimmed_mean(values, len(values))

    local_result = {}
    origins = {o for per in local_vp.values() for o in per}
    for o in origins:
        seeing = {pa: [vp for vp in by_peer_as[pa] if o in local_vp[vp]] for pa in peer_ases}
        seeing = {pa: vps for pa, vps in seeing.items() if vps}
        ases = {a for vps in seeing.values() for vp in vps for a in local_vp[vp][o]}
        for asn in ases:
            values = [sum(local_vp[vp][o].get(asn, 0.0) for vp in vps) / len(vps) for vps in seeing.values()]
            local_result[(o, asn)] = trimmed_mean(values, len(values))
    return global_result, local_result
