"""The indicator catalogue: every indicator the observatory stores or computes, connectivity
(``observatory.indicators``) and Internet infrastructure (``observatory.network``) alike.

Each entry says its stable code, its English name (marked with ``N_``: the catalogs translate it), its
definition, unit, how a group of countries aggregates it, whether higher is better, and the sources that
feed it (their registry ``NAME``, see :mod:`observatory.sources`). The pages, the APIs, the stores and
``docs/data-sources.md`` all read it here; docs/indicators.md and docs/network.md say the same at length.

How groups aggregate an indicator (``aggregate``):

- ``sum``: the members' values added up (population, IXPs, AS numbers);
- ``share``: the members' numerators over their denominators (people online over population, networks
  at a domestic IXP over networks), never an average of averages;
- ``population_mean``: the population-weighted mean of the members that report, in the latest year
  when they hold at least half of the group's population (coverage, subscriptions, prices).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from observatory.i18n import N_

Aggregate = Literal["sum", "share", "population_mean"]
Better = Literal["higher", "lower"]
Capability = Literal["indicators", "network"]


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator of the catalogue (see the module's text for the fields)."""

    code: str
    name: str  # English, marked with N_
    definition: str  # English, marked with N_
    unit: str
    aggregate: Aggregate
    better: Better | None  # None: neither more nor less is better (population)
    sources: tuple[str, ...]  # registry NAMEs of the sources it is read or computed from
    capability: Capability  # the capability that stores it


def _connectivity(
    code: str, name: str, definition: str, unit: str, aggregate: Aggregate, better: Better | None, *sources: str
) -> Indicator:
    return Indicator(code, name, definition, unit, aggregate, better, sources, "indicators")


def _infrastructure(code: str, name: str, definition: str, unit: str, aggregate: Aggregate, *sources: str) -> Indicator:
    return Indicator(code, name, definition, unit, aggregate, "higher", sources, "network")


PER_100 = "per 100 people"
PRICE_SHARE = "% GNI p.c."
IXP_SOURCES = ("caida_ixp", "peeringdb", "peeringdb_csv", "pch")
MEMBER_SOURCES = ("peeringdb", "peeringdb_csv", "pch")  # the IXP sources that list members
RIR = "rir_delegated"
REGISTRY = (RIR, "rir_lists")  # the official files, and the lists derived from them for the other registries
ADDRESS_SPACE = (*REGISTRY, "country_ip_blocks")  # … and the country prefix lists

CATALOGUE: tuple[Indicator, ...] = (
    # Connectivity (observatory.indicators): World Bank, ITU and UN series, by edition.
    _connectivity(
        "SP.POP.TOTL",
        N_("Population"),
        N_("Total population at mid-year: every resident, whatever their legal status or citizenship."),
        "people",
        "sum",
        None,
        "worldbank_wdi",
    ),
    _connectivity(
        "IT.NET.USER.ZS",
        N_("Individuals using the Internet (%)"),
        N_("Individuals who used the Internet from any location in the last three months (ITU indicator i99H)."),
        "%",
        "share",
        "higher",
        "worldbank_api",
    ),
    _connectivity(
        "IT.NET.BBND.P2",
        N_("Fixed broadband subscriptions (per 100 people)"),
        N_("Fixed subscriptions to high-speed access to the Internet (256 kbit/s or more downstream)."),
        PER_100,
        "population_mean",
        "higher",
        "worldbank_wdi",
    ),
    _connectivity(
        "IT.CEL.SETS.P2",
        N_("Mobile cellular subscriptions (per 100 people)"),
        N_("Subscriptions to a public mobile telephone service, postpaid and prepaid."),
        PER_100,
        "population_mean",
        "higher",
        "worldbank_wdi",
    ),
    _connectivity(
        "IT.MLT.MAIN.P2",
        N_("Fixed telephone subscriptions (per 100 people)"),
        N_("Active fixed telephone lines connecting a customer to the public switched telephone network."),
        PER_100,
        "population_mean",
        "higher",
        "worldbank_wdi",
    ),
    *(
        _connectivity(
            f"IT_MOB_{g}GNTWK",
            name,
            definition,
            "%",
            "population_mean",
            "higher",
            "owid_sdg9c1",
        )
        for g, name, definition in (
            (
                2,
                N_("Population covered by a 2G mobile network (%)"),
                N_("Share of the population within range of at least a 2G mobile signal (SDG 9.c.1)."),
            ),
            (
                3,
                N_("Population covered by a 3G mobile network (%)"),
                N_("Share of the population within range of at least a 3G mobile signal (SDG 9.c.1)."),
            ),
            (
                4,
                N_("Population covered by a 4G mobile network (%)"),
                N_("Share of the population within range of at least a 4G (LTE) mobile signal (SDG 9.c.1)."),
            ),
        )
    ),
    _connectivity(
        "MBB_2GB_GNI",
        N_("Mobile data, 2 GB a month (% of monthly GNI per capita)"),
        N_("Price of the cheapest data-only mobile-broadband plan with at least 2 GB a month (ITU price basket)."),
        PRICE_SHARE,
        "population_mean",
        "lower",
        "itu_price_baskets",
    ),
    _connectivity(
        "MBB_5GB_GNI",
        N_("Mobile data, 5 GB a month (% of monthly GNI per capita)"),
        N_("Price of the cheapest data-only mobile-broadband plan with at least 5 GB a month (ITU price basket)."),
        PRICE_SHARE,
        "population_mean",
        "lower",
        "itu_price_baskets",
    ),
    _connectivity(
        "FBB_5GB_GNI",
        N_("Fixed broadband, 5 GB a month (% of monthly GNI per capita)"),
        N_("Price of the cheapest fixed-broadband plan with at least 5 GB a month (ITU price basket)."),
        PRICE_SHARE,
        "population_mean",
        "lower",
        "itu_price_baskets",
    ),
    _connectivity(
        "MBB_2GB_USD",
        N_("Mobile data, 2 GB a month (USD)"),
        N_("The mobile-data basket of 2 GB a month in US dollars."),
        "USD",
        "population_mean",
        "lower",
        "itu_price_baskets",
    ),
    _connectivity(
        "FBB_5GB_USD",
        N_("Fixed broadband, 5 GB a month (USD)"),
        N_("The fixed-broadband basket of 5 GB a month in US dollars."),
        "USD",
        "population_mean",
        "lower",
        "itu_price_baskets",
    ),
    # Internet infrastructure (observatory.network, Resolution 101): per country per snapshot date.
    _infrastructure(
        "ixp_count",
        N_("IXPs"),
        N_("Internet exchange points located in the country."),
        "count",
        "sum",
        *IXP_SOURCES,
    ),
    _infrastructure(
        "ixp_active_count",
        N_("Active IXPs"),
        N_("IXPs in the country with at least 3 member networks, where the source lists members."),
        "count",
        "sum",
        *MEMBER_SOURCES,
    ),
    _infrastructure(
        "ixp_members",
        N_("IXP member networks"),
        N_("Distinct networks (AS numbers) connected to at least one IXP in the country."),
        "count",
        "sum",
        *MEMBER_SOURCES,
    ),
    _infrastructure(
        "ixp_national_member_share",
        N_("National share of IXP members"),
        N_(
            "Share of the member networks at the country's IXPs that are registered in the country (RIR "
            "delegation, else the member's organisation country), among members whose country is known."
        ),
        "share",
        "share",
        *MEMBER_SOURCES,
        RIR,
    ),
    _infrastructure(
        "asn_count",
        N_("AS numbers delegated"),
        N_("AS numbers delegated to holders in the country (allocated or assigned), every number of a range counted."),
        "count",
        "sum",
        *REGISTRY,
    ),
    _infrastructure(
        "asn_at_domestic_ixp_share",
        N_("Networks at a domestic IXP"),
        N_("Share of the country's delegated AS numbers present at an IXP in the country."),
        "share",
        "share",
        *REGISTRY,
        *MEMBER_SOURCES,
    ),
    _infrastructure(
        "ipv4_addresses",
        N_("IPv4 addresses delegated"),
        N_("IPv4 addresses in allocated or assigned delegations to the country."),
        "addresses",
        "sum",
        *ADDRESS_SPACE,
    ),
    _infrastructure(
        "ipv4_per_capita",
        N_("IPv4 addresses per person"),
        N_("IPv4 addresses delegated divided by the population (World Bank, latest year on or before)."),
        "addresses_per_person",
        "share",
        *ADDRESS_SPACE,
        "worldbank_wdi",
    ),
    _infrastructure(
        "ipv6_prefixes",
        N_("IPv6 delegations"),
        N_("IPv6 delegation records (allocated or assigned), from the registries' official files."),
        "count",
        "sum",
        RIR,
    ),
    _infrastructure(
        "ipv6_per_network",
        N_("IPv6 delegations per network"),
        N_("IPv6 delegation records per AS number delegated in the country: how far its networks have IPv6 space."),
        "ratio",
        "share",
        RIR,
    ),
    _infrastructure(
        "ipv6_holder_share",
        N_("Holders with IPv6"),
        N_("Share of resource holders (opaque ids of extended files) in the country that hold IPv6 space."),
        "share",
        "share",
        RIR,
    ),
    _infrastructure(
        "eyeball_share_at_domestic_ixp",
        N_("Users in networks at a domestic IXP"),
        N_(
            "Share of the country's Internet users (APNIC estimates) served by networks present at an IXP in "
            "the country."
        ),
        "share",
        "share",
        "apnic_eyeballs",
        *MEMBER_SOURCES,
    ),
    _infrastructure(
        "facility_count",
        N_("Colocation facilities"),
        N_("Colocation facilities located in the country."),
        "count",
        "sum",
        "caida_facilities",
    ),
)
BY_CODE: dict[str, Indicator] = {i.code: i for i in CATALOGUE}
# The connectivity indicators (the indicator store's codes) and the infrastructure ones, in catalogue order.
CONNECTIVITY: dict[str, Indicator] = {i.code: i for i in CATALOGUE if i.capability == "indicators"}
INFRASTRUCTURE: dict[str, Indicator] = {i.code: i for i in CATALOGUE if i.capability == "network"}
POPULATION, INTERNET_USE = "SP.POP.TOTL", "IT.NET.USER.ZS"


def indicator(code: str) -> Indicator:
    """The connectivity indicator with this code (case-insensitive); :class:`KeyError` with the known
    codes otherwise."""
    found = CONNECTIVITY.get(code.strip().upper()) or CONNECTIVITY.get(code.strip())
    if found is None:
        raise KeyError(f"unknown indicator {code!r} (known: {', '.join(CONNECTIVITY)})")
    return found


def fed_by(name: str) -> list[Indicator]:
    """The indicators of the catalogue that the source ``name`` (a registry ``NAME``) feeds."""
    return [i for i in CATALOGUE if name in i.sources]
