"""Connectivity indicators: every published edition of country and group series (population, Internet use,
broadband and mobile subscriptions, mobile coverage, prices), people offline with documented imputation,
scores against the 2025/2030 connectivity targets, projections, and need against pledges.

Other capabilities use :func:`population` (World Bank SP.POP.TOTL, latest edition) for per-capita figures.
"""

from observatory.indicators.store import observations, population

__all__ = ["observations", "population"]
