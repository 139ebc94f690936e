"""PeeringDB: the public dump format and the CSV extracts researchers publish from it.

**Dump** (JSON): either one combined document ``{"ix": {"data": [...]}, "ixlan": {...}, "ixpfx": ...,
"net": ..., "netixlan": ..., "fac": ..., "org": ...}`` or one document per object type
``{"meta": {...}, "data": [...]}`` whose type is named at the end of the file name (``…_ix.json``).
Members come from ``netixlan`` (its ``ix_id``, or its ``ixlan_id`` through ``ixlan``); a member's
country is its organisation's (``net.org_id`` → ``org.country``). Objects whose ``status`` is not
``ok`` are counted and skipped, as PeeringDB itself hides them. The snapshot date is
``meta.generated`` when present, else the date in the file name.

**CSV extracts**: IXP lists (``ix_id|id, name, …, country``), IXP–member lists with countries
(``ix_id, org_id, peer_asn, ix_cc, peer_cc``), netixlan participants (``ix_id, ixlan_id, asn, ip``)
and IXP prefixes (``ix_id, ixlan_id, proto, prefix``); the last two take their IXPs' countries from
the IXP list beside them (``*ixp-info.csv``), since they carry none.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from observatory.network.common import check_asn, check_prefixes, header_date, read_csv, stem
from observatory.network.ixp import IXP_COLUMNS, MEMBER_COLUMNS, IxpSnapshot, IxpSource, companion, frame
from observatory.sources import SourceError, read_bytes

OBJECTS = ("ix", "ixlan", "ixpfx", "net", "netixlan", "fac", "org")
INFO = "https://docs.peeringdb.com/"
FOLDER = "network/peeringdb"
# The extracts of shared/data's PeeringDB folder that this loader knows, by the end of their names.
EXTRACTS = ("ixp-peers.csv", "-ixp.csv", "ixp-info.csv", "ixp-prefixes.csv", "participants.csv.gz")


def _objects(path: Path, document: Any) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(document, dict):
        raise SourceError(path, "a PeeringDB dump is a JSON object")
    if "data" in document:
        kind = stem(path).replace("-", "_").rsplit("_", 1)[-1]
        if kind not in OBJECTS:
            raise SourceError(
                path, f"cannot tell the object type from the file name (expected …_{'|'.join(OBJECTS)}.json)"
            )
        return {kind: document["data"]}
    found = {k: (v.get("data", []) if isinstance(v, dict) else v) for k, v in document.items() if k in OBJECTS}
    if "ix" not in found:
        raise SourceError(path, "no 'ix' objects: not a PeeringDB dump")
    return found


def _ok(rows: list[dict[str, Any]], skipped: dict[str, int], kind: str) -> list[dict[str, Any]]:
    kept = [r for r in rows if r.get("status", "ok") == "ok"]
    if len(kept) != len(rows):
        skipped[f"{kind} not ok"] = len(rows) - len(kept)
    return kept


def parse_dump(path: Path) -> IxpSnapshot:
    """Parse a PeeringDB JSON dump (combined or one object type per file)."""
    raw = read_bytes(path)
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as e:
        raise SourceError(path, f"not JSON: {e.msg}", line=e.lineno) from None
    objects = _objects(path, document)
    skipped: dict[str, int] = {}
    ok = {k: _ok(v, skipped, k) for k, v in objects.items()}
    ixps = frame(
        [
            {
                "ixp_key": str(r["id"]),
                "name": r.get("name") or "",
                "country": r.get("country") or "",
                "city": r.get("city") or "",
                "status": r.get("status", "ok"),
            }
            for r in ok.get("ix", [])
        ],
        IXP_COLUMNS,
    )
    lan_ix = {r["id"]: r["ix_id"] for r in ok.get("ixlan", [])}
    org_country = {r["id"]: r.get("country") or "" for r in ok.get("org", [])}
    net_country = {r["id"]: org_country.get(r.get("org_id"), "") for r in ok.get("net", [])}
    members = []
    for i, r in enumerate(ok.get("netixlan", [])):
        ix = r.get("ix_id", lan_ix.get(r.get("ixlan_id")))
        if ix is None:
            raise SourceError(path, f"netixlan {r.get('id')} points to no known ixlan/ix")
        members.append(
            {
                "ixp_key": str(ix),
                "asn": str(r.get("asn")),
                "country": net_country.get(r.get("net_id"), ""),
                "line": i + 1,
            }
        )
    member_frame = frame(members, {"ixp_key": pl.String, "asn": pl.String, "country": pl.String, "line": pl.Int64})
    member_frame = check_asn(path, member_frame, "asn").drop("line")
    prefixes = [
        {"ixp_key": str(lan_ix.get(r.get("ixlan_id"), r.get("ixlan_id"))), "prefix": r.get("prefix"), "line": i + 1}
        for i, r in enumerate(ok.get("ixpfx", []))
    ]
    prefix_frame = frame(prefixes, {"ixp_key": pl.String, "prefix": pl.String, "line": pl.Int64})
    generated = (document.get("meta") or {}).get("generated") if "meta" in document else None
    day = dt.datetime.fromtimestamp(float(generated), dt.UTC).date() if generated else header_date(path)
    return IxpSnapshot(
        stem(path), day, ixps, member_frame, check_prefixes(path, prefix_frame, "prefix").drop("line"), skipped
    )


def _ixp_list(table: pl.DataFrame) -> pl.DataFrame:
    key = "ix_id" if "ix_id" in table.columns else "id"
    return table.select(
        pl.col(key).alias("ixp_key"),
        pl.col("name").fill_null(""),
        pl.col("country").fill_null(""),
        pl.lit("").alias("city"),
        pl.lit("").alias("status"),
    )


def parse_extract(path: Path) -> IxpSnapshot:
    """Parse one PeeringDB CSV extract (kind recognised by its columns)."""
    table = read_csv(path)
    columns = set(table.columns)
    day, edition = header_date(path), stem(path)
    if {"ix_id", "peer_asn", "ix_cc", "peer_cc"} <= columns:
        checked = check_asn(path, table, "peer_asn")
        ixps = (
            checked.group_by("ix_id", maintain_order=True)
            .agg(pl.col("ix_cc").first())
            .select(
                pl.col("ix_id").alias("ixp_key"),
                pl.lit("").alias("name"),
                pl.col("ix_cc").alias("country"),
                pl.lit("").alias("city"),
                pl.lit("").alias("status"),
            )
        )
        members = checked.select(
            pl.col("ix_id").alias("ixp_key"),
            pl.col("peer_asn").alias("asn"),
            pl.col("peer_cc").replace("**", None).alias("country"),
        )
        return IxpSnapshot(edition, day, ixps, members)
    if "name" in columns and "country" in columns:
        return IxpSnapshot(edition, day, _ixp_list(table))
    if {"ix_id", "asn"} <= columns or {"ix_id", "prefix"} <= columns:
        info = companion(path, "ixp-info.csv")
        ixps = _ixp_list(read_csv(info)) if info else pl.DataFrame(schema=IXP_COLUMNS)
        skipped = {} if info else {"IXPs without a country (no ixp-info.csv beside the file)": 1}
        if "asn" in columns:
            members = check_asn(path, table, "asn").select(
                pl.col("ix_id").alias("ixp_key"), "asn", pl.lit(None, pl.String).alias("country")
            )
            return IxpSnapshot(edition, day, ixps, members.select(list(MEMBER_COLUMNS)), skipped=skipped)
        prefixes = check_prefixes(path, table, "prefix").select(pl.col("ix_id").alias("ixp_key"), "prefix")
        return IxpSnapshot(edition, day, ixps, prefixes=prefixes, skipped=skipped)
    raise SourceError(path, f"not a PeeringDB extract this loader knows (columns: {', '.join(table.columns[1:])})")


class PeeringDb(IxpSource):
    NAME: ClassVar[str] = "peeringdb"
    ORG: ClassVar[str] = "PeeringDB"
    DATASET: ClassVar[str] = "PeeringDB public dump (ix, ixlan, ixpfx, net, netixlan, fac, org)"
    URL: ClassVar[str] = "https://www.peeringdb.com/api/ix"
    INFO_URL: ClassVar[str] = INFO
    LICENCE: ClassVar[str] = "PeeringDB Acceptable Use Policy (the copies used state their repositories' own)"
    FILES: ClassVar[tuple[str, ...]] = (f"{FOLDER}/traixroute_*.json",)

    def parse(self, path: Path) -> IxpSnapshot:
        return parse_dump(path)


class PeeringDbCsv(PeeringDb):
    NAME: ClassVar[str] = "peeringdb_csv"
    DATASET: ClassVar[str] = "PeeringDB CSV extracts (IXP lists, IXP members, prefixes)"
    FILES: ClassVar[tuple[str, ...]] = tuple(f"{FOLDER}/*{end}" for end in EXTRACTS)
    ALIASES: ClassVar[tuple[str, ...]] = ("peeringdb-csv",)

    def parse(self, path: Path) -> IxpSnapshot:
        return parse_extract(path)
