"""The international connectivity cost model (Resolution 101): what a country pays a year for international
Internet connectivity, and what changes with more local exchange at an IXP, more upstream providers or a
cheaper cross-border backhaul for landlocked countries.

The model is a pure function of explicit assumptions: :func:`assumptions` settles each parameter's value
(the user's, else the country's data, else the default of ``defaults.csv`` with its source), :func:`run`
computes the scenarios side by side and :func:`sensitivity` the result's range over each parameter's low and
high value. Equations and limits: ``docs/cost-model.md``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from typing import Any

MONTHS = 12


class CostModelError(ValueError):
    """An assumption the model cannot take: an unknown name, a value out of range, an unknown scenario."""


@dataclass(frozen=True, slots=True)
class Parameter:
    """A parameter of the model: its name, unit and the values it may take."""

    name: str
    unit: str
    minimum: float  # inclusive
    maximum: float | None  # inclusive; None: unbounded
    above_minimum: bool = False  # True when the minimum itself is not allowed (users, utilisation)


PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter("users", "people", 0, None, above_minimum=True),
        Parameter("busy_hour_kbps_per_user", "kbit/s per user", 0, None),
        Parameter("domestic_share", "share of traffic", 0, 1),
        Parameter("local_exchange_share", "share of domestic traffic", 0, 1),
        Parameter("target_local_exchange_share", "share of domestic traffic", 0, 1),
        Parameter("utilisation", "share of capacity", 0, 1, True),
        Parameter("transit_price", "USD per Mbit/s per month", 0, None),
        Parameter("competition_price_reduction", "share of the transit price", 0, 1),
        Parameter("ixp_operating_cost", "USD per year", 0, None),
        Parameter("backhaul_km", "km", 0, None),
        Parameter("backhaul_price", "USD per Mbit/s per month per 100 km", 0, None),
        Parameter("backhaul_price_reduction", "share of the backhaul price", 0, 1),
        Parameter("gni_per_capita_month", "USD per person per month", 0, None, True),
    )
}

# baseline; local exchange raised to the target (with the IXP's cost); transit cheaper by competition; backhaul
# cheaper (LLDCs); all three together.
SCENARIOS = ("baseline", "local_exchange", "more_upstreams", "backhaul", "combined")


@dataclass(frozen=True, slots=True)
class Default:
    """One row of ``defaults.csv``."""

    parameter: str
    applies_to: str
    value: float | None
    low: float | None
    high: float | None
    unit: str
    source: str
    year: int
    note: str


@dataclass(frozen=True, slots=True)
class Assumption:
    """A parameter's value as the model used it, and where it came from: ``user`` (set by the user), ``data``
    (the country's loaded data, ``source`` naming the dataset and its edition), ``default`` (the curated
    default, with its publication) or ``missing`` (no value: only allowed for the GNI per capita)."""

    name: str
    value: float | None
    unit: str
    origin: str
    source: str
    year: int | None
    note: str
    low: float | None
    high: float | None

    def as_json(self) -> dict[str, Any]:
        """The assumption as the answer's ``assumptions`` give it."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """One scenario's levers, traffic, capacity and annual cost, with its saving against the baseline."""

    scenario: str
    local_exchange_share: float
    transit_price: float
    backhaul_price: float
    international_traffic_mbps: float
    capacity_mbps: float
    transit_cost_usd: float
    backhaul_cost_usd: float
    ixp_cost_usd: float
    total_cost_usd: float
    cost_per_user_month_usd: float
    cost_per_user_pct_gni: float | None
    gross_saving_usd: float
    saving_usd: float
    saving_share: float

    def as_json(self) -> dict[str, Any]:
        """The result as the answer's ``scenarios`` give it."""
        return asdict(self)


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def defaults() -> tuple[Default, ...]:
    """The curated defaults (``defaults.csv``: leading ``#`` lines document the file)."""
    text = resources.files(__package__).joinpath("defaults.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return tuple(
        Default(
            r["parameter"],
            r["applies_to"],
            _number(r["value"]),
            _number(r["low"]),
            _number(r["high"]),
            r["unit"],
            r["source"],
            int(r["year"]),
            r["note"],
        )
        for r in csv.DictReader(lines)
    )


def default_for(parameter: str, region: str | None, lldc: bool) -> Default:
    """The most specific default of a parameter for a country of ``region`` (ITU region code or None) that is
    (or is not) landlocked: an LLDC/not_LLDC row, else the region's, else ``all``."""
    rows = {d.applies_to: d for d in defaults() if d.parameter == parameter}
    for key in ("LLDC" if lldc else "not_LLDC", region or "", "all"):
        if key in rows:
            return rows[key]
    raise CostModelError(f"no default for {parameter!r}")  # a curation error in defaults.csv


def check(name: str, value: float) -> float:
    """``value`` if parameter ``name`` may take it; a :class:`CostModelError` saying why not otherwise."""
    p = PARAMETERS.get(name)
    if p is None:
        raise CostModelError(f"unknown parameter {name!r}; known: {', '.join(PARAMETERS)}")
    if value != value or value in (float("inf"), float("-inf")):
        raise CostModelError(f"{name} must be a finite number")
    low_ok = value > p.minimum if p.above_minimum else value >= p.minimum
    if not low_ok or (p.maximum is not None and value > p.maximum):
        bounds = f"{'>' if p.above_minimum else '≥'} {p.minimum:g}" + (
            f" and ≤ {p.maximum:g}" if p.maximum is not None else ""
        )
        raise CostModelError(f"{name} must be {bounds} ({p.unit}); got {value:g}")
    return value


def parse_overrides(pairs: Iterable[tuple[str, str]]) -> dict[str, float]:
    """``(name, text)`` pairs from a command line or a query string → checked values; empty text is skipped
    (the default applies)."""
    out: dict[str, float] = {}
    for name, text in pairs:
        if name not in PARAMETERS:
            check(name, 0.0)  # raises: unknown parameter
        if not text.strip():
            continue
        try:
            value = float(text)
        except ValueError:
            raise CostModelError(f"{name} must be a number; got {text!r}") from None
        out[name] = check(name, value)
    return out


def assumptions(
    region: str | None,
    lldc: bool,
    data: Mapping[str, tuple[float, str, int | None]],
    overrides: Mapping[str, float],
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, Assumption]:
    """Every parameter's value: the user's override, else the country's data (value, source, year), else the
    curated default for its region and landlocked status. The GNI per capita has no default (``missing``).
    ``ranges`` gives the low and high values of a data-given parameter (an estimate's range) in place of the
    default's."""
    out: dict[str, Assumption] = {}
    for name, p in PARAMETERS.items():
        d = default_for(name, region, lldc)
        if name in overrides:
            value, origin, source, year, note = check(name, overrides[name]), "user", "", None, ""
        elif name in data:
            value, source, year = data[name]
            origin, note = "data", ""
        elif d.value is not None:
            value, origin, source, year, note = d.value, "default", d.source, d.year, d.note
        else:
            value, origin, source, year, note = None, "missing", d.source, d.year, d.note
        low, high = (ranges or {}).get(name, (d.low, d.high)) if origin == "data" else (d.low, d.high)
        out[name] = Assumption(name, value, p.unit, origin, source, year, note, low, high)
    return out


def _value(values: Mapping[str, float | None], name: str) -> float:
    v = values.get(name)
    if v is None:
        raise CostModelError(f"{name} has no value")
    return check(name, v)


def evaluate(
    values: Mapping[str, float | None],
    scenario: str,
    baseline_total: float | None = None,
    baseline_transport: float | None = None,
) -> ScenarioResult:
    """One scenario from the parameters' values (``gni_per_capita_month`` may be None).

    International traffic = users × busy-hour kbit/s ÷ 1000 × (1 − domestic share × share exchanged locally);
    capacity = traffic ÷ utilisation; transit = capacity × price × 12; backhaul = capacity × backhaul price ×
    km ÷ 100 × 12; the IXP's operating cost counts where a scenario raises local exchange. The gross saving is
    the transit and backhaul saved (before the IXP's cost), the saving the total saved."""
    if scenario not in SCENARIOS:
        raise CostModelError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    exchange = scenario in ("local_exchange", "combined")
    upstreams = scenario in ("more_upstreams", "combined")
    backhaul = scenario in ("backhaul", "combined")
    users = _value(values, "users")
    share = _value(values, "local_exchange_share")
    local = max(share, _value(values, "target_local_exchange_share")) if exchange else share
    price = _value(values, "transit_price") * (1 - _value(values, "competition_price_reduction") * upstreams)
    bh_price = _value(values, "backhaul_price") * (1 - _value(values, "backhaul_price_reduction") * backhaul)
    demand = users * _value(values, "busy_hour_kbps_per_user") / 1000
    traffic = demand * (1 - _value(values, "domestic_share") * local)
    capacity = traffic / _value(values, "utilisation")
    transit = capacity * price * MONTHS
    backhaul_cost = capacity * bh_price * _value(values, "backhaul_km") / 100 * MONTHS
    ixp = _value(values, "ixp_operating_cost") if local > share else 0.0
    total = transit + backhaul_cost + ixp
    per_user = total / users / MONTHS
    gni = values.get("gni_per_capita_month")
    base = total if baseline_total is None else baseline_total
    base_transport = transit + backhaul_cost if baseline_transport is None else baseline_transport
    return ScenarioResult(
        scenario=scenario,
        local_exchange_share=local,
        transit_price=price,
        backhaul_price=bh_price,
        international_traffic_mbps=traffic,
        capacity_mbps=capacity,
        transit_cost_usd=transit,
        backhaul_cost_usd=backhaul_cost,
        ixp_cost_usd=ixp,
        total_cost_usd=total,
        cost_per_user_month_usd=per_user,
        cost_per_user_pct_gni=per_user / check("gni_per_capita_month", gni) * 100 if gni is not None else None,
        gross_saving_usd=base_transport - (transit + backhaul_cost),
        saving_usd=base - total,
        saving_share=(base - total) / base if base > 0 else 0.0,
    )


def scenario_names(values: Mapping[str, float | None], chosen: Iterable[str] | None = None) -> list[str]:
    """The scenarios to compute, baseline first: ``chosen`` (all by default), leaving out the backhaul
    scenario where there is no backhaul (distance or price 0), since it would repeat the baseline."""
    names = list(SCENARIOS) if chosen is None else ["baseline", *[c for c in chosen if c != "baseline"]]
    for name in names:
        if name not in SCENARIOS:
            raise CostModelError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    if not values.get("backhaul_km") or not values.get("backhaul_price"):
        names = [n for n in names if n != "backhaul"]
    return list(dict.fromkeys(names))


def run(values: Mapping[str, float | None], chosen: Iterable[str] | None = None) -> list[ScenarioResult]:
    """The scenarios side by side, each with its saving against the baseline."""
    baseline = evaluate(values, "baseline")
    transport = baseline.transit_cost_usd + baseline.backhaul_cost_usd
    return [
        baseline if name == "baseline" else evaluate(values, name, baseline.total_cost_usd, transport)
        for name in scenario_names(values, chosen)
    ]


def _local_exchange_saving(values: Mapping[str, float | None]) -> tuple[float, float]:
    base = evaluate(values, "baseline")
    local = evaluate(values, "local_exchange", base.total_cost_usd, base.transit_cost_usd + base.backhaul_cost_usd)
    return base.total_cost_usd, local.saving_usd


def _points(name: str, low: float, high: float, value: float, values: Mapping[str, float | None]) -> list[float]:
    """Where a result can reach its extremes over [low, high]: both ends, the value used, and on either side of the
    kink where the share exchanged locally meets the target (the IXP's cost starts or stops counting there)."""
    points = [low, high, value]
    other = {
        "local_exchange_share": "target_local_exchange_share",
        "target_local_exchange_share": "local_exchange_share",
    }
    if name in other and values.get(other[name]) is not None:
        kink = float(values[other[name]])  # type: ignore[arg-type]
        points += [p for p in (kink, kink - 1e-9, kink + 1e-9) if low <= p <= high]
    return points


def sensitivity(values: Mapping[str, float | None], table: Mapping[str, Assumption]) -> list[dict[str, Any]]:
    """For each parameter with a range: the lowest and highest baseline annual cost, and the lowest and highest
    saving of the local-exchange scenario, as that parameter moves over its range (the others unchanged), and
    both at the value used (``base``).

    The range always holds the value used (a country's figure or the user's may lie outside the default's
    range: the range is widened to it). ``cost_moves`` / ``saving_moves`` say whether the result changes at all
    over the range."""
    rows: list[dict[str, Any]] = []
    base_cost, base_saving = _local_exchange_saving(values)
    for name, a in table.items():
        if a.low is None or a.high is None or a.value is None or a.origin == "missing":
            continue
        low, high = min(a.low, a.value), max(a.high, a.value)
        results = [_local_exchange_saving({**values, name: p}) for p in _points(name, low, high, a.value, values)]
        costs, savings = [c for c, _ in results], [s for _, s in results]
        row: dict[str, Any] = {
            "parameter": name,
            "low": low,
            "high": high,
            "value": a.value,
            "total_cost_usd_low": min(costs),
            "total_cost_usd_high": max(costs),
            "local_exchange_saving_usd_low": min(savings),
            "local_exchange_saving_usd_high": max(savings),
            "total_cost_usd_base": base_cost,
            "local_exchange_saving_usd_base": base_saving,
        }
        row["cost_moves"] = not math.isclose(min(costs), max(costs), rel_tol=1e-9, abs_tol=0.5)
        row["saving_moves"] = not math.isclose(min(savings), max(savings), rel_tol=1e-9, abs_tol=0.5)
        rows.append(row)
    return rows


def not_varied(table: Mapping[str, Assumption]) -> list[str]:
    """The parameters the sensitivity table leaves out: no range (the country's own count of users) or no value."""
    return [n for n, a in table.items() if a.low is None or a.high is None or a.value is None or a.origin == "missing"]


# Why a scenario changes nothing, in the model's words (the page words them for people: costmodel.labels).
NOTHING_REASONS = (
    "at_or_above_target",  # local exchange: the baseline already exchanges at least the target share
    "no_domestic_traffic",  # local exchange: no domestic traffic to keep at home
    "no_price_reduction",  # more upstreams / backhaul: a reduction of 0
    "nothing_to_reduce",  # a price of 0, or no capacity bought
)


def scenario_notes(values: Mapping[str, float | None], results: Iterable[ScenarioResult]) -> list[dict[str, Any]]:
    """For each scenario besides the baseline: the lever it moves, from the baseline's value to the scenario's,
    and — where it changes nothing — why (one of :data:`NOTHING_REASONS`); ``costs_more`` where what it saves
    is less than the IXP's operating cost it adds."""
    notes: list[dict[str, Any]] = []
    by_name = {r.scenario: r for r in results}
    base = by_name.get("baseline")
    if base is None:
        return notes
    share = _value(values, "local_exchange_share")
    target = _value(values, "target_local_exchange_share")
    levers: dict[str, tuple[str, float, float, str | None]] = {
        "local_exchange": (
            "local_exchange_share",
            share,
            max(share, target),
            "at_or_above_target"
            if share >= target
            else "no_domestic_traffic"
            if not _value(values, "domestic_share")
            else "nothing_to_reduce"
            if not base.capacity_mbps or not (base.transit_price or values.get("backhaul_km"))
            else None,
        ),
        "more_upstreams": (
            "transit_price",
            base.transit_price,
            base.transit_price * (1 - _value(values, "competition_price_reduction")),
            "no_price_reduction"
            if not _value(values, "competition_price_reduction")
            else "nothing_to_reduce"
            if not base.transit_price or not base.capacity_mbps
            else None,
        ),
        "backhaul": (
            "backhaul_price",
            base.backhaul_price,
            base.backhaul_price * (1 - _value(values, "backhaul_price_reduction")),
            "no_price_reduction"
            if not _value(values, "backhaul_price_reduction")
            else "nothing_to_reduce"
            if not base.backhaul_cost_usd
            else None,
        ),
    }
    for name, r in by_name.items():
        if name == "baseline":
            continue
        if name == "combined":
            with_backhaul = bool(values.get("backhaul_km")) and bool(values.get("backhaul_price"))
            used = ("local_exchange", "more_upstreams", *(("backhaul",) if with_backhaul else ()))
            nothing = all(levers[lever][3] is not None for lever in used)
            notes.append(
                {
                    "scenario": name,
                    "parameter": None,
                    "baseline": None,
                    "scenario_value": None,
                    "adds_nothing": nothing,
                    "reason": "every_lever" if nothing else None,
                    "costs_more": r.saving_usd < 0,
                }
            )
            continue
        parameter, before, after, reason = levers[name]
        notes.append(
            {
                "scenario": name,
                "parameter": parameter,
                "baseline": before,
                "scenario_value": after,
                "adds_nothing": reason is not None,
                "reason": reason,
                "costs_more": r.saving_usd < 0,
            }
        )
    return notes


# --- the share of domestic traffic exchanged in the country, estimated --------------------------------------

# Where IHR measures no IXP of the country: the share of an IXP's members seen exchanging traffic there, as IHR's
# RIPE Atlas results (2022-10-03) find it at IXPs of up to 60 members: median 0.125, upper quartile 0.38; the
# low end is its lower quartile (0). docs/cost-model.md.
ACTIVITY_DEFAULT = (0.125, 0.0, 0.38)

ESTIMATE_METHODS = ("membership_and_ihr", "membership_only", "no_ixp", "regional_default")


@dataclass(frozen=True, slots=True)
class LocalExchangeEstimate:
    """The estimated share of domestic traffic exchanged in the country, its range, how it was made and from
    what (``inputs``: name → value; their sources are the service's)."""

    method: str
    value: float | None
    low: float | None
    high: float | None
    inputs: dict[str, float | None]

    def as_json(self) -> dict[str, Any]:
        """The estimate as the answer's ``local_exchange_estimate`` gives it."""
        return asdict(self)


def estimate_local_exchange(
    member_user_share: float | None,
    seen_share: float | None,
    domestic_dependency_share: float | None,
    ixp_count: float | None,
) -> LocalExchangeEstimate:
    """The share of domestic traffic exchanged in the country, from traffic-related evidence, never a share of
    users taken as it is:

    - the traffic whose two ends are in networks at a domestic IXP, if traffic between two networks is in
      proportion to their users: p = m², m the share of users in networks at a domestic IXP;
    - the share of that traffic actually exchanged at the IXP: the share of the IXP's members that IHR's
      traceroutes see exchanging traffic there (a), else :data:`ACTIVITY_DEFAULT`.

    Estimate p × a; low p × min(a, d), d the share of the country's networks' dependencies on IXPs that are on a
    domestic IXP (0 where IHR sees none); high p (every member exchanges all its domestic traffic there). No IXP
    in the country: 0. Neither membership nor IXP count known: no estimate (``regional_default``: the model's
    default for the region applies)."""
    inputs: dict[str, float | None] = {
        "member_user_share": member_user_share,
        "seen_share": seen_share,
        "domestic_dependency_share": domestic_dependency_share,
        "ixp_count": ixp_count,
    }
    if member_user_share is None:
        if ixp_count is not None and ixp_count == 0:
            return LocalExchangeEstimate("no_ixp", 0.0, 0.0, 0.0, inputs)
        return LocalExchangeEstimate("regional_default", None, None, None, inputs)
    p = min(max(member_user_share, 0.0), 1.0) ** 2
    if seen_share is None:
        a, a_low, a_high = ACTIVITY_DEFAULT
        return LocalExchangeEstimate("membership_only", p * a, p * a_low, p * max(a_high, a), inputs)
    a = min(max(seen_share, 0.0), 1.0)
    d = min(max(domestic_dependency_share or 0.0, 0.0), 1.0)
    return LocalExchangeEstimate("membership_and_ihr", p * a, p * min(a, d), p, inputs)
