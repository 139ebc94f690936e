"""Internet infrastructure snapshots: every row belongs to one ``SourceLoad`` (its dated snapshot).

A snapshot is one load of one file; its date is the load's ``data_date``. Country columns hold the
ISO alpha-3 code when the source's code is a country, else the source's own code upper-cased (``ZZ``,
``EU``, ``AP`` in RIR files) with ``is_country`` false, so nothing the source said is lost.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, Float, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from observatory.db import Base

LOAD_FK = "source_load.id"


class Ixp(Base):
    """An Internet exchange point as one source described it in one snapshot."""

    __tablename__ = "net_ixp"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    ixp_key: Mapped[str] = mapped_column(String(40))  # the source's own identifier
    name: Mapped[str] = mapped_column(String(300), default="")
    country: Mapped[str | None] = mapped_column(String(8))
    is_country: Mapped[bool] = mapped_column(Boolean, default=False)
    city: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(20), default="")


class IxpMember(Base):
    """A network (AS) connected to an IXP in one snapshot; ``country`` is the member's as the source gives it."""

    __tablename__ = "net_ixp_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    ixp_key: Mapped[str] = mapped_column(String(40))
    asn: Mapped[int] = mapped_column(BigInteger)
    country: Mapped[str | None] = mapped_column(String(8))


class IxpPrefix(Base):
    """A peering LAN prefix of an IXP."""

    __tablename__ = "net_ixp_prefix"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    ixp_key: Mapped[str] = mapped_column(String(40))
    prefix: Mapped[str] = mapped_column(String(50))


class Facility(Base):
    """A colocation facility (CAIDA facilities dataset)."""

    __tablename__ = "net_facility"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    facility_key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300), default="")
    country: Mapped[str | None] = mapped_column(String(8))
    is_country: Mapped[bool] = mapped_column(Boolean, default=False)
    city: Mapped[str] = mapped_column(String(120), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class Delegation(Base):
    """One record of an RIR statistics exchange file (allocated or assigned).

    ``value`` is what the format says: the number of addresses for ipv4, the prefix length for ipv6,
    the count of AS numbers for asn."""

    __tablename__ = "net_delegation"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    rir: Mapped[str] = mapped_column(String(10))
    country: Mapped[str] = mapped_column(String(8))
    is_country: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(4))  # asn | ipv4 | ipv6
    start: Mapped[str] = mapped_column(String(45))
    value: Mapped[int] = mapped_column(BigInteger)
    delegated: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    holder: Mapped[str | None] = mapped_column(String(64))  # opaque id (extended files only)


class Eyeballs(Base):
    """APNIC's estimate of the Internet users served by an AS in a country."""

    __tablename__ = "net_eyeballs"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    asn: Mapped[int] = mapped_column(BigInteger)
    country: Mapped[str] = mapped_column(String(8))
    users: Mapped[int] = mapped_column(BigInteger)
    country_share: Mapped[float | None] = mapped_column(Float)  # percent of the country's users


class AsLink(Base):
    """An inferred AS relationship: -1 provider ``asn1`` → customer ``asn2``, 0 peers, 1 siblings."""

    __tablename__ = "net_as_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    asn1: Mapped[int] = mapped_column(BigInteger)
    asn2: Mapped[int] = mapped_column(BigInteger)
    relationship: Mapped[int] = mapped_column(SmallInteger)
    origin: Mapped[str] = mapped_column(String(20), default="")  # serial-2 inference source


class PrefixOrigin(Base):
    """A routed prefix and its origin AS(es) (CAIDA prefix-to-AS); ``origins`` keeps the file's notation."""

    __tablename__ = "net_prefix_origin"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    prefix: Mapped[str] = mapped_column(String(50))
    origins: Mapped[str] = mapped_column(String(200))


class NetworkIndicator(Base):
    """One indicator value for one country (or non-country code) on one date, from one snapshot.

    ``numerator``/``denominator`` are kept for shares and ratios so group aggregates are exact
    (a sum of numerators over a sum of denominators), not averages of averages."""

    __tablename__ = "net_indicator"
    __table_args__ = (Index("ix_net_indicator_country_code_date", "country", "code", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    source: Mapped[str] = mapped_column(String(60))
    snapshot_date: Mapped[dt.date] = mapped_column(Date)
    country: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(40))
    date: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)


DATA_TABLES = (Ixp, IxpMember, IxpPrefix, Facility, Delegation, Eyeballs, AsLink, PrefixOrigin, NetworkIndicator)
