"""Hand-made MRT records for the bad-input tests (RFC 6396 layouts, written with struct)."""

from __future__ import annotations

import struct

TIME = 1_700_000_000


def record(mrt_type: int, subtype: int, body: bytes, *, length: int | None = None) -> bytes:
    return struct.pack(">IHHI", TIME, mrt_type, subtype, len(body) if length is None else length) + body


def attribute(code: int, value: bytes, *, length: int | None = None) -> bytes:
    return struct.pack(">BBB", 0x40, code, len(value) if length is None else length) + value


def as_path(asns: list[int], width: int = 4, segment: int = 2) -> bytes:
    return attribute(2, struct.pack(">BB", segment, len(asns)) + b"".join(a.to_bytes(width, "big") for a in asns))


def peer_table(peers: list[tuple[str, int]]) -> bytes:
    body = struct.pack(">IHH", 0x0A000001, 0, len(peers))
    for ip, asn in peers:
        body += struct.pack(">BI", 0x02, 0) + bytes(int(x) for x in ip.split(".")) + struct.pack(">I", asn)
    return record(13, 1, body)


def rib_ipv4(seq: int, prefix: str, entries: list[tuple[int, bytes]]) -> bytes:
    """RIB_IPV4_UNICAST: ``entries`` are (peer index, attributes)."""
    net, plen = prefix.split("/")
    nbytes = (int(plen) + 7) // 8
    body = struct.pack(">IB", seq, int(plen)) + bytes(int(x) for x in net.split("."))[:nbytes]
    body += struct.pack(">H", len(entries))
    for peer, attrs in entries:
        body += struct.pack(">HIH", peer, TIME, len(attrs)) + attrs
    return record(13, 2, body)


def table_dump_v1(prefix: str, peer: str, peer_as: int, attrs: bytes) -> bytes:
    """TABLE_DUMP AFI_IPv4 (2-byte AS numbers)."""
    net, plen = prefix.split("/")
    body = struct.pack(">HH", 0, 0) + bytes(int(x) for x in net.split(".")) + struct.pack(">BBI", int(plen), 1, TIME)
    body += bytes(int(x) for x in peer.split(".")) + struct.pack(">HH", peer_as, len(attrs)) + attrs
    return record(12, 1, body)


def segments(*parts: tuple[int, list[int]]) -> bytes:
    """An AS_PATH attribute of several segments: (segment type, AS numbers), 4-byte AS numbers."""
    value = b"".join(
        struct.pack(">BB", kind, len(asns)) + b"".join(a.to_bytes(4, "big") for a in asns) for kind, asns in parts
    )
    return attribute(2, value)


def rib(tables: dict[tuple[str, int], list[tuple[str, bytes]]]) -> bytes:
    """A TABLE_DUMP_V2 file from {(peer ip, peer AS): [(prefix, AS_PATH attribute)]}."""
    peers = list(tables)
    by_prefix: dict[str, list[tuple[int, bytes]]] = {}
    for index, peer in enumerate(peers):
        for prefix, attrs in tables[peer]:
            by_prefix.setdefault(prefix, []).append((index, attrs))
    ordered = sorted(by_prefix, key=lambda p: (tuple(int(x) for x in p.split("/")[0].split(".")), int(p.split("/")[1])))
    return peer_table(peers) + b"".join(rib_ipv4(i, p, by_prefix[p]) for i, p in enumerate(ordered))
