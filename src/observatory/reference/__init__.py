"""Curated reference data shipped with the package: countries, ITU regions, UN country groups
(LDC, LLDC, SIDS) with dated membership, ISO 4217 currencies, USD exchange rates and the P2C
taxonomy.

Each file under ``data/`` is a CSV whose leading ``#`` lines state its sources, its date and every
judgement made while curating it. The files are facts, not copies of the datasets they were
checked against.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

ITU_REGIONS: dict[str, tuple[str, str]] = {
    "africa": ("Africa", "Afrique"),
    "americas": ("Americas", "Amériques"),
    "arab_states": ("Arab States", "États arabes"),
    "asia_pacific": ("Asia & Pacific", "Asie-Pacifique"),
    "cis": ("CIS", "CEI"),
    "europe": ("Europe", "Europe"),
}

COUNTRY_GROUPS: dict[str, tuple[str, str]] = {
    "LDC": ("Least developed countries", "Pays les moins avancés"),
    "LLDC": ("Landlocked developing countries", "Pays en développement sans littoral"),
    "SIDS": ("Small island developing States", "Petits États insulaires en développement"),
}


@dataclass(frozen=True, slots=True)
class Country:
    """A country or territory of ISO 3166-1: its codes, UN M49 number, English and French names, the ITU
    region ITU's statistics count it in (State of Palestine, Hong Kong and Macao included), and whether it
    is an ITU Member State."""

    alpha2: str
    alpha3: str
    m49: str
    name_en: str
    name_fr: str
    itu_region: str | None
    itu_member_state: bool = False


@dataclass(frozen=True, slots=True)
class Membership:
    """A country's membership of a UN group over ``[since, until)``; open ends are ``None``."""

    group: str
    alpha3: str
    since: dt.date | None
    until: dt.date | None
    note: str

    def covers(self, day: dt.date) -> bool:
        return (self.since is None or self.since <= day) and (self.until is None or day < self.until)


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency and the number of digits of its minor unit."""

    code: str
    name: str
    minor_unit: str


@dataclass(frozen=True, slots=True)
class Pillar:
    """A pillar of the P2C action plan, under one of the four focus areas."""

    focus_area: str
    code: str
    name_en: str
    name_fr: str


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    """An annual average rate: USD for one unit of the currency in the year, with its source."""

    currency: str
    year: int
    usd_per_unit: float
    source: str


def _rows(name: str) -> Iterator[dict[str, str]]:
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    for row in csv.DictReader(lines):
        yield {k: (v or "").strip() for k, v in row.items()}


def _date(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@cache
def countries() -> dict[str, Country]:
    """All countries and territories, keyed by ISO 3166-1 alpha-3."""
    return {
        r["alpha3"]: Country(
            r["alpha2"],
            r["alpha3"],
            r["m49"],
            r["name_en"],
            r["name_fr"],
            r["itu_region"] or None,
            r["itu_member_state"] == "yes",
        )
        for r in _rows("countries.csv")
    }


RIR_NAMES = {"afrinic": "AFRINIC", "apnic": "APNIC", "arin": "ARIN", "lacnic": "LACNIC", "ripencc": "RIPE NCC"}
"""The five Regional Internet Registries, by the code their statistics files use, as they write their names."""


@cache
def rir_regions() -> dict[str, str]:
    """The registry (a key of :data:`RIR_NAMES`) whose service region holds each country (alpha-3)."""
    return {r["alpha3"]: r["rir"] for r in _rows("rir_regions.csv")}


@cache
def alpha2_index() -> dict[str, str]:
    """ISO alpha-2 code → alpha-3 code, for every country."""
    return {c.alpha2: c.alpha3 for c in countries().values()}


def country_code(value: str) -> str | None:
    """Normalise an ISO alpha-2 or alpha-3 code to alpha-3; ``None`` when unknown."""
    code = value.strip().upper()
    if code in countries():
        return code
    return alpha2_index().get(code)


def group_code(value: str) -> str | None:
    """A country group (``LDC``, ``LLDC``, ``SIDS``) or ITU region (``africa`` …) as the registry writes it;
    ``None`` when it is neither."""
    if value.strip().upper() in COUNTRY_GROUPS:
        return value.strip().upper()
    if value.strip().lower() in ITU_REGIONS:
        return value.strip().lower()
    return None


@cache
def memberships() -> tuple[Membership, ...]:
    """Every dated membership of a country in a UN group (LDC, LLDC, SIDS)."""
    return tuple(
        Membership(r["group"], r["alpha3"], _date(r["since"]), _date(r["until"]), r["note"])
        for r in _rows("groups.csv")
    )


@cache
def _membership_index() -> dict[tuple[str, str], tuple[Membership, ...]]:
    index: dict[tuple[str, str], list[Membership]] = {}
    for m in memberships():
        index.setdefault((m.group, m.alpha3), []).append(m)
    return {k: tuple(v) for k, v in index.items()}


def in_group(group: str, alpha3: str, day: dt.date) -> bool:
    """Whether a country belonged to a UN group (LDC, LLDC, SIDS) on a given day."""
    return any(m.covers(day) for m in _membership_index().get((group, alpha3), ()))


def group_members(group: str, day: dt.date) -> list[str]:
    """The alpha-3 codes of the members of a UN group on ``day``."""
    return sorted({m.alpha3 for m in memberships() if m.group == group and m.covers(day)})


@cache
def currencies() -> dict[str, Currency]:
    """The ISO 4217 currencies by code."""
    return {r["code"]: Currency(r["code"], r["name"], r["minor_unit"]) for r in _rows("currencies.csv")}


@cache
def exchange_rates() -> tuple[ExchangeRate, ...]:
    """The curated annual USD exchange rates used to convert pledges."""
    return tuple(
        ExchangeRate(r["currency"], int(r["year"]), float(r["usd_per_unit"]), r["source"])
        for r in _rows("exchange_rates.csv")
    )


@cache
def focus_areas() -> dict[str, tuple[str, str]]:
    """Focus area code → (English name, French name), in the framework's order."""
    return {r["focus_area"]: (r["name_en"], r["name_fr"]) for r in _rows("taxonomy.csv") if not r["pillar"]}


@cache
def pillars() -> dict[str, Pillar]:
    """Pillar code → pillar; pillar codes are unique across focus areas."""
    return {
        r["pillar"]: Pillar(r["focus_area"], r["pillar"], r["name_en"], r["name_fr"])
        for r in _rows("taxonomy.csv")
        if r["pillar"]
    }


# The one rule for area codes (countries and groups), defined on the data above.
from observatory.reference.areas import Area, UnknownArea, resolve_area  # noqa: E402

__all__ = ["Area", "UnknownArea", "resolve_area"]
