"""The indicator sources, one module each, all of the project's one :class:`~observatory.sources.Source` shape.

``SOURCES`` names them for the command line (``observatory indicators ingest SOURCE LOCATION``).
"""

from __future__ import annotations

from observatory.indicators.sources.base import IndicatorData, IndicatorSource
from observatory.indicators.sources.itu_prices import ItuPriceBaskets
from observatory.indicators.sources.owid_coverage import OwidMobileCoverage
from observatory.indicators.sources.wdi_api import WorldBankApiCsv
from observatory.indicators.sources.wdi_datapackage import WdiDatapackage

SOURCES: dict[str, type[IndicatorSource]] = {
    s.NAME: s for s in (WorldBankApiCsv, WdiDatapackage, OwidMobileCoverage, ItuPriceBaskets)
}

__all__ = [
    "SOURCES",
    "IndicatorData",
    "IndicatorSource",
    "ItuPriceBaskets",
    "OwidMobileCoverage",
    "WdiDatapackage",
    "WorldBankApiCsv",
]
