"""The health check (/healthz: the database and the registry's revision) and `observatory serve --workers N`."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from observatory import __version__
from observatory.config import Settings
from observatory.web.app import create_app


def test_the_health_check_reports_the_database_and_the_revision(client: TestClient, engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE registry_revision SET revision = 41"))
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body == {"status": "ok", "database": "ok", "revision": 41, "version": __version__, "worker": os.getpid()}


def test_the_health_check_answers_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://observatory:secret@127.0.0.1:{_free_port()}/nowhere"  # nothing listens there
    unreachable = Settings(home=tmp_path, database_url=url, allowed_hosts=("testserver",))
    with TestClient(create_app(unreachable)) as client:
        answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.headers["retry-after"]
    assert answer.json()["status"] == "unavailable"
    assert answer.json()["reason"] == "the database does not answer"
    assert "127.0.0.1" not in answer.text  # the details go to the log, not to the public


def test_the_health_check_answers_503_when_the_database_holds_no_registry(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    with TestClient(
        create_app(Settings(home=tmp_path, database_url=f"sqlite:///{empty}", allowed_hosts=("testserver",)))
    ) as client:
        answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["reason"] == "the database holds no registry: run `observatory init`"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_runs_several_workers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVATORY_")}
    env.update(OBSERVATORY_HOME=str(tmp_path), PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "-m", "observatory", "init"], env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    log = tmp_path / "server.log"
    command = [
        sys.executable,
        "-m",
        "observatory",
        "serve",
        "--workers",
        "2",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60  # two workers import the platform on a busy machine
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2:
            assert server.poll() is None, log.read_text()
            try:
                with httpx.Client(timeout=2) as http:  # a new connection each round, spread over the workers
                    for _ in range(20):
                        answer = http.get(f"{base}/healthz", headers={"connection": "close"})
                        assert answer.status_code == 200 and answer.json()["database"] == "ok"
                        workers.add(answer.json()["worker"])
            except httpx.TransportError:
                time.sleep(0.2)
        assert len(workers) == 2, log.read_text()[-3000:]
        assert server.pid not in workers  # the supervisor only supervises
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert "Started parent process" in log.read_text()


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_serve_refuses_fewer_than_one_worker(workers: str) -> None:
    from typer.testing import CliRunner

    from observatory.cli import app

    result = CliRunner().invoke(app, ["serve", "--workers", workers])
    assert result.exit_code == 2 and "--workers" in result.output
