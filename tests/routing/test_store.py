"""Stored, dated results on SQLite and PostgreSQL; a failed run leaves the previous results intact;
the download path against a local HTTP server."""

from __future__ import annotations

import functools
import http.server
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, delete, func, select

from observatory.db import transaction
from observatory.routing.models import AsHegemony, CountryDependency
from observatory.routing.service import top_dependencies
from observatory.routing.sources.routing_tables import RoutingTables
from observatory.sources import SourceError, SourceLoad
from tests.routing import mrtbuild as mb

REGISTRY = pl.DataFrame({"asn": [64500, 64501, 3356], "country": ["KEN", "KEN", "USA"]})
USERS = pl.DataFrame({"asn": [64500, 64501], "country": ["KEN", "KEN"], "users": [900, 100]})


@pytest.fixture
def db(engine: Engine) -> Engine:
    """The test database without routing results (PostgreSQL keeps rows between tests)."""
    with transaction(engine) as session:
        session.execute(delete(AsHegemony))
        session.execute(delete(CountryDependency))
        session.execute(delete(SourceLoad).where(SourceLoad.source == RoutingTables.NAME))
    return engine


def rib_file(tmp_path: Path, via_3356: bool = True, name: str = "rib.mrt") -> Path:
    tables = {
        ("10.0.0.1", 10): [
            ("192.0.2.0/24", mb.segments((2, [10, 3356, 64500]) if via_3356 else (2, [10, 64500]))),
            ("198.51.100.0/24", mb.segments((2, [10, 64501]))),
        ],
        ("10.0.0.2", 20): [
            ("192.0.2.0/24", mb.segments((2, [20, 3356, 64500]))),
            ("198.51.100.0/24", mb.segments((2, [20, 3356, 64501]))),
        ],
    }
    path = tmp_path / name
    path.write_bytes(mb.rib(tables))
    return path


def counts(engine: Engine) -> tuple[int, int, int]:
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(AsHegemony)) or 0,
            session.scalar(select(func.count()).select_from(CountryDependency)) or 0,
            session.scalar(select(func.count()).where(SourceLoad.source == RoutingTables.NAME)) or 0,
        )


def test_store_and_read_back(db: Engine, tmp_path: Path) -> None:
    [loaded] = RoutingTables(REGISTRY, USERS).run_many([rib_file(tmp_path)], db)
    assert loaded.data_date is not None and loaded.data_date.isoformat() == "2023-11-14"
    assert loaded.edition == "2023-11-14 IPv4" and loaded.rows == counts(db)[0] + counts(db)[1]
    with transaction(db) as session:
        stored = {asn: value for asn, value in session.execute(select(AsHegemony.asn, AsHegemony.hegemony))}
        assert stored[3356] == pytest.approx((0.5 + 1.0) / 2)
        ken = top_dependencies(session, "KEN")
        users = top_dependencies(session, "KEN", weighting="eyeball")
        load = session.scalar(select(SourceLoad).where(SourceLoad.source == RoutingTables.NAME))
        assert load is not None and load.location.endswith("rib.mrt") and len(load.sha256) == 64
    assert ken["date"] == "2023-11-14"
    top = {r["asn"]: r["dependency"] for r in ken["top"]}
    # KEN: origins 64500 (3356 in both peer ASes → 1) and 64501 (3356 in one of two → 0.5), weight 1 each
    assert top[3356] == pytest.approx(0.75) and top[64500] == pytest.approx(0.5)
    assert {r["asn"]: r["dependency"] for r in users["top"]}[3356] == pytest.approx(0.9 * 1 + 0.1 * 0.5)
    assert ken["series"][3356] == [["2023-11-14", pytest.approx(0.75)]]


def test_storing_a_date_again_replaces_it_and_a_failure_changes_nothing(db: Engine, tmp_path: Path) -> None:
    source = RoutingTables(REGISTRY)
    source.run_many([rib_file(tmp_path)], db)
    before = counts(db)
    source.run_many([rib_file(tmp_path, via_3356=False)], db)
    after = counts(db)
    assert after == (*before[:2], 2)  # replaced, not added to; both loads kept as history
    with transaction(db) as session:
        assert session.scalar(select(AsHegemony.hegemony).where(AsHegemony.asn == 3356)) == pytest.approx(
            0.5
        )  # was 0.75
    cut = tmp_path / "cut.mrt"
    cut.write_bytes(rib_file(tmp_path).read_bytes()[:-3])
    with pytest.raises(SourceError, match=r"cut\.mrt, byte \d+"):
        source.run_many([rib_file(tmp_path), cut], db)
    assert counts(db) == after


def test_files_read_results_stored_and_files_refused_are_logged(
    db: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="observatory.routing.sources.routing_tables")
    source = RoutingTables(REGISTRY)
    source.run_many([rib_file(tmp_path)], db)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert ("INFO", f"routing_tables: read {tmp_path / 'rib.mrt'} (2023-11-14): 4 IPv4 entries, 2 viewpoints; "
            "records skipped: none") in lines  # fmt: skip
    assert any(level == "INFO" and m.startswith("routing_tables: stored ") and "for 2023-11-14 IPv4 from 1 file(s)"
               in m for level, m in lines)  # fmt: skip
    cut = tmp_path / "cut.mrt"
    cut.write_bytes(rib_file(tmp_path).read_bytes()[:-3])
    caplog.clear()
    with pytest.raises(SourceError):
        source.run_many([cut], db)
    [(level, message)] = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert level == "WARNING" and message.startswith(f"routing_tables: refused {cut}: ") and "cut.mrt, byte" in message


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_from_an_address(db: Engine, tmp_path: Path, server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path / "home"))
    rib_file(tmp_path, name="bview.mrt")
    [loaded] = RoutingTables().run_many([f"{server}/bview.mrt"], db)
    assert loaded.rows > 0
    with transaction(db) as session:
        assert (
            session.scalar(select(SourceLoad.location).where(SourceLoad.id == loaded.load_id)) == f"{server}/bview.mrt"
        )
    with pytest.raises(SourceError, match="HTTP 404"):
        RoutingTables().run_many([f"{server}/missing.mrt"], db)


def test_one_file_through_the_common_source_shape(db: Engine, tmp_path: Path) -> None:
    loaded = RoutingTables(REGISTRY).run(rib_file(tmp_path), db)
    assert loaded.edition == "2023-11-14 IPv4" and loaded.rows == sum(counts(db)[:2]) > 0
    with transaction(db) as session:
        load = session.get(SourceLoad, loaded.load_id)
        assert load is not None and load.rows == loaded.rows and load.data_date is not None
