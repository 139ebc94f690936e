"""The international connectivity cost model: its arithmetic on hand-computed cases, monotonicity, refused
inputs, the curated defaults, and the CLI, API and page (both languages) answering the same on real data."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import itertools
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import Engine, delete
from typer.testing import CliRunner

from observatory.cli import app
from observatory.costmodel import model as cost
from observatory.costmodel.service import compute, to_csv
from observatory.db import transaction
from observatory.indicators.sources import ItuPriceBaskets, WdiDatapackage, WorldBankApiCsv
from observatory.network.models import DATA_TABLES, NetworkIndicator
from observatory.sources import SourceLoad
from tests.conftest import shared_data
from tests.indicators.conftest import API_CSV, ITU, WDI, clear

# A hand-computed case (docs/cost-model.md): 1 M users × 50 kbit/s = 50,000 Mbit/s of busy-hour demand.
CASE: dict[str, float | None] = {
    "users": 1_000_000,
    "busy_hour_kbps_per_user": 50,
    "domestic_share": 0.4,
    "local_exchange_share": 0.5,
    "target_local_exchange_share": 0.9,
    "utilisation": 0.8,
    "transit_price": 10,
    "competition_price_reduction": 0.25,
    "ixp_operating_cost": 100_000,
    "backhaul_km": 500,
    "backhaul_price": 2,
    "backhaul_price_reduction": 0.5,
    "gni_per_capita_month": 50,
}


def test_hand_computed_scenarios() -> None:
    results = {r.scenario: r for r in cost.run(CASE)}
    base = results["baseline"]
    # International: 50,000 × (1 − 0.4 × 0.5) = 40,000 Mbit/s; capacity ÷ 0.8 = 50,000 Mbit/s.
    assert base.international_traffic_mbps == pytest.approx(40_000)
    assert base.capacity_mbps == pytest.approx(50_000)
    assert base.transit_cost_usd == pytest.approx(50_000 * 10 * 12)  # 6.0 M
    assert base.backhaul_cost_usd == pytest.approx(50_000 * 2 * 5 * 12)  # 6.0 M
    assert base.ixp_cost_usd == 0
    assert base.total_cost_usd == pytest.approx(12_000_000)
    assert base.cost_per_user_month_usd == pytest.approx(1.0)
    assert base.cost_per_user_pct_gni == pytest.approx(2.0)
    # Local exchange 0.9: 50,000 × (1 − 0.36) = 32,000; capacity 40,000; 4.8 M + 4.8 M + the IXP's 0.1 M.
    local = results["local_exchange"]
    assert local.capacity_mbps == pytest.approx(40_000)
    assert local.total_cost_usd == pytest.approx(9_700_000)
    assert local.saving_usd == pytest.approx(2_300_000)
    assert results["more_upstreams"].total_cost_usd == pytest.approx(4_500_000 + 6_000_000)
    assert results["backhaul"].total_cost_usd == pytest.approx(6_000_000 + 3_000_000)
    combined = results["combined"]
    assert combined.total_cost_usd == pytest.approx(40_000 * 7.5 * 12 + 40_000 * 1 * 5 * 12 + 100_000)
    assert combined.saving_share == pytest.approx(1 - 6_100_000 / 12_000_000)


def test_scenarios_follow_the_country() -> None:
    # No backhaul (a coastal country): the backhaul scenario would repeat the baseline and is left out.
    assert [r.scenario for r in cost.run({**CASE, "backhaul_km": 0})] == [
        "baseline",
        "local_exchange",
        "more_upstreams",
        "combined",
    ]
    # Already above the target: local exchange unchanged, and no IXP cost is added.
    above = cost.evaluate({**CASE, "local_exchange_share": 0.95}, "local_exchange")
    assert above.local_exchange_share == 0.95 and above.ixp_cost_usd == 0
    assert cost.evaluate({**CASE, "gni_per_capita_month": None}, "baseline").cost_per_user_pct_gni is None
    assert [r.scenario for r in cost.run(CASE, ["backhaul"])] == ["baseline", "backhaul"]


def test_monotonicity() -> None:
    shares = [i / 10 for i in range(11)]
    for domestic in (0.0, 0.3, 1.0):
        transit = [
            cost.evaluate({**CASE, "domestic_share": domestic, "local_exchange_share": x}, "baseline").transit_cost_usd
            for x in shares
        ]
        assert all(a >= b for a, b in itertools.pairwise(transit)), transit
    for name in ("transit_price", "backhaul_price", "backhaul_km", "busy_hour_kbps_per_user", "users"):
        totals = [cost.evaluate({**CASE, name: v}, "baseline").total_cost_usd for v in (1, 5, 50, 500)]
        assert all(a < b for a, b in itertools.pairwise(totals)), (name, totals)
    # Higher utilisation: less capacity bought for the same traffic.
    assert cost.evaluate({**CASE, "utilisation": 0.9}, "baseline").total_cost_usd < 12_000_000


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("transit_price", "-1")], "transit_price must be ≥ 0"),
        ([("domestic_share", "1.2")], "domestic_share must be ≥ 0 and ≤ 1"),
        ([("users", "0")], "users must be > 0"),
        ([("utilisation", "0")], "utilisation must be > 0"),
        ([("transit_price", "cheap")], "transit_price must be a number; got 'cheap'"),
        ([("transit_price", "nan")], "transit_price must be a finite number"),
        ([("transit_prize", "3")], "unknown parameter 'transit_prize'"),
    ],
)
def test_invalid_parameters(pairs: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(cost.CostModelError, match=message):
        cost.parse_overrides(pairs)


def test_unknown_scenario_and_missing_value() -> None:
    with pytest.raises(cost.CostModelError, match="unknown scenario 'cheaper'"):
        cost.run(CASE, ["cheaper"])
    with pytest.raises(cost.CostModelError, match="users has no value"):
        cost.evaluate({**CASE, "users": None}, "baseline")


def test_defaults_are_complete_and_sourced() -> None:
    rows = cost.defaults()
    allowed = {"all", "LLDC", "not_LLDC", "africa", "americas", "arab_states", "asia_pacific", "cis", "europe"}
    for d in rows:
        assert d.parameter in cost.PARAMETERS, d
        assert d.applies_to in allowed, d
        assert d.source and d.note and 2000 <= d.year <= 2026, d
        assert d.unit == cost.PARAMETERS[d.parameter].unit, d
        if d.low is not None and d.high is not None and d.value is not None:
            assert d.low <= d.value <= d.high, d
            cost.check(d.parameter, d.low)
            cost.check(d.parameter, d.high)
    for name in cost.PARAMETERS:  # every parameter resolves for every kind of country
        for region in (None, "africa", "europe"):
            for lldc in (False, True):
                assert cost.default_for(name, region, lldc).parameter == name
    assert cost.default_for("transit_price", "africa", True).applies_to == "africa"
    assert cost.default_for("backhaul_km", "africa", True).value == 1000
    assert cost.default_for("backhaul_km", "africa", False).value == 0


def test_assumptions_say_where_each_value_comes_from() -> None:
    table = cost.assumptions("europe", False, {"users": (2e6, "people online (test)", 2023)}, {"transit_price": 0.7})
    assert (table["users"].origin, table["users"].value, table["users"].year) == ("data", 2e6, 2023)
    assert (table["transit_price"].origin, table["transit_price"].value) == ("user", 0.7)
    assert table["domestic_share"].origin == "default" and "Kenya and Nigeria" in table["domestic_share"].source
    assert table["gni_per_capita_month"].origin == "missing" and table["gni_per_capita_month"].value is None
    rows = cost.sensitivity({n: a.value for n, a in table.items()}, table)
    by_name = {r["parameter"]: r for r in rows}
    assert "users" not in by_name and "gni_per_capita_month" not in by_name
    price = by_name["transit_price"]
    assert price["total_cost_usd_low"] < price["total_cost_usd_high"]


# --- on the loaded data: CLI, API and page ----------------------------------------------------------------------


def _clear_network(engine: Engine) -> None:
    with transaction(engine) as session:
        for table in DATA_TABLES:
            session.execute(delete(table))
        session.execute(delete(SourceLoad).where(SourceLoad.source == "test_network"))


@pytest.fixture
def loaded(engine: Engine) -> Iterator[Engine]:
    """Internet use, population and ITU price baskets (real files), and Kenya's share of users in networks at a
    domestic IXP as the network capability stores it (a hand-made value: the network sources are tested there)."""
    clear(engine)
    _clear_network(engine)
    WorldBankApiCsv("2024-11").run(shared_data(API_CSV), engine)
    WdiDatapackage("2026-07-01").run(shared_data(WDI) / "sp.pop.totl.csv", engine)
    ItuPriceBaskets("2025-12-02").run(shared_data(ITU), engine)
    day = dt.date(2022, 10, 6)
    with transaction(engine) as session:
        load = SourceLoad(source="test_network", organisation="test", dataset="test", location="-", sha256="0")
        session.add(load)
        session.flush()
        for country, code, value in (("KEN", "eyeball_share_at_domestic_ixp", 0.75), ("MWI", "ixp_count", 0.0)):
            session.add(
                NetworkIndicator(load_id=load.id, source="peeringdb_csv+apnic", snapshot_date=day, country=country,
                                 code=code, date=day, value=value)
            )  # fmt: skip
    yield engine
    clear(engine)
    _clear_network(engine)


def test_country_inputs_from_the_loaded_data(loaded: Engine) -> None:
    with transaction(loaded) as session:
        kenya = compute(session, "KE")
        malawi = compute(session, "MWI", {"transit_price": 20})
        nowhere = compute(session, "ATA")  # no data at all: defaults, and said so
    a = kenya["assumptions"]
    assert a["users"]["origin"] == "data" and 1e7 < a["users"]["value"] < 6e7
    # Estimated, never the share of users itself: 0.75² of the traffic between member networks × the typical share
    # of members exchanging traffic (IHR measured none of Kenya's IXPs here).
    expected = 0.75**2 * cost.ACTIVITY_DEFAULT[0]
    assert a["local_exchange_share"]["origin"] == "data"
    assert a["local_exchange_share"]["value"] == pytest.approx(expected)
    assert a["local_exchange_share"]["high"] == pytest.approx(0.75**2 * cost.ACTIVITY_DEFAULT[2])
    assert "users in networks at a domestic IXP" in a["local_exchange_share"]["source"]
    assert kenya["local_exchange_estimate"]["method"] == "membership_only"
    assert kenya["local_exchange_estimate"]["inputs"][0]["code"] == "eyeball_share_at_domestic_ixp"
    assert malawi["local_exchange_estimate"]["method"] == "no_ixp"
    assert nowhere["local_exchange_estimate"]["method"] == "regional_default"
    assert a["gni_per_capita_month"]["origin"] == "data" and 50 < a["gni_per_capita_month"]["value"] < 500
    assert a["transit_price"]["value"] == 15 and a["backhaul_km"]["value"] == 0  # Africa, coastal
    assert kenya["defaults_used_for_missing_data"] == []
    assert [s["scenario"] for s in kenya["scenarios"]] == ["baseline", "local_exchange", "more_upstreams", "combined"]
    # Malawi: landlocked (backhaul), no IXP in the network data (local exchange 0), the user's price.
    m = malawi["assumptions"]
    assert "LLDC" in malawi["groups"] and m["backhaul_km"]["value"] == 1000
    assert (m["local_exchange_share"]["value"], m["transit_price"]["origin"]) == (0.0, "user")
    assert "backhaul" in [s["scenario"] for s in malawi["scenarios"]]
    assert nowhere["defaults_used_for_missing_data"] == ["users", "local_exchange_share", "gni_per_capita_month"]
    assert nowhere["scenarios"][0]["cost_per_user_pct_gni"] is None


def test_cli_api_and_page_agree(loaded: Engine, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_DATABASE_URL", loaded.url.render_as_string(hide_password=False))
    args = ["cost-model", "show", "--country", "KEN", "--set", "transit_price=4", "--set", "domestic_share=0.35"]
    runner = CliRunner()
    cli_json = runner.invoke(app, [*args, "--format", "json"])
    assert cli_json.exit_code == 0, cli_json.output
    answer = json.loads(cli_json.stdout)
    query = "country=KEN&transit_price=4&domestic_share=0.35"
    assumptions = "transit_price=4&domestic_share=0.35"
    assert client.get(f"/api/v1/areas/KEN/cost?{assumptions}").json() == answer
    assert client.get(f"/cost-model?{query}&format=json").json() == answer
    moved = client.get(f"/api/v1/cost-model?{query}", follow_redirects=False)  # the path used before
    assert moved.status_code == 308 and moved.headers["location"] == f"/api/v1/areas/KEN/cost?{assumptions}"
    cli_csv = runner.invoke(app, [*args, "--format", "csv"]).stdout
    api_csv = client.get(f"/api/v1/areas/KEN/cost?{assumptions}&format=csv")
    assert api_csv.headers["content-type"].startswith("text/csv")
    assert api_csv.text == cli_csv == client.get(f"/cost-model?{query}&format=csv").text
    rows = list(csv.DictReader(io.StringIO(cli_csv)))
    total = next(r for r in rows if r["scenario"] == "baseline" and r["name"] == "total_cost_usd")
    assert float(total["value"]) == pytest.approx(answer["scenarios"][0]["total_cost_usd"])
    assert {r["name"] for r in rows if r["kind"] == "assumption"} == set(cost.PARAMETERS)
    table = runner.invoke(app, args)
    assert table.exit_code == 0 and "local_exchange" in table.stdout and "transit_price" in table.stdout
    for bad, message in ((["--set", "domestic_share=2"], "≤ 1"), (["--set", "x"], "NAME=VALUE")):
        refused = runner.invoke(app, [*args, *bad])
        assert refused.exit_code == 2 and message in refused.output
    unknown = runner.invoke(app, ["cost-model", "show", "--country", "XX"])
    assert unknown.exit_code == 2 and "unknown country code 'XX'" in unknown.output


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("country=KEN&transit_price=-2", "transit_price must be ≥ 0"),
        ("country=KEN&domestic_share=1.5", "domestic_share must be ≥ 0 and ≤ 1"),
        ("country=QQQ", "unknown country code 'QQQ'"),
        ("country=ldc", "LDC is not a country"),
        ("country=KEN&price=3", "unknown parameter 'price'"),
        ("country=KEN&scenario=cheaper", "unknown scenario 'cheaper'"),
        ("transit_price=3", "country is required"),
    ],
)
def test_api_refuses_bad_input(client: TestClient, query: str, message: str) -> None:
    params = dict(p.split("=") for p in query.split("&"))
    country = params.pop("country", None)
    if country is None:  # the path used before needs its country
        response = client.get(f"/api/v1/cost-model?{query}")
    else:
        response = client.get(f"/api/v1/areas/{country}/cost", params=params)
    if country == "QQQ":  # the path names no area
        assert response.status_code == 404 and "unknown area 'QQQ'" in response.json()["detail"]
    else:
        assert response.status_code == 422
        assert message in response.json()["detail"]
    if "country=" in query:  # without a country the page shows the form alone
        page = client.get(f"/cost-model?{query}")
        assert page.status_code == 422 and str(escape(message)) in page.text and "<form" in page.text


def test_the_api_refuses_an_empty_number_the_page_keeps_the_default(client: TestClient) -> None:
    api = client.get("/api/v1/areas/KEN/cost", params={"backhaul_price": "", "gni_per_capita_month": ""})
    assert api.status_code == 422
    assert api.json()["detail"] == "backhaul_price is empty: give a number, or leave the parameter out"
    assert client.get("/cost-model", params={"country": "KEN", "backhaul_price": ""}).status_code == 200


def test_page_in_both_languages(loaded: Engine, client: TestClient) -> None:
    english = client.get("/cost-model?country=MWI&lang=en&target_local_exchange_share=0.9")
    assert english.status_code == 200
    assert "Cost of international connectivity: Malawi" in english.text
    assert "Cheaper cross-border backhaul" in english.text and "<svg" in english.text
    assert 'name="target_local_exchange_share" inputmode="decimal" size="9" value="0.9"' in english.text
    assert "Internet Society" in english.text and "Download the scenario as CSV" in english.text
    assert len(gzip.compress(english.content)) < 20_000  # the page-weight budget of public pages
    french = client.get("/cost-model?country=MWI&lang=fr")
    assert (
        "Coût de la connectivité internationale" in french.text
        and "Liaison transfrontalière moins chère" in french.text
    )
    assert "Situation de référence" in french.text and "Télécharger le scénario en CSV" in french.text
    empty = client.get("/cost-model?lang=en")  # the form alone, before a country is chosen
    assert empty.status_code == 200 and "<select" in empty.text and "Scenarios side by side" not in empty.text
    docs = client.get("/api/openapi.json").json()["paths"]["/api/v1/areas/{code}/cost"]["get"]["parameters"]
    assert {p["name"] for p in docs} >= set(cost.PARAMETERS) | {"code", "scenario", "format"}


def test_csv_is_one_table_with_the_assumptions() -> None:
    table = cost.assumptions("africa", True, {}, {})
    answer = {
        "country": "MWI",
        "assumptions": {n: a.as_json() for n, a in table.items()},
        "scenarios": [r.as_json() for r in cost.run({n: a.value for n, a in table.items()})],
    }
    rows = list(csv.reader(io.StringIO(to_csv(answer))))
    assert rows[0] == ["kind", "scenario", "name", "value", "unit", "origin", "source", "year"]
    assert all(len(r) == 8 for r in rows)
    gni = next(r for r in rows if r[2] == "gni_per_capita_month")
    assert gni[3] == "" and gni[5] == "missing"
