"""Loading a folder of public data files laid out like the project's ``shared/data``.

``observatory data load DIR`` (and ``make run`` when ``../shared/data`` is beside the project) loads
every file it recognises, indicators first (the network indicators use population), each through its
source in its own transaction. A file already loaded with the same content (same source, same SHA-256)
is left as it is, so loading a folder again only loads what changed.

Files that state no edition of their own get the one their folder's MANIFEST gives (World Bank API
CSV: 2024-11; WDI long CSVs: 2026-07-01; ITU price baskets: Dec 2025 release).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from sqlalchemy import Engine, select

from observatory.db import transaction
from observatory.sources import SourceError, SourceLoad, sha256_of

WDI_SERIES = ("sp.pop.totl", "it.net.user.zs", "it.net.bbnd.p2", "it.cel.sets.p2", "it.mlt.main.p2")
PEERINGDB_EXTRACTS = ("ixp-peers.csv", "-ixp.csv", "ixp-info.csv", "ixp-prefixes.csv", "participants.csv.gz")


@dataclass(frozen=True)
class Job:
    """One file to load: which capability and source read it, with the edition to give it if any."""

    capability: str  # "indicators" or "network"
    source: str
    path: Path
    edition: str | None = None


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if p.is_file()) if folder.is_dir() else []


def indicator_jobs(root: Path) -> list[Job]:
    """The indicator files under ``root`` (a folder holding ``indicators/``)."""
    base = root / "indicators"
    jobs = [
        Job("indicators", "worldbank_api", p, "2024-11")
        for p in _files(base / "worldbank_it.net.user.zs_2024-11", "API_*.csv")
    ]
    jobs += [
        Job("indicators", "worldbank_wdi", p, "2026-07-01")
        for name in WDI_SERIES
        for p in _files(base / "worldbank_wdi_datasets-wdi", f"{name}.csv")
    ]
    jobs += [Job("indicators", "owid_sdg9c1", p) for p in _files(base / "owid_sdg9c1_mobile_network_coverage", "*.csv")]
    jobs += [
        Job("indicators", "itu_price_baskets", p, "2025-12-02")
        for p in _files(base / "itu_price_baskets_via_noah-taehwan", "*.csv")
    ]
    return jobs


def network_jobs(root: Path) -> list[Job]:
    """The Internet-infrastructure files under ``root`` (a folder holding ``network/``); MRT dumps are not
    loaded here (they are read by ``observatory routing``)."""
    base = root / "network"
    pairs = [("rir", p) for p in _files(base / "rir", "delegated-*")]
    pairs += [("caida-ixp", p) for p in _files(base / "caida-ixps", "ixs_*.jsonl")]
    pairs += [("caida-facilities", p) for p in _files(base / "caida-ixps", "facilities_*.jsonl")]
    pairs += [("peeringdb", p) for p in _files(base / "peeringdb", "traixroute_*.json")]
    pairs += [("peeringdb-csv", p) for p in _files(base / "peeringdb", "*") if p.name.endswith(PEERINGDB_EXTRACTS)]
    pairs += [("pch", p) for p in _files(base / "pch", "*.csv")]
    pairs += [("apnic-eyeballs", p) for p in _files(base / "ipv6", "apnic_aspop*")]
    pairs += [("caida-asrel", p) for p in _files(base / "caida-asrel", "*")]
    pairs += [("caida-pfx2as", p) for p in _files(base / "caida-pfx2as", "*")]
    return [Job("network", source, path) for source, path in pairs]


def jobs(root: Path) -> list[Job]:
    """Every file under ``root`` that a source reads, in loading order."""
    return indicator_jobs(root) + network_jobs(root)


@dataclass
class Outcome:
    job: Job
    status: str  # "loaded", "unchanged" or "failed"
    detail: str


def _already_loaded(engine: Engine | None, job: Job) -> bool:
    from observatory.indicators.sources import SOURCES as INDICATOR_SOURCES
    from observatory.network.service import SOURCES as NETWORK_SOURCES

    name = (INDICATOR_SOURCES if job.capability == "indicators" else NETWORK_SOURCES)[job.source].NAME
    digest = sha256_of(job.path)
    with transaction(engine) as session:
        found = session.scalar(
            select(SourceLoad.id).where(SourceLoad.source == name, SourceLoad.sha256 == digest).limit(1)
        )
    return found is not None


def load(
    todo: list[Job], engine: Engine | None = None, *, progress: Callable[[Job], None] | None = None
) -> Iterator[Outcome]:
    """Load ``todo`` in order; a file that fails is reported and leaves the data as it was."""
    from observatory.indicators.sources import SOURCES as INDICATOR_SOURCES
    from observatory.network.service import ingest as network_ingest

    fresh = []
    for job in todo:
        if _already_loaded(engine, job):
            yield Outcome(job, "unchanged", "already loaded")
        else:
            fresh.append(job)
    for (capability, source), group in groupby(fresh, key=lambda j: (j.capability, j.source)):
        batch = list(group)
        if capability == "indicators":
            for job in batch:
                if progress:
                    progress(job)
                try:
                    result = INDICATOR_SOURCES[source](job.edition).run(job.path, engine)
                    yield Outcome(job, "loaded", f"{result.rows} observations, edition {result.edition}")
                except SourceError as e:
                    yield Outcome(job, "failed", str(e))
        else:
            by_location = {str(job.path): job for job in batch}

            def report(location: str, by_location: dict[str, Job] = by_location) -> None:
                if progress:
                    progress(by_location[location])

            for done in network_ingest(source, list(by_location), engine, progress=report):
                job = by_location[done.location]
                if done.result:
                    yield Outcome(job, "loaded", f"{done.result.rows} rows")
                else:
                    yield Outcome(job, "failed", str(done.error))
