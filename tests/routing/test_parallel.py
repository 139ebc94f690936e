"""Many RIB files: local processes and a real Dask cluster of two workers give the in-process result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import LocalCluster

from observatory.routing.parallel import all_scores, hegemony_by_date
from observatory.sources import SourceError
from tests.conftest import shared_data
from tests.routing import mrtbuild as mb


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("ribs")
    # a second collector on the same date as the hand-made file (mrtbuild.TIME is 2023-11-14)
    second = folder / "collector2.mrt"
    second.write_bytes(
        mb.rib(
            {
                ("10.9.0.1", 64999): [("192.0.2.0/24", mb.segments((2, [64999, 3356, 64500])))],
                ("10.9.0.2", 65000): [("192.0.2.0/24", mb.segments((2, [65000, 64500])))],
            }
        )
    )
    first = folder / "collector1.mrt"
    first.write_bytes(mb.rib({("10.8.0.1", 64998): [("192.0.2.0/24", mb.segments((2, [64998, 3356, 64500])))]}))
    return [str(shared_data("network/mrt/bgpdump_bview.20020722.2337.gz")), str(first), str(second)]


@pytest.fixture(scope="module")
def expected(files: list[str]) -> dict[str, list[tuple[int, float]]]:
    return {d: h.global_.rows() for d, h in hegemony_by_date(all_scores(files, workers=1)).items()}


def test_dates_are_computed_separately_and_collectors_together(expected: dict[str, list[tuple[int, float]]]) -> None:
    assert list(expected) == ["2002-07-22", "2023-11-14"]
    assert dict(expected["2023-11-14"])[3356] == pytest.approx(2 / 3)  # 3 peer ASes from 2 files, 2 through 3356


def test_local_processes(files: list[str], expected: dict[str, list[tuple[int, float]]]) -> None:
    seen: list[str] = []
    parts = all_scores(files, workers=2, on_done=lambda s: seen.append(s.source))
    assert sorted(seen) == sorted(files)
    assert {d: h.global_.rows() for d, h in hegemony_by_date(parts).items()} == expected


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:  # type: ignore[no-untyped-call]
        yield c


def test_dask_cluster_of_two_workers(
    cluster: LocalCluster, files: list[str], expected: dict[str, list[tuple[int, float]]]
) -> None:
    parts = all_scores(files, scheduler=cluster.scheduler_address)
    assert {d: h.global_.rows() for d, h in hegemony_by_date(parts).items()} == expected


def test_a_bad_file_on_dask_names_itself(cluster: LocalCluster, files: list[str], tmp_path: Path) -> None:
    bad = tmp_path / "cut.mrt"
    bad.write_bytes(Path(files[1]).read_bytes()[:-5])
    with pytest.raises(SourceError, match=r"cut\.mrt, byte \d+: MRT record runs past the end") as e:
        all_scores([files[1], str(bad)], scheduler=cluster.scheduler_address)
    assert e.value.offset is not None
    with pytest.raises(SourceError, match=r"cut\.mrt"):
        all_scores([files[1], str(bad)], workers=2)
