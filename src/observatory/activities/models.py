"""The tables of activities: one row per activity on IP-based networks, versioned like a pledge."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from observatory.db import Base, utcnow

# ITU's Sectors and General Secretariat, then the organisations Resolution 101 names (regional IXP
# associations each an organisation of its own, so that each has its role and its degree of collaboration).
ITU_ORGANISATIONS = ("itu_t", "itu_d", "itu_r", "itu_gs")
OTHER_ORGANISATIONS = (
    "icann", "afrinic", "apnic", "arin", "lacnic", "ripe_ncc", "ietf", "isoc", "ixf", "af_ix", "apix", "euro_ix",
    "lac_ix", "w3c", "uasg", "unesco", "broadband_commission",
)  # fmt: skip
ORGANISATIONS = ITU_ORGANISATIONS + OTHER_ORGANISATIONS
TOPICS = (
    "ipv6", "ixp_interconnection", "naming_addressing", "universal_acceptance", "security", "capacity_building",
    "standards", "affordability",
)  # fmt: skip
KINDS = ("recommendation", "study", "event", "training", "publication", "programme", "dataset", "agreement")
# Kinds that happen at one date: without an end date they take place at their start, not ever since.
ONE_OFF_KINDS = frozenset({"recommendation", "event", "publication"})
# ``itu``: an activity of ITU itself (its Sectors and General Secretariat), the only degree they have.
COLLABORATIONS = ("none", "information_exchange", "liaison_mou", "joint", "itu")
GLOBAL = "global"


class Activity(Base):
    """An activity on IP-based networks of ITU or another organisation, with its degree of collaboration
    with ITU and its source; every change bumps its version and is in the audit log."""

    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_organisation", "organisation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(12), unique=True)
    organisation: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    topic: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(30))
    # "2022", "2022-06" or "2022-06-15": a source often gives only the year
    starts: Mapped[str] = mapped_column(String(10))
    ends: Mapped[str] = mapped_column(String(10), default="")
    areas: Mapped[list[str]] = mapped_column(default=list)  # ISO 3166-1 alpha-3, ITU regions, or "global"
    collaboration: Mapped[str] = mapped_column(String(30))
    evidence: Mapped[str] = mapped_column(Text, default="")
    source_url: Mapped[str] = mapped_column(String(1000))
    checked: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
