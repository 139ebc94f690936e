"""The common source shape: downloads that are complete or nothing, compressed files read or refused,
and loads that commit whole or not at all."""

from __future__ import annotations

import bz2
import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.sources import LoadResult, Source, SourceError, SourceLoad, download, open_text, read_bytes

BODY = b"code,value\nMWI,1\nKEN,2\n"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/data.csv":
            self.send_response(200)
            self.send_header("content-length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)
        elif self.path == "/truncated.csv":  # promises more than it sends, then hangs up
            self.send_response(200)
            self.send_header("content-length", str(len(BODY) * 10))
            self.end_headers()
            self.wfile.write(BODY)
            self.close_connection = True
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_writes_the_complete_file(server: str, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    path = download(server + "/data.csv", tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert path.read_bytes() == BODY
    assert seen[-1] == (len(BODY), len(BODY))


def test_truncated_download_is_an_error_and_leaves_nothing(server: str, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"truncated download|download failed"):
        download(server + "/truncated.csv", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_http_error_is_an_error(server: str, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="HTTP 404"):
        download(server + "/missing.csv", tmp_path)


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress])
def test_compressed_files_are_recognised_by_content(tmp_path: Path, compress: object) -> None:
    path = tmp_path / "data.csv"  # no .gz/.bz2 suffix: the magic bytes decide
    path.write_bytes(compress(BODY))  # type: ignore[operator]
    assert read_bytes(path) == BODY


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress])
def test_truncated_compressed_file_names_the_file(tmp_path: Path, compress: object) -> None:
    path = tmp_path / "data.gz"
    whole = compress(BODY * 1000)  # type: ignore[operator]
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(SourceError, match=r"data\.gz: truncated or corrupt"):
        read_bytes(path)


def test_wrong_encoding_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("pays\nCôte d'Ivoire\n".encode("latin-1"))
    with pytest.raises(SourceError, match="not utf-8 text"), open_text(path) as f:
        f.read()


class Codes(Source[list[str]]):
    """A tiny real source: one country code a line; a line ``FAIL`` makes the load fail midway."""

    NAME = "codes"
    ORG = "Tests"
    DATASET = "Country codes"
    URL = "http://127.0.0.1:9/codes.csv"

    def parse(self, path: Path) -> list[str]:
        with open_text(path) as f:
            return [line.strip() for line in f if line.strip()]

    def load(self, session: Session, parsed: list[str], load: SourceLoad) -> LoadResult:
        for n, code in enumerate(parsed, 1):
            if code == "FAIL":
                raise SourceError(load.location, "refused", line=n)
        return LoadResult(load_id=load.id, source=self.NAME, rows=len(parsed))


def test_run_records_provenance(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("MWI\nKEN\n")
    result = Codes().run(path, sqlite_engine)
    assert result.rows == 2
    with Session(sqlite_engine) as session:
        load = session.get(SourceLoad, result.load_id)
        assert load is not None
        assert (load.source, load.location, load.rows, len(load.sha256)) == ("codes", str(path), 2, 64)


def test_failed_load_leaves_nothing(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("MWI\nFAIL\n")
    with pytest.raises(SourceError, match=r"line 2: refused"):
        Codes().run(path, sqlite_engine)
    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(SourceLoad)) == 0


def test_missing_file_is_an_error(sqlite_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        Codes().run(tmp_path / "absent.csv", sqlite_engine)


class CountedCodes(Codes):
    """Codes whose dependants are recomputed: once per batch, and with a file run alone."""

    NAME = "counted_codes"
    recomputed = 0

    @classmethod
    def recompute(cls, session: Session) -> list[str]:
        cls.recomputed += 1
        return ["recomputed"]


def test_what_depends_on_a_source_is_recomputed_once_per_batch(sqlite_engine: Engine, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("MWI\n")
    bad.write_text("FAIL\n")
    done = CountedCodes().run_batch([good, bad, good], sqlite_engine)
    assert [d.error is None for d in done] == [True, False, True]
    assert CountedCodes.recomputed == 1 and done[-1].result is not None and done[-1].result.notes == ["recomputed"]
    assert CountedCodes().run(good, sqlite_engine).notes == ["recomputed"] and CountedCodes.recomputed == 2
    assert CountedCodes().run_batch([bad], sqlite_engine)[0].error is not None
    assert CountedCodes.recomputed == 2  # nothing loaded, nothing to recompute
    assert Codes.recompute(Session(sqlite_engine)) == []  # by default nothing depends on a source
