"""Benchmarks of the annual reports (``make bench BENCH=bench/reports.py``).

The database holds 100,000 generated pledges (``observatory demo generate``, imported through the importer, so
every pledge has its audit record) and, when ``../shared/data`` is beside the project, the real indicator
files (the report's connectivity context).

1. **PDF report** ``observatory report p2c --year 2025 --format pdf``, each run its own process (its peak memory
   its own): as of today (the live registry) and as of yesterday with every write moved two days back (the
   registry rebuilt from the audit log). Target: <= 30 s and <= 1 GB. Baseline, in the same run: WeasyPrint
   alone drawing the same document's HTML (the floor any PDF of this report costs).
2. **HTML report page** ``GET /reports/p2c/2025`` through a real server: the first request, then the median of
   warm requests. Target: <= 2 s. Baseline, in the same run: ``GET /api/v1/pledges/summary?by=focus_area``.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
PLEDGES = int(os.environ.get("BENCH_PLEDGES", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
YEAR = 2025
REQUESTS = 10


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "OBSERVATORY_HOME": str(home)}
    env.pop("OBSERVATORY_DATABASE_URL", None)
    return env


def observatory(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "observatory", *args], env=_env(home), check=True, capture_output=True, text=True
    )


def prepare(home: Path) -> None:
    """A home with the generated pledges and, when present, the real indicators."""
    observatory(home, "init")
    csv_path = home / "pledges.csv"
    observatory(home, "demo", "generate", "--pledges", str(PLEDGES), "--output", str(csv_path))
    observatory(home, "pledges", "import", str(csv_path))
    if (SHARED / "indicators").is_dir():
        folder = home / "data"
        folder.mkdir()
        (folder / "indicators").symlink_to(SHARED / "indicators")
        observatory(home, "data", "load", str(folder))


def backdate(db: str, days: int) -> None:
    """Move every write of the registry ``days`` into the past (as if registered then)."""
    import sqlite3

    con = sqlite3.connect(db)
    for table, column in (
        ("audit_entry", "at"),
        ("pledge", "created_at"),
        ("pledge", "updated_at"),
        ("organisation", "created_at"),
    ):
        con.execute(f"UPDATE {table} SET {column} = datetime({column}, '-{days} days')")
    con.commit()
    con.close()


def child_pdf(home: str, out: str, as_of: str) -> None:
    """In a child process: the report as a PDF, as the command line builds it; seconds, pages, peak memory."""
    args = ["report", "p2c", "--year", str(YEAR), "--format", "pdf", "--out", out]
    if as_of:
        args += ["--as-of", as_of]
    start = time.perf_counter()
    from typer.testing import CliRunner

    from observatory.cli import app

    result = CliRunner().invoke(app, args, env={"OBSERVATORY_HOME": home})
    if result.exit_code:
        raise RuntimeError(result.output)
    seconds = time.perf_counter() - start
    manifest = json.loads(Path(out).with_name(Path(out).stem + ".manifest.json").read_text())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "pages": manifest["pages"],
                "peak_mb": peak,
                "pledges": next(f["value"] for f in manifest["figures"] if f["key"] == "pledges"),
            }
        )
    )


def child_floor(home: str, html: str) -> None:
    """In a child process: WeasyPrint alone drawing the report's HTML as a tagged PDF."""
    from weasyprint import HTML

    start = time.perf_counter()
    HTML(filename=html).write_pdf(pdf_variant="pdf/ua-1")
    print(json.dumps({"seconds": time.perf_counter() - start}))


def run_child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(client: httpx.Client, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    response.raise_for_status()
    return time.perf_counter() - start


def pages(home: Path) -> dict[str, float]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "observatory", "serve", "--port", str(port)],
        env=_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for _ in range(100):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            page = f"/reports/p2c/{YEAR}"
            first = timed(client, page)
            warm = statistics.median(timed(client, page) for _ in range(REQUESTS))
            summary = statistics.median(timed(client, "/api/v1/pledges/summary?by=focus_area") for _ in range(REQUESTS))
    finally:
        server.terminate()
        server.wait(10)
    return {"first": first, "warm": warm, "summary": summary}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        home = Path(tmp)
        started = time.perf_counter()
        prepare(home)
        loaded = " and the real indicators loaded" if (SHARED / "indicators").is_dir() else ""
        print(f"set-up: {PLEDGES:,} pledges imported{loaded} in {time.perf_counter() - started:.0f} s")
        live = [run_child("pdf", str(home), str(home / f"live-{i}.pdf"), "") for i in range(RUNS)]
        html = home / "report.html"
        observatory(home, "report", "p2c", "--year", str(YEAR), "--format", "html", "--out", str(html))
        floor = [run_child("floor", str(home), str(html)) for _ in range(RUNS)]
        web = pages(home)
        backdate(str(home / "observatory.db"), 2)
        yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
        past = [run_child("pdf", str(home), str(home / f"past-{i}.pdf"), yesterday) for i in range(RUNS)]

    def med(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    floor_s = med(floor, "seconds")
    print(
        f"PDF report, {PLEDGES:,} pledges ({live[0]['pledges']:,.0f} counted), {live[0]['pages']:.0f} pages, "
        f"median of {RUNS}:"
    )
    for name, rows in (("as of today (live registry)", live), ("as of yesterday (rebuilt from the audit log)", past)):
        s, mb = med(rows, "seconds"), max(r["peak_mb"] for r in rows)
        verdict = "ok" if s <= 30 and mb <= 1024 else "MISSED"
        print(
            f"  {name}: {s:.1f} s, peak {mb:.0f} MB, {s / floor_s:.1f}x WeasyPrint alone ({floor_s:.1f} s) "
            f"[target <= 30 s, <= 1 GB: {verdict}]"
        )
    print(
        f"HTML report page: first {web['first'] * 1000:.0f} ms, warm median {web['warm'] * 1000:.0f} ms "
        f"({web['warm'] / web['summary']:.1f}x /api/v1/pledges/summary, {web['summary'] * 1000:.0f} ms) "
        f"[target <= 2 s: {'ok' if max(web['first'], web['warm']) <= 2 else 'MISSED'}]"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "pdf":
        child_pdf(*sys.argv[2:5])
    elif len(sys.argv) > 1 and sys.argv[1] == "floor":
        child_floor(*sys.argv[2:4])
    else:
        main()
