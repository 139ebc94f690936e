"""The database: engine, sessions, the declarative base and migrations.

SQLite (the default, embedded, WAL journal) and PostgreSQL are both first-class; the schema is
only ever changed by an Alembic migration (``observatory.db.migrations``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Connection, Engine, MetaData, Table, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from observatory.config import load_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base of every table, with the naming convention of constraints and indexes."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, list[int]: JSON}  # noqa: RUF012


def utcnow() -> dt.datetime:
    """Now, in UTC, as every stored moment is."""
    return dt.datetime.now(dt.UTC)


DEFAULT_BUSY_SECONDS = 5.0

# The execution option of a transaction that will write. On SQLite it begins with the write lock (BEGIN
# IMMEDIATE, waiting up to the busy timeout for another writer to finish), so its reads and writes see one
# state and it cannot fail later because another writer committed in between; a transaction without it
# begins as a reader (BEGIN), whose reads all see one snapshot. PostgreSQL ignores it.
WRITES = "observatory_writes"


def make_engine(url: str, busy_seconds: float = DEFAULT_BUSY_SECONDS) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout on every connection.

    A write that cannot get the database within ``busy_seconds`` (SQLite's one writer is busy, or a
    PostgreSQL row it needs stays locked) fails with an error :func:`database_busy` recognises, which
    the web answers with 503 and ``Retry-After`` instead of keeping the request waiting."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A request holds its connection to the end; writers queue for SQLite's one write lock holding theirs.
        # SQLite connections are cheap: enough for every request a worker runs at once (its thread pool's 40),
        # so readers never wait for a connection behind queued writers.
        engine = create_engine(url, connect_args={"timeout": busy_seconds}, pool_size=10, max_overflow=40)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            # The driver's own transaction handling is off (it would begin only at the first INSERT or UPDATE,
            # so the reads before it are not in the transaction, and a savepoint opened first would commit
            # on release): every transaction is begun by _begin below, at its first statement.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA cache_size=-131072")  # 128 MiB: large imports stay in memory until commit
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            writes = connection.get_execution_options().get(WRITES, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

        return engine
    if url.startswith("postgresql"):
        options = f"-c lock_timeout={int(busy_seconds * 1000)}"
        return create_engine(url, pool_pre_ping=True, connect_args={"options": options}, pool_size=10, max_overflow=20)
    return create_engine(url, pool_pre_ping=True)


@cache
def engine_for(url: str, busy_seconds: float = DEFAULT_BUSY_SECONDS) -> Engine:
    """The engine of ``url``, made once per process (its connection pool is shared)."""
    return make_engine(url, busy_seconds)


# SQLite's "database is locked" / "database table is locked"; PostgreSQL's lock_not_available (lock_timeout
# passed), serialization_failure and deadlock_detected: the write may succeed if tried again.
_BUSY_SQLSTATES = frozenset({"55P03", "40001", "40P01"})


def database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says the database was busy (locked by another writer), not that the write was wrong."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    return type(orig).__module__.startswith("sqlite3") and "locked" in str(orig)


def default_engine() -> Engine:
    """The engine of this process's configured database."""
    settings = load_settings()
    return engine_for(settings.database_url, settings.db_busy_seconds)


@contextmanager
def transaction(engine: Engine | None = None, writes: bool = True) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any exception.

    ``writes=False`` for a transaction that only reads (a page, an answer of the API): it takes no write
    lock, and every read in it sees the same snapshot (SQLite's deferred transaction; PostgreSQL's
    REPEATABLE READ, which never fails a transaction that only reads)."""
    bind = engine or default_engine()
    options: dict[str, Any] = {WRITES: writes}
    if not writes and bind.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    factory = sessionmaker(bind.execution_options(**options), expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


SQLITE_MAX_VARIABLES = 32766


def bulk_insert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows fast; all rows have the keys of the first.

    The statement is compiled once from the table's metadata and each value goes through its column
    type's bind processor, as SQLAlchemy would do, without its per-row bookkeeping. On SQLite the rows
    go in multi-row ``VALUES`` statements (placeholders only; values are always bound): one statement
    per row would make the full-text index flush its pending terms after every row."""
    if not rows:
        return
    keys = list(rows[0])
    dialect = connection.dialect
    compiled = table.insert().inline().compile(dialect=dialect, column_keys=keys)
    processors = {k: table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys}
    if not compiled.positional:
        names = {compiled.binds[name].key: name for name in compiled.binds}
        params = [{names[k]: p(row[k]) if (p := processors[k]) else row[k] for k in keys} for row in rows]
        connection.exec_driver_sql(str(compiled), params)
        return
    order = [compiled.binds[name].key for name in compiled.positiontup or ()]
    sql = str(compiled)
    head, group = sql[: sql.rindex("(")], sql[sql.rindex("(") :]
    per_statement = max(1, SQLITE_MAX_VARIABLES // len(order))
    get = itemgetter(*order)
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        columns = list(zip(*(get(row) for row in chunk), strict=True)) if len(order) > 1 else [get(r) for r in chunk]
        for i, key in enumerate(order):
            if (process := processors[key]) is not None:
                columns[i] = tuple(map(process, columns[i]))
        flat = tuple(chain.from_iterable(zip(*columns, strict=True)))
        connection.exec_driver_sql(head + ", ".join([group] * len(chunk)), flat)
