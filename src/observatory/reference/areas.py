"""Areas: the one rule that turns a code a person typed into a country or a group of countries.

Every capability and every URL resolves area codes here (:func:`resolve_area`), so ``ke``, ``KEN``
and ``KE`` are Kenya everywhere, ``ldc`` is the LDCs, ``Africa`` the ITU region. The kinds:

- ``country``: ISO 3166-1, alpha-3 or alpha-2, any case (canonical: alpha-3);
- ``un_group``: the UN's LDC, LLDC and SIDS, with dated membership;
- ``itu_region``: ITU's six regions (``africa`` … ``europe``);
- ``income_group``: the World Bank's income groups (``LIC``, ``LMC``, ``UMC``, ``HIC``), membership as the
  loaded World Bank metadata says;
- ``world``: ``WORLD``;
- ``published``: an aggregate as a source published it, under the source's prefix (``WB:WLD``,
  ``UN:LDC``), kept apart from the aggregates the observatory computes;
- ``registry``: what a regional Internet registry writes instead of a country (``ZZ`` unknown, ``EU``
  and ``AP`` regions), for the infrastructure figures that keep them.

A bare World Bank aggregate code (``WLD``) is refused with the code to use instead: it is not a country.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from observatory.errors import NotFound
from observatory.reference import COUNTRY_GROUPS, ITU_REGIONS, countries, country_code, group_members

AreaKind = Literal["country", "un_group", "itu_region", "income_group", "world", "published", "registry"]

WORLD = "WORLD"
INCOME_GROUPS: dict[str, str] = {
    "LIC": "Low income",
    "LMC": "Lower middle income",
    "UMC": "Upper middle income",
    "HIC": "High income",
}
# The aggregates the observatory computes, in the order pages list them.
AGGREGATES: tuple[str, ...] = (WORLD, *COUNTRY_GROUPS, *ITU_REGIONS, *INCOME_GROUPS)
# What the RIRs write where a resource has no single country.
REGISTRY_CODES: dict[str, str] = {"ZZ": "unknown or reserved", "EU": "European Union", "AP": "Asia-Pacific"}
# World Bank aggregate codes (WDI, 2024): regions, income and lending groups, demographic and other
# groupings. They are aggregates, never countries; they load as published aggregates ``WB:<code>``.
_WB_AGGREGATE_CODES = (
    "AFE AFW ARB CEB CSS EAP EAR EAS ECA ECS EMU EUU FCS HIC HPC IBD IBT IDA IDB IDX INX LAC LCN LDC LIC LMC LMY "
    "LTE MEA MIC MNA NAC OED OSS PRE PSS PST SAS SSA SSF SST TEA TEC TLA TMN TSA TSS UMC WLD"
)
WB_AGGREGATES = frozenset(_WB_AGGREGATE_CODES.split(" "))
# World Bank economies without an ISO 3166-1 code (Channel Islands, Kosovo): skipped and counted, since the
# observatory's areas are ISO countries.
WB_NON_ISO_ECONOMIES = frozenset({"CHI", "XKX"})
# Our aggregate -> the World Bank's published equivalent, for comparisons.
WB_EQUIVALENT = {WORLD: "WB:WLD", "LDC": "WB:LDC", **{g: f"WB:{g}" for g in INCOME_GROUPS}}
PUBLISHERS = ("WB", "UN")


class UnknownArea(NotFound):
    """A code that names no area the observatory knows."""


@dataclass(frozen=True, slots=True)
class Area:
    """A country or a group of countries, by its canonical code."""

    code: str
    kind: AreaKind

    @property
    def is_country(self) -> bool:
        return self.kind == "country"

    @property
    def is_group(self) -> bool:
        """A group whose members the reference data know on any day (UN groups, ITU regions, the world)."""
        return self.kind in ("un_group", "itu_region", "world")

    def members(self, day: dt.date, *, member_states_only: bool = False) -> list[str]:
        """The ISO alpha-3 codes of its countries on ``day`` (income groups: see the indicator capability).
        An ITU region counts what ITU's statistics count in it (the State of Palestine in the Arab States,
        Hong Kong and Macao in Asia & Pacific) unless ``member_states_only``."""
        if self.kind == "country":
            return [self.code]
        if self.kind == "un_group":
            return group_members(self.code, day)
        if self.kind == "itu_region":
            return sorted(
                c.alpha3
                for c in countries().values()
                if c.itu_region == self.code and (c.itu_member_state or not member_states_only)
            )
        if self.kind == "world":
            return sorted(countries())
        return []


def resolve_area(value: str) -> Area:
    """The area ``value`` names (see the module's text for the kinds); :class:`UnknownArea` when none."""
    raw = value.strip()
    upper = raw.upper()
    if upper == WORLD:
        return Area(WORLD, "world")
    if upper in COUNTRY_GROUPS:
        return Area(upper, "un_group")
    if raw.lower() in ITU_REGIONS:
        return Area(raw.lower(), "itu_region")
    if upper in INCOME_GROUPS:
        return Area(upper, "income_group")
    prefix, _, code = raw.partition(":")
    if code and prefix.upper() in PUBLISHERS:
        return Area(f"{prefix.upper()}:{code.upper()}", "published")
    alpha3 = country_code(raw)
    if alpha3 is not None:
        return Area(alpha3, "country")
    if upper in REGISTRY_CODES:
        return Area(upper, "registry")
    if upper in WB_AGGREGATES:
        ours = next((k for k, v in WB_EQUIVALENT.items() if v == f"WB:{upper}"), None)
        hint = f"; the observatory's own aggregate is {ours}" if ours else ""
        raise UnknownArea(f"{raw!r} is a World Bank aggregate, not a country: use WB:{upper}{hint}")
    raise UnknownArea(f"unknown area {raw!r}: not an ISO 3166-1 country code nor a group ({', '.join(AGGREGATES)})")
