"""The figures of country and group pages kept per data revision (``observatory.areas.service``): what is kept
equals what is computed, value for value (countries with and without data, a group, a region), a process that
starts later reads them without computing, a new load or a recomputation by another connection is seen at the
next request, and the pages show the kept figures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, delete, select, update

from observatory.areas import service
from observatory.data.service import indicator_jobs, load, sources
from observatory.db import transaction
from observatory.indicators import report
from observatory.indicators import service as indicators
from observatory.indicators.models import AreaClassification, Observation
from observatory.network import service as network
from observatory.network.models import DATA_TABLES, NetworkIndicator
from observatory.reference import resolve_area
from observatory.routing import service as routing
from observatory.routing.models import AsHegemony, CountryDependency
from observatory.sources import SourceLoad
from tests.conftest import shared_data
from tests.routing.test_pages import ASREL, CTI, IHR, REGISTRY

# KEN: every section; MWI: connectivity, no registry file of its own; ATA: no figures at all; a UN group and
# a region: aggregates over members with and without data.
AREAS = ("KEN", "MWI", "FRA", "ATA", "LDC", "africa")
INDICATOR_FILES = ("api_it.net.user.zs", "sp.pop.totl", "itu_affordability")
PEERINGDB = Path(__file__).parents[1] / "network" / "fixtures" / "peeringdb_dump_20240301.json"


def _empty(engine: Engine) -> None:
    with transaction(engine) as session:
        for table in (*DATA_TABLES, AsHegemony, CountryDependency, Observation, AreaClassification):
            session.execute(delete(table))
        session.execute(delete(SourceLoad))


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """Real population and Internet use series, an AFRINIC registry file, AS relationships, AS names, IHR's
    hegemony and a PeeringDB dump, each through its source (emptied again after: PostgreSQL keeps rows)."""
    _empty(engine)
    service.clear_memory()
    jobs = [
        j for j in indicator_jobs(shared_data("indicators").parent) if j.path.name.lower().startswith(INDICATOR_FILES)
    ]
    assert len(jobs) == 3, jobs
    assert all(o.status == "loaded" for o in load(jobs, engine))
    files = {
        "delegated-afrinic-extended-20240301": ("rir_delegated", REGISTRY),
        "afrinic-labs_asn_relationship_africa30-07-2019.csv": ("caida_asrel", ASREL),
        "caida-cti_combined_joint_cti_hegemony.csv": ("as_names", CTI),
        "ihr_global_AS_hegemony_20220720.csv": ("ihr_hegemony", IHR["ihr_global_AS_hegemony_20220720.csv"]),
    }
    registry = sources()
    for name, (source, text) in files.items():
        (tmp_path / name).write_text(text)
        registry[source]().run(tmp_path / name, engine)
    registry["peeringdb"]().run(PEERINGDB, engine)
    yield engine
    service.clear_memory()
    _empty(engine)


def same(a: Any, b: Any) -> bool:
    """Deep equality where frames are equal when their columns, types and values are (``==`` on a frame
    compares element by element), and NaN equals NaN."""
    if isinstance(a, pl.DataFrame) or isinstance(b, pl.DataFrame):
        return isinstance(a, pl.DataFrame) and isinstance(b, pl.DataFrame) and a.equals(b)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and bool(a == b)


def test_kept_figures_equal_the_computed_ones(loaded: Engine, tmp_path: Path) -> None:
    folder = service.folder_in(tmp_path)
    with transaction(loaded, writes=False) as session:
        for code in AREAS:
            computed = service.compute(session, code)
            first = service.area_figures(session, code, folder)  # computed and kept
            service.clear_memory()
            again = service.area_figures(session, code, folder)  # read back, as a process started later does
            assert same(first, computed), code
            assert same(again, computed), code
            # Each section as its own capability computes it, uncached.
            c = indicators.connectivity(session)
            assert same(again["connectivity"], indicators.area_figures(c, code)), code
            assert same(indicators.area_pledges(session, again["connectivity"]), report.area_section(session, code))
            assert same(again["infrastructure"], network.area_section(session, code)), code
            assert same(again["routing"], routing.transit_picture(session, resolve_area(code))), code
    ken = first_of(loaded, folder, "KEN")
    assert ken["routing"]["ihr_hegemony"]["dates"] == ["2022-07-20"]
    assert ken["connectivity"]["headline"]["internet_use_pct"] > 0
    assert ken["infrastructure"]["indicators"]["ixp_count"]["value"] is not None
    # A country without data has none (and says so the same way), a country in a registry not loaded says
    # what it is not covered by.
    ata = first_of(loaded, folder, "ATA")
    assert ata["routing"] is None or not ata["routing"]["as_relationships"]["figures"]
    fra = first_of(loaded, folder, "FRA")["infrastructure"]["indicators"]
    not_covered = {code: v for code, v in fra.items() if not v["covered"]}
    assert not_covered and all(v["value"] is None and v["missing"] for v in not_covered.values()), fra
    ldc = first_of(loaded, folder, "LDC")
    assert ldc["connectivity"]["kind"] == "group" and ldc["connectivity"]["need"] is not None
    # What the pledges are set against in a year is kept once for every area of that year, not in each file.
    with transaction(loaded, writes=False) as session:
        kept = folder / service.figures_key(session)
    connectivity = [first_of(loaded, folder, code)["connectivity"] for code in AREAS]
    years = {c["year"] for c in connectivity if c is not None and c["year"] is not None}
    assert sorted(p.name for p in kept.glob("need*.json")) == sorted(f"need{y}.json" for y in years)
    assert all("$need" not in (kept / f"{code}.json").read_text() for code in AREAS)


def first_of(engine: Engine, folder: Path, code: str) -> dict[str, Any]:
    with transaction(engine, writes=False) as session:
        return service.area_figures(session, code, folder)


def test_a_later_process_reads_the_kept_figures_without_computing(
    loaded: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = service.folder_in(tmp_path)
    with transaction(loaded, writes=False) as session:
        assert service.warm(session, folder, ["KEN", "LDC"]) == 2
        assert service.warm(session, folder, ["KEN", "LDC"]) == 0  # kept already
        kept = {code: service.compute(session, code) for code in ("KEN", "LDC")}
    service.clear_memory()

    def refuse(*_: object, **__: object) -> dict[str, Any]:
        raise AssertionError("the kept figures were computed again")

    monkeypatch.setattr(service, "compute", refuse)
    for code in ("KEN", "LDC"):
        assert same(first_of(loaded, folder, code), kept[code])
    # Each reader gets its own copy: changing one does not change the next.
    mine = first_of(loaded, folder, "KEN")
    mine["routing"]["as_relationships"]["providers"].clear()
    assert same(first_of(loaded, folder, "KEN"), kept["KEN"])


def test_a_load_by_another_process_is_seen(loaded: Engine, tmp_path: Path) -> None:
    folder = service.folder_in(tmp_path)
    before = first_of(loaded, folder, "KEN")
    assert before["routing"]["ihr_hegemony"]["dates"] == ["2022-07-20"]
    with transaction(loaded, writes=False) as session:
        old_key = service.figures_key(session)
    # Another process: its own engine and connections, loading one more IHR file.
    other = create_engine(loaded.url)
    name = "ihr_global_AS_hegemony_20230801.csv"
    (tmp_path / name).write_text(IHR[name])
    sources()["ihr_hegemony"]().run(tmp_path / name, other)
    other.dispose()
    with transaction(loaded, writes=False) as session:
        assert service.figures_key(session) != old_key
        after = service.area_figures(session, "KEN", folder)
        assert same(after, service.compute(session, "KEN"))
    assert after["routing"]["ihr_hegemony"]["dates"] == ["2023-08-01", "2022-07-20"]
    assert not same(after, before)


def test_network_indicators_recomputed_without_a_load_are_seen(loaded: Engine, tmp_path: Path) -> None:
    """The network sources recompute their indicators after a batch of files in a transaction of their own, with
    no new load: figures drawn between the two must not outlive the recomputation."""
    folder = service.folder_in(tmp_path)
    with transaction(loaded, writes=False) as session:
        old_key = service.figures_key(session)
        before = service.area_figures(session, "KEN", folder)
    n = NetworkIndicator
    with transaction(loaded) as session:
        row = session.scalars(select(n).where(n.country == "KEN", n.code == "ixp_count")).first()
        assert row is not None
        session.execute(update(n).where(n.id == row.id).values(value=(row.value or 0) + 1))
    with transaction(loaded, writes=False) as session:
        assert service.figures_key(session) != old_key
        after = service.area_figures(session, "KEN", folder)
        assert same(after, service.compute(session, "KEN"))
    assert not same(after["infrastructure"], before["infrastructure"])


def test_the_pages_show_the_kept_figures(loaded: Engine, client: TestClient, settings: Any) -> None:
    folder = service.folder_in(settings.home)
    for path, code in (("/countries/KEN", "KEN"), ("/groups/LDC", "LDC")):
        page = client.get(path + "?format=json")
        assert page.status_code == 200, page.text
        with transaction(loaded, writes=False) as session:
            kept = service.area_figures(session, code, folder)
            section = report.area_section(session, code)
            picture = routing.transit_picture(session, resolve_area(code))
            assert (folder / service.figures_key(session) / f"{code}.json").is_file()
        data = page.json()
        assert data["connectivity"] == jsonable_encoder(section)
        # The routing section is left out where none of the area's networks is known (the LDCs here).
        assert data["routing"] == (jsonable_encoder(picture) if code == "KEN" else None)
        assert data["infrastructure"]["indicators"] == jsonable_encoder(kept["infrastructure"]["indicators"])
        assert client.get(path).status_code == 200


def test_every_kind_of_value_is_read_back_as_it_was() -> None:
    frame = pl.DataFrame({"area": ["KEN"], "year": pl.Series([2023], dtype=pl.Int32), "v": [0.1]})
    value = {
        "int keys": {174: [["2023-08-01", 0.0805]]},
        "a tuple": ("ripencc", "apnic:extended"),
        "a date": dt.date(2024, 12, 13),
        "a time": dt.datetime(2024, 1, 2, 3, 4, 5, 600, tzinfo=dt.UTC),
        "$looks tagged": {"$date": "not a date"},
        "numbers": [0.1 + 0.2, -0.0, 1e308, 3, True, None, math.inf],
        "a frame": frame,
        "need": indicators.NeedInputs(2023, frame, frame.head(0), frame),
    }
    back = service._decode(service._dumps(value))
    assert same(back, value)
    assert back["a frame"].schema == frame.schema
    with pytest.raises(TypeError, match="cannot keep a set"):
        service._dumps({"x": {1, 2}})
