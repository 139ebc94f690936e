"""What every network source shares: country codes, ASN and prefix checks, JSON lines, snapshot writes.

Normalisation lives here once (ASNs to integers, country codes to ISO alpha-3) so each source only
says where its columns are.
"""

from __future__ import annotations

import datetime as dt
import html
import ipaddress
import json
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from observatory.db import bulk_insert
from observatory.network.models import DATA_TABLES
from observatory.reference import countries
from observatory.sources import SourceError, SourceLoad, line_chunks, open_text

MAX_ASN = 4_294_967_295
NOT_COUNTRIES = {
    "ZZ": "unknown or unassigned (RIR convention)",
    "EU": "European Union (RIR region code, not an ISO country)",
    "AP": "Asia-Pacific (RIR region code, not an ISO country)",
}


# Spellings in IXP directories (PCH, CAIDA) that differ from the UN short names in the reference data.
ALIASES = {
    "united states": "USA",
    "united kingdom": "GBR",
    "russia": "RUS",
    "russian federation": "RUS",
    "south korea": "KOR",
    "korea, republic of": "KOR",
    "korea": "KOR",
    "taiwan": "TWN",
    "vietnam": "VNM",
    "viet nam": "VNM",
    "iran": "IRN",
    "tanzania": "TZA",
    "bolivia": "BOL",
    "venezuela": "VEN",
    "syria": "SYR",
    "moldova": "MDA",
    "laos": "LAO",
    "czech republic": "CZE",
    "macedonia": "MKD",
    "ivory coast": "CIV",
    "cote d'ivoire": "CIV",
    "democratic republic of the congo": "COD",
    "congo, democratic republic": "COD",
    "republic of the congo": "COG",
    "congo": "COG",
    "republic of congo": "COG",
    "bolivia, plurinational state of": "BOL",
    "congo, the democratic republic of the": "COD",
    "saint vincent and the grenadines": "VCT",
    "palestine": "PSE",
    "brunei": "BRN",
    "cape verde": "CPV",
    "swaziland": "SWZ",
    "turkey": "TUR",
    "netherlands": "NLD",
    "hong kong": "HKG",
    "macau": "MAC",
    "micronesia": "FSM",
    "curacao": "CUW",
    "saint martin": "MAF",
    "sint maarten": "SXM",
}


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", html.unescape(name)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"\s+", " ", re.sub(r"\(.*?\)", "", text)).strip()


@cache
def country_names() -> dict[str, str]:
    """Lower-cased English and French country names (and common variants) → alpha-3."""
    index = {name_key(c.name_en): c.alpha3 for c in countries().values()}
    index.update({name_key(c.name_fr): c.alpha3 for c in countries().values()})
    index.update(ALIASES)
    return index


@cache
def country_table() -> pl.DataFrame:
    """Every ISO code the reference data knows (alpha-2 and alpha-3), mapped to alpha-3."""
    rows = [(c.alpha2, c.alpha3) for c in countries().values()] + [(c.alpha3, c.alpha3) for c in countries().values()]
    return pl.DataFrame(rows, schema={"code": pl.String, "alpha3": pl.String}, orient="row")


def with_country(
    frame: pl.DataFrame, column: str, *, into: str = "country", flag: str | None = "is_country"
) -> pl.DataFrame:
    """Replace the source's country code in ``column`` by alpha-3 in ``into`` (and ``flag`` true).

    A code that is not a country (``ZZ``, ``EU``, ``AP``, a typo) is kept upper-cased with the flag
    false; an empty code becomes null."""
    names = country_names()
    raw = pl.col(column).cast(pl.String).str.strip_chars()
    # Some directories write names ("Korea, Republic of") where a code belongs: look those up by name.
    # A name that matches no country is dropped (null): it cannot be a code and no code is guessed.
    by_name = raw.map_elements(lambda n: names.get(name_key(n)), return_dtype=pl.String)
    code = pl.when(raw.str.len_chars() > 3).then(by_name).otherwise(raw).str.to_uppercase()
    frame = frame.with_columns(code.replace("", None).alias("_code"))
    frame = frame.join(country_table().rename({"code": "_code"}), on="_code", how="left", coalesce=True)
    out = [pl.coalesce("alpha3", "_code").alias(into)]
    if flag:
        out.append(pl.col("alpha3").is_not_null().alias(flag))
    return frame.with_columns(out).drop("alpha3", "_code", *([column] if column != into else []))


def check_asn(path: Path, frame: pl.DataFrame, column: str, line: str = "line") -> pl.DataFrame:
    """Cast ``column`` to Int64; a value that is not an AS number (0–4294967295) is an error naming its line."""
    parsed = frame.with_columns(
        pl.col(column).cast(pl.String).str.strip_chars().str.to_integer(strict=False).alias("_asn")
    )
    bad = parsed.filter(pl.col("_asn").is_null() | (pl.col("_asn") < 0) | (pl.col("_asn") > MAX_ASN))
    if bad.height:
        row = bad.row(0, named=True)
        raise SourceError(path, f"AS number {row[column]!r} is not in 0–{MAX_ASN}", line=row[line])
    return parsed.with_columns(pl.col("_asn").alias(column)).drop("_asn")


_OCTET = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = rf"{_OCTET}(\.{_OCTET}){{3}}"
IPV4_PREFIX = rf"^{IPV4}/(3[0-2]|[12]?\d)$"
# Full or "::"-compressed IPv6 in hex groups (what the sources write); anything else goes to ipaddress.
IPV6 = (
    r"(([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(([0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})?::(([0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})?)"
)
IPV6_PREFIX = rf"^{IPV6}/(12[0-8]|1[01]\d|[1-9]?\d)$"


def _slow_prefix(value: str) -> str | None:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        return None


def check_prefixes(
    path: Path, frame: pl.DataFrame, column: str, line: str = "line", skipped: dict[str, int] | None = None
) -> pl.DataFrame:
    """Check the IP prefixes in ``column`` (lower-cased, otherwise as written). One that does not parse
    is an error naming its line — or, for sources whose own conventions tolerate it (``skipped``
    given), a dropped row counted in ``skipped``. Common forms are checked by pattern, in bulk; the
    rest (IPv4-mapped IPv6, odd spacing) by :mod:`ipaddress`."""
    text = pl.col(column).str.strip_chars().str.to_lowercase()
    out = frame.with_columns(text.alias(column))
    fast = pl.col(column).str.contains(IPV4_PREFIX) | pl.col(column).str.contains(IPV6_PREFIX)
    out = out.with_columns(fast.fill_null(False).alias("_ok"))
    odd = out.filter(~pl.col("_ok")).get_column(column).unique().to_list()
    if odd:
        fixed = {v: _slow_prefix(v) if v is not None else None for v in odd}
        out = out.with_columns(
            pl.when(pl.col("_ok")).then(pl.col(column)).otherwise(pl.col(column).replace_strict(fixed, default=None))
        )
        bad = out.filter(pl.col(column).is_null())
        if bad.height and skipped is None:
            row = frame.filter(pl.col(line) == bad.row(0, named=True)[line]).row(0, named=True)
            raise SourceError(path, f"prefix {row[column]!r} does not parse", line=row[line])
        if bad.height and skipped is not None:
            skipped["prefixes that do not parse"] = bad.height
            out = out.filter(pl.col(column).is_not_null())
    return out.drop("_ok")


def text_lines(path: Path, *, limit: int | None = None) -> pl.DataFrame:
    """The lines of a UTF-8 text file that are neither blank nor ``#`` comments: columns ``line`` (its
    number in the file) and ``text``. The file is read in pieces of whole lines, so only the kept lines
    are held; a line or a file over the bounds of :func:`observatory.sources.line_chunks` is an error."""
    frames = []
    for chunk in line_chunks(path, limit=limit):
        try:
            text = chunk.data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SourceError(path, f"not UTF-8 text at byte {chunk.offset + e.start}") from None
        lines = pl.DataFrame({"text": text.split("\n")}).with_row_index("line", offset=chunk.line)
        frames.append(lines.filter((pl.col("text").str.strip_chars() != "") & ~pl.col("text").str.starts_with("#")))
    if not frames:
        return pl.DataFrame(schema={"line": pl.UInt32, "text": pl.String})
    return pl.concat(frames, rechunk=True)


def json_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, object) for each JSON object of a JSON-lines file; ``#`` lines are comments.

    CAIDA's ``ixs_201802.jsonl`` holds pretty-printed objects one after another, so a line that does
    not parse on its own is joined with the next ones until an object is complete."""
    decoder = json.JSONDecoder()
    with open_text(path) as text:
        pending: list[str] = []
        start = 0
        in_comment = False  # CAIDA's pretty-printed files open a multi-line "# {" metadata block
        for number, raw in enumerate(text, start=1):
            line = raw.strip()
            if in_comment:
                in_comment = line != "}"
                continue
            if not pending and line.startswith("#"):
                in_comment = line.endswith("{")
                continue
            if not pending and not line:
                continue
            if not pending:
                start = number
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    if not line.startswith("{") or line.endswith("}"):
                        raise SourceError(path, "not JSON", line=number) from None
                    pending.append(line)
                    continue
            else:
                pending.append(line)
                if line != "}":
                    continue
                try:
                    obj, _ = decoder.raw_decode("\n".join(pending))
                except json.JSONDecodeError as e:
                    raise SourceError(path, f"not JSON: {e.msg}", line=start + e.lineno - 1) from None
                pending = []
            if not isinstance(obj, dict):
                raise SourceError(path, "a JSON line must be an object", line=start)
            yield start, obj
        if pending:
            raise SourceError(path, "file ends inside a JSON object", line=start)


def header_date(path: Path, pattern: str = r"(\d{8}|\d{6})") -> dt.date | None:
    """The date written in a file name (``YYYYMMDD``, ``YYYY-MM-DD`` or ``YYYYMM``: the first of the month)."""
    name = path.name
    if m := re.search(r"(\d{4})-(\d{2})-(\d{2})", name):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.search(r"(\d{2})-(\d{2})-(\d{4})", name):
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    if m := re.search(r"(?<!\d)(\d{4})-(\d{2})(?!\d)", name):
        return dt.date(int(m[1]), int(m[2]), 1)
    for m in re.finditer(pattern, name):
        digits = m[1]
        try:
            if len(digits) == 8:
                return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
            return dt.date(int(digits[:4]), int(digits[4:]), 1)
        except ValueError:
            continue
    return None


def replace_previous(session: Session, load: SourceLoad) -> int:
    """Drop the rows of earlier loads of the same source and edition: a reload replaces its snapshot.

    Runs inside the new load's transaction, so a failed reload leaves the old snapshot in place."""
    previous = select(SourceLoad.id).where(
        SourceLoad.source == load.source, SourceLoad.edition == load.edition, SourceLoad.id != load.id
    )
    ids = list(session.scalars(previous))
    if ids:
        for table in DATA_TABLES:
            session.execute(delete(table).where(table.load_id.in_(ids)))
    return len(ids)


def insert_frame(session: Session, model: Any, frame: pl.DataFrame, load: SourceLoad) -> int:
    """Write ``frame``'s rows into ``model``'s table, each pointing at ``load``; batched."""
    if frame.height == 0:
        return 0
    table = model.__table__
    frame = frame.select([c for c in frame.columns if c in table.c]).with_columns(pl.lit(load.id).alias("load_id"))
    connection = session.connection()
    step = 100_000
    for offset in range(0, frame.height, step):
        bulk_insert(connection, table, frame.slice(offset, step).to_dicts())
    return frame.height
