"""Internet infrastructure per country over time (Resolution 101): IXPs, networks, address space, IPv6.

Sources (one module each, all of the :class:`observatory.sources.Source` shape) load dated snapshots;
``compute`` turns them into indicators per country per date; ``service`` reads them. Other
capabilities use :func:`asn_countries` and :func:`eyeballs`.
"""

from observatory.network.service import (
    CODES,
    SOURCES,
    asn_countries,
    country_indicators,
    eyeballs,
    group_indicators,
    ixp_map,
    series,
)

__all__ = [
    "CODES",
    "SOURCES",
    "asn_countries",
    "country_indicators",
    "eyeballs",
    "group_indicators",
    "ixp_map",
    "series",
]
