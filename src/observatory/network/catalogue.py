"""The indicator catalogue: stable codes, names, definitions, units and sources (docs/network.md says the same)."""

from __future__ import annotations

from dataclasses import dataclass

from observatory.i18n import N_


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    definition: str
    unit: str  # count | share | addresses | addresses_per_person
    aggregate: str  # sum | share (Σ numerators / Σ denominators)
    sources: str


CATALOGUE = (
    Indicator(
        "ixp_count",
        N_("IXPs"),
        N_("Internet exchange points located in the country."),
        "count",
        "sum",
        "CAIDA IXP dataset; PeeringDB; PCH",
    ),
    Indicator(
        "ixp_active_count",
        N_("Active IXPs"),
        N_("IXPs in the country with at least 3 member networks, where the source lists members."),
        "count",
        "sum",
        "PeeringDB; PCH",
    ),
    Indicator(
        "ixp_members",
        N_("IXP member networks"),
        N_("Distinct networks (AS numbers) connected to at least one IXP in the country."),
        "count",
        "sum",
        "PeeringDB; PCH",
    ),
    Indicator(
        "ixp_national_member_share",
        N_("National share of IXP members"),
        N_(
            "Share of the member networks at the country's IXPs that are registered in the country (RIR "
            "delegation, else the member's organisation country), among members whose country is known."
        ),
        "share",
        "share",
        "PeeringDB or PCH + RIR statistics",
    ),
    Indicator(
        "asn_count",
        N_("AS numbers delegated"),
        N_("AS numbers delegated to holders in the country (allocated or assigned), every number of a range counted."),
        "count",
        "sum",
        "RIR statistics (five registries)",
    ),
    Indicator(
        "asn_at_domestic_ixp_share",
        N_("Networks at a domestic IXP"),
        N_("Share of the country's delegated AS numbers present at an IXP in the country."),
        "share",
        "share",
        "RIR statistics + PeeringDB or PCH",
    ),
    Indicator(
        "ipv4_addresses",
        N_("IPv4 addresses delegated"),
        N_("IPv4 addresses in allocated or assigned delegations to the country."),
        "addresses",
        "sum",
        "RIR statistics",
    ),
    Indicator(
        "ipv4_per_capita",
        N_("IPv4 addresses per person"),
        N_("IPv4 addresses delegated divided by the population (World Bank, latest year on or before)."),
        "addresses_per_person",
        "share",
        "RIR statistics + World Bank population",
    ),
    Indicator(
        "ipv6_prefixes",
        N_("IPv6 delegations"),
        N_("IPv6 delegation records (allocated or assigned)."),
        "count",
        "sum",
        "RIR statistics",
    ),
    Indicator(
        "ipv6_holder_share",
        N_("Holders with IPv6"),
        N_("Share of resource holders (opaque ids of extended files) in the country that hold IPv6 space."),
        "share",
        "share",
        "RIR extended statistics",
    ),
    Indicator(
        "eyeball_share_at_domestic_ixp",
        N_("Users in networks at a domestic IXP"),
        N_(
            "Share of the country's Internet users (APNIC estimates) served by networks present at an IXP in "
            "the country."
        ),
        "share",
        "share",
        "APNIC AS population + PeeringDB or PCH",
    ),
    Indicator(
        "facility_count",
        N_("Colocation facilities"),
        N_("Colocation facilities located in the country."),
        "count",
        "sum",
        "CAIDA facilities dataset",
    ),
)
BY_CODE = {i.code: i for i in CATALOGUE}
