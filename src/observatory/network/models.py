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
    # What the value would need and is not loaded ("ripencc", "ripencc,arin"): empty when the value is
    # covered; a value that is not covered is stored with ``value`` null, so no page shows it as a number.
    missing: Mapped[str] = mapped_column(String(200), default="")


class AsName(Base):
    """What one source says of one AS: its name, its country and its kind of network (IHR's classes)."""

    __tablename__ = "net_as_name"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    asn: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    country: Mapped[str | None] = mapped_column(String(8))  # alpha-3, or the source's own code
    category: Mapped[str] = mapped_column(String(40), default="")  # "Transit/Access", "Enterprise", …


class IxpDependency(Base):
    """IHR's IXP dependency results for one IXP (Tashiro et al., PAM 2024), from one measurement platform
    (``measurement``: "atlas" or "ark") on the snapshot's date. ``ixp_key`` is the PeeringDB ix id."""

    __tablename__ = "net_ixp_dependency"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    measurement: Mapped[str] = mapped_column(String(10))
    ixp_key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300), default="")
    country: Mapped[str | None] = mapped_column(String(8))
    peers: Mapped[int | None] = mapped_column(BigInteger)
    peers_national: Mapped[int | None] = mapped_column(BigInteger)
    peers_international: Mapped[int | None] = mapped_column(BigInteger)
    peers_seen: Mapped[int | None] = mapped_column(BigInteger)
    traceroutes: Mapped[int | None] = mapped_column(BigInteger)
    dependencies: Mapped[int | None] = mapped_column(BigInteger)
    dependencies_national: Mapped[int | None] = mapped_column(BigInteger)
    dependencies_international: Mapped[int | None] = mapped_column(BigInteger)
    dependent_peers: Mapped[int | None] = mapped_column(BigInteger)
    dependent_peers_national: Mapped[int | None] = mapped_column(BigInteger)
    regionality: Mapped[float | None] = mapped_column(Float)


class IxpDependencyScope(Base):
    """One line of IHR's per-AS IXP dependencies: for an IXP and a scope country (alpha-3, or the
    source's own code such as ``**`` or ``OVERVIEW``), how many scopes depend on it (``kind``: "general",
    "single", "multiple", "mixed", "unknown", or "asn" with ``asn`` the network depended through)."""

    __tablename__ = "net_ixp_dependency_scope"

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey(LOAD_FK), index=True)
    measurement: Mapped[str] = mapped_column(String(10))
    ixp_key: Mapped[str] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    asn: Mapped[int | None] = mapped_column(BigInteger)
    scopes: Mapped[int] = mapped_column(BigInteger)
    asn_count: Mapped[int] = mapped_column(BigInteger)


DATA_TABLES = (
    Ixp,
    IxpMember,
    IxpPrefix,
    Facility,
    Delegation,
    Eyeballs,
    AsLink,
    PrefixOrigin,
    NetworkIndicator,
    AsName,
    IxpDependency,
    IxpDependencyScope,
)
