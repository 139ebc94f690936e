"""Many RIB files (collectors × dates) at once: each file is read and scored where it runs, on local
processes by default or on an existing Dask cluster, and only its viewpoint scores come back.

A file's viewpoint scores are all that hegemony needs from it, so the files are independent until the
last step (the full-feed threshold, the peer-AS averages and the trimmed means), which runs here once
per dump date over every file of that date.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

from observatory.routing.hegemony import Hegemony, ViewpointScores, hegemony, viewpoint_scores
from observatory.routing.mrt import read_rib

Done = Callable[[ViewpointScores], None]


def file_scores(path: str, af: int = 4) -> ViewpointScores:
    """Read one RIB file and score its viewpoints (the unit of work sent to a worker)."""
    return viewpoint_scores(read_rib(path), af)


def all_scores(
    paths: Sequence[str | Path],
    af: int = 4,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    on_done: Done | None = None,
) -> list[ViewpointScores]:
    """Viewpoint scores of every file, in the order of ``paths``.

    ``scheduler`` is the address of a running Dask scheduler (``tcp://host:8786``); without it the
    files are spread over ``workers`` local processes (default: one per core, at most one per file).
    A file that cannot be read raises its :class:`~observatory.sources.SourceError`; nothing is
    returned then."""
    names = [str(p) for p in paths]
    if scheduler:
        return _on_dask(names, af, scheduler, on_done)
    workers = max(1, min(workers or os.cpu_count() or 1, len(names)))
    if workers == 1:
        results = []
        for name in names:
            results.append(file_scores(name, af))
            if on_done:
                on_done(results[-1])
        return results
    # spawn: a fresh interpreter per worker, never a fork of a process holding threads or a database
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures: dict[Future[ViewpointScores], int] = {pool.submit(file_scores, n, af): i for i, n in enumerate(names)}
        done: dict[int, ViewpointScores] = {}
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    done[futures[future]] = future.result()
                    if on_done:
                        on_done(done[futures[future]])
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return [done[i] for i in range(len(names))]


def _on_dask(names: list[str], af: int, scheduler: str, on_done: Done | None) -> list[ViewpointScores]:
    from distributed import Client, as_completed

    with Client(scheduler) as client:  # type: ignore[no-untyped-call]
        futures = client.map(file_scores, names, af=af, pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        done: dict[int, ViewpointScores] = {}
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                done[index[future.key]] = future.result()
                if on_done:
                    on_done(done[index[future.key]])
        finally:
            client.cancel(futures)
    return [done[i] for i in range(len(names))]


def hegemony_by_date(parts: Sequence[ViewpointScores]) -> dict[str, Hegemony]:
    """Hegemony per dump date (ISO date → result) from the viewpoint scores of many files."""
    by_date: dict[str, list[ViewpointScores]] = defaultdict(list)
    for part in parts:
        by_date[part.date].append(part)
    return {date: hegemony(group) for date, group in sorted(by_date.items())}
