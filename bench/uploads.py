"""Benchmark of a large invalid spreadsheet upload (``make bench BENCH=bench/uploads.py``).

The security review found that a 500,000-row invalid upload produced a 114 MB preview page and took
the server from 0.5 to 2.4 GB. This uploads a generated file of 500,000 rows, every one rejected (an
unknown country code), to ``observatory serve`` (a real server process, its upload limit raised for the
run) and measures, per run on a fresh server:

- the server's peak memory (VmHWM) once signed in with the import page open — the **baseline**, which
  is the server's own start-up high-water mark — and after the preview, and their ratio;
- the time of the preview request and the size of the preview page (the first 100 rejected rows; the
  rest are paged and downloadable).

Target: the preview page under 100 KB and the server's peak under 1.5× its baseline.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
ROWS = int(os.environ.get("BENCH_UPLOAD_ROWS", "500000"))
EMAIL, PASSWORD = "bench@itu.example", "a long bench passphrase for uploads"
HEADER = "pledger,pledger_type,pledger_country,title,focus_areas,target_countries,value,currency,announced_on\n"


def write_upload(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for n in range(rows):
            out.write(f"Acme Telecom,private_sector,KEN,Rural towers {n},access,XXX,5000,EUR,2024-03-01\n")


def memory_mb(pid: int, field: str = "VmHWM") -> float:
    """The process's peak (VmHWM) or current (VmRSS) resident memory."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"{field}:\s+(\d+) kB", status)
    assert found, f"no {field}"
    return int(found.group(1)) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(home: Path, env: dict[str, str]) -> None:
    """A fresh database with a secretariat account that has a password."""
    subprocess.run([sys.executable, "-m", "observatory", "init"], env=env, check=True, capture_output=True)
    code = (
        "from observatory.db import transaction; from observatory.accounts import service as a\n"
        "with transaction() as s:\n"
        f"    u = a.create_user(s, {EMAIL!r}, 'secretariat'); u.password_hash = a._hasher.hash({PASSWORD!r})\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token"
    return found.group(1)


def one_run(upload: Path) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="observatory-bench-uploads-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVATORY_")}
    env.update(
        OBSERVATORY_HOME=str(home), OBSERVATORY_MAX_UPLOAD_MB="1000", OBSERVATORY_BASE_URL=f"http://127.0.0.1:{port}"
    )
    prepare(home, env)
    server = subprocess.Popen(
        [sys.executable, "-m", "observatory", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=600) as client:
            for _ in range(200):
                try:
                    client.get("/healthz")
                    break
                except httpx.HTTPError:
                    time.sleep(0.05)
            login = {
                "email": EMAIL,
                "password": PASSWORD,
                "next": "",
                "csrf_token": csrf(client.get("/account/login").text),
            }
            assert client.post("/account/login", data=login).status_code in (200, 303)
            token = csrf(client.get("/secretariat/import").text)
            baseline, resident = memory_mb(server.pid), memory_mb(server.pid, "VmRSS")
            start = time.perf_counter()
            with upload.open("rb") as fh:
                answer = client.post(
                    "/secretariat/import",
                    data={"csrf_token": token, "review_state": "published"},
                    files={"file": ("big.csv", fh, "text/csv")},
                )
            seconds = time.perf_counter() - start
            assert answer.status_code == 200, answer.text[:300]
            assert "Nothing has been imported yet" in answer.text
            return {
                "seconds": seconds,
                "baseline_mb": baseline,
                "resident_mb": resident,
                "peak_mb": memory_mb(server.pid),
                "page_kb": len(answer.content) / 1024,
            }
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="observatory-bench-upload-file-") as folder:
        upload = Path(folder) / "invalid.csv"
        write_upload(upload, ROWS)
        size = upload.stat().st_size / 1e6
        runs = [one_run(upload) for _ in range(RUNS)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"uploads: {ROWS:,} invalid rows ({size:.1f} MB), {RUNS} runs, medians")
    for r in runs:
        print(f"  run: {r['seconds']:.1f} s, peak {r['peak_mb']:.0f} MB (baseline {r['baseline_mb']:.0f} MB), "
              f"page {r['page_kb']:.1f} KB")  # fmt: skip
    print(f"  preview request        {med['seconds']:8.1f} s   ({ROWS / med['seconds']:,.0f} rows/s)")
    print(f"  preview page           {med['page_kb']:8.1f} KB  (target < 100 KB)")
    print(f"  server peak            {med['peak_mb']:8.0f} MB")
    print(f"  baseline (signed in)   {med['baseline_mb']:8.0f} MB peak, {med['resident_mb']:.0f} MB resident")
    print(f"  ratio peak / baseline  {med['peak_mb'] / med['baseline_mb']:8.2f} x (target < 1.5 x)")


if __name__ == "__main__":
    main()
