"""The local-exchange estimate and what the scenarios say about it: properties over any assumptions (a scenario
raising local exchange never saves a negative amount of transit, a baseline above the target adds nothing and
says why, every sensitivity range holds the value used) and the estimate's hand-computed cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observatory.costmodel import model as cost
from tests.costmodel.test_cost import CASE

share = st.floats(0, 1, allow_nan=False)
positive = st.floats(0.01, 1e4, allow_nan=False)
values = st.fixed_dictionaries(
    {
        "users": st.floats(1, 1e9),
        "busy_hour_kbps_per_user": positive,
        "domestic_share": share,
        "local_exchange_share": share,
        "target_local_exchange_share": share,
        "utilisation": st.floats(0.05, 1),
        "transit_price": positive,
        "competition_price_reduction": share,
        "ixp_operating_cost": st.floats(0, 1e7),
        "backhaul_km": st.floats(0, 5000),
        "backhaul_price": positive,
        "backhaul_price_reduction": share,
        "gni_per_capita_month": st.none() | positive,
    }
)


@settings(max_examples=200, deadline=None)
@given(values)
def test_raising_local_exchange_never_saves_a_negative_amount(v: dict[str, float | None]) -> None:
    results = {r.scenario: r for r in cost.run(v)}
    for name in ("local_exchange", "combined"):
        r = results[name]
        assert r.local_exchange_share >= results["baseline"].local_exchange_share
        assert r.gross_saving_usd >= -1e-6 * max(1.0, results["baseline"].total_cost_usd)
        # The saving net of the IXP's cost is what is left of the gross one.
        tolerance = 1e-9 * max(1.0, results["baseline"].total_cost_usd, r.ixp_cost_usd, abs(r.gross_saving_usd))
        assert r.saving_usd == pytest.approx(r.gross_saving_usd - r.ixp_cost_usd, abs=tolerance)
    notes = {n["scenario"]: n for n in cost.scenario_notes(v, results.values())}
    local = notes["local_exchange"]
    assert local["costs_more"] == (results["local_exchange"].saving_usd < 0)
    if v["local_exchange_share"] >= v["target_local_exchange_share"]:  # type: ignore[operator]
        assert local["adds_nothing"] and local["reason"] == "at_or_above_target"
        assert results["local_exchange"].saving_usd == 0 and results["local_exchange"].ixp_cost_usd == 0
    elif local["adds_nothing"]:
        assert local["reason"] in cost.NOTHING_REASONS


@settings(max_examples=100, deadline=None)
@given(values)
def test_sensitivity_ranges_hold_the_value_used(v: dict[str, float | None]) -> None:
    table = cost.assumptions("africa", True, {}, {k: x for k, x in v.items() if x is not None})
    used = {n: a.value for n, a in table.items()}
    rows = cost.sensitivity(used, table)
    assert {r["parameter"] for r in rows} | set(cost.not_varied(table)) == set(cost.PARAMETERS)
    for r in rows:
        assert r["low"] <= r["value"] <= r["high"], r
        for result in ("total_cost_usd", "local_exchange_saving_usd"):
            assert r[f"{result}_low"] <= r[f"{result}_base"] <= r[f"{result}_high"], (r["parameter"], result, r)


def test_a_baseline_above_the_target_adds_nothing_and_says_why() -> None:
    v = {**CASE, "local_exchange_share": 0.9, "target_local_exchange_share": 0.8}
    results = cost.run(v)
    note = next(n for n in cost.scenario_notes(v, results) if n["scenario"] == "local_exchange")
    assert note == {
        "scenario": "local_exchange",
        "parameter": "local_exchange_share",
        "baseline": 0.9,
        "scenario_value": 0.9,
        "adds_nothing": True,
        "reason": "at_or_above_target",
        "costs_more": False,
    }
    # Below the target it adds something; without a price reduction "more upstreams" adds nothing, and says so.
    v = {**CASE, "competition_price_reduction": 0.0}
    notes = {n["scenario"]: n for n in cost.scenario_notes(v, cost.run(v))}
    assert not notes["local_exchange"]["adds_nothing"] and notes["local_exchange"]["scenario_value"] == 0.9
    assert notes["more_upstreams"]["reason"] == "no_price_reduction"
    assert not notes["combined"]["adds_nothing"]


def test_sensitivity_says_when_a_result_does_not_move() -> None:
    table = cost.assumptions("africa", False, {}, {})  # coastal: no backhaul, so its price changes nothing
    rows = {r["parameter"]: r for r in cost.sensitivity({n: a.value for n, a in table.items()}, table)}
    assert not rows["backhaul_price"]["cost_moves"] and not rows["backhaul_price"]["saving_moves"]
    assert rows["transit_price"]["cost_moves"] and rows["transit_price"]["saving_moves"]
    assert rows["target_local_exchange_share"]["saving_moves"] and not rows["target_local_exchange_share"]["cost_moves"]
    assert cost.not_varied(table) == ["users", "backhaul_km", "gni_per_capita_month"]  # no range: 0 km, coastal


def test_the_estimate_by_hand() -> None:
    # Malawi's figures (2022): 98 % of users in networks at MIX-BT, 1 of its 9 members seen, no dependency on it.
    e = cost.estimate_local_exchange(0.98, 1 / 9, 0.0, 1)
    assert e.method == "membership_and_ihr"
    assert e.value == pytest.approx(0.98**2 / 9) and e.low == 0 and e.high == pytest.approx(0.98**2)
    assert e.value is not None and e.value < 0.8  # so more local exchange saves something
    # Every estimate is a share of traffic, not the share of users, and its range holds it.
    for args in ((0.98, 1 / 9, 0.0, 1), (0.5, 0.6, 0.3, 2), (0.7, None, None, 3), (1.0, 1.0, 1.0, 1)):
        e = cost.estimate_local_exchange(*args)
        assert e.low is not None and e.value is not None and e.high is not None
        assert 0 <= e.low <= e.value <= e.high <= args[0] ** 2 + 1e-12, args
    partial = cost.estimate_local_exchange(0.5, 0.6, 0.3, 2)
    assert partial.low == pytest.approx(0.25 * 0.3) and partial.value == pytest.approx(0.25 * 0.6)
    membership_only = cost.estimate_local_exchange(0.8, None, None, 2)
    assert membership_only.method == "membership_only"
    assert membership_only.value == pytest.approx(0.64 * cost.ACTIVITY_DEFAULT[0])
    assert cost.estimate_local_exchange(None, None, None, 0).as_json() == {
        "method": "no_ixp",
        "value": 0.0,
        "low": 0.0,
        "high": 0.0,
        "inputs": {"member_user_share": None, "seen_share": None, "domestic_dependency_share": None, "ixp_count": 0},
    }
    assert cost.estimate_local_exchange(None, 0.5, 0.5, 3).method == "regional_default"


def test_a_data_given_range_replaces_the_default_one() -> None:
    data = {"local_exchange_share": (0.1, "estimate (test)", 2022)}
    table = cost.assumptions("africa", True, data, {}, {"local_exchange_share": (0.0, 0.96)})
    a = table["local_exchange_share"]
    assert (a.value, a.origin, a.low, a.high) == (0.1, "data", 0.0, 0.96)
    # A user's value keeps the default's range.
    table = cost.assumptions("africa", True, data, {"local_exchange_share": 0.3}, {"local_exchange_share": (0, 0.96)})
    assert (table["local_exchange_share"].low, table["local_exchange_share"].high) == (0.0, 0.5)
