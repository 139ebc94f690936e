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
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import hashlib
import io
import os
import tempfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, Generic, TypeVar, cast

import httpx
from sqlalchemy import Date, DateTime, Engine, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from observatory.config import load_settings
from observatory.db import Base, transaction, utcnow

Parsed = TypeVar("Parsed")
Progress = Callable[[int, int | None], None]  # (bytes done, bytes expected or None)


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
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def compression(path: Path) -> str | None:
    """``gzip``, ``bz2`` or None, from the file's first bytes (names lie; magic numbers do not)."""
    with path.open("rb") as f:
        head = f.read(3)
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head == b"BZh":
        return "bz2"
    return None


@contextmanager
def open_binary(path: Path) -> Iterator[IO[bytes]]:
    """The file's bytes, decompressed when it is gzip or bz2; a truncated or corrupt stream raises
    :class:`SourceError` when it is read."""
    kind = compression(path)
    openers: dict[str | None, Callable[[Path], IO[bytes]]] = {
        "gzip": lambda p: cast(IO[bytes], gzip.open(p, "rb")),  # noqa: SIM115 (opened by the with below)
        "bz2": lambda p: cast(IO[bytes], bz2.open(p, "rb")),  # noqa: SIM115
        None: lambda p: p.open("rb"),
    }
    with openers[kind](path) as raw:
        try:
            yield raw
        except (EOFError, OSError, zlib.error) as e:
            raise SourceError(path, f"truncated or corrupt {kind or 'file'}: {e}") from e


def read_bytes(path: Path) -> bytes:
    """The whole (decompressed) content; for files that a columnar reader takes in one piece."""
    with open_binary(path) as f:
        return f.read()


@contextmanager
def open_text(path: Path, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """The file as text; a byte that is not ``encoding`` raises :class:`SourceError` with its line."""
    with open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        try:
            yield text
        except UnicodeDecodeError as e:
            raise SourceError(path, f"not {encoding} text: {e.reason} at byte {e.start} of a chunk") from e


class Source(ABC, Generic[Parsed]):
    """A public dataset. Subclasses set the class attributes and write ``parse`` and ``load``."""

    NAME: ClassVar[str]  # stable identifier, e.g. "worldbank_wdi"
    ORG: ClassVar[str]  # who publishes it, e.g. "World Bank"
    DATASET: ClassVar[str]  # its title
    URL: ClassVar[str]  # canonical public address of the data (used when no location is given)
    INFO_URL: ClassVar[str] = ""  # where people read about it

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
        self, location: str | Path | None = None, engine: Engine | None = None, *, progress: Progress | None = None
    ) -> LoadResult:
        """Fetch, parse and load in one transaction; on any error nothing is written."""
        path = self.fetch(location, progress=progress)
        parsed = self.parse(path)
        meta = self.describe(path, parsed)
        with transaction(engine) as session:
            record = SourceLoad(
                source=self.NAME,
                organisation=self.ORG,
                dataset=self.DATASET,
                location=str(location if location is not None else self.URL),
                info_url=self.INFO_URL,
                edition=str(meta.get("edition", "")),
                data_date=meta.get("data_date"),
                sha256=sha256_of(path),
            )
            session.add(record)
            session.flush()
            result = self.load(session, parsed, record)
            record.rows = result.rows
        return result
