"""The indicator sources, one module each, all of the project's one :class:`~observatory.sources.Source` shape.

They are in the source registry by their ``NAME`` (``observatory indicators ingest SOURCE LOCATION``,
``observatory data load``): :func:`observatory.indicators.service.sources`.
"""

from __future__ import annotations

from observatory.indicators.sources.base import IndicatorData, IndicatorSource
from observatory.indicators.sources.itu_prices import ItuPriceBaskets
from observatory.indicators.sources.owid_coverage import OwidMobileCoverage
from observatory.indicators.sources.wdi_api import WorldBankApiCsv
from observatory.indicators.sources.wdi_datapackage import WdiDatapackage

__all__ = [
    "IndicatorData",
    "IndicatorSource",
    "ItuPriceBaskets",
    "OwidMobileCoverage",
    "WdiDatapackage",
    "WorldBankApiCsv",
]
