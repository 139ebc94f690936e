"""Routing's queries and rules: the routing tables as a source (RIB dumps in, dated AS hegemony and country
dependency stored), the stored results read back, and the transit/peering picture of a country or a group put
together from the loaded snapshots (the figures themselves: :mod:`observatory.routing.transit`).

One load covers every RIB file of one dump date (several collectors give more viewpoints to the same
computation); its ``SourceLoad`` lists the files and hashes them all. Storing a date again replaces
that date's results inside the same transaction, so a failed run leaves the previous ones in place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from observatory import network
from observatory.db import bulk_insert, transaction
from observatory.errors import NotFound
from observatory.network.models import AsLink
from observatory.reference import COUNTRY_GROUPS, Area, countries, in_group, resolve_area
from observatory.routing import transit
from observatory.routing.hegemony import Hegemony, country_dependency
from observatory.routing.models import AsHegemony, CountryDependency
from observatory.routing.parallel import Done, all_scores, hegemony_by_date
from observatory.sources import LoadResult, Progress, Source, SourceError, SourceLoad, sha256_of

log = logging.getLogger(__name__)

ASREL = "caida_asrel"  # the ``NAME`` of the network capability's source of CAIDA AS relationships
IXP_CODES = ("asn_at_domestic_ixp_share", "eyeball_share_at_domestic_ixp")
# The areas transit figures are computed for: a country, or a group whose members the reference data know.
TRANSIT_KINDS = ("country", "un_group", "itu_region")
BATCH = 100_000  # rows written per batch


# ------------------------------------------------------------------ the routing tables as a source


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
        for model in (AsHegemony, CountryDependency):
            session.execute(delete(model).where(model.data_date == parsed.date, model.af == parsed.af))
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


def registry(session: Session, users: bool = False) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The newest RIR registry (asn → country) and, with ``users``, APNIC's users per AS, as loaded by
    ``observatory network ingest`` (each empty when not loaded; users None when not asked for)."""
    return network.asn_countries(session), network.eyeballs(session) if users else None


# ------------------------------------------------------------------ stored results


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


def dependency_frames(session: Session, country: str | None = None) -> dict[str, tuple[dt.date, pl.DataFrame]]:
    """Per weighting (``as``, ``eyeball``), the newest stored date's IPv4 country dependency (of ``country``, or
    of every country): that date and a frame country, asn, dependency, transit_dependency."""
    c = CountryDependency
    out: dict[str, tuple[dt.date, pl.DataFrame]] = {}
    for weighting in ("as", "eyeball"):
        where = [c.weighting == weighting, c.af == 4]
        if country:
            where.append(c.country == country)
        latest = session.scalar(select(c.data_date).where(*where).order_by(c.data_date.desc()).limit(1))
        if latest is None:
            continue
        rows = session.execute(
            select(c.country, c.asn, c.dependency, c.transit_dependency).where(*where, c.data_date == latest)
        ).all()
        schema = {"country": pl.String, "asn": pl.Int64, "dependency": pl.Float64, "transit_dependency": pl.Float64}
        out[weighting] = (latest, pl.DataFrame(rows, schema=schema, orient="row"))
    return out


# ------------------------------------------------------------------ transit vs. peering from the loaded snapshots


@dataclass
class Inputs:
    """What the transit figures are computed from, with the snapshots they come from."""

    links: pl.DataFrame
    registry: pl.DataFrame
    users: pl.DataFrame
    asrel_loads: list[dict[str, Any]] = field(default_factory=list)
    date: dt.date | None = None


def load_inputs(session: Session, on: dt.date | None = None) -> Inputs:
    """AS relationships from every loaded CAIDA snapshot dated on or before ``on`` (a pair seen in
    several keeps the newest snapshot's relationship: the shared data are subsets of one CAIDA release),
    with the registry state and APNIC estimates as of the newest of them."""
    stmt = select(SourceLoad).where(SourceLoad.source == ASREL, SourceLoad.id.in_(select(AsLink.load_id).distinct()))
    loads = [x for x in session.scalars(stmt) if on is None or (x.data_date or dt.date.min) <= on]
    loads.sort(key=lambda x: (x.data_date or dt.date.min, x.id))
    if not loads:
        return Inputs(
            pl.DataFrame(schema=transit.LINK_SCHEMA), pl.DataFrame(schema=transit.REGISTRY_SCHEMA), pl.DataFrame()
        )
    rank = {x.id: i for i, x in enumerate(loads)}
    a = AsLink
    rows = session.execute(select(a.load_id, a.asn1, a.asn2, a.relationship).where(a.load_id.in_(list(rank)))).all()
    links = pl.DataFrame(rows, schema={"load_id": pl.Int64, **transit.LINK_SCHEMA}, orient="row")
    pair = [
        pl.min_horizontal("provider", "customer").alias("lo"),
        pl.max_horizontal("provider", "customer").alias("hi"),
    ]
    links = (
        links.with_columns(pl.col("load_id").replace_strict(rank, return_dtype=pl.Int64).alias("rank"), *pair)
        .sort("rank")
        .unique(["lo", "hi"], keep="last")
        .select(list(transit.LINK_SCHEMA))
    )
    date = loads[-1].data_date
    return Inputs(
        links,
        network.asn_countries(session, date),
        network.eyeballs(session, date),
        [{"edition": x.edition, "data_date": x.data_date.isoformat() if x.data_date else None} for x in loads],
        date,
    )


def transit_picture(session: Session, area: Area, inputs: Inputs | None = None) -> dict[str, Any]:
    """Transit vs. peering for ``area``: :func:`country_transit` for a country, :func:`group_transit` for a UN
    group or an ITU region. Other kinds of area (the world, income groups, published aggregates, registry codes)
    have no transit figures: :class:`NotFound`."""
    if area.kind == "country":
        return country_transit(session, area.code, inputs)
    if area.kind in TRANSIT_KINDS:
        return group_transit(session, area.code, inputs)
    raise NotFound(f"no transit figures for {area.code}: they are computed for countries, UN groups and ITU regions")


def country_transit(session: Session, country: str, inputs: Inputs | None = None) -> dict[str, Any]:
    """The transit/peering picture of one country (alpha-3): AS-relationship figures with their
    coverage, the providers of its networks, the IXP shares, the foreign share of its transit dependency
    (from stored AS hegemony when present), its top AS dependencies over time, and its groups' figures."""
    inputs = inputs or load_inputs(session)
    table = transit.transit_table(inputs.links, inputs.registry, inputs.users)
    found = table.filter(pl.col("country") == country)
    figures = found.row(0, named=True) if found.height else None
    provider_rows = transit.providers(inputs.links, inputs.registry, country, inputs.users)
    ixp = network.country_indicators(session, country)
    # Without AS relationships there is no snapshot date to take the registry at: its newest state.
    registry = inputs.registry if inputs.registry.height else network.asn_countries(session)
    hegemony: dict[str, Any] = {}
    for weighting, (date, frame) in dependency_frames(session, country).items():
        share = transit.hegemony_foreign_share(frame, registry, country)
        if share:
            hegemony[weighting] = {"date": date.isoformat(), **share}
    top = top_dependencies(session, country)
    where = dict(zip(registry["asn"].to_list(), registry["country"].to_list(), strict=True)) if top["top"] else {}
    for row in top["top"]:
        row["country"] = where.get(row["asn"])
        row["foreign"] = where.get(row["asn"]) != country
    today = dt.date.today()
    return {
        "country": country,
        "as_relationships": {
            **_snapshots(inputs),
            "eyeballs": bool(inputs.users.height),
            "figures": _clean(figures),
            "providers": provider_rows.head(25).to_dicts(),
            "providers_total": provider_rows.height,
        },
        "ixp": {code: ixp[code].as_json() for code in IXP_CODES if code in ixp},
        "hegemony": hegemony,
        "top_dependencies": top,
        "groups": [
            {"group": g, **transit.group_summary(table, _members(g, today)), "ixp": _group_ixp(session, g)}
            for g in country_groups(country, today)
        ],
    }


def group_transit(session: Session, group: str, inputs: Inputs | None = None) -> dict[str, Any]:
    """The transit/peering figures of a group (LDC, LLDC, SIDS or an ITU region, by its code), pooled over its
    members today, and the members' own figures, most dependent on foreign transit first."""
    inputs = inputs or load_inputs(session)
    table = transit.transit_table(inputs.links, inputs.registry, inputs.users)
    members = _members(group, dt.date.today())
    rows = table.filter(pl.col("country").is_in(members) & (pl.col("known_asns") > 0)).sort(
        "foreign_transit_share", descending=True, nulls_last=True
    )
    return {
        "group": group,
        "as_relationships": _snapshots(inputs),
        "summary": transit.group_summary(table, members),
        "ixp": _group_ixp(session, group),
        "countries": [_clean(r) for r in rows.to_dicts()],
    }


def country_groups(country: str, on: dt.date | None = None) -> list[str]:
    """The UN groups the country (alpha-3) belongs to on ``on`` (default today), then its ITU region."""
    groups = [g for g in COUNTRY_GROUPS if in_group(g, country, on or dt.date.today())]
    found = countries().get(country)
    if found and found.itu_region:
        groups.append(found.itu_region)
    return groups


def _members(group: str, on: dt.date) -> list[str]:
    return resolve_area(group).members(on)


def _snapshots(inputs: Inputs) -> dict[str, Any]:
    return {"snapshots": inputs.asrel_loads, "registry_date": inputs.date.isoformat() if inputs.date else None}


def _group_ixp(session: Session, group: str) -> dict[str, Any]:
    values = network.group_indicators(session, group)
    return {code: values[code]["value"] for code in IXP_CODES if code in values}


def _clean(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop the numerator/denominator helpers from a figures row (the shares beside them say it)."""
    if row is None:
        return None
    return {k: v for k, v in row.items() if not k.endswith(("_num", "_den"))}
