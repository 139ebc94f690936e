"""Loading a data folder: every known file found, files already loaded skipped, a bad file reported alone."""

from __future__ import annotations

import gzip
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.data.service import jobs, load
from observatory.sources import SourceLoad
from tests.conftest import shared_data

ITU = "indicators/itu_price_baskets_via_noah-taehwan/itu_affordability_latest.csv"
CAIDA = "network/caida-ixps/ixs_202401.jsonl"


def test_every_shared_file_has_a_source() -> None:
    root = shared_data("indicators").parent
    found = jobs(root)
    by_source: dict[str, int] = {}
    for job in found:
        by_source[job.source] = by_source.get(job.source, 0) + 1
    # Indicators first: the network indicators use population.
    assert [j.capability for j in found] == sorted((j.capability for j in found), key=["indicators", "network"].index)
    assert by_source["worldbank_wdi"] == 4
    assert by_source["caida-ixp"] == by_source["caida-facilities"] == 24
    assert by_source["rir"] == 5
    assert not any(j.path.suffix == ".md" or "mrt" in j.path.parts for j in found)


def test_loading_twice_loads_once_and_a_bad_file_fails_alone(sqlite_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "indicators" / "itu_price_baskets_via_noah-taehwan").mkdir(parents=True)
    (tmp_path / "indicators" / "itu_price_baskets_via_noah-taehwan" / "prices.csv").write_bytes(
        shared_data(ITU).read_bytes()
    )
    (tmp_path / "network" / "caida-ixps").mkdir(parents=True)
    (tmp_path / "network" / "caida-ixps" / "ixs_202401.jsonl").write_bytes(shared_data(CAIDA).read_bytes())
    (tmp_path / "network" / "rir").mkdir()
    whole = gzip.compress(b"2|afrinic|20240101|3|19700101|20240101|+0000\n" * 2000)
    (tmp_path / "network" / "rir" / "delegated-afrinic-20240101").write_bytes(whole[: len(whole) // 2])

    first = {o.job.path.name: o for o in load(jobs(tmp_path), sqlite_engine)}
    assert first["prices.csv"].status == "loaded"
    assert first["ixs_202401.jsonl"].status == "loaded"
    assert first["delegated-afrinic-20240101"].status == "failed"
    assert "delegated-afrinic-20240101" in first["delegated-afrinic-20240101"].detail

    second = {o.job.path.name: o.status for o in load(jobs(tmp_path), sqlite_engine)}
    assert second == {
        "prices.csv": "unchanged",
        "ixs_202401.jsonl": "unchanged",
        "delegated-afrinic-20240101": "failed",
    }
    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(SourceLoad)) == 2
