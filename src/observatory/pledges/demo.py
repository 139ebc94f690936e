"""Synthetic pledges for demonstrations, tests and benchmarks.

``generate`` writes a pledge CSV in the import format (``csvio.COLUMNS`` plus ``synthetic``) whose
rows look like the P2C registry: a pool of clearly synthetic organisations that pledge repeatedly (a
few large pledgers), the P2C mix of stakeholder and pledge types, target countries skewed toward
LDCs, LLDCs, SIDS and Africa (about three countries per pledge on average), log-normal values in a
few currencies and dates that agree with each other. No real organisation is named.

The output depends only on ``pledges`` and ``seed`` (and on the shipped reference data): there is no
global random state and no wall clock. Rows are written as they are drawn, so memory stays flat.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Generic, TypeVar

from observatory import reference
from observatory.exports import SafeWriter
from observatory.pledges.csvio import COLUMNS, OPTIONAL_COLUMNS, SEP

T = TypeVar("T")

FIRST_DAY = dt.date(2022, 3, 16)
LAST_DAY = dt.date(2026, 10, 31)
STATUS_DAY = dt.date(2026, 11, 22)  # statuses are plausible as of this day
FIRST_YEAR, LAST_YEAR = 2021, 2026

# Stakeholder type → (share of organisations, name prefix).
STAKEHOLDERS: dict[str, tuple[float, str]] = {
    "private_sector": (0.34, "Synthetic Operator"),
    "government": (0.26, "Synthetic Ministry"),
    "civil_society": (0.12, "Synthetic Foundation"),
    "academia": (0.08, "Synthetic University"),
    "international_organisation": (0.08, "Synthetic International Organisation"),
    "financial_institution": (0.07, "Synthetic Development Bank"),
    "un_entity": (0.05, "Synthetic UN Agency"),
}
PLEDGE_TYPES: dict[str, float] = {"financial": 0.45, "programmatic": 0.35, "policy": 0.12, "advocacy": 0.08}
GLOBAL_SHARE = 0.15
# Number of target countries of a non-global pledge (mean ≈ 3.5, so ≈ 3 per pledge overall).
COUNTRY_COUNTS: dict[int, float] = {
    1: 33, 2: 18, 3: 12, 4: 9, 5: 7, 6: 5, 7: 4, 8: 3, 9: 2, 10: 2, 11: 2, 12: 3,
}  # fmt: skip
FOCUS_COUNTS: dict[int, float] = {1: 0.5, 2: 0.35, 3: 0.15}
PILLAR_COUNTS: dict[int, float] = {0: 0.2, 1: 0.35, 2: 0.3, 3: 0.15}
PARTNER_COUNTS: dict[int, float] = {0: 0.5, 1: 0.25, 2: 0.15, 3: 0.1}
SDGS = (1, 4, 5, 8, 9, 10, 17)
BENEFICIARY_GROUPS = (
    "rural_communities", "women_and_girls", "youth", "persons_with_disabilities", "entrepreneurs_smes",
    "students", "indigenous_peoples", "refugees_displaced", "older_persons", "general_population",
    "governments",
)  # fmt: skip
BENEFICIARY_LABELS = {
    "rural_communities": "rural communities", "women_and_girls": "women and girls", "youth": "young people",
    "persons_with_disabilities": "persons with disabilities", "entrepreneurs_smes": "small businesses",
    "students": "students", "indigenous_peoples": "indigenous peoples",
    "refugees_displaced": "refugees and displaced people", "older_persons": "older persons",
    "general_population": "citizens", "governments": "public administrations",
}  # fmt: skip

# Real P2C moments: (event, first day, last day, weight); "" is a pledge made outside any event.
EVENTS: tuple[tuple[str, dt.date, dt.date, float], ...] = (
    ("P2C Digital Coalition launch", dt.date(2022, 3, 16), dt.date(2022, 5, 31), 0.08),
    ("WTDC-22 (Kigali)", dt.date(2022, 6, 6), dt.date(2022, 6, 16), 0.16),
    ("PP-22 (Bucharest)", dt.date(2022, 9, 26), dt.date(2022, 10, 14), 0.05),
    ("MWC 2023 (Barcelona)", dt.date(2023, 2, 27), dt.date(2023, 3, 2), 0.06),
    ("MWC 2024 (Barcelona)", dt.date(2024, 2, 26), dt.date(2024, 2, 29), 0.07),
    ("WSIS Forum 2024", dt.date(2024, 5, 27), dt.date(2024, 5, 31), 0.05),
    ("MWC 2025 (Barcelona)", dt.date(2025, 3, 3), dt.date(2025, 3, 6), 0.07),
    ("WSIS Forum 2025", dt.date(2025, 7, 7), dt.date(2025, 7, 11), 0.06),
    ("P2C web dialogue series", FIRST_DAY, LAST_DAY, 0.12),
    ("", FIRST_DAY, LAST_DAY, 0.28),
)

# Currency → weight; a few currencies with no loaded exchange rate are drawn too.
CURRENCIES: dict[str, float] = {"USD": 0.75, "EUR": 0.08, "GBP": 0.03, "JPY": 0.03, "CHF": 0.02, "CNY": 0.02}
UNRATED_SHARE = 0.07
UNRATED_CANDIDATES = ("XOF", "KES", "XAF", "NGN", "TZS", "UGX", "RWF", "GHS", "BDT", "ZMW", "ETB")
# Approximate USD per unit, used only when the reference data has no rate for the currency.
APPROX_USD_PER_UNIT: dict[str, float] = {
    "EUR": 1.08, "GBP": 1.26, "JPY": 0.0071, "CHF": 1.12, "CNY": 0.14, "XOF": 0.0016, "XAF": 0.0016,
    "KES": 0.0075, "NGN": 0.00085, "TZS": 0.0004, "UGX": 0.00027, "RWF": 0.00078, "GHS": 0.08,
    "BDT": 0.0088, "ZMW": 0.042, "ETB": 0.0140,
}  # fmt: skip
VALUE_MIN, VALUE_MAX = 50_000.0, 8_000_000_000.0
HQ_ABROAD = ("CHE", "USA", "FRA", "GBR", "BEL", "DEU", "JPN", "ITA", "KEN", "ETH", "CIV", "PHL")

# Title templates by focus area keyword: ``{where}`` is the target, ``{who}`` a beneficiary group.
TITLES: dict[str, tuple[str, ...]] = {
    "access": (
        "Extend 4G coverage to rural districts {where}",
        "Connect schools and health centres to broadband {where}",
        "Deploy community networks {where}",
        "Build fibre backbone networks {where}",
        "Bring satellite connectivity to remote villages {where}",
        "Roll out public Wi-Fi hotspots {where}",
        "Upgrade international bandwidth and IXPs {where}",
    ),
    "adoption": (
        "Digital skills training for {who} {where}",
        "Affordable smartphones for {who} {where}",
        "Lower the cost of mobile data for {who} {where}",
        "Digital literacy campaign for {who} {where}",
    ),
    "value": (
        "Local digital content and e-services {where}",
        "Support for digital start-ups {where}",
        "Mobile money and e-commerce for {who} {where}",
        "Digital public services for {who} {where}",
    ),
    "acceleration": (
        "Broadband policy and regulatory reform {where}",
        "Digital infrastructure investment fund {where}",
        "National broadband plan {where}",
        "Spectrum and licensing reform {where}",
    ),
    "": (
        "Meaningful connectivity programme {where}",
        "Digital inclusion initiative for {who} {where}",
        "Closing the digital divide for {who} {where}",
    ),
}
TITLE_PREFIX = {"financial": "", "programmatic": "", "policy": "Policy: ", "advocacy": "Advocacy: "}
KIND_PHRASE = {
    "financial": "A financial commitment",
    "programmatic": "A programme",
    "policy": "A policy commitment",
    "advocacy": "An advocacy commitment",
}


@dataclass(frozen=True, slots=True)
class _Org:
    name: str
    kind: str
    country: str
    recipient: bool  # headquartered in an LDC, LLDC, SIDS or African country


class _Weighted(Generic[T]):
    """A population with cumulative weights, for fast repeated draws (faster than ``rng.choices``)."""

    __slots__ = ("cum", "items", "last", "total")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]
        self.last = len(self.items) - 1

    def draw(self, rng: random.Random) -> T:
        return self.items[bisect.bisect(self.cum, rng.random() * self.total, 0, self.last)]

    def sample(self, rng: random.Random, k: int) -> list[T]:
        """``k`` distinct items (``k`` at most the population size)."""
        out: dict[T, None] = {}
        while len(out) < k:
            out[self.draw(rng)] = None
        return list(out)


def _keyed(weights: dict[int, float]) -> _Weighted[int]:
    return _Weighted(list(weights), list(weights.values()))


def _template_key(code: str) -> str:
    for key in ("access", "adoption", "value", "acceleration"):
        if key in code.lower():
            return key
    return ""


def _nice(amount: float) -> int:
    """Round to two significant figures, as pledged amounts usually are."""
    digits = max(0, int(math.log10(amount)) - 1)
    return int(round(amount / 10**digits) * 10**digits)


class _Generator:
    def __init__(self, pledges: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.count = 0
        self.pledges = pledges
        countries = reference.countries()
        self.names = {c.alpha3: c.name_en for c in countries.values()}
        self.regions = {c.alpha3: c.itu_region for c in countries.values()}
        self.targetable = sorted(c.alpha3 for c in countries.values() if c.itu_member_state)
        self._country_weights()
        self._taxonomy()
        self._money()
        self._organisations(max(50, pledges // 40))
        self.types = _Weighted(list(PLEDGE_TYPES), list(PLEDGE_TYPES.values()))
        self.events = _Weighted([e[:3] for e in EVENTS], [e[3] for e in EVENTS])
        self._subsets()
        self.country_counts = _keyed(COUNTRY_COUNTS)
        self.focus_counts = _keyed(FOCUS_COUNTS)
        self.pillar_counts = _keyed(PILLAR_COUNTS)
        self.partner_counts = _keyed(PARTNER_COUNTS)

    # ------------------------------------------------------------------ set-up

    def _country_weights(self) -> None:
        """Per announcement year, weighted target countries: overall and within each ITU region."""
        self.by_year: dict[int, _Weighted[str]] = {}
        self.by_year_region: dict[int, dict[str, _Weighted[str]]] = {}
        self.recipients: set[str] = set()
        for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
            day = dt.date(year, 7, 1)
            ldc = set(reference.group_members("LDC", day))
            lldc = set(reference.group_members("LLDC", day))
            sids = set(reference.group_members("SIDS", day))
            weights = []
            for c in self.targetable:
                w = 1.0 + 5.0 * (c in ldc) + 2.0 * (c in lldc) + 1.5 * (c in sids)
                region = self.regions[c]
                if region == "africa":
                    w *= 2.0
                elif region == "europe" and w == 1.0:
                    w *= 0.3
                weights.append(w)
                if w > 1.0:
                    self.recipients.add(c)
            self.by_year[year] = _Weighted(self.targetable, weights)
            regional: dict[str, tuple[list[str], list[float]]] = {}
            for c, w in zip(self.targetable, weights, strict=True):
                region = self.regions[c] or ""
                regional.setdefault(region, ([], []))[0].append(c)
                regional[region][1].append(w)
            self.by_year_region[year] = {r: _Weighted(cs, ws) for r, (cs, ws) in regional.items()}
        # Regions drawn for regional pledges, in proportion to their total weight (Africa first).
        mid = self.by_year_region[2024]
        self.region_draw = _Weighted(sorted(mid), [mid[r].total for r in sorted(mid)])

    def _taxonomy(self) -> None:
        areas = list(reference.focus_areas())
        weights = [3.0 if _template_key(a) == "access" else 1.0 for a in areas]
        if not any(w > 1 for w in weights):
            weights[0] = 3.0
        self.areas = _Weighted(areas, weights)
        self.pillars_of: dict[str, list[str]] = {a: [] for a in areas}
        for code, p in reference.pillars().items():
            self.pillars_of.setdefault(p.focus_area, []).append(code)

    def _money(self) -> None:
        known = reference.currencies()
        rated: dict[str, float] = {}
        for r in reference.exchange_rates():
            if r.year == 2024 or r.currency not in rated:
                rated[r.currency] = r.usd_per_unit
        weights = {c: w for c, w in CURRENCIES.items() if c in known}
        unrated = [c for c in UNRATED_CANDIDATES if c in known and c not in rated]
        for c in unrated:
            weights[c] = UNRATED_SHARE / len(unrated)
        self.currencies = _Weighted(list(weights), list(weights.values()))
        self.usd_per_unit = {c: rated.get(c) or APPROX_USD_PER_UNIT.get(c, 1.0) for c in weights}

    def _organisations(self, n: int) -> None:
        rng = self.rng
        kinds = _Weighted(list(STAKEHOLDERS), [s for s, _ in STAKEHOLDERS.values()])
        hq_home = self.by_year[2024]
        abroad = [c for c in HQ_ABROAD if c in self.names] or self.targetable
        counters = dict.fromkeys(STAKEHOLDERS, 0)
        orgs: list[_Org] = []
        for _ in range(n):
            kind = kinds.draw(rng)
            counters[kind] += 1
            if kind in ("international_organisation", "un_entity") or (
                kind in ("financial_institution", "academia") and rng.random() < 0.4
            ):
                country = rng.choice(abroad)
            elif rng.random() < 0.6:
                country = hq_home.draw(rng)
            else:
                country = rng.choice(self.targetable)
            name = f"{STAKEHOLDERS[kind][1]} {counters[kind]:04d}"
            orgs.append(_Org(name, kind, country, country in self.recipients))
        # Skewed activity: a few organisations make most of the pledges.
        self.orgs = _Weighted(orgs, [rng.paretovariate(1.3) for _ in orgs])
        self.org_names = [o.name for o in orgs]

    def _subsets(self) -> None:
        """SDG and beneficiary group sets, drawn whole: SDG 9 in most, one to four SDGs, up to three groups."""
        sdgs = [c for k in range(1, 5) for c in itertools.combinations(SDGS, k)]
        self.sdgs = _Weighted(sdgs, [(4.0 if 9 in c else 1.0) / math.comb(len(SDGS), len(c)) for c in sdgs])
        size = {0: 0.17, 1: 0.33, 2: 0.33, 3: 0.17}
        groups = [p for k in size for c in itertools.combinations(BENEFICIARY_GROUPS, k)
                  for p in itertools.permutations(c)]  # fmt: skip
        self.groups = _Weighted(groups, [size[len(p)] / math.perm(len(BENEFICIARY_GROUPS), len(p)) for p in groups])

    # ------------------------------------------------------------------ rows

    def _targets(self, org: _Org, year: int) -> list[str]:
        rng = self.rng
        if rng.random() < GLOBAL_SHARE:
            return []
        k = self.country_counts.draw(rng)
        pool = self.by_year[year]
        if k <= 6 and rng.random() < 0.6:
            region = self.region_draw.draw(rng)
            regional = self.by_year_region[year][region]
            if k <= len(regional.items) // 2:
                pool = regional
        out = pool.sample(rng, k)
        if org.kind == "government" and org.recipient and org.country not in out and rng.random() < 0.6:
            out[0] = org.country  # governments of developing countries mostly pledge at home
        return out

    def _where(self, targets: list[str]) -> str:
        if not targets:
            return "worldwide"
        if len(targets) == 1:
            return f"in {self.names[targets[0]]}"
        if len(targets) == 2:
            return f"in {self.names[targets[0]]} and {self.names[targets[1]]}"
        regions = {self.regions[c] for c in targets}
        if len(regions) == 1:
            region = next(iter(regions))
            if region in reference.ITU_REGIONS:
                return f"across {len(targets)} countries in {reference.ITU_REGIONS[region][0]}"
        return f"in {len(targets)} countries"

    def _value(self, kind: str) -> tuple[str, str, str]:
        """(value, currency, value_usd) cells."""
        rng = self.rng
        if not (kind == "financial" and rng.random() < 0.9) and not (kind == "programmatic" and rng.random() < 0.25):
            return "", "", ""
        usd = min(VALUE_MAX, max(VALUE_MIN, rng.lognormvariate(15.4, 1.9)))
        currency = self.currencies.draw(rng)
        if currency == "USD":
            value = str(_nice(usd))
            return value, currency, value
        amount = _nice(usd / self.usd_per_unit[currency])
        stated = str(_nice(usd)) if rng.random() < 0.3 else ""
        return str(amount), currency, stated

    def _dates(self) -> tuple[dt.date, str]:
        rng = self.rng
        event, first, last = self.events.draw(rng)
        day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
        return day, event

    def _status(self, start: int, end: int | None) -> str:
        rng = self.rng
        now = STATUS_DAY.year
        r = rng.random()
        if start > now:
            return "planned"
        if start == now:
            return "planned" if r < 0.55 else "in_progress" if r < 0.97 else "discontinued"
        if end is not None and end < now:
            return "completed" if r < 0.7 else "in_progress" if r < 0.85 else "discontinued"
        return "in_progress" if r < 0.8 else "completed" if r < 0.86 else "planned" if r < 0.93 else "discontinued"

    def row(self) -> list[str]:
        rng = self.rng
        org = self.orgs.draw(rng)
        kind = self.types.draw(rng)
        announced, event = self._dates()
        start = min(LAST_YEAR, max(FIRST_YEAR, announced.year + rng.choice((-1, 0, 0, 0, 1, 1, 2))))
        end = None if rng.random() < 0.15 else start + rng.randrange(7)
        areas = self.areas.sample(rng, self.focus_counts.draw(rng))
        candidates = [p for a in areas for p in self.pillars_of.get(a, [])]
        n_pillars = min(len(candidates), self.pillar_counts.draw(rng))
        pillars = rng.sample(candidates, n_pillars) if n_pillars else []
        targets = self._targets(org, announced.year)
        value, currency, value_usd = self._value(kind)
        sdgs = self.sdgs.draw(rng)
        groups = self.groups.draw(rng)
        partners: list[str] = []
        for _ in range(self.partner_counts.draw(rng)):
            name = rng.choice(self.org_names)
            if name != org.name and name not in partners:
                partners.append(name)
        who = BENEFICIARY_LABELS[groups[0]] if groups else "underserved communities"
        template = rng.choice(TITLES[_template_key(areas[0])])
        self.count += 1
        # The number keeps every synthetic pledge distinct (pledger, title and date identify a pledge).
        title = TITLE_PREFIX[kind] + template.format(where=self._where(targets), who=who) + f" (#{self.count})"
        money = f" worth {value} {currency}" if value else ""
        description = (
            f"{KIND_PHRASE[kind]} by {org.name}{money}: {title}. "
            f"Synthetic pledge generated for testing (seed {self.seed})."
        )
        return [
            "",  # reference: assigned by the registry
            org.name,
            org.kind,
            org.country,
            title,
            description,
            kind,
            SEP.join(areas),
            SEP.join(pillars),
            SEP.join(targets),
            value,
            currency,
            value_usd,
            str(start),
            "" if end is None else str(end),
            announced.isoformat(),
            event,
            self._status(start, end),
            SEP.join(map(str, sdgs)),
            SEP.join(groups),
            SEP.join(partners),
            "",  # source_url
            "en",  # language of the text
            "true",
        ]


def generate(out: IO[str], pledges: int, seed: int) -> None:
    """Write ``pledges`` synthetic pledges as an import CSV (with ``synthetic`` = ``true``) to ``out``."""
    gen = _Generator(pledges, seed)
    writer = SafeWriter(out)
    writer.writerow(COLUMNS + OPTIONAL_COLUMNS)
    for _ in range(pledges):
        writer.writerow(gen.row())
