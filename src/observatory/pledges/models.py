"""The P2C registry: organisations, pledges, progress reports and the audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from observatory.db import Base, utcnow

STAKEHOLDER_TYPES = (
    "government",
    "private_sector",
    "international_organisation",
    "un_entity",
    "financial_institution",
    "academia",
    "civil_society",
)
ITU_MEMBERSHIPS = ("member_state", "sector_member", "associate", "academia", "none")
PLEDGE_TYPES = ("financial", "programmatic", "policy", "advocacy")
STATUSES = ("planned", "in_progress", "completed", "discontinued")
REVIEW_STATES = ("draft", "submitted", "published", "rejected", "withdrawn")
USD_ORIGINS = ("stated", "converted")


class Organisation(Base):
    """An organisation that pledges or partners in pledges; its name is unique, ignoring case and blanks."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300), unique=True)
    stakeholder_type: Mapped[str] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(ForeignKey("country.alpha3"))
    itu_membership: Mapped[str] = mapped_column(String(20), default="none")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Pledge(Base):
    """A Partner2Connect pledge: what an organisation committed to, where, for how much and when, with its
    review state; every change bumps its version."""

    __tablename__ = "pledge"
    __table_args__ = (Index("ix_pledge_pledger_id", "pledger_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    pledger_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="en")  # of the title and description
    pledge_type: Mapped[str | None] = mapped_column(String(20))
    value_amount: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    value_usd: Mapped[float | None] = mapped_column(Float)
    usd_rate: Mapped[float | None] = mapped_column(Float)
    usd_rate_date: Mapped[dt.date | None] = mapped_column(Date)
    usd_origin: Mapped[str | None] = mapped_column(String(10))
    start_year: Mapped[int | None] = mapped_column(Integer)
    end_year: Mapped[int | None] = mapped_column(Integer)
    announced_on: Mapped[dt.date | None] = mapped_column(Date)
    event: Mapped[str] = mapped_column(String(300), default="")
    source_url: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(20), default="planned")
    review_state: Mapped[str] = mapped_column(String(20), default="draft")
    review_note: Mapped[str] = mapped_column(Text, default="")
    sdgs: Mapped[list[int]] = mapped_column(default=list)
    beneficiary_groups: Mapped[list[str]] = mapped_column(default=list)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    pledger: Mapped[Organisation] = relationship(lazy="joined")
    focus_areas: Mapped[list[PledgeFocusArea]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PledgeFocusArea.focus_area"
    )
    pillars: Mapped[list[PledgePillar]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PledgePillar.pillar"
    )
    countries: Mapped[list[PledgeCountry]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PledgeCountry.country"
    )
    partners: Mapped[list[PledgePartner]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    reports: Mapped[list[ProgressReport]] = relationship(
        back_populates="pledge", lazy="selectin", order_by="ProgressReport.year"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class PledgeFocusArea(Base):
    """A P2C focus area a pledge serves."""

    __tablename__ = "pledge_focus_area"

    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), primary_key=True)
    focus_area: Mapped[str] = mapped_column(String(20), primary_key=True)


class PledgePillar(Base):
    """A pillar (of a focus area) a pledge serves."""

    __tablename__ = "pledge_pillar"

    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), primary_key=True)
    pillar: Mapped[str] = mapped_column(String(40), primary_key=True)


class PledgeCountry(Base):
    """A country a pledge targets (a pledge with none is global)."""

    __tablename__ = "pledge_country"

    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), primary_key=True)
    country: Mapped[str] = mapped_column(ForeignKey("country.alpha3"), primary_key=True)


class PledgePartner(Base):
    """An organisation a pledge names as partner."""

    __tablename__ = "pledge_partner"

    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class ProgressReport(Base):
    """A pledger's annual report on one pledge: one per pledge per year."""

    __tablename__ = "progress_report"
    __table_args__ = (UniqueConstraint("pledge_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    percent_complete: Mapped[float | None] = mapped_column(Float)
    usd_disbursed: Mapped[float | None] = mapped_column(Float)
    # 64 bits: a pledge may reach more than 2**31 people (SQLite's INTEGER is 64-bit already)
    people_reached: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    narrative: Mapped[str] = mapped_column(Text, default="")
    filed_on: Mapped[dt.date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    pledge: Mapped[Pledge] = relationship(back_populates="reports")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class RegistryRevision(Base):
    """One row, bumped by every write to the registry, so readers know when cached figures are stale."""

    __tablename__ = "registry_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
