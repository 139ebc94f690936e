"""Serving a crowd (``make bench``): 32 clients on each public page against ``/healthz`` in the same run, the
next page after a write, and a mixed load with writes, on SQLite and then on a PostgreSQL server started here.

The registry holds 100,000 generated pledges (the file of ``bench/run.py``); the data at ``../shared/data`` is
loaded too when it is there (once, kept under ``bench/out/``), so the country and group pages show real
figures. The platform runs as it is deployed: ``observatory serve --workers 2`` (one per core here).

Targets (issue 15): each page >= 50 % of ``/healthz``'s throughput with p95 <= 150 ms and no error; the next
page after a write <= 50 ms; mixed load (30 % writes through the API, with versions) without errors other
than 409 and read p95 <= 200 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DATA = ROOT.parent / "shared" / "data"
WITH_DATA = os.environ.get("BENCH_DATA", "1") == "1" and DATA.is_dir()  # BENCH_DATA=0: the registry only
PLEDGES = int(os.environ.get("BENCH_PLEDGES", "100000"))
CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "32"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "30"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)))
DATABASES = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
PARTS = os.environ.get("BENCH_PARTS", "pages,after_write,mixed").split(",")  # BENCH_PARTS=after_write: that one
TOKEN_FILE = "bench-token.txt"  # noqa: S105 (the file's name, not a secret)
PAGES = {
    "dashboard /": "/",
    "explorer /pledges": "/pledges",
    "explorer, LDC and access, by value": "/pledges?country_group=LDC&focus_area=access&sort=-value_usd",
    "country page /countries/MWI": "/countries/MWI",
    "group page /groups/LDC": "/groups/LDC",
    "summary API by focus area": "/api/v1/pledges/summary?by=focus_area",
}
READS = [*PAGES.values(), "/pledges?focus_area=adoption", "/countries/KEN", "/api/v1/pledges/summary?by=country"]


def _observatory(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "observatory", *args], env=env, check=True, capture_output=True,
                          text=True)  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _csv() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"pledges-{PLEDGES}.csv"
    if not path.exists():
        from observatory.pledges.demo import generate

        with path.open("w", encoding="utf-8", newline="") as fh:
            generate(fh, PLEDGES, seed=7)
    return path


def _prepare(env: dict[str, str]) -> None:
    """A registry of generated pledges, the shared data when present, and a secretariat token."""
    _observatory(env, "init")
    started = time.perf_counter()
    _observatory(env, "pledges", "import", str(_csv()))
    print(f"  imported {PLEDGES:,} pledges in {time.perf_counter() - started:.0f} s")
    if WITH_DATA:
        started = time.perf_counter()
        _observatory(env, "data", "load", str(DATA))
        print(f"  loaded {DATA} in {time.perf_counter() - started:.0f} s")
    _observatory(env, "users", "add", "bench@itu.example", "--role", "secretariat")
    token = _observatory(env, "users", "token", "bench@itu.example", "--name", "bench").stdout
    found = next(w for w in token.split() if w.startswith("obs_"))
    Path(env["OBSERVATORY_HOME"], TOKEN_FILE).write_text(found)


def sqlite_home(tmp: Path) -> dict[str, str]:
    """A copy of the prepared SQLite home (prepared once, kept under bench/out/)."""
    kept = OUT / f"serve-home-{PLEDGES}{'-data' if WITH_DATA else ''}"
    if not (kept / TOKEN_FILE).is_file():
        shutil.rmtree(kept, ignore_errors=True)
        print(f"Preparing {kept} (once)")
        _prepare({**os.environ, "OBSERVATORY_HOME": str(kept)})
    home = tmp / "sqlite-home"
    shutil.copytree(kept, home)
    env = {**os.environ, "OBSERVATORY_HOME": str(home)}
    env.pop("OBSERVATORY_DATABASE_URL", None)
    _observatory(env, "init")  # the schema of this checkout, if the kept home is older
    return env


@contextmanager
def postgres_home(tmp: Path) -> Iterator[dict[str, str]]:
    """A PostgreSQL server of Debian's packages in ``tmp`` (as the ``postgres`` user), prepared like SQLite."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise SystemExit("PostgreSQL server binaries not found: run `make system-packages`")
    bin_dir = found[-1].parent
    root = Path(tempfile.mkdtemp(prefix="bench-pg-"))  # not inside ``tmp``: the postgres user must reach it
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if run_as:
        shutil.chown(root, "postgres")
    port = _free_port()
    subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", "postgres",
                    "-E", "UTF8"], check=True, capture_output=True)  # fmt: skip
    options = f"-p {port} -h 127.0.0.1 -k {root} -F -c shared_buffers=512MB"
    subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-o", options, "-l",
                    str(root / "log"), "-w", "start"], check=True, capture_output=True)  # fmt: skip
    try:
        home = tmp / "pg-home"
        env = {**os.environ, "OBSERVATORY_HOME": str(home),
               "OBSERVATORY_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"}  # fmt: skip
        print("Preparing the PostgreSQL database")
        _prepare(env)
        yield env
    finally:
        subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-m", "fast", "-w", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def server(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "observatory", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(WORKERS)],
        env={**env, "OBSERVATORY_LOG_LEVEL": "WARNING"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Load:
    requests: int
    errors: int
    conflicts: int
    per_second: float
    p95_ms: float
    read_p95_ms: float


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.95))] if values else float("nan")


async def _load(base: str, paths: list[str], seconds: float, write_share: float = 0.0, token: str = "",
                refs: list[str] | None = None) -> Load:  # fmt: skip
    """CLIENTS clients on ``paths`` for ``seconds``; with ``write_share``, that part of the requests change a
    pledge through the API, with the version last read (a 409 is counted apart: another client changed it)."""
    latencies: list[float] = []
    reads: list[float] = []
    errors = conflicts = 0
    versions: dict[str, int] = {}
    deadline = time.perf_counter() + seconds
    auth = {"authorization": f"Bearer {token}"}

    async def one(client: httpx.AsyncClient, rng: random.Random) -> None:
        nonlocal errors, conflicts
        start = time.perf_counter()
        writing = refs and rng.random() < write_share
        try:
            if writing:
                assert refs is not None
                ref = rng.choice(refs)
                if ref not in versions:
                    versions[ref] = (await client.get(f"/api/v1/pledges/{ref}", headers=auth)).json()["version"]
                body = {"version": versions[ref], "changes": {"value": rng.randint(1_000, 10**7), "currency": "USD"}}
                response = await client.patch(f"/api/v1/pledges/{ref}", json=body, headers=auth)
                if response.status_code == 200:
                    versions[ref] = response.json()["version"]
                elif response.status_code == 409:
                    conflicts += 1
                    versions.pop(ref, None)
                else:
                    errors += 1
            else:
                response = await client.get(rng.choice(paths))
                if response.status_code != 200:
                    errors += 1
        except httpx.HTTPError:
            errors += 1
        elapsed = (time.perf_counter() - start) * 1000
        latencies.append(elapsed)
        if not writing:
            reads.append(elapsed)

    async def loop(n: int, client: httpx.AsyncClient) -> None:
        rng = random.Random(n)
        while time.perf_counter() < deadline:
            await one(client, rng)

    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(loop(n, client) for n in range(CLIENTS)))
        elapsed = time.perf_counter() - started
    return Load(len(latencies), errors, conflicts, len(latencies) / elapsed, _p95(latencies), _p95(reads))


def _after_write(base: str, token: str, refs: list[str]) -> list[float]:
    """Change one pledge through the API, then time the first explorer page and summary that show the change
    (anonymous readers): asked once the kept copies' allowance (1 s) has passed, so each is drawn again, with
    the pledge index brought up to date first. The newest changed pledge of the public list proves it is in."""
    times: list[float] = []
    auth = {"authorization": f"Bearer {token}"}
    newest = "/api/v1/pledges?sort=-updated_at&per_page=1"
    with httpx.Client(base_url=base, timeout=60) as client:
        for n, ref in enumerate(refs[:10]):
            client.get("/pledges").raise_for_status()
            client.get(newest).raise_for_status()
            pledge = client.get(f"/api/v1/pledges/{ref}", headers=auth).json()
            value = 5_000 + n
            change = {"version": pledge["version"], "changes": {"value": value, "currency": "USD"}}
            client.patch(f"/api/v1/pledges/{ref}", json=change, headers=auth).raise_for_status()
            time.sleep(1.1)
            for path in ("/pledges", newest):
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                response.raise_for_status()
            first = response.json()["items"][0]
            assert (first["reference"], first["value"]) == (ref, value), "the change is in the list"
    return times


def run(name: str, env: dict[str, str]) -> list[tuple[str, str, bool]]:
    token = Path(env["OBSERVATORY_HOME"], TOKEN_FILE).read_text().strip()
    rows: list[tuple[str, str, bool]] = []
    with server(env) as base:
        with httpx.Client(base_url=base, timeout=120) as client:
            refs = [p["reference"] for p in client.get("/api/v1/pledges", params={"per_page": 200}).json()["items"]]
            for path in READS:  # each worker draws each page once before the clock starts
                for _ in range(WORKERS * 2):
                    client.get(path).raise_for_status()
        print(f"\n{name}: {CLIENTS} clients for {SECONDS:.0f} s on each, {WORKERS} workers")
        health = asyncio.run(_load(base, ["/healthz"], SECONDS))
        print(f"  /healthz: {health.per_second:.0f} requests/s, p95 {health.p95_ms:.0f} ms, {health.errors} errors",
              flush=True)  # fmt: skip
        for label, path in PAGES.items() if "pages" in PARTS else ():
            load = asyncio.run(_load(base, [path], SECONDS))
            share = load.per_second / health.per_second
            ok = share >= 0.5 and load.p95_ms <= 150 and load.errors == 0
            rows.append((f"{name}: {label}", f"{load.per_second:.0f}/s, {share:.0%} of /healthz, p95 "
                         f"{load.p95_ms:.0f} ms, {load.errors} errors", ok))  # fmt: skip
            print(f"  {label}: {rows[-1][1]}", flush=True)
        after = _after_write(base, token, refs) if "after_write" in PARTS else [float("nan")]
        median = statistics.median(after)
        rows.append((f"{name}: first page showing a write (median of {len(after)})", f"{median:.0f} ms, max "
                     f"{max(after):.0f} ms", median <= 50))  # fmt: skip
        print(f"  first page showing a write: {rows[-1][1]}", flush=True)
        if "mixed" not in PARTS:
            return rows
        mixed = asyncio.run(_load(base, READS, SECONDS, write_share=0.3, token=token, refs=refs))
        rows.append((f"{name}: mixed, 30 % writes", f"{mixed.per_second:.0f}/s, read p95 {mixed.read_p95_ms:.0f} ms, "
                     f"{mixed.errors} errors, {mixed.conflicts} conflicts (409)",
                     mixed.errors == 0 and mixed.read_p95_ms <= 200))  # fmt: skip
    return rows


def main() -> None:
    print(f"Serving benchmark: {PLEDGES:,} pledges" + (f", the data of {DATA}" if WITH_DATA else ""))
    rows: list[tuple[str, str, bool]] = []
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as folder:
        tmp = Path(folder)
        if "sqlite" in DATABASES:
            rows += run("SQLite", sqlite_home(tmp))
        if "postgresql" in DATABASES:
            with postgres_home(tmp) as env:
                rows += run("PostgreSQL", env)
    width = max(len(r[0]) for r in rows)
    print()
    for label, figure, ok in rows:
        print(f"{label:<{width}}  {figure}  {'ok' if ok else 'MISSED'}")
    print(json.dumps({"missed": [r[0] for r in rows if not r[2]]}))


if __name__ == "__main__":
    main()
