"""The infrastructure section of country and group pages, the IXP world map, the catalogue and the API."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete

from observatory.db import transaction
from observatory.indicators import INFRASTRUCTURE
from observatory.network.models import DATA_TABLES
from observatory.network.sources.caida_ixp import CaidaIxps
from observatory.network.sources.peeringdb import PeeringDb
from observatory.network.sources.rir import RirDelegated
from observatory.sources import SourceLoad
from tests.conftest import shared_data
from tests.network.conftest import FIXTURES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "network.md"


def _load(engine: Engine) -> None:
    with transaction(engine) as session:
        for table in DATA_TABLES:
            session.execute(delete(table))
        session.execute(delete(SourceLoad))
    RirDelegated().run(FIXTURES / "delegated-afrinic-extended-20240301", engine)
    PeeringDb().run(FIXTURES / "peeringdb_dump_20240301.json", engine)
    for month in ("201802", "202001", "202401"):
        CaidaIxps().run(shared_data(f"network/caida-ixps/ixs_{month}.jsonl"), engine)


def test_country_page_has_the_infrastructure_section(client: TestClient, engine: Engine) -> None:
    _load(engine)
    twin = client.get("/countries/KEN?format=json").json()["infrastructure"]
    # The hand-made PeeringDB dump (2024-03-01) is newer than CAIDA's 2024-01 file, so it gives today's count.
    assert twin["indicators"]["ixp_count"] == {
        "value": 2,
        "covered": True,
        "missing": [],
        "source": "peeringdb",
        "snapshot_date": "2024-03-01",
        "date": "2024-03-01",
    }
    assert [p["value"] for p in twin["history"]["ixp_count"]] == [3, 5, 8]  # CAIDA 2018-02, 2020-01, 2024-01
    assert {c["group"] for c in twin["comparison"]} >= {"africa"}
    page = client.get("/countries/KEN")
    assert page.status_code == 200
    assert 'id="infrastructure"' in page.text and "<svg" in page.text and "ixp_national_member_share" in page.text
    # Sources by the names readers know, the stored id kept in the title.
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", page.text, flags=re.S))
    assert "<td>Regional Internet registries</td>" in page.text and "rir_delegated" not in visible
    french = client.get("/countries/KEN?lang=fr")
    assert "Infrastructure Internet" in french.text and "Registres Internet régionaux" in french.text
    weight = len(gzip.compress(page.content))
    assert weight < 20_000, weight


def test_group_page_and_world_map(client: TestClient, engine: Engine) -> None:
    _load(engine)
    group = client.get("/groups/africa?format=json").json()["infrastructure"]
    assert group["indicators"]["ixp_count"]["value"] > 40 and group["indicators"]["ixp_count"]["countries"] > 20
    world = client.get("/infrastructure?sort=ixp_count&order=desc&format=json").json()
    assert world["countries"][0]["country"] == "USA" and world["sort"] == "ixp_count"
    page = client.get("/infrastructure")
    # One map and the table of every country (249 rows).
    assert page.status_code == 200 and "<svg" in page.text and len(gzip.compress(page.content)) < 30_000
    catalogue = client.get("/infrastructure/indicators")
    assert all(f'id="{i.code}"' in catalogue.text for i in INFRASTRUCTURE.values())


def test_api_country_group_series_export(client: TestClient, engine: Engine) -> None:
    _load(engine)
    ke = client.get("/api/v1/areas/KE/infrastructure").json()
    assert ke["country"] == "KEN" and ke["indicators"]["asn_count"]["source"] == "rir_delegated"
    old = client.get("/api/v1/areas/KEN/infrastructure", params={"date": "2019-01-01"}).json()
    assert old["indicators"]["ixp_count"] == {"value": 3.0, "covered": True, "missing": [], "source": "caida_ixp",
                                              "snapshot_date": "2018-02-01", "date": "2018-02-01"}  # fmt: skip
    assert client.get("/api/v1/areas/QQQ/infrastructure").status_code == 404
    assert client.get("/api/v1/areas/WB:WLD/infrastructure").status_code == 404  # a published aggregate: no members
    world = client.get("/api/v1/areas/world/infrastructure").json()  # the one area rule: any case, the world too
    assert world["country"] == "WORLD" and world["indicators"]["asn_count"]["countries"] >= 2
    assert client.get("/api/v1/areas/EU/infrastructure").json()["indicators"]["ipv4_addresses"]["value"] == 256
    series = client.get("/api/v1/areas/LDC/infrastructure/series", params={"indicator": "ixp_count"}).json()
    assert [r["date"] for r in series] == ["2018-02-01", "2020-01-01", "2024-01-01"]
    assert client.get("/api/v1/areas/KEN/infrastructure/series", params={"indicator": "nope"}).status_code == 422
    csv = client.get("/api/v1/network/export")
    assert csv.text.startswith("country,code,date,value")
    assert len(client.get("/api/v1/network/indicators").json()) == len(INFRASTRUCTURE)


def test_catalogue_is_documented() -> None:
    text = DOCS.read_text()
    missing = [i.code for i in INFRASTRUCTURE.values() if f"`{i.code}`" not in text]
    assert missing == []
