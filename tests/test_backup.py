"""Backup and restore (``observatory backup``/``restore``), on SQLite and on PostgreSQL: a backup taken while
the platform writes is one consistent state, and a restore puts exactly that state back, or refuses."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from observatory import backup as backups
from observatory.cli import app
from observatory.config import Settings
from observatory.db import database_busy, engine_for, transaction
from observatory.errors import Conflict, Invalid
from observatory.pledges import service, summary
from tests.pledges.test_registry import pledge_in


def words(output: str) -> str:
    """The command's output as one line (the console wraps long lines)."""
    return " ".join(output.split())


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


@pytest.fixture
def target(engine: Engine, tmp_path: Path) -> Iterator[Settings]:
    """Settings of a new, empty database of the same kind as ``engine``'s: a new home, or a new PostgreSQL
    database on the same server (dropped at the end)."""
    if engine.url.get_backend_name() == "sqlite":
        yield Settings(home=tmp_path / "restored")
        return
    name = f"restored_{uuid.uuid4().hex[:10]}"
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = engine.url.set(database=name)
    try:
        yield Settings(home=tmp_path / "restored", database_url=url.render_as_string(hide_password=False))
    finally:
        engine_for(url.render_as_string(hide_password=False)).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _load(engine: Engine, stop: threading.Event, errors: list[BaseException], seed: int) -> None:
    """Create pledges and update random ones until ``stop``; a busy database is tried again."""
    rng = random.Random(seed)
    refs = [f"P2C-2024-{i:05d}" for i in range(1, 6)]
    n = 0
    while not stop.is_set():
        n += 1
        ref = f"P2C-2024-{seed * 10_000 + n:05d}"  # each writer its own numbers: no race for the next reference
        try:
            with transaction(engine) as s:
                service.create_pledge(s, pledge_in(reference=ref, title=f"Load {ref}"), "load")
                other = service.get_pledge(s, rng.choice(refs))
                service.update_pledge(s, other.reference, other.version, {"value": rng.randint(1, 10**6)}, "load")
            refs.append(ref)
        except Conflict:
            continue
        except Exception as exc:
            if database_busy(exc):
                continue
            errors.append(exc)
            return


def _read(engine: Engine, stop: threading.Event, reads: list[int], errors: list[BaseException]) -> None:
    """Read summaries until ``stop`` (each read in one snapshot, while the writers write), counting them."""
    while not stop.is_set():
        try:
            with transaction(engine, writes=False) as s:
                summary(s, "focus_area")
            reads.append(1)
        except Exception as exc:
            errors.append(exc)
            return


def test_a_backup_taken_under_load_restores_the_state_it_was_taken_in(
    engine: Engine, target: Settings, tmp_path: Path
) -> None:
    start = count(engine, "SELECT revision FROM registry_revision")
    with transaction(engine) as s:
        for i in range(5):
            service.create_pledge(s, pledge_in(title=f"Before {i}"), "alice")
    stop, errors, reads = threading.Event(), list[BaseException](), list[int]()
    threads = [threading.Thread(target=_load, args=(engine, stop, errors, seed)) for seed in (1, 2)]
    threads.append(threading.Thread(target=_read, args=(engine, stop, reads, errors)))
    for t in threads:
        t.start()
    try:
        time.sleep(1.5)
        result = backups.backup(engine, tmp_path / "observatory.backup")
        time.sleep(1.5)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == [], errors
    assert reads, "summaries were read during the load"
    manifest = result.manifest
    final_pledges = count(engine, "SELECT count(*) FROM pledge")
    assert 5 < manifest.tables["pledge"] < final_pledges, "writes went on before and after the backup"
    sidecar = json.loads((tmp_path / "observatory.backup.json").read_text())
    assert sidecar["tables"] == manifest.tables and sidecar["registry_revision"] == manifest.registry_revision
    assert sidecar["database"] == engine.url.get_backend_name()
    assert not list(tmp_path.glob(".observatory.backup*")), "no temporary file is left"

    restored = backups.restore(tmp_path / "observatory.backup", target)

    assert restored.tables == manifest.tables
    assert restored.registry_revision == manifest.registry_revision
    assert restored.alembic_revision == manifest.alembic_revision
    # One consistent state: every pledge's creation and every update is in the audit log restored with it.
    new = engine_for(target.database_url)
    audited = count(new, "SELECT count(*) FROM audit_entry WHERE entity = 'pledge' AND action = 'create'")
    assert count(new, "SELECT count(*) FROM pledge") == audited == manifest.tables["pledge"]
    # Each write to a pledge bumps the registry revision once, in the transaction that audits it.
    writes = count(new, "SELECT count(*) FROM audit_entry WHERE entity = 'pledge'")
    assert manifest.registry_revision == start + writes
    assert writes > audited, "updates were made too"
    assert count(engine, "SELECT count(*) FROM pledge") == final_pledges, "the source is left as it was"


def test_restore_refuses_what_is_not_a_backup_and_a_database_with_pledges(
    engine: Engine, target: Settings, tmp_path: Path
) -> None:
    with transaction(engine) as s:
        service.create_pledge(s, pledge_in(), "alice")
    before = count(engine, "SELECT count(*) FROM pledge"), count(engine, "SELECT revision FROM registry_revision")
    kind = engine.url.get_backend_name()

    junk = tmp_path / "notes.txt"
    junk.write_text("not a database\n")
    with pytest.raises(Invalid, match=r"notes\.txt\.json is missing"):
        backups.restore(junk, engine)
    fake = backups.Manifest(kind, "0013", 1, {"pledge": 1}, "2026-01-01T00:00:00+00:00", sha256="0", size_bytes=15)
    (tmp_path / "notes.txt.json").write_text(json.dumps(fake.as_json()))
    with pytest.raises(Invalid, match=f"not a {kind} backup"):
        backups.restore(junk, engine, force=True)

    good = backups.backup(engine, tmp_path / "good.backup")
    with pytest.raises(Conflict, match=r"already holds 1 pledges.*--force"):
        backups.restore(good.path, engine)
    other = "postgresql" if kind == "sqlite" else "sqlite"
    wrong = json.loads(good.sidecar.read_text()) | {"database": other}
    good.sidecar.write_text(json.dumps(wrong))
    with pytest.raises(Invalid, match=f"backup of a {other} database"):
        backups.restore(good.path, target)
    good.sidecar.write_text(json.dumps(wrong | {"database": kind}))
    with good.path.open("ab") as f:
        f.write(b"tampered")
    with pytest.raises(Invalid, match="SHA-256"):
        backups.restore(good.path, target)

    after = count(engine, "SELECT count(*) FROM pledge"), count(engine, "SELECT revision FROM registry_revision")
    assert after == before
    assert backups._holds_pledges(engine_for(target.database_url)) == 0


def test_the_commands_back_up_and_restore_a_home(sqlite_engine: Engine, tmp_path: Path) -> None:
    with transaction(sqlite_engine) as s:
        service.create_pledge(s, pledge_in(), "alice")
        service.create_pledge(s, pledge_in(title="Second"), "alice")
    runner = CliRunner()
    path = tmp_path / "nightly.backup"

    done = runner.invoke(app, ["backup", str(path)], env={"OBSERVATORY_HOME": str(tmp_path)})
    assert done.exit_code == 0, done.output
    assert "Backup written" in done.output and path.is_file() and Path(f"{path}.json").is_file()

    home = {"OBSERVATORY_HOME": str(tmp_path / "new-home")}
    done = runner.invoke(app, ["restore", str(path)], env=home)
    assert done.exit_code == 0, done.output
    assert "pledge: 2" in done.output and "Registry revision:" in done.output
    restored = engine_for(f"sqlite:///{tmp_path / 'new-home' / 'observatory.db'}")
    assert count(restored, "SELECT count(*) FROM pledge") == 2

    refused = runner.invoke(app, ["restore", str(path)], env=home)
    assert refused.exit_code == 1 and "already holds 2 pledges" in words(refused.output)
    forced = runner.invoke(app, ["restore", "--force", str(path)], env=home)
    assert forced.exit_code == 0, forced.output

    missing = runner.invoke(app, ["restore", str(tmp_path / "none.backup")], env=home)
    assert missing.exit_code == 1 and "there is no backup file at" in words(missing.output)
