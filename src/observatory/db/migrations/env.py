"""Alembic environment: migrations run on the connection handed over by ``observatory.db.migrate``."""

from __future__ import annotations

from alembic import context

import observatory.models  # noqa: F401  (registers every table on the metadata)
from observatory.db import Base

connection = context.config.attributes["connection"]


def include_object(obj: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
    """SQLite's full-text index lives in tables of its own, made by the first migration by hand."""
    return not (kind == "table" and name is not None and name.startswith("pledge_fts"))


context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_object=include_object
)
with context.begin_transaction():
    context.run_migrations()
