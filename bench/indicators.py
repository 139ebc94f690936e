"""Benchmarks of the connectivity indicators (``make bench``); prints medians, ratios and peak memory.

- Ingest of every file in ``../shared/data/indicators`` (World Bank API CSV and its metadata, four WDI data
  packages, OWID SDG 9.c.1, ITU price baskets) into a fresh SQLite database, through the sources (parse,
  validate, load with provenance), against inserting the same observation rows with plain ``executemany``.
- Recompute of people offline (with imputation and every aggregate), scores against the targets and
  projections for all countries and years, against the naive product population × (1 − Internet use) on
  observed pairs only (the same inputs, no imputation).

Each measurement runs in its own process, so its peak memory is its own. Targets: ingest <= 5 s; recompute
<= 2 s.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "indicators"
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
sys.path.insert(0, str(ROOT))


def fresh_database(home: Path) -> str:
    env = {**os.environ, "OBSERVATORY_HOME": str(home)}
    env.pop("OBSERVATORY_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "observatory", "init"], env=env, check=True, capture_output=True)
    return str(home / "observatory.db")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_ingest(db: str) -> None:
    """In a child process: every indicator file through its source; seconds, rows and peak memory as JSON."""
    from observatory.data.service import indicator_jobs, load
    from observatory.db import engine_for

    engine = engine_for(f"sqlite:///{db}")
    start = time.perf_counter()
    failed = [o for o in load(indicator_jobs(DATA.parent), engine) if o.status != "loaded"]
    assert not failed, failed
    seconds = time.perf_counter() - start
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT count(*) FROM indicator_observation").fetchone()[0]
        loads = con.execute("SELECT count(*) FROM source_load").fetchone()[0]
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "rows": rows, "loads": loads}))


def child_executemany(source_db: str, target_db: str) -> None:
    """In a child process: the same observation rows into the same table with plain sqlite3 executemany."""
    with sqlite3.connect(source_db) as src:
        cursor = src.execute("SELECT * FROM indicator_observation")
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        loads = src.execute("SELECT * FROM source_load").fetchall()
    con = sqlite3.connect(target_db)
    con.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    con.executemany(f"INSERT INTO source_load VALUES ({', '.join('?' * len(loads[0]))})", loads)
    con.executemany(
        f"INSERT INTO indicator_observation ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})", rows
    )
    con.commit()
    print(json.dumps({"seconds": time.perf_counter() - start}))


def child_compute(db: str) -> None:
    """In a child process: read the inputs once, then time the full recompute and the naive product."""
    import polars as pl

    from observatory.db import engine_for, transaction
    from observatory.indicators import service
    from observatory.indicators.catalogue import CONNECTIVITY as INDICATORS
    from observatory.indicators.store import chosen_loads, classifications, observations

    engine = engine_for(f"sqlite:///{db}")
    with transaction(engine) as session:
        start = time.perf_counter()
        loads = chosen_loads(session, INDICATORS)
        series = {code: observations(session, code).select("area", "year", "value") for code in loads}
        region, income = classifications(session, "wb_region"), classifications(session, "wb_income")
        read = time.perf_counter() - start
    full, naive = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = service.compute(series, region, income, loads)
        full.append(time.perf_counter() - start)
        start = time.perf_counter()
        pop, use = series["SP.POP.TOTL"], series["IT.NET.USER.ZS"]
        pop.join(use, on=["area", "year"]).select(
            "area", "year", offline=pl.col("value") * (1 - pl.col("value_right") / 100)
        ).group_by("year").agg(pl.col("offline").sum())
        naive.append(time.perf_counter() - start)
    print(
        json.dumps(
            {
                "read": read,
                "full": statistics.median(full),
                "naive": statistics.median(naive),
                "peak_mb": peak_mb(),
                "country_years": result.offline.countries.height,
                "aggregate_years": result.offline.aggregates.height,
                "scores": result.scores.height,
                "projections": result.projections.height,
            }
        )
    )


def run(*args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    if not DATA.is_dir():
        sys.exit(f"{DATA} is missing: the benchmark reads the real files in ../shared/data/indicators")
    ingests, baselines = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(RUNS):
            db = fresh_database(Path(tmp) / f"run{i}")
            ingests.append(run("ingest", db))
            target = fresh_database(Path(tmp) / f"base{i}")
            baselines.append(run("executemany", db, target))
        compute = run("compute", db)
    ingest = statistics.median(r["seconds"] for r in ingests)
    baseline = statistics.median(r["seconds"] for r in baselines)
    print("Connectivity indicators")
    print(
        f"  ingest of every file in ../shared/data/indicators ({ingests[0]['loads']} loads, "
        f"{ingests[0]['rows']:,} observations), median of {RUNS}: {ingest:.2f} s (target <= 5 s), "
        f"peak {max(r['peak_mb'] for r in ingests):.0f} MB"
    )
    print(f"    baseline, plain executemany of the same rows: {baseline:.2f} s; ratio {ingest / baseline:.1f}x")
    print(
        f"  recompute of people offline, scores and projections ({compute['country_years']:,} country-years, "
        f"{compute['aggregate_years']:,} aggregate-years, {compute['scores']:,} scores, "
        f"{compute['projections']:,} projections), median of {RUNS}: {compute['full']:.3f} s (target <= 2 s), "
        f"peak {compute['peak_mb']:.0f} MB"
    )
    print(f"    reading the inputs from the database: {compute['read']:.3f} s")
    print(
        f"    baseline, naive population x (1 - use) on observed pairs: {compute['naive']:.4f} s; "
        f"ratio {compute['full'] / compute['naive']:.0f}x"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        children: dict[str, Callable[..., None]] = {
            "ingest": child_ingest,
            "executemany": child_executemany,
            "compute": child_compute,
        }
        children[sys.argv[1]](*sys.argv[2:])
    else:
        main()
