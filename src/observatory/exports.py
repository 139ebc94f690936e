"""CSV that is safe to open in a spreadsheet: every export of the platform writes through here.

A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken for a formula by
spreadsheet programs; a pledge title such as ``=HYPERLINK(…)`` would run on the reader's machine
(CSV formula injection). OWASP's rule is applied: such a text cell is written with a leading ``'``,
which spreadsheets show as plain text. Numbers are written as numbers (a negative number is not a
text cell and stays as it is). The pledge importer removes that one ``'`` again, so an export still
imports unchanged.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

import polars as pl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PATTERN = r"^'*[=+\-@\t\r]"


def _formula_like(text: str) -> bool:
    # A text already written with leading quotes before a formula character gets one more, so that
    # removing one on import always gives back the text as it was.
    return text.lstrip("'").startswith(FORMULA_START)


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will show it, never as a formula (text only; numbers pass)."""
    if isinstance(value, str) and _formula_like(value):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    """The text an exported cell stood for: the inverse of :func:`safe_cell`, for the importers."""
    if value.startswith("'") and _formula_like(value):
        return value[1:]
    return value


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every text cell made safe (see :func:`safe_cell`); other columns unchanged."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text:
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_PATTERN)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text
    )


def frame_csv(frame: pl.DataFrame) -> str:
    """A frame as CSV text that is safe to open in a spreadsheet. Nested columns (lists) are written
    with their items separated by ``;``."""
    nested = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    if nested:
        frame = frame.with_columns(pl.col(c).cast(pl.List(pl.String)).list.join(";") for c in nested)
    return safe_frame(frame).write_csv()


class SafeWriter:
    """``csv.writer`` whose text cells are made safe."""

    def __init__(self, out: IO[str]):
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """``csv.DictWriter`` whose text cells are made safe; keys outside ``fieldnames`` are ignored."""

    def __init__(self, out: IO[str], fieldnames: Sequence[str]):
        self._writer = csv.DictWriter(out, fieldnames=list(fieldnames), extrasaction="ignore", lineterminator="\n")

    def writeheader(self) -> None:
        self._writer.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow({k: safe_cell(v) for k, v in row.items()})
