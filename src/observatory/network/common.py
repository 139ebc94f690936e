"""What every network source shares: country codes, ASN and prefix checks, JSON lines, snapshot writes.

Normalisation lives here once (ASNs to integers, country codes to ISO alpha-3) so each source only
says where its columns are.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import ipaddress
import json
import re
import unicodedata
from bisect import bisect_right
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from observatory.db import bulk_insert
from observatory.network.models import DATA_TABLES
from observatory.reference import countries
from observatory.sources import LoadResult, Source, SourceError, SourceLoad, line_chunks, read_bytes

MAX_ASN = 4_294_967_295


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
    "congo-brazzaville": "COG",
    "congo-kinshasa": "COD",
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
    """A country name as the name index keys it: HTML entities decoded, accents, case, parentheses and
    repeated blanks dropped."""
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


def read_csv(path: Path, **options: Any) -> pl.DataFrame:
    """A CSV file read whole by polars, every cell as text, with the ``line`` of each record (the header
    is line 1); anything polars cannot read is an error naming the file."""
    try:
        table = pl.read_csv(io.BytesIO(read_bytes(path)), infer_schema=False, **options)
    except pl.exceptions.PolarsError as e:
        raise SourceError(path, f"not a CSV file: {e}") from None
    return table.with_row_index("line", offset=2)


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


def json_records(path: Path, schema: dict[str, Any]) -> pl.DataFrame:
    """The JSON objects of a JSON-lines file as a frame of ``schema``'s fields (others are ignored, a missing
    one is null, numbers read as text where ``schema`` says text) with the ``line`` each object starts on.

    ``#`` lines are comments: CAIDA writes its build metadata as a commented object, which spans lines in its
    pretty-printed files. One object per line (the format) is read by polars; objects pretty-printed one
    after another (CAIDA's ``ixs_201802.jsonl``) are split by the standard library's JSON decoder, each from
    where the last one ended, and read the same way. An object that does not parse is an error naming its
    line. The file is read within the bounds of :func:`observatory.sources.line_chunks`."""
    numbers, texts = _record_lines(path)
    whole = all(t.startswith("{") and t.endswith("}") for t in texts)
    if not whole:
        numbers, texts = _split_objects(path, numbers, texts)
    try:
        records = pl.read_ndjson(io.BytesIO("\n".join(texts).encode()), schema=schema) if texts else None
    except pl.exceptions.PolarsError as e:
        for number, text in zip(numbers, texts, strict=True):  # which object: the decoder says, polars does not
            try:
                json.loads(text)
            except json.JSONDecodeError:
                raise SourceError(path, "not JSON", line=number) from None
        raise SourceError(path, f"JSON objects not of the expected layout: {e}") from None
    if records is None:
        records = pl.DataFrame(schema=schema)
    return records.with_columns(pl.Series("line", numbers, pl.Int64))


def _record_lines(path: Path) -> tuple[list[int], list[str]]:
    """The stripped lines that are neither blank nor comments, with their numbers. (A few lines of state: a
    commented object opens with ``# {`` and closes with a line ``}``, which no JSON or CSV reader knows.)"""
    numbers: list[int] = []
    texts: list[str] = []
    in_comment = False
    for chunk in line_chunks(path):
        try:
            text = chunk.data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SourceError(path, f"not UTF-8 text at byte {chunk.offset + e.start}") from None
        for number, raw in enumerate(text.split("\n"), start=chunk.line):
            line = raw.strip()
            if in_comment:
                in_comment = line != "}"
            elif line.startswith("#"):
                in_comment = line.endswith("{")
            elif line:
                numbers.append(number)
                texts.append(line)
    return numbers, texts


def _split_objects(path: Path, numbers: list[int], texts: list[str]) -> tuple[list[int], list[str]]:
    """Objects written across lines, one after another: each as one line, with the line it starts on. (ijson
    would stream them too, but reports no line numbers, and an error must name the line.)"""
    text = "\n".join(texts)
    starts = list(accumulate((len(t) + 1 for t in texts[:-1]), initial=0))
    decoder = json.JSONDecoder()
    found_numbers: list[int] = []
    found_texts: list[str] = []
    position = _next_value(text, 0)
    while position < len(text):
        line = numbers[bisect_right(starts, position) - 1]
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as e:
            raise SourceError(path, f"not JSON: {e.msg}", line=numbers[bisect_right(starts, e.pos) - 1]) from None
        if not isinstance(value, dict):
            raise SourceError(path, "a JSON record must be an object", line=line)
        found_numbers.append(line)
        found_texts.append(json.dumps(value))
        position = _next_value(text, position)
    return found_numbers, found_texts


def _next_value(text: str, position: int) -> int:
    """Where the next value starts: the first character that is not white space, from ``position`` on."""
    found = _NOT_SPACE.search(text, position)
    return found.start() if found else len(text)


_NOT_SPACE = re.compile(r"\S")


def stem(path: Path) -> str:
    """The file's name without its compression and format suffixes: the snapshot's edition label."""
    return re.sub(r"\.(gz|bz2)$", "", path.name).rsplit(".", 1)[0]


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


def write_snapshot(session: Session, model: Any, frame: pl.DataFrame, load: SourceLoad) -> int:
    """Write a file's rows as the snapshot of ``load``, replacing an earlier load of the same edition."""
    replace_previous(session, load)
    return insert_frame(session, model, frame, load)


class TableSource(Source[pl.DataFrame]):
    """A source whose file is one table of ``MODEL``'s rows, its edition and date in the file name."""

    MODEL: ClassVar[Any]

    def describe(self, path: Path, parsed: pl.DataFrame) -> dict[str, Any]:
        """The file's name (without suffixes) as edition, the date in it as the snapshot's date."""
        return {"edition": stem(path), "data_date": header_date(path)}

    def load(self, session: Session, parsed: pl.DataFrame, load: SourceLoad) -> LoadResult:
        """Write the rows, then the indicators computed from this snapshot alone (:meth:`indicators`)."""
        rows = write_snapshot(session, self.MODEL, parsed, load)
        return LoadResult(load.id, self.NAME, rows, load.edition, load.data_date, {}, self.indicators(session, load))

    def indicators(self, session: Session, load: SourceLoad) -> list[str]:
        """Compute the indicators of this snapshot alone; notes for the report (none by default)."""
        return []
