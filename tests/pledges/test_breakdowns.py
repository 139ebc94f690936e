"""Counting without double counting, checked on a small registry worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from observatory.db import transaction
from observatory.pledges import service
from observatory.pledges.breakdowns import BY_VALUES, summary
from observatory.pledges.query import PledgeFilter
from observatory.pledges.schemas import PledgeIn


def add(engine: Engine, org: str, kind: str, **data: Any) -> str:
    payload: dict[str, Any] = {
        "pledger": {"name": org, "stakeholder_type": kind},
        "title": f"Pledge {data.get('value')} {data.get('currency')}",
        "review_state": "published",
        **data,
    }
    with transaction(engine) as s:
        return service.create_pledge(s, PledgeIn.model_validate(payload), "t").reference


@pytest.fixture
def registry(engine: Engine) -> tuple[Engine, float]:
    """Six pledges; returns the engine and the loaded 2024 EUR rate."""
    add(engine, "A", "government", value=900, currency="USD", focus_areas=["access", "adoption"],
        pillars=["infrastructure"], target_countries=["MWI", "FJI"], announced_on="2023-05-01",
        pledge_type="financial")  # fmt: skip
    add(engine, "B", "private_sector", value=300, currency="USD", focus_areas=["access"],
        announced_on="2024-01-10", pledge_type="financial")  # fmt: skip
    p3 = add(engine, "B", "private_sector", value=1000, currency="EUR", focus_areas=["value_creation"],
             target_countries=["STP"], announced_on="2024-06-01", pledge_type="financial")  # fmt: skip
    add(engine, "C", "financial_institution", value=5e9, currency="XOF", focus_areas=["acceleration"],
        target_countries=["SEN", "MLI"], announced_on="2025-01-10", pledge_type="financial")  # fmt: skip
    add(engine, "A", "government", value=10_000, currency="USD", focus_areas=["access"],
        target_countries=["MWI"], review_state="draft")  # fmt: skip
    add(engine, "A", "government", value=100, currency="USD", focus_areas=["value_creation"],
        target_countries=["STP"], announced_on="2025-03-01", pledge_type="policy")  # fmt: skip
    with transaction(engine) as s:
        rate = service.get_pledge(s, p3).usd_rate
    assert rate is not None
    return engine, rate


def groups(body: dict[str, Any]) -> dict[str, tuple[int, float]]:
    return {g["key"]: (g["pledges"], g["value_usd_attributed"]) for g in body["groups"]}


def test_totals_count_each_published_pledge_once(registry: tuple[Engine, float]) -> None:
    engine, r = registry
    with transaction(engine) as s:
        total = summary(s, "focus_area")["total"]
    usd = pytest.approx(900 + 300 + 1000 * r + 100)
    assert total == {
        "pledges": 5,
        "organisations": 3,
        "value_usd": usd,
        "value_usd_attributed": usd,  # nothing chosen: everything is attributed
        "committed_usd": 0.0,
        "committed_usd_attributed": 0.0,
        "disbursed_usd": 0.0,
        "disbursed_usd_attributed": 0.0,
        "disbursed_share": 0.0,
        "reporting_pledges": 0,
        "unconverted_pledges": 1,
        "global_pledges": 1,
    }


def test_many_valued_breakdowns_split_value_and_add_up(registry: tuple[Engine, float]) -> None:
    engine, r = registry
    with transaction(engine) as s:
        by = {b: summary(s, b) for b in BY_VALUES}
    assert groups(by["focus_area"]) == {
        "access": (2, 750),
        "adoption": (1, 450),
        "value_creation": (2, pytest.approx(1000 * r + 100)),
        "acceleration": (1, 0),
    }
    assert groups(by["country"]) == {
        "MWI": (1, 450),
        "FJI": (1, 450),
        "STP": (2, pytest.approx(1000 * r + 100)),
        "SEN": (1, 0),
        "MLI": (1, 0),
        "global": (1, 300),
    }
    assert groups(by["region"]) == {
        "africa": (4, pytest.approx(450 + 1000 * r + 100)),
        "asia_pacific": (1, 450),
        "global": (1, 300),
    }
    assert groups(by["pillar"]) == {"infrastructure": (1, 900), "unspecified": (4, pytest.approx(300 + 1000 * r + 100))}
    assert groups(by["year"]) == {"2023": (1, 900), "2024": (2, pytest.approx(300 + 1000 * r)), "2025": (2, 100)}
    assert groups(by["stakeholder_type"])["government"] == (2, 1000)
    assert groups(by["pledge_type"]) == {"financial": (4, pytest.approx(1200 + 1000 * r)), "policy": (1, 100)}
    for b in ("focus_area", "pillar", "country", "region", "stakeholder_type", "pledge_type", "status", "year"):
        assert sum(g["value_usd_attributed"] for g in by[b]["groups"]) == pytest.approx(
            by[b]["total"]["value_usd_attributed"]
        ), b


def test_country_groups_use_membership_at_announcement(registry: tuple[Engine, float]) -> None:
    engine, r = registry
    with transaction(engine) as s:
        body = summary(s, "country_group")
    # São Tomé and Príncipe left the LDCs on 2024-12-13: the 2024 pledge counts for LDCs, the 2025 one does not.
    assert groups(body) == {
        "LDC": (3, pytest.approx(450 + 1000 * r)),
        "LLDC": (2, 450),
        "SIDS": (3, pytest.approx(450 + 1000 * r + 100)),
    }


def test_filters_apply_to_totals_and_groups(registry: tuple[Engine, float]) -> None:
    engine, _ = registry
    with transaction(engine) as s:
        body = summary(s, "country", PledgeFilter(country=["MWI"]))
    assert body["total"]["pledges"] == 1 and body["total"]["value_usd"] == 900
    assert body["total"]["value_usd_attributed"] == 450  # half of its targets are Malawi
    assert groups(body) == {"MWI": (1, 450)}  # the breakdown of what falls on Malawi


def test_new_pledges_show_up_at_once(registry: tuple[Engine, float]) -> None:
    engine, _ = registry
    with transaction(engine) as s:
        before = summary(s, "focus_area")["total"]["pledges"]
    add(engine, "D", "academia", focus_areas=["adoption"])
    with transaction(engine) as s:
        assert summary(s, "focus_area")["total"]["pledges"] == before + 1


def test_unknown_breakdown(sqlite_engine: Engine) -> None:
    with transaction(sqlite_engine) as s, pytest.raises(ValueError, match="unknown breakdown"):
        summary(s, "colour")
