"""Stored routing results: dated AS hegemony and country dependency, each row pointing to the
``SourceLoad`` of the RIB files it was computed from (its date is the RIBs' dump date)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from observatory.db import Base

LOAD_FK = "source_load.id"


class AsHegemony(Base):
    """Global AS hegemony of one AS on one date, for one address family."""

    __tablename__ = "routing_as_hegemony"
    __table_args__ = (Index("ix_routing_as_hegemony_date_asn", "data_date", "asn"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    data_date: Mapped[dt.date] = mapped_column(Date)
    af: Mapped[int] = mapped_column(SmallInteger)  # 4 or 6
    asn: Mapped[int] = mapped_column(BigInteger)
    hegemony: Mapped[float] = mapped_column(Float)


class CountryDependency(Base):
    """How much a country's networks depend on one AS on one date (see docs/routing.md)."""

    __tablename__ = "routing_country_dependency"
    __table_args__ = (Index("ix_routing_country_dependency_country_date", "country", "data_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    data_date: Mapped[dt.date] = mapped_column(Date)
    af: Mapped[int] = mapped_column(SmallInteger)
    weighting: Mapped[str] = mapped_column(String(10))  # "as" (1 per origin AS) or "eyeball" (users)
    country: Mapped[str] = mapped_column(String(8))  # ISO alpha-3
    asn: Mapped[int] = mapped_column(BigInteger)
    dependency: Mapped[float] = mapped_column(Float)
    transit_dependency: Mapped[float] = mapped_column(Float)  # leaving out the AS's own prefixes
    origins: Mapped[int] = mapped_column(Integer)  # origin ASes of the country the value is over
