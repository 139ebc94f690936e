"""Tests of the curated reference data: internal consistency, and cross-checks against the shared datasets.

The cross-checks do not require agreement: every difference must be named in the data file's ``#`` header
(where the curator explains it), and the differences are pinned as explicit sets so that a change in either
the curated data or the shared files shows up here.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from importlib import resources
from itertools import pairwise

import pytest

from observatory.reference import (
    COUNTRY_GROUPS,
    ITU_REGIONS,
    countries,
    country_code,
    currencies,
    exchange_rates,
    focus_areas,
    group_members,
    in_group,
    memberships,
    pillars,
)
from tests.conftest import shared_data

DATA_FILES = ("countries.csv", "currencies.csv", "exchange_rates.csv", "groups.csv", "taxonomy.csv")
GROUPS = ("LDC", "LLDC", "SIDS")
CURATION_DAY = dt.date(2026, 11, 22)

M49_FILE = "indicators/un_m49_datasets-country-codes/UNSD-m49-overview-en.csv"
M49_DAY = dt.date(2024, 9, 25)
M49_COLUMNS = {
    "LDC": "Least Developed Countries (LDC)",
    "LLDC": "Land Locked Developing Countries (LLDC)",
    "SIDS": "Small Island Developing States (SIDS)",
}

ITU_FILE = "indicators/itu_price_baskets_via_noah-taehwan/itu_affordability_latest.csv"
ITU_DAY = dt.date(2025, 12, 2)
ITU_REGION_NAMES: dict[str, str | None] = {
    "Africa": "africa",
    "The Americas": "americas",
    "Arab States": "arab_states",
    "Asia & Pacific": "asia_pacific",
    "CIS countries": "cis",
    "Europe countries": "europe",
    "Other Economies": None,
}

# Differences pinned as of the curation (2026-11-22): (in the shared file only, in ours only).
M49_EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    "LDC": (set(), set()),
    "LLDC": (set(), set()),
    "SIDS": ({"BES"}, {"BMU", "CYM", "GLP", "MTQ", "TCA"}),
}
ITU_EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    "LDC": (set(), set()),
    "LLDC": (set(), set()),
    "SIDS": (set(), {"GLP", "MSR", "MTQ"}),
}
ITU_REGION_EXPECTED: dict[str, tuple[str | None, str | None]] = {
    # alpha-3: (ITU file's region, ours)
    "PRK": (None, "asia_pacific"),
    "VAT": (None, "europe"),
}


# --- helpers ---------------------------------------------------------------------------------------------


def _text(name: str) -> str:
    return resources.files("observatory.reference").joinpath("data", name).read_text(encoding="utf-8")


def _header(name: str) -> str:
    """The leading ``#`` comment block of a data file, without the ``#`` marks."""
    lines: list[str] = []
    for line in _text(name).splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:])
    return "\n".join(lines)


def _named(code: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(code)}\b", text) is not None


def _shared_rows(relative: str) -> list[dict[str, str]]:
    with shared_data(relative).open(encoding="utf-8-sig", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _differences(theirs: set[str], ours: set[str]) -> tuple[set[str], set[str]]:
    return theirs - ours, ours - theirs


# --- countries -------------------------------------------------------------------------------------------


def test_249_countries_with_unique_codes() -> None:
    table = countries()
    assert len(table) == 249
    for attribute, pattern in (("alpha2", r"[A-Z]{2}"), ("alpha3", r"[A-Z]{3}"), ("m49", r"\d{3}")):
        values = [getattr(c, attribute) for c in table.values()]
        assert len(set(values)) == 249, attribute
        assert all(re.fullmatch(pattern, v) for v in values), attribute
    assert all(key == c.alpha3 for key, c in table.items())
    assert all(c.name_en for c in table.values())


def test_country_code_normalisation() -> None:
    assert country_code("mw") == "MWI"
    assert country_code("MWI") == "MWI"
    assert country_code(" mwi ") == "MWI"
    assert country_code("XX") is None
    assert country_code("XKX") is None  # Kosovo: user-assigned code, not listed


def test_itu_regions() -> None:
    regions = Counter(c.itu_region for c in countries().values())
    assert set(regions) - {None} == {"africa", "americas", "arab_states", "asia_pacific", "cis", "europe"}
    assert set(ITU_REGIONS) == set(regions) - {None}
    assert regions == {
        "africa": 44,
        "americas": 35,
        "arab_states": 22,
        "asia_pacific": 41,
        "cis": 9,
        "europe": 46,
        None: 52,
    }
    members = Counter(c.itu_region for c in countries().values() if c.itu_member_state)
    assert sum(members.values()) == 194
    assert None not in members
    assert regions - members == Counter({"arab_states": 1, "asia_pacific": 2, None: 52})
    # The header states the counts and lists the entries without a region; both must match the rows.
    header = _header("countries.csv")
    for region, n in regions.items():
        if region is not None:
            assert re.search(rf"\b{region} {n}\b", header), region
    listed = re.search(r"Entries with empty itu_region \((\d+)\):\n((?:\s+[A-Z ]+\n?)+)", header)
    assert listed is not None
    assert int(listed.group(1)) == regions[None]
    assert set(listed.group(2).split()) == {a for a, c in countries().items() if c.itu_region is None}


def test_itu_statistics_place_palestine_hong_kong_and_macao_in_regions_as_non_members() -> None:
    table = countries()
    assert (table["PSE"].itu_region, table["PSE"].itu_member_state) == ("arab_states", False)
    assert (table["HKG"].itu_region, table["HKG"].itu_member_state) == ("asia_pacific", False)
    assert (table["MAC"].itu_region, table["MAC"].itu_member_state) == ("asia_pacific", False)
    assert table["CHN"].itu_member_state and table["VAT"].itu_member_state


def test_itu_region_spot_checks() -> None:
    table = countries()
    assert {a for a, c in table.items() if c.itu_region == "cis"} == {
        "ARM",
        "AZE",
        "BLR",
        "KAZ",
        "KGZ",
        "RUS",
        "TJK",
        "TKM",
        "UZB",
    }
    assert table["EGY"].itu_region == "arab_states"
    assert table["UKR"].itu_region == "europe"
    assert table["ISR"].itu_region == "europe"
    assert table["IRN"].itu_region == "asia_pacific"
    assert table["TWN"].itu_region is None


def test_french_names() -> None:
    table = countries()
    assert all(c.name_fr.strip() for c in table.values())
    assert table["DEU"].name_fr == "Allemagne"
    assert table["CIV"].name_fr == "Côte d'Ivoire"
    assert table["FRA"].name_fr == "France"
    assert table["NLD"].name_fr == "Pays-Bas (Royaume des)"
    assert table["BOL"].name_fr == "Bolivie (État plurinational de)"
    assert table["CIV"].name_en == "Côte d'Ivoire"
    # No UNTERM article in parentheses, and apostrophes normalised to ASCII.
    assert not any(re.search(r"\((l'|la|le|les)\)", c.name_fr) for c in table.values())
    assert not any("\u2019" in c.name_fr or "\u2019" in c.name_en for c in table.values())


# --- groups ----------------------------------------------------------------------------------------------


def test_memberships_are_well_formed() -> None:
    table = countries()
    rows = memberships()
    assert rows
    assert {m.group for m in rows} == set(GROUPS) == set(COUNTRY_GROUPS)
    for m in rows:
        assert m.alpha3 in table, m
        if m.since is not None and m.until is not None:
            assert m.since < m.until, m
    by_key: dict[tuple[str, str], list[tuple[dt.date, dt.date]]] = {}
    for m in rows:
        since = m.since or dt.date.min
        until = m.until or dt.date.max
        by_key.setdefault((m.group, m.alpha3), []).append((since, until))
    for key, intervals in by_key.items():
        intervals.sort()
        for (_, previous_until), (next_since, _) in pairwise(intervals):
            assert previous_until <= next_since, key


def test_ldc_counts_and_graduations() -> None:
    assert len(group_members("LDC", CURATION_DAY)) == 44
    assert len(group_members("LDC", dt.date(2024, 9, 1))) == 45
    assert in_group("LDC", "STP", dt.date(2024, 12, 12))
    assert not in_group("LDC", "STP", dt.date(2024, 12, 13))
    assert in_group("LDC", "BTN", dt.date(2023, 12, 12))
    assert not in_group("LDC", "BTN", dt.date(2023, 12, 13))
    # Scheduled graduations are not effective at the curation date.
    for alpha3 in ("BGD", "LAO", "NPL", "SLB"):
        assert in_group("LDC", alpha3, CURATION_DAY), alpha3
    # South Sudan joined on 2012-12-18.
    assert not in_group("LDC", "SSD", dt.date(2012, 12, 17))
    assert in_group("LDC", "SSD", dt.date(2012, 12, 18))


def test_lldc_and_sids_counts() -> None:
    counts = {group: len(group_members(group, CURATION_DAY)) for group in GROUPS}
    assert counts == {"LDC": 44, "LLDC": 32, "SIDS": 57}
    stated = re.search(r"CURRENT MEMBERS ON 2026-11-22: LDC (\d+), LLDC (\d+), SIDS (\d+)", _header("groups.csv"))
    assert stated is not None
    assert counts == {"LDC": int(stated.group(1)), "LLDC": int(stated.group(2)), "SIDS": int(stated.group(3))}


# --- cross-check: UNSD M49 (Sep 2024) --------------------------------------------------------------------


def test_m49_codes_match() -> None:
    table = countries()
    rows = [r for r in _shared_rows(M49_FILE) if r["ISO-alpha3 Code"] in table]
    assert len(rows) > 240
    mismatches = {r["ISO-alpha3 Code"]: (r["M49 Code"], table[r["ISO-alpha3 Code"]].m49) for r in rows}
    assert {a: pair for a, pair in mismatches.items() if pair[0] != pair[1]} == {}


@pytest.mark.parametrize("group", GROUPS)
def test_m49_group_flags(group: str) -> None:
    rows = _shared_rows(M49_FILE)
    column = M49_COLUMNS[group]
    assert {r[column] for r in rows} <= {"", "x"}
    theirs = {r["ISO-alpha3 Code"] for r in rows if r[column] == "x"}
    differences = _differences(theirs, set(group_members(group, M49_DAY)))
    header = _header("groups.csv")
    for alpha3 in differences[0] | differences[1]:
        assert _named(alpha3, header), f"{group} {alpha3} differs from M49 but is not explained in groups.csv"
    assert differences == M49_EXPECTED[group]


# --- cross-check: ITU ICT Price Baskets (Dec 2025) ------------------------------------------------------


@pytest.mark.parametrize("group", GROUPS)
def test_itu_group_flags(group: str) -> None:
    rows = _shared_rows(ITU_FILE)
    assert {r[group] for r in rows} <= {"0", "1"}
    theirs = {r["iso3"] for r in rows if r[group] == "1"}
    differences = _differences(theirs, set(group_members(group, ITU_DAY)))
    header = _header("groups.csv")
    for alpha3 in differences[0] | differences[1]:
        assert _named(alpha3, header), f"{group} {alpha3} differs from ITU but is not explained in groups.csv"
    assert differences == ITU_EXPECTED[group]


def test_itu_regions_against_itu_file() -> None:
    table = countries()
    rows = _shared_rows(ITU_FILE)
    assert {r["itu_region"] for r in rows} <= set(ITU_REGION_NAMES)
    assert all(r["iso3"] in table for r in rows)
    theirs = {r["iso3"]: ITU_REGION_NAMES[r["itu_region"]] for r in rows}
    differences = {
        alpha3: (theirs.get(alpha3), c.itu_region) for alpha3, c in table.items() if theirs.get(alpha3) != c.itu_region
    }
    header = _header("countries.csv") + "\n" + _header("groups.csv")
    for alpha3 in differences:
        assert _named(alpha3, header), f"{alpha3} region differs from ITU but is not explained"
    assert differences == ITU_REGION_EXPECTED


# --- currencies and exchange rates -----------------------------------------------------------------------


def test_currencies() -> None:
    table = currencies()
    assert {"USD", "EUR", "XOF", "XDR"} <= set(table)
    assert not {"HRK", "BGN", "SLL", "ANG", "ZWL"} & set(table)
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in table)
    assert all(key == c.code and c.name for key, c in table.items())
    assert all(c.minor_unit == "N.A." or c.minor_unit.isdigit() for c in table.values())
    assert table["XDR"].minor_unit == "N.A."
    stated = re.search(r"SCOPE \((\d+) codes\)", _header("currencies.csv"))
    assert stated is not None
    assert len(table) == int(stated.group(1))


def test_exchange_rates() -> None:
    rates = exchange_rates()
    assert rates
    known = set(currencies())
    assert {r.currency for r in rates} <= known
    assert "USD" not in {r.currency for r in rates}
    keys = [(r.currency, r.year) for r in rates]
    assert len(keys) == len(set(keys))
    assert all(r.usd_per_unit > 0 and r.source for r in rates)
    assert all(2015 <= r.year <= 2025 for r in rates)
    by_key = {(r.currency, r.year): r.usd_per_unit for r in rates}
    assert 1.04 <= by_key["EUR", 2022] <= 1.07
    assert by_key["SAR", 2020] == pytest.approx(1 / 3.75, rel=1e-5)
    assert by_key["AED", 2025] == pytest.approx(1 / 3.6725, rel=1e-5)
    # 2025 is deliberately omitted for floating currencies.
    assert {r.currency for r in rates if r.year == 2025} == {"AED", "SAR"}
    stated = re.search(r"ROWS: (\d+)", _header("exchange_rates.csv"))
    assert stated is not None
    assert len(rates) == int(stated.group(1))


# --- taxonomy --------------------------------------------------------------------------------------------


def test_focus_areas_in_order() -> None:
    areas = focus_areas()
    assert list(areas) == ["access", "adoption", "value_creation", "acceleration"]
    assert all(en.strip() and fr.strip() for en, fr in areas.values())
    covered = {p.focus_area for p in pillars().values()}
    assert covered == set(areas)


def test_fixed_pillars() -> None:
    expected = {
        "infrastructure": "access",
        "affordability": "access",
        "cybersecurity": "access",
        "digital_skills": "adoption",
        "digital_inclusion": "adoption",
        "relevant_content": "adoption",
        "innovation_entrepreneurship": "value_creation",
        "innovative_financing": "acceleration",
        "project_viability": "acceleration",
        "investor_coordination": "acceleration",
    }
    table = pillars()
    assert {code: table[code].focus_area for code in expected if code in table} == expected
    for code, pillar in table.items():
        assert pillar.code == code
        assert re.fullmatch(r"[a-z][a-z_]*", code), code
        assert pillar.name_en.strip() and pillar.name_fr.strip(), code
    # Pillar codes are unique across focus areas and never reuse a focus-area code.
    lines = [line for line in _text("taxonomy.csv").splitlines() if line and not line.startswith("#")]
    named = [row["pillar"] for row in csv.DictReader(lines) if row["pillar"]]
    assert len(named) == len(set(named)) == len(table)
    assert not set(table) & set(focus_areas())


# --- file headers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATA_FILES)
def test_data_file_header(name: str) -> None:
    text = _text(name)
    assert text.startswith("# "), name
    header = _header(name)
    assert len(header.splitlines()) >= 5, name
    assert re.search(r"\bsources?\b", header, re.IGNORECASE), name
    assert re.search(r"https?://", header), name
    assert re.search(r"\b20\d\d-\d\d-\d\d\b", header), name
    assert "data as of 2026-11-22" in header, name
    # Comment lines only at the top: the loader would skip later ones silently.
    body = text.splitlines()[len(header.splitlines()) :]
    assert not any(line.startswith("#") for line in body), name
