"""Loading a data folder through the source registry: every known file found (exactly the files the folder
loader has always read), files already loaded skipped, a bad file reported alone."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory import network
from observatory.data.service import Job, jobs, load
from observatory.sources import SourceLoad
from tests.conftest import shared_data

ITU = "indicators/itu_price_baskets_via_noah-taehwan/itu_affordability_latest.csv"
CAIDA = "network/caida-ixps/ixs_202401.jsonl"
QUARTERS = ["201802", "201807", "201810", *(f"{y}{m}" for y in range(2019, 2024) for m in ("01", "04", "07", "10")),
            "202401"]  # fmt: skip
# What ``observatory data load ../shared/data`` reads (100 files), by source: what the folder loader always
# read (79 files) less the simulator's test fixture, and since issue 13 the AS names, IHR's hegemony and IXP
# dependency, and the registries' derived lists.
SHARED_FILES = {
    "itu_price_baskets": ["indicators/itu_price_baskets_via_noah-taehwan/itu_affordability_latest.csv"],
    "owid_sdg9c1": [
        "indicators/owid_sdg9c1_mobile_network_coverage/population-covered-by-mobile-network-by-network-capability.csv"
    ],
    "worldbank_api": ["indicators/worldbank_it.net.user.zs_2024-11/API_IT.NET.USER.ZS_DS2_en_csv_v2_2160.csv"],
    "worldbank_wdi": [f"indicators/worldbank_wdi_datasets-wdi/{s}.csv"
                      for s in ("it.cel.sets.p2", "it.mlt.main.p2", "it.net.bbnd.p2", "sp.pop.totl")],
    "apnic_eyeballs": ["network/ipv6/apnic_aspop-estimate_20220420.csv.gz"],
    "caida_asrel": [f"network/caida-asrel/{n}" for n in (
        "afrinic-labs_asn_relationship30-07-2019_first1000.csv", "afrinic-labs_asn_relationship_africa01-08-2019.csv",
        "afrinic-labs_asn_relationship_africa30-07-2019.csv")],
    "as_names": ["network/caida-asrel/afrinic-labs_asn_relationship30-07-2019_first1000.csv",
                 "network/caida-asrel/afrinic-labs_asn_relationship_africa01-08-2019.csv",
                 "network/caida-asrel/afrinic-labs_asn_relationship_africa30-07-2019.csv",
                 "network/hegemony/ihr_country-as-hegemony_classifiedAS_2019.txt.gz",
                 "network/ipv6/apnic_aspop-estimate_20220420.csv.gz",
                 "network/transit/caida-cti_combined_joint_cti_hegemony.csv"],
    "ihr_hegemony": [f"network/hegemony/ihr_global_AS_hegemony_{d}.csv.gz" for d in ("20220720", "20230801")],
    "ihr_ixp_dependency": [f"network/hegemony/ihr-ixp-dependency_{n}.csv" for n in (
        "ark.2022-09-19.ixp_table", "ark.2022-09-19.per_as_ixp_dependencies", "atlas.2022-10-03.ixp_regionality",
        "atlas.2022-10-03.ixp_table", "atlas.2022-10-03.per_as_ixp_dependencies")],
    "rir_lists": [f"network/rir/juerson_{n}_by_country_2024-01.csv" for n in (
        "afrinic_asn", "afrinic_ipv4", "apnic_asn", "arin_asn", "lacnic_asn")]
    + ["network/rir/juerson_lacnic_ipv4_by_country_2024-01.csv.gz",
       "network/rir/juerson_ripencc_asn_by_country_2024-01.csv"],
    "country_ip_blocks": ["network/rir/ipverse_country-ip-blocks_aggregated_20260201.tar.xz"],
    "nro_asn_countries": ["network/rir/ihr_nro_asn-cc-best_20221006.csv.gz"],
    "caida_facilities": [f"network/caida-ixps/facilities_{q}.jsonl" for q in QUARTERS],
    "caida_ixp": [f"network/caida-ixps/ixs_{q}.jsonl" for q in QUARTERS],
    "caida_pfx2as": ["network/caida-pfx2as/routeviews-rv6-20210726-0800.pfx2as.gz"],
    "pch": [f"network/pch/{n}.csv" for n in ("haensen_ix_ip4", "haensen_ix_ip6", "traixroute_2017-02_ixp_exchange",
                                             "traixroute_2017-02_ixp_membership", "traixroute_2017-02_ixp_subnets")],
    "peeringdb": [f"network/peeringdb/traixroute_2016-10_{k}.json" for k in ("ix", "ixlan", "ixpfx")],
    "peeringdb_csv": [f"network/peeringdb/{n}" for n in (
        "ihr-ixp-dependency_20221006-ixp-peers.csv", "ihr-ixp-dependency_20221006-ixp.csv",
        "m-appel_20220408-peeringdb-ixp-info.csv", "m-appel_20220408-peeringdb-ixp-prefixes.csv",
        "m-appel_20220412-peeringdb-netixlan-ixp-participants.csv.gz")],
    "rir_delegated": [f"network/rir/delegated-{n}.txt.gz" for n in (
        "afrinic-extended-20230323", "afrinic-extended-20260821", "apnic-20260618", "lacnic-extended-20230323",
        "lacnic-extended-20240208")],
}  # fmt: skip
EDITIONS = {"worldbank_api": "2024-11", "worldbank_wdi": "2026-07-01", "itu_price_baskets": "2025-12-02"}


def test_every_shared_file_has_a_source_and_only_those() -> None:
    root = shared_data("indicators").parent
    found = jobs(root)
    assert len(found) == 100
    by_source: dict[str, list[str]] = {}
    for job in found:
        by_source.setdefault(job.source, []).append(job.path.relative_to(root).as_posix())
    assert {k: sorted(v) for k, v in by_source.items()} == {k: sorted(v) for k, v in SHARED_FILES.items()}
    # Indicators first: the network indicators use population.
    order = ["indicators", "network", "routing"]
    assert [j.capability for j in found] == sorted((j.capability for j in found), key=order.index)
    assert {j.source: j.edition for j in found if j.edition} == EDITIONS
    assert not any(j.path.suffix == ".md" or "mrt" in j.path.parts for j in found)


def test_a_job_takes_an_earlier_command_line_name_for_its_source(tmp_path: Path) -> None:
    assert Job("network", "caida-ixp", tmp_path / "ixs_202401.jsonl").source == "caida_ixp"
    assert Job("network", "rir_delegated", tmp_path / "x").source == "rir_delegated"


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
    assert first["prices.csv"].detail.endswith("edition 2025-12-02")
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


def test_a_folder_load_recomputes_the_registry_figures_once_after_all_their_sources(
    sqlite_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rir = tmp_path / "network" / "rir"
    rir.mkdir(parents=True)
    fixture = Path(__file__).resolve().parents[1] / "network" / "fixtures" / "delegated-afrinic-extended-20240301"
    (rir / "delegated-afrinic-extended-20240301").write_bytes(fixture.read_bytes())
    (rir / "juerson_ripencc_asn_by_country_2024-01.csv").write_text(
        "RIR,Country Code,ASN Number,Allocated Date\nripencc,DE,AS3320,19930901\n", encoding="utf-8"
    )
    with caplog.at_level(logging.INFO, logger="observatory.network.compute"):
        outcomes = list(load(jobs(tmp_path), sqlite_engine))
    assert [o.status for o in outcomes] == ["loaded", "loaded"]
    assert sum("registry and IXP indicator values" in r.getMessage() for r in caplog.records) == 1
    with Session(sqlite_engine) as session:
        germany = network.country_indicators(session, "DEU")["asn_count"]
        kenya = network.country_indicators(session, "KEN")["asn_count"]
    assert (germany.value, germany.covered, kenya.value) == (1, True, 3)  # both sources' records counted
