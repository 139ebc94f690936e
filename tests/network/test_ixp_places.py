"""IXPs counted once and everywhere they are: several countries, names for countries, unplaced IXPs,
duplicate records (docs/network.md, "How IXPs are counted")."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, select

from observatory.db import transaction
from observatory.network.compute import ixp_indicators
from observatory.network.ixp import (
    IXP_COLUMNS,
    MEMBER_COLUMNS,
    MERGED,
    NOT_RUNNING,
    UNPLACED_NONE,
    UNPLACED_UNKNOWN,
    IxpSnapshot,
    ixp_name_key,
    place,
    shared_ixp_excess,
)
from observatory.network.models import Ixp, IxpPrefix, NetworkIndicator
from observatory.network.sources.caida_ixp import CaidaIxps
from observatory.network.sources.pch import PchIxps, parse_pch
from tests.conftest import shared_data

JANUARY = dt.date(2024, 1, 1)
RECORDS: list[dict[str, Any]] = [
    {"ix_id": 1, "pdb_id": 10, "name": "IXP MegaLink", "country": "BO", "city": "La Paz",
     "prefixes": {"ipv4": ["200.75.174.0/24"], "ipv6": []}},
    # CAIDA's second record of it: another spelling, the country as a name, the city in capitals.
    {"ix_id": 2, "name": "IXP-MegaLink", "country": "Bolivia, Plurinational State of", "city": "LA PAZ",
     "prefixes": {"ipv4": ["200.75.175.0/24"], "ipv6": []}},
    {"ix_id": 3, "name": "PIT Bolivia", "country": "BO", "city": "La Paz"},  # another IXP of the same city
    {"ix_id": 4, "pdb_id": 10, "name": "MegaLink", "country": "BO"},  # PeeringDB's id again: the same IXP
    {"ix_id": 5, "name": "Virtual Internet Exchange Point", "country": ["LI", "NL"], "city": ["Balzers", "Amsterdam"]},
    {"ix_id": 6, "name": "AMS-IX", "country": "NL", "city": "Amsterdam"},
    {"ix_id": 7, "name": "Congo Brazzaville IX", "country": ["Republic of Congo", "CG"], "city": "Brazzaville"},
    {"ix_id": 8, "name": "Coresite - Any 2", "country": "US", "city": "Boston"},
    {"ix_id": 9, "name": "CoreSite Any2", "country": "US", "city": "Chicago"},
    {"ix_id": 10, "name": "Coresite - Any 2", "country": "US"},  # which of its namesakes' cities: unknown
    {"ix_id": 11, "name": "KIXP - Nairobi", "country": "KE"},
    {"ix_id": 12, "name": "KIXP Nairobi", "country": "KE", "city": "Nairobi"},  # its only namesake's city
    {"ix_id": 13, "name": "Atlantis IX", "country": "Atlantis"},
    {"ix_id": 14, "name": "KOSIX", "country": "XK", "city": "Prishtina"},
    {"ix_id": 15, "name": "DE-CIX ASEAN"},
]  # fmt: skip


def _caida(tmp_path: Path, records: list[dict[str, Any]] = RECORDS) -> Path:
    path = tmp_path / "ixs_202401.jsonl"
    path.write_text('# {"date": "2024.01.23"}\n' + "".join(json.dumps(r) + "\n" for r in records))
    return path


def _counts(engine: Engine, code: str = "ixp_count") -> dict[str, float | None]:
    with transaction(engine) as session:
        rows = session.execute(
            select(NetworkIndicator.country, NetworkIndicator.value).where(NetworkIndicator.code == code)
        ).all()
    return {country: value for country, value in rows}


def test_name_key_drops_case_spaces_hyphens_and_accents() -> None:
    assert ixp_name_key("IXP MegaLink") == ixp_name_key("IXP-MegaLink") == "ixpmegalink"
    assert ixp_name_key("Intered Panamá") == ixp_name_key("InteRed Panama")
    assert ixp_name_key("W-IX") == "wix" and ixp_name_key("PIT Bolivia") != ixp_name_key("IXP MegaLink")


def test_caida_fixture_places_merges_and_reports(db: Engine, tmp_path: Path) -> None:
    result = CaidaIxps().run(_caida(tmp_path), db)
    assert result.skipped == {UNPLACED_NONE: 1, UNPLACED_UNKNOWN: 2, MERGED: 3}
    counts = _counts(db)
    # MegaLink (three records: a spelling, a PeeringDB id) + PIT Bolivia; the LI/NL IXP in each of them.
    assert counts["BOL"] == 2 and counts["LIE"] == 1 and counts["NLD"] == 2
    assert counts["COG"] == 1  # the same country written twice, as a name and as a code
    assert counts["USA"] == 3 and counts["KEN"] == 1  # namesakes in two cities stay apart
    assert "XK" not in counts and None not in counts  # unplaced IXPs are in no count
    with transaction(db) as session:
        rows = session.execute(select(Ixp.ixp_key, Ixp.name, Ixp.country, Ixp.city)).all()
        prefixes = session.execute(select(IxpPrefix.ixp_key, IxpPrefix.prefix)).all()
        group = shared_ixp_excess(session, ["LIE", "NLD", "BOL"], None)
        apart = shared_ixp_excess(session, ["NLD", "BOL"], None)
        before = shared_ixp_excess(session, ["LIE", "NLD"], dt.date(2023, 12, 31))
    stored = {(name, country): (key, city) for key, name, country, city in rows}
    assert len(rows) == len(RECORDS) + 1  # every record kept, the LI/NL IXP once per country
    assert stored[("IXP-MegaLink", "BOL")] == ("1", "LA PAZ") and stored[("MegaLink", "BOL")] == ("1", "")
    assert stored[("Virtual Internet Exchange Point", "LIE")] == ("5", "Balzers")
    assert stored[("Virtual Internet Exchange Point", "NLD")] == ("5", "Amsterdam")
    assert stored[("Coresite - Any 2", "USA")] == ("10", "")
    assert stored[("Atlantis IX", None)] == ("13", "") and stored[("KOSIX", "XK")] == ("14", "Prishtina")
    assert sorted(prefixes) == [("1", "200.75.174.0/24"), ("1", "200.75.175.0/24")]  # the merged record's too
    assert group == {JANUARY: 1} and apart == {JANUARY: 0} and before == {}


def test_members_of_merged_records_count_once() -> None:
    ixps = pl.DataFrame(
        [("a", "Lusaka IX", "ZM", "Lusaka", ""), ("b", "LUSAKA-IX", "Zambia", "lusaka", ""),
         ("c", "Lusaka IX", "ZM", "Lusaka", "Defunct")],
        schema=IXP_COLUMNS, orient="row",
    )  # fmt: skip
    members = pl.DataFrame([("a", 1, None), ("a", 2, None), ("b", 2, None), ("b", 3, None)], schema=MEMBER_COLUMNS,
                           orient="row")  # fmt: skip
    placed = place(IxpSnapshot("test", JANUARY, ixps, members))
    assert placed.snapshot.skipped == {MERGED: 2, NOT_RUNNING: 1}
    assert placed.merges.select("ixp_key", "into_key").rows() == [("b", "a"), ("c", "a")]
    assert placed.snapshot.members.get_column("ixp_key").unique().to_list() == ["a"]
    nobody = pl.DataFrame(schema={"asn": pl.Int64, "country": pl.String, "users": pl.Int64})
    own, _ = ixp_indicators(placed.snapshot.ixps, placed.snapshot.members, JANUARY, nobody.drop("users"), nobody)
    values = dict(zip(own.get_column("code"), own.get_column("value"), strict=True))
    assert values["ixp_count"] == 1 and values["ixp_members"] == 3 and values["ixp_active_count"] == 1


def test_pch_names_closed_exchanges_and_unknown_countries(db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "pch_2017-02_ixp_exchange.csv"
    path.write_text(
        "exchange_point_id, region, country, city, long_name, status\n"
        "1541, Africa, Congo-Brazzaville, Brazzaville, Congo Brazzaville IX, Active\n"
        "479, Africa, Congo-Kinshasa, Kinshasa, Kinshasa Internet Exchange, Active\n"
        "1909, Africa, Congo-Kinshasa, Lubumbashi, Lubumbashi Internet Exchange, Planned\n"
        "699, Africa, Cote D'Ivoire, Abidjan, CIV IXP, Defunct\n"
        "1702, Europe, Kosovo, Prishtine, KOSIX Internet Exchange Point, Active\n"
    )
    assert parse_pch(path).ixps.get_column("country").to_list() == ["COG", "COD", "COD", "CIV", "Kosovo"]
    result = PchIxps().run(path, db)
    assert result.skipped == {UNPLACED_UNKNOWN: 1, NOT_RUNNING: 2}
    assert _counts(db) == {"COG": 1, "COD": 1}  # the planned and the defunct exchange are kept, not counted
    with transaction(db) as session:
        assert session.scalar(select(Ixp.country).where(Ixp.ixp_key == "1702")) is None


def test_real_caida_2024_01(db: Engine) -> None:
    result = CaidaIxps().run(shared_data("network/caida-ixps/ixs_202401.jsonl"), db)
    # 86 records name no country; 24 are second records of an IXP (read by eye: docs/network.md).
    assert result.skipped == {UNPLACED_NONE: 86, MERGED: 24}
    counts = _counts(db)
    assert counts["NLD"] == 33 and counts["LIE"] == 3  # the Virtual Internet Exchange Point is in both
    assert counts["BOL"] == 3  # IXP MegaLink and IXP-MegaLink once; PIT Bolivia; Punto de Intercambio…
    assert counts["KEN"] == 8  # KIXP - Nairobi (PeeringDB's record) and KIXP Nairobi (HE's) once
    with transaction(db) as session:
        assert shared_ixp_excess(session, ["LIE", "NLD"], JANUARY) == {JANUARY: 1}
        megalink = session.execute(select(Ixp.ixp_key, Ixp.country).where(Ixp.name == "IXP-MegaLink")).one()
    assert tuple(megalink) == ("363", "BOL")
