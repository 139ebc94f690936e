"""A full-size synthetic RIB in MRT TABLE_DUMP_V2, written at compiled speed and cached in bench/out.

The shape follows a real table: a three-tier AS hierarchy (tier-1 core, regional transit, stub
origins, a share of 4-byte AS numbers), prefixes from /8 to /24 with /24 the most common and
more-specifics nested in shorter prefixes, paths of 2–8 ASes (about 4.5 on average) with some
prepending and a few AS_SET aggregates, and each full-feed peer seeing most but not all prefixes.
"""

from __future__ import annotations

import gzip
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

Array = Any  # numba kernels take arrays of several dtypes; numba types them when it compiles
TIER1 = 16
TIER2 = 600
TIER3 = 6_000


@dataclass(frozen=True)
class Shape:
    prefixes: int = 1_000_000
    peers: int = 30
    seen: float = 0.7  # share of the prefixes each peer has (all stay above the full-feed threshold)
    origins: int = 70_000
    seed: int = 101

    @property
    def name(self) -> str:
        return f"synthetic-rib-{self.prefixes}p-{self.peers}v-{self.seed}s.mrt.gz"


def _asns(rng: np.random.Generator, n: int) -> Array:
    """n distinct AS numbers; about one in five is a 4-byte number (above 65535)."""
    two = rng.choice(np.arange(1, 64_000), size=int(n * 0.8), replace=False)
    four = rng.choice(np.arange(131_072, 400_000), size=n - two.shape[0], replace=False)
    out = np.concatenate([two, four]).astype(np.int64)
    rng.shuffle(out)
    return out


@njit(cache=True)
def _write(
    out: Array,
    nets: Array,
    lens: Array,
    origin: Array,
    up1: Array,
    up2: Array,
    top: Array,
    peer_as: Array,
    peer_t1: Array,
    seen: Array,
    flags: Array,
) -> int:
    """Write one RIB_IPV4_UNICAST record per prefix into ``out``; returns the bytes written."""
    pos = 0
    n_peers = peer_as.shape[0]
    path = np.empty(16, np.int64)
    for i in range(nets.shape[0]):
        head = pos
        pos += 12
        out[pos : pos + 4] = np.array([(i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255], np.uint8)
        pos += 4
        plen = lens[i]
        out[pos] = plen
        pos += 1
        for k in range((plen + 7) // 8):
            out[pos] = (nets[i] >> (24 - 8 * k)) & 255
            pos += 1
        count_at = pos
        pos += 2
        count = 0
        for p in range(n_peers):
            if not seen[i, p]:
                continue
            count += 1
            # path: peer AS, [its tier-1 when the origin's top is another tier-1], top, up2, up1, origin
            m = 0
            path[m] = peer_as[p]
            m += 1
            if peer_t1[p] != top[i] and peer_as[p] != top[i] and peer_t1[p] != peer_as[p]:
                path[m] = peer_t1[p]
                m += 1
            if path[m - 1] != top[i]:
                path[m] = top[i]
                m += 1
            if up2[i] >= 0 and (p + i) % 3 != 0:
                path[m] = up2[i]
                m += 1
            if up1[i] >= 0:
                path[m] = up1[i]
                m += 1
            path[m] = origin[i]
            m += 1
            prepend = 2 if flags[i] == 1 else 0  # the origin prepends itself twice
            as_set = flags[i] == 2  # an aggregate: the last hop is an AS_SET of two ASes
            out[pos] = p >> 8
            out[pos + 1] = p & 255
            out[pos + 2 : pos + 6] = np.array([0x65, 0x5E, 0x3B, 0x00], np.uint8)
            attr_len_at = pos + 6
            pos += 8
            start = pos
            out[pos : pos + 4] = np.array([0x40, 1, 1, 0], np.uint8)  # ORIGIN IGP
            pos += 4
            seq = m + prepend - (1 if as_set else 0)
            body = 2 + 4 * seq + (2 + 8 if as_set else 0)
            out[pos] = 0x40
            out[pos + 1] = 2
            out[pos + 2] = body
            out[pos + 3] = 2
            out[pos + 4] = seq
            pos += 5
            for k in range(m - (1 if as_set else 0)):
                reps = 1 + (prepend if k == m - 1 else 0)
                for _ in range(reps):
                    a = path[k]
                    out[pos] = (a >> 24) & 255
                    out[pos + 1] = (a >> 16) & 255
                    out[pos + 2] = (a >> 8) & 255
                    out[pos + 3] = a & 255
                    pos += 4
            if as_set:
                out[pos] = 1
                out[pos + 1] = 2
                pos += 2
                for a in (path[m - 1], path[m - 1] + 1):
                    out[pos] = (a >> 24) & 255
                    out[pos + 1] = (a >> 16) & 255
                    out[pos + 2] = (a >> 8) & 255
                    out[pos + 3] = a & 255
                    pos += 4
            out[pos : pos + 7] = np.array([0x40, 3, 4, 10, 0, (p >> 8) & 255, p & 255], np.uint8)  # NEXT_HOP
            pos += 7
            comm = peer_as[p] & 0xFFFF
            out[pos : pos + 3] = np.array([0xC0, 8, 8], np.uint8)  # COMMUNITIES: two
            out[pos + 3] = (comm >> 8) & 255
            out[pos + 4] = comm & 255
            out[pos + 5] = 0
            out[pos + 6] = 100
            out[pos + 7] = (comm >> 8) & 255
            out[pos + 8] = comm & 255
            out[pos + 9] = (i >> 8) & 255
            out[pos + 10] = i & 255
            pos += 11
            alen = pos - start
            out[attr_len_at] = alen >> 8
            out[attr_len_at + 1] = alen & 255
        out[count_at] = count >> 8
        out[count_at + 1] = count & 255
        length = pos - head - 12
        out[head : head + 12] = np.array(
            [
                0x65,
                0x5E,
                0x3B,
                0x00,
                0,
                13,
                0,
                2,
                (length >> 24) & 255,
                (length >> 16) & 255,
                (length >> 8) & 255,
                length & 255,
            ],
            np.uint8,
        )
    return pos


def build(shape: Shape) -> tuple[bytes, dict[str, Array]]:
    """The MRT bytes of ``shape`` and the AS tables used (to build the country registry)."""
    rng = np.random.default_rng(shape.seed)
    ases = _asns(rng, TIER1 + TIER2 + TIER3 + shape.origins)
    tier1, tier2 = ases[:TIER1], ases[TIER1 : TIER1 + TIER2]
    tier3 = ases[TIER1 + TIER2 : TIER1 + TIER2 + TIER3]
    stubs = ases[TIER1 + TIER2 + TIER3 :]
    t2_top = tier1[rng.integers(0, TIER1, TIER2)]
    t3_up = rng.integers(0, TIER2, TIER3)
    n = shape.prefixes
    # prefix lengths: mostly /24, then /22–/23, /16–/21, a few shorter
    lens = rng.choice(np.arange(8, 25), size=n, p=_length_mix()).astype(np.int64)
    nets = rng.integers(1 << 24, 224 << 24, size=n, dtype=np.int64)
    nets &= ~((np.int64(1) << (32 - lens)) - 1)
    key = np.unique(nets * 64 + lens)
    while key.shape[0] < n:  # top up duplicates
        extra = rng.integers(1 << 24, 224 << 24, size=n - key.shape[0], dtype=np.int64) & ~np.int64(255)
        key = np.unique(np.concatenate([key, extra * 64 + 24]))
    key = key[:n]
    nets, lens = key // 64, key % 64
    # origins: stubs and transit ASes, each with a chain to the core
    origin_pool = np.concatenate([stubs, tier3, tier2])
    o_idx = rng.integers(0, origin_pool.shape[0], n)
    origin = origin_pool[o_idx]
    kind = np.where(o_idx < stubs.shape[0], 0, np.where(o_idx < stubs.shape[0] + TIER3, 1, 2))
    stub_up = rng.integers(0, TIER3, stubs.shape[0])  # each stub's provider
    up1 = np.full(n, -1, np.int64)
    up2 = np.full(n, -1, np.int64)
    top = np.empty(n, np.int64)
    s = kind == 0
    t3i = stub_up[o_idx[s]]
    up1[s] = tier3[t3i]
    up2[s] = tier2[t3_up[t3i]]
    top[s] = t2_top[t3_up[t3i]]
    t = kind == 1
    t3i = o_idx[t] - stubs.shape[0]
    up1[t] = tier2[t3_up[t3i]]
    top[t] = t2_top[t3_up[t3i]]
    c = kind == 2
    top[c] = t2_top[o_idx[c] - stubs.shape[0] - TIER3]
    flags = rng.choice(np.array([0, 1, 2]), size=n, p=[0.88, 0.1, 0.02]).astype(np.int64)
    peer_as = np.concatenate([tier1[: shape.peers // 3], tier2[: shape.peers - shape.peers // 3]])
    peer_t1 = np.concatenate([tier1[: shape.peers // 3], t2_top[: shape.peers - shape.peers // 3]])
    seen = rng.random((n, shape.peers)) < shape.seen
    peer_table = _peer_table(peer_as)
    out = np.empty(n * (40 + int(shape.peers * shape.seen * 1.2 + 2) * 70) + len(peer_table), np.uint8)
    out[: len(peer_table)] = np.frombuffer(peer_table, np.uint8)
    size = _write(out[len(peer_table) :], nets, lens, origin, up1, up2, top, peer_as, peer_t1, seen, flags)
    return out[: len(peer_table) + size].tobytes(), {"ases": ases, "stubs": stubs}


def _length_mix() -> Array:
    weights = np.zeros(17)
    weights[16] = 0.58  # /24
    weights[15] = 0.1
    weights[14] = 0.1
    weights[8:14] = 0.03
    weights[0:8] = 0.04 / 8
    return weights / weights.sum()


def _peer_table(peer_as: Array) -> bytes:
    body = bytearray(b"\x0a\x00\x00\x01\x00\x00" + len(peer_as).to_bytes(2, "big"))
    for i, asn in enumerate(peer_as):
        body += bytes([0x02]) + (0x0A000000 + i).to_bytes(4, "big") + bytes([198, 51, 100 + i // 250, i % 250 + 1])
        body += int(asn).to_bytes(4, "big")
    header = (0x655E3B00).to_bytes(4, "big") + (13).to_bytes(2, "big") + (1).to_bytes(2, "big")
    return header + len(body).to_bytes(4, "big") + bytes(body)


def synthetic_rib(directory: Path, shape: Shape | None = None) -> Path:
    """The cached synthetic RIB of ``shape`` (built and gzip-compressed on first use)."""
    shape = shape or Shape()
    path = directory / shape.name
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    data, _ = build(shape)
    partial = path.with_suffix(".part")
    with gzip.open(partial, "wb", compresslevel=1) as f:
        f.write(data)
    os.replace(partial, path)
    print(f"built {path.name}: {len(data) / 1e6:.0f} MB MRT in {time.perf_counter() - start:.0f} s")
    return path


def registry(shape: Shape | None = None) -> tuple[Array, Array]:
    """A synthetic RIR registry for the synthetic RIB: (asn, country index 0–199) for every AS."""
    shape = shape or Shape()
    rng = np.random.default_rng(shape.seed)
    ases = _asns(rng, TIER1 + TIER2 + TIER3 + shape.origins)
    return ases, np.random.default_rng(shape.seed + 1).integers(0, 200, ases.shape[0])
