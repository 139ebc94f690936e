"""The MRT reader on the real RIBs and router samples, checked against bgpdump and a plain reader,
and on every kind of bad input."""

from __future__ import annotations

import bz2
import gzip
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from observatory.routing.mrt import read_rib
from observatory.sources import SourceError
from tests.conftest import shared_data
from tests.routing import mrtbuild as mb
from tests.routing import naive

# Every RIB file bgpdump reads completely (it reads only the first entry of each record of the
# 2000 RIS dump, which the plain reader below checks instead).
BGPDUMP_FILES = [
    "bgpdump_bview.20020722.2337.gz",
    "bgpdump_bview.64k_stream_overflow.gz",
    "bgpdump_bview.ipv4_unicast_add_path.gz",
    "bgpdump_bview.ipv6_unicast_add_path.gz",
    "mrtparse_bird-mrtdump_rib",
    "mrtparse_bird6-mrtdump_rib",
    "mrtparse_openbgpd_rib_table",
    "mrtparse_openbgpd_rib_table-v2",
    "mrtparse_quagga_rib",
]
Row = tuple[str, int, str, tuple[int, ...]]


def bgpdump_rows(path: Path) -> Counter[Row]:
    bgpdump = shutil.which("bgpdump")
    assert bgpdump, "bgpdump is missing: make system-packages installs it"
    lines = subprocess.run([bgpdump, "-m", str(path)], capture_output=True, text=True, check=True).stdout
    rows: Counter[Row] = Counter()
    for line in lines.splitlines():
        f = line.split("|")
        path_field = f[7] if f[0] == "TABLE_DUMP2_AP" else f[6]
        asns = tuple(int(a) for a in path_field.replace("{", " ").replace("}", " ").replace(",", " ").split())
        rows[(f[3], int(f[4]), f[5], asns)] += 1
    return rows


def our_rows(path: Path) -> Counter[Row]:
    table = read_rib(path).table()
    return Counter(
        (ip, asn, prefix, tuple(p))
        for ip, asn, prefix, p in table.select("peer_ip", "peer_asn", "prefix", "as_path").iter_rows()
    )


@pytest.mark.parametrize("name", BGPDUMP_FILES)
def test_reader_agrees_with_bgpdump(name: str) -> None:
    path = shared_data(f"network/mrt/{name}")
    expected = bgpdump_rows(path)
    assert sum(expected.values()) > 0
    assert our_rows(path) == expected


def test_2002_rib() -> None:
    rib = read_rib(shared_data("network/mrt/bgpdump_bview.20020722.2337.gz"))
    assert rib.entries == 115_521
    assert rib.date.isoformat() == "2002-07-22"
    assert rib.skipped == {}
    table = rib.table()
    assert table.columns == ["peer_ip", "peer_asn", "prefix", "as_path", "origin"]
    first = table.row(0, named=True)
    assert first == {
        "peer_ip": "193.203.0.1",
        "peer_asn": 1853,
        "prefix": "3.0.0.0/8",
        "as_path": [1853, 1239, 80],
        "origin": 80,
    }


def test_2000_ris_rib_with_many_entries_per_record() -> None:
    """RIPE RIS wrote several entries per TABLE_DUMP record in 2000, with a length 4 bytes short."""
    path = shared_data("network/mrt/bgpkit_rrc00_2000.01_bview.20000111.0032.gz")
    rib = read_rib(path)
    plain = naive.read_table_dump(path)
    assert rib.entries == len(plain) == 452_018
    ours = Counter(
        (ip, asn, prefix, tuple(p))
        for ip, asn, prefix, p in rib.table().select("peer_ip", "peer_asn", "prefix", "as_path").iter_rows()
    )
    theirs = Counter(
        (ip, asn, f"{__import__('ipaddress').IPv4Address(net)}/{plen}", tuple(a for a, _ in p))
        for ip, asn, (_, net, plen), p in plain
    )
    assert ours == theirs


def test_add_path_rib_keeps_every_path() -> None:
    rib = read_rib(shared_data("network/mrt/bgpdump_bview.ipv6_unicast_add_path.gz"))
    table = rib.table()
    assert set(table["prefix"].str.contains(":").to_list()) == {True}
    per_prefix = table.group_by("peer_ip", "prefix").len()
    assert (per_prefix["len"] > 1).any()  # several paths of one peer for one prefix


def test_updates_file_is_not_a_rib(tmp_path: Path) -> None:
    path = shared_data("network/mrt/bgpdump_updates.20020722.2238.gz")
    with pytest.raises(
        SourceError, match=r"no RIB entries in this file \(1028 BGP4MP/subtype 1, 93 BGP4MP/subtype 0\)"
    ):
        read_rib(path)


def write(tmp_path: Path, data: bytes, name: str = "rib.mrt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


GOOD = mb.peer_table([("10.0.0.1", 65001), ("10.0.0.2", 65002)]) + mb.rib_ipv4(
    0,
    "192.0.2.0/24",
    [(0, mb.attribute(1, b"\x00") + mb.as_path([65001, 3356, 64500])), (1, mb.as_path([65002, 64500]))],
)


def test_hand_made_rib(tmp_path: Path) -> None:
    rib = read_rib(write(tmp_path, GOOD))
    assert rib.table().to_dicts() == [
        {
            "peer_ip": "10.0.0.1",
            "peer_asn": 65001,
            "prefix": "192.0.2.0/24",
            "as_path": [65001, 3356, 64500],
            "origin": 64500,
        },
        {
            "peer_ip": "10.0.0.2",
            "peer_asn": 65002,
            "prefix": "192.0.2.0/24",
            "as_path": [65002, 64500],
            "origin": 64500,
        },
    ]


def test_truncated_file(tmp_path: Path) -> None:
    with gzip.open(shared_data("network/mrt/bgpdump_bview.20020722.2337.gz")) as f:
        data = f.read()
    cut = len(data) // 2
    with pytest.raises(SourceError, match=r"rib\.mrt, byte \d+: MRT record runs past the end of the file") as e:
        read_rib(write(tmp_path, data[:cut]))
    assert e.value.offset is not None and cut - 200 < e.value.offset < cut
    with pytest.raises(SourceError, match="truncated MRT record header"):
        read_rib(write(tmp_path, GOOD + b"\x00\x00\x00"))


def test_corrupt_gzip(tmp_path: Path) -> None:
    raw = shared_data("network/mrt/bgpdump_bview.20020722.2337.gz").read_bytes()
    with pytest.raises(SourceError, match="truncated or corrupt gzip"):
        read_rib(write(tmp_path, raw[: len(raw) // 2], "rib.gz"))


def test_unknown_type_is_counted_and_reported(tmp_path: Path) -> None:
    strange = mb.record(99, 7, b"\x01\x02\x03") + mb.record(13, 42, b"")
    rib = read_rib(write(tmp_path, strange + GOOD + strange))
    assert rib.entries == 2
    assert rib.skipped == {"type 99/subtype 7": (2, 0), "TABLE_DUMP_V2/subtype 42": (2, 15)}


def test_attribute_longer_than_its_record(tmp_path: Path) -> None:
    bad = mb.peer_table([("10.0.0.1", 65001)]) + mb.rib_ipv4(
        0, "192.0.2.0/24", [(0, mb.attribute(2, b"\x02\x01\x00\x00\xfd\xe9", length=40))]
    )
    with pytest.raises(SourceError, match=r"byte \d+: path attribute longer than its record"):
        read_rib(write(tmp_path, bad))


def test_four_byte_asns_in_a_two_byte_session(tmp_path: Path) -> None:
    bad = mb.table_dump_v1("192.0.2.0/24", "10.0.0.1", 65001, mb.as_path([65001, 3356, 64500], width=4))
    with pytest.raises(SourceError, match="4-byte AS numbers in a 2-byte session"):
        read_rib(write(tmp_path, bad))
    good = mb.table_dump_v1("192.0.2.0/24", "10.0.0.1", 65001, mb.as_path([65001, 3356, 64500], width=2))
    assert read_rib(write(tmp_path, good)).table()["as_path"].to_list() == [[65001, 3356, 64500]]


def test_as4_path_replaces_as_trans(tmp_path: Path) -> None:
    attrs = mb.as_path([65001, 23456, 23456], width=2) + mb.attribute(
        17, b"\x02\x02" + (196608).to_bytes(4, "big") + (4200000000).to_bytes(4, "big")
    )
    rib = read_rib(write(tmp_path, mb.table_dump_v1("192.0.2.0/24", "10.0.0.1", 65001, attrs)))
    assert rib.table()["as_path"].to_list() == [[65001, 196608, 4200000000]]


def test_unknown_peer_and_empty_rib(tmp_path: Path) -> None:
    orphan = mb.rib_ipv4(0, "192.0.2.0/24", [(0, mb.as_path([65001]))])
    with pytest.raises(SourceError, match="names a peer that no PEER_INDEX_TABLE declared"):
        read_rib(write(tmp_path, orphan))
    with pytest.raises(SourceError, match=r"no RIB entries in this file \(no records\)"):
        read_rib(write(tmp_path, b""))
    only_peers = mb.peer_table([("10.0.0.1", 65001)])
    with pytest.raises(SourceError, match="no RIB entries"):
        read_rib(write(tmp_path, only_peers))


def test_bz2_and_truncated_bz2(tmp_path: Path) -> None:
    packed = bz2.compress(GOOD)
    assert read_rib(write(tmp_path, packed, "rib.bz2")).entries == 2
    with pytest.raises(SourceError, match="truncated or corrupt bz2"):
        read_rib(write(tmp_path, packed[: len(packed) // 2], "cut.bz2"))
