"""One URL scheme for everything known about an area, ``/api/v1/areas/{code}/…``, on SQLite and PostgreSQL; the
paths used before answer with a permanent redirect that keeps the query."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import AUTH
from tests.pledges.test_api import create


def test_an_area_is_a_country_or_a_group_by_one_rule(client: TestClient) -> None:
    stp = client.get("/api/v1/areas/st").json()  # alpha-2, any case
    assert (stp["code"], stp["kind"], stp["alpha3"]) == ("STP", "country", "STP") and "LDC" not in stp["groups"]
    assert "LDC" in client.get("/api/v1/areas/STP", params={"on": "2024-01-01"}).json()["groups"]
    assert {m["group"] for m in stp["memberships"]} >= {"LDC", "SIDS"}
    ldc = client.get("/api/v1/areas/ldc", params={"on": "2025-01-01"}).json()
    assert (ldc["kind"], len(ldc["members"])) == ("un_group", 44)
    assert client.get("/api/v1/areas/Africa").json()["code"] == "africa"
    assert client.get("/api/v1/areas/WORLD").json() == {"code": "WORLD", "kind": "world", "name_en": "World"}
    assert client.get("/api/v1/areas/LIC").json()["name_en"] == "Low income"
    assert client.get("/api/v1/areas/XYZ").status_code == 404
    wld = client.get("/api/v1/areas/WLD")
    assert wld.status_code == 404 and "use WB:WLD" in wld.json()["detail"]
    assert len(client.get("/api/v1/countries").json()) == 249 and len(client.get("/api/v1/groups").json()) == 9


def test_what_is_pledged_for_an_area_agrees_with_the_summary(client: TestClient) -> None:
    create(client, target_countries=["SEN", "MWI"], value=3_000_000, currency="USD", focus_areas=["access"],
           pillars=[])  # fmt: skip
    create(client, title="Everywhere", target_countries=[], value=1_000_000, currency="USD")
    senegal = client.get("/api/v1/areas/SN/pledges").json()
    by_country = {g["key"]: g for g in client.get("/api/v1/pledges/summary", params={"by": "country"}).json()["groups"]}
    assert senegal["totals"]["pledges"] == 1  # the global pledge has no target country
    assert senegal["totals"]["value_usd_attributed"] == by_country["SEN"]["value_usd_attributed"] == 1_500_000
    assert senegal["totals"]["value_usd"] == by_country["SEN"]["value_usd"] == 3_000_000
    listed = client.get(senegal["pledges"]).json()
    assert listed["total"] == senegal["totals"]["pledges"]
    world = client.get("/api/v1/areas/world/pledges").json()
    assert world["totals"]["pledges"] == 2 and world["totals"]["value_usd_attributed"] == world["totals"]["value_usd"]
    ldc = client.get("/api/v1/areas/LDC/pledges").json()
    by_group = client.get("/api/v1/pledges/summary", params={"by": "country_group"}).json()["groups"]
    ldc_row = next(g for g in by_group if g["key"] == "LDC")
    assert ldc["totals"]["value_usd_attributed"] == ldc_row["value_usd_attributed"]
    assert client.get("/api/v1/areas/LIC/pledges").status_code == 404


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/api/v1/countries/ken?on=2024-01-01", "/api/v1/areas/ken?on=2024-01-01"),
        ("/api/v1/groups/LDC", "/api/v1/areas/LDC"),
        ("/api/v1/connectivity/MWI", "/api/v1/areas/MWI/connectivity"),
        ("/api/v1/network/countries/KE?date=2020-01-01", "/api/v1/areas/KE/infrastructure?date=2020-01-01"),
        ("/api/v1/network/countries/LDC/series?indicator=ixp_count",
         "/api/v1/areas/LDC/infrastructure/series?indicator=ixp_count"),
        ("/api/v1/routing/transit/KE", "/api/v1/areas/KE/transit"),
        ("/api/v1/cost-model?country=KEN&transit_price=4", "/api/v1/areas/KEN/cost?transit_price=4"),
    ],
)  # fmt: skip
def test_the_paths_used_before_redirect_permanently(client: TestClient, old: str, new: str) -> None:
    moved = client.get(old, follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == new
    assert client.get("/api/v1/cost-model", params={"transit_price": 4}).status_code == 422  # no country to go to


def test_the_scheme_is_the_api(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    area = sorted(p for p in paths if p.startswith("/api/v1/areas/"))
    assert area == [
        "/api/v1/areas/{code}",
        "/api/v1/areas/{code}/connectivity",
        "/api/v1/areas/{code}/cost",
        "/api/v1/areas/{code}/cost/summary",
        "/api/v1/areas/{code}/infrastructure",
        "/api/v1/areas/{code}/infrastructure/series",
        "/api/v1/areas/{code}/pledges",
        "/api/v1/areas/{code}/transit",
    ]
    assert not any(p.startswith(("/api/v1/countries/", "/api/v1/groups/", "/api/v1/routing/")) for p in paths)
    assert client.get("/api/v1/areas/KEN/pledges", headers=AUTH).status_code == 200
