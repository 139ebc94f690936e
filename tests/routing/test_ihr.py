"""The Internet Health Report's global AS hegemony as a source: read, refused with file and line, stored beside the
observatory's own results without touching them; found by ``observatory data load`` in a data folder."""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest
from sqlalchemy import Engine, delete, select

from observatory.data.service import files, jobs, sources
from observatory.db import transaction
from observatory.routing import service
from observatory.routing.models import AsHegemony, CountryDependency
from observatory.routing.sources.ihr import IhrHegemony, file_date
from observatory.routing.sources.routing_tables import RoutingResult, RoutingTables
from observatory.sources import SourceError, SourceLoad
from tests.conftest import SHARED, shared_data


def _empty(engine: Engine) -> None:
    with transaction(engine) as session:
        session.execute(delete(AsHegemony))
        session.execute(delete(CountryDependency))
        session.execute(delete(SourceLoad).where(SourceLoad.source.in_([IhrHegemony.NAME, RoutingTables.NAME])))


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """The test database without hegemony, before and after (PostgreSQL keeps rows between tests)."""
    _empty(engine)
    yield engine
    _empty(engine)


def write(tmp_path: Path, text: str, name: str = "ihr_global_AS_hegemony_20220720.csv.gz") -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    return path


def test_a_published_file_is_read_with_its_date(tmp_path: Path) -> None:
    path = write(tmp_path, "asn,hege\n3356,0.2001\n174,0.0805\n64500,0\n")
    parsed = IhrHegemony().parse(path)
    assert parsed.sort("asn").rows() == [(174, 0.0805), (3356, 0.2001), (64500, 0.0)]
    assert IhrHegemony().describe(path, parsed) == {"edition": "2022-07-20 IPv4", "data_date": dt.date(2022, 7, 20)}
    assert file_date(Path("ihr_hegemony_ipv4_global_2023-08-01.csv")) == dt.date(2023, 8, 1)


def test_a_daily_archive_file_keeps_its_global_rows(tmp_path: Path) -> None:
    text = "timebin,originasn,asn,hege\n2022-07-20 00:00:00+00,0,3356,0.2\n2022-07-20 00:00:00+00,64500,3356,0.9\n"
    parsed = IhrHegemony().parse(write(tmp_path, text, "ihr_hegemony_ipv4_global_2022-07-20.csv"))
    assert parsed.rows() == [(3356, 0.2)]


@pytest.mark.parametrize(
    ("text", "name", "message", "line"),
    [
        ("asn,hege\n1,0.1\n", "hegemony.csv", "no date", None),
        ("asn,score\n1,0.1\n", None, "missing columns: hege", 1),
        ("asn,hege\n1,0.1\nAS2,0.1\n", None, "AS number 'AS2'", 3),
        ("asn,hege\n1,0.1\n4294967296,0.1\n", None, "AS number '4294967296'", 3),
        ("asn,hege\n1,0.1\n2,1.5\n", None, "hegemony '1.5' is not a share", 3),
        ("asn,hege\n1,high\n", None, "hegemony 'high'", 2),
        ("asn,hege\n1,0.1\n2,0.2\n1,0.3\n", None, "AS1 is listed twice", 4),
    ],
)
def test_bad_input_names_the_file_and_line(
    tmp_path: Path, text: str, name: str | None, message: str, line: int | None
) -> None:
    path = write(tmp_path, text, name or "ihr_global_AS_hegemony_20220720.csv")
    with pytest.raises(SourceError) as caught:
        IhrHegemony().parse(path)
    assert message in caught.value.message
    assert caught.value.line == line
    assert path.name in str(caught.value)


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    whole = gzip.compress(b"asn,hege\n" + b"".join(f"{i},0.001\n".encode() for i in range(5000)))
    path = tmp_path / "ihr_global_AS_hegemony_20220720.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(SourceError, match="truncated or corrupt"):
        IhrHegemony().parse(path)


def test_reading_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_MAX_INPUT_MB", "1")
    big = b"asn,hege\n" + b"".join(f"{i},0.000001\n".encode() for i in range(150_000))  # about 2.5 MB
    path = tmp_path / "ihr_global_AS_hegemony_20220720.csv.gz"
    path.write_bytes(gzip.compress(big))
    with pytest.raises(SourceError, match="more than 1 MiB"):
        IhrHegemony().parse(path)


def _stored(engine: Engine) -> list[tuple[str, dt.date, int, float]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(SourceLoad.source, AsHegemony.data_date, AsHegemony.asn, AsHegemony.hegemony)
            .join(SourceLoad, SourceLoad.id == AsHegemony.load_id)
            .order_by(SourceLoad.source, AsHegemony.asn)
        ).all()
    return [(r.source, r.data_date, r.asn, r.hegemony) for r in rows]


def _own(engine: Engine, date: dt.date) -> None:
    """The observatory's own hegemony of ``date``, stored as the routing tables' source stores it."""

    class Fake:
        global_ = pl.DataFrame({"asn": [3356], "hegemony": [0.5]})
        counts: ClassVar[dict[str, int]] = {}
        viewpoints = pl.DataFrame({"full": [1]})
        peer_ases = 1

    result = RoutingResult(date, 4, Fake(), {}, [])  # type: ignore[arg-type]
    with transaction(engine) as session:
        load = SourceLoad(source=RoutingTables.NAME, organisation="", dataset="", location="x", sha256="0")
        session.add(load)
        session.flush()
        RoutingTables().load(session, result, load)


def test_loading_replaces_ihr_rows_of_the_day_and_leaves_the_observatorys_own(db: Engine, tmp_path: Path) -> None:
    day = dt.date(2022, 7, 20)
    _own(db, day)
    IhrHegemony().run(write(tmp_path, "asn,hege\n3356,0.2\n174,0.08\n"), db)
    IhrHegemony().run(write(tmp_path, "asn,hege\n3356,0.21\n"), db)  # the same day, again: replaces IHR's rows
    assert _stored(db) == [("ihr_hegemony", day, 3356, 0.21), ("routing_tables", day, 3356, 0.5)]
    _own(db, day)  # the observatory's own results of the day, stored again, leave IHR's in place
    assert _stored(db) == [("ihr_hegemony", day, 3356, 0.21), ("routing_tables", day, 3356, 0.5)]
    with transaction(db) as session:
        assert service.hegemony_dates(session, IhrHegemony.NAME) == [day]
        assert service.global_hegemony(session, RoutingTables.NAME, asns=[3356])["hegemony"].to_list() == [0.5]


def test_a_refused_file_leaves_the_stored_day_as_it_was(db: Engine, tmp_path: Path) -> None:
    IhrHegemony().run(write(tmp_path, "asn,hege\n3356,0.2\n"), db)
    with pytest.raises(SourceError):
        IhrHegemony().run(write(tmp_path, "asn,hege\n3356,2\n"), db)
    assert [r[2:] for r in _stored(db)] == [(3356, 0.2)]


def test_data_load_finds_both_ihr_files_and_never_the_simulator_fixture() -> None:
    shared_data("network/hegemony/ihr_global_AS_hegemony_20230801.csv.gz")
    found = {p.name for p in files(SHARED, sources()[IhrHegemony.NAME])}
    assert found == {"ihr_global_AS_hegemony_20220720.csv.gz", "ihr_global_AS_hegemony_20230801.csv.gz"}
    loaded = [j.path.name for j in jobs(SHARED)]
    assert "bgp-simulator_serial-2_test.txt" not in loaded
    assert "afrinic-labs_asn_relationship_africa01-08-2019.csv" in loaded


def test_the_real_files_parse() -> None:
    for name, ases in (("20220720", 73_000), ("20230801", 74_000)):
        parsed = IhrHegemony().parse(shared_data(f"network/hegemony/ihr_global_AS_hegemony_{name}.csv.gz"))
        assert parsed.height > ases
        assert parsed.filter(pl.col("asn") == 174)["hegemony"].item() > 0.05  # Cogent, a tier-1 network
