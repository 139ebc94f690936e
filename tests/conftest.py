"""Test set-up: a fresh SQLite database per test, and a real PostgreSQL server started once per run.

The PostgreSQL server runs as the ``postgres`` system user (it refuses root) in a temporary data
directory on a free loopback port, and is stopped at the end. Where it cannot start, its tests are
skipped locally but fail in CI (``CI=true``): CI must run them.
"""

from __future__ import annotations

import email
import email.policy
import glob
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from observatory.accounts.models import ApiToken
from observatory.accounts.service import create_user
from observatory.config import Settings
from observatory.db import engine_for, migrate, transaction
from observatory.reference.models import load_reference
from observatory.web.app import create_app

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# The in-process test client asks for the host "testserver": the platform must answer to it in tests.
os.environ["OBSERVATORY_ALLOWED_HOSTS"] = "testserver"
# The tests read figures right after writing them: no kept page is served once what it shows changed (the
# page cache's own tests and the workers' test set the production allowance, tests/web/test_page_cache.py).
os.environ["OBSERVATORY_PAGE_STALE_SECONDS"] = "0"
TOKEN = "test-token-0123456789"
REGISTRY_TABLES = (
    "login_attempt",
    "web_session",
    "one_time_token",
    "api_token",
    "membership",
    "user_account",
    "audit_entry",
    "progress_report",
    "pledge_partner",
    "pledge_country",
    "pledge_pillar",
    "pledge_focus_area",
    "pledge",
    "organisation",
    "activity",
    "best_practice",
    "report_build",
    "report_edition",
)


def shared_data(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI always has ../shared/data")
        pytest.skip(f"{path} is missing (../shared/data not beside the project)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        message = "PostgreSQL server binaries not found (make test installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="observatory-pg-"))
    data = root / "data"
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if run_as:
        shutil.chown(root, "postgres")
    port = _free_port()
    subprocess.run([*run_as, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"], check=True,
                   capture_output=True)  # fmt: skip
    options = f"-p {port} -h 127.0.0.1 -k {root} -F"
    subprocess.run([*run_as, pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
                   check=True, capture_output=True)  # fmt: skip
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        engine = engine_for(url)
        migrate(engine)
        with transaction(engine) as session:
            load_reference(session)
        yield url
    finally:
        engine_for.cache_clear()
        subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "observatory.db"
    engine = engine_for(f"sqlite:///{path}")
    migrate(engine)
    with transaction(engine) as session:
        load_reference(session)
    engine.dispose()
    return path


def _sqlite_engine(template: Path, tmp_path: Path) -> Engine:
    target = tmp_path / "observatory.db"
    with engine_for(f"sqlite:///{template}").connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    shutil.copyfile(template, target)
    return engine_for(f"sqlite:///{target}")


def _postgres_engine(url: str) -> Engine:
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(REGISTRY_TABLES)} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE registry_revision SET revision = revision + 1"))
    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database with the reference data and an empty registry, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        engine = _sqlite_engine(sqlite_template, tmp_path)
    else:
        engine = _postgres_engine(request.getfixturevalue("postgres_url"))
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """SQLite only, for tests of what does not depend on the database."""
    engine = _sqlite_engine(sqlite_template, tmp_path)
    yield engine
    engine.dispose()


def settings_for(engine: Engine, home: Path) -> Settings:
    """Settings for ``engine``'s database, given a secretariat account whose API token is ``TOKEN``."""
    with transaction(engine) as session:
        user = create_user(session, "secretariat@itu.example", "secretariat")
        session.add(ApiToken(user_id=user.id, name="tests", token_hash=hashlib.sha256(TOKEN.encode()).hexdigest()))
    return Settings(
        home=home, database_url=engine.url.render_as_string(hide_password=False), allowed_hosts=("testserver",)
    )


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    """Settings for the test's database, which has a secretariat account whose API token is ``TOKEN``."""
    return settings_for(engine, tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


AUTH = {"authorization": f"Bearer {TOKEN}"}


def outbox(home: Path) -> list[tuple[str, str]]:
    """The (recipient, body) of every message in ``home``'s mail outbox, oldest first."""
    messages = []
    for path in sorted((home / "outbox").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        body = msg.get_body()
        assert body is not None
        messages.append((str(msg["To"]), str(body.get_content())))
    return messages
