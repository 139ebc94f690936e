"""Benchmarks of the pledge registry (``make bench``); prints medians and ratios against baselines.

- Import of 100,000 generated pledges (~300,000 target links) into SQLite through the importer, against
  inserting the same rows into the same tables with plain ``executemany`` (measured in the same run).
  Each import runs in its own process, so its peak memory is its own.
- ``/api/v1/pledges/summary`` for every ``by`` and filtered list pages, through a real HTTP server.

- The dashboard and explorer pages, and a bounded load run (32 clients for 30 s on loopback).

Targets: import <= 15 s, <= 500 MB, <= 3x executemany; summary median <= 50 ms; filtered list page
median <= 100 ms; dashboard and explorer pages median <= 150 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PLEDGES = int(os.environ.get("BENCH_PLEDGES", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
REQUESTS = 30
TABLES = ("organisation", "pledge", "pledge_focus_area", "pledge_pillar", "pledge_country", "pledge_partner",
          "audit_entry")  # fmt: skip


def fresh_database(home: Path) -> str:
    env = {**os.environ, "OBSERVATORY_HOME": str(home)}
    env.pop("OBSERVATORY_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "observatory", "init"], env=env, check=True, capture_output=True)
    return str(home / "observatory.db")


def child_import(db: str, csv_path: str) -> None:
    """In a child process: import the file, print seconds and peak memory as JSON."""
    from observatory.db import engine_for, transaction
    from observatory.pledges.csvio import import_pledges

    engine = engine_for(f"sqlite:///{db}")
    start = time.perf_counter()
    with transaction(engine) as session:
        result = import_pledges(session, Path(csv_path), "bench")
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "created": result.created}))


def child_executemany(source_db: str, target_db: str) -> None:
    """In a child process: the same rows into the same tables with plain sqlite3 executemany."""
    src = sqlite3.connect(source_db)
    data = {}
    for table in TABLES:
        cursor = src.execute(f"SELECT * FROM {table}")
        data[table] = ([d[0] for d in cursor.description], cursor.fetchall())
    src.close()
    con = sqlite3.connect(target_db)
    con.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    for table in TABLES:
        columns, rows = data[table]
        placeholders = ", ".join("?" for _ in columns)
        con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)
    con.commit()
    print(json.dumps({"seconds": time.perf_counter() - start}))


def run_child(*args: str) -> dict[str, float]:
    """Run one measurement in a fresh process, after flushing earlier runs' writes to disk so that their
    write-back does not slow this one down."""
    os.sync()
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def median_ms(client: httpx.Client, path: str, params: Mapping[str, str]) -> float:
    client.get(path, params=params).raise_for_status()  # warm-up (first call builds the columns)
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        client.get(path, params=params).raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


LOAD_CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "32"))
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "30"))
LOAD_PATHS = ("/", "/pledges?focus_area=access", "/api/v1/pledges/summary?by=country")


async def load_run(base_url: str) -> dict[str, float]:
    """A bounded load on loopback: LOAD_CLIENTS clients for LOAD_SECONDS, then it stops by itself."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + LOAD_SECONDS

    async def client_loop(n: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        i = n
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                response = await client.get(LOAD_PATHS[i % len(LOAD_PATHS)])
                if response.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - start) * 1000)
            i += 1

    limits = httpx.Limits(max_connections=LOAD_CLIENTS)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(n, client) for n in range(LOAD_CLIENTS)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "throughput": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] if latencies else 0.0,
        "p95": latencies[int(len(latencies) * 0.95)] if latencies else 0.0,
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    csv_path = OUT / f"pledges-{PLEDGES}.csv"
    if not csv_path.exists():
        with csv_path.open("w", encoding="utf-8", newline="") as fh:
            from observatory.pledges.demo import generate

            generate(fh, PLEDGES, seed=7)
    print(f"Benchmark data: {PLEDGES:,} synthetic pledges ({csv_path.stat().st_size / 1e6:.0f} MB CSV)")

    imports, baselines, last_db = [], [], ""
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(RUNS):
            db = fresh_database(Path(tmp) / f"import{run}")
            imports.append(run_child("_import", db, str(csv_path)))
            base = fresh_database(Path(tmp) / f"base{run}")
            baselines.append(run_child("_executemany", db, base))
            last_db = db
        con = sqlite3.connect(last_db)
        n_links = con.execute("SELECT count(*) FROM pledge_country").fetchone()[0]
        con.close()

        t_import = statistics.median(r["seconds"] for r in imports)
        t_base = statistics.median(r["seconds"] for r in baselines)
        peak = max(r["peak_mb"] for r in imports)
        rows = [
            ("import 100k pledges, median s", t_import, 15.0),
            ("import peak memory, MB", peak, 500.0),
            ("import / executemany ratio", t_import / t_base, 3.0),
        ]
        print(f"Import: {int(imports[0]['created']):,} pledges, {n_links:,} target links, {RUNS} runs")
        print("  import runs, s: " + ", ".join(f"{r['seconds']:.2f}" for r in imports))
        print(f"  executemany baseline median: {t_base:.2f} s")

        port = free_port()
        env = {**os.environ, "OBSERVATORY_DATABASE_URL": f"sqlite:///{last_db}", "OBSERVATORY_HOME": tmp}
        server = subprocess.Popen(
            [sys.executable, "-m", "observatory", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                for _ in range(100):
                    try:
                        client.get("/healthz")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                start = time.perf_counter()
                client.get("/api/v1/pledges/summary", params={"by": "focus_area"}).raise_for_status()
                rebuild = (time.perf_counter() - start) * 1000
                print(f"  first request after the import (builds the pledge index): {rebuild:.0f} ms")
                for by in ("focus_area", "pillar", "country", "region", "country_group", "stakeholder_type",
                           "pledge_type", "status", "year"):  # fmt: skip
                    rows.append(
                        (f"summary by={by}, median ms", median_ms(client, "/api/v1/pledges/summary", {"by": by}), 50.0)
                    )
                ldc_access = {"by": "country", "country_group": "LDC", "focus_area": "access"}
                filtered = median_ms(client, "/api/v1/pledges/summary", ldc_access)
                rows.append(("summary by=country, filtered (LDC, access), median ms", filtered, 50.0))
                pages = {
                    "list: focus_area=access, by value": {"focus_area": "access", "sort": "-value_usd"},
                    "list: country_group=LDC, page 20": {"country_group": "LDC", "page": "20"},
                    "list: region=africa, pledge_type=financial, year=2024": {
                        "region": "africa", "pledge_type": "financial", "year": "2024",
                    },
                    "list: q=rural, country=MWI": {"q": "rural", "country": "MWI"},
                }  # fmt: skip
                for name, params in pages.items():
                    rows.append((f"{name}, median ms", median_ms(client, "/api/v1/pledges", params), 100.0))
                web_pages = {
                    "page: dashboard": ("/", {}),
                    "page: explorer": ("/pledges", {}),
                    "page: explorer, LDC and access, by value": (
                        "/pledges", {"country_group": "LDC", "focus_area": "access", "sort": "-value_usd"},
                    ),
                }  # fmt: skip
                for name, (path, params) in web_pages.items():
                    rows.append((f"{name}, median ms", median_ms(client, path, params), 150.0))
            load = asyncio.run(load_run(f"http://127.0.0.1:{port}"))
        finally:
            server.terminate()
            server.wait()

    print(
        f"\nLoad run: {LOAD_CLIENTS} clients for {LOAD_SECONDS} s on the dashboard, the explorer and the API summary: "
        f"{load['requests']} requests, {load['errors']} errors, {load['throughput']:.1f} requests/s, "
        f"p50 {load['p50']:.0f} ms, p95 {load['p95']:.0f} ms"
    )
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'value':>10}  {'target':>8}")
    for name, value, target in rows:
        verdict = "ok" if value <= target else "MISSED"
        print(f"{name:<{width}}  {value:>10.2f}  {target:>8.1f}  {verdict}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_import":
        child_import(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "_executemany":
        child_executemany(sys.argv[2], sys.argv[3])
    else:
        main()
