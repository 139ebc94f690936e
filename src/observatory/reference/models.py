"""Reference tables in the database, loaded from the package's curated files by ``observatory init``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from observatory.db import Base


class CountryRow(Base):
    __tablename__ = "country"

    alpha3: Mapped[str] = mapped_column(String(3), primary_key=True)
    alpha2: Mapped[str] = mapped_column(String(2), unique=True)
    m49: Mapped[str] = mapped_column(String(3))
    name_en: Mapped[str] = mapped_column(String(120))
    name_fr: Mapped[str] = mapped_column(String(120))
    itu_region: Mapped[str | None] = mapped_column(String(20))


class GroupMembershipRow(Base):
    """Membership of a UN country group (LDC, LLDC, SIDS) over ``[since, until)``."""

    __tablename__ = "country_group_membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    group: Mapped[str] = mapped_column(String(8))
    country: Mapped[str] = mapped_column(ForeignKey("country.alpha3"))
    since: Mapped[dt.date | None] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")


class ExchangeRateRow(Base):
    """USD value of one unit of a currency, annual average for a year, with its source."""

    __tablename__ = "exchange_rate"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    usd_per_unit: Mapped[float]
    source: Mapped[str] = mapped_column(String(300))


def load_reference(session: Session) -> dict[str, int]:
    """Bring the reference tables in line with the package's files (run by ``observatory init``).

    Countries and rates are upserted (rows loaded by users stay); group memberships are replaced."""
    from observatory import reference

    for c in reference.countries().values():
        session.merge(CountryRow(
            alpha3=c.alpha3, alpha2=c.alpha2, m49=c.m49, name_en=c.name_en, name_fr=c.name_fr,
            itu_region=c.itu_region,
        ))  # fmt: skip
    session.flush()
    session.execute(delete(GroupMembershipRow))
    for m in reference.memberships():
        session.add(GroupMembershipRow(group=m.group, country=m.alpha3, since=m.since, until=m.until, note=m.note))
    for r in reference.exchange_rates():
        session.merge(ExchangeRateRow(currency=r.currency, year=r.year, usd_per_unit=r.usd_per_unit, source=r.source))
    return {
        "countries": len(reference.countries()),
        "memberships": len(reference.memberships()),
        "exchange_rates": len(reference.exchange_rates()),
    }
