"""The command line, the API and the pages on the real files: the same figures everywhere, with editions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from observatory.cli import app
from observatory.config import load_settings
from observatory.web.app import create_app
from tests.conftest import shared_data
from tests.indicators.conftest import API_CSV, WDI

runner = CliRunner()


def test_api_answers_with_editions_and_clear_errors(loaded: Engine, client: TestClient) -> None:
    offline = client.get("/api/v1/connectivity/offline", params={"area": "LDC", "year": 2022}).json()
    assert set(offline) == {"area", "year", "population", "people_online", "people_offline", "internet_use_pct",
                            "observed_population_share", "estimated", "interpolated_share",
                            "carried_forward_share", "group_mean_share"}  # fmt: skip
    assert 7e8 < offline["people_offline"] < 9e8
    obs = client.get("/api/v1/indicators/IT.NET.USER.ZS/observations", params={"area": "MWI", "year": 2023}).json()
    assert obs == [{**obs[0], "value": 18.0, "edition": "2024-11", "source": "worldbank_api", "imputed": False}]
    csv_body = client.get("/api/v1/indicators/SP.POP.TOTL/observations", params={"area": "WORLD", "format": "csv"})
    assert csv_body.headers["content-type"].startswith("text/csv") and csv_body.text.startswith("indicator,area")
    wld = client.get("/api/v1/connectivity/offline", params={"area": "WLD"})
    assert wld.status_code == 422 and "World Bank aggregate" in wld.json()["detail"]
    assert client.get("/api/v1/connectivity/offline", params={"area": "EU"}).status_code == 422  # a registry code
    assert client.get("/api/v1/indicators/XX.NOPE/observations").status_code == 404
    assert client.get("/api/v1/indicators/SP.POP.TOTL/observations", params={"edition": "1999"}).status_code == 404
    need = client.get("/api/v1/connectivity/need").json()
    assert need[0]["rank"] == 1 and need[0]["people_offline"] >= need[1]["people_offline"] * 0.5
    scores = client.get("/api/v1/connectivity/scores", params={"area": "MWI"}).json()
    assert {s["target"] for s in scores} >= {"umc_internet_use", "umc_4g_coverage", "bbcom_2_affordability"}
    projection = client.get("/api/v1/connectivity/projections", params={"area": "MWI"}).json()[0]
    # Malawi's series breaks in 2023 (27.7 % -> 18.0 %): one observation since, nothing projected across it.
    assert projection["status"] == "too_short_after_break" and not projection["before_2030"]
    editions = client.get("/api/v1/indicators/editions").json()
    assert {"2024-11", "2026-07-01", "2025-12-02"} <= {e["edition"] for e in editions}


def test_country_page_of_an_ldc_shows_its_connectivity_from_real_data(loaded: Engine, client: TestClient) -> None:
    page = client.get("/countries/MWI")
    assert page.status_code == 200
    section = page.text[page.text.index('id="connectivity"') :]
    for text in ("Internet use against the targets", "People offline", "Where the trend leads",
                 "Population covered by a 4G mobile network", "Mobile data, 2 GB a month", "edition 2024-11",
                 "edition 2026-07-01", "edition 2025-12-02", "USD pledged per person offline"):  # fmt: skip
        assert text in section, text
    twin = client.get("/countries/MWI", params={"format": "json"}).json()["connectivity"]
    assert twin["headline"]["year"] == 2023 and twin["headline"]["internet_use_pct"] == 18.0
    assert twin["editions"]["IT.NET.USER.ZS"]["edition"] == "2024-11"
    group = client.get("/groups/LDC", params={"format": "json"}).json()["connectivity"]
    assert group["kind"] == "group" and 0.5 < group["headline"]["observed_population_share"] <= 1
    french = client.get("/groups/LDC", params={"lang": "fr"}).text
    assert "Personnes hors ligne" in french


def test_dashboard_and_connectivity_page(loaded: Engine, client: TestClient) -> None:
    dashboard = client.get("/").text
    assert "People offline in the world" in dashboard and 'href="/connectivity"' in dashboard
    twin = client.get("/", params={"format": "json"}).json()["connectivity"]
    assert twin["year"] == 2022 and twin["by_group"][0]["area"] == "LDC"
    page = client.get("/connectivity")
    assert page.status_code == 200 and 'data-iso="MWI"' in page.text
    assert client.get("/connectivity", params={"format": "json"}).json()["need"]["countries"][0]["rank"] == 1


def test_pages_without_indicators_say_so(empty: Engine, client: TestClient) -> None:
    assert "No connectivity indicators are loaded yet" in client.get("/countries/MWI").text
    assert client.get("/api/v1/connectivity/offline").status_code == 404


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path))
    monkeypatch.delenv("OBSERVATORY_DATABASE_URL", raising=False)
    assert runner.invoke(app, ["init"]).exit_code == 0
    return tmp_path


def test_command_line(home: Path) -> None:
    wdi = shared_data(WDI)
    ingest = runner.invoke(app, ["indicators", "ingest", "worldbank_wdi", str(wdi / "sp.pop.totl.csv"),
                                 "--edition", "2026-07-01"])  # fmt: skip
    assert ingest.exit_code == 0 and "edition '2026-07-01'" in ingest.output, ingest.output
    assert runner.invoke(app, ["indicators", "ingest", "worldbank_api", str(shared_data(API_CSV))]).exit_code == 0
    result = runner.invoke(app, ["indicators", "offline", "--area", "WORLD", "--year", "2022", "--format", "json"])
    figure = json.loads(result.stdout)
    with TestClient(create_app(load_settings())) as client:
        assert figure == client.get("/api/v1/connectivity/offline", params={"area": "WORLD", "year": 2022}).json()
    shown = runner.invoke(app, ["indicators", "show", "IT.NET.USER.ZS", "--area", "MWI", "--format", "csv"])
    assert "IT.NET.USER.ZS,MWI,2023,18.0,%,false,worldbank_api" in shown.output
    bad = runner.invoke(app, ["indicators", "offline", "--area", "WLD"])
    assert bad.exit_code == 1 and "World Bank aggregate, not a country" in bad.output
    missing = runner.invoke(app, ["indicators", "ingest", "worldbank_wdi", str(home / "nope.csv")])
    assert missing.exit_code == 1 and "no such file" in missing.output
    again = runner.invoke(app, ["indicators", "ingest", "worldbank_wdi", str(wdi / "sp.pop.totl.csv"),
                                "--edition", "2027-07-01"])  # fmt: skip
    assert again.exit_code == 0
    compared = runner.invoke(app, ["indicators", "compare-editions", "SP.POP.TOTL", "2026-07-01", "2027-07-01",
                                   "--area", "MWI", "--changed-only", "--format", "json"])  # fmt: skip
    assert json.loads(compared.stdout) == []
    for command in ("scores", "projections", "need", "editions"):
        assert runner.invoke(app, ["indicators", command, "--format", "csv"]).exit_code == 0, command


def test_imputed_points_are_drawn_apart_from_reported_ones() -> None:
    from observatory.indicators.pages import drawn_apart

    rows = [
        {"year": 2019, "v": 1.0, "method": "observed"},
        {"year": 2020, "v": 2.0, "method": "interpolated"},
        {"year": 2021, "v": 3.0, "method": "observed"},
        {"year": 2022, "v": 4.0, "method": "observed"},
        {"year": 2023, "v": 4.0, "method": "carried_forward"},
    ]
    lines, apart = drawn_apart(rows, "v", ("o", "i", "e"), [2022])
    assert [name for name, _ in lines] == ["o", "i", "e"] and apart == [False, False, True]
    assert lines[0][1] == [(2019.0, 1.0, "since-0"), (2021.0, 3.0, "since-0"), (2022.0, 4.0, "since-2022")]
    assert [p[0] for p in lines[1][1]] == [2019.0, 2020.0, 2021.0]  # joined to the observations around it
    assert lines[2][1] == [(2023.0, 4.0, "estimated")]  # never joined to 2022
