"""What the indicator store knows: indicator codes with their units, and the codes of areas.

Areas are countries (ISO 3166-1 alpha-3), the aggregates the observatory computes (``WORLD``, ``LDC``,
``LLDC``, ``SIDS``, the ITU regions ``africa`` … ``europe``, the World Bank income groups ``LIC``, ``LMC``,
``UMC``, ``HIC``), and aggregates as a source published them, kept apart under the source's prefix
(``WB:WLD`` is the World Bank's World, ``UN:LDC`` the UN SDG database's LDCs): the system never mixes a
published aggregate with one it computed.
"""

from __future__ import annotations

from dataclasses import dataclass

from observatory import reference


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    name: str
    unit: str
    # "higher" when more is better (Internet use), "lower" when less is (prices); None when neither.
    better: str | None = "higher"


INDICATORS: dict[str, Indicator] = {
    i.code: i
    for i in (
        Indicator("SP.POP.TOTL", "Population, total", "people", None),
        Indicator("IT.NET.USER.ZS", "Individuals using the Internet (% of population)", "%"),
        Indicator("IT.NET.BBND.P2", "Fixed broadband subscriptions (per 100 people)", "per 100 people"),
        Indicator("IT.CEL.SETS.P2", "Mobile cellular subscriptions (per 100 people)", "per 100 people"),
        Indicator("IT.MLT.MAIN.P2", "Fixed telephone subscriptions (per 100 people)", "per 100 people"),
        Indicator("IT_MOB_2GNTWK", "Population covered by at least a 2G mobile network (%)", "%"),
        Indicator("IT_MOB_3GNTWK", "Population covered by at least a 3G mobile network (%)", "%"),
        Indicator("IT_MOB_4GNTWK", "Population covered by at least a 4G mobile network (%)", "%"),
        Indicator(
            "MBB_2GB_GNI",
            "Mobile broadband basket, data only 2 GB (% of monthly GNI per capita)",
            "% GNI p.c.",
            "lower",
        ),
        Indicator(
            "MBB_5GB_GNI",
            "Mobile broadband basket, data only 5 GB (% of monthly GNI per capita)",
            "% GNI p.c.",
            "lower",
        ),
        Indicator("FBB_5GB_GNI", "Fixed broadband basket, 5 GB (% of monthly GNI per capita)", "% GNI p.c.", "lower"),
        Indicator("MBB_2GB_USD", "Mobile broadband basket, data only 2 GB (USD per month)", "USD", "lower"),
        Indicator("FBB_5GB_USD", "Fixed broadband basket, 5 GB (USD per month)", "USD", "lower"),
    )
}
POPULATION, INTERNET_USE = "SP.POP.TOTL", "IT.NET.USER.ZS"

INCOME_GROUPS: dict[str, str] = {
    "LIC": "Low income",
    "LMC": "Lower middle income",
    "UMC": "Upper middle income",
    "HIC": "High income",
}
# The aggregates the observatory computes, in the order pages list them.
AGGREGATES: tuple[str, ...] = ("WORLD", *reference.COUNTRY_GROUPS, *reference.ITU_REGIONS, *INCOME_GROUPS)

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
WB_EQUIVALENT = {"WORLD": "WB:WLD", "LDC": "WB:LDC", **{g: f"WB:{g}" for g in INCOME_GROUPS}}


class UnknownArea(ValueError):
    """An area code that is neither an ISO country nor an aggregate the observatory knows."""


def area_code(value: str) -> str:
    """The store's code for an area typed by a person: ISO alpha-3 (alpha-2 accepted), an aggregate
    (``WORLD``, ``LDC``, ``africa``, ``LIC`` …) or a published aggregate (``WB:WLD``).

    A World Bank aggregate code given bare (``WLD``) is refused with the codes to use instead: it is an
    aggregate, not a country."""
    raw = value.strip()
    if raw.upper() in AGGREGATES:
        return raw.upper()
    if raw.lower() in reference.ITU_REGIONS:
        return raw.lower()
    if ":" in raw:
        prefix, code = raw.split(":", 1)
        if prefix.upper() in ("WB", "UN") and code:
            return f"{prefix.upper()}:{code.upper()}"
    iso = reference.country_code(raw)
    if iso is not None:
        return iso
    if raw.upper() in WB_AGGREGATES:
        ours = next((k for k, v in WB_EQUIVALENT.items() if v == f"WB:{raw.upper()}"), None)
        hint = f"; the observatory's own aggregate is {ours}" if ours else ""
        raise UnknownArea(f"{raw!r} is a World Bank aggregate, not a country: use WB:{raw.upper()}{hint}")
    raise UnknownArea(
        f"unknown area {raw!r}: not an ISO 3166-1 country code nor an aggregate ({', '.join(AGGREGATES)})"
    )


def indicator(code: str) -> Indicator:
    """The indicator with this code (case-insensitive); :class:`KeyError` with the known codes otherwise."""
    found = INDICATORS.get(code.strip().upper()) or INDICATORS.get(code.strip())
    if found is None:
        raise KeyError(f"unknown indicator {code!r} (known: {', '.join(INDICATORS)})")
    return found
