"""BGP routing tables (MRT RIB dumps) as a source: RIB files in, dated AS hegemony and country dependency stored.

One load covers every RIB file of one dump date (several collectors give more viewpoints to the same
computation); its ``SourceLoad`` lists the files and hashes them all. Storing a date again replaces that
date's results inside the same transaction, so a failed run leaves the previous ones in place. The files are
given on the command line (``observatory routing hegemony RIB… --store``), not found in a data folder: a RIB
of today's Internet takes minutes to read, so ``observatory data load`` leaves them to that command.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from observatory.db import bulk_insert, transaction
from observatory.routing.hegemony import Hegemony, country_dependency
from observatory.routing.models import AsHegemony, CountryDependency
from observatory.routing.parallel import Done, all_scores, hegemony_by_date
from observatory.sources import LoadResult, Progress, Source, SourceError, SourceLoad, sha256_of

log = logging.getLogger(__name__)
BATCH = 100_000  # rows written per batch


@dataclass
class RoutingResult:
    """The results of one dump date."""

    date: dt.date
    af: int
    hegemony: Hegemony
    dependency: dict[str, pl.DataFrame] = field(default_factory=dict)  # weighting → country dependency
    files: list[str] = field(default_factory=list)


class RoutingTables(Source[RoutingResult]):
    """BGP routing tables (MRT RIB dumps) of public route collectors."""

    NAME = "routing_tables"
    ORG = "RIPE NCC Routing Information Service; University of Oregon RouteViews"
    DATASET = "BGP routing table dumps (MRT): AS hegemony and country dependency"
    URL = "https://data.ris.ripe.net/rrc00/latest-bview.gz"
    INFO_URL = "https://ris.ripe.net/docs/mrt/"
    LICENCE = "RIPE NCC RIS and RouteViews data: free to use, with attribution"
    LABEL = "BGP routing tables (RIPE RIS, RouteViews)"
    FEEDS = "AS hegemony and country dependency (routing), the foreign share of transit dependency"
    FILES: ClassVar[tuple[str, ...]] = ()  # given on the command line, never loaded from a data folder

    def __init__(
        self,
        asn_countries: pl.DataFrame | None = None,
        eyeballs: pl.DataFrame | None = None,
        *,
        af: int = 4,
        scheduler: str | None = None,
        workers: int | None = None,
        on_done: Done | None = None,
    ) -> None:
        self.asn_countries = asn_countries
        self.eyeballs = eyeballs
        self.af = af
        self.scheduler = scheduler
        self.workers = workers
        self.on_done = on_done

    def compute(self, paths: Sequence[Path]) -> list[RoutingResult]:
        """Hegemony and country dependency for each dump date of ``paths``; a file that cannot be read raises
        its :class:`SourceError` (logged) and nothing is returned."""
        try:
            return self._compute(paths)
        except SourceError as e:
            log.warning("%s: refused %s: %s", self.NAME, ", ".join(str(p) for p in paths), e)
            raise

    def _compute(self, paths: Sequence[Path]) -> list[RoutingResult]:
        parts = all_scores(paths, self.af, scheduler=self.scheduler, workers=self.workers, on_done=self.on_done)
        for part in parts:
            skipped = ", ".join(f"{count} {kind}" for kind, (count, _) in part.skipped.items()) or "none"
            log.info(
                "%s: read %s (%s): %d IPv%d entries, %d viewpoints; records skipped: %s",
                self.NAME,
                part.source,
                part.date,
                part.counts.get("entries", 0),
                self.af,
                part.viewpoints.height,
                skipped,
            )
        results = []
        for date, result in hegemony_by_date(parts).items():
            dependency: dict[str, pl.DataFrame] = {}
            if self.asn_countries is not None and self.asn_countries.height:
                dependency["as"] = country_dependency(result.local, self.asn_countries)
                if self.eyeballs is not None and self.eyeballs.height:
                    dependency["eyeball"] = country_dependency(result.local, self.asn_countries, self.eyeballs)
            files = [p.source for p in parts if p.date == date]
            results.append(RoutingResult(dt.date.fromisoformat(date), self.af, result, dependency, files))
        return results

    def parse(self, path: Path) -> RoutingResult:
        """The results of one RIB file (the common source shape: one file, one load, a refusal logged by
        :meth:`Source.run`)."""
        return self._compute([path])[0]

    def describe(self, path: Path, parsed: RoutingResult) -> dict[str, Any]:
        """The edition (dump date and address family) and data date of a file's results."""
        return {"edition": _edition(parsed), "data_date": parsed.date}

    def load(self, session: Session, parsed: RoutingResult, load: SourceLoad) -> LoadResult:
        """Replace the stored results of the same date and address family with ``parsed``."""
        # Only this source's rows of the date: IHR's published hegemony of the same day (``ihr_hegemony``) stays.
        own = select(SourceLoad.id).where(SourceLoad.source == self.NAME, SourceLoad.id != load.id)
        for model in (AsHegemony, CountryDependency):
            session.execute(
                delete(model).where(model.data_date == parsed.date, model.af == parsed.af, model.load_id.in_(own))
            )
        base = {"data_date": parsed.date, "af": parsed.af}
        rows = _insert(session, AsHegemony, parsed.hegemony.global_.with_columns(**_lit(base)), load)
        for weighting, frame in parsed.dependency.items():
            rows += _insert(
                session, CountryDependency, frame.with_columns(**_lit({**base, "weighting": weighting})), load
            )
        counts = parsed.hegemony.counts
        return LoadResult(
            load.id,
            self.NAME,
            rows,
            load.edition,
            parsed.date,
            skipped={
                k: v for k, v in counts.items() if k in ("paths_with_loops", "empty_paths") or k.startswith("skipped")
            },
            notes=[
                f"{parsed.hegemony.viewpoints['full'].sum()} full-feed viewpoints in {parsed.hegemony.peer_ases} "
                f"peer ASes, {len(parsed.files)} file(s)"
            ],
        )

    def run_many(
        self, locations: Sequence[str | Path], engine: Engine | None = None, *, progress: Progress | None = None
    ) -> list[LoadResult]:
        """Fetch every location, compute per dump date, and store each date in its own transaction."""
        paths = {str(self.fetch(location, progress=progress)): str(location) for location in locations}
        return self.store(self.compute([Path(p) for p in paths]), engine, paths)

    def store(
        self, results: Sequence[RoutingResult], engine: Engine | None = None, locations: dict[str, str] | None = None
    ) -> list[LoadResult]:
        """Store computed results, one transaction and one ``SourceLoad`` per date; ``locations`` maps a
        downloaded file back to its address."""
        loaded = []
        for result in results:
            where = [(locations or {}).get(f, f) for f in result.files]
            digests = [sha256_of(Path(f)) for f in result.files]
            with transaction(engine) as session:
                record = SourceLoad(
                    source=self.NAME,
                    organisation=self.ORG,
                    dataset=self.DATASET,
                    location="\n".join(where),
                    info_url=self.INFO_URL,
                    edition=_edition(result),
                    data_date=result.date,
                    # one file: its own hash; several: the hash of their hashes, in order
                    sha256=digests[0] if len(digests) == 1 else hashlib.sha256("".join(digests).encode()).hexdigest(),
                )
                session.add(record)
                session.flush()
                outcome = self.load(session, result, record)
                record.rows = outcome.rows
            log.info(
                "%s: stored %d rows of AS hegemony and country dependency for %s from %d file(s) (load %d)",
                self.NAME,
                outcome.rows,
                outcome.edition,
                len(result.files),
                outcome.load_id,
            )
            loaded.append(outcome)
        return loaded


def _edition(result: RoutingResult) -> str:
    return f"{result.date.isoformat()} IPv{result.af}"


def _lit(values: dict[str, Any]) -> dict[str, pl.Expr]:
    return {k: pl.lit(v) for k, v in values.items()}


def _insert(session: Session, model: Any, frame: pl.DataFrame, load: SourceLoad) -> int:
    """Write the columns of ``frame`` that ``model``'s table has, each row pointing at ``load``, in batches."""
    table = model.__table__
    rows = frame.select([c for c in frame.columns if c in table.c]).with_columns(load_id=pl.lit(load.id))
    for batch in rows.iter_slices(BATCH):
        bulk_insert(session.connection(), table, batch.to_dicts())
    return rows.height
