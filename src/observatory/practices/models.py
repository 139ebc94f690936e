"""The tables of practices: best-practice cases (Resolution 88 invites Member States to share experience and
best practice), each submitted for an organisation, reviewed and published by the secretariat."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from observatory.db import Base, utcnow

# A case is a draft, submitted for review, published, or returned to its submitter with a note.
REVIEW_STATES = ("draft", "submitted", "published", "returned")
# The licences the text of a case may be published under (a fixed list: readers must know what they may reuse).
LICENCES = ("cc_by_4", "cc_by_sa_4", "cc0", "all_rights_reserved")


class BestPractice(Base):
    """A best-practice case: what was done where, its results with figures, the lessons learnt, the pledges it
    relates to, who to contact (never shown publicly), the licence of its text and its sources; every change
    bumps its version."""

    __tablename__ = "best_practice"
    __table_args__ = (Index("ix_best_practice_organisation_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(8), default="en")  # of the case's own text
    country: Mapped[str | None] = mapped_column(String(3))  # alpha-3; None: several countries
    other_countries: Mapped[list[str]] = mapped_column(default=list)
    focus_areas: Mapped[list[str]] = mapped_column(default=list)
    pillars: Mapped[list[str]] = mapped_column(default=list)
    year: Mapped[int | None] = mapped_column(Integer)  # the year the practice began
    what_was_done: Mapped[str] = mapped_column(Text, default="")
    results: Mapped[str] = mapped_column(Text, default="")
    # [{"label", "value", "unit", "year"}]: the results' figures, as the source states them
    result_figures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    lessons: Mapped[str] = mapped_column(Text, default="")
    pledges: Mapped[list[str]] = mapped_column(default=list)  # pledge references
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    licence: Mapped[str] = mapped_column(String(30), default="cc_by_4")
    source_urls: Mapped[list[str]] = mapped_column(default=list)
    # None: submitted by the secretariat on behalf of the country
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    review_state: Mapped[str] = mapped_column(String(20), default="draft")
    review_note: Mapped[str] = mapped_column(Text, default="")
    needs_check: Mapped[bool] = mapped_column(Boolean, default=False)  # to be checked by the secretariat
    spotlight_years: Mapped[list[int]] = mapped_column(default=list)  # P2C reports it is a spotlight candidate for
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
