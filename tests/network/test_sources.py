"""Each source on the real files in ../shared/data/network, and every kind of bad input."""

from __future__ import annotations

import datetime as dt
import gzip
import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from observatory.db import transaction
from observatory.network.models import AsLink, Delegation, Ixp, IxpMember, PrefixOrigin
from observatory.network.sources.caida_ixp import CaidaFacilities, CaidaIxps
from observatory.network.sources.pch import PchIxps, parse_pch
from observatory.network.sources.peeringdb import PeeringDb, PeeringDbCsv, parse_dump
from observatory.network.sources.rir import RirDelegated, parse_rir
from observatory.network.sources.routing_data import ApnicEyeballs, CaidaAsRelationships, CaidaPrefixToAs
from observatory.sources import SourceError
from tests.conftest import shared_data
from tests.network.conftest import FIXTURES

RIR_FIXTURE = FIXTURES / "delegated-afrinic-extended-20240301"


def _count(engine: Engine, model: type) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_rir_extended_real_file_checks_summary_and_keeps_holders() -> None:
    parsed = parse_rir(shared_data("network/rir/delegated-afrinic-extended-20260821.txt.gz"))
    assert (parsed.registry, parsed.extended, parsed.data_date) == ("afrinic", True, dt.date(2026, 8, 21))
    # 19,600 records: 9,907 allocated/assigned kept, the rest counted as skipped.
    assert parsed.records.height == 9907 and parsed.skipped == {"available": 5703, "reserved": 3990}
    assert parsed.records.get_column("holder").null_count() == 0
    ke = parsed.records.filter(pl.col("country") == "KEN")
    assert ke.filter(pl.col("kind") == "asn").get_column("value").sum() == 261


def test_rir_standard_file_apnic_keeps_non_countries() -> None:
    parsed = parse_rir(shared_data("network/rir/delegated-apnic-20260618.txt.gz"))
    assert parsed.registry == "apnic" and not parsed.extended and parsed.records.height == 85300
    ap = parsed.records.filter(pl.col("country") == "AP")
    assert ap.height == 2 and not ap.get_column("is_country").any()


def test_rir_fixture_values_and_skips() -> None:
    parsed = parse_rir(RIR_FIXTURE)
    assert parsed.skipped == {"available": 1, "reserved": 1}
    eu = parsed.records.filter(pl.col("country") == "EU").row(0, named=True)
    assert eu["is_country"] is False and eu["value"] == 256


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("change", "message", "line"),
    [
        (("afrinic|*|asn|*|4|summary", "afrinic|*|asn|*|5|summary"), "summary says 5 asn records, the file has 4", 3),
        (("2|afrinic|20240301|9|", "2|afrinic|20240301|8|"), "version line says 8 records", 2),
        (("|KE|asn|33771|1|", "|KE|asn|4294967296|1|"), "outside 0–4294967295", 6),
        (("2c0f:fe38::", "2c0f:zz::"), "IPv6 address '2c0f:zz::' does not parse", 13),
        (("196.201.208.0", "196.201.300.0"), "IPv4 address '196.201.300.0' does not parse", 10),
        (("|ipv6|2c0f:fe38::|32|", "|ipv6|2c0f:fe38::|129|"), "prefix length 129", 13),
    ],
)
def test_rir_bad_input_names_file_and_line(tmp_path: Path, change: tuple[str, str], message: str, line: int) -> None:
    bad = _write(tmp_path, "delegated-afrinic-extended-20240301", RIR_FIXTURE.read_text().replace(*change))
    with pytest.raises(SourceError) as e:
        parse_rir(bad)
    assert message in str(e.value) and e.value.line == line and str(bad) in str(e.value)


def test_truncated_gzip_is_an_error(tmp_path: Path) -> None:
    whole = gzip.compress(RIR_FIXTURE.read_bytes() * 50)
    cut = tmp_path / "delegated-afrinic-extended-20240301.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(SourceError, match="truncated or corrupt gzip"):
        parse_rir(cut)


def test_failed_load_leaves_the_previous_snapshot(db: Engine, tmp_path: Path) -> None:
    RirDelegated().run(RIR_FIXTURE, db)
    before = _count(db, Delegation)
    bad = _write(tmp_path, RIR_FIXTURE.name, RIR_FIXTURE.read_text().replace("|ipv4|*|3|", "|ipv4|*|7|"))
    with pytest.raises(SourceError, match="summary says 7 ipv4"):
        RirDelegated().run(bad, db)
    assert _count(db, Delegation) == before == 7
    RirDelegated().run(RIR_FIXTURE, db)  # a reload of the same edition replaces, not doubles
    assert _count(db, Delegation) == 7


def test_caida_ixps_pretty_printed_and_line_files() -> None:
    pretty = CaidaIxps().parse(shared_data("network/caida-ixps/ixs_201802.jsonl"))
    lines = CaidaIxps().parse(shared_data("network/caida-ixps/ixs_202401.jsonl"))
    assert pretty.data_date == dt.date(2018, 2, 1) and pretty.ixps.height == 857
    assert lines.data_date == dt.date(2024, 1, 1) and lines.ixps.height == 1489  # 1487 records, 2 in two countries
    assert lines.ixps.filter(pl.col("country") == "KE").height == 9


def test_jsonl_line_that_is_not_json(tmp_path: Path) -> None:
    good = '{"ix_id": 1, "name": "A", "country": "KE", "prefixes": {"ipv4": [], "ipv6": []}}'
    bad = _write(tmp_path, "ixs_202401.jsonl", f"# header\n{good}\n{{not json}}\n")
    with pytest.raises(SourceError) as e:
        CaidaIxps().parse(bad)
    assert e.value.line == 3 and "not JSON" in str(e.value)


def test_pretty_printed_objects_name_the_line_of_what_does_not_parse(tmp_path: Path) -> None:
    head = '# {\n    "date": "2018.09.04"\n}\n{\n    "ix_id": 1,\n    "name": "A",\n    "country": "KE"\n}\n'
    good = CaidaIxps().parse(_write(tmp_path, "ixs_201802.jsonl", head + '{\n  "ix_id": 2,\n  "city": ["X", "Y"]\n}\n'))
    assert good.ixps["ixp_key"].to_list() == ["1", "2"] and good.ixps["city"].to_list() == ["", "['X', 'Y']"]
    with pytest.raises(SourceError, match="not JSON") as e:
        CaidaIxps().parse(_write(tmp_path, "ixs_201802.jsonl", head + '{\n  "ix_id": 2,\n  "name" "B"\n}\n'))
    assert e.value.line == 11
    with pytest.raises(SourceError, match="a JSON record must be an object") as e:
        CaidaIxps().parse(_write(tmp_path, "ixs_201802.jsonl", head + "[1,\n 2]\n"))
    assert e.value.line == 9
    with pytest.raises(SourceError, match="an IXP without ix_id") as e:
        CaidaIxps().parse(_write(tmp_path, "ixs_202401.jsonl", '{"ix_id": 1}\n{"name": "no id"}\n'))
    assert e.value.line == 2


def test_caida_prefix_that_does_not_parse(tmp_path: Path) -> None:
    bad = _write(tmp_path, "ixs_202401.jsonl", '{"ix_id": 1, "name": "A", "prefixes": {"ipv4": ["10.0.0.0/33"]}}\n')
    with pytest.raises(SourceError, match=r"prefix .10\.0\.0\.0/33. does not parse") as e:
        CaidaIxps().parse(bad)
    assert e.value.line == 1


def test_caida_facilities(db: Engine) -> None:
    result = CaidaFacilities().run(shared_data("network/caida-ixps/facilities_202401.jsonl"), db)
    assert result.rows == 1941 and result.data_date == dt.date(2024, 1, 1)


def test_peeringdb_dump_fixture(db: Engine) -> None:
    parsed = parse_dump(FIXTURES / "peeringdb_dump_20240301.json")
    assert parsed.skipped == {"org not ok": 1, "ix not ok": 1, "netixlan not ok": 1}
    assert parsed.ixps.height == 3 and parsed.members.height == 6 and parsed.prefixes.height == 3
    member = parsed.members.filter(pl.col("asn") == 6939).row(0, named=True)
    assert member["country"] == "US" and member["ixp_key"] == "10"  # country via net → org; ix via ixlan
    result = PeeringDb().run(FIXTURES / "peeringdb_dump_20240301.json", db)
    assert result.data_date == dt.date(2024, 3, 1) and _count(db, IxpMember) == 6


def test_peeringdb_object_file_real() -> None:
    parsed = parse_dump(shared_data("network/peeringdb/traixroute_2016-10_ix.json"))
    assert parsed.ixps.height == 557 and parsed.data_date == dt.date(2016, 10, 19)


def test_peeringdb_dump_bad_asn(tmp_path: Path) -> None:
    text = (
        (FIXTURES / "peeringdb_dump_20240301.json").read_text().replace('"asn": 36866, "status"', '"asn": -5, "status"')
    )
    with pytest.raises(SourceError, match="AS number '-5' is not in"):
        parse_dump(_write(tmp_path, "dump.json", text))


def test_peeringdb_csv_extracts(db: Engine) -> None:
    peers = PeeringDbCsv().run(shared_data("network/peeringdb/ihr-ixp-dependency_20221006-ixp-peers.csv"), db)
    assert peers.data_date == dt.date(2022, 10, 6)
    participants = PeeringDbCsv().parse(
        shared_data("network/peeringdb/m-appel_20220412-peeringdb-netixlan-ixp-participants.csv.gz")
    )
    assert participants.ixps.height == 951  # countries from the ixp-info list beside it
    with transaction(db) as session:
        ke = session.scalar(select(func.count()).select_from(Ixp).where(Ixp.country == "KEN"))
    assert ke == 5  # the members file knows the 5 Kenyan IXPs that have members (KIXP icolo has none)


def test_pch_membership_counts_what_it_skips() -> None:
    parsed = parse_pch(shared_data("network/pch/traixroute_2017-02_ixp_membership.csv"))
    assert parsed.data_date == dt.date(2017, 2, 1)
    assert parsed.skipped["members on a subnet of no known exchange"] > 0
    assert parsed.ixps.filter(pl.col("country") == "KEN").height >= 1 and parsed.members.height > 3000
    subnets = parse_pch(shared_data("network/pch/traixroute_2017-02_ixp_subnets.csv"))
    # PCH types its directory by hand: "200.115.82.0 /24", "2001:7f8:18:12:/48", … are counted, not loaded.
    assert subnets.skipped["prefixes that do not parse"] == 25


def test_pch_prefix_lists(db: Engine) -> None:
    result = PchIxps().run(shared_data("network/pch/haensen_ix_ip6.csv"), db)
    assert result.rows > 600


def test_eyeballs_asrel_pfx2as(db: Engine) -> None:
    eyes = ApnicEyeballs().run(shared_data("network/ipv6/apnic_aspop-estimate_20220420.csv.gz"), db)
    assert eyes.rows > 20000 and eyes.data_date == dt.date(2022, 4, 20)
    CaidaAsRelationships().run(shared_data("network/caida-asrel/bgp-simulator_serial-2_test.txt"), db)
    CaidaAsRelationships().run(
        shared_data("network/caida-asrel/afrinic-labs_asn_relationship_africa30-07-2019.csv"), db
    )
    assert _count(db, AsLink) == 371 + 2450
    CaidaPrefixToAs().run(shared_data("network/caida-pfx2as/routeviews-rv6-20210726-0800.pfx2as.gz"), db)
    with transaction(db) as session:
        origins = session.scalar(select(PrefixOrigin.origins).where(PrefixOrigin.prefix == "2001::/32"))
    assert origins == "6939_1101_211722"


def test_asrel_bad_relationship(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="relationship '7' is not -1, 0 or 1") as e:
        CaidaAsRelationships().parse(_write(tmp_path, "x.as-rel2.txt", "# c\n1|2|-1|bgp\n3|4|7|bgp\n"))
    assert e.value.line == 3


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[str]:
    (tmp_path / RIR_FIXTURE.name).write_bytes(RIR_FIXTURE.read_bytes())
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetch_from_an_address(db: Engine, http_root: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path / "home"))
    result = RirDelegated().run(f"{http_root}/{RIR_FIXTURE.name}", db)
    assert result.rows == 7 and result.edition == "afrinic-extended-20240301"
    with pytest.raises(SourceError, match="HTTP 404"):
        RirDelegated().run(f"{http_root}/missing", db)
