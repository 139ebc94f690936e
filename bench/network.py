"""Benchmarks of the Internet infrastructure capability (``make bench BENCH=bench/network.py``).

1. **Real data**: every file of ``../shared/data/network`` that the network sources read (RIR, CAIDA IXPs
   and facilities, PeeringDB dump and CSV extracts, PCH, APNIC eyeballs, CAIDA AS relationships and
   prefix-to-AS; not the MRT files), ingested into a fresh SQLite database with every indicator
   computed. Target: <= 15 s, <= 1 GB peak memory.
2. **Full size, generated**: a PeeringDB dump at today's scale (~1,300 IXPs, ~30,000 networks, ~55,000
   netixlan) and ~1,000,000 RIR records across the five registries. Target: <= 30 s, <= 2 GB. Prints rows
   per second and the ratio against the floor: reading the same files with one polars call each
   (``polars.read_csv`` for RIR files, ``polars.read_json`` for the dump), measured in the same run.

Each timed run is its own process on a fresh database, so its peak memory (max RSS) is its own.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "network"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
RIR_RECORDS = 1_000_000
sys.path.insert(0, str(ROOT))


def real_jobs() -> list[tuple[str, Path]]:
    from observatory.data.service import network_jobs

    return [(job.source, job.path) for job in network_jobs(DATA.parent)]


def child(db: str, jobs_json: str) -> None:
    """In a child process: load every (source, path) as ``observatory data load`` does (each file in its own
    transaction, what joins sources recomputed once after the last), print seconds, rows and peak memory."""
    from observatory.data.service import Job, load
    from observatory.db import engine_for

    engine = engine_for(f"sqlite:///{db}")
    start = time.perf_counter()
    rows = 0
    todo = [Job("network", source, Path(path)) for source, path in json.loads(jobs_json)]
    for outcome in load(todo, engine):
        if outcome.status == "failed":
            raise RuntimeError(f"{outcome.job.path}: {outcome.detail}")
        rows += int(outcome.detail.split(" rows", 1)[0]) if outcome.status == "loaded" else 0
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {"seconds": seconds, "rows": rows, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        )
    )


def floor_child(paths_json: str) -> None:
    """The floor: one polars call per file, nothing else."""
    import polars as pl

    start = time.perf_counter()
    rows = 0
    for path in json.loads(paths_json):
        if path.endswith(".json"):
            rows += pl.read_json(path).height
        else:
            frame = pl.read_csv(
                path,
                separator="|",
                has_header=False,
                comment_prefix="#",
                truncate_ragged_lines=True,
                infer_schema=False,
            )
            rows += frame.height
    print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))


def fresh_database(home: Path) -> str:
    env = {**os.environ, "OBSERVATORY_HOME": str(home)}
    env.pop("OBSERVATORY_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "observatory", "init"], env=env, check=True, capture_output=True)
    return str(home / "observatory.db")


def run_child(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def timed(jobs: list[tuple[str, Path]], label: str) -> list[dict[str, float]]:
    results = []
    for i in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="bench-network-") as home:
            db = fresh_database(Path(home))
            os.sync()
            r = run_child("child", db, json.dumps([(s, str(p)) for s, p in jobs]))
            print(f"  {label} run {i + 1}: {r['seconds']:.2f} s, {int(r['rows']):,} rows, peak {r['peak_mb']:.0f} MB")
            results.append(r)
    return results


def main() -> None:
    if not DATA.exists():
        sys.exit(f"{DATA} is missing: the benchmark reads ../shared/data/network")
    jobs = real_jobs()
    print(f"network: real data, {len(jobs)} files from {DATA}")
    real = timed(jobs, "real")
    seconds = statistics.median(r["seconds"] for r in real)
    peak = max(r["peak_mb"] for r in real)
    print(
        f"network real data: median {seconds:.2f} s (target <= 15 s), peak {peak:.0f} MB (target <= 1024 MB), "
        f"{int(real[0]['rows']):,} rows"
    )

    from bench.lib.network_gen import peeringdb_dump, rir_files

    with tempfile.TemporaryDirectory(prefix="bench-network-gen-") as folder:
        base = Path(folder)
        t = time.perf_counter()
        objects = peeringdb_dump(base / "peeringdb_dump_20260101.json")
        rirs = rir_files(base, RIR_RECORDS)
        print(
            f"network: generated (synthetic) in {time.perf_counter() - t:.1f} s: "
            f"PeeringDB dump of {objects:,} objects, {len(rirs)} RIR files"
        )
        gen_jobs = [("peeringdb", base / "peeringdb_dump_20260101.json")] + [("rir", p) for p in rirs]
        full = timed(gen_jobs, "full size")
        floors = [run_child("floor", json.dumps([str(p) for _, p in gen_jobs])) for _ in range(RUNS)]
    seconds = statistics.median(r["seconds"] for r in full)
    floor = statistics.median(r["seconds"] for r in floors)
    peak = max(r["peak_mb"] for r in full)
    records = RIR_RECORDS + objects  # input records: RIR lines and PeeringDB objects
    print(
        f"network full size: median {seconds:.2f} s (target <= 30 s), peak {peak:.0f} MB (target <= 2048 MB), "
        f"{records / seconds:,.0f} input records/s ({records:,} records; {int(full[0]['rows']):,} rows stored)"
    )
    print(f"network full size floor (one polars read per file): median {floor:.2f} s; ratio {seconds / floor:.1f}x")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "floor":
        floor_child(sys.argv[2])
    else:
        main()
