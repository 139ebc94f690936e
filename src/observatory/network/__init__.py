"""Internet infrastructure per country over time (Resolution 101): IXPs, networks, address space, IPv6.

Sources (one module each, all of the :class:`observatory.sources.Source` shape, in the source registry by
their ``NAME``) load dated snapshots; ``compute`` turns them into indicators per country per date;
``service`` reads them. Other capabilities use :func:`asn_countries` and :func:`eyeballs`, the indicators
(:func:`country_indicators`, :func:`group_indicators`, :func:`area_indicators`), :func:`source`, and the
Internet Health Report's IXP dependency results of a country (:func:`ixp_dependency`,
:func:`domestic_exchange_evidence`).
"""

from observatory.network.dependency import domestic_exchange_evidence, ixp_dependency
from observatory.network.service import (
    CODES,
    area_indicators,
    asn_countries,
    country_indicators,
    eyeballs,
    group_indicators,
    ixp_map,
    series,
    source,
    source_label,
    sources,
)

__all__ = [
    "CODES",
    "area_indicators",
    "asn_countries",
    "country_indicators",
    "domestic_exchange_evidence",
    "eyeballs",
    "group_indicators",
    "ixp_dependency",
    "ixp_map",
    "series",
    "source",
    "source_label",
    "sources",
]
