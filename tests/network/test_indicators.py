"""Indicators per country and group, history, and what other capabilities read (asn_countries, eyeballs)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from observatory.cli import app
from observatory.db import transaction
from observatory.network import asn_countries, country_indicators, eyeballs, group_indicators, ixp_map, series
from observatory.network.service import ingest
from observatory.network.sources.caida_ixp import CaidaIxps
from observatory.network.sources.peeringdb import PeeringDb
from observatory.network.sources.rir import RirDelegated
from observatory.network.sources.routing_data import ApnicEyeballs
from tests.conftest import shared_data
from tests.network.conftest import FIXTURES

RIR = FIXTURES / "delegated-afrinic-extended-20240301"
DUMP = FIXTURES / "peeringdb_dump_20240301.json"


def _values(engine: Engine, country: str, on: dt.date | None = None) -> dict[str, float | None]:
    with transaction(engine) as session:
        return {k: v.value for k, v in country_indicators(session, country, on).items()}


def test_fixture_indicators_by_hand(db: Engine, tmp_path: Path) -> None:
    # Registry first, IXPs second; then the other order must give the same values.
    RirDelegated().run(RIR, db)
    PeeringDb().run(DUMP, db)
    ke = _values(db, "KEN")
    assert ke["asn_count"] == 3  # 33771 and the range 36866–36867
    assert ke["ipv4_addresses"] == 4096 + 65536
    assert ke["ipv6_prefixes"] == 1
    assert ke["ipv6_holder_share"] == 0.5  # holders H1 (has IPv6) and H2
    assert ke["ixp_count"] == 2 and ke["ixp_active_count"] == 1 and ke["ixp_members"] == 4
    assert ke["ixp_national_member_share"] == 0.5  # 33771, 36866 Kenyan; 30844 South African; 6939 US (org)
    assert ke["asn_at_domestic_ixp_share"] == pytest.approx(2 / 3)
    za = _values(db, "ZAF")
    assert za["asn_at_domestic_ixp_share"] == 1.0 and za["ixp_active_count"] == 0
    assert _values(db, "EU")["ipv4_addresses"] == 256  # kept, though not a country
    # History rebuilt from delegation dates: at the end of 2006 Kenya held 3 ASNs and no IPv4 yet.
    ke_2006 = _values(db, "KEN", dt.date(2006, 12, 31))
    assert ke_2006["asn_count"] == 3 and ke_2006["ipv4_addresses"] == 0  # covered: none delegated yet
    assert _values(db, "KEN", dt.date(2005, 12, 31))["asn_count"] == 1


def test_order_of_loads_does_not_matter(db: Engine) -> None:
    PeeringDb().run(DUMP, db)
    assert "asn_at_domestic_ixp_share" not in _values(db, "KEN")
    RirDelegated().run(RIR, db)
    assert _values(db, "KEN")["asn_at_domestic_ixp_share"] == pytest.approx(2 / 3)


def test_asn_countries_and_eyeballs_for_routing(db: Engine) -> None:
    RirDelegated().run(RIR, db)
    ApnicEyeballs().run(shared_data("network/ipv6/apnic_aspop-estimate_20220420.csv.gz"), db)
    with transaction(db) as session:
        mapping = asn_countries(session)
        old = asn_countries(session, dt.date(2005, 6, 1))
        users = eyeballs(session)
    assert mapping.schema == pl.Schema({"asn": pl.Int64, "country": pl.String})
    assert sorted(mapping.filter(pl.col("country") == "KEN").get_column("asn").to_list()) == [33771, 36866, 36867]
    assert sorted(old.get_column("asn").to_list()) == [30844, 33771]  # 36866–36867 came in 2006
    safaricom = users.filter(pl.col("asn") == 33771).row(0, named=True)
    assert safaricom["country"] == "KEN" and safaricom["users"] > 1_000_000


def test_real_data_kenya_and_bangladesh(db: Engine) -> None:
    for name in ("delegated-afrinic-extended-20260821.txt.gz", "delegated-apnic-20260618.txt.gz"):
        RirDelegated().run(shared_data(f"network/rir/{name}"), db)
    for month in ("201802", "202401"):
        CaidaIxps().run(shared_data(f"network/caida-ixps/ixs_{month}.jsonl"), db)
    ke, bd = _values(db, "KEN"), _values(db, "BGD")
    assert ke["ixp_count"] == 8 and ke["asn_count"] == 262  # 261 from AFRINIC + 1 Kenyan ASN in APNIC's file
    assert bd["ixp_count"] == 11 and (bd["ipv6_prefixes"] or 0) > 1000
    assert _values(db, "KEN", dt.date(2019, 1, 1))["ixp_count"] == 3
    with transaction(db) as session:
        history = series(session, ["KEN"], ["ixp_count"])
        ldc = group_indicators(session, "LDC", dt.date(2024, 6, 1))
        world = ixp_map(session)
    assert history.get_column("value").to_list() == [3.0, 8.0]  # KIXP Nairobi listed twice, counted once
    assert (ldc["ixp_count"]["value"] or 0) > 50 and ldc["ixp_count"]["countries"] > 30
    assert world["KEN"].value == 8


def test_cli_ingest_and_show(db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path))
    runner = CliRunner()
    loaded = runner.invoke(app, ["network", "ingest", "rir_delegated", str(RIR)])
    assert loaded.exit_code == 0 and "7 rows" in loaded.output and "1 available" in loaded.output
    runner.invoke(app, ["network", "ingest", "peeringdb", str(DUMP)])
    shown = runner.invoke(app, ["network", "show", "--country", "KE", "--format", "json"])
    document = json.loads(shown.stdout)
    assert document["country"] == "KEN"
    assert document["indicators"]["asn_count"] == {
        "value": 3.0,
        "covered": True,
        "missing": [],
        "source": "rir_delegated",
        "snapshot_date": "2024-03-01",
        "date": "2024-03-01",
    }
    table = runner.invoke(app, ["network", "show", "--country", "KEN", "--source", "peeringdb"])
    assert "ixp_members" in table.output and "asn_count" not in table.output
    bad = tmp_path / RIR.name
    bad.write_text(RIR.read_text().replace("|asn|*|4|", "|asn|*|9|"))
    failed = runner.invoke(app, ["network", "ingest", "rir", str(bad)])
    assert failed.exit_code == 1 and "line 3" in failed.output and "summary says 9 asn" in failed.output
    unknown = runner.invoke(app, ["network", "show", "--country", "XX1"])
    assert unknown.exit_code == 2
    assert runner.invoke(app, ["network", "ingest", "nope", str(RIR)]).exit_code == 2


def test_batch_ingest_reports_the_bad_file_and_loads_the_rest(db: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "delegated-lacnic-extended-20240301"
    bad.write_text(RIR.read_text().replace("afrinic", "lacnic").replace("|ipv6|*|2|", "|ipv6|*|3|"))
    done = ingest("rir", [str(RIR), str(bad)], db)
    assert done[0].result is not None and done[0].result.rows == 7
    assert done[1].error is not None and done[1].error.line == 5 and "summary says 3 ipv6" in str(done[1].error)
    assert "indicator values recomputed" in done[0].result.notes[-1]
    assert _values(db, "KEN")["asn_count"] == 3
