"""Transit vs. peering per country, the CAIDA CTI comparison, the routing section of country and group
pages, its API and CLI."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from typer.testing import CliRunner

from observatory.cli import app
from observatory.db import transaction
from observatory.network.compute import expand_asns
from observatory.network.models import DATA_TABLES
from observatory.network.sources.rir import RirDelegated
from observatory.network.sources.routing_data import CaidaAsRelationships
from observatory.routing.cti import compare, read_cti, spearman
from observatory.routing.models import AsHegemony, CountryDependency
from observatory.routing.service import country_transit
from observatory.routing.transit import group_summary, providers, transit_table
from observatory.sources import SourceError, SourceLoad
from tests.conftest import shared_data
from tests.network.conftest import FIXTURES

CTI = "network/transit/caida-cti_country.transit.summary.202003.csv"
# KEN: 33771, 36866, 36867 (the network fixture's registry); ZAF: 30844; 3356 is registered nowhere here.
LINKS = pl.DataFrame(
    {
        "provider": [30844, 3356, 33771, 30844, 36866],
        "customer": [33771, 33771, 36866, 36866, 36867],
        "relationship": [-1, -1, -1, -1, 0],
    }
)
REGISTRY = pl.DataFrame({"asn": [33771, 36866, 36867, 30844], "country": ["KEN", "KEN", "KEN", "ZAF"]})
USERS = pl.DataFrame({"asn": [33771, 36866], "country": ["KEN", "KEN"], "users": [1000, 3000]})
AS_REL = "# hand-made serial-1 file\n30844|33771|-1\n3356|33771|-1\n33771|36866|-1\n30844|36866|-1\n36866|36867|0\n"


def test_figures_by_hand() -> None:
    row = transit_table(LINKS, REGISTRY, USERS).filter(pl.col("country") == "KEN").row(0, named=True)
    assert (row["registered_asns"], row["known_asns"], row["coverage"]) == (3, 3, 1.0)
    assert (row["transit_links"], row["foreign_transit_links"]) == (4, 3)
    assert (row["peering_links"], row["foreign_peering_links"]) == (1, 0)  # one domestic link, seen from both ends
    assert (row["domestic_providers"], row["foreign_upstreams"]) == (1, 2)
    # 33771 splits 1 between 30844 and 3356, 36866 gives 1 to 30844: shares 0.75, 0.25.
    assert row["hhi_foreign"] == pytest.approx(0.75**2 + 0.25**2)
    # By users: 30844 serves 500 + 3000, 3356 serves 500.
    assert row["hhi_foreign_users"] == pytest.approx(0.875**2 + 0.125**2)
    # 33771: 2 of 2 providers foreign, 36866: 1 of 2; 36867 has none and is left out.
    assert row["foreign_transit_share"] == pytest.approx(0.75)
    assert row["foreign_transit_share_users"] == pytest.approx((1000 * 1 + 3000 * 0.5) / 4000)
    zaf = transit_table(LINKS, REGISTRY).filter(pl.col("country") == "ZAF").row(0, named=True)
    assert zaf["transit_links"] == 0 and zaf["foreign_transit_share"] is None and zaf["hhi_foreign_users"] is None
    listed = providers(LINKS, REGISTRY, "KEN", USERS)
    assert listed.select("asn", "country", "domestic", "customers").rows() == [
        (30844, "ZAF", False, 2),
        (3356, None, False, 1),
        (33771, "KEN", True, 1),
    ]
    assert listed.filter(pl.col("asn") == 30844)["users"][0] == 4000


def test_group_pools_members() -> None:
    table = transit_table(LINKS, REGISTRY, USERS)
    group = group_summary(table, ["KEN", "ZAF", "UGA"])
    assert group["countries"] == 2 and group["members"] == 3  # ZAF's AS appears (as a provider); UGA has none
    assert group["foreign_transit_share"] == pytest.approx(0.75)  # ZAF has no AS with providers
    assert group["foreign_link_share"] == pytest.approx(3 / 4)
    assert group_summary(table, ["UGA"]) | {"members": 1} == {"countries": 0, "members": 1} | dict.fromkeys(
        group.keys() - {"countries", "members"}
    )


def test_spearman_by_hand() -> None:
    # Ranks of y, the tie at 7 sharing places 3 and 4: [1, 2, 3.5, 5, 3.5]; against [1..5],
    # Σ dx·dy = 8, Σ dx² = 10, Σ dy² = 9.5, so r = 8 / √95.
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))
    assert spearman([1, 2, 3], [30, 20, 10]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3], [1, 1, 1]) is None and spearman([1, 2], [1, 2]) is None


def test_cti_comparison_on_the_real_files() -> None:
    cti = read_cti(shared_data(CTI))
    assert cti.height == 100 and cti.filter("meet_cti").height == 75
    assert cti.filter(pl.col("country") == "BGD")["cti_transit"][0] == pytest.approx(0.71253022638)
    links = CaidaAsRelationships().parse(
        shared_data("network/caida-asrel/afrinic-labs_asn_relationship_africa01-08-2019.csv")
    )
    rir = RirDelegated().parse(shared_data("network/rir/delegated-afrinic-extended-20230323.txt.gz")).records
    registry = expand_asns(rir.filter(pl.col("delegated") <= dt.date(2019, 8, 1)))
    ours = transit_table(links.rename({"asn1": "provider", "asn2": "customer"}), registry)
    result = compare(ours, cti)
    # The AS relationships cover African networks: the African countries of CAIDA's 75.
    # The figures quoted in docs/routing-transit.md.
    assert (result.n, result.n_covered) == (19, 19)
    assert result.spearman == pytest.approx(-0.136, abs=5e-4)
    first = result.rows.row(0, named=True)
    assert abs(first["rank_difference"]) == result.rows["rank_difference"].abs().max()
    assert all(r for r in result.rows["reasons"].to_list())
    assert set(result.rows["country"]) <= set(cti.filter("meet_cti")["country"])


def test_bad_cti_file_names_the_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    missing.write_text("cc,transit_w\nBD,0.8\n")
    with pytest.raises(SourceError, match="missing columns: meet_cti, orig_frac, transit_w_scaled"):
        read_cti(missing)
    bad = tmp_path / "bad.csv"
    bad.write_text("cc,cc_name,transit_w,orig_frac,transit_w_scaled,meet_cti\nBD,B,0.8,0.8,0.7,True\nQQ,Q,1,1,x,True\n")
    with pytest.raises(SourceError, match="line 3"):
        read_cti(bad)


def _registry_only(engine: Engine) -> None:
    """An empty network and routing store, then the network fixture's registry."""
    with transaction(engine) as session:
        for table in (*DATA_TABLES, AsHegemony, CountryDependency):
            session.execute(delete(table))
        session.execute(delete(SourceLoad))
    RirDelegated().run(FIXTURES / "delegated-afrinic-extended-20240301", engine)


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """The network fixture's registry, the hand-made AS relationships and stored country dependency."""
    _registry_only(engine)
    path = tmp_path / "20240301.as-rel.txt"
    path.write_text(AS_REL)
    CaidaAsRelationships().run(path, engine)
    with transaction(engine) as session:
        load = SourceLoad(
            source="routing_tables", organisation="t", dataset="t", location="t", edition="t", sha256="0" * 64
        )
        session.add(load)
        session.flush()
        rows = [(dt.date(2024, 1, 1), 33771, 0.5, 0.2), (dt.date(2024, 3, 1), 30844, 0.6, 0.6)]
        rows += [(dt.date(2024, 3, 1), 33771, 0.3, 0.3), (dt.date(2024, 3, 1), 3356, 0.1, 0.1)]
        session.add_all(
            CountryDependency(
                load_id=load.id, data_date=day, af=4, weighting="as", country="KEN", asn=asn, dependency=value,
                transit_dependency=transit, origins=3,
            )
            for day, asn, value, transit in rows
        )  # fmt: skip
    yield engine


def test_country_picture_from_the_database(loaded: Engine) -> None:
    with transaction(loaded) as session:
        picture = country_transit(session, "KEN")
    relationships = picture["as_relationships"]
    assert relationships["registry_date"] == "2024-03-01" and relationships["snapshots"][0]["data_date"] == "2024-03-01"
    assert relationships["figures"]["foreign_upstreams"] == 2 and relationships["figures"]["coverage"] == 1.0
    assert [p["asn"] for p in relationships["providers"]] == [30844, 3356, 33771]
    # Transit dependency on 2024-03-01: foreign 30844 (0.6) and 3356 (0.1) over 1.0 in all.
    assert picture["hegemony"]["as"]["share"] == pytest.approx(0.7)
    assert (
        picture["hegemony"]["as"]["largest_foreign_asn"] == 30844 and picture["hegemony"]["as"]["date"] == "2024-03-01"
    )
    top = picture["top_dependencies"]
    assert [(d["asn"], d["foreign"]) for d in top["top"]] == [(30844, True), (33771, False), (3356, True)]
    assert top["series"][33771] == [["2024-01-01", 0.5], ["2024-03-01", 0.3]]
    assert {g["group"] for g in picture["groups"]} == {"africa"}


def test_country_and_group_pages_and_api(client: TestClient, loaded: Engine) -> None:
    twin = client.get("/countries/KE?format=json").json()["routing"]
    assert twin["as_relationships"]["figures"]["hhi_foreign"] == pytest.approx(0.625)
    page = client.get("/countries/KEN")
    assert page.status_code == 200 and 'id="routing"' in page.text and "AS30844" in page.text
    assert page.text.index('id="infrastructure"') < page.text.index('id="routing"')
    assert len(gzip.compress(page.content)) < 20_000
    assert "Transit et peering" in client.get("/countries/KEN?lang=fr").text
    api = client.get("/api/v1/areas/KE/transit").json()
    assert api["hegemony"]["as"]["share"] == pytest.approx(0.7)
    assert client.get("/api/v1/areas/QQ/transit").status_code == 404
    # Areas the one rule knows but that have no transit figures are not found either, with the reason.
    for code in ("WORLD", "LIC", "WB:WLD", "ZZ"):
        refused = client.get(f"/api/v1/areas/{code}/transit")
        assert refused.status_code == 404 and "no transit figures" in refused.json()["detail"], code
    group = client.get("/groups/africa?format=json").json()["routing"]
    assert group["summary"]["countries"] == 2 and [c["country"] for c in group["countries"]] == ["KEN", "ZAF"]
    assert 'id="routing"' in client.get("/groups/africa").text
    assert client.get("/api/v1/areas/ldc/transit").json()["group"] == "LDC"
    assert client.get("/api/v1/areas/Africa/transit").json()["summary"] == group["summary"]


def test_empty_database_says_what_to_load(client: TestClient, engine: Engine) -> None:
    with transaction(engine) as session:
        for table in (*DATA_TABLES, AsHegemony, CountryDependency):
            session.execute(delete(table))
        session.execute(delete(SourceLoad))
    assert client.get("/countries/KEN?format=json").json()["routing"] is None
    assert "No routing data is loaded yet" in client.get("/countries/KEN").text


def test_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path))
    monkeypatch.delenv("OBSERVATORY_DATABASE_URL", raising=False)
    assert runner.invoke(app, ["init"]).exit_code == 0
    none = runner.invoke(app, ["routing", "transit"])
    assert none.exit_code == 1 and "no AS relationships loaded" in none.stderr
    relationships = tmp_path / "20240301.as-rel.txt"
    relationships.write_text(AS_REL)
    for source, location in (("rir", FIXTURES / "delegated-afrinic-extended-20240301"), ("caida-asrel", relationships)):
        assert runner.invoke(app, ["network", "ingest", source, str(location)]).exit_code == 0
    as_json = runner.invoke(app, ["routing", "transit", "--country", "KE", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["as_relationships"]["figures"]["foreign_transit_share"] == pytest.approx(0.75)
    as_csv = runner.invoke(app, ["routing", "transit", "--format", "csv"]).stdout.splitlines()
    assert as_csv[0].startswith("country,registered_asns,known_asns") and as_csv[1].startswith("KEN,3,3")
    table = runner.invoke(app, ["routing", "transit", "--country", "KEN"])
    assert table.exit_code == 0 and "30844" in table.stdout
    assert runner.invoke(app, ["routing", "transit", "--country", "XX"]).exit_code == 2
    cti = runner.invoke(app, ["routing", "cti", str(shared_data(CTI)), "--format", "json"])
    assert cti.exit_code == 0, cti.output
    # Only Kenya has figures in this database, and Kenya is not among CTI's 75 countries.
    assert json.loads(cti.stdout) | {"disagreements": []} == {
        "n": 0,
        "spearman": None,
        "n_covered": 0,
        "spearman_covered": None,
        "disagreements": [],
    }


def test_a_country_whose_networks_the_relationships_barely_know_is_not_described(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """Kenya's three networks, of which the relationships know one: a third is under the half required."""
    _registry_only(engine)
    path = tmp_path / "20240301.as-rel.txt"
    path.write_text("# one Kenyan network only\n30844|36867|-1\n")
    CaidaAsRelationships().run(path, engine)
    with transaction(engine) as session:
        picture = country_transit(session, "KEN")["as_relationships"]
    figures = picture["figures"]
    assert (figures["known_asns"], figures["registered_asns"], figures["published"]) == (1, 3, False)
    assert figures["foreign_transit_share"] is None and figures["foreign_upstreams"] is None
    assert picture["providers"] == [] and picture["providers_total"] == 1
    page = client.get("/countries/KEN")
    assert "Not covered: the AS relationships loaded know 1 of the 3 networks registered in the country" in page.text
    # The country's own figures table is not drawn (its groups' pooled figures, which cover enough, still are).
    assert '<th scope="row">Foreign share of direct transit (per network)</th>' not in page.text
    api = client.get("/api/v1/areas/KEN/transit").json()["as_relationships"]["figures"]
    assert api["published"] is False and api["hhi_foreign"] is None
