"""AS names, countries and categories: each kind of file read, bad input refused with file and line, and one
answer to "what is known about these ASes" (which name wins, which country, registry holders never as names)."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest
from sqlalchemy import Engine

from observatory.db import transaction
from observatory.network.models import Delegation
from observatory.network.sources.as_names import AsNames, delegation, known, registry_countries
from observatory.sources import SourceError, SourceLoad
from tests.conftest import shared_data

ASREL = (
    '"provider","provider_cc","provider_name","provider_type","customer","customer_cc","customer_region",'
    '"customer_name","customer_type","type"\n'
    '174,"US","COGENT-174","Transit/Access",37440,"MW","Eastern Africa","Airtel-MW","Transit/Access",-1\n'
    '2914,"US","NTT-COMMUNICATIONS-2914","Transit/Access",37440,"MW","Eastern Africa","Airtel-MW","Transit/Access",-1\n'
    '37662,"MU","WIOCC-AS","Transit/Access",37294,NULL,"Eastern Africa","","Transit/Access",-1\n'
)
CTI = (
    "asn,cti,hegemony\n"
    "174-Cogent Communications,0.1,0.08\n"
    '47394-"Albanian Satellite Communications" ,0.01778,0.02\n'
    '3216-PJSC "Vimpelcom",0.0001,4.5e-05\n'
    "9930,0.1,0.1\n"
    "1916-AssociaÃ§Ã£o Rede Nacional de En,0.1,0.1\n"
    "64496-Ã©tÃ©,0.1,0.1\n"
)
APNIC = (
    "asn,name,cc,users,country_pct,internet_pct,samples\n"
    "37440,Airtel-,MW,2096975,61.35,0.05,1\n"
    "37440,Airtel-,ZM,10,0.1,0.0,1\n"
)
CLASSES = "0 Other ZZ\n174 Communications US\n2914 Other US\n37440 Transit/Access MW\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    return path


def rows(tmp_path: Path, name: str, text: str) -> dict[int, tuple[str, str | None, str]]:
    parsed = AsNames().parse(write(tmp_path, name, text))
    return {r["asn"]: (r["name"], r["country"], r["category"]) for r in parsed.to_dicts()}


def test_afrinic_labs_relationships_give_both_ends_names_countries_and_kinds(tmp_path: Path) -> None:
    found = rows(tmp_path, "afrinic-labs_asn_relationship_africa01-08-2019.csv", ASREL)
    assert found[174] == ("COGENT-174", "USA", "Transit/Access")
    assert found[37440] == ("Airtel-MW", "MWI", "Transit/Access")
    assert found[37294] == ("", None, "Transit/Access")  # an empty name is no name, NULL no country


def test_cti_names_keep_their_quotes_and_lose_the_figures(tmp_path: Path) -> None:
    found = rows(tmp_path, "caida-cti_combined_joint_cti_hegemony.csv", CTI)
    assert found[174][0] == "Cogent Communications"
    assert found[47394][0] == "Albanian Satellite Communications"
    assert found[3216][0] == 'PJSC "Vimpelcom'
    assert found[9930][0] == ""
    assert found[1916][0] == "Associação Rede Nacional de En"  # decoded twice by CAIDA: repaired
    assert found[64496][0] == "été"


def test_apnic_gives_the_country_where_the_as_serves_most_users(tmp_path: Path) -> None:
    assert rows(tmp_path, "apnic_aspop-estimate_20220420.csv.gz", APNIC) == {37440: ("Airtel-", "MWI", "")}


def test_ihr_classes_may_hold_a_slash_and_zz_stays_as_written(tmp_path: Path) -> None:
    found = rows(tmp_path, "ihr_country-as-hegemony_classifiedAS_2019.txt.gz", CLASSES)
    assert found[37440] == ("", "MWI", "Transit/Access")
    assert found[0] == ("", "ZZ", "Other")
    path = write(tmp_path, "ihr_country-as-hegemony_classifiedAS_2019.txt", CLASSES)
    assert AsNames().describe(path, AsNames().parse(path))["data_date"] == dt.date(2019, 11, 19)


@pytest.mark.parametrize(
    ("name", "text", "message", "line"),
    [
        ("classes.txt", "174 Communications US\n175 Communications\n", "expected 'asn class country'", 2),
        ("classes.txt", "174 Communications US\nx174 Other US\n", "AS number 'x174'", 2),
        ("classes.txt", "174 Communications US\n174 Other US\n", "AS174 is listed twice", 2),
        ("names.csv", "hello,world\n1,2\n", "not a file of AS names", 1),
        ("asrel.csv", "provider,customer,type\n1,2,-1\n", "without provider_name", 1),
        ("asrel.csv", ASREL.replace("37440,", "-5,", 1), "AS number '-5'", 2),
        ("cti.csv", "asn,cti,hegemony\n174-Cogent,0.1,0.1\nCogent-174,0.1,0.1\n", "AS number 'Cogent'", 3),
    ],
)
def test_bad_input_names_the_file_and_line(tmp_path: Path, name: str, text: str, message: str, line: int) -> None:
    with pytest.raises(SourceError) as caught:
        AsNames().parse(write(tmp_path, name, text))
    assert message in caught.value.message
    assert caught.value.line == line
    assert name in str(caught.value)


def _registry(engine: Engine) -> None:
    """An RIR file delegating 37440 (in a range of two) to Malawi, with an opaque holder id."""
    with transaction(engine) as session:
        load = SourceLoad(
            source="rir_delegated", organisation="AFRINIC", dataset="", location="x", sha256="0",
            data_date=dt.date(2026, 8, 21),
        )  # fmt: skip
        session.add(load)
        session.flush()
        session.add(
            Delegation(
                load_id=load.id, rir="afrinic", country="MWI", is_country=True, kind="asn", start="37439", value=2,
                delegated=dt.date(2012, 4, 16), status="allocated", holder="F36B9F4B",
            )
        )  # fmt: skip
        session.add(
            Delegation(
                load_id=load.id, rir="afrinic", country="MWI", is_country=True, kind="ipv4", start="41.0.0.0",
                value=256, delegated=None, status="allocated", holder="F36B9F4B",
            )
        )  # fmt: skip


def test_what_is_known_picks_a_name_a_country_and_a_category(db: Engine, tmp_path: Path) -> None:
    for name, text in (
        ("afrinic-labs_asn_relationship_africa01-08-2019.csv", ASREL),
        ("caida-cti_combined_joint_cti_hegemony.csv", CTI),
        ("apnic_aspop-estimate_20220420.csv.gz", APNIC),
        ("ihr_country-as-hegemony_classifiedAS_2019.txt.gz", CLASSES),
    ):
        AsNames().run(write(tmp_path, name, text), db)
    _registry(db)
    with transaction(db) as session:
        facts = known(session, [174, 2914, 37440, 37294, 64512])
        assert facts[2914].category == "Transit/Access"  # IHR says only "Other": AFRINIC Labs' type says more
        assert facts[174].name == "Cogent Communications"  # CAIDA's organisation name before the AS handle
        assert facts[174].country == "USA"
        assert facts[174].category == "Communications"  # IHR's class before AFRINIC Labs' type
        assert facts[37440].name == "Airtel-MW"  # the relationships' handle before APNIC's, cut short
        assert facts[37440].country == "MWI"  # the registry's
        assert {s["source"] for s in facts[37440].sources} == {
            "AFRINIC Labs (CAIDA AS relationships)",
            "APNIC Labs (AS population estimates)",
            "Internet Health Report (AS classification)",
        }
        assert facts[37294].name is None and facts[37294].known  # named by no source, yet in the relationships
        assert not facts[64512].known and facts[64512].as_json()["sources"] == []
        # the registry's holder id is never a name
        assert all("F36B9F4B" not in str(f.as_json()) for f in facts.values())
        assert registry_countries(session, [37439, 37440, 37441]) == {37439: "MWI", 37440: "MWI"}
        assert delegation(session, 37440) == {
            "rir": "afrinic", "country": "MWI", "delegated": "2012-04-16", "status": "allocated",
            "as_of": "2026-08-21",
        }  # fmt: skip
        assert delegation(session, 41) is None


def test_loading_the_same_file_again_replaces_its_snapshot(db: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "caida-cti_combined_joint_cti_hegemony.csv", CTI)
    AsNames().run(path, db)
    path.write_text(CTI.replace("Cogent Communications", "Cogent"))
    AsNames().run(path, db)
    with transaction(db) as session:
        assert known(session, [174])[174].name == "Cogent"
        assert len(known(session, [174])[174].sources) == 1


def test_the_real_files_parse() -> None:
    for relative, least in (
        ("network/hegemony/ihr_country-as-hegemony_classifiedAS_2019.txt.gz", 90_000),
        ("network/caida-asrel/afrinic-labs_asn_relationship_africa01-08-2019.csv", 1_000),
        ("network/transit/caida-cti_combined_joint_cti_hegemony.csv", 2_000),
        ("network/ipv6/apnic_aspop-estimate_20220420.csv.gz", 20_000),
    ):
        assert AsNames().parse(shared_data(relative)).height > least
