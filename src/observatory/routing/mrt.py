"""MRT routing table dumps (RFC 6396, RFC 8050) read into columns, at compiled speed.

The decompressed file is walked once by a numba-compiled loop that writes into numpy arrays: one row
per RIB entry (viewpoint, prefix, where its AS path starts) and one flat array of AS numbers for all
paths, so a 20-million-entry table never becomes Python objects. Read:

* TABLE_DUMP (type 12), IPv4 and IPv6, 2-byte AS paths (with AS4_PATH merged as RFC 6793 says),
  including the early RIPE RIS dumps that pack several entries into one record;
* TABLE_DUMP_V2 (type 13): PEER_INDEX_TABLE and the IPv4/IPv6 unicast RIBs, with and without ADD-PATH.

Any other record (updates, multicast or generic RIBs, unknown types) is skipped, counted and reported
with the byte offset of its first occurrence. A truncated record, an attribute longer than its record,
an AS path that does not decode (4-byte AS numbers in a 2-byte session), a RIB entry naming a peer
that no peer table declared, or a file without a single RIB entry is a :class:`SourceError` naming
the file and byte offset: nothing is returned in those cases.

**Memory.** Real RIB dumps decompress to several GB, and a small gzip can decompress to far more (a
gzip of zeros is ~1000 times smaller than its content), so the file is never held whole: the
decompressed stream is walked :data:`CHUNK` bytes (64 MiB) at a time, the record that straddles two
pieces is carried over to the next, and everything else the walk needs between pieces (peer tables,
skip counts, the first timestamp, the arrays being filled) lives in :class:`_Walker`. Peak memory is
then one piece plus what the RIB entries found take (30 bytes an entry and 6 an AS number, up to
twice that while the arrays grow), not the decompressed size. What could still grow with the input
without RIB entries is bounded: peers declared by PEER_INDEX_TABLE records (:data:`MAX_PEERS`), kinds
of records skipped (:data:`MAX_SKIPPED_KINDS`) and the length of one record (:data:`CHUNK`); past
those the file is refused as not a RIB dump.

A gzip of zeros is a stream of zero-length records of type 0. It is not refused early (an updates
file is also all skipped records): it is walked to its end with one piece in memory and refused with
"no RIB entries in this file (… type 0/subtype 0)", adding "it ends inside a record" when its size is
not a multiple of 12. A file decompressing to more than :data:`MRT_LIMIT_MB` MiB (or
``OBSERVATORY_MAX_INPUT_MB``) is refused when the walk gets there, which bounds the time any file takes.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from numba import njit, types
from numba.typed import Dict

from observatory.sources import MIB, SourceError, input_limit, open_binary

TABLE_DUMP, TABLE_DUMP_V2 = 12, 13
CHUNK = 64 * MIB  # decompressed bytes walked at a time; also the longest record read
MRT_LIMIT_MB = 64 * 1024  # most a dump may decompress to (a RIPE RIS bview is a few GB)
MAX_PEERS = 1 << 20  # peers that PEER_INDEX_TABLE records may declare in all (a dump has one table)
MAX_SKIPPED_KINDS = 128  # kinds (type, subtype) of record skipped (a real file has a handful)
MRT_TYPES = {
    11: "OSPFv2",
    12: "TABLE_DUMP",
    13: "TABLE_DUMP_V2",
    16: "BGP4MP",
    17: "BGP4MP_ET",
    32: "ISIS",
    33: "ISIS_ET",
    48: "OSPFv3",
    49: "OSPFv3_ET",
}
V2_SUBTYPES = {
    1: "PEER_INDEX_TABLE",
    2: "RIB_IPV4_UNICAST",
    3: "RIB_IPV4_MULTICAST",
    4: "RIB_IPV6_UNICAST",
    5: "RIB_IPV6_MULTICAST",
    6: "RIB_GENERIC",
    7: "GEO_PEER_TABLE",
    8: "RIB_IPV4_UNICAST_ADDPATH",
    9: "RIB_IPV4_MULTICAST_ADDPATH",
    10: "RIB_IPV6_UNICAST_ADDPATH",
    11: "RIB_IPV6_MULTICAST_ADDPATH",
    12: "RIB_GENERIC_ADDPATH",
}
ERRORS = {
    1: "truncated MRT record header",
    2: "MRT record runs past the end of the file (truncated file?)",
    3: "record too short for its fields",
    4: "path attribute longer than its record",
    5: "malformed AS_PATH (segment longer than the attribute or unknown segment type)",
    6: "AS_PATH does not decode with 2-byte AS numbers (4-byte AS numbers in a 2-byte session?)",
    7: "RIB entry names a peer that no PEER_INDEX_TABLE declared",
    8: "prefix length longer than the address",
    9: f"more than {MAX_SKIPPED_KINDS} kinds of MRT record this reader does not read: not an MRT RIB dump",
    10: f"PEER_INDEX_TABLE records declare more than {MAX_PEERS:,} peers in all: not an MRT RIB dump",
}

Array = Any  # numba kernels take arrays of several dtypes; numba types them when it compiles
_PEER_KEY = types.UniTuple(types.int64, 4)  # type: ignore[no-untyped-call]  # (address length, address high, low, AS): one TABLE_DUMP peer


@njit(cache=True)
def _grow(a: Array, need: int) -> Array:
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, a.shape[0] * 2), a.dtype)
    b[: a.shape[0]] = a
    return b


@njit(cache=True)
def _u16(b: Array, i: int) -> int:
    return int((np.int64(b[i]) << 8) | np.int64(b[i + 1]))


@njit(cache=True)
def _u32(b: Array, i: int) -> int:
    return int((np.int64(b[i]) << 24) | (np.int64(b[i + 1]) << 16) | (np.int64(b[i + 2]) << 8) | np.int64(b[i + 3]))


@njit(cache=True)
def _addr(b: Array, i: int, nbytes: int, plen: int, v6: bool) -> tuple[np.uint64, np.uint64]:
    """(high, low) 64-bit halves of an address whose first ``nbytes`` bytes are at ``i`` (IPv4 in the low
    half), with the host bits beyond ``plen`` cleared: routers sometimes leave them set."""
    hi = np.uint64(0)
    lo = np.uint64(0)
    if not v6:
        for k in range(4):
            lo = (lo << np.uint64(8)) | (np.uint64(b[i + k]) if k < nbytes else np.uint64(0))
        if plen < 32:
            lo &= ~((np.uint64(1) << np.uint64(32 - plen)) - np.uint64(1))
        return hi, lo
    for k in range(16):
        v = np.uint64(b[i + k]) if k < nbytes else np.uint64(0)
        if k < 8:
            hi = (hi << np.uint64(8)) | v
        else:
            lo = (lo << np.uint64(8)) | v
    if plen <= 64:
        lo = np.uint64(0)
        if plen == 0:
            hi = np.uint64(0)
        elif plen < 64:
            hi &= ~((np.uint64(1) << np.uint64(64 - plen)) - np.uint64(1))
    elif plen < 128:
        lo &= ~((np.uint64(1) << np.uint64(128 - plen)) - np.uint64(1))
    return hi, lo


@njit(cache=True)
def _segments(b: Array, start: int, end: int, width: int, asn: Array, sets: Array, n: int) -> tuple[int, int, int]:
    """Decode AS_PATH segments b[start:end] (``width``-byte AS numbers) into asn/sets from ``n``.

    Returns (error code, new n, path length counted as RFC 4271 does: a set counts once). Confederation
    segments are left out: they are internal to the neighbour's confederation."""
    i = start
    count = 0
    while i < end:
        if i + 2 > end:
            return 5, n, count
        seg_type = b[i]
        seg_len = int(b[i + 1])
        i += 2
        if seg_type < 1 or seg_type > 4:
            return 5, n, count
        if i + seg_len * width > end:
            return 5, n, count
        if seg_type <= 2:
            for k in range(seg_len):
                p = i + k * width
                asn[n] = _u32(b, p) if width == 4 else _u16(b, p)
                sets[n] = seg_len if seg_type == 1 else 0
                n += 1
            count += 1 if seg_type == 1 else seg_len
        i += seg_len * width
    return 0, n, count


# The parser's counters, kept in one int64 array between the pieces of a file.
_N, _NP, _NPEER, _NSKIP, _V2BASE, _V2COUNT, _FIRST, _ERR, _ERR_AT, _DONE = range(10)
# The arrays it fills (see _Walker): 6 of entries, 2 of AS paths, 4 of peers, 3 of skipped kinds.
_Arrays = tuple[Array, Array, Array, Array, Array, Array, Array, Array, Array, Array, Array, Array, Array, Array, Array]


@njit(cache=True)
def _walk(
    b: Array,
    size: int,
    base: int,
    final: bool,
    st: Array,
    e_peer: Array,
    e_path: Array,
    e_af: Array,
    e_len: Array,
    e_hi: Array,
    e_lo: Array,
    p_asn: Array,
    p_set: Array,
    q_af: Array,
    q_hi: Array,
    q_lo: Array,
    q_asn: Array,
    skip_key: Array,
    skip_count: Array,
    skip_first: Array,
    v1_peers: Any,
    tmp_asn: Array,
    tmp_set: Array,
) -> _Arrays:
    """Walk the complete MRT records of ``b[:size]``, whose first byte is byte ``base`` of the file, adding
    to the arrays (returned, grown) and to the counters ``st``. Unless ``final`` (the end of the file), a
    record that does not end in ``b[:size]`` is left for the next piece: ``st[_DONE]`` is where it starts.
    See :func:`read_rib` for what the arrays are."""
    n = st[_N]
    np_ = st[_NP]
    n_peer = st[_NPEER]
    n_skip = st[_NSKIP]
    v2_base = st[_V2BASE]
    v2_count = st[_V2COUNT]
    first_time = st[_FIRST]
    i = 0
    err = 0
    err_at = 0
    while i < size:
        if i + 12 > size:
            if final:
                err = 1
                err_at = i
            break
        ts = _u32(b, i)
        mtype = _u16(b, i + 4)
        sub = _u16(b, i + 6)
        length = _u32(b, i + 8)
        body = i + 12
        end = body + length
        # A TABLE_DUMP record may run 4 bytes past its stated end (below): wait for them too.
        if end > size or (not final and mtype == 12 and end + 4 > size):
            if final:
                err = 2
                err_at = i
            break
        if first_time < 0:
            first_time = ts
        known = False
        if mtype == 12 and (sub == 1 or sub == 2):
            known = True
            alen = 4 if sub == 1 else 16
            j = body + 4  # view and sequence number: only in the first entry of a record
            # Early RIPE RIS dumps pack many entries in a record whose length leaves out those 4 bytes:
            # entries may run up to 4 bytes past the stated end, and then the record ends there.
            lim = min(end + 4, size)
            while j < end:
                err_at = j
                if j + alen + 2 + 4 + alen + 2 + 2 > lim:
                    err = 3
                    break
                plen = int(b[j + alen])
                if plen > alen * 8:
                    err = 8
                    break
                hi, lo = _addr(b, j, alen, plen, alen == 16)
                k = j + alen + 2 + 4
                phi, plo = _addr(b, k, alen, alen * 8, alen == 16)
                pas = _u16(b, k + alen)
                alen_attr = _u16(b, k + alen + 2)
                a0 = k + alen + 4
                a1 = a0 + alen_attr
                if a1 > lim:
                    err = 4
                    break
                key = (np.int64(alen), np.int64(phi), np.int64(plo), pas)
                if key in v1_peers:
                    peer = v1_peers[key]
                else:
                    peer = n_peer
                    v1_peers[key] = peer
                    q_af = _grow(q_af, n_peer + 1)
                    q_hi = _grow(q_hi, n_peer + 1)
                    q_lo = _grow(q_lo, n_peer + 1)
                    q_asn = _grow(q_asn, n_peer + 1)
                    q_af[n_peer] = 4 if alen == 4 else 6
                    q_hi[n_peer] = phi
                    q_lo[n_peer] = plo
                    q_asn[n_peer] = pas
                    n_peer += 1
                e = _attrs(b, a0, a1, 2, tmp_asn, tmp_set)
                if e[0] != 0:
                    err = e[0]
                    err_at = e[1]
                    break
                m = e[2]
                if n + 1 >= e_peer.shape[0]:
                    e_peer = _grow(e_peer, n + 2)
                    e_path = _grow(e_path, e_peer.shape[0] + 1)
                    e_af = _grow(e_af, n + 2)
                    e_len = _grow(e_len, n + 2)
                    e_hi = _grow(e_hi, n + 2)
                    e_lo = _grow(e_lo, n + 2)
                if np_ + m > p_asn.shape[0]:
                    p_asn = _grow(p_asn, np_ + m)
                    p_set = _grow(p_set, np_ + m)
                p_asn[np_ : np_ + m] = tmp_asn[:m]
                p_set[np_ : np_ + m] = tmp_set[:m]
                np_ += m
                e_peer[n] = peer
                e_af[n] = 4 if alen == 4 else 6
                e_len[n] = plen
                e_hi[n] = hi
                e_lo[n] = lo
                n += 1
                e_path[n] = np_
                j = a1
            if err == 0 and j != end:
                if j == end + 4:
                    end = j
                else:
                    err = 4
            if err != 0:
                break
        elif mtype == 13 and sub == 1:
            known = True
            err_at = body
            if body + 8 > end:
                err = 3
                break
            vlen = _u16(b, body + 4)
            j = body + 6 + vlen
            if j + 2 > end:
                err = 3
                break
            count = _u16(b, j)
            j += 2
            if n_peer + count > MAX_PEERS:
                err = 10
                break
            v2_base = n_peer
            v2_count = count
            q_af = _grow(q_af, n_peer + count)
            q_hi = _grow(q_hi, n_peer + count)
            q_lo = _grow(q_lo, n_peer + count)
            q_asn = _grow(q_asn, n_peer + count)
            for _ in range(count):
                err_at = j
                if j + 5 > end:
                    err = 3
                    break
                ptype = b[j]
                alen = 16 if ptype & 1 else 4
                aslen = 4 if ptype & 2 else 2
                if j + 5 + alen + aslen > end:
                    err = 3
                    break
                phi, plo = _addr(b, j + 5, alen, alen * 8, alen == 16)
                q_af[n_peer] = 6 if alen == 16 else 4
                q_hi[n_peer] = phi
                q_lo[n_peer] = plo
                q_asn[n_peer] = _u32(b, j + 5 + alen) if aslen == 4 else _u16(b, j + 5 + alen)
                n_peer += 1
                j += 5 + alen + aslen
            if err != 0:
                break
        elif mtype == 13 and (sub == 2 or sub == 4 or sub == 8 or sub == 10):
            known = True
            alen = 4 if (sub == 2 or sub == 8) else 16
            addpath = sub >= 8
            err_at = body
            if body + 5 > end:
                err = 3
                break
            plen = int(b[body + 4])
            if plen > alen * 8:
                err = 8
                break
            pbytes = (plen + 7) // 8
            if body + 5 + pbytes + 2 > end:
                err = 3
                break
            hi, lo = _addr(b, body + 5, pbytes, plen, alen == 16)
            count = _u16(b, body + 5 + pbytes)
            j = body + 7 + pbytes
            for _ in range(count):
                err_at = j
                fixed = 2 + 4 + (4 if addpath else 0) + 2
                if j + fixed > end:
                    err = 3
                    break
                pidx = _u16(b, j)
                if v2_base < 0 or pidx >= v2_count:
                    err = 7
                    break
                alen_attr = _u16(b, j + fixed - 2)
                a0 = j + fixed
                a1 = a0 + alen_attr
                if a1 > end:
                    err = 4
                    break
                e = _attrs(b, a0, a1, 4, tmp_asn, tmp_set)
                if e[0] != 0:
                    err = e[0]
                    err_at = e[1]
                    break
                m = e[2]
                if n + 1 >= e_peer.shape[0]:
                    e_peer = _grow(e_peer, n + 2)
                    e_path = _grow(e_path, e_peer.shape[0] + 1)
                    e_af = _grow(e_af, n + 2)
                    e_len = _grow(e_len, n + 2)
                    e_hi = _grow(e_hi, n + 2)
                    e_lo = _grow(e_lo, n + 2)
                if np_ + m > p_asn.shape[0]:
                    p_asn = _grow(p_asn, np_ + m)
                    p_set = _grow(p_set, np_ + m)
                p_asn[np_ : np_ + m] = tmp_asn[:m]
                p_set[np_ : np_ + m] = tmp_set[:m]
                np_ += m
                e_peer[n] = v2_base + pidx
                e_af[n] = 4 if alen == 4 else 6
                e_len[n] = plen
                e_hi[n] = hi
                e_lo[n] = lo
                n += 1
                e_path[n] = np_
                j = a1
            if err != 0:
                break
        if not known:
            key2 = mtype * 65536 + sub
            found = -1
            for s in range(n_skip):
                if skip_key[s] == key2:
                    found = s
                    break
            if found < 0:
                if n_skip == MAX_SKIPPED_KINDS:
                    err = 9
                    err_at = i
                    break
                if n_skip == skip_key.shape[0]:
                    skip_key = _grow(skip_key, n_skip + 1)
                    skip_first = _grow(skip_first, n_skip + 1)
                    grown = np.zeros(skip_key.shape[0], np.int64)
                    grown[:n_skip] = skip_count[:n_skip]
                    skip_count = grown
                found = n_skip
                skip_key[found] = key2
                skip_first[found] = base + i
                n_skip += 1
            skip_count[found] += 1
            # The records that follow, while they are skipped too, in a tight loop: this one costs ~400 ns
            # a record, and a file of zeros holds 89 million records a GB.
            i = _skip_run(b, end, size, final, skip_key, skip_count, n_skip, found)
            continue
        i = end
    st[_N] = n
    st[_NP] = np_
    st[_NPEER] = n_peer
    st[_NSKIP] = n_skip
    st[_V2BASE] = v2_base
    st[_V2COUNT] = v2_count
    st[_FIRST] = first_time
    st[_ERR] = err
    st[_ERR_AT] = base + err_at
    st[_DONE] = i
    return (
        e_peer,
        e_path,
        e_af,
        e_len,
        e_hi,
        e_lo,
        p_asn,
        p_set,
        q_af,
        q_hi,
        q_lo,
        q_asn,
        skip_key,
        skip_count,
        skip_first,
    )


@njit(cache=True)
def _skip_run(
    b: Array, i: int, size: int, final: bool, skip_key: Array, skip_count: Array, n_skip: int, last: int
) -> int:
    """Count the complete records from ``i`` on that :func:`_walk` skips and whose kind it has seen (``last``
    the kind of the one before), up to the first other one; returns where that one starts."""
    while i + 12 <= size:
        mtype = _u16(b, i + 4)
        sub = _u16(b, i + 6)
        if mtype == 12 and (sub == 1 or sub == 2):
            break
        if mtype == 13 and (sub == 1 or sub == 2 or sub == 4 or sub == 8 or sub == 10):
            break
        end = i + 12 + _u32(b, i + 8)
        if end > size or (not final and mtype == 12 and end + 4 > size):
            break
        key = mtype * 65536 + sub
        if skip_key[last] != key:
            found = -1
            for s in range(n_skip):
                if skip_key[s] == key:
                    found = s
                    break
            if found < 0:
                break
            last = found
        skip_count[last] += 1
        i = end
    return i


@njit(cache=True)
def _attrs(b: Array, a0: int, a1: int, width: int, asn: Array, sets: Array) -> tuple[int, int, int]:
    """The AS path of the attributes b[a0:a1] into asn/sets: (error, byte offset of the error, length).

    With 2-byte AS numbers an AS4_PATH, when present, replaces the tail of the AS_PATH (RFC 6793 §4.2.3)."""
    i = a0
    m = 0
    count = 0
    as4_at = -1
    as4_end = -1
    while i < a1:
        if i + 3 > a1:
            return 4, i, 0
        flags = b[i]
        code = b[i + 1]
        if flags & 0x10:
            if i + 4 > a1:
                return 4, i, 0
            alen = _u16(b, i + 2)
            v = i + 4
        else:
            alen = int(b[i + 2])
            v = i + 3
        if v + alen > a1:
            return 4, i, 0
        if code == 2:
            err, m, count = _segments(b, v, v + alen, width, asn, sets, 0)
            if err == 5 and width == 2 and _segments(b, v, v + alen, 4, asn, sets, 0)[0] == 0:
                return 6, i, 0
            if err != 0:
                return 5, i, 0
        elif code == 17 and width == 2:
            as4_at = v
            as4_end = v + alen
        i = v + alen
    if as4_at >= 0:
        # Merge: keep the first (count - count4) elements of AS_PATH, then the whole AS4_PATH.
        tail = np.empty(asn.shape[0], np.uint32)
        tail_set = np.empty(asn.shape[0], np.uint16)
        err4, m4, count4 = _segments(b, as4_at, as4_end, 4, tail, tail_set, 0)
        if err4 == 0 and count4 <= count:
            keep = count - count4
            kept = 0
            k = 0
            while k < m and kept < keep:
                if sets[k] > 0:  # a set counts once: skip over all its members
                    k += int(sets[k])
                else:
                    k += 1
                kept += 1
            asn[k : k + m4] = tail[:m4]
            sets[k : k + m4] = tail_set[:m4]
            m = k + m4
    return 0, 0, m


@dataclass
class Rib:
    """A routing table in columns. Entry ``i`` is seen by peer ``peer[i]``; its AS path is
    ``asn[path[i]:path[i+1]]``, where ``as_set[k]`` is 0 for an AS_SEQUENCE member and the set's size for
    an AS_SET member. Prefixes are (af, length, high, low) with IPv4 addresses in the low half."""

    path: str
    timestamp: int  # of the first MRT record: the dump time
    peer: npt.NDArray[np.int32]
    path_offsets: npt.NDArray[np.int64]
    af: npt.NDArray[np.uint8]
    length: npt.NDArray[np.uint8]
    hi: npt.NDArray[np.uint64]
    lo: npt.NDArray[np.uint64]
    asn: npt.NDArray[np.uint32]
    as_set: npt.NDArray[np.uint16]
    peer_af: npt.NDArray[np.uint8]
    peer_hi: npt.NDArray[np.uint64]
    peer_lo: npt.NDArray[np.uint64]
    peer_asn: npt.NDArray[np.int64]
    skipped: dict[str, tuple[int, int]] = field(default_factory=dict)  # record kind → (count, first offset)

    @property
    def entries(self) -> int:
        return int(self.peer.shape[0])

    @property
    def date(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.timestamp, dt.UTC).date()

    def peer_ips(self) -> list[str]:
        """Peer addresses as text, in peer-index order."""
        return [_ip(int(a), int(h), int(lo)) for a, h, lo in zip(self.peer_af, self.peer_hi, self.peer_lo, strict=True)]

    def origins(self) -> npt.NDArray[np.int64]:
        """The origin AS of each entry: the last AS of its path, or -1 when the path is empty or ends in
        an AS_SET (an aggregate has no single origin)."""
        ends = self.path_offsets[1:]
        has = ends > self.path_offsets[:-1]
        last = np.where(has, ends - 1, 0)
        ok = has & (self.as_set[last] == 0) if self.asn.shape[0] else has
        return np.where(ok, self.asn[last].astype(np.int64) if self.asn.shape[0] else -1, -1)

    def table(self) -> pl.DataFrame:
        """The columnar table: peer_ip, peer_asn, prefix, as_path (AS_SET members flattened, in order),
        origin (null when the path ends in an AS_SET)."""
        ips = pl.Series(self.peer_ips(), dtype=pl.String)
        keys = pl.DataFrame({"af": self.af, "length": self.length, "hi": self.hi, "lo": self.lo})
        unique = keys.unique(maintain_order=True)
        text = [_ip(a, h, lo) + f"/{n}" for a, n, h, lo in unique.iter_rows()]
        prefixes = keys.join(
            unique.with_columns(pl.Series("prefix", text)),
            on=["af", "length", "hi", "lo"],
            how="left",
            maintain_order="left",
        )["prefix"]
        lengths = np.diff(self.path_offsets)
        flat = pl.Series(self.asn.astype(np.int64))
        paths = (
            pl.DataFrame({"i": np.repeat(np.arange(self.entries), lengths), "asn": flat})
            .group_by("i", maintain_order=True)
            .agg("asn")
        )
        as_path = (
            pl.DataFrame({"i": np.arange(self.entries)}).join(paths, on="i", how="left", maintain_order="left")["asn"]
        ).fill_null([])
        origin = self.origins()
        return pl.DataFrame(
            {
                "peer_ip": ips.gather(self.peer.astype(np.int64)) if self.entries else pl.Series([], dtype=pl.String),
                "peer_asn": self.peer_asn[self.peer],
                "prefix": prefixes,
                "as_path": as_path,
                "origin": pl.Series(origin).replace(-1, None),
            }
        )


def _ip(af: int, hi: int, lo: int) -> str:
    if af == 4:
        return str(ipaddress.IPv4Address(lo))
    return str(ipaddress.IPv6Address((hi << 64) | lo))


class _Walker:
    """The state of one walk through an MRT file, fed piece by piece (:func:`_walk`)."""

    def __init__(self) -> None:
        cap, pcap = 1 << 16, 1 << 18
        self.st = np.zeros(10, np.int64)
        self.st[_V2BASE] = -1
        self.st[_FIRST] = -1
        path = np.empty(cap + 1, np.int64)
        path[0] = 0
        self.arrays: _Arrays = (
            np.empty(cap, np.int32),  # entry: peer index
            path,  # entry: where its AS path starts in the flat arrays below
            np.empty(cap, np.uint8),  # entry: address family
            np.empty(cap, np.uint8),  # entry: prefix length
            np.empty(cap, np.uint64),  # entry: prefix, high half
            np.empty(cap, np.uint64),  # entry: prefix, low half
            np.empty(pcap, np.uint32),  # path: AS number
            np.empty(pcap, np.uint16),  # path: 0, or the size of the AS_SET it belongs to
            np.empty(64, np.uint8),  # peer: address family
            np.empty(64, np.uint64),  # peer: address, high half
            np.empty(64, np.uint64),  # peer: address, low half
            np.empty(64, np.int64),  # peer: AS number
            np.empty(64, np.int64),  # skipped kind: type << 16 | subtype
            np.zeros(64, np.int64),  # skipped kind: count
            np.empty(64, np.int64),  # skipped kind: offset of the first
        )
        self.v1_peers = Dict.empty(key_type=_PEER_KEY, value_type=types.int64)
        self.tmp = (np.empty(1 << 16, np.uint32), np.empty(1 << 16, np.uint16))  # an AS_PATH holds ≤ 65535 bytes

    def feed(self, b: npt.NDArray[np.uint8], size: int, base: int, final: bool, path: str | Path) -> int:
        """Walk the records of ``b[:size]`` (byte ``base`` of the file onwards); the number of bytes walked."""
        self.arrays = _walk(b, size, base, final, self.st, *self.arrays, self.v1_peers, *self.tmp)
        code, offset = int(self.st[_ERR]), int(self.st[_ERR_AT])
        if code in (1, 2) and self.st[_N] == 0 and self.st[_NPEER] == 0 and self.st[_NSKIP] > 0:
            # Only records it skips (updates, zeros), and the last one cut: not a RIB, truncated or not.
            raise SourceError(path, f"{self._nothing()}; it ends inside a record", offset=offset)
        if code != 0:
            raise SourceError(path, ERRORS[code], offset=offset)
        return int(self.st[_DONE])

    def _skipped(self) -> dict[str, tuple[int, int]]:
        n_skip = int(self.st[_NSKIP])
        skip_key, skip_count, skip_first = (a[:n_skip] for a in self.arrays[12:])
        return {_kind(int(k)): (int(c), int(f)) for k, c, f in zip(skip_key, skip_count, skip_first, strict=True)}

    def _nothing(self) -> str:
        what = ", ".join(f"{c} {k}" for k, (c, _) in self._skipped().items()) or "no records"
        return f"no RIB entries in this file ({what})"

    def rib(self, path: str | Path) -> Rib:
        """The table walked, or :class:`SourceError` when it holds no RIB entry."""
        n, np_, n_peer = (int(self.st[k]) for k in (_N, _NP, _NPEER))
        if n == 0:
            raise SourceError(path, self._nothing())
        peer, offsets, af, length, hi, lo, asn, as_set, peer_af, peer_hi, peer_lo, peer_asn = self.arrays[:12]
        return Rib(
            str(path),
            int(self.st[_FIRST]),
            peer[:n].copy(),
            offsets[: n + 1].copy(),
            af[:n].copy(),
            length[:n].copy(),
            hi[:n].copy(),
            lo[:n].copy(),
            asn[:np_].copy(),
            as_set[:np_].copy(),
            peer_af[:n_peer].copy(),
            peer_hi[:n_peer].copy(),
            peer_lo[:n_peer].copy(),
            peer_asn[:n_peer].copy(),
            self._skipped(),
        )


def parse_rib(data: bytes | npt.NDArray[np.uint8], path: str | Path = "<bytes>") -> Rib:
    """Read the RIB entries of the MRT bytes ``data``; :class:`SourceError` naming ``path`` and the byte
    offset when a record is truncated or malformed, or when there is no RIB entry at all."""
    buf = np.frombuffer(data, np.uint8) if isinstance(data, bytes | bytearray | memoryview) else data
    walker = _Walker()
    walker.feed(buf, buf.shape[0], 0, True, path)
    return walker.rib(path)


def read_rib(path: str | Path, *, chunk: int = CHUNK) -> Rib:
    """Read an MRT RIB dump (gzip, bz2 or plain) into columns, ``chunk`` decompressed bytes at a time;
    see :func:`parse_rib`. More than ``MRT_LIMIT_MB`` MiB decompressed (or ``OBSERVATORY_MAX_INPUT_MB``),
    or a record longer than ``chunk``, is a :class:`SourceError` naming the file."""
    file = Path(path)
    walker = _Walker()
    buf = np.empty(chunk + 16, np.uint8)  # + the 4 bytes a TABLE_DUMP record may run over, and some
    view = buf.data
    filled = base = 0
    with open_binary(file, limit=input_limit(MRT_LIMIT_MB)) as f:
        while True:
            end = False
            while filled < buf.shape[0]:
                got = f.readinto(view[filled:])
                if not got:
                    end = True
                    break
                filled += got
            done = walker.feed(buf, filled, base, end, path)
            if end:
                break
            if done == 0:  # the buffer is full and its first record does not end in it
                length = int.from_bytes(bytes(buf[8:12]), "big")
                raise SourceError(
                    path,
                    f"an MRT record of {length:,} bytes, longer than the {chunk / MIB:g} MiB this reader "
                    "holds at a time (not an MRT file?)",
                    offset=base,
                )
            ctypes.memmove(buf.ctypes.data, buf.ctypes.data + done, filled - done)  # the unfinished record
            base += done
            filled -= done
    return walker.rib(path)


def _kind(key: int) -> str:
    mtype, sub = key >> 16, key & 0xFFFF
    name = MRT_TYPES.get(mtype, f"type {mtype}")
    if mtype == TABLE_DUMP_V2:
        return f"{name}/{V2_SUBTYPES.get(sub, f'subtype {sub}')}"
    return f"{name}/subtype {sub}"
