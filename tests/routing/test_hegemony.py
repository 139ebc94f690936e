"""AS hegemony and country dependency: the rules on hand-made tables, and the real 2000 and 2002 RIBs
reproduced by the independent plain implementation in ``tests/routing/naive.py``."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from observatory.routing.hegemony import country_dependency, hegemony, viewpoint_scores
from observatory.routing.mrt import read_rib
from tests.conftest import shared_data
from tests.routing import mrtbuild as mb
from tests.routing import naive

SEQ, SET = 2, 1


@pytest.mark.parametrize("name", ["bgpdump_bview.20020722.2337.gz", "bgpkit_rrc00_2000.01_bview.20000111.0032.gz"])
def test_real_ribs_match_the_independent_implementation(name: str) -> None:
    path = shared_data(f"network/mrt/{name}")
    expected_global, expected_local = naive.hegemony(naive.read_table_dump(path))
    result = hegemony([viewpoint_scores(read_rib(path))])
    ours_global = dict(result.global_.select("asn", "hegemony").iter_rows())
    ours_local = {(o, a): h for o, a, h in result.local.iter_rows()}
    assert len(ours_global) == len(expected_global) > 6000
    assert len(ours_local) == len(expected_local) > 60000
    assert max(abs(ours_global[a] - v) for a, v in expected_global.items()) < 1e-12
    assert max(abs(ours_local[k] - v) for k, v in expected_local.items()) < 1e-12


def test_real_2000_rib_top_ases() -> None:
    result = hegemony(
        [viewpoint_scores(read_rib(shared_data("network/mrt/bgpkit_rrc00_2000.01_bview.20000111.0032.gz")))]
    )
    assert result.peer_ases == 4 and int(result.viewpoints["full"].sum()) == 6  # 192.65.184.1 (AS513) is partial
    top = result.global_.head(6)["asn"].to_list()
    assert top[:4] == [3549, 5409, 8259, 3333] and top[4] == 701  # the four peer ASes, then UUNET


def hand_rib(tmp_path: Path) -> Path:
    a, b, c = ("10.0.0.1", 10), ("10.0.0.2", 20), ("10.0.0.3", 30)
    tables = {
        a: [
            ("192.0.2.0/24", mb.segments((SEQ, [10, 100, 64500]))),
            ("192.0.2.128/25", mb.segments((SEQ, [10, 64502]))),
            ("198.51.100.0/24", mb.segments((SEQ, [10, 100, 200, 100, 64501]))),  # a loop: dropped
        ],
        b: [
            ("192.0.2.0/24", mb.segments((SEQ, [20, 20, 20, 64500]))),  # prepending
            ("192.0.2.128/25", mb.segments((SEQ, [20, 100, 64502]))),
            ("198.51.100.0/24", mb.segments((SEQ, [20]), (SET, [300, 400]), (SEQ, [64501]))),
        ],
        c: [("192.0.2.0/24", mb.segments((SEQ, [30, 64500])))],  # 1 prefix of 3: not a full table
    }
    path = tmp_path / "hand.mrt"
    path.write_bytes(mb.rib(tables))
    return path


def test_rules_on_a_hand_made_table(tmp_path: Path) -> None:
    scores = viewpoint_scores(read_rib(hand_rib(tmp_path)))
    assert scores.counts == {"entries": 7, "paths_used": 6, "paths_with_loops": 1, "empty_paths": 0}
    result = hegemony([scores])
    assert result.viewpoints.select("peer_asn", "full").sort("peer_asn").rows() == [(10, True), (20, True), (30, False)]
    # A: /24 keeps 128 addresses (its /25 is more specific), /25 128, the looping /24 is dropped: total 256.
    # B: 128 + 128 + 256 = 512; its AS_SET members get half of 256 each. Two peer ASes: nothing trimmed.
    assert dict(result.global_.rows()) == pytest.approx(
        {10: 0.5, 20: 0.5, 100: 0.375, 64500: 0.375, 64502: 0.375, 64501: 0.25, 300: 0.125, 400: 0.125}
    )
    local = result.local.filter(pl.col("origin") == 64501)
    assert dict(local.select("asn", "hegemony").rows()) == pytest.approx({20: 1.0, 300: 0.5, 400: 0.5, 64501: 1.0})
    assert dict(result.local.filter(pl.col("origin") == 64502).select("asn", "hegemony").rows()) == pytest.approx(
        {10: 0.5, 20: 0.5, 100: 0.5, 64502: 1.0}
    )


def test_trimmed_mean_drops_a_tenth_at_each_end(tmp_path: Path) -> None:
    tables = {
        (f"10.0.0.{i + 1}", 1000 + i): [
            ("192.0.2.0/24", mb.segments((SEQ, [1000 + i, *([777] if i >= 7 else []), 64500])))
        ]
        for i in range(10)
    }
    path = tmp_path / "ten.mrt"
    path.write_bytes(mb.rib(tables))
    result = hegemony([viewpoint_scores(read_rib(path))])
    scores = dict(result.global_.rows())
    assert scores[777] == pytest.approx(2 / 8)  # scores 1,1,1 and seven 0: drop one 0 and one 1
    assert scores[1000] == 0.0 and scores[64500] == 1.0


def test_viewpoints_of_one_peer_as_are_averaged(tmp_path: Path) -> None:
    tables = {
        ("10.0.0.1", 10): [("192.0.2.0/24", mb.segments((SEQ, [10, 100, 64500])))],
        ("10.0.0.2", 10): [("192.0.2.0/24", mb.segments((SEQ, [10, 64500])))],
        ("10.0.0.3", 20): [("192.0.2.0/24", mb.segments((SEQ, [20, 100, 64500])))],
    }
    path = tmp_path / "avg.mrt"
    path.write_bytes(mb.rib(tables))
    scores = dict(hegemony([viewpoint_scores(read_rib(path))]).global_.rows())
    assert scores[100] == pytest.approx((0.5 + 1.0) / 2)


def test_country_dependency() -> None:
    local = pl.DataFrame(
        {
            "origin": [1, 1, 1, 2, 2, 3, 3],
            "asn": [1, 100, 200, 2, 100, 3, 200],
            "hegemony": [1.0, 1.0, 0.5, 1.0, 0.5, 1.0, 1.0],
        }
    )
    registry = pl.DataFrame({"asn": [1, 2, 3, 4], "country": ["KEN", "KEN", "UGA", "KEN"]})
    by_as = country_dependency(local, registry)
    ken = {r["asn"]: r for r in by_as.filter(pl.col("country") == "KEN").iter_rows(named=True)}
    assert ken[100]["dependency"] == pytest.approx(0.75) and ken[200]["dependency"] == pytest.approx(0.25)
    assert ken[1]["dependency"] == pytest.approx(0.5) and ken[1]["transit_dependency"] == 0.0
    assert ken[100]["origins"] == 2  # AS 4 is registered in Kenya but announces nothing
    users = pl.DataFrame({"asn": [1, 2], "country": ["KEN", "KEN"], "users": [300, 100]})
    by_users = country_dependency(local, registry, users, country="KEN")
    assert set(by_users["country"]) == {"KEN"}
    assert dict(by_users.select("asn", "dependency").rows())[100] == pytest.approx((300 + 50) / 400)
