"""The snapshot every IXP source produces (IXPs, members, peering LAN prefixes), how it is written, and the
shape of those sources."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from observatory.network.common import header_date, insert_frame, replace_previous, with_country
from observatory.network.compute import refresh_ixp
from observatory.network.models import Ixp, IxpMember, IxpPrefix
from observatory.sources import LoadResult, Source, SourceLoad

IXP_COLUMNS = {"ixp_key": pl.String, "name": pl.String, "country": pl.String, "city": pl.String, "status": pl.String}
MEMBER_COLUMNS = {"ixp_key": pl.String, "asn": pl.Int64, "country": pl.String}
PREFIX_COLUMNS = {"ixp_key": pl.String, "prefix": pl.String}


@dataclass
class IxpSnapshot:
    """What one IXP file says; ``members`` is empty when the source does not list members."""

    edition: str
    data_date: dt.date | None
    ixps: pl.DataFrame
    members: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=MEMBER_COLUMNS))
    prefixes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PREFIX_COLUMNS))
    skipped: dict[str, int] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """The snapshot's edition and date, as :meth:`observatory.sources.Source.describe` gives them."""
        return {"edition": self.edition, "data_date": self.data_date}


class IxpSource(Source[IxpSnapshot]):
    """A source of IXP snapshots (CAIDA, PeeringDB, PCH): each file is one snapshot, written with the
    indicators computed from it."""

    def describe(self, path: Path, parsed: IxpSnapshot) -> dict[str, Any]:
        """The snapshot's own edition and date."""
        return parsed.describe()

    def load(self, session: Session, parsed: IxpSnapshot, load: SourceLoad) -> LoadResult:
        """Write the snapshot and compute its indicators (:func:`load_snapshot`)."""
        return load_snapshot(session, parsed, load, self.NAME)


def frame(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    """``rows`` as a frame of ``schema`` (an empty frame of it when there are none)."""
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)


def load_snapshot(session: Session, snapshot: IxpSnapshot, load: SourceLoad, name: str) -> LoadResult:
    """Write an IXP snapshot (replacing an earlier load of the same edition) and compute its indicators."""
    replace_previous(session, load)
    rows = insert_frame(session, Ixp, with_country(snapshot.ixps, "country"), load)
    members = with_country(snapshot.members, "country", flag=None).unique(["ixp_key", "asn"], maintain_order=True)
    rows += insert_frame(session, IxpMember, members, load)
    rows += insert_frame(session, IxpPrefix, snapshot.prefixes.unique(maintain_order=True), load)
    session.flush()
    notes = [f"{refresh_ixp(session, load)} indicator values"]
    return LoadResult(load.id, name, rows, load.edition, load.data_date, snapshot.skipped, notes)


def companion(path: Path, suffix: str) -> Path | None:
    """The file beside ``path`` whose name ends with ``suffix``, closest in date (extracts come in sets)."""
    candidates = sorted(p for p in path.parent.iterdir() if p.name.endswith(suffix) and p != path)
    if not candidates:
        return None
    target = header_date(path) or dt.date.min
    return min(candidates, key=lambda p: abs(((header_date(p) or dt.date.min) - target).days))
