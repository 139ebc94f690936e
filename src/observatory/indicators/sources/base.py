"""What the indicator sources share: a strict CSV reader with line numbers, number and area checks in
polars, and one loader that writes observations (and area classifications) for a load."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Table
from sqlalchemy.orm import Session

from observatory import reference
from observatory.db import bulk_insert
from observatory.indicators.catalogue import CONNECTIVITY
from observatory.indicators.models import AreaClassification, Observation
from observatory.reference.areas import WB_AGGREGATES, WB_NON_ISO_ECONOMIES
from observatory.sources import LoadResult, Source, SourceError, SourceLoad, open_text, sha256_of

FIRST_YEAR, LAST_YEAR = 1950, 2100


@dataclass
class IndicatorData:
    """A parsed file: ``observations`` has columns indicator, area, year, value; ``classes`` area, scheme,
    value."""

    observations: pl.DataFrame
    classes: pl.DataFrame | None = None
    edition: str = ""
    data_date: dt.date | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class IndicatorSource(Source[IndicatorData]):
    """A source of indicator observations. Its ``edition`` (``--edition``, or the data folder's ``EDITION``)
    overrides the edition read from the file."""

    def describe(self, path: Path, parsed: IndicatorData) -> dict[str, Any]:
        """The edition given (``--edition``, the folder's), else the file's own, else its content's hash."""
        # A file that states no edition is named by its content, so two different files never share one.
        edition = self.edition or parsed.edition or f"sha256:{sha256_of(path)[:12]}"
        return {"edition": edition, "data_date": parsed.data_date or release_date(edition)}

    def load(self, session: Session, parsed: IndicatorData, load: SourceLoad) -> LoadResult:
        """Write the observations (with each indicator's unit from the catalogue) and classifications."""
        units = pl.DataFrame({"indicator": list(CONNECTIVITY), "unit": [i.unit for i in CONNECTIVITY.values()]})
        rows = (
            parsed.observations.join(units, on="indicator", how="left")
            .with_columns(load_id=pl.lit(load.id), imputed=pl.lit(False))
            .select("load_id", "indicator", "area", "year", "value", "unit", "imputed")
        )
        connection = session.connection()
        table: Table = Observation.__table__  # type: ignore[assignment]
        bulk_insert(connection, table, rows.to_dicts())
        if parsed.classes is not None and parsed.classes.height:
            classes = parsed.classes.with_columns(load_id=pl.lit(load.id)).select("load_id", "area", "scheme", "value")
            bulk_insert(connection, AreaClassification.__table__, classes.to_dicts())  # type: ignore[arg-type]
        return LoadResult(
            load_id=load.id,
            source=self.NAME,
            rows=rows.height,
            edition=load.edition,
            data_date=load.data_date,
            skipped=parsed.skipped,
            notes=parsed.notes,
        )


def release_date(edition: str) -> dt.date | None:
    """The release date an edition label states (``2024-11-13``, or ``2024-11`` for its first day)."""
    for text in (edition, edition + "-01"):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            continue
    return None


def read_table(path: Path, *, header_first_cell: str | None = None) -> tuple[list[list[str]], pl.DataFrame]:
    """Every cell of a CSV file as a string, with the ``line`` each record starts on.

    Rows before the header (a preamble such as the World Bank's "Last Updated Date") are returned apart when
    ``header_first_cell`` names the header's first cell. A record with more or fewer fields than the header
    (a truncated or malformed file) is an error naming its line."""
    preamble: list[list[str]] = []
    with open_text(path, encoding="utf-8-sig") as f:
        reader = csv.reader(f, strict=True)
        try:
            header = next(reader, None)
            while header is not None and header_first_cell is not None and header[:1] != [header_first_cell]:
                preamble.append(header)
                header = next(reader, None)
            if header is None:
                raise SourceError(
                    path,
                    "no header row" + (f" starting {header_first_cell!r}" if header_first_cell else ""),
                    line=reader.line_num,
                )
            columns: list[list[str]] = [[] for _ in header]
            lines: list[int] = []
            start = reader.line_num + 1
            for row in reader:
                if len(row) != len(header):
                    if not row:
                        start = reader.line_num + 1
                        continue
                    raise SourceError(
                        path,
                        f"{len(row)} fields where the header has {len(header)}: truncated or malformed row",
                        line=start,
                    )
                for column, value in zip(columns, row, strict=True):
                    column.append(value)
                lines.append(start)
                start = reader.line_num + 1
        except csv.Error as e:
            raise SourceError(path, f"malformed CSV: {e}", line=reader.line_num) from e
    if len(set(header)) != len(header):
        raise SourceError(path, "repeated column names in the header", line=len(preamble) + 1)
    frame = pl.DataFrame(
        {name: column for name, column in zip(header, columns, strict=True)}, schema=dict.fromkeys(header, pl.String)
    )
    return preamble, frame.with_columns(line=pl.Series(lines, dtype=pl.Int64))


def require_columns(path: Path, frame: pl.DataFrame, names: list[str]) -> None:
    """Refuse a file whose header lacks any of ``names`` (line 1 names what it has)."""
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise SourceError(path, f"missing column(s) {', '.join(missing)}; found {', '.join(frame.columns)}", line=1)


def first_bad(path: Path, frame: pl.DataFrame, bad: pl.Expr, message: str, column: str) -> None:
    """Raise for the first row where ``bad`` holds, naming its line and the offending cell."""
    rows = frame.filter(bad).head(1)
    if rows.height:
        raise SourceError(path, f"{message}: {rows[column][0]!r}", line=int(rows["line"][0]))


def numbers(path: Path, frame: pl.DataFrame, column: str, dtype: type[pl.DataType] = pl.Float64) -> pl.Series:
    """A text column as numbers: empty cells are missing; anything else that is not a number is an error."""
    raw = frame[column].str.strip_chars()
    converted = raw.replace("", None).cast(dtype, strict=False)
    first_bad(
        path,
        frame.with_columns(raw=raw, converted=converted),
        (pl.col("raw") != "") & pl.col("converted").is_null(),
        f"column {column!r} is not a number",
        "raw",
    )
    return converted


def check_years(path: Path, frame: pl.DataFrame) -> None:
    """Refuse a year outside ``FIRST_YEAR``-``LAST_YEAR``, naming its line."""
    first_bad(
        path,
        frame,
        (pl.col("year") < FIRST_YEAR) | (pl.col("year") > LAST_YEAR),
        f"year outside {FIRST_YEAR}-{LAST_YEAR}",
        "year",
    )


def world_bank_areas(path: Path, frame: pl.DataFrame, column: str) -> tuple[pl.DataFrame, dict[str, int]]:
    """The World Bank's codes as the store's areas: ISO countries as they are, WB aggregates as ``WB:<code>``;
    economies without an ISO code (Kosovo, Channel Islands) are skipped and counted. Any other code is an error.
    """
    iso = list(reference.countries())
    code = pl.col(column).str.strip_chars().str.to_uppercase()
    frame = frame.with_columns(code=code)
    known = code.is_in(iso) | code.is_in(list(WB_AGGREGATES)) | code.is_in(list(WB_NON_ISO_ECONOMIES))
    first_bad(path, frame, ~known, "not an ISO 3166-1 alpha-3 country code nor a World Bank aggregate", column)
    skipped = frame.filter(pl.col("code").is_in(list(WB_NON_ISO_ECONOMIES)))["code"].value_counts()
    counts = {f"economy without ISO code {r['code']}": int(r["count"]) for r in skipped.iter_rows(named=True)}
    frame = frame.filter(~pl.col("code").is_in(list(WB_NON_ISO_ECONOMIES))).with_columns(
        area=pl.when(pl.col("code").is_in(iso)).then(pl.col("code")).otherwise(pl.lit("WB:") + pl.col("code"))
    )
    return frame.drop("code"), counts


def no_duplicates(path: Path, frame: pl.DataFrame) -> None:
    """Refuse the same indicator, area and year twice, naming the line of the first repeated one."""
    dup = frame.select("indicator", "area", "year").is_duplicated()
    first_bad(path, frame.with_columns(dup=dup), pl.col("dup"), "the same indicator, area and year twice", "area")


def known_indicator(path: Path, code: str, line: int | None = None) -> str:
    """The catalogue's code for ``code`` (upper-cased); an indicator the catalogue lacks is refused."""
    upper = code.strip().upper()
    if upper not in CONNECTIVITY:
        raise SourceError(path, f"unknown indicator code {code!r} (known: {', '.join(CONNECTIVITY)})", line=line)
    return upper
