"""Best-practice cases in and out of files: import and export as CSV or XLSX, and the curated starting set
shipped with the platform (``data/practices.csv``, loaded by ``observatory init`` into an empty library).

An import is all or nothing: every row is checked first, and one problem anywhere (named by its line, its
column and why) refuses the whole file with nothing saved. A row whose reference is in the library updates
that case; a row without one, or with a new one, adds a case.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from observatory.auth import Principal
from observatory.errors import Invalid, NotFound
from observatory.exports import SafeDictWriter, safe_cell, unescape_cell
from observatory.i18n import translations
from observatory.i18n.validation import CSV, NUMBERS, error_message
from observatory.pledges.service import find_organisation
from observatory.practices import service
from observatory.practices.models import BestPractice
from observatory.practices.schemas import MESSAGES, PracticeIn, figure_lines

log = logging.getLogger(__name__)

SEED = Path(__file__).parent / "data" / "practices.csv"
SEP = ";"
CONTEXT = {NUMBERS: CSV}
PUBLIC_COLUMNS = (
    "reference", "title", "language", "country", "other_countries", "focus_areas", "pillars", "year",
    "what_was_done", "results", "result_figures", "lessons", "pledges", "licence", "source_urls", "organisation",
    "needs_check", "spotlight_years", "published_on",
)  # fmt: skip
COLUMNS = (
    *[c for c in PUBLIC_COLUMNS if c != "published_on"],
    "contact_name", "contact_email", "review_state", "review_note",
)  # fmt: skip
REQUIRED = ("title", "focus_areas", "what_was_done")
LISTS = frozenset({"other_countries", "focus_areas", "pillars", "pledges", "source_urls", "spotlight_years"})
YES = frozenset({"yes", "true", "1", "oui", "vrai", "x"})
NO = frozenset({"no", "false", "0", "non", "faux", ""})


@dataclass(frozen=True)
class RowError:
    """What is wrong with a row of a file: its line, the column (empty for the whole row) and why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


class ImportRejected(Exception):
    """The file was refused; nothing was saved. ``errors`` lists every problem."""

    def __init__(self, errors: list[RowError]):
        lines = len({e.line for e in errors})
        super().__init__(f"{len(errors)} problem(s) on {lines} line(s); nothing was imported")
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    """What an import did: cases added, changed, and left as they were."""

    created: int
    updated: int
    unchanged: int


# ---------------------------------------------------------------- reading


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unescape_cell(str(value))


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a CSV (UTF-8) or XLSX file as texts by column, each with its line number (the header is
    line 1); :class:`ImportRejected` for a file that cannot be read."""
    if path.suffix.lower() in (".xlsx", ".xls", ".ods"):
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        except Exception as exc:
            raise ImportRejected([RowError(1, "", f"the spreadsheet cannot be read ({exc})")]) from exc
        if not sheet:
            return
        header = [_text(h).strip() for h in sheet[0]]
        for n, cells in enumerate(sheet[1:], start=2):
            row = {h: _text(v) for h, v in zip(header, cells, strict=False) if h}
            if any(v.strip() for v in row.values()):
                yield n, row
        return
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected([RowError(1, "", "the file is not UTF-8; save it as UTF-8 and import again")]) from exc
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        values = {k.strip(): _text(v) for k, v in row.items() if k}
        if any(v.strip() for v in values.values()):
            yield reader.line_num, values


def _list(value: str) -> list[str]:
    return [v.strip() for v in value.split(SEP) if v.strip()]


def row_input(row: dict[str, str]) -> dict[str, Any]:
    """A file's row as the input of a case (lists split on ";", figures one a line or split on ";")."""
    out: dict[str, Any] = {}
    for column in COLUMNS:
        if column not in row or column == "organisation":
            continue
        value = row[column].strip()
        if column in LISTS:
            out[column] = _list(value)
        elif column == "result_figures":
            out[column] = "\n".join(line for part in value.splitlines() for line in part.split(SEP))
        elif column == "needs_check":
            out[column] = value.casefold() in YES if value.casefold() in YES | NO else value
        elif column in ("year", "country", "reference") or column == "review_state":
            out[column] = value or None
        else:
            out[column] = value
    if out.get("review_state") is None:
        out.pop("review_state", None)
    return out


def _errors(line: int, exc: ValidationError, language: str) -> list[RowError]:
    gettext = translations(language).gettext
    out = []
    for e in exc.errors():
        column = str(e["loc"][0]) if e["loc"] else ""
        if column in REQUIRED and e.get("input") in ("", None, []):
            e = {**e, "type": "missing"}
        out.append(RowError(line, column, error_message(e, gettext, column or "row", column, language, MESSAGES)))
    return out


def check_rows(
    session: Session, rows: Iterable[tuple[int, dict[str, str]]], language: str = "en"
) -> list[tuple[int, PracticeIn, int | None]]:
    """Every row checked: the case it gives and its organisation's id (None: on behalf of the country);
    :class:`ImportRejected` listing every problem of the file."""
    errors: list[RowError] = []
    checked: list[tuple[int, PracticeIn, int | None]] = []
    seen: dict[str, int] = {}
    columns: set[str] | None = None
    for line, row in rows:
        if columns is None:
            columns = set(row)
            unknown = sorted(columns - set(COLUMNS) - {"published_on"})
            missing = [c for c in REQUIRED if c not in columns]
            errors += [RowError(1, c, "not a column of the library (see docs/practices.md)") for c in unknown]
            errors += [RowError(1, c, "this column is required") for c in missing]
            if missing:
                break
        try:
            data = PracticeIn.model_validate(row_input(row), context=CONTEXT)
        except ValidationError as exc:
            errors += _errors(line, exc, language)
            continue
        org_id = None
        if name := row.get("organisation", "").strip():
            org = find_organisation(session, name)
            if org is None:
                errors.append(RowError(line, "organisation", f"no organisation is registered as “{name}”"))
                continue
            org_id = org.id
        if unknown_refs := service.unknown_pledges(session, data.pledges):
            errors.append(RowError(line, "pledges", f"no pledge has the reference {', '.join(unknown_refs)}"))
            continue
        if data.reference:
            if data.reference in seen:
                errors.append(RowError(line, "reference", f"{data.reference} is on line {seen[data.reference]} too"))
                continue
            seen[data.reference] = line
        checked.append((line, data, org_id))
    if errors:
        raise ImportRejected(errors)
    return checked


def import_rows(
    session: Session, rows: Iterable[tuple[int, dict[str, str]]], principal: Principal, language: str = "en"
) -> ImportResult:
    """Import checked rows in the caller's transaction: all of them, or (on any problem) none."""
    created = updated = unchanged = 0
    for line, data, org_id in check_rows(session, rows, language):
        try:
            existing = service.get_practice(session, data.reference) if data.reference else None
        except NotFound:
            existing = None
        try:
            if existing is None:
                service.create_practice(session, data, org_id, principal)
                created += 1
                continue
            version = existing.version
            service.update_practice(session, existing.reference, version, data, principal, data.review_state, org_id)
        except Invalid as exc:
            raise ImportRejected([RowError(line, "", str(exc))]) from exc
        if existing.version != version:
            updated += 1
        else:
            unchanged += 1
    return ImportResult(created, updated, unchanged)


def import_file(session: Session, path: Path, principal: Principal, language: str = "en") -> ImportResult:
    """Import a CSV or XLSX file of cases, all or nothing (:class:`ImportRejected` naming every problem)."""
    return import_rows(session, read_rows(path), principal, language)


def load_seed(session: Session, principal: Principal) -> int:
    """Load the curated starting set of real cases into an empty library (published, on behalf of their
    countries, each to be checked by the secretariat); how many were loaded (none when the library has cases)."""
    if service.count_practices(session):
        return 0
    result = import_file(session, SEED, principal)
    log.info("best-practice library: %s curated cases loaded", result.created)
    return result.created


# ---------------------------------------------------------------- writing


def _cells(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, value in record.items():
        if column == "result_figures":
            out[column] = figure_lines(value or [])
        elif column in LISTS:
            out[column] = SEP.join(str(v) for v in value or [])
        elif column == "needs_check":
            out[column] = "yes" if value else "no"
        else:
            out[column] = "" if value is None else value
    return out


def rows_of(session: Session, practices: Iterable[BestPractice], *, private: bool) -> list[dict[str, Any]]:
    """Cases as the rows of a file: their public columns, or (``private``, for the secretariat's export that
    imports back) every column with the contact and the review state."""
    out = []
    for p in practices:
        record = service.record_of(session, p)
        out.append(_cells({c: record.get(c) for c in (COLUMNS if private else PUBLIC_COLUMNS)}))
    return out


def public_rows(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Public records (``service.list_practices``) as the rows of the public CSV."""
    return [_cells({c: r.get(c) for c in PUBLIC_COLUMNS}) for r in records]


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str], columns: Sequence[str]) -> int:
    """Rows as CSV safe to open in a spreadsheet; how many were written."""
    writer = SafeDictWriter(out, columns)
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return n


def csv_text(rows: Iterable[dict[str, Any]], columns: Sequence[str] = PUBLIC_COLUMNS) -> str:
    """Rows as CSV text."""
    out = io.StringIO()
    write_csv(rows, out, columns)
    return out.getvalue()


def write_xlsx(rows: Sequence[dict[str, Any]], path: Path, columns: Sequence[str]) -> int:
    """Rows as an XLSX workbook of one sheet, its text cells never taken for formulas; how many were written."""
    import xlsxwriter  # type: ignore[import-untyped]

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("practices")
    bold = workbook.add_format({"bold": True})
    for col, name in enumerate(columns):
        sheet.write_string(0, col, name, bold)
    for n, row in enumerate(rows, start=1):
        for col, name in enumerate(columns):
            value = row.get(name, "")
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(n, col, value)
            else:
                sheet.write_string(n, col, str(safe_cell(value)))
    workbook.close()
    return len(rows)


def export_file(session: Session, path: Path) -> int:
    """Every case of the library, in every review state and with every column, to a CSV or XLSX file that
    imports back unchanged; how many were written."""
    everything = [*service.published_practices(session), *service.review_queue(session, 100_000)]
    everything += service.unpublished_practices(session, 100_000)
    everything.sort(key=lambda p: p.reference)
    rows = rows_of(session, everything, private=True)
    if path.suffix.lower() == ".xlsx":
        return write_xlsx(rows, path, COLUMNS)
    with path.open("w", encoding="utf-8", newline="") as out:
        return write_csv(rows, out, COLUMNS)
