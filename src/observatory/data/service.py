"""Loading a folder of public data files laid out like the project's ``shared/data``, through the source
registry.

The registry is every :class:`~observatory.sources.Source` of the capabilities that ingest data
(:data:`CAPABILITIES`), by ``NAME``. Each source says which files of a data folder it reads (``FILES``) and
the edition its folder's MANIFEST gives those that state none (``EDITION``: World Bank API CSV 2024-11, WDI
long CSVs 2026-07-01, ITU price baskets 2025-12-02), so ``observatory data load DIR`` (and ``make run`` when
``../shared/data`` is beside the project) is a loop over the registry: indicators first (the network
indicators use population), then each capability's sources by name. Each file loads through its source in
its own transaction, and each source recomputes what depends on it once, after its batch
(:meth:`~observatory.sources.Source.recompute`), so the order within a capability does not matter. A file
already loaded with the same content (same source, same SHA-256) is left as it is, so loading a folder
again only loads what changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from observatory.db import transaction
from observatory.sources import Registry, Source, SourceLoad, bump_data_revision, find_source, registry, sha256_of

# The capabilities with a ``sources`` package, in loading order: the one list the registry is built from.
CAPABILITIES = ("indicators", "network", "routing")
log = logging.getLogger(__name__)


def sources() -> Registry:
    """The source registry: every source of :data:`CAPABILITIES`, by ``NAME``, in loading order."""
    return registry(*(f"observatory.{capability}.sources" for capability in CAPABILITIES))


def capability_of(source: type[Source[Any]]) -> str:
    """The capability whose ``sources`` package defines ``source``."""
    return source.__module__.split(".")[1]


@dataclass(frozen=True)
class Job:
    """One file to load: which capability and source read it (``source``: its registry ``NAME``; an earlier
    command-line name such as ``rir`` is taken for it), with the edition to give it if any."""

    capability: str  # "indicators" or "network"
    source: str
    path: Path
    edition: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", find_source(sources(), self.source).NAME)


def files(root: Path, source: type[Source[Any]]) -> list[Path]:
    """The files under ``root`` (a folder laid out like shared/data) that ``source`` reads, by name."""
    if not root.is_dir():
        return []
    return sorted({p for pattern in source.FILES for p in root.glob(pattern) if p.is_file()})


def jobs(root: Path, capability: str | None = None) -> list[Job]:
    """Every file under ``root`` that a source reads (of one ``capability``, or all), in loading order.
    MRT dumps are not among them: ``observatory routing`` reads those."""
    return [
        Job(capability_of(cls), name, path, cls.EDITION)
        for name, cls in sources().items()
        if capability in (None, capability_of(cls))
        for path in files(root, cls)
    ]


def indicator_jobs(root: Path) -> list[Job]:
    """The indicator files under ``root`` (a folder holding ``indicators/``)."""
    return jobs(root, "indicators")


def network_jobs(root: Path) -> list[Job]:
    """The Internet-infrastructure files under ``root`` (a folder holding ``network/``)."""
    return jobs(root, "network")


@dataclass
class Outcome:
    """What loading one file did: ``status`` is ``loaded``, ``unchanged`` or ``failed``, ``detail`` says more."""

    job: Job
    status: str
    detail: str


def _already_loaded(engine: Engine | None, job: Job) -> bool:
    digest = sha256_of(job.path)
    with transaction(engine) as session:
        found = session.scalar(
            select(SourceLoad.id).where(SourceLoad.source == job.source, SourceLoad.sha256 == digest).limit(1)
        )
    return found is not None


def load(
    todo: list[Job], engine: Engine | None = None, *, progress: Callable[[Job], None] | None = None
) -> Iterator[Outcome]:
    """Load ``todo`` in order, each file through its source in its own transaction, a source's consecutive
    files of one edition as one batch; a file that fails is reported and leaves the data as it was."""
    registered = sources()
    fresh = []
    for job in todo:
        if _already_loaded(engine, job):
            log.info("%s: unchanged %s (already loaded)", job.source, job.path)
            yield Outcome(job, "unchanged", "already loaded")
        else:
            fresh.append(job)
    # What depends on several sources (the registry figures on four of them) is recomputed once, after the
    # last file of all, not after each source.
    pending: dict[str, type[Source[Any]]] = {}
    for (name, edition), group in groupby(fresh, key=lambda j: (j.source, j.edition)):
        by_location = {str(job.path): job for job in group}

        def report(location: str, by_location: dict[str, Job] = by_location) -> None:
            if progress:
                progress(by_location[location])

        cls = registered[name]
        results = cls(edition).run_batch(list(by_location), engine, each=report, recompute=False)
        if any(done.result for done in results):
            pending.pop(cls.RECOMPUTES or cls.NAME, None)
            pending[cls.RECOMPUTES or cls.NAME] = cls  # the last of a key, run in order of the last loaded
        for done in results:
            job = by_location[done.location]
            if done.result:
                detail = f"{done.result.rows} rows, edition {done.result.edition}"
                left = "; ".join(f"{n} {what}" for what, n in done.result.skipped.items() if n)
                notes = "; ".join(done.result.notes)
                yield Outcome(
                    job, "loaded", detail + (f"; left out: {left}" if left else "") + (f"; {notes}" if notes else "")
                )
            else:
                yield Outcome(job, "failed", str(done.error))
    for cls in pending.values():
        with transaction(engine) as session:
            for note in cls.recompute(session):
                log.info("%s: %s", cls.NAME, note)
            bump_data_revision(session)
