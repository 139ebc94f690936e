"""Figures that are complete or say they are not: the derived registry lists, the precedence of official
files, coverage of countries and groups, and the view across countries."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import lzma
import tarfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from observatory.db import transaction
from observatory.network import country_indicators, group_indicators
from observatory.network.models import NetworkIndicator
from observatory.network.service import COVERAGE_THRESHOLD, aggregate, series
from observatory.network.sources.rir import RirDelegated
from observatory.network.sources.rir_lists import (
    CountryIpBlocks,
    NroAsnCountries,
    RirLists,
    parse_blocks,
    parse_list,
    parse_nro,
)
from observatory.reference import rir_regions
from observatory.sources import SourceError
from tests.conftest import shared_data
from tests.network.conftest import FIXTURES

RIR = FIXTURES / "delegated-afrinic-extended-20240301"
ASN_HEADER = "RIR,Country Code,ASN Number,Allocated Date\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _blocks(path: Path, members: dict[str, object]) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, document in members.items():
            data = document if isinstance(document, bytes) else json.dumps(document).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(lzma.compress(buffer.getvalue()))
    return path


def test_a_registry_list_is_read_with_its_registry_kind_and_date(tmp_path: Path) -> None:
    asn = parse_list(
        _write(
            tmp_path / "x_ripencc_asn_by_country_2024-01.csv",
            ASN_HEADER + "ripencc,DE,AS3320,19930901\nripencc,,AS7,00000000\nripencc,EU,AS8,19930901\n",
        )
    )
    assert asn.edition == "ripencc-asn-2024-01" and asn.data_date == dt.date(2024, 1, 1)
    rows = asn.records.to_dicts()
    assert [(r["country"], r["start"], r["is_country"]) for r in rows] == [
        ("DEU", "3320", True),
        ("ZZ", "7", False),  # no country: the registries' own "ZZ"
        ("EU", "8", False),
    ]
    assert rows[1]["delegated"] is None  # 00000000: no date known, counts on every date
    v4 = parse_list(
        _write(
            tmp_path / "x_afrinic_ipv4_by_country_2024-01.csv",
            "RIR,Network,Country Code,Host Number,Allocated Date\n"
            "afrinic,41.0.0.0/11,ZA,2097152,20071126\nafrinic,2001:4200::/123,ZA,32,20050101\n",
        )
    )
    assert v4.records.select("kind", "start", "value").rows() == [("ipv4", "41.0.0.0", 2097152)]
    assert v4.skipped == {"IPv6 lines (not in a form that can be read as a prefix)": 1}


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("RIR,Country,ASN\nripencc,DE,1\n", "not a per-country list", 1),
        (ASN_HEADER + "ripencc,DE,AS3320,19930901\nripencc,DE,ASX1,19930901\n", "AS number 'ASX1' does not parse", 3),
        (ASN_HEADER + "ripencc,DE,AS1,19930901\narin,US,AS2,19930901\n", "one registry expected", None),
        (ASN_HEADER + "ripe,DE,AS1,19930901\n", "one registry expected", None),
        (
            "RIR,Network,Country Code,Host Number,Allocated Date\nafrinic,41.0.0/11,ZA,2097152,20071126\n",
            "block '41.0.0/11' with '2097152' addresses does not parse",
            2,
        ),
    ],
)
def test_a_bad_registry_list_is_refused_naming_the_line(
    tmp_path: Path, text: str, message: str, line: int | None
) -> None:
    with pytest.raises(SourceError) as e:
        parse_list(_write(tmp_path / "x_ripencc_asn_by_country_2024-01.csv", text))
    assert message in str(e.value) and (line is None or f"line {line}" in str(e.value))


def test_country_blocks_are_read_from_the_archive_as_a_stream(tmp_path: Path) -> None:
    path = _blocks(
        tmp_path / "ipverse_country-ip-blocks_aggregated_20260201.tar.xz",
        {
            "country/de/aggregated.json": {"prefixes": {"ipv4": ["2.56.0.0/16", "5.1.0.0/24"], "ipv6": ["2a00::/12"]}},
            "rir-ip-master/country/mw/aggregated.json": {"prefixes": {"ipv4": ["41.70.0.0/15"], "ipv6": []}},
            "../../etc/passwd": b"root:x:0:0",  # a name outside the layout is never read, let alone written
            "README.md": b"# readme",
        },
    )
    parsed = parse_blocks(path)
    assert parsed.edition == "ipverse_country-ip-blocks_aggregated_20260201" and parsed.data_date == dt.date(2026, 2, 1)
    rows = sorted(parsed.records.select("country", "kind", "value").rows())
    assert rows == [("DEU", "ipv4", 256), ("DEU", "ipv4", 65536), ("DEU", "ipv6", 12), ("MWI", "ipv4", 131072)]
    assert not (tmp_path / "country").exists()


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"country/de/aggregated.json": b"{not json"}, "country/de/aggregated.json is not a country prefix list"),
        (
            {"country/de/aggregated.json": {"prefixes": {"ipv4": ["2.56.0.0/33"]}}},
            "prefix '2.56.0.0/33' does not parse",
        ),
        ({"README.md": b"nothing"}, "no country/<cc>/aggregated.json file"),
    ],
)
def test_a_bad_archive_is_refused(tmp_path: Path, members: dict[str, object], message: str) -> None:
    with pytest.raises(SourceError) as e:
        parse_blocks(_blocks(tmp_path / "ipverse_country-ip-blocks_aggregated_20260201.tar.xz", members))
    assert message in str(e.value)
    (tmp_path / "plain.tar.xz").write_bytes(lzma.compress(b"not a tar at all" * 100))
    with pytest.raises(SourceError, match="not a tar archive"):
        parse_blocks(tmp_path / "plain.tar.xz")


def test_the_nro_file_leaves_out_numbers_in_several_countries(tmp_path: Path) -> None:
    path = tmp_path / "ihr_nro_asn-cc-best_20221006.csv.gz"
    path.write_bytes(gzip.compress(b"asn,count,cc\n1,5,BR;CA;FI;US;ZA\n37440,1,MW\n3320,1,DE\n"))
    parsed = parse_nro(path)
    assert parsed.records.select("start", "country").rows() == [("37440", "MWI"), ("3320", "DEU")]
    assert parsed.skipped == {"AS numbers placed in several countries": 1}
    path.write_bytes(gzip.compress(b"asn,count,cc\nAS1,1,MW\n"))
    with pytest.raises(SourceError, match="line 2"):
        parse_nro(path)


def _indicators(engine: Engine, country: str, on: dt.date | None = None) -> dict[str, dict[str, Any]]:
    with transaction(engine) as session:
        return {k: v.as_json() for k, v in country_indicators(session, country, on).items()}


def test_coverage_follows_the_registry_that_serves_the_country(db: Engine, tmp_path: Path) -> None:
    RirDelegated().run(RIR, db)  # AFRINIC official, 2024-03-01
    ripe = _write(
        tmp_path / "x_ripencc_asn_by_country_2024-01.csv",
        ASN_HEADER + "ripencc,DE,AS3320,19930901\nripencc,DE,AS680,19930901\nripencc,KE,AS5,20000101\n",
    )
    RirLists().run(ripe, db)
    de, ke = _indicators(db, "DEU"), _indicators(db, "KEN")
    # Germany: covered up to the RIPE NCC list's date, then not (no RIPE NCC file tells 2024-03-01).
    assert de["asn_count"]["value"] == 2 and de["asn_count"]["covered"] and de["asn_count"]["date"] == "2024-01-01"
    assert de["asn_count"]["source"] == "rir_delegated+rir_lists"  # AFRINIC's file tells its state then too
    assert de["ipv6_prefixes"] == {**de["ipv6_prefixes"], "value": None, "covered": False, "missing": ["ripencc"]}
    # Kenya (AFRINIC): covered on the official file's date; RIPE NCC's one Kenyan number is added from its list.
    assert ke["asn_count"]["value"] == 4 and ke["asn_count"]["date"] == "2024-03-01"
    # Every stored registry value is either covered (a number) or says what it misses (no number).
    with transaction(db) as session:
        rows = session.scalars(select(NetworkIndicator).where(NetworkIndicator.source.contains("rir"))).all()
    assert rows and all((r.missing == "") or (r.value is None) for r in rows)
    regions = rir_regions()
    assert all(r.missing.split(":")[0] == regions.get(r.country, r.missing.split(":")[0]) for r in rows if r.missing)


def test_an_official_file_wins_over_a_derived_list_of_its_date_and_the_difference_is_reported(
    db: Engine, tmp_path: Path
) -> None:
    listed = _write(
        tmp_path / "x_afrinic_asn_by_country_2024-03.csv",
        ASN_HEADER + "afrinic,KE,AS33771,20050101\nafrinic,KE,AS99999,20050101\n",  # 36866–36867 missing, one extra
    )
    RirLists().run(listed, db, recompute=False)
    result = RirDelegated().run(RIR, db)
    assert any("differ on 4 AS numbers; the official file is used" in n for n in result.notes), result.notes
    assert _indicators(db, "KEN")["asn_count"]["value"] == 3  # the official file's 33771 and 36866–36867


def test_groups_are_published_only_above_the_coverage_threshold(db: Engine, tmp_path: Path) -> None:
    RirDelegated().run(RIR, db)
    with transaction(db) as session:
        africa = group_indicators(session, "africa")
        world = group_indicators(session, "WORLD")
        history = series(session, ["KEN", "DEU"], ["asn_count"])
    # Africa is AFRINIC's: covered whole on 2024-03-01.
    assert africa["asn_count"]["published"] and africa["asn_count"]["coverage"] == 1.0
    assert africa["asn_count"]["value"] == 4 and africa["asn_count"]["date"] == "2024-03-01"
    # The world without the four other registries is not published, and says what it misses.
    assert not world["asn_count"]["published"] and world["asn_count"]["value"] is None
    assert world["asn_count"]["coverage"] < COVERAGE_THRESHOLD
    assert set(world["asn_count"]["missing"]) == {"apnic", "arin", "lacnic", "ripencc"}
    # A series over a covered and an uncovered country leaves gaps, never a partial sum.
    assert set(history.get_column("value").to_list()) <= {None}


def test_a_group_value_is_one_date_and_its_coverage_the_population_share(db: Engine) -> None:
    import polars as pl

    rows = pl.DataFrame(
        {
            "country": ["A", "B", "C", "A", "B", "C"],
            "code": ["asn_count"] * 6,
            "date": [dt.date(2024, 1, 1)] * 3 + [dt.date(2026, 1, 1)] * 3,
            "value": [1.0, 2.0, 3.0, 5.0, None, 7.0],
            "numerator": [None] * 6,
            "denominator": [None] * 6,
            "source": ["rir_lists"] * 3 + ["rir_delegated"] * 3,
            "snapshot_date": [dt.date(2024, 1, 1)] * 3 + [dt.date(2026, 1, 1)] * 3,
            "load_id": [1, 1, 1, 2, 2, 2],
            "missing": ["", "", "", "", "ripencc", ""],
        }
    )
    for weight_b, published in ((5.0, True), (20.0, False)):
        weights = pl.DataFrame({"country": ["A", "B", "C"], "weight": [50.0, weight_b, 45.0]})
        out = aggregate(rows, weights, "sum").sort("date")
        latest = out.row(-1, named=True)
        assert out.row(0, named=True)["value"] == 6.0 and out.row(0, named=True)["coverage"] == 1.0
        assert latest["value"] == 12.0 and latest["published"] is published  # B's figure never added
        assert latest["coverage"] == pytest.approx(1 - weight_b / (95.0 + weight_b))


def test_real_files_germany_the_united_states_yemen_and_malawi(sqlite_engine: Engine) -> None:
    """Checked against the raw files, read here independently of the loaders (one database: the rule is
    the same on both, and the other tests run on both)."""
    db = sqlite_engine
    for name in ("delegated-afrinic-extended-20260821.txt.gz", "delegated-apnic-20260618.txt.gz"):
        RirDelegated().run(shared_data(f"network/rir/{name}"), db, recompute=False)
    for rir in ("afrinic", "apnic", "arin", "lacnic", "ripencc"):
        RirLists().run(shared_data(f"network/rir/juerson_{rir}_asn_by_country_2024-01.csv"), db, recompute=False)
    NroAsnCountries().run(shared_data("network/rir/ihr_nro_asn-cc-best_20221006.csv.gz"), db, recompute=False)
    CountryIpBlocks().run(shared_data("network/rir/ipverse_country-ip-blocks_aggregated_20260201.tar.xz"), db)
    listed: dict[str, int] = {}
    for rir in ("afrinic", "apnic", "arin", "lacnic", "ripencc"):
        with shared_data(f"network/rir/juerson_{rir}_asn_by_country_2024-01.csv").open() as f:
            for row in csv.DictReader(f):
                if row["Allocated Date"] <= "20240101":
                    listed[row["Country Code"]] = listed.get(row["Country Code"], 0) + 1
    de, us, ye, mw = (_indicators(db, c) for c in ("DEU", "USA", "YEM", "MWI"))
    for country, alpha2 in ((de, "DE"), (us, "US"), (ye, "YE")):
        assert country["asn_count"]["covered"] and country["asn_count"]["date"] == "2024-01-01"
        assert country["asn_count"]["value"] == listed[alpha2]
        assert country["ipv4_addresses"]["source"] == "country_ip_blocks"  # RIPE NCC / ARIN: the prefix lists
        assert not country["ipv6_prefixes"]["covered"]
    assert de["asn_count"]["value"] > 2500 and us["asn_count"]["value"] > 25_000 and ye["asn_count"]["value"] >= 5
    assert de["ipv4_addresses"]["value"] > 100_000_000 and us["ipv4_addresses"]["value"] > 1_000_000_000
    assert mw["asn_count"]["covered"] and mw["asn_count"]["date"] == "2026-08-21"  # AFRINIC's own file
    assert mw["ipv6_holder_share"]["covered"] and mw["ipv6_per_network"]["value"] is not None


def test_the_view_across_countries_sorts_and_says_what_is_not_covered(client: TestClient, db: Engine) -> None:
    RirDelegated().run(RIR, db)
    page = client.get("/infrastructure", params={"map": "ipv6_per_network", "sort": "asn_count", "order": "desc"})
    assert page.status_code == 200 and "<svg" in page.text
    twin = client.get(
        "/infrastructure", params={"map": "ipv6_per_network", "sort": "asn_count", "order": "desc", "format": "json"}
    ).json()
    first = twin["countries"][0]
    assert first["country"] == "KEN" and first["asn_count"]["value"] == 3
    germany = next(r for r in twin["countries"] if r["country"] == "DEU")
    assert germany["asn_count"] == {**germany["asn_count"], "covered": False, "missing": ["ripencc"], "value": None}
    assert "not covered" in page.text and "RIPE NCC" in page.text
    values = [r["asn_count"]["value"] for r in twin["countries"] if r["asn_count"]["value"] is not None]
    assert values == sorted(values, reverse=True)


def test_a_country_the_directory_does_not_list_has_no_ixp_and_unlisted_members_are_no_zero(db: Engine) -> None:
    from observatory.network.sources.caida_ixp import CaidaIxps
    from observatory.network.sources.pch import PchIxps

    CaidaIxps().run(shared_data("network/caida-ixps/ixs_202401.jsonl"), db)
    for name in ("traixroute_2017-02_ixp_exchange", "traixroute_2017-02_ixp_membership"):
        PchIxps().run(shared_data(f"network/pch/{name}.csv"), db)
    yemen, malawi = _indicators(db, "YEM"), _indicators(db, "MWI")
    assert yemen["ixp_count"] == {**yemen["ixp_count"], "value": 0.0, "covered": True, "date": "2024-01-01"}
    # PCH's 2017 membership file lists no member of Malawi's IXP: it says nothing of them, so no "0 members".
    with transaction(db) as session:
        rows = session.scalars(
            select(NetworkIndicator).where(
                NetworkIndicator.country == "MWI", NetworkIndicator.code.in_(["ixp_members", "ixp_active_count"])
            )
        ).all()
    assert rows == [] and malawi["ixp_count"]["value"] == 1


def test_the_command_line_says_what_is_not_covered(db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from observatory.cli import app

    monkeypatch.setenv("OBSERVATORY_DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "160")
    RirDelegated().run(RIR, db)
    shown = CliRunner().invoke(app, ["network", "show", "--country", "DEU"])
    assert shown.exit_code == 0 and "not covered: ripencc" in shown.output
    world = CliRunner().invoke(app, ["network", "show", "--country", "WORLD"])
    assert world.exit_code == 0 and "coverage" in world.output and "not covered" in world.output


def test_the_derived_lists_load_from_their_public_address_form(
    db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fetched over HTTP as from their addresses (a local server here: tests reach no other host)."""
    import http.server
    import threading
    from functools import partial

    served = tmp_path / "served"
    served.mkdir()
    _write(served / "juerson_ripencc_asn_by_country_2024-01.csv", ASN_HEADER + "ripencc,DE,AS3320,19930901\n")
    _blocks(
        served / "ipverse_country-ip-blocks_aggregated_20260201.tar.xz",
        {"rir-ip-master/country/de/aggregated.json": {"prefixes": {"ipv4": ["2.56.0.0/16"], "ipv6": []}}},
    )
    (served / "ihr_nro_asn-cc-best_20221006.csv.gz").write_bytes(gzip.compress(b"asn,count,cc\n3320,1,DE\n"))
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path / "home"))
    try:
        lists = RirLists().run(f"{root}/juerson_ripencc_asn_by_country_2024-01.csv", db)
        blocks = CountryIpBlocks().run(f"{root}/ipverse_country-ip-blocks_aggregated_20260201.tar.xz", db)
        nro = NroAsnCountries().run(f"{root}/ihr_nro_asn-cc-best_20221006.csv.gz", db)
        with pytest.raises(SourceError, match="HTTP 404"):
            RirLists().run(f"{root}/missing.csv", db)
    finally:
        server.shutdown()
    assert (lists.rows, lists.edition, blocks.rows, nro.rows) == (1, "ripencc-asn-2024-01", 1, 1)
    assert _indicators(db, "DEU")["ipv4_addresses"]["value"] == 65536  # the prefix lists' date
