"""Benchmark of routing analytics (``make bench BENCH=bench/routing.py``).

On a full-size synthetic RIB in MRT TABLE_DUMP_V2 (1,000,000 IPv4 prefixes, 30 full-feed peers,
about 21 million entries, gzip; built once and cached in bench/out), measured in the same run:

- ours: read + global and per-origin AS hegemony + country dependency (AS and user weighting),
  in a child process so its peak memory is its own;
- baseline 1: ``bgpdump -m FILE > /dev/null`` (Debian's bgpdump) on the same file;
- baseline 2: a Python loop over mrtparse (PyPI) reading each entry's peer, prefix and AS path, on
  the first records of the file (about 400,000 entries), scaled to the whole file by entry count.

Targets: ours ≤ 2× bgpdump, ≥ 10× faster than the mrtparse loop, peak memory ≤ 8 GB.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SUBSET_BYTES = 20_000_000  # of decompressed MRT for the mrtparse loop


def child_ours(path: str) -> None:
    """In a child process: the whole computation; prints seconds, peak memory and row counts."""
    import numpy as np
    import polars as pl
    from bench.lib.synthrib import registry

    from observatory.routing.hegemony import country_dependency, hegemony, viewpoint_scores
    from observatory.routing.mrt import read_rib

    ases, country_index = registry()
    codes = np.array([f"C{i:02d}" for i in range(200)])
    asn_countries = pl.DataFrame({"asn": ases, "country": codes[country_index]})
    users = asn_countries.with_columns(users=pl.Series((ases * 7919) % 100_000))
    start = time.perf_counter()
    rib = read_rib(path)
    read_s = time.perf_counter() - start
    result = hegemony([viewpoint_scores(rib)])
    by_as = country_dependency(result.local, asn_countries)
    by_users = country_dependency(result.local, asn_countries, users)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "read_seconds": read_s,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "entries": rib.entries,
                "path_asns": int(rib.asn.shape[0]),
                "full_viewpoints": int(result.viewpoints["full"].sum()),
                "global_rows": result.global_.height,
                "local_rows": result.local.height,
                "dependency_rows": by_as.height + by_users.height,
            }
        )
    )


def child_mrtparse(path: str) -> None:
    """In a child process: a plain Python loop over mrtparse reading every entry's fields."""
    import mrtparse  # type: ignore[import-untyped]

    start = time.perf_counter()
    entries = 0
    for record in mrtparse.Reader(path):
        data = record.data
        prefix = (data.get("prefix"), data.get("length"))
        for entry in data.get("rib_entries", []):
            peer = entry["peer_index"]
            path_asns: list[str] = []
            for attribute in entry["path_attributes"]:
                if 2 in attribute["type"]:
                    for segment in attribute["value"]:
                        path_asns += segment["value"]
            entries += 1
            del peer, path_asns
        del prefix
    print(json.dumps({"seconds": time.perf_counter() - start, "entries": entries}))


def run_child(*args: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def subset(path: Path) -> Path:
    """The first complete records of ``path`` (about ``SUBSET_BYTES`` decompressed), uncompressed."""
    target = OUT / (path.name.removesuffix(".gz") + ".subset")
    if target.exists():
        return target
    with gzip.open(path, "rb") as f:
        data = f.read(SUBSET_BYTES)
    end = 0
    while end + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, end + 8)
        if end + 12 + length > len(data):
            break
        end += 12 + length
    target.write_bytes(data[:end])
    return target


def main() -> None:
    from bench.lib.synthrib import Shape, synthetic_rib

    bgpdump = shutil.which("bgpdump")
    if not bgpdump:
        raise SystemExit("bgpdump is missing (make system-packages installs Debian's bgpdump)")
    path = synthetic_rib(OUT, Shape())
    print(f"routing: {path.name} ({path.stat().st_size / 1e6:.0f} MB gzip)")
    run_child("ours", str(synthetic_rib(OUT, Shape(prefixes=2_000))))  # compiles the kernels once, untimed

    ours = [run_child("ours", str(path)) for _ in range(RUNS)]
    ours_s = statistics.median(r["seconds"] for r in ours)
    peak = max(r["peak_mb"] for r in ours)
    first = ours[0]
    print(
        f"  ours: read + hegemony (global, per origin) + country dependency, median of {RUNS}: {ours_s:.1f} s "
        f"(read {statistics.median(r['read_seconds'] for r in ours):.1f} s), peak memory {peak:.0f} MB"
    )
    print(
        f"    {first['entries']:,.0f} entries, {first['path_asns']:,.0f} path ASNs, {first['full_viewpoints']:.0f} "
        f"full-feed viewpoints; {first['global_rows']:,.0f} global, {first['local_rows']:,.0f} per-origin, "
        f"{first['dependency_rows']:,.0f} country-dependency rows"
    )

    times = []
    for _ in range(max(1, RUNS // 2)):
        start = time.perf_counter()
        subprocess.run([bgpdump, "-m", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    bgpdump_s = statistics.median(times)
    print(f"  baseline bgpdump -m FILE > /dev/null, median of {len(times)}: {bgpdump_s:.1f} s")

    part = subset(path)
    loop = run_child("mrtparse", str(part))
    scaled = loop["seconds"] * first["entries"] / loop["entries"]
    print(
        f"  baseline mrtparse Python loop: {loop['seconds']:.1f} s for {loop['entries']:,.0f} entries, "
        f"scaled to the file: {scaled:.0f} s"
    )

    ratio_bgpdump = ours_s / bgpdump_s
    ratio_loop = scaled / ours_s
    print(f"  ratio ours / bgpdump: {ratio_bgpdump:.2f} (target ≤ 2) {'OK' if ratio_bgpdump <= 2 else 'MISSED'}")
    print(
        f"  speed-up over the mrtparse loop: {ratio_loop:.1f}× (target ≥ 10) {'OK' if ratio_loop >= 10 else 'MISSED'}"
    )
    print(f"  peak memory: {peak:.0f} MB (target ≤ 8192) {'OK' if peak <= 8192 else 'MISSED'}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # for bench.lib
    if len(sys.argv) == 3 and sys.argv[1] == "ours":
        child_ours(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "mrtparse":
        child_mrtparse(sys.argv[2])
    else:
        main()
