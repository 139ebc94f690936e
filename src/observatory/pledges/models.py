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
    "unspecified",  # a partner registered from its name alone, until the secretariat says what it is
)
# not_applicable: ITU itself (the Union is not a member of itself); unspecified: not known yet
ITU_MEMBERSHIPS = ("member_state", "sector_member", "associate", "academia", "none", "not_applicable", "unspecified")
PLEDGE_TYPES = ("financial", "programmatic", "policy", "advocacy")
STATUSES = ("planned", "in_progress", "completed", "discontinued")
REVIEW_STATES = ("draft", "submitted", "published", "rejected", "withdrawn")
# A progress report is submitted, then published by the secretariat or sent back to its pledger with a note.
REPORT_REVIEW_STATES = ("submitted", "published", "returned")
DELIVERABLE_STATUSES = ("planned", "in_progress", "completed", "delayed", "cancelled")
REMINDER_KINDS = ("due", "overdue")
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
    other_names: Mapped[list[str]] = mapped_column(default=list)  # earlier names, acronyms, merged names
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
    deliverables: Mapped[list[Deliverable]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Deliverable.id"
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
    """A pledger's report on one pledge for one year (both fixed once filed): its status, what was committed
    and disbursed in that year, people reached; submitted, then published or returned by the secretariat."""

    __tablename__ = "progress_report"
    __table_args__ = (UniqueConstraint("pledge_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    percent_complete: Mapped[float | None] = mapped_column(Float)
    usd_committed: Mapped[float | None] = mapped_column(Float)  # committed in that year
    usd_disbursed: Mapped[float | None] = mapped_column(Float)  # disbursed in that year
    # 64 bits: a pledge may reach more than 2**31 people (SQLite's INTEGER is 64-bit already)
    people_reached: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    narrative: Mapped[str] = mapped_column(Text, default="")
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    status_reason: Mapped[str] = mapped_column(Text, default="")  # why the pledge was discontinued
    finance_note: Mapped[str] = mapped_column(Text, default="")  # why more was disbursed than committed
    review_state: Mapped[str] = mapped_column(String(20), default="submitted")
    review_note: Mapped[str] = mapped_column(Text, default="")
    filed_on: Mapped[dt.date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    pledge: Mapped[Pledge] = relationship(back_populates="reports")
    deliverable_updates: Mapped[list[DeliverableUpdate]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="report"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Deliverable(Base):
    """A milestone of a pledge, with a due date and a status its reports update."""

    __tablename__ = "deliverable"
    __table_args__ = (Index("ix_deliverable_pledge_id", "pledge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class DeliverableUpdate(Base):
    """A deliverable's status as a progress report gave it."""

    __tablename__ = "deliverable_update"

    report_id: Mapped[int] = mapped_column(ForeignKey("progress_report.id", ondelete="CASCADE"), primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverable.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    report: Mapped[ProgressReport] = relationship(back_populates="deliverable_updates")
    deliverable: Mapped[Deliverable] = relationship(lazy="joined")


class Reminder(Base):
    """A reminder mailed to a pledger that a pledge's report for a year is due or overdue."""

    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_pledge_id", "pledge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"))
    report_year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # due | overdue
    sent_to: Mapped[str] = mapped_column(String(320))
    sent_by: Mapped[str] = mapped_column(String(200))  # the command, or the secretariat member who sent it
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RegistryRevision(Base):
    """One row, bumped by every write to the registry, so readers know when cached figures are stale."""

    __tablename__ = "registry_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class PledgeChange(Base):
    """Which pledges a registry revision changed: the pledge index reads again only those. A revision
    that changed too many to list (an import, a merge) has one row without a pledge: read everything."""

    __tablename__ = "pledge_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, index=True)
    pledge_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: a deleted pledge's change is kept
