"""The pledge CSV format: import (all-or-nothing, or skipping invalid rows) and export.

UTF-8 (a byte-order mark is allowed), a header row, lists inside a cell separated by ``;``.
Rows are matched on ``reference``; a row without one is matched on its pledger, title and
announcement date, so importing the same file twice changes nothing.

Memory stays bounded whatever the file: rows are read one at a time, new pledges written in batches,
and of the rejected rows only the first ``KEEP_REJECTED`` are kept in memory (all of them can be
streamed to a CSV file as they are found). A dry run (the web preview) writes nothing and so takes no
write lock: the registry stays open to other writers while a file is checked.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any, cast

from pydantic import ValidationError
from sqlalchemy import Engine, Table, func, select, text
from sqlalchemy.orm import Session

from observatory import audit
from observatory.db import Base, bulk_insert, transaction, utcnow
from observatory.errors import Refused
from observatory.exports import SafeDictWriter, SafeWriter, unescape_cell
from observatory.i18n import translations
from observatory.i18n.validation import error_message
from observatory.pledges.models import (
    Organisation,
    Pledge,
    PledgeCountry,
    PledgeFocusArea,
    PledgePartner,
    PledgePillar,
)
from observatory.pledges.schemas import CSV_CONTEXT, OrganisationFields, OrganisationIn, PledgeIn
from observatory.pledges.service import (
    bump_revision,
    clean_message,
    exchange_rates,
    find_organisation,
    name_key,
    next_reference,
    organisation_keys,
    organisation_record,
    partner_organisation,
    pledge_dict,
    pledge_year,
    search_text,
    update_organisation,
    update_pledge,
    upsert_organisation,
    usd_value,
    would_change,
)

COLUMNS = (
    "reference", "pledger", "pledger_type", "pledger_country", "title", "description", "pledge_type",
    "focus_areas", "pillars", "target_countries", "value", "currency", "value_usd", "start_year",
    "end_year", "announced_on", "event", "status", "sdgs", "beneficiary_groups", "partners", "source_url",
)  # fmt: skip
# Written by the explorer's and the API's exports of a selection, ignored when a file is imported: the part of
# each pledge's USD value attributed to the selection (``observatory.pledges.breakdowns``).
COMPUTED_COLUMNS = ("value_usd_attributed",)
NEAR_MATCHED = 100  # new organisations of a preview given the registered names that look like theirs
OPTIONAL_COLUMNS = ("language", "synthetic")  # of the text (default en); synthetic: by `observatory demo generate`
REQUIRED = ("pledger", "pledger_type", "title", "focus_areas")
LISTS = frozenset(("focus_areas", "pillars", "target_countries", "sdgs", "beneficiary_groups", "partners"))
SEP = ";"
BATCH = 2000
SAMPLE = "p2c_pledges.csv"  # the 17 real pledges shipped in ``pledges/sample`` (see its README)
KEEP_REJECTED = 1000  # rejected rows kept in memory for display; the rest are counted (and streamed)
REJECTED_COLUMNS = ("line", "column", "reason", *COLUMNS, *OPTIONAL_COLUMNS)
CHUNK_ROWS = 500  # rows of a streamed export sent at a time
KEEP_LINES = 20  # lines kept for each new organisation the preview lists
SAMPLE_ORGANISATIONS = "organisations.csv"  # the sample's organisations, with the source of each fact
ORGANISATION_COLUMNS = ("name", "other_names", "stakeholder_type", "itu_membership", "country", "source")

log = logging.getLogger(__name__)


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
    """The file was refused; nothing was changed. ``errors`` holds the first ``KEEP_REJECTED`` problems,
    ``count`` all of them, ``lines`` the number of lines with a problem."""

    def __init__(self, errors: list[RowError], count: int | None = None, lines: int | None = None):
        self.count = len(errors) if count is None else count
        self.lines = len({e.line for e in errors}) if lines is None else lines
        super().__init__(f"{self.count} problem(s) on {self.lines} line(s); nothing was imported")
        self.errors = errors


@dataclass
class NewOrganisation:
    """An organisation an import registers (or would): as the file first names it, the lines naming it
    (the first ``KEEP_LINES``), whether as pledger, and registered names that look like it (a typo?)."""

    name: str
    stakeholder_type: str
    country: str | None
    lines: list[int] = field(default_factory=list)
    as_pledger: bool = False
    near: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WithoutUsd:
    """A row whose pledge has a value but no USD value: no rate for its currency in its year."""

    line: int
    title: str
    value: float
    currency: str | None
    year: int | None


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would do). ``rejected`` holds the first ``KEEP_REJECTED``
    rejected rows with their reason; ``rejected_count`` counts every problem, ``rejected_lines`` every
    line with one. ``new_organisations`` are the organisations it registers (the first ``KEEP_REJECTED``;
    ``new_organisation_count`` all of them); ``without_usd`` the first rows whose value has no USD value
    (``without_usd_count`` all of them)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[dict[str, str], RowError]] = field(default_factory=list)
    rejected_count: int = 0
    rejected_lines: int = 0
    new_organisations: list[NewOrganisation] = field(default_factory=list)
    new_organisation_count: int = 0
    without_usd: list[WithoutUsd] = field(default_factory=list)
    without_usd_count: int = 0


OrganisationKey = tuple[str, str, str | None]


def row_to_pledge(
    row: dict[str, str], review_state: str, organisations: dict[OrganisationKey, OrganisationIn] | None = None
) -> PledgeIn:
    """Validate one CSV row (already known to have the columns) as a pledge. ``organisations`` remembers
    the pledgers already validated, as a file names the same few many times."""
    data: dict[str, Any] = {}
    for column, cell in row.items():
        value = unescape_cell(cell.strip())
        if value:
            data[column] = [v for v in (x.strip() for x in value.split(SEP)) if v] if column in LISTS else value
    org = {
        "name": data.pop("pledger", ""),
        "stakeholder_type": data.pop("pledger_type", ""),
        "country": data.pop("pledger_country", None),
    }
    data["synthetic"] = data.get("synthetic", "").lower() in ("true", "1", "yes")
    pledger: OrganisationIn | dict[str, Any] = org
    if organisations is not None:
        key = (org["name"], org["stakeholder_type"], org["country"])
        if key not in organisations:
            # On failure the pledge's own validation below reports the error with its column.
            with suppress(ValidationError):
                organisations[key] = OrganisationIn.model_validate(org)
        pledger = organisations.get(key, org)
    row_data = {**data, "pledger": pledger, "review_state": review_state}
    return PledgeIn.model_validate(row_data, context=CSV_CONTEXT)  # numbers as CSV writes them


def _errors(line: int, exc: ValidationError, language: str = "en") -> list[RowError]:
    gettext = translations(language).gettext
    out = []
    for e in exc.errors():
        loc = [str(x) for x in e["loc"]]
        if loc[:1] == ["pledger"]:
            column = {"name": "pledger", "stakeholder_type": "pledger_type", "country": "pledger_country"}.get(
                loc[1] if len(loc) > 1 else "name", "pledger"
            )
        else:
            column = loc[0] if loc else ""
        name = loc[-1] if loc[:1] == ["pledger"] and len(loc) > 1 else loc[0] if loc else ""
        if e["type"] == "missing" or (column in REQUIRED and e.get("input") in ("", None, [])):
            e = {**e, "type": "missing"}
        reason = error_message(e, gettext, column or "row", name, language)  # the form's sentence, naming the column
        out.append(RowError(line, column, reason))
    return out


class _NotUtf8(Exception):
    def __init__(self, line: int, exc: UnicodeDecodeError):
        super().__init__(f"the file is not UTF-8 ({exc.reason} at byte {exc.start + 1} of the line); "
                         "save it as UTF-8 and import again")  # fmt: skip
        self.line = line


class _Reader:
    """CSV rows with their line numbers; encoding and header problems become a ``RowError``."""

    def __init__(self, stream: IO[bytes]):
        self.stream = stream
        self.line = 0  # physical lines read so far
        self.bytes_read = 0
        self.reader = csv.reader(self._lines(), strict=True)
        self.header: list[str] = []

    def _lines(self) -> Iterator[str]:
        for raw in self.stream:
            self.line += 1
            self.bytes_read += len(raw)
            if self.line == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _NotUtf8(self.line, exc) from exc

    def rows(self) -> Iterator[tuple[int, dict[str, str]] | RowError]:
        try:
            try:
                header = next(self.reader)
            except StopIteration:
                yield RowError(1, "", "the file is empty (a header row is required)")
                return
            self.header = [h.strip().lower() for h in header]
            problems = self._header_problems()
            if problems:
                yield from problems
                return
            start = self.line + 1
            for cells in self.reader:
                if any(c.strip() for c in cells):
                    if len(cells) != len(self.header):
                        yield RowError(start, "", f"{len(cells)} cells where the header has {len(self.header)}")
                    else:
                        yield start, dict(zip(self.header, cells, strict=True))
                start = self.line + 1
        except _NotUtf8 as exc:
            yield RowError(exc.line, "", str(exc))
        except csv.Error as exc:
            yield RowError(self.line, "", f"malformed CSV: {exc}")

    def _header_problems(self) -> list[RowError]:
        out = []
        known = set(COLUMNS) | set(OPTIONAL_COLUMNS) | set(COMPUTED_COLUMNS)
        for name in self.header:
            if name not in known:
                out.append(RowError(1, name, "unknown column"))
        seen: set[str] = set()
        for name in self.header:
            if name in seen:
                out.append(RowError(1, name, "column appears twice"))
            seen.add(name)
        for name in REQUIRED:
            if name not in self.header:
                out.append(RowError(1, name, "required column is missing"))
        return out


def sample_path() -> Path:
    """The real sample pledges shipped with the package."""
    return Path(str(resources.files("observatory.pledges").joinpath("sample", SAMPLE)))


def sample_organisations_path() -> Path:
    """The sample's organisations (name, other names, type, ITU membership, country, source of each)."""
    return Path(str(resources.files("observatory.pledges").joinpath("sample", SAMPLE_ORGANISATIONS)))


def import_organisations(session: Session, path: Path, actor: str) -> tuple[int, int]:
    """Register the organisations of a file in the columns of ``ORGANISATION_COLUMNS`` (other names
    separated by ``;``), in the caller's transaction, or correct those already registered under one of
    their names to what the file says (audited); returns how many were created and how many corrected."""
    created = corrected = 0
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            fields = {
                "name": row["name"],
                "other_names": [n.strip() for n in row["other_names"].split(SEP) if n.strip()],
                "stakeholder_type": row["stakeholder_type"],
                "itu_membership": row["itu_membership"],
                "country": row["country"] or None,
            }
            try:
                data = OrganisationFields.model_validate(fields)
            except ValidationError as exc:
                raise ImportRejected([RowError(line, "", clean_message(str(exc)))]) from exc
            org = find_organisation(session, data.name) or next(
                (o for n in data.other_names if (o := find_organisation(session, n)) is not None), None
            )
            if org is None:
                upsert_organisation(session, data, actor)
                created += 1
                continue
            before = organisation_record(org)
            changed = update_organisation(session, org.id, data.model_dump(), before["fingerprint"], actor)
            corrected += organisation_record(changed) != before
    return created, corrected


def import_sample(session: Session, actor: str) -> tuple[tuple[int, int], ImportResult]:
    """The sample, in the caller's transaction: its organisations first (created, corrected), then its
    pledges (``import_pledges``)."""
    organisations = import_organisations(session, sample_organisations_path(), actor)
    return organisations, import_pledges(session, sample_path(), actor)


def import_pledges(
    session: Session,
    source: Path | IO[bytes],
    actor: str,
    *,
    skip_invalid: bool = False,
    review_state: str = "published",
    progress: Callable[[int], None] | None = None,
    dry_run: bool = False,
    rejected_to: IO[str] | None = None,
    language: str = "en",
) -> ImportResult:
    """Import a pledge CSV inside the caller's transaction.

    Without ``skip_invalid`` any invalid row raises ``ImportRejected`` listing the bad rows, and the
    caller's rollback leaves the registry as it was; with it, valid rows load and the rejected ones are
    returned with their reasons. ``dry_run`` says what the import would do and writes nothing (not
    even a lock). ``rejected_to`` receives every rejected row, with its line, column and reason, as
    CSV. ``progress`` is called now and then with the number of bytes read. Reasons are sentences in
    ``language`` (the interface language of the person importing), naming the column.
    """
    stream: IO[bytes] = source.open("rb") if isinstance(source, Path) else source
    try:
        reader = _Reader(stream)
        report = (lambda: progress(reader.bytes_read)) if progress else None
        importer = _Importer(session, actor, review_state, dry_run=dry_run, rejected_to=rejected_to)
        importer.language = language
        return importer.run(reader.rows(), skip_invalid, report)
    finally:
        if isinstance(source, Path):
            stream.close()


def check_file(
    engine: Engine, path: Path, actor: str, review_state: str, rejected_to: IO[str], language: str = "en"
) -> ImportResult:
    """What importing a file would do (a dry run in its own session: nothing is written and no write lock is
    taken); every rejected row goes to ``rejected_to`` with its reason (in ``language``)."""
    with Session(engine) as dry_run:
        try:
            return import_pledges(dry_run, path, actor, skip_invalid=True, review_state=review_state, dry_run=True,
                                  rejected_to=rejected_to, language=language)  # fmt: skip
        finally:
            dry_run.rollback()


@contextmanager
def _in_transaction(engine: Engine | None, session: Session | None) -> Iterator[Session]:
    """A transaction of its own, or a savepoint of ``session``: either way all or nothing."""
    if session is None:
        with transaction(engine) as own:
            yield own
    else:
        with session.begin_nested():
            yield session


def import_file(
    engine: Engine | None,
    path: Path,
    actor: str,
    *,
    skip_invalid: bool = False,
    review_state: str = "published",
    progress: Callable[[int], None] | None = None,
    rejected_to: IO[str] | None = None,
    session: Session | None = None,
) -> ImportResult:
    """Import a pledge file and commit it, in a transaction of its own, or in a savepoint of ``session`` (a
    request's) when given (see ``import_pledges``); the log records what was imported, or that the file was
    refused (``ImportRejected``: nothing was changed)."""
    try:
        with _in_transaction(engine, session) as writing:
            result = import_pledges(
                writing, path, actor, skip_invalid=skip_invalid, review_state=review_state, progress=progress,
                rejected_to=rejected_to,
            )  # fmt: skip
    except ImportRejected as exc:
        log.warning("import of %s by %s refused: %s", path.name, actor, exc)
        raise
    log.info(
        "import of %s by %s committed (%s): %d created, %d updated, %d unchanged, %d line(s) rejected",
        path.name, actor, review_state, result.created, result.updated, result.unchanged, result.rejected_lines,
    )  # fmt: skip
    return result


class _Importer:
    language = "en"  # of the reasons given for rejected rows

    def __init__(self, session: Session, actor: str, review_state: str, *, dry_run: bool, rejected_to: IO[str] | None):
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.dry_run = dry_run
        if self.sqlite and not dry_run:
            # A write first: the import now holds SQLite's write lock, so the ids it reserves stay free.
            # (PostgreSQL takes ids from sequences and bumps the revision at the end: no lock held.)
            bump_revision(session)
        self.session = session
        self.actor = actor
        self.review_state = review_state
        self.result = ImportResult()
        self.errors: list[RowError] = []
        self.last_rejected_line = -1
        self.rejected_writer = SafeWriter(rejected_to) if rejected_to is not None else None
        if self.rejected_writer is not None:
            self.rejected_writer.writerow(REJECTED_COLUMNS)
        # Names and other names → organisation id; an other name's key → the key of the organisation's name.
        self.orgs, self.canonical = organisation_keys(session)
        self.new_orgs: dict[str, NewOrganisation] = {}
        self.refs: set[str] = set(session.scalars(select(Pledge.reference)))
        self.stored_refs = frozenset(self.refs) if dry_run else frozenset()
        natural = select(Organisation.name_key, Pledge.title, Pledge.announced_on, Pledge.reference).join(
            Organisation, Organisation.id == Pledge.pledger_id
        )
        self.natural: dict[tuple[str, str, dt.date | None], str] = {
            (k, t.casefold(), d): r for k, t, d, r in session.execute(natural)
        }
        self.next_number: dict[int, int] = {}
        self.seen_refs: dict[str, int] = {}
        self.batch: list[PledgeIn] = []
        self.pledgers: dict[OrganisationKey, OrganisationIn] = {}
        self.rates = exchange_rates(session)
        self.conn = session.connection()
        self.next_id: dict[type[Base], int] = {}

    def run(
        self,
        rows: Iterable[tuple[int, dict[str, str]] | RowError],
        skip_invalid: bool,
        progress: Callable[[], None] | None,
    ) -> ImportResult:
        for n, item in enumerate(rows):
            if progress and n % 1000 == 0:
                progress()
            if isinstance(item, RowError):
                self._reject({}, [item])
                continue
            line, row = item
            try:
                pledge = row_to_pledge(row, self.review_state, self.pledgers)
            except ValidationError as exc:
                self._reject(row, _errors(line, exc, self.language))
                continue
            if pledge.reference:
                first = self.seen_refs.setdefault(pledge.reference, line)
                if first != line:
                    self._reject(row, [RowError(line, "reference", f"{pledge.reference} repeats line {first}")])
                    continue
            if self.result.rejected_count and not skip_invalid:
                continue  # keep validating to report every bad row, but write nothing more
            self._note(line, pledge)
            self._take(pledge)
        if self.result.rejected_count and not skip_invalid:
            raise ImportRejected(self.errors, self.result.rejected_count, self.result.rejected_lines)
        self._near_matches()
        self._flush()
        if not self.sqlite and not self.dry_run:
            bump_revision(self.session)
        return self.result

    def _reject(self, row: dict[str, str], errors: list[RowError]) -> None:
        for e in errors:
            self.result.rejected_count += 1
            if e.line != self.last_rejected_line:
                self.result.rejected_lines += 1
                self.last_rejected_line = e.line
            if len(self.errors) < KEEP_REJECTED:
                self.errors.append(e)
                self.result.rejected.append((row, e))
            if self.rejected_writer is not None:
                self.rejected_writer.writerow(
                    [e.line, e.column, e.reason, *(row.get(c, "") for c in REJECTED_COLUMNS[3:])]
                )

    def _note(self, line: int, data: PledgeIn) -> None:
        """Remember the organisations this row registers and whether its value lacks a USD value."""
        for n, org in enumerate((data.pledger, *(partner_organisation(x) for x in data.partners))):
            key = name_key(org.name)
            new = self.new_orgs.get(key)
            if new is None and key in self.orgs:
                continue
            if new is None:
                new = NewOrganisation(org.name, org.stakeholder_type, org.country)
                self.new_orgs[key] = new
                self.result.new_organisation_count += 1
                if len(self.result.new_organisations) < KEEP_REJECTED:
                    self.result.new_organisations.append(new)
            if len(new.lines) < KEEP_LINES and line not in new.lines:
                new.lines.append(line)
            if n == 0 and not new.as_pledger:  # as pledger, the file says what it is
                new.as_pledger = True
                new.stakeholder_type, new.country = org.stakeholder_type, org.country
        if data.value is not None and usd_value(data, self.rates).value_usd is None:
            self.result.without_usd_count += 1
            if len(self.result.without_usd) < KEEP_REJECTED:
                year = data.announced_on.year if data.announced_on else data.start_year
                self.result.without_usd.append(WithoutUsd(line, data.title, data.value, data.currency, year))

    def _near_matches(self) -> None:
        """For each organisation the file registers, the registered names (and the file's other new names)
        that look like it: the same letters once case, accents and punctuation are set aside, or close. Only
        for a preview, where the reviewer reads them, and for the first ``NEAR_MATCHED`` new organisations
        (difflib compares each with every registered name)."""
        if not self.result.new_organisations or not self.dry_run:
            return
        names = registered_names(self.session)
        names.update({name_key(o.name): o.name for o in self.result.new_organisations})
        by_loose: dict[str, list[str]] = {}
        for key in names:
            by_loose.setdefault(loose_key(key), []).append(key)
        keys = list(names)
        for new in self.result.new_organisations[:NEAR_MATCHED]:
            own = name_key(new.name)
            found = [k for k in by_loose.get(loose_key(own), []) if k != own]
            found += [k for k in difflib.get_close_matches(own, keys, n=4, cutoff=0.85) if k != own and k not in found]
            new.near = [names[k] for k in found[:3]]

    def _take(self, data: PledgeIn) -> None:
        pledger = name_key(data.pledger.name)
        key = (self.canonical.get(pledger, pledger), data.title.casefold(), data.announced_on)
        ref = data.reference or self.natural.get(key)
        if ref is not None and ref in self.refs:
            self._update(ref, data)
            return
        if ref is None:
            ref = self._new_reference(pledge_year(data.announced_on))
        self.natural[key] = ref
        self.refs.add(ref)
        data.reference = ref
        if self.dry_run:
            self.result.created += 1
            return
        self.batch.append(data)
        if len(self.batch) >= BATCH:
            self._flush()

    def _new_reference(self, year: int) -> str:
        if year not in self.next_number:
            self.next_number[year] = int(next_reference(self.session, year).rsplit("-", 1)[1])
        number = self.next_number[year]
        self.next_number[year] += 1
        return f"P2C-{year}-{number:05d}"

    def _update(self, ref: str, data: PledgeIn) -> None:
        changes = data.model_dump(exclude={"reference", "pledger", "review_state", "synthetic"})
        if self.dry_run:
            if ref not in self.stored_refs:  # a pledge an earlier row of this file creates: it would change it
                self.result.updated += 1
                return
            try:
                changed = would_change(self.session, ref, changes)
            except Refused as exc:
                self._reject({}, [RowError(0, "reference", f"{ref}: {exc}")])
                return
            self.result.updated += changed
            self.result.unchanged += not changed
            return
        self._flush()
        pledge = self.session.scalar(select(Pledge).where(Pledge.reference == ref))
        assert pledge is not None
        before = pledge.version
        try:
            update_pledge(self.session, ref, pledge.version, changes, self.actor)
        except Refused as exc:
            self._reject({}, [RowError(0, "reference", f"{ref}: {exc}")])
            return
        if pledge.version != before:
            self.result.updated += 1
        else:
            self.result.unchanged += 1

    def _reserve_ids(self, model: type[Base], n: int) -> list[int]:
        """Primary keys for ``n`` new rows, so that links can be written without reading ids back.

        PostgreSQL hands them out from the table's sequence; on SQLite the import holds the write lock
        (taken when it started), so the next free numbers are ours."""
        table = _table(model)
        if self.conn.dialect.name == "postgresql":
            reserve = text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)")
            return list(self.conn.execute(reserve, {"t": table.name, "n": n}).scalars())
        if model not in self.next_id:
            self.next_id[model] = (self.conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        first = self.next_id[model]
        self.next_id[model] += n
        return list(range(first, first + n))

    def _organisations(self, now: dt.datetime) -> None:
        """Register, with one statement, the organisations the batch names that are new."""
        new: dict[str, dict[str, Any]] = {}
        for d in self.batch:
            for org in (d.pledger, *(partner_organisation(n) for n in d.partners)):
                noted = self.new_orgs.get(name_key(org.name))
                if noted is not None and noted.as_pledger and org.stakeholder_type == "unspecified":
                    # a partner the file also names as pledger: registered as the file says it is
                    org = OrganisationIn(name=org.name, stakeholder_type=noted.stakeholder_type, country=noted.country)
                key = name_key(org.name)
                if key not in self.orgs and key not in new:
                    new[key] = {"other_names": [], **org.model_dump(), "name_key": key, "created_at": now}
        if not new:
            return
        rows = list(new.values())
        for row, org_id in zip(rows, self._reserve_ids(Organisation, len(rows)), strict=True):
            row["id"] = org_id
        bulk_insert(self.conn, _table(Organisation), rows)
        self.orgs.update((k, v["id"]) for k, v in new.items())
        entries = [
            audit.entry(now, self.actor, "create", "organisation", str(i), None, {"id": i, **_public(v)})
            for k, v in new.items()
            if (i := self.orgs[k])
        ]
        audit.record_many(self.conn, entries)

    def _flush(self) -> None:
        """Write the pending new pledges with one multi-row statement per table."""
        if not self.batch:
            return
        now = utcnow()
        self._organisations(now)
        rows = []
        ids = self._reserve_ids(Pledge, len(self.batch))
        for d, pledge_id in zip(self.batch, ids, strict=True):
            usd = usd_value(d, self.rates)
            rows.append(
                {
                    "id": pledge_id,
                    "reference": d.reference,
                    "pledger_id": self.orgs[name_key(d.pledger.name)],
                    "title": d.title,
                    "description": d.description,
                    "language": d.language,
                    "pledge_type": d.pledge_type,
                    "value_amount": d.value,
                    "currency": d.currency,
                    "value_usd": usd.value_usd,
                    "usd_rate": usd.rate,
                    "usd_rate_date": usd.rate_date,
                    "usd_origin": usd.origin,
                    "start_year": d.start_year,
                    "end_year": d.end_year,
                    "announced_on": d.announced_on,
                    "event": d.event,
                    "source_url": d.source_url,
                    "status": d.status,
                    "review_state": d.review_state,
                    "review_note": "",
                    "sdgs": d.sdgs,
                    "beneficiary_groups": d.beneficiary_groups,
                    "synthetic": d.synthetic,
                    "search_text": search_text(d.title, d.description, d.pledger.name, d.partners, d.event),
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        bulk_insert(self.conn, _table(Pledge), rows)
        fa, pi, co, pa, au = [], [], [], [], []
        for pid, d, row in zip(ids, self.batch, rows, strict=True):
            fa += [{"pledge_id": pid, "focus_area": x} for x in d.focus_areas]
            pi += [{"pledge_id": pid, "pillar": x} for x in d.pillars]
            co += [{"pledge_id": pid, "country": x} for x in d.target_countries]
            pa += [{"pledge_id": pid, "organisation_id": self.orgs[name_key(x)]} for x in d.partners]
            au.append(audit.entry(now, self.actor, "import", "pledge", d.reference or "", None, _record(row, d)))
        for model, values in ((PledgeFocusArea, fa), (PledgePillar, pi), (PledgeCountry, co), (PledgePartner, pa)):
            bulk_insert(self.conn, _table(model), values)
        audit.record_many(self.conn, au)
        self.result.created += len(self.batch)
        self.batch = []


def loose_key(key: str) -> str:
    """A name's key without accents, punctuation and blanks, to find names that differ only by those."""
    plain = unicodedata.normalize("NFKD", key)
    return re.sub(r"[\W_]+", "", "".join(c for c in plain if not unicodedata.combining(c)))


def registered_names(session: Session) -> dict[str, str]:
    """Every registered name and other name of an organisation, by its key."""
    names: dict[str, str] = {}
    for name, others in session.execute(select(Organisation.name, Organisation.other_names)):
        for n in [name, *(others or [])]:
            names.setdefault(name_key(n), n)
    return names


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _public(org: dict[str, Any]) -> dict[str, Any]:
    return {k: org[k] for k in ("name", "stakeholder_type", "country", "itu_membership")}


def _record(row: dict[str, Any], d: PledgeIn) -> dict[str, Any]:
    """The audit record of an imported pledge (the same keys as ``pledge_dict``)."""
    out = {k: v for k, v in row.items() if k not in ("search_text", "created_at", "updated_at", "pledger_id")}
    out["value"] = out.pop("value_amount")
    out["announced_on"] = d.announced_on.isoformat() if d.announced_on else None
    out["usd_rate_date"] = row["usd_rate_date"].isoformat() if row["usd_rate_date"] else None
    out["pledger"] = {"id": row["pledger_id"], **d.pledger.model_dump()}
    out.update(focus_areas=d.focus_areas, pillars=d.pillars, target_countries=d.target_countries,
               partners=d.partners)  # fmt: skip
    return out


# ---------------------------------------------------------------- export


def pledge_row(p: Pledge) -> dict[str, str]:
    """A pledge as a row of the import format, so an export can be imported again."""
    d = pledge_dict(p)

    def cell(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, list):
            return SEP.join(str(x) for x in v)
        if isinstance(v, float):
            return f"{v:.2f}".rstrip("0").rstrip(".")
        return str(v)

    row = {c: cell(d.get(c)) for c in COLUMNS}
    row["pledger"] = p.pledger.name
    row["pledger_type"] = p.pledger.stakeholder_type
    row["pledger_country"] = p.pledger.country or ""
    row["value_usd"] = cell(p.value_usd) if p.usd_origin == "stated" else ""
    row["language"] = p.language
    if p.synthetic:
        row["synthetic"] = "true"
    return row


def write_csv(pledges: Iterable[Pledge], out: IO[str], attributed: Mapping[int, float] | None = None) -> int:
    """Pledges in the import format, with the optional columns, so an export can be imported again
    (text cells that a spreadsheet would run as a formula are written safe; see ``observatory.exports``);
    with ``attributed`` (pledge id → USD), also the column ``value_usd_attributed``, which an import ignores.
    Returns how many were written."""
    writer = SafeDictWriter(out, COLUMNS + OPTIONAL_COLUMNS + (COMPUTED_COLUMNS if attributed is not None else ()))
    writer.writeheader()
    n = 0
    for p in pledges:
        row = pledge_row(p)
        if attributed is not None:
            value = attributed.get(p.id)
            row["value_usd_attributed"] = "" if value is None else f"{value:.2f}"
        writer.writerow(row)
        n += 1
    return n


def csv_text(pledges: Iterable[Pledge], attributed: Mapping[int, float] | None = None) -> str:
    """Pledges as a CSV file in the import format (``write_csv``), with their attributed value if given."""
    out = io.StringIO()
    write_csv(pledges, out, attributed)
    return out.getvalue()


def csv_chunks(pledges: Iterable[Pledge], rows: int = CHUNK_ROWS) -> Iterator[str]:
    """Pledges as ``write_csv`` writes them, a few hundred rows at a time (to stream a large export)."""
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, COLUMNS + OPTIONAL_COLUMNS)
    writer.writeheader()
    for n, p in enumerate(pledges, start=1):
        writer.writerow(pledge_row(p))
        if n % rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_rejected(rejected: list[tuple[dict[str, str], RowError]], path: Path) -> None:
    """The rejected rows with their line, column and reason, for the pledger to correct (the same
    columns as ``import_pledges(rejected_to=…)`` streams)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = SafeWriter(fh)
        writer.writerow(REJECTED_COLUMNS)
        for row, err in rejected:
            writer.writerow([err.line, err.column, err.reason, *(row.get(c, "") for c in REJECTED_COLUMNS[3:])])
