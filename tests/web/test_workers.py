"""Several workers (``observatory serve --workers 2``): each keeps its own pledge index and pages, and every one of
them answers with a write made through another within a second."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "observatory", *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The platform with two workers on a free port (its sample pledges), and a secretariat API token."""
    env = {**os.environ, "OBSERVATORY_HOME": str(tmp_path / "home"), "OBSERVATORY_PAGE_STALE_SECONDS": "1"}
    env.pop("OBSERVATORY_DATABASE_URL", None)
    _cli(env, "init", "--sample")
    _cli(env, "users", "add", "sec@itu.example", "--role", "secretariat")
    token = next(
        w for w in _cli(env, "users", "token", "sec@itu.example", "--name", "test").split() if w.startswith("obs_")
    )
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "observatory", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base, token
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _total(base: str) -> tuple[int, int]:
    """The summary's pledge count and the worker that answered (a new connection each time, so the kernel
    hands it to either worker)."""
    with httpx.Client(base_url=base, timeout=10) as client:
        count = client.get("/api/v1/pledges/summary", params={"by": "focus_area"}).json()["total"]["pledges"]
        worker = client.get("/healthz").json()["worker"]
    return int(count), int(worker)


def test_every_worker_answers_with_a_write_within_a_second(two_workers: tuple[str, str]) -> None:
    base, token = two_workers
    workers = set()
    for _ in range(40):  # both workers draw the summary (and keep it) before the write
        count, worker = _total(base)
        workers.add(worker)
    assert len(workers) == 2, f"both workers answered: {workers}"
    auth = {"authorization": f"Bearer {token}"}
    pledge = {
        "pledger": {"name": "Ministry of ICT of Testland", "stakeholder_type": "government", "country": "MWI"},
        "title": "One more", "focus_areas": ["access"], "target_countries": ["MWI"], "value": 1000,
        "currency": "USD", "announced_on": "2024-02-26", "review_state": "published",
    }  # fmt: skip
    created = httpx.post(f"{base}/api/v1/pledges", json=pledge, headers=auth, timeout=10)
    written = time.monotonic()
    assert created.status_code == 201, created.text
    # A worker may serve its copy for up to a second after the change (OBSERVATORY_PAGE_STALE_SECONDS), never
    # longer: every answer asked for a second after the write has it.
    answered: set[int] = set()
    for _ in range(400):
        asked = time.monotonic() - written
        now, worker = _total(base)
        assert now in (count, count + 1)
        if asked >= 1.0:
            assert now == count + 1, f"worker {worker} answered {now} pledges {asked:.2f} s after the write"
            answered.add(worker)
        if answered == workers:
            break
    assert answered == workers, f"workers {sorted(answered)} of {sorted(workers)} answered after the write"
