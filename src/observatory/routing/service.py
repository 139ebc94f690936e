"""Routing tables as a source: RIB dumps in, dated AS hegemony and country dependency stored.

One load covers every RIB file of one dump date (several collectors give more viewpoints to the same
computation); its ``SourceLoad`` lists the files and hashes them all. Storing a date again replaces
that date's results inside the same transaction, so a failed run leaves the previous ones in place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from observatory.db import transaction
from observatory.network.common import insert_frame
from observatory.routing.hegemony import Hegemony, country_dependency
from observatory.routing.models import AsHegemony, CountryDependency
from observatory.routing.parallel import Done, all_scores, hegemony_by_date
from observatory.sources import LoadResult, Progress, Source, SourceLoad, sha256_of


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
        """Hegemony and country dependency for each dump date of ``paths``."""
        parts = all_scores(paths, self.af, scheduler=self.scheduler, workers=self.workers, on_done=self.on_done)
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
        results = self.compute([path])
        return results[0]

    def describe(self, path: Path, parsed: RoutingResult) -> dict[str, Any]:
        return {"edition": f"{parsed.date.isoformat()} IPv{parsed.af}", "data_date": parsed.date}

    def load(self, session: Session, parsed: RoutingResult, load: SourceLoad) -> LoadResult:
        """Replace the stored results of the same date and address family with ``parsed``."""
        for model in (AsHegemony, CountryDependency):
            session.execute(delete(model).where(model.data_date == parsed.date, model.af == parsed.af))
        base = {"data_date": parsed.date, "af": parsed.af}
        rows = insert_frame(session, AsHegemony, parsed.hegemony.global_.with_columns(**_lit(base)), load)
        for weighting, frame in parsed.dependency.items():
            rows += insert_frame(
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
                    edition=f"{result.date.isoformat()} IPv{result.af}",
                    data_date=result.date,
                    # one file: its own hash; several: the hash of their hashes, in order
                    sha256=digests[0] if len(digests) == 1 else hashlib.sha256("".join(digests).encode()).hexdigest(),
                )
                session.add(record)
                session.flush()
                outcome = self.load(session, result, record)
                record.rows = outcome.rows
            loaded.append(outcome)
        return loaded


def _lit(values: dict[str, Any]) -> dict[str, pl.Expr]:
    return {k: pl.lit(v) for k, v in values.items()}


def top_dependencies(
    session: Session, country: str, *, weighting: str = "as", af: int = 4, limit: int = 10
) -> dict[str, Any]:
    """The latest stored date's top ``limit`` dependencies of ``country`` and, for those ASes, every
    stored date: ``{"date", "top": [{asn, dependency, transit_dependency}], "series": {asn: [[date, value]]}}``."""
    where = (CountryDependency.country == country, CountryDependency.weighting == weighting, CountryDependency.af == af)
    latest = session.scalar(
        select(CountryDependency.data_date).where(*where).order_by(CountryDependency.data_date.desc())
    )
    if latest is None:
        return {"date": None, "top": [], "series": {}}
    top = session.execute(
        select(CountryDependency.asn, CountryDependency.dependency, CountryDependency.transit_dependency)
        .where(*where, CountryDependency.data_date == latest)
        .order_by(CountryDependency.dependency.desc(), CountryDependency.asn)
        .limit(limit)
    ).all()
    asns = [row.asn for row in top]
    series: dict[int, list[list[Any]]] = {asn: [] for asn in asns}
    for row in session.execute(
        select(CountryDependency.asn, CountryDependency.data_date, CountryDependency.dependency)
        .where(*where, CountryDependency.asn.in_(asns))
        .order_by(CountryDependency.data_date)
    ):
        series[row.asn].append([row.data_date.isoformat(), row.dependency])
    return {
        "date": latest.isoformat(),
        "top": [{"asn": r.asn, "dependency": r.dependency, "transit_dependency": r.transit_dependency} for r in top],
        "series": series,
    }
