"""Benchmark of the country and group pages (``make bench BENCH=bench/areas.py``).

On a home holding every file of ``../shared/data`` (built by ``observatory init`` and ``observatory data load``
the first time, then kept under ``bench/out/areas-home`` for the next runs; rebuilt when the data's manifests
change), through a real server (``observatory serve``, one worker, on loopback):

1. **After a data load**: the kept figures are removed, a server is started, and the first ``/countries/MWI``
   and then the first ``/groups/LDC`` compute their figures (once per data revision, for every process).
2. **Cold**: the first request of a fresh server process, with the figures of this revision kept: the first
   ``/countries/MWI`` in one process, the first ``/groups/LDC`` in another; ``BENCH_RUNS`` processes each, the
   median. Target: <= 300 ms. A process counts as started when its port accepts connections (the application
   has started then); the first request is the page itself.
3. **Warm**: the same pages drawn again in one process (a query string the page ignores, so the page cache does
   not answer instead), and the same URL again (the page cache answers), against ``/healthz`` in the same
   process, the baseline: medians and ratios.

Prints a clear message and exits 0 when ``../shared/data`` is absent (a benchmark is not a test).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
HOME = ROOT / "bench" / "out" / "areas-home"
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
REQUESTS = 30
PAGES = {"country": "/countries/MWI", "group": "/groups/LDC"}
COLD_TARGET_MS = 300.0


def data_digest() -> str:
    """A digest of the data's manifests (each lists its files' sha256): the home is rebuilt when they change."""
    digest = hashlib.sha256()
    for manifest in sorted(DATA.rglob("MANIFEST.md")):
        digest.update(str(manifest.relative_to(DATA)).encode())
        digest.update(manifest.read_bytes())
    return digest.hexdigest()


def environment() -> dict[str, str]:
    env = {**os.environ, "OBSERVATORY_HOME": str(HOME)}
    env.pop("OBSERVATORY_DATABASE_URL", None)
    return env


def build_home() -> None:
    """The home with every shared data file loaded, kept between runs (``bench/out`` is not in the repository)."""
    marker = HOME / "bench-data.sha256"
    wanted = data_digest()
    if marker.exists() and marker.read_text() == wanted and (HOME / "observatory.db").exists():
        print(f"areas: home {HOME} (kept from an earlier run)")
        return
    shutil.rmtree(HOME, ignore_errors=True)
    HOME.mkdir(parents=True)
    start = time.perf_counter()
    observatory = [sys.executable, "-m", "observatory"]
    subprocess.run([*observatory, "init"], env=environment(), check=True, capture_output=True)
    subprocess.run([*observatory, "data", "load", str(DATA)], env=environment(), check=True, capture_output=True)
    marker.write_text(wanted)
    print(f"areas: home {HOME} built from {DATA} in {time.perf_counter() - start:.0f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``observatory serve`` with one worker on a free loopback port, stopped on leaving."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=120)

    def __enter__(self) -> httpx.Client:
        os.sync()  # earlier runs' writes flushed, so their write-back does not slow this one
        self.process = subprocess.Popen(
            [sys.executable, "-m", "observatory", "serve", "--port", str(self.port), "--workers", "1"],
            env=environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait()
        except BaseException:
            self.__exit__()
            raise
        return self.client

    def _wait(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the port accepts once the application has started
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped with status {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start within 120 s")

    def __exit__(self, *_: object) -> None:
        self.client.close()
        if self.process is not None:
            self.process.terminate()
            self.process.wait()


def timed_ms(client: httpx.Client, path: str) -> float:
    start = time.perf_counter()
    client.get(path).raise_for_status()
    return (time.perf_counter() - start) * 1000


def median_ms(client: httpx.Client, paths: list[str]) -> float:
    return statistics.median(timed_ms(client, path) for path in paths)


def main() -> None:
    if not DATA.exists():
        print(f"areas: skipped, {DATA} is absent (the benchmark reads ../shared/data)")
        return
    build_home()
    rows: list[tuple[str, float, float | None]] = []

    shutil.rmtree(HOME / "cache" / "areas", ignore_errors=True)
    with Server() as client:
        computed = {kind: timed_ms(client, path) for kind, path in PAGES.items()}
    for kind, ms in computed.items():
        rows.append((f"{kind} page, first after a data load (computes its figures), ms", ms, None))

    cold: dict[str, list[float]] = {kind: [] for kind in PAGES}
    for _ in range(RUNS):
        for kind, path in PAGES.items():
            with Server() as client:
                cold[kind].append(timed_ms(client, path))
    for kind, times in cold.items():
        print(f"  {kind} page, cold runs, ms: " + ", ".join(f"{t:.0f}" for t in times))
        rows.append((f"{kind} page, cold (first request of a process), median ms", statistics.median(times),
                     COLD_TARGET_MS))  # fmt: skip

    with Server() as client:
        timed_ms(client, "/healthz")
        health = median_ms(client, ["/healthz"] * REQUESTS)
        rows.append(("/healthz, warm, median ms (baseline)", health, None))
        for kind, path in PAGES.items():
            drawn = median_ms(client, [f"{path}?bench={i}" for i in range(REQUESTS)])
            kept = median_ms(client, [path] * REQUESTS)
            rows.append((f"{kind} page, warm, drawn again, median ms", drawn, None))
            rows.append((f"{kind} page, warm, drawn again / healthz", drawn / health, None))
            rows.append((f"{kind} page, warm, from the page cache, median ms", kept, None))
        for kind, times in cold.items():
            rows.append((f"{kind} page, cold / healthz", statistics.median(times) / health, None))

    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'value':>10}  {'target':>8}")
    for name, value, target in rows:
        verdict = "" if target is None else ("ok" if value <= target else "MISSED")
        shown = f"{target:>8.1f}" if target is not None else " " * 8
        print(f"{name:<{width}}  {value:>10.2f}  {shown}  {verdict}")


if __name__ == "__main__":
    main()
