"""Activities as spreadsheets: import from CSV, XLSX or ODS (all or nothing) and export to CSV or XLSX, one row
per activity and the same columns in both formats.

Rows are matched on ``ref`` (``ACT-0001``); a row without one is matched on its source and title, so importing
the same file twice changes nothing. Every problem of a refused file is given with its row, its column and
the reason, in the reader's language; nothing is saved then.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]  # no stubs or py.typed
from pydantic import ValidationError
from python_calamine import CalamineError, CalamineWorkbook
from sqlalchemy.orm import Session

from observatory.activities import service
from observatory.activities.schemas import ActivityIn
from observatory.exports import SafeDictWriter, safe_cell, unescape_cell
from observatory.i18n import translations

COLUMNS = (
    "ref", "organisation", "title", "description", "topic", "kind", "starts", "ends", "areas", "collaboration",
    "evidence", "source_url", "checked",
)  # fmt: skip
REQUIRED = ("organisation", "title", "topic", "kind", "starts", "collaboration", "source_url")
SEP = ";"
SPREADSHEETS = (".xlsx", ".xlsm", ".ods", ".xls")
SEED = "activities.csv"
KEEP_ERRORS = 500

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RowError:
    """What is wrong in a file: its row (the header is row 1), the column (empty for the whole row) and why."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}" + (f", column {self.column}" if self.column else "") + f": {self.reason}"


class ImportRejected(Exception):
    """The file was refused and nothing was saved; ``errors`` says where and why."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors[:KEEP_ERRORS]
        self.count = len(errors)
        super().__init__(f"{len(errors)} problem(s); nothing was imported")


@dataclass
class ImportResult:
    """What an import did: the references it created and updated, and how many rows changed nothing."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


def _gettext(language: str) -> Any:
    return translations(language).gettext


# ---------------------------------------------------------------- reading


def _cell(value: Any) -> str:
    """A spreadsheet cell as the text it shows: whole numbers without ".0", dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    return unescape_cell(str(value))


def _csv_rows(content: bytes, language: str) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected([RowError(1, "", _gettext(language)("The file is not UTF-8: save it as UTF-8 CSV and "
                                                                 "import it again."))]) from exc  # fmt: skip
    try:
        yield from ([unescape_cell(c) for c in row] for row in csv.reader(io.StringIO(text), strict=True))
    except csv.Error as exc:
        raise ImportRejected([RowError(0, "", _gettext(language)("The file is not valid CSV."))]) from exc


def _sheet_rows(content: bytes, language: str) -> Iterator[list[str]]:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError) as exc:
        message = _gettext(language)("The file cannot be read as a spreadsheet (XLSX or ODS).")
        raise ImportRejected([RowError(1, "", message)]) from exc
    for row in rows:
        yield [_cell(v) for v in row]


def read_rows(content: bytes, filename: str, language: str = "en") -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV, XLSX or ODS file (its first sheet) with their row numbers, by column name;
    :class:`ImportRejected` when its header is wrong or it cannot be read."""
    g = _gettext(language)
    spreadsheet = Path(filename).suffix.lower() in SPREADSHEETS or content[:4] == b"PK\x03\x04"
    raw = list(_sheet_rows(content, language) if spreadsheet else _csv_rows(content, language))
    if not raw:
        raise ImportRejected([RowError(1, "", g("The file is empty: it needs a header row."))])
    header = [h.strip().lower() for h in raw[0]]
    while header and not header[-1]:
        header.pop()
    errors = [RowError(1, h, g("This column is not one of the registry’s.")) for h in header if h not in COLUMNS]
    errors += [RowError(1, c, g("This required column is missing.")) for c in REQUIRED if c not in header]
    errors += [RowError(1, h, g("This column appears twice.")) for h in set(header) if header.count(h) > 1]
    if errors:
        raise ImportRejected(errors)
    out = []
    for number, cells in enumerate(raw[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if any(c.strip() for c in cells[len(header) :]):
            errors.append(RowError(number, "", g("This row has more cells than the header.")))
            continue
        out.append((number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)}))
    if errors:
        raise ImportRejected(errors)
    return out


# ---------------------------------------------------------------- importing


def _validated(rows: Iterable[tuple[int, dict[str, str]]], language: str) -> list[tuple[int, ActivityIn]]:
    errors: list[RowError] = []
    out: list[tuple[int, ActivityIn]] = []
    names = {c: c for c in COLUMNS}  # a file's problems name its columns as the file writes them
    refs: dict[str, int] = {}
    g = _gettext(language)
    for number, row in rows:
        values = {k: v for k, v in row.items() if k in COLUMNS}
        try:
            data = ActivityIn.model_validate(values)
        except ValidationError as exc:
            for column, messages in service.problems(exc, language, names).items():
                errors.extend(RowError(number, column, m) for m in messages)
            continue
        if data.ref:
            if data.ref in refs:
                message = g("The reference %(ref)s is already on row %(row)s.") % {
                    "ref": data.ref,
                    "row": refs[data.ref],
                }
                errors.append(RowError(number, "ref", message))
                continue
            refs[data.ref] = number
        out.append((number, data))
    if errors:
        raise ImportRejected(errors)
    return out


def import_rows(
    session: Session, rows: Iterable[tuple[int, dict[str, str]]], actor: str, language: str = "en"
) -> ImportResult:
    """Import the rows of a file in the caller's transaction, all or nothing: :class:`ImportRejected` (nothing
    written) names each problem's row and column. A row updates the activity of its reference (or of its source
    and title), creates one otherwise, and changes nothing when the activity already says the same."""
    checked = _validated(rows, language)
    by_ref, by_key = service.existing_keys(session)
    result = ImportResult()
    new_refs: list[str] = []
    for _number, data in checked:
        found = by_ref.get(data.ref) if data.ref else by_key.get(service.match_key(data.source_url, data.title))
        if found is None:
            ref = data.ref or service.next_ref(session, new_refs)
            created = service.create_activity(session, data.model_copy(update={"ref": ref}), actor, "import")
            new_refs.append(ref)
            by_ref[ref] = created
            by_key[service.match_key(created.source_url, created.title)] = created
            result.created.append(ref)
            continue
        if found.withdrawn or service.editable(found) | {"ref": None} == data.model_dump() | {"ref": None}:
            result.unchanged += 1
            continue
        service.update_activity(session, found.ref, found.version, data, actor, "import")
        result.updated.append(found.ref)
    log.info(
        "activities imported",
        extra={"activities_created": len(result.created), "activities_updated": len(result.updated)},
    )
    return result


def import_file(session: Session, content: bytes, filename: str, actor: str, language: str = "en") -> ImportResult:
    """Import a CSV, XLSX or ODS file of activities, all or nothing (see :func:`import_rows`)."""
    return import_rows(session, read_rows(content, filename, language), actor, language)


def seed_path() -> Path:
    """The curated starting set of real activities shipped with the package, each with its source."""
    return Path(str(resources.files("observatory.activities").joinpath("data", SEED)))


def load_seed(session: Session, actor: str) -> ImportResult | None:
    """Import the curated starting set, only into an empty registry (None when it holds activities already)."""
    if service.count(session):
        return None
    path = seed_path()
    return import_file(session, path.read_bytes(), path.name, actor)


# ---------------------------------------------------------------- exporting


def row_of(r: service.ActivityRecord) -> dict[str, str]:
    """An activity as one row of the file format (codes, lists joined by ``;``)."""
    return {
        "ref": r.ref, "organisation": r.organisation, "title": r.title, "description": r.description,
        "topic": r.topic, "kind": r.kind, "starts": r.starts, "ends": r.ends, "areas": SEP.join(r.areas),
        "collaboration": r.collaboration, "evidence": r.evidence, "source_url": r.source_url,
        "checked": "true" if r.checked else "false",
    }  # fmt: skip


def csv_text(records: Iterable[service.ActivityRecord]) -> str:
    """Activities as CSV text in the import format, safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = SafeDictWriter(out, COLUMNS)
    writer.writeheader()
    for r in records:
        writer.writerow(row_of(r))
    return out.getvalue()


def xlsx_bytes(records: Iterable[service.ActivityRecord]) -> bytes:
    """Activities as an XLSX workbook in the import format (every cell text, so that "2022" stays a date)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("activities")
    bold = book.add_format({"bold": True})
    for col, name in enumerate(COLUMNS):
        sheet.write_string(0, col, name, bold)
    for n, r in enumerate(records, start=1):
        for col, value in enumerate(row_of(r).values()):
            sheet.write_string(n, col, str(safe_cell(value)))
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
