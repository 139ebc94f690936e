"""Decompression bombs and endless lines: every reader of compressed or large input stops at a bound,
with an error naming the file, and the RIR and MRT readers keep their memory small while they do.

The bombs are built here, in the test's temporary folder: gzip of zeros (or of one repeated line) made
by feeding one block many times to a level-1 compressor, about 5 MB of gzip per GB of content. Peak
memory is measured in a child process, from the kernel's high-water mark (``VmHWM``, reset after the
child's imports and a warm-up read), so it is the reader's own.
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from observatory.indicators.sources.base import read_table
from observatory.indicators.sources.wdi_api import WorldBankApiCsv
from observatory.network.sources.caida_ixp import CaidaIxps
from observatory.network.sources.pch import parse_pch
from observatory.network.sources.peeringdb import parse_dump, parse_extract
from observatory.network.sources.rir import parse_rir
from observatory.network.sources.routing_data import ApnicEyeballs, CaidaAsRelationships, CaidaPrefixToAs
from observatory.routing.cti import read_cti
from observatory.routing.mrt import MAX_PEERS, MAX_SKIPPED_KINDS, parse_rib, read_rib
from observatory.sources import MIB, SourceError, line_chunks, open_text, read_bytes
from tests.conftest import shared_data
from tests.network.conftest import FIXTURES
from tests.routing import mrtbuild as mb

ROOT = Path(__file__).resolve().parents[1]
RIR_SAMPLE = FIXTURES / "delegated-afrinic-extended-20240301"
GOOD_RIB = mb.peer_table([("10.0.0.1", 65001)]) + mb.rib_ipv4(0, "192.0.2.0/24", [(0, mb.as_path([65001, 64500]))])

# What the readers may hold above the interpreter with their imports: the RIR reader works on 4 MiB of
# lines at a time, the MRT reader on 64 MiB of records; a whole-file reader would hold the whole GB.
RIR_BOUND_MB = 64
MRT_BOUND_MB = 160


def bomb(path: Path, mib: int, block: bytes = b"\0" * MIB) -> Path:
    """A gzip of ``mib`` MiB made of ``block`` repeated (one gzip member, as a real bomb is)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    repeat = mib * MIB // len(block)
    with path.open("wb") as out:
        for _ in range(repeat):
            out.write(packer.compress(block))
        out.write(packer.flush())
    return path


def comment_lines(size: int = MIB) -> bytes:
    """``size`` bytes of 64-byte ``#`` lines: valid text that every line-based reader skips."""
    return (b"#" * 63 + b"\n") * (size // 64)


CHILD = """
import json, sys
from pathlib import Path
from observatory.sources import SourceError
if sys.argv[1] == "rir":
    from observatory.network.sources.rir import parse_rir as read
else:
    from observatory.routing.mrt import read_rib as read
read(Path(sys.argv[3]))  # warm-up: imports, compiled kernels and caches, on a small good file

def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(key + ":")) / 1024

try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the high-water mark to the current RSS (Linux)
except OSError:
    pass  # then the mark includes the warm-up: the bound below is stricter, not looser
before = status("VmRSS")
try:
    read(Path(sys.argv[2]))
    error = None
except SourceError as e:
    error = str(e)
print(json.dumps({"error": error, "before_mb": before, "peak_mb": status("VmHWM")}))
"""


def run_reader(reader: str, target: Path, warm: Path, max_input_mb: int | None = None) -> dict[str, object]:
    """Run the RIR (``rir``) or MRT (``mrt``) reader on ``target`` in a child process: its error and the
    peak memory it reached above what the process held before (MB)."""
    env = {k: v for k, v in os.environ.items() if k != "OBSERVATORY_MAX_INPUT_MB"}
    if max_input_mb is not None:
        env["OBSERVATORY_MAX_INPUT_MB"] = str(max_input_mb)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, reader, str(target), str(warm)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    result["grew_mb"] = float(result["peak_mb"]) - float(result["before_mb"])  # type: ignore[arg-type]
    return result


@pytest.fixture
def warm_rib(tmp_path: Path) -> Path:
    path = tmp_path / "good.mrt"
    path.write_bytes(GOOD_RIB)
    return path


# --- the RIR and MRT readers on gigabyte bombs, in a child process -------------------------------------


def test_security_05_rir_gzip_bomb_is_refused_with_bounded_memory(tmp_path: Path) -> None:
    """1 GiB of zeros has no line break: refused at the first 1 MiB "line", holding a few MB."""
    path = bomb(tmp_path / "delegated-afrinic-extended-bomb.txt.gz", 1024)
    assert path.stat().st_size < 8 * MIB  # level 1: ~230 times smaller (level 9: ~1000)
    out = run_reader("rir", path, RIR_SAMPLE)
    assert out["error"] == f"{path}, line 1: a line longer than 1 MiB: not a text file?"
    assert float(out["grew_mb"]) < RIR_BOUND_MB, out  # type: ignore[arg-type]


def test_security_05_rir_bomb_of_comment_lines_stops_at_the_limit_with_bounded_memory(tmp_path: Path) -> None:
    """1 GiB of well-formed comment lines: no line is too long, so the size limit (256 MiB) stops it;
    only kept lines are held, so memory stays small all the way."""
    path = bomb(tmp_path / "delegated-comments.txt.gz", 1024, comment_lines())
    out = run_reader("rir", path, RIR_SAMPLE)
    assert out["error"] == (
        f"{path}: decompresses to more than 256 MiB; the limit for this source is 256 MiB "
        "(OBSERVATORY_MAX_INPUT_MB sets another)"
    )
    assert float(out["grew_mb"]) < RIR_BOUND_MB, out  # type: ignore[arg-type]


def test_security_05_mrt_gzip_bomb_ends_without_rib_entries_with_bounded_memory(tmp_path: Path, warm_rib: Path) -> None:
    """1 GiB of zeros is 89,478,485 empty records of type 0 and 4 bytes: walked to the end one 64 MiB
    piece at a time, then refused for having no RIB entry."""
    path = bomb(tmp_path / "bview.bomb.gz", 1024)
    out = run_reader("mrt", path, warm_rib)
    records = 1024 * MIB // 12
    assert out["error"] == (
        f"{path}, byte {records * 12}: no RIB entries in this file ({records} type 0/subtype 0); "
        "it ends inside a record"
    )
    assert float(out["grew_mb"]) < MRT_BOUND_MB, out  # type: ignore[arg-type]


def test_security_05_mrt_size_limit_is_configurable(tmp_path: Path, warm_rib: Path) -> None:
    path = bomb(tmp_path / "bview.bomb.gz", 512)
    out = run_reader("mrt", path, warm_rib, max_input_mb=200)
    assert out["error"] == (
        f"{path}: decompresses to more than 200 MiB; the limit for this source is 200 MiB "
        "(OBSERVATORY_MAX_INPUT_MB sets another)"
    )
    assert float(out["grew_mb"]) < MRT_BOUND_MB, out  # type: ignore[arg-type]


# --- the shared bounds of observatory.sources -----------------------------------------------------------


@pytest.mark.parametrize("pack", [gzip.compress, bz2.compress])
def test_security_05_read_bytes_stops_at_its_limit(tmp_path: Path, pack: object) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(pack(b"\0" * (3 * MIB)))  # type: ignore[operator]
    with pytest.raises(SourceError, match=r"big\.csv: decompresses to more than 2 MiB; the limit for this source"):
        read_bytes(path, limit=2 * MIB)
    assert len(read_bytes(path, limit=3 * MIB)) == 3 * MIB  # exactly the limit is allowed


def test_security_05_plain_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" * MIB)
    with pytest.raises(SourceError, match=r"big\.csv: holds more than 1 MiB; the limit for this source is 1 MiB"):
        read_bytes(path, limit=MIB)


def test_security_05_environment_setting_replaces_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = bomb(tmp_path / "data.csv.gz", 8)
    assert len(read_bytes(path)) == 8 * MIB  # under the default (256 MiB)
    monkeypatch.setenv("OBSERVATORY_MAX_INPUT_MB", "4")
    with pytest.raises(SourceError, match=r"data\.csv\.gz: decompresses to more than 4 MiB"):
        read_bytes(path)


def test_security_05_line_chunks_bound_lines_and_keep_numbers(tmp_path: Path) -> None:
    path = tmp_path / "lines.txt.gz"
    lines = [f"line {i}".encode() * (i % 7 + 1) for i in range(50_000)]
    path.write_bytes(gzip.compress(b"\n".join(lines)))  # no line break at the end
    chunks = list(line_chunks(path, size=4096))
    assert len(chunks) > 100
    assert b"".join(c.data for c in chunks).split(b"\n") == lines
    for c in chunks:
        assert c.data.split(b"\n", 1)[0] == lines[c.line - 1]
        assert c.offset == sum(len(x) + 1 for x in lines[: c.line - 1])
    long = tmp_path / "long.txt"
    long.write_bytes(b"short\n" * 10 + b"x" * 5000 + b"\nshort\n")
    with pytest.raises(SourceError, match=r"long\.txt, line 11: a line longer than"):
        list(line_chunks(long, max_line=4096, size=1024))
    with pytest.raises(SourceError, match=r"long\.txt, line 11: a line longer than"):
        list(line_chunks(long, max_line=4096, size=1 << 16))  # the long line inside one piece


def test_security_05_text_readers_bound_line_length(tmp_path: Path) -> None:
    path = bomb(tmp_path / "zeros.csv.gz", 64)
    long_line = r"zeros\.csv\.gz, line 1: a line longer than 1,048,576 characters"
    with pytest.raises(SourceError, match=long_line), open_text(path) as f:
        for _ in f:
            pass
    with pytest.raises(SourceError, match=r"zeros\.csv\.gz, line 1: a line longer than"):
        read_table(path)  # the indicator sources' CSV reader
    ixps = bomb(tmp_path / "ixs_202401.jsonl.gz", 64)
    with pytest.raises(SourceError, match=r"ixs_202401\.jsonl\.gz, line 1: a line longer than"):
        CaidaIxps().parse(ixps)  # the JSON-lines reader
    text = tmp_path / "ok.csv"
    text.write_text("a,b\n" + "x" * 1000 + ",y\n")
    with open_text(text, max_line=1002) as f:  # the line break does not count
        assert [len(line) for line in f] == [4, 1003]
    with (
        pytest.raises(SourceError, match=r"ok\.csv, line 2: a line longer than 1,001 characters"),
        open_text(text, max_line=1001) as f,
    ):
        list(f)


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("delegated-apnic-20260618.txt.gz", parse_rir),
        ("traixroute_2017-02_ixp_exchange.csv.gz", parse_pch),
        ("peeringdb_dump_20240301.json.gz", parse_dump),
        ("m-appel_20220408-peeringdb-ixp-info.csv.gz", parse_extract),
        ("apnic_aspop-estimate_20220420.csv.gz", ApnicEyeballs().parse),
        ("as-rel2.txt.gz", CaidaAsRelationships().parse),
        ("routeviews-rv6-20210726-0800.pfx2as.gz", CaidaPrefixToAs().parse),
        ("country.transit.summary.202003.csv.gz", read_cti),
        ("sp.pop.totl.csv.gz", read_table),
    ],
)
def test_security_05_every_table_reader_stops_at_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, read: object
) -> None:
    """Valid-looking text (comment lines, no line too long) that decompresses past the limit."""
    monkeypatch.setenv("OBSERVATORY_MAX_INPUT_MB", "2")
    path = bomb(tmp_path / name, 8, comment_lines())
    with pytest.raises(SourceError, match=rf"{name}: decompresses to more than 2 MiB; the limit for this source"):
        read(path)  # type: ignore[operator]


def test_security_05_zip_archive_over_the_limit_is_not_extracted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "API_IT.NET.USER.ZS_DS2_en_csv_v2.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("API_IT.NET.USER.ZS_DS2_en_csv_v2.csv", b"\0" * (8 * MIB))
    monkeypatch.setenv("OBSERVATORY_MAX_INPUT_MB", "4")
    with pytest.raises(SourceError, match=r"\.zip: decompresses to more than 4 MiB \(8 MiB\)"):
        WorldBankApiCsv().parse(path)
    assert not (tmp_path / (path.name + ".files")).exists()


# --- the MRT reader's pieces and its remaining bounds ---------------------------------------------------


@pytest.mark.parametrize("name", ["bgpdump_bview.20020722.2337.gz", "bgpkit_rrc00_2000.01_bview.20000111.0032.gz"])
def test_security_05_mrt_pieces_read_as_the_whole(name: str) -> None:
    """Small pieces cut records everywhere, including the RIS records that run 4 bytes past their end."""
    path = shared_data(f"network/mrt/{name}")
    whole = parse_rib(read_bytes(path), path)
    pieces = read_rib(path, chunk=1 << 16)
    assert pieces.entries == whole.entries > 100_000
    for column in ("peer", "path_offsets", "af", "length", "hi", "lo", "asn", "as_set", "peer_asn", "peer_lo"):
        assert np.array_equal(getattr(pieces, column), getattr(whole, column)), column
    assert (pieces.timestamp, pieces.skipped) == (whole.timestamp, whole.skipped)


def test_security_05_mrt_record_longer_than_a_piece_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rib.mrt.gz"
    path.write_bytes(gzip.compress(GOOD_RIB + mb.record(13, 2, b"\0" * (3 * MIB)) + GOOD_RIB))
    with pytest.raises(
        SourceError, match=r"rib\.mrt\.gz, byte \d+: an MRT record of 3,145,728 bytes, longer than the 1 MiB"
    ):
        read_rib(path, chunk=MIB)
    unknown = mb.record(99, 1, b"\0" * (3 * MIB))
    path.write_bytes(gzip.compress(GOOD_RIB + unknown))
    assert read_rib(path, chunk=4 * MIB).skipped == {"type 99/subtype 1": (1, len(GOOD_RIB))}


def test_security_05_mrt_peer_tables_and_skipped_kinds_are_bounded(tmp_path: Path) -> None:
    peer = struct.pack(">BI", 0x02, 0) + bytes([10, 0, 0, 1]) + struct.pack(">I", 65001)
    full = mb.record(13, 1, struct.pack(">IHH", 0x0A000001, 0, 65_535) + peer * 65_535)  # 65,535 peers
    tables = MAX_PEERS // 65_535 + 1
    path = tmp_path / "peers.mrt"
    path.write_bytes(full * tables + GOOD_RIB)
    with pytest.raises(SourceError, match=r"peers\.mrt, byte \d+: PEER_INDEX_TABLE records declare more than"):
        read_rib(path)
    path.write_bytes(full * (tables - 2) + GOOD_RIB)
    assert read_rib(path).entries == 1
    kinds = b"".join(mb.record(200, k, b"") for k in range(MAX_SKIPPED_KINDS + 1))
    path.write_bytes(GOOD_RIB + kinds * 3)
    with pytest.raises(SourceError, match=rf"more than {MAX_SKIPPED_KINDS} kinds of MRT record"):
        read_rib(path)
    path.write_bytes(GOOD_RIB + kinds[:-12] * 3)
    assert len(read_rib(path).skipped) == MAX_SKIPPED_KINDS
