"""Peak memory of the RIR and MRT readers on decompression bombs and on real files
(``make bench BENCH=bench/memory.py``).

Each measurement is a child process that imports both readers and warms them up on a small real file
(imports, compiled kernels, caches), then reads one input; its peak memory is the child's max RSS.
The baseline, measured in the same run, is the same child reading nothing after its warm-up: the
interpreter with the same imports doing nothing. Inputs:

- a gzip of zeros that decompresses to 4 GiB (about 18 MB, built here in a temporary folder at run
  time): the RIR reader refuses it at its first 1 MiB "line"; the MRT reader walks its 358 million
  empty records of type 0, 64 MiB at a time, and refuses it for holding no RIB entry;
- a gzip of 4 GiB of ``#`` comment lines (valid text, every line skipped): the RIR reader stops at its
  size limit (256 MiB);
- real files of ../shared/data/network: the largest RIR delegated file, the largest MRT RIB (the RIPE
  RIS dump of January 2000, 452,018 entries), and the full-size synthetic RIB of bench/routing.py
  (21 million entries) when bench/out holds it.

Targets: on the bombs, the RIR reader peaks ≤ 64 MB above the baseline and the MRT reader ≤ 128 MB
above it (a reader holding the decompressed file would need 4 GB more).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "network"
OUT = ROOT / "bench" / "out"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
MIB = 1 << 20
BOMB_MIB = 4096
RIR_WARM = DATA / "rir" / "delegated-afrinic-extended-20230323.txt.gz"
MRT_WARM = DATA / "mrt" / "mrtparse_quagga_rib"
RIR_REAL = DATA / "rir" / "delegated-lacnic-extended-20240208.txt.gz"
MRT_REAL = DATA / "mrt" / "bgpkit_rrc00_2000.01_bview.20000111.0032.gz"
SYNTHETIC = OUT / "synthetic-rib-1000000p-30v-101s.mrt.gz"
TARGETS = {"rir": 64.0, "mrt": 128.0}  # MB above the baseline, on the bombs


def child(reader: str, path: str) -> None:
    """In a child process: warm both readers up, read ``path`` with ``reader`` (unless ``none``), print
    seconds, peak memory (MB) and the outcome as JSON."""
    from observatory.network.sources.rir import parse_rir
    from observatory.routing.mrt import read_rib
    from observatory.sources import SourceError

    parse_rir(RIR_WARM)
    read_rib(MRT_WARM)
    start = time.perf_counter()
    outcome = "nothing read"
    try:
        if reader == "rir":
            outcome = f"{parse_rir(Path(path)).records.height:,} records"
        elif reader == "mrt":
            outcome = f"{read_rib(path).entries:,} entries"
    except SourceError as e:
        outcome = f"refused: {e.message}"
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "outcome": outcome}))


def run_child(reader: str, path: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "OBSERVATORY_MAX_INPUT_MB"}  # the default limits
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, __file__, "child", reader, path], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{reader} on {path} failed:\n{done.stderr}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bomb(path: Path, block: bytes) -> Path:
    """A gzip (one member) of ``block`` repeated to ``BOMB_MIB`` MiB, from a level-1 compressor."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    with path.open("wb") as out:
        for _ in range(BOMB_MIB * MIB // len(block)):
            out.write(packer.compress(block))
        out.write(packer.flush())
    return path


def measure(reader: str, path: Path) -> tuple[float, float, str]:
    """Median peak memory (MB) and seconds of ``RUNS`` children, and the outcome of the first."""
    runs = [run_child(reader, str(path)) for _ in range(RUNS)]
    peak = statistics.median(float(r["peak_mb"]) for r in runs)  # type: ignore[arg-type]
    seconds = statistics.median(float(r["seconds"]) for r in runs)  # type: ignore[arg-type]
    return peak, seconds, str(runs[0]["outcome"])


def main() -> None:
    if not DATA.exists():
        sys.exit(f"{DATA} is missing: the benchmark reads ../shared/data/network")
    print(f"memory: peak RSS of a child process (max RSS), median of {RUNS}")
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
        t = time.perf_counter()
        zeros = bomb(Path(folder) / "zeros.gz", b"\0" * MIB)
        comments = bomb(Path(folder) / "comments.gz", (b"#" * 63 + b"\n") * (MIB // 64))
        print(
            f"  bombs built in {time.perf_counter() - t:.1f} s: {BOMB_MIB / 1024:g} GiB of zeros in "
            f"{zeros.stat().st_size / 1e6:.0f} MB of gzip, {BOMB_MIB / 1024:g} GiB of comment lines in "
            f"{comments.stat().st_size / 1e6:.0f} MB"
        )
        base, _, _ = measure("none", zeros)
        print(f"  baseline: the interpreter with both readers imported and warmed up, reading nothing: {base:.0f} MB")
        cases = [
            ("rir", "RIR reader, 4 GiB gzip of zeros", zeros, True),
            ("rir", "RIR reader, 4 GiB gzip of comment lines", comments, True),
            ("mrt", "MRT reader, 4 GiB gzip of zeros", zeros, True),
            ("rir", f"RIR reader, real {RIR_REAL.name}", RIR_REAL, False),
            ("mrt", f"MRT reader, real {MRT_REAL.name}", MRT_REAL, False),
        ]
        if SYNTHETIC.exists():
            cases.append(("mrt", f"MRT reader, full-size synthetic {SYNTHETIC.name}", SYNTHETIC, False))
        else:
            print(f"  ({SYNTHETIC.name} is not in bench/out: bench/routing.py builds it)")
        for reader, label, path, is_bomb in cases:
            peak, seconds, outcome = measure(reader, path)
            above = peak - base
            line = (
                f"  {label}: {peak:.0f} MB, {above:+.0f} MB over the baseline, ratio {peak / base:.2f}; "
                f"{seconds:.2f} s; {outcome}"
            )
            if is_bomb:
                target = TARGETS[reader]
                line += f" (target ≤ +{target:.0f} MB) {'OK' if above <= target else 'MISSED'}"
            print(line)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
