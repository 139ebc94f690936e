"""The connectivity section of a country or group page (and its JSON twin): Internet use over time against
the targets, people offline, coverage, affordability, the projected year, pledges per offline person, and
the edition of every figure."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from observatory.indicators import service
from observatory.indicators.service import AFFORDABILITY, COVERAGE

__all__ = ["AFFORDABILITY", "COVERAGE", "area_section"]


def area_section(session: Session, area: str) -> dict[str, Any] | None:
    """The section's data for ``area`` (a country's alpha-3 or an aggregate code); None when population and
    Internet use are not loaded. Its headline figures (Internet use, people offline, USD pledged per person
    offline) are all for one ``year`` (:func:`service.headline_year`), marked observed or estimated; ``breaks``
    lists the restatements and jumps of a country's series (:mod:`observatory.indicators.breaks`).

    The figures resting on the loaded data alone are :func:`service.area_figures` (what the country and group
    pages keep per data revision); the pledges are set against them by :func:`service.area_pledges`."""
    try:
        c = service.connectivity(session)
    except service.NoData:
        return None
    return service.area_pledges(session, service.area_figures(c, area))
