"""The Internet Health Report's IXP dependency results: the loader on small files written here (each kind, each
bad input refused with its file and line) and on the published files, and what ``ixp_dependency`` and
``domestic_exchange_evidence`` read back for a country."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from observatory.db import transaction
from observatory.network import domestic_exchange_evidence, ixp_dependency
from observatory.network.models import IxpDependency, IxpDependencyScope
from observatory.network.sources.ihr_ixp import IhrIxpDependency
from observatory.sources import SourceError
from tests.conftest import shared_data

TABLE_HEADER = (
    "ix_id,org_id,name,name_long,cc,peers,peers_national,peers_international,peers_unknown,peers_seen,"
    "interfaces_seen,tr_count,dependencies,dependencies_national,dependencies_international,dependencies_unknown,"
    "dependent_peers,dependent_peers_national,dependent_peers_international,dependent_peers_unknown,peers_seen_r,"
    "dependencies_peers_r,peers_national_r,dependent_peers_r,dependent_peers_national_r"
)
# A domestic IXP of Malawi (9 members, 1 seen, nobody depends on it) and a foreign one Malawi depends on.
TABLE = [
    "727,8077,MIX-BT,Malawi Internet Exchange (MIX),MW,9,5,3,1,1,5,7,0,0,0,0,0,0,0,0,0.11,0.0,0.0,0.0,0",
    "18,10,LINX LON1,London Internet Exchange LON1,GB,800,200,590,10,500,600,90000,80,20,60,0,10,5,5,0,"
    "0.6,0.1,0.02,0.01,0.5",
]
SCOPES = [
    "ix_id,cc,asn,scopes,asn_count,interface_count",
    "18,overview,general,80,5,0",
    "18,MW,general,3,0,0",
    "18,MW,multiple,1,2,0",
    "18,MW,37662,2,1,0",
    "727,KE,general,1,0,0",
]
REGIONALITY = ["ix_id,scopes,regionality,cc,name,name_long", "18,80,0.25,GB,LINX LON1,London Internet Exchange LON1"]


def _write(folder: Path, name: str, lines: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _files(folder: Path) -> list[Path]:
    return [
        _write(folder, "ihr-ixp-dependency_atlas.2022-10-03.ixp_table.csv", [TABLE_HEADER, *TABLE]),
        _write(folder, "ihr-ixp-dependency_atlas.2022-10-03.per_as_ixp_dependencies.csv", SCOPES),
        _write(folder, "ihr-ixp-dependency_atlas.2022-10-03.ixp_regionality.csv", REGIONALITY),
    ]


def test_small_files_load_and_read_back(db: Engine, tmp_path: Path) -> None:
    for path in _files(tmp_path):
        result = IhrIxpDependency().run(path, db)
        assert result.data_date == dt.date(2022, 10, 3) and result.edition == path.name.removesuffix(".csv")
    with transaction(db) as session:
        malawi = ixp_dependency(session, "MWI")
        evidence = domestic_exchange_evidence(session, "MWI")
        london = ixp_dependency(session, "GBR")
        kinds = dict(
            session.execute(select(IxpDependencyScope.kind, func.count()).group_by(IxpDependencyScope.kind)).all()
        )
        scope_countries = set(session.scalars(select(IxpDependencyScope.country)))
        assert session.scalar(select(func.count()).select_from(IxpDependency)) == 3  # two IXPs + one regionality
    assert [(e["name"], e["measurement"], e["date"], e["peers"], e["peers_seen"]) for e in malawi] == [
        ("Malawi Internet Exchange (MIX)", "atlas", "2022-10-03", 9, 1)
    ]
    assert malawi[0]["regionality"] is None and malawi[0]["source"] == "Internet Health Report"
    # The published regionality wins over the one computed from the national and international dependencies.
    assert (london[0]["regionality"], london[0]["regionality_method"]) == (0.25, "published")
    assert kinds == {"general": 3, "multiple": 1, "asn": 1}
    assert scope_countries == {"OVERVIEW", "MWI", "KEN"}
    # Malawi's networks depend 3 times on an IXP, never on their own; 1 of its IXP's 9 members is seen.
    assert len(evidence) == 1
    e = evidence[0]
    assert (e["members"], e["members_seen"], e["dependencies"], e["domestic_dependencies"]) == (9, 1, 3, 0)
    assert e["seen_share"] == pytest.approx(1 / 9) and e["domestic_dependency_share"] == 0
    with transaction(db) as session:
        assert ixp_dependency(session, "NPL") == [] and domestic_exchange_evidence(session, "NPL") == []


def test_a_reload_replaces_its_snapshot(db: Engine, tmp_path: Path) -> None:
    table = _files(tmp_path)[0]
    IhrIxpDependency().run(table, db)
    IhrIxpDependency().run(table, db)
    with transaction(db) as session:
        assert session.scalar(select(func.count()).select_from(IxpDependency)) == 2


@pytest.mark.parametrize(
    ("name", "lines", "message", "line"),
    [
        ("ihr-ixp-dependency_atlas.ixp_table.csv", [TABLE_HEADER, *TABLE], "file name must end", None),
        ("x_atlas.2022-13-03.ixp_table.csv", [TABLE_HEADER, *TABLE], "is not a date", None),
        ("x_ark.2022-09-19.ixp_table.csv", ["ix_id,name,cc", "1,A,US"], "missing column(s) name_long", 1),
        ("x_ark.2022-09-19.ixp_table.csv", [TABLE_HEADER, TABLE[0].replace("727,", "MIX,", 1)], "ix_id must be", 2),
        ("x_ark.2022-09-19.ixp_table.csv", [TABLE_HEADER, TABLE[0], TABLE[0]], "IXP 727 is listed twice", 3),
        ("x_ark.2022-09-19.ixp_table.csv", [TABLE_HEADER, TABLE[1], TABLE[0].replace(",9,5,", ",-9,5,")],
         "peers must be a whole number ≥ 0; got '-9'", 3),
        ("x_ark.2022-09-19.per_as_ixp_dependencies.csv", [*SCOPES, "18,MW,AS12,1,1,0"], "AS number 'AS12'", 7),
        ("x_ark.2022-09-19.per_as_ixp_dependencies.csv", [*SCOPES, "18,,general,1,1,0"], "cc (the country", 7),
        ("x_ark.2022-09-19.per_as_ixp_dependencies.csv", [*SCOPES, "18,MW,general,many,1,0"],
         "scopes must be a whole number", 7),
        ("x_atlas.2022-10-03.ixp_regionality.csv", [*REGIONALITY, "19,4,1.5,GB,X,Y"], "regionality must be a share", 3),
        ("x_atlas.2022-10-03.ixp_table.csv", ["\x00\x01"], "missing column", 1),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_file_and_line(
    tmp_path: Path, name: str, lines: list[str], message: str, line: int | None
) -> None:
    path = _write(tmp_path, name, lines)
    with pytest.raises(SourceError) as e:
        IhrIxpDependency().parse(path)
    assert message in e.value.message and e.value.path == str(path)
    assert e.value.line == line


def test_the_published_files(db: Engine) -> None:
    folder = shared_data("network/hegemony")
    files = sorted(folder.glob("ihr-ixp-dependency_*.csv"))
    assert len(files) == 5
    rows = {path.name: IhrIxpDependency().run(path, db).rows for path in files}
    assert rows["ihr-ixp-dependency_atlas.2022-10-03.ixp_table.csv"] == 1041
    assert rows["ihr-ixp-dependency_atlas.2022-10-03.per_as_ixp_dependencies.csv"] == 7820
    assert rows["ihr-ixp-dependency_atlas.2022-10-03.ixp_regionality.csv"] == 219
    with transaction(db) as session:
        kenya = ixp_dependency(session, "KEN")
        malawi = domestic_exchange_evidence(session, "MWI")
        us = ixp_dependency(session, "USA")
    kixp = [e for e in kenya if e["name"] == "Kenya Internet Exchange Point - Nairobi"]
    assert {e["measurement"]: (e["peers"], e["peers_seen"]) for e in kixp} == {"atlas": (56, 37), "ark": (56, 26)}
    atlas = next(e for e in malawi if e["measurement"] == "atlas")
    assert (atlas["members"], atlas["members_seen"], atlas["domestic_dependencies"]) == (9, 1, 0)
    assert atlas["dependencies"] > 0  # Malawi's networks depend on IXPs abroad (LINX, DE-CIX …)
    ashburn = next(e for e in us if e["ixp_key"] == "1" and e["measurement"] == "atlas")
    assert ashburn["regionality"] == pytest.approx(31 / 402) and ashburn["regionality_method"] == "published"
