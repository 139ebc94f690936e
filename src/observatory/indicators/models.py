"""The indicator store: observations of (indicator, area, year) per loaded edition, and area metadata.

Every row points to the :class:`~observatory.sources.SourceLoad` it came from, which says the source, its
edition or release date and when it was loaded. Loading a new edition adds rows; it never replaces those of
another load, so every published edition stays queryable.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from observatory.db import Base


class Observation(Base):
    """One published (or, with ``imputed``, derived by the observatory) value of an indicator."""

    __tablename__ = "indicator_observation"
    __table_args__ = (
        Index("ix_indicator_observation_lookup", "indicator", "area", "year"),
        Index("ix_indicator_observation_load", "load_id", "indicator"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey("source_load.id"))
    indicator: Mapped[str] = mapped_column(String(40))
    area: Mapped[str] = mapped_column(String(24))  # ISO alpha-3, an aggregate code, or WB:/UN: published aggregate
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(30))
    imputed: Mapped[bool] = mapped_column(Boolean, default=False)


class AreaClassification(Base):
    """A source's classification of an economy (World Bank region and income group), per load."""

    __tablename__ = "indicator_area_class"
    __table_args__ = (Index("ix_indicator_area_class_load", "load_id", "scheme"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey("source_load.id"))
    area: Mapped[str] = mapped_column(String(24))
    scheme: Mapped[str] = mapped_column(String(20))  # "wb_region" or "wb_income"
    value: Mapped[str] = mapped_column(String(60))
