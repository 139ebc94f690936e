"""Connectivity indicators: every published edition of country and group series (population, Internet use,
broadband and mobile subscriptions, mobile coverage, prices), people offline with documented imputation,
scores against the 2025/2030 connectivity targets, projections, and need against pledges.

Other capabilities use :func:`population` (World Bank SP.POP.TOTL, latest edition) for per-capita figures,
:func:`area_members` for the countries of an area (income groups included), the indicator catalogue
(:data:`CATALOGUE`, connectivity and infrastructure indicators alike) and the connectivity targets
(:data:`TARGETS`).
"""

from observatory.indicators.catalogue import (
    BY_CODE,
    CATALOGUE,
    CONNECTIVITY,
    INFRASTRUCTURE,
    INTERNET_USE,
    POPULATION,
    Indicator,
    fed_by,
)
from observatory.indicators.store import area_members, observations, population
from observatory.indicators.targets import TARGETS, Target

__all__ = [
    "BY_CODE",
    "CATALOGUE",
    "CONNECTIVITY",
    "INFRASTRUCTURE",
    "INTERNET_USE",
    "POPULATION",
    "TARGETS",
    "Indicator",
    "Target",
    "area_members",
    "fed_by",
    "observations",
    "population",
]
