"""Backup and restore of the platform's database, safe while the platform serves and writes.

A backup is one file and a JSON sidecar beside it (``PATH.json``) that says what the file holds: the
platform version, the kind of database, the Alembic revision, the registry revision and the row count of
every table, all read from the same consistent state as the file itself, and the file's SHA-256.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database in one step, inside one
  read transaction, so writers (WAL) carry on and the copy is the state at one moment.
- PostgreSQL: ``pg_dump --format=custom`` reads the snapshot of a repeatable-read transaction in which the
  row counts are taken (``--snapshot``); ``pg_restore --clean --if-exists --no-owner --single-transaction``
  puts it back, all or nothing. The connection goes to both through ``PG*`` environment variables, never the
  command line.

A backup is written beside ``PATH`` under a temporary name and renamed at the end: a failed backup never
leaves a half file at ``PATH``. ``restore`` refuses a file that is not a backup of the target's kind, and a
target that already holds pledges unless forced; then it migrates the restored database to the newest schema
and checks the restored row counts against the sidecar.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from observatory import __version__
from observatory.config import Settings
from observatory.db import engine_for, migrate
from observatory.errors import Conflict, Invalid

log = logging.getLogger(__name__)

FORMAT = "observatory-backup"
FORMAT_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
# What libpq reads from the environment for the connection; a backup sets these from the database URL.
PG_VARIABLES = ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD")


class BackupFailed(RuntimeError):
    """A backup or restore that could not be made (a tool missing or failing, counts that differ)."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, as its sidecar ``PATH.json`` says."""

    database: str  # "sqlite" or "postgresql"
    alembic_revision: str | None
    registry_revision: int | None
    tables: dict[str, int]
    taken_at: str
    platform_version: str = __version__
    sha256: str = ""
    size_bytes: int = 0

    def as_json(self) -> dict[str, Any]:
        """The sidecar's content."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "platform_version": self.platform_version,
            "database": self.database,
            "alembic_revision": self.alembic_revision,
            "registry_revision": self.registry_revision,
            "taken_at": self.taken_at,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "tables": self.tables,
        }

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """The manifest of the backup at ``path`` (from ``PATH.json``); Invalid when it is missing or not one."""
        sidecar = sidecar_path(path)
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise Invalid(f"{path} is not a backup of the platform: {sidecar} is missing") from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Invalid(f"{path} is not a backup of the platform: {sidecar} cannot be read ({exc})") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise Invalid(f"{path} is not a backup of the platform: {sidecar} is not an observatory backup manifest")
        if data.get("format_version") != FORMAT_VERSION:
            raise Invalid(f"{sidecar} has format version {data.get('format_version')!r}; this platform reads 1")
        try:
            return cls(
                database=str(data["database"]),
                alembic_revision=data["alembic_revision"],
                registry_revision=data["registry_revision"],
                tables={str(k): int(v) for k, v in data["tables"].items()},
                taken_at=str(data["taken_at"]),
                platform_version=str(data["platform_version"]),
                sha256=str(data["sha256"]),
                size_bytes=int(data["size_bytes"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise Invalid(f"{sidecar} lacks or mangles a field of a backup manifest ({exc})") from exc


@dataclass(frozen=True)
class BackupResult:
    """A backup made: its file, its sidecar and what they hold."""

    path: Path
    sidecar: Path
    manifest: Manifest


@dataclass(frozen=True)
class RestoreResult:
    """A backup restored: the database it went into, every table's row count and the registry revision, after
    the migrations brought it up to date."""

    database: str  # the target's address, without its password
    manifest: Manifest
    tables: dict[str, int] = field(default_factory=dict)
    registry_revision: int | None = None
    alembic_revision: str | None = None


def sidecar_path(path: Path) -> Path:
    """Where the manifest of the backup at ``path`` is: ``PATH.json``."""
    return path.with_name(path.name + ".json")


def kind_of(url: URL) -> str:
    """The kind of database at ``url`` a backup is made for: ``sqlite`` or ``postgresql``."""
    backend = url.get_backend_name()
    if backend in ("sqlite", "postgresql"):
        return backend
    raise Invalid(f"backups are made of SQLite and PostgreSQL databases, not of {backend}")


def inventory(connection: Connection) -> tuple[dict[str, int], int | None, str | None]:
    """Every table's row count, the registry revision and the Alembic revision of the database, as this
    connection's transaction sees it."""
    names = sorted(inspect(connection).get_table_names())
    counts = {n: int(connection.execute(select(func.count()).select_from(table(n))).scalar_one()) for n in names}
    registry = None
    if "registry_revision" in counts:
        registry = connection.execute(text("SELECT revision FROM registry_revision ORDER BY id LIMIT 1")).scalar()
    alembic = None
    if "alembic_version" in counts:
        alembic = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return counts, None if registry is None else int(registry), alembic


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    """A temporary name in ``path``'s folder, removed unless renamed to ``path`` by the caller."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _write_sidecar(path: Path, manifest: Manifest) -> Path:
    sidecar = sidecar_path(path)
    with _temporary_beside(sidecar) as tmp:
        tmp.write_text(json.dumps(manifest.as_json(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
        tmp.replace(sidecar)
    return sidecar


def _sqlite_file(url: URL) -> Path:
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise Invalid(f"the SQLite database {url} is not a file; only a database file can be backed up")
    return Path(database)


def _file_engine(path: Path) -> Engine:
    """An engine reading a SQLite file as it is (no WAL switch, no pool left open)."""
    return create_engine(f"sqlite:///{path}", poolclass=NullPool)


def _file_inventory(path: Path) -> tuple[dict[str, int], int | None, str | None]:
    engine = _file_engine(path)
    try:
        with engine.connect() as connection:
            return inventory(connection)
    finally:
        engine.dispose()


def _backup_sqlite(engine: Engine, path: Path) -> BackupResult:
    source_file = _sqlite_file(engine.url)
    if not source_file.is_file():
        raise Invalid(f"there is no database at {source_file}")
    with _temporary_beside(path) as tmp:
        source = sqlite3.connect(source_file, timeout=30)
        target = sqlite3.connect(tmp)
        try:
            # pages=-1: the whole database in one step, in one read transaction: one consistent state,
            # while writers go on in the WAL.
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
        finally:
            target.close()
            source.close()
        tables, registry, alembic = _file_inventory(tmp)
        manifest = Manifest("sqlite", alembic, registry, tables, _now(), sha256=_sha256(tmp),
                            size_bytes=tmp.stat().st_size)  # fmt: skip
        tmp.replace(path)
    return BackupResult(path, _write_sidecar(path, manifest), manifest)


def pg_tool(name: str) -> str:
    """The path of PostgreSQL's ``name`` (pg_dump, pg_restore), the newest installed; BackupFailed if none is."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key)
    tool = found[-1] if found else shutil.which(name)
    if tool is None:
        raise BackupFailed(
            f"{name} is not installed (looked in /usr/lib/postgresql/*/bin and on PATH): install PostgreSQL's "
            "client programs (Debian: postgresql-client) of the server's version or newer"
        )
    return tool


def _version_key(path: str) -> tuple[int, str]:
    part = Path(path).parents[1].name
    return (int(part), path) if part.isdigit() else (0, path)


def pg_environment(url: URL) -> dict[str, str]:
    """The environment of a PostgreSQL client program connecting to ``url``: this process's, with the
    ``PG*`` connection variables set from the URL (the password never goes on a command line)."""
    env = {k: v for k, v in os.environ.items() if k not in PG_VARIABLES}
    host = url.host or url.query.get("host")
    values = {
        "PGHOST": host if isinstance(host, str) else None,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGDATABASE": url.database,
        "PGPASSWORD": url.password if isinstance(url.password, str) else None,
    }
    env.update({k: v for k, v in values.items() if v})
    sslmode = url.query.get("sslmode")
    if isinstance(sslmode, str):
        env["PGSSLMODE"] = sslmode
    return env


def _run(argv: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    log.info("running %s", " ".join(argv))
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # a list of arguments, no shell
    if done.returncode != 0:
        raise BackupFailed(f"{what} failed ({Path(argv[0]).name} exited with {done.returncode}): {done.stderr.strip()}")
    return done


def _backup_postgresql(engine: Engine, path: Path) -> BackupResult:
    pg_dump = pg_tool("pg_dump")
    env = pg_environment(engine.url)
    with _temporary_beside(path) as tmp:
        # The counts and the dump read the same snapshot: the transaction exporting it stays open until
        # pg_dump is done.
        with (
            engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection,
            connection.begin(),
        ):
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            tables, registry, alembic = inventory(connection)
            argv = [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={tmp}", "--no-password"]
            _run(argv, env, "pg_dump")
        manifest = Manifest("postgresql", alembic, registry, tables, _now(), sha256=_sha256(tmp),
                            size_bytes=tmp.stat().st_size)  # fmt: skip
        tmp.replace(path)
    return BackupResult(path, _write_sidecar(path, manifest), manifest)


def backup(engine: Engine, path: Path) -> BackupResult:
    """Back the database up into the file ``path`` (and its manifest ``PATH.json``), while it serves and writes."""
    path = Path(path)
    if path.is_dir():
        raise Invalid(f"{path} is a folder: give the path of the backup file to write")
    if not path.parent.is_dir():
        raise Invalid(f"the folder {path.parent} does not exist")
    kind = kind_of(engine.url)
    result = _backup_sqlite(engine, path) if kind == "sqlite" else _backup_postgresql(engine, path)
    log.info("backup of %s written to %s (%d tables)", kind, path, len(result.manifest.tables))
    return result


def _check_file(path: Path, manifest: Manifest, kind: str) -> None:
    """Refuse what is not a backup of ``kind`` matching its manifest; nothing is changed."""
    if not path.is_file():
        raise Invalid(f"there is no backup file at {path}")
    if manifest.database != kind:
        raise Invalid(f"{path} is a backup of a {manifest.database} database; the target database is {kind}")
    with path.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    magic = SQLITE_MAGIC if kind == "sqlite" else PG_MAGIC
    if not head.startswith(magic):
        raise Invalid(f"{path} is not a {kind} backup (it does not start as one)")
    if path.stat().st_size != manifest.size_bytes or _sha256(path) != manifest.sha256:
        raise Invalid(f"{path} is not the file its manifest describes (size or SHA-256 differs): it was changed")


def _holds_pledges(engine: Engine) -> int:
    with engine.connect() as connection:
        if not inspect(connection).has_table("pledge"):
            return 0
        return int(connection.execute(text("SELECT count(*) FROM pledge")).scalar_one())


def _compare(manifest: Manifest, tables: dict[str, int], registry: int | None, where: str) -> None:
    differ = [
        f"{name}: {manifest.tables.get(name)} in the backup, {tables.get(name)} {where}"
        for name in sorted(set(manifest.tables) | set(tables))
        if manifest.tables.get(name) != tables.get(name)
    ]
    if registry != manifest.registry_revision:
        differ.append(f"registry revision: {manifest.registry_revision} in the backup, {registry} {where}")
    if differ:
        raise BackupFailed("the restored database differs from the backup's manifest: " + "; ".join(differ))


def _restore_sqlite(path: Path, engine: Engine) -> None:
    target_file = _sqlite_file(engine.url)
    target_file.parent.mkdir(parents=True, exist_ok=True)
    engine.dispose()  # no pooled connection of this process keeps the old database open
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(target_file, timeout=30)
    try:
        source.backup(target, pages=-1)  # one write transaction on the target: all or nothing
    finally:
        target.close()
        source.close()


def _restore_postgresql(path: Path, engine: Engine) -> None:
    pg_restore = pg_tool("pg_restore")
    env = pg_environment(engine.url)
    _run([pg_restore, "--list", str(path)], env, f"reading {path} as a pg_dump archive")
    engine.dispose()
    argv = [pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--no-password",
            f"--dbname={engine.url.database}", str(path)]  # fmt: skip
    _run(argv, env, "pg_restore")


def restore(path: Path, target: Engine | Settings, force: bool = False) -> RestoreResult:
    """Put the backup at ``path`` back into the target database, migrate it, and check it against its manifest."""
    path = Path(path)
    engine = target if isinstance(target, Engine) else engine_for(target.database_url, target.db_busy_seconds)
    kind = kind_of(engine.url)
    if not path.is_file():
        raise Invalid(f"there is no backup file at {path}")
    manifest = Manifest.read(path)
    _check_file(path, manifest, kind)
    if kind == "sqlite":
        try:
            tables, registry, _ = _file_inventory(path)
        except Exception as exc:
            raise Invalid(f"{path} is not a readable SQLite database ({exc})") from exc
        _compare(manifest, tables, registry, "in the file")
    pledges = _holds_pledges(engine)
    if pledges and not force:
        raise Conflict(
            f"the target database already holds {pledges} pledges; restoring would replace them "
            "(use --force to replace them)"
        )
    log.info("restoring %s into %s", path, engine.url.render_as_string(hide_password=True))
    if kind == "sqlite":
        _restore_sqlite(path, engine)
    else:
        _restore_postgresql(path, engine)
    with engine.connect() as connection:
        tables, registry, _ = inventory(connection)
    _compare(manifest, tables, registry, "restored")
    migrate(engine)  # an older backup comes up to the newest schema
    with engine.connect() as connection:
        tables, registry, alembic = inventory(connection)
    return RestoreResult(engine.url.render_as_string(hide_password=True), manifest, tables, registry, alembic)
