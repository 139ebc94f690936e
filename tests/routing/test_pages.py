"""The routing section of a country page with IHR's hegemony, and the page of each AS (``/networks/{asn}``): names
beside numbers, links, sources named as readers know them, no command line, a 404 for an AS nothing is known about."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete

from observatory.data.service import sources
from observatory.db import transaction
from observatory.network.models import DATA_TABLES
from observatory.routing.models import AsHegemony, CountryDependency
from observatory.sources import SourceLoad

REGISTRY = """2|afrinic|20240301|3|19910301|20240229|+0000
afrinic|*|asn|*|3|summary
afrinic|KE|asn|33771|1|20050101|allocated|H1
afrinic|KE|asn|36866|1|20060101|assigned|H2
afrinic|ZA|asn|30844|1|20040101|allocated|H3
"""
ASREL = (
    '"provider","provider_cc","provider_name","customer","customer_cc","customer_name","type"\n'
    '174,"US","COGENT-174",33771,"KE","SAFARICOM-LIMITED",-1\n'
    '30844,"ZA","LIQUID-AS",33771,"KE","SAFARICOM-LIMITED",-1\n'
    '30844,"ZA","LIQUID-AS",36866,"KE","JTL",-1\n'
)
CTI = "asn,cti,hegemony\n174-Cogent Communications,0.1,0.08\n"
IHR = {
    "ihr_global_AS_hegemony_20220720.csv": "asn,hege\n174,0.0907\n30844,0.0008\n33771,0.00002\n",
    "ihr_global_AS_hegemony_20230801.csv": "asn,hege\n174,0.0805\n30844,0.0009\n33771,0.00003\n36866,0.000001\n",
}


def _empty(engine: Engine) -> None:
    with transaction(engine) as session:
        for table in (*DATA_TABLES, AsHegemony, CountryDependency):
            session.execute(delete(table))
        session.execute(delete(SourceLoad))


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A registry, AS relationships, AS names and IHR's hegemony of two dates, through their sources (emptied
    again after the test: PostgreSQL keeps rows between tests)."""
    _empty(engine)
    files = {
        "delegated-afrinic-extended-20240301": ("rir_delegated", REGISTRY),
        "afrinic-labs_asn_relationship_africa30-07-2019.csv": ("caida_asrel", ASREL),
        "caida-cti_combined_joint_cti_hegemony.csv": ("as_names", CTI),
        **{name: ("ihr_hegemony", text) for name, text in IHR.items()},
    }
    registry = sources()
    for name, (source, text) in files.items():
        path = tmp_path / name
        path.write_text(text)
        registry[source]().run(path, engine)
    (tmp_path / "asrel-names.csv").write_text(ASREL)
    registry["as_names"]().run(tmp_path / "asrel-names.csv", engine)
    yield engine
    _empty(engine)


def _section(html: str) -> str:
    found = re.search(r'<section id="routing".*?</section>', html, re.S)
    assert found, "no routing section"
    return found.group(0)


def test_the_country_section_ranks_ihr_hegemony_with_names_and_links(loaded: Engine, client: TestClient) -> None:
    page = client.get("/countries/KEN")
    assert page.status_code == 200
    section = _section(page.text)
    assert "Global AS hegemony (Internet Health Report)" in section
    assert "2023-08-01, 2022-07-20." in section
    networks, providers = re.findall(r"<table><caption>.*?</table>", section, re.S)[-2:]
    # the country's networks, most central first, each named and linked to its page
    assert networks.index('href="/networks/33771"') < networks.index('href="/networks/36866"')
    assert "AS33771</a> SAFARICOM-LIMITED" in networks and "0.0000300" in networks
    # their providers, ranked: Cogent first, with CAIDA's organisation name
    assert providers.index("AS174</a> Cogent Communications") < providers.index("AS30844</a> LIQUID-AS")
    assert "0.0805" in providers and "0.0907" in providers
    assert "(?)" not in section  # no provider without its name
    assert not re.search(r"observatory (routing|data|network) |--store", section)  # no command line
    data = client.get("/countries/KEN?format=json").json()["routing"]
    ihr = data["ihr_hegemony"]
    assert ihr["dates"] == ["2023-08-01", "2022-07-20"]
    assert [r["asn"] for r in ihr["providers"]["rows"]] == [174, 30844]
    assert ihr["providers"]["rows"][0]["hegemony"] == {"2023-08-01": 0.0805, "2022-07-20": 0.0907}
    assert {p["asn"]: p["name"] for p in data["as_relationships"]["providers"]} == {
        174: "Cogent Communications",
        30844: "LIQUID-AS",
    }
    api = client.get("/api/v1/areas/KEN/transit")
    assert api.status_code == 200, api.text
    assert api.json()["ihr_hegemony"]["providers"]["rows"][0] == {
        "rank": 1,
        "asn": 174,
        "name": "Cogent Communications",
        "country": "USA",  # no loaded registry file holds 174: the AS relationships file says US
        "hegemony": {"2023-08-01": 0.0805, "2022-07-20": 0.0907},
    }


def test_the_page_of_an_as_says_what_is_known_and_where_from(loaded: Engine, client: TestClient) -> None:
    page = client.get("/networks/33771")
    assert page.status_code == 200
    assert "<h1>AS33771 SAFARICOM-LIMITED</h1>" in page.text
    assert "Internet Health Report" in page.text and "AFRINIC" in page.text
    assert 'href="/networks/174"' in page.text and 'href="/countries/KEN#routing"' in page.text
    assert "H1" not in re.sub(r"<[^>]+>", " ", page.text).split()  # the registry's holder id is no name
    data = client.get("/networks/33771?format=json").json()
    assert data["name"] == "SAFARICOM-LIMITED" and data["country"] == "KEN"
    assert data["registry"]["rir"] == "afrinic"
    assert data["hegemony"] == [
        {"source": "ihr_hegemony", "points": [["2022-07-20", 0.00002], ["2023-08-01", 0.00003]]}
    ]
    assert [p["asn"] for p in data["relationships"]["providers"]] == [174, 30844]


def test_an_as_nothing_is_known_about_is_not_found(loaded: Engine, client: TestClient) -> None:
    assert client.get("/networks/64999").status_code == 404
    assert client.get("/networks/not-a-number").status_code == 404
    assert client.get("/networks/99999999999").status_code == 404
    moved = client.get("/networks/AS174", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == "/networks/174"
