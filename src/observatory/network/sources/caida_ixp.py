"""CAIDA IXP dataset: ``ixs_YYYYMM.jsonl`` (IXPs with their peering LAN prefixes) and
``facilities_YYYYMM.jsonl`` (colocation facilities), one quarterly release per file since 2018.

The release month in the file name is the snapshot date (the first of that month). ``#`` lines are
CAIDA's build metadata; ``ixs_201802.jsonl`` holds pretty-printed objects, read all the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy.orm import Session

from observatory.network.common import (
    check_prefixes,
    header_date,
    insert_frame,
    json_records,
    replace_previous,
    with_country,
)
from observatory.network.ixp import IXP_COLUMNS, IxpSnapshot, frame, load_snapshot, stem
from observatory.network.models import Facility
from observatory.sources import LoadResult, Source, SourceError, SourceLoad

CAIDA_ORG = "CAIDA (UC San Diego)"
INFO = "https://www.caida.org/catalog/datasets/ixps/"


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


class CaidaIxps(Source[IxpSnapshot]):
    NAME: ClassVar[str] = "caida_ixp"
    ORG: ClassVar[str] = CAIDA_ORG
    DATASET: ClassVar[str] = "CAIDA IXP dataset (ixs)"
    URL: ClassVar[str] = "https://publicdata.caida.org/datasets/ixps/ixs_202401.jsonl"
    INFO_URL: ClassVar[str] = INFO

    def parse(self, path: Path) -> IxpSnapshot:
        ixps: list[dict[str, Any]] = []
        prefixes: list[dict[str, Any]] = []
        for line, obj in json_records(path):
            key = obj.get("ix_id", obj.get("pdb_id"))
            if key is None:
                raise SourceError(path, "an IXP without ix_id", line=line)
            ixps.append(
                {
                    "ixp_key": str(key),
                    "name": _text(obj.get("name")),
                    "country": _text(obj.get("country")),
                    "city": _text(obj.get("city")),
                    "status": "",
                }
            )
            for family in ("ipv4", "ipv6"):
                for prefix in (obj.get("prefixes") or {}).get(family) or []:
                    prefixes.append({"ixp_key": str(key), "prefix": prefix, "line": line})
        found = frame(prefixes, {"ixp_key": pl.String, "prefix": pl.String, "line": pl.Int64})
        found = check_prefixes(path, found, "prefix").drop("line")
        return IxpSnapshot(stem(path), header_date(path), frame(ixps, IXP_COLUMNS), prefixes=found)

    def describe(self, path: Path, parsed: IxpSnapshot) -> dict[str, Any]:
        return parsed.describe()

    def load(self, session: Session, parsed: IxpSnapshot, load: SourceLoad) -> LoadResult:
        return load_snapshot(session, parsed, load, self.NAME)


class CaidaFacilities(Source[pl.DataFrame]):
    NAME: ClassVar[str] = "caida_facilities"
    ORG: ClassVar[str] = CAIDA_ORG
    DATASET: ClassVar[str] = "CAIDA IXP dataset (facilities)"
    URL: ClassVar[str] = "https://publicdata.caida.org/datasets/ixps/facilities_202401.jsonl"
    INFO_URL: ClassVar[str] = INFO

    def parse(self, path: Path) -> pl.DataFrame:
        rows = []
        for line, obj in json_records(path):
            key = obj.get("fac_id", obj.get("pdb_fac_id"))
            if key is None:
                raise SourceError(path, "a facility without fac_id", line=line)
            rows.append(
                {
                    "facility_key": str(key),
                    "name": _text(obj.get("name")),
                    "country": _text(obj.get("country")),
                    "city": _text(obj.get("city")),
                    "latitude": obj.get("latitude"),
                    "longitude": obj.get("longitude"),
                }
            )
        schema = {
            "facility_key": pl.String,
            "name": pl.String,
            "country": pl.String,
            "city": pl.String,
            "latitude": pl.Float64,
            "longitude": pl.Float64,
        }
        return with_country(frame(rows, schema), "country")

    def describe(self, path: Path, parsed: pl.DataFrame) -> dict[str, Any]:
        return {"edition": stem(path), "data_date": header_date(path)}

    def load(self, session: Session, parsed: pl.DataFrame, load: SourceLoad) -> LoadResult:
        from observatory.network.compute import refresh_after

        replace_previous(session, load)
        rows = insert_frame(session, Facility, parsed, load)
        return LoadResult(load.id, self.NAME, rows, load.edition, load.data_date, {}, refresh_after(session, load))
