"""The indicator sources on the real files, their editions, and every kind of bad input."""

from __future__ import annotations

import gzip
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from observatory.db import transaction
from observatory.indicators.models import Observation
from observatory.indicators.sources import ItuPriceBaskets, OwidMobileCoverage, WdiDatapackage, WorldBankApiCsv
from observatory.indicators.store import EditionNotFound, compare_editions, editions, observations, population
from observatory.sources import SourceError, SourceLoad
from tests.conftest import shared_data
from tests.indicators.conftest import API_CSV, ITU, OWID, WDI, write

HEADER = "Country Name,Country Code,Year,Value\n"
PACKAGE = {
    "name": "sp.pop.totl",
    "worldbank": {"indicator": "sp.pop.totl"},
    "resources": [
        {
            "name": "data",
            "path": "data.csv",
            "schema": {
                "fields": [
                    {"name": "Country Name", "type": "string"},
                    {"name": "Country Code", "type": "string"},
                    {"name": "Year", "type": "year"},
                    {"name": "Value", "type": "number"},
                ]
            },
        }
    ],
}


def package(folder: Path, rows: str, descriptor: dict[str, Any] | None = None) -> Path:
    """A small WDI data package: ``data.csv`` with ``rows`` and its ``datapackage.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "datapackage.json").write_text(json.dumps(descriptor or PACKAGE), encoding="utf-8")
    return write(folder / "data.csv", HEADER + rows)


def counts(engine: Engine) -> tuple[int, int]:
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Observation)) or 0,
            session.scalar(select(func.count()).select_from(SourceLoad)) or 0,
        )


def test_world_bank_api_csv_with_its_metadata(tmp_path: Path) -> None:
    parsed = WorldBankApiCsv().parse(shared_data(API_CSV))
    obs = parsed.observations
    assert obs["indicator"].unique().to_list() == ["IT.NET.USER.ZS"]
    malawi = obs.filter(pl.col("area") == "MWI").sort("year")
    assert malawi.filter(pl.col("year") == 2022)["value"][0] == pytest.approx(27.6609)
    # Aggregates load apart as WB:…; economies without an ISO code are counted, not loaded.
    assert {"WB:WLD", "WB:LDC", "WB:LIC"} <= set(obs["area"])
    assert not {"WLD", "XKX", "CHI"} & set(obs["area"])
    assert parsed.skipped == {"economy without ISO code CHI": 1, "economy without ISO code XKX": 1}
    assert parsed.classes is not None
    classes = {(r["area"], r["scheme"]): r["value"] for r in parsed.classes.iter_rows(named=True)}
    assert classes[("MWI", "wb_income")] == "LIC" and classes[("MWI", "wb_region")] == "Sub-Saharan Africa"
    assert ("WB:WLD", "wb_income") not in classes


def test_world_bank_api_zip_as_the_api_serves_it(tmp_path: Path) -> None:
    import zipfile

    source = shared_data(API_CSV)
    archive = tmp_path / "IT.NET.USER.ZS"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(source, source.name)
        z.write(source.with_name("Metadata_Country_" + source.name), "Metadata_Country_" + source.name)
    parsed = WorldBankApiCsv().parse(archive)
    assert parsed.observations.height == 8318 and parsed.classes is not None and parsed.classes.height > 400


def test_wdi_datapackage_layout_as_copied_and_as_published(tmp_path: Path) -> None:
    parsed = WdiDatapackage().parse(shared_data(WDI) / "sp.pop.totl.csv")
    obs = parsed.observations
    assert obs["indicator"].unique().to_list() == ["SP.POP.TOTL"]
    assert obs.filter((pl.col("area") == "WB:WLD") & (pl.col("year") == 2022))["value"][0] > 7.9e9
    # The data package's own layout: data.csv beside datapackage.json.
    folder = tmp_path / "sp.pop.totl"
    folder.mkdir()
    shutil.copy(shared_data(WDI) / "sp.pop.totl.csv", folder / "data.csv")
    shutil.copy(shared_data(WDI) / "sp.pop.totl.datapackage.json", folder / "datapackage.json")
    assert WdiDatapackage().parse(folder / "datapackage.json").observations.equals(obs)


def test_owid_coverage_and_itu_prices() -> None:
    owid = OwidMobileCoverage().parse(shared_data(OWID)).observations
    assert set(owid["indicator"]) == {"IT_MOB_2GNTWK", "IT_MOB_3GNTWK", "IT_MOB_4GNTWK"}
    ldc = owid.filter(
        (pl.col("area") == "UN:LDC") & (pl.col("year") == 2023) & (pl.col("indicator") == "IT_MOB_4GNTWK")
    )
    assert ldc["value"].to_list() == [56.3]
    assert owid.filter(pl.col("area") == "AFG").height > 30
    itu = ItuPriceBaskets().parse(shared_data(ITU)).observations
    mwi = {(r["indicator"], r["year"]): r["value"] for r in itu.filter(pl.col("area") == "MWI").iter_rows(named=True)}
    assert mwi[("MBB_2GB_GNI", 2024)] == 8.83 and mwi[("FBB_5GB_GNI", 2025)] == 21.11


def test_editions_are_kept_and_compared(empty: Engine, tmp_path: Path) -> None:
    first = package(tmp_path / "a", "Malawi,MWI,2022,20000000\nMalawi,MWI,2023,20500000\n")
    second = package(tmp_path / "b", "Malawi,MWI,2022,20568728\nMalawi,MWI,2024,21655286\n")
    assert WdiDatapackage("2024-07-01").run(first, empty).rows == 2
    assert WdiDatapackage("2025-07-01").run(second, empty).rows == 2
    with transaction(empty) as session:
        latest = observations(session, "SP.POP.TOTL", ["MWI"])
        assert latest["value"].to_list() == [20568728, 21655286] and set(latest["edition"]) == {"2025-07-01"}
        older = observations(session, "sp.pop.totl", ["MWI"], edition="2024-07-01")
        assert older["value"].to_list() == [20000000, 20500000]
        diff = compare_editions(session, "SP.POP.TOTL", "2024-07-01", "2025-07-01").to_dicts()
        assert diff == [
            {"area": "MWI", "year": 2022, "old": 20000000.0, "new": 20568728.0, "change": 568728.0},
            {"area": "MWI", "year": 2023, "old": 20500000.0, "new": None, "change": None},
            {"area": "MWI", "year": 2024, "old": None, "new": 21655286.0, "change": None},
        ]
        assert [e["edition"] for e in editions(session)] == ["2025-07-01", "2024-07-01"]
        assert population(session, "MWI", 2024).to_dicts() == [{"area": "MWI", "year": 2024, "population": 21655286}]
        with pytest.raises(EditionNotFound):
            observations(session, "SP.POP.TOTL", edition="1999")
        with pytest.raises(KeyError, match="unknown indicator"):
            observations(session, "XX.NOPE")


BAD_INPUTS = {
    "unknown indicator": (
        {**PACKAGE, "worldbank": {"indicator": "xx.nope"}},
        "Malawi,MWI,2022,1\n",
        "unknown indicator code 'xx.nope'",
    ),
    "not an ISO code": (
        None,
        "Malawi,MWI,2022,1\nNowhere,ZZZ,2022,2\n",
        "line 3: not an ISO 3166-1 alpha-3 country code nor a World Bank aggregate: 'ZZZ'",
    ),
    "truncated row": (None, "Malawi,MWI,2022,1\nMalawi,MWI,20", "line 3: 3 fields where the header has 4"),
    "not a number": (None, "Malawi,MWI,2022,1\nMalawi,MWI,2023,lots\n", "line 3: column 'Value' is not a number"),
    "schema mismatch": (
        {
            **PACKAGE,
            "resources": [
                {
                    "path": "data.csv",
                    "schema": {
                        "fields": [
                            {"name": "Country", "type": "string"},
                            {"name": "Code", "type": "string"},
                            {"name": "Year", "type": "year"},
                            {"name": "Value", "type": "number"},
                        ]
                    },
                }
            ],
        },
        "Malawi,MWI,2022,1\n",
        "are not the WDI layout",
    ),
    "duplicate": (None, "Malawi,MWI,2022,1\nMalawi,MWI,2022,2\n", "the same indicator, area and year twice"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_and_the_previous_edition_stays(empty: Engine, tmp_path: Path, case: str) -> None:
    WdiDatapackage("2024").run(package(tmp_path / "good", "Malawi,MWI,2022,20000000\n"), empty)
    before = counts(empty)
    descriptor, rows, message = BAD_INPUTS[case]
    with pytest.raises(SourceError, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        WdiDatapackage("2025").run(package(tmp_path / "bad", rows, descriptor), empty)
    assert "data" in str(raised.value)  # names the file
    assert counts(empty) == before
    with transaction(empty) as session:
        assert observations(session, "SP.POP.TOTL")["value"].to_list() == [20000000]


def test_header_not_matching_the_schema_and_corrupt_files(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    csv_path = package(folder, "Malawi,MWI,2022,1\n")
    write(csv_path, "Country Name,Country Code,Year,Amount\nMalawi,MWI,2022,1\n")
    with pytest.raises(SourceError, match="line 1: the header"):
        WdiDatapackage().parse(csv_path)
    write(folder / "datapackage.json", "{not json")
    with pytest.raises(SourceError, match="not a JSON data package descriptor"):
        WdiDatapackage().parse(csv_path)
    (folder / "datapackage.json").unlink()
    with pytest.raises(SourceError, match="no data package descriptor"):
        WdiDatapackage().parse(csv_path)
    cut = tmp_path / "API_IT.NET.USER.ZS_cut.csv"
    cut.write_bytes(gzip.compress(shared_data(API_CSV).read_bytes())[:5000])
    with pytest.raises(SourceError, match="truncated or corrupt"):
        WorldBankApiCsv().parse(cut)
    wide = write(
        tmp_path / "API_X.csv", "Country Name,Country Code,Indicator Name,Indicator Code,2020\nWorld,WLD,Foo,XX.FOO,1\n"
    )
    with pytest.raises(SourceError, match=r"line 2: unknown indicator code 'XX\.FOO'"):
        WorldBankApiCsv().parse(wide)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server for the download path (the machines have no Internet)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()


def test_download_from_a_url(
    empty: Engine, server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path / "home"))
    url, root = server
    package(root / "sp.pop.totl", "Malawi,MWI,2022,20568728\nWorld,WLD,2022,7950000000\n")
    result = WdiDatapackage("2026-07-01").run(f"{url}/sp.pop.totl/data.csv", empty)
    assert result.rows == 2
    with transaction(empty) as session:
        load = session.scalars(select(SourceLoad).where(SourceLoad.id == result.load_id)).one()
        assert load.location == f"{url}/sp.pop.totl/data.csv" and load.data_date is not None
        assert sorted(observations(session, "SP.POP.TOTL")["area"]) == ["MWI", "WB:WLD"]
    with pytest.raises(SourceError, match="HTTP 404"):
        WdiDatapackage().run(f"{url}/missing/data.csv", empty)
