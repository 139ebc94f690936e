"""One shape for every external dataset: fetch → parse → load, with provenance on every record.

A source is a subclass of :class:`Source` naming its organisation, dataset and canonical public
address. ``Source.run(location, engine)`` does the whole job:

1. **fetch** — ``location`` is a local path or an ``http(s)://`` address; an address is downloaded
   to ``$OBSERVATORY_HOME/downloads`` (streamed, size checked against ``Content-Length``, renamed into
   place only when complete, so a truncated download is an error and never a partial file);
2. **parse** — the subclass reads the file (streaming or columnar, never by loading it into Python
   objects row by row where a columnar reader does the job) and raises :class:`SourceError` naming
   the file and line for anything it cannot read;
3. **load** — the subclass writes its rows in one transaction, each row pointing to the
   :class:`SourceLoad` that records where they came from, so a failed run leaves the previous data
   as it was.

Compressed files (gzip, bz2) are recognised by their magic bytes; a truncated or corrupt stream is a
:class:`SourceError`, not a short read.

**Bounded input.** A small compressed file can decompress to gigabytes (18 MB of gzip holds 18 GB of
zeros), so no reader here takes in more than a bound: every stream of :func:`open_binary` counts the
decompressed bytes and raises :class:`SourceError` naming the file once they pass the reader's limit
(:data:`TABLE_LIMIT_MB` unless the reader states its own; ``OBSERVATORY_MAX_INPUT_MB`` replaces every
limit). Line-based readers also bound the length of a line (:data:`MAX_LINE`): a file of zeros has no
line break, and would otherwise be one line held whole. :func:`read_bytes` is for files a columnar
reader takes in one piece, so its memory is the limit at most; :func:`line_chunks` and
:func:`open_text` stream.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import hashlib
import importlib
import inspect
import io
import logging
import lzma
import os
import pkgutil
import tempfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any, ClassVar, Generic, TypeVar

import httpx
import numpy as np
from sqlalchemy import Date, DateTime, Engine, Integer, String, Text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from observatory.config import load_settings
from observatory.db import Base, transaction, utcnow

Parsed = TypeVar("Parsed")
Progress = Callable[[int, int | None], None]  # (bytes done, bytes expected or None)

MIB = 1 << 20
# Default bound on what a file may decompress to (CSV, JSON, RIR files): the largest real inputs
# (PeeringDB dumps, RouteViews prefix-to-AS, RIPE NCC's delegated file) are a few tens of MB, so this
# leaves ample headroom while a bomb stops long before it exhausts memory. MRT dumps set their own.
TABLE_LIMIT_MB = 256
MAX_LINE = 1 * MIB  # longest line a line-based reader holds (the real files' longest are a few kB)
LINE_CHUNK = 4 * MIB  # bytes of whole lines :func:`line_chunks` hands over at a time
_READ = 8 * MIB  # the most one read of a stream asks for (so a decompressor never returns more)

log = logging.getLogger(__name__)


class SourceError(ValueError):
    """Input a source cannot read; names the file and, where known, the line or byte offset."""

    def __init__(self, path: str | Path, message: str, *, line: int | None = None, offset: int | None = None):
        self.path = str(path)
        self.message = message
        self.line = line
        self.offset = offset
        where = (
            self.path
            + (f", line {line}" if line is not None else "")
            + (f", byte {offset}" if offset is not None else "")
        )
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        # keeps the error whole when it crosses a process boundary (process pools, Dask workers)
        return (_source_error, (self.path, self.message, self.line, self.offset))


def _source_error(path: str, message: str, line: int | None, offset: int | None) -> SourceError:
    return SourceError(path, message, line=line, offset=offset)


class SourceLoad(Base):
    """One load of one dataset: where it came from, which edition, and when it was read."""

    __tablename__ = "source_load"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(60), index=True)  # the Source subclass's NAME
    organisation: Mapped[str] = mapped_column(String(120))
    dataset: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(Text)  # the URL or path it was read from
    info_url: Mapped[str] = mapped_column(Text, default="")
    edition: Mapped[str] = mapped_column(String(60), default="")  # the source's own edition or release
    data_date: Mapped[dt.date | None] = mapped_column(Date)  # the date the data describes
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DataRevision(Base):
    """One row, bumped by every load of a source and every recomputation of what depends on one, in the same
    transaction: what pages drawn from the data are kept under (``observatory.web.cache``)."""

    __tablename__ = "data_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


def bump_data_revision(session: Session) -> None:
    """Mark the loaded data as changed (a load, or figures recomputed from it)."""
    session.execute(update(DataRevision).values(revision=DataRevision.revision + 1))


@dataclass
class LoadResult:
    """What a run loaded, and what it skipped under the source's own conventions (counted, reported)."""

    load_id: int
    source: str
    rows: int
    edition: str = ""
    data_date: dt.date | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def is_url(location: str | Path) -> bool:
    """Whether ``location`` is an ``http(s)://`` address (else it is a local path)."""
    return isinstance(location, str) and location.startswith(("http://", "https://"))


def download(url: str, directory: Path, *, progress: Progress | None = None, timeout: float = 60.0) -> Path:
    """Download ``url`` into ``directory``; the file appears only when complete.

    A response shorter than its ``Content-Length`` (a dropped connection) or an HTTP error raises
    :class:`SourceError` and leaves nothing behind."""
    directory.mkdir(parents=True, exist_ok=True)
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "download"
    target = directory / name
    fd, partial = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, httpx.stream("GET", url, follow_redirects=True, timeout=timeout) as r:
            if r.status_code != 200:
                raise SourceError(url, f"HTTP {r.status_code} {r.reason_phrase}")
            expected = int(r.headers["content-length"]) if "content-length" in r.headers else None
            done = 0
            for chunk in r.iter_raw(1 << 20):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, expected)
            if expected is not None and done != expected:
                raise SourceError(url, f"truncated download: {done} of {expected} bytes")
        os.replace(partial, target)
    except httpx.HTTPError as e:
        raise SourceError(url, f"download failed: {e}") from e
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target


def sha256_of(path: Path) -> str:
    """The SHA-256 of the file's bytes, as hex: what tells two loads of the same content apart."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def compression(path: Path) -> str | None:
    """``gzip``, ``bz2``, ``xz`` or None, from the file's first bytes (names lie; magic numbers do not)."""
    with path.open("rb") as f:
        head = f.read(6)
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh":
        return "bz2"
    if head == b"\xfd7zXZ\x00":
        return "xz"
    return None


def input_limit(default_mb: int) -> int:
    """The bound in bytes for a reader whose own limit is ``default_mb`` MiB: ``OBSERVATORY_MAX_INPUT_MB``
    when it is set, else ``default_mb``."""
    configured = load_settings().max_input_mb
    return (configured if configured is not None else default_mb) * MIB


def _mib(limit: int) -> str:
    return f"{limit / MIB:g} MiB"


class _Bounded(io.RawIOBase):
    """A read-only stream that counts the bytes read from ``raw`` and raises :class:`SourceError` once
    they pass ``limit``: a decompression bomb is stopped after ``limit`` bytes, whoever reads it."""

    def __init__(self, raw: io.BufferedIOBase, path: Path, limit: int, kind: str | None) -> None:
        super().__init__()
        self._raw = raw
        self._path = path
        self._limit = limit
        self._kind = kind
        self.done = 0  # decompressed bytes read so far

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with memoryview(buffer) as view, view.cast("B") as target:
            got = self._raw.readinto(target[:_READ])
        self.done += got
        if self.done > self._limit:
            what = "decompresses to" if self._kind else "holds"
            raise SourceError(
                self._path,
                f"{what} more than {_mib(self._limit)}; the limit for this source is {_mib(self._limit)} "
                "(OBSERVATORY_MAX_INPUT_MB sets another)",
            )
        return got


@contextmanager
def open_binary(path: Path, *, limit: int | None = None) -> Iterator[io.BufferedReader]:
    """The file's bytes, decompressed when it is gzip, bz2 or xz; a truncated or corrupt stream raises
    :class:`SourceError` when it is read, and so does reading more than ``limit`` bytes (default:
    :data:`TABLE_LIMIT_MB`, or ``OBSERVATORY_MAX_INPUT_MB``)."""
    kind = compression(path)
    openers: dict[str | None, Callable[[Path], io.BufferedIOBase]] = {
        "gzip": lambda p: gzip.GzipFile(p, "rb"),
        "bz2": lambda p: bz2.BZ2File(p, "rb"),
        "xz": lambda p: lzma.LZMAFile(p, "rb"),  # noqa: SIM115 (closed by the with below)
        None: lambda p: p.open("rb"),
    }
    bound = input_limit(TABLE_LIMIT_MB) if limit is None else limit
    with openers[kind](path) as raw:
        try:
            yield io.BufferedReader(_Bounded(raw, path, bound, kind), buffer_size=MIB)
        except (EOFError, OSError, zlib.error, lzma.LZMAError) as e:
            raise SourceError(path, f"truncated or corrupt {kind or 'file'}: {e}") from e


def read_bytes(path: Path, *, limit: int | None = None) -> bytes:
    """The whole (decompressed) content, for files that a columnar reader takes in one piece; more than
    ``limit`` bytes (see :func:`open_binary`) is a :class:`SourceError` raised before they are all held."""
    parts = []
    with open_binary(path, limit=limit) as f:
        while part := f.read(_READ):
            parts.append(part)
    return b"".join(parts)


@dataclass(frozen=True)
class LineChunk:
    """Whole lines of a file: ``data`` ends with a line break (unless it is the end of the file), its
    first line is line ``line`` of the file and its first byte is byte ``offset``."""

    data: bytes
    line: int
    offset: int


def line_chunks(
    path: Path, *, limit: int | None = None, max_line: int = MAX_LINE, size: int = LINE_CHUNK
) -> Iterator[LineChunk]:
    """The (decompressed) file in pieces of about ``size`` bytes cut at line breaks (``\\n``), so a
    line-based reader holds one piece at a time. A line longer than ``max_line`` bytes, or more than
    ``limit`` bytes in all, is a :class:`SourceError` naming the file (and the line)."""
    line, offset = 1, 0
    carry = b""
    with open_binary(path, limit=limit) as f:
        while True:
            block = f.read(size)
            data = carry + block if carry else block
            if not block:
                if data:
                    _check_lines(path, data, line, max_line, last=True)
                    yield LineChunk(data, line, offset)
                return
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                if len(data) > max_line:
                    raise SourceError(path, f"a line longer than {_mib(max_line)}: not a text file?", line=line)
                carry = data
                continue
            whole, carry = data[:cut], data[cut:]
            lines = _check_lines(path, whole, line, max_line, last=False)
            if len(carry) > max_line:
                raise SourceError(path, f"a line longer than {_mib(max_line)}: not a text file?", line=line + lines)
            yield LineChunk(whole, line, offset)
            line += lines
            offset += len(whole)


def _check_lines(path: Path, data: bytes, line: int, max_line: int, *, last: bool) -> int:
    """The number of line breaks in ``data``; a line longer than ``max_line`` is an error naming it."""
    breaks = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    ends = np.append(breaks, len(data)) if last else breaks
    lengths = np.diff(ends, prepend=-1) - 1
    if lengths.shape[0] and int(lengths.max()) > max_line:
        first = int(np.argmax(lengths > max_line))
        raise SourceError(path, f"a line longer than {_mib(max_line)}: not a text file?", line=line + first)
    return int(breaks.shape[0])


class _BoundedText(io.TextIOWrapper):
    """Text whose ``readline`` (and so iteration) refuses a line longer than ``max_line`` characters (not
    counting its line break) instead of holding it whole."""

    def __init__(self, raw: io.BufferedReader, path: Path, max_line: int, encoding: str) -> None:
        super().__init__(raw, encoding=encoding, errors="strict", newline="")
        self._path = path
        self._max_line = max_line
        self._line = 0

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]  # as typeshed's TextIOWrapper
        wanted = self._max_line + 2 if size is None or size < 0 or size > self._max_line else size
        text = super().readline(wanted)  # at most the longest line allowed and a \r\n
        self._line += 1
        if len(text.rstrip("\r\n")) > self._max_line:
            raise SourceError(
                self._path, f"a line longer than {self._max_line:,} characters: not a text file?", line=self._line
            )
        return text

    def __next__(self) -> str:  # type: ignore[override]
        text = self.readline()
        if not text:
            raise StopIteration
        return text


@contextmanager
def open_text(
    path: Path, encoding: str = "utf-8", *, limit: int | None = None, max_line: int = MAX_LINE
) -> Iterator[IO[str]]:
    """The file as text; a byte that is not ``encoding`` raises :class:`SourceError` with its line, and
    so do a line longer than ``max_line`` characters and more than ``limit`` bytes (see
    :func:`open_binary`)."""
    with open_binary(path, limit=limit) as raw:
        text = _BoundedText(raw, path, max_line, encoding)
        try:
            yield text
        except UnicodeDecodeError as e:
            raise SourceError(path, f"not {encoding} text: {e.reason} at byte {e.start} of a chunk") from e


class Source(ABC, Generic[Parsed]):
    """A public dataset. Subclasses set the class attributes and write ``parse`` and ``load``.

    The capabilities' sources make the one source registry (:func:`registry`), keyed by ``NAME``: the
    name every :class:`SourceLoad` stores, the command lines take and ``observatory data load`` loops
    over, reading each source's ``FILES`` from a data folder."""

    NAME: ClassVar[str]  # stable identifier, e.g. "worldbank_wdi"; stored in every SourceLoad it makes
    ORG: ClassVar[str]  # who publishes it, e.g. "World Bank"
    DATASET: ClassVar[str]  # its title
    URL: ClassVar[str]  # canonical public address of the data (used when no location is given)
    INFO_URL: ClassVar[str] = ""  # where people read about it
    LICENCE: ClassVar[str] = ""  # the terms the publisher states for the data
    LABEL: ClassVar[str] = ""  # the name readers know it by (marked with N_ to be translated); default: ORG
    FEEDS: ClassVar[str] = ""  # what it feeds besides the indicator catalogue's indicators, in a phrase
    # The files of a data folder laid out like shared/data that it reads (glob patterns relative to the
    # folder), and the edition ``observatory data load`` gives them (the folder's MANIFEST), for files that
    # state none; None: each file's own.
    FILES: ClassVar[tuple[str, ...]] = ()
    EDITION: ClassVar[str | None] = None
    ALIASES: ClassVar[tuple[str, ...]] = ()  # earlier command-line names, still accepted
    # Sources whose ``recompute`` work overlaps share this key: a folder load runs it once for them all, the
    # recompute of the last of them it loaded (whose work must include the others': they are ordered by name).
    RECOMPUTES: ClassVar[str] = ""

    edition: str | None = None  # the label of a file that states no edition (``--edition``)

    def __init__(self, edition: str | None = None) -> None:
        self.edition = edition

    @classmethod
    def label(cls) -> str:
        """The name readers know the source by (English; translate it with the catalogs)."""
        return cls.LABEL or cls.ORG

    @classmethod
    def recompute(cls, session: Session) -> list[str]:
        """Recompute what depends on this source's data beyond the rows of one file (indicators joining it
        with other sources); called once after a batch of its files, or after one file run alone. Returns
        notes for the load report. By default nothing depends on it."""
        return []

    def fetch(self, location: str | Path | None = None, *, progress: Progress | None = None) -> Path:
        """A local file for ``location`` (a path, an address, or the source's own ``URL``)."""
        location = location if location is not None else self.URL
        if is_url(location):
            return download(str(location), load_settings().home / "downloads" / self.NAME, progress=progress)
        path = Path(location)
        if not path.is_file():
            raise SourceError(path, "no such file")
        return path

    @abstractmethod
    def parse(self, path: Path) -> Parsed:
        """Read ``path`` completely; raise :class:`SourceError` on anything unreadable, before any write."""

    @abstractmethod
    def load(self, session: Session, parsed: Parsed, load: SourceLoad) -> LoadResult:
        """Write ``parsed`` inside ``session``'s transaction; ``load`` is already flushed (it has an id)."""

    def describe(self, path: Path, parsed: Parsed) -> dict[str, Any]:
        """Edition and data date of this file (``edition``, ``data_date`` keys); override per source."""
        return {}

    def run(
        self,
        location: str | Path | None = None,
        engine: Engine | None = None,
        *,
        progress: Progress | None = None,
        recompute: bool = True,
    ) -> LoadResult:
        """Fetch, parse and load in one transaction; on any error nothing is written. With ``recompute``
        (a file run alone) what depends on the source is recomputed in the same transaction."""
        where = str(location if location is not None else self.URL)
        try:
            path = self.fetch(location, progress=progress)
            parsed = self.parse(path)
            meta = self.describe(path, parsed)
            with transaction(engine) as session:
                record = SourceLoad(
                    source=self.NAME,
                    organisation=self.ORG,
                    dataset=self.DATASET,
                    location=where,
                    info_url=self.INFO_URL,
                    edition=str(meta.get("edition") or self.edition or ""),
                    data_date=meta.get("data_date"),
                    sha256=sha256_of(path),
                )
                session.add(record)
                session.flush()
                result = self.load(session, parsed, record)
                record.rows = result.rows
                if recompute:
                    result.notes.extend(self.recompute(session))
                bump_data_revision(session)
        except SourceError as e:
            log.warning("%s: refused %s: %s", self.NAME, where, e)
            raise
        log.info("%s: loaded %s: %d rows, edition %s", self.NAME, where, result.rows, result.edition or "-")
        return result

    def run_batch(
        self,
        locations: Iterable[str | Path],
        engine: Engine | None = None,
        *,
        each: Callable[[str], None] | None = None,
        recompute: bool = True,
    ) -> list[Ingested]:
        """Load each location as its own snapshot, in its own transaction (``each`` is told of each before it
        starts); a file that fails is reported and leaves the data as it was, the others load. What depends
        on the source is recomputed once, after the last file, in a transaction of its own (unless
        ``recompute`` is false: the caller runs :meth:`recompute` once after several sources)."""
        done: list[Ingested] = []
        for location in locations:
            if each:
                each(str(location))
            try:
                done.append(Ingested(str(location), self.run(location, engine, recompute=False), None))
            except SourceError as e:
                done.append(Ingested(str(location), None, e))
        loaded = [d.result for d in done if d.result is not None]
        if loaded and recompute:
            with transaction(engine) as session:
                notes = self.recompute(session)
                bump_data_revision(session)
            loaded[-1].notes.extend(notes)
        return done


@dataclass
class Ingested:
    """One location of a batch: what it loaded, or why it was refused."""

    location: str
    result: LoadResult | None
    error: SourceError | None


Registry = dict[str, type[Source[Any]]]


def registry(*packages: str) -> Registry:
    """The concrete :class:`Source` subclasses defined under ``packages`` (each is imported with its
    modules), by ``NAME``: each package's sources sorted by name, the packages in the order given.

    Two sources with one ``NAME`` (or an alias that is another's name) are a programming error: the
    ``SourceLoad`` rows could no longer tell them apart."""
    return dict(_registry(packages))


@cache
def _registry(packages: tuple[str, ...]) -> Registry:
    found: Registry = {}
    for package in packages:
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(getattr(module, "__path__", []), package + "."):
            importlib.import_module(info.name)
        mine = [c for c in _subclasses(Source) if c.__module__.startswith(package + ".") and _concrete(c)]
        for cls in sorted(mine, key=lambda c: c.NAME):
            if cls.NAME in found and found[cls.NAME] is not cls:
                raise TypeError(f"two sources named {cls.NAME!r}: {found[cls.NAME].__qualname__}, {cls.__qualname__}")
            found[cls.NAME] = cls
    names = [n for cls in found.values() for n in (cls.NAME, *cls.ALIASES)]
    if len(names) != len(set(names)):
        raise TypeError(f"a source name or alias is used twice: {sorted(n for n in names if names.count(n) > 1)}")
    return found


def find_source(sources: Registry, name: str) -> type[Source[Any]]:
    """The source ``name`` names in ``sources`` (its ``NAME`` or an earlier alias); :class:`KeyError`
    naming the known sources otherwise."""
    if name in sources:
        return sources[name]
    for cls in sources.values():
        if name in cls.ALIASES:
            return cls
    raise KeyError(f"unknown source {name!r} (one of {', '.join(sources)})")


def _subclasses(cls: type[Any]) -> list[type[Source[Any]]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def _concrete(cls: type[Source[Any]]) -> bool:
    return not inspect.isabstract(cls) and isinstance(getattr(cls, "NAME", None), str)
