"""The audit log: who changed what, when, with the record before and after — for every capability
(pledges, progress reports, organisations, accounts). It is only ever written through :func:`record`
(one change) or :func:`record_many` (the rows of a bulk import, in one statement)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, DateTime, Index, String, Table
from sqlalchemy.orm import Mapped, Session, mapped_column

from observatory.db import Base, bulk_insert, utcnow


class AuditEntry(Base):
    """Who changed what, when, with the record before and after."""

    __tablename__ = "audit_entry"
    # (entity, id): the newest change of one kind of record is one index lookup (what cached pages check).
    __table_args__ = (
        Index("ix_audit_entry_entity", "entity", "entity_key"),
        Index("ix_audit_entry_latest", "entity", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_key: Mapped[str] = mapped_column(String(60))
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()


def record(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Record one change of ``entity`` ``key`` by ``actor``, in the caller's transaction."""
    session.add(AuditEntry(actor=actor, action=action, entity=entity, entity_key=key, before=before, after=after))


def entry(
    at: dt.datetime,
    actor: str,
    action: str,
    entity: str,
    key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    """One row for :func:`record_many`."""
    return {"at": at, "actor": actor, "action": action, "entity": entity, "entity_key": key, "before": before,
            "after": after}  # fmt: skip


def record_many(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Record many changes (rows made by :func:`entry`) with one multi-row statement."""
    bulk_insert(connection, cast(Table, AuditEntry.__table__), rows)
