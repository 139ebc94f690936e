"""``observatory routing`` as a person runs it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatory.cli import app
from tests.conftest import shared_data
from tests.routing import mrtbuild as mb

runner = CliRunner()
RIB_2002 = "network/mrt/bgpdump_bview.20020722.2337.gz"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path))
    monkeypatch.delenv("OBSERVATORY_DATABASE_URL", raising=False)
    assert runner.invoke(app, ["init"]).exit_code == 0
    yield tmp_path


def test_global_hegemony_json_and_csv() -> None:
    result = runner.invoke(app, ["routing", "hegemony", str(shared_data(RIB_2002)), "--limit", "3"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["asn"] for r in rows] == [1853, 1239, 20965]
    assert rows[0] == {"asn": 1853, "hegemony": 1.0} and rows[1]["hegemony"] == pytest.approx(0.752114783660073)
    assert "1 of 36 viewpoints have a full table" in result.stderr
    csv_out = runner.invoke(
        app, ["routing", "hegemony", str(shared_data(RIB_2002)), "--origin", "80", "--format", "csv"]
    )
    lines = csv_out.stdout.splitlines()
    assert lines[0] == "asn,hegemony" and lines[1] == "80,1.0" and len(lines) > 2


def test_skipped_records_are_reported(tmp_path: Path) -> None:
    rib = tmp_path / "mixed.mrt"
    strange = mb.record(99, 7, b"\x01\x02")
    rib.write_bytes(strange + mb.rib({("10.0.0.1", 10): [("192.0.2.0/24", mb.segments((2, [10, 64500])))]}) + strange)
    result = runner.invoke(app, ["routing", "hegemony", str(rib)])
    assert result.exit_code == 0, result.output
    assert f"{rib}: skipped 2 type 99/subtype 7 record(s), the first at byte 0" in result.stderr
    assert "2 skipped type 99/subtype 7 records" in result.stderr
    assert json.loads(result.stdout) == [{"asn": 10, "hegemony": 1.0}, {"asn": 64500, "hegemony": 1.0}]


def test_bad_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "updates.gz"
    bad.write_bytes(shared_data("network/mrt/bgpdump_updates.20020722.2238.gz").read_bytes())
    result = runner.invoke(app, ["routing", "hegemony", str(bad)])
    assert result.exit_code == 1
    assert "updates.gz: no RIB entries in this file" in result.stderr and result.stdout == ""


def test_country_dependency_and_store(home: Path) -> None:
    registry = home / "delegated-apnic-20020801.txt"
    registry.write_text(
        "2|apnic|20020801|3|19830613|20020801|+1000\napnic|*|asn|*|3|summary\n"
        "apnic|AU|asn|1221|1|19950101|allocated\napnic|AU|asn|7474|1|19970101|allocated\n"
        "apnic|JP|asn|2497|1|19930101|allocated\n"
    )
    assert runner.invoke(app, ["network", "ingest", "rir", str(registry)]).exit_code == 0
    args = ["routing", "hegemony", str(shared_data(RIB_2002)), "--country", "AU", "--store"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    # the only full-feed viewpoint (AS1853) reaches the Australian networks through AS1239
    assert rows[:2] == [{"asn": 1239, "hegemony": 1.0}, {"asn": 1853, "hegemony": 1.0}]
    assert {r["asn"] for r in rows} >= {1221, 7474, 1239}
    assert "stored" in result.stderr
    transit = json.loads(runner.invoke(app, [*args[:-1], "--transit-only"]).stdout)
    total = {r["asn"]: r["hegemony"] for r in rows}
    carried = {r["asn"]: r["hegemony"] for r in transit}
    assert carried.get(1221, 0.0) < total[1221]  # its own prefixes no longer count
    assert carried[1239] == pytest.approx(total[1239])  # AS1239 originates nothing in Australia
    unknown = runner.invoke(app, ["routing", "hegemony", str(shared_data(RIB_2002)), "--country", "XX"])
    assert unknown.exit_code == 2 and "unknown country code" in unknown.stderr


def test_country_without_registry_is_refused(home: Path) -> None:
    result = runner.invoke(app, ["routing", "hegemony", str(shared_data(RIB_2002)), "--country", "AU"])
    assert result.exit_code == 1 and "no RIR delegation data loaded" in result.stderr


def test_read_writes_the_table(tmp_path: Path) -> None:
    target = tmp_path / "rib.csv"
    result = runner.invoke(
        app,
        [
            "routing",
            "read",
            str(shared_data("network/mrt/bgpdump_bview.ipv6_unicast_add_path.gz")),
            "--output",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = target.read_text().splitlines()
    assert lines[0] == "peer_ip,peer_asn,prefix,as_path,origin" and len(lines) == 63
    assert lines[1].startswith("2001:db8:16::2,65017,2001:db8:28::/48,65017 65018")
