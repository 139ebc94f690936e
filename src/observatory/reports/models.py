"""The tables of the annual reports: what the secretariat writes for each year's report (per language), and
each build of a report (its state while it runs, and where its files are)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from observatory.db import Base, utcnow

REPORT_KINDS = ("p2c", "ip-networks")
FORMATS = ("html", "pdf")
BUILD_STATES = ("queued", "running", "done", "failed")


class ReportEdition(Base):
    """What the secretariat writes and chooses for one year's report in one language: the outlook (P2C), the
    proposals with their resource implications and the Council it goes to (IP-based networks), the spotlights,
    the earlier documents it refers to. Versioned and audited."""

    __tablename__ = "report_edition"
    __table_args__ = (UniqueConstraint("kind", "year", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    outlook: Mapped[str] = mapped_column(Text, default="")
    proposals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # title, text, resources
    council_date: Mapped[dt.date | None] = mapped_column(Date)
    council_symbol: Mapped[str] = mapped_column(String(40), default="")
    references: Mapped[list[str]] = mapped_column(default=list)
    spotlight_pledges: Mapped[list[str]] = mapped_column(default=list)
    spotlight_practices: Mapped[list[str]] = mapped_column(default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ReportBuild(Base):
    """One build of a report: what was asked (kind, year, language, format, as-of day), by whom, how far it
    has got, and, once done, its folder (under the platform's home), page count, time and memory."""

    __tablename__ = "report_build"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    format: Mapped[str] = mapped_column(String(8))
    as_of: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)  # per cent
    step: Mapped[str] = mapped_column(String(60), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    folder: Mapped[str] = mapped_column(String(300), default="")
    pages: Mapped[int | None] = mapped_column(Integer)
    seconds: Mapped[float | None] = mapped_column(Float)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
