"""Public pages and answers kept once drawn, for as long as what they show has not changed.

A page is drawn from a few things that change rarely (the registry, the data loads, the activities…) and is
read by many. Each capability says, with its routes, which of these *topics* its pages depend on
(:func:`observatory.web.app.capability_routers`); the application says how to read each topic's revision (a
number that grows with every change, read from the database in one statement, so a change made by any worker
or command is seen by every worker at its next request). A drawn answer is kept under its URL, the reader's
language and whether it is compressed, with the revisions of its topics and the day; it is served again while
they are the same, and drawn again when one changed: a change invalidates exactly what depends on it. When
many ask for an answer being drawn, one drawing serves them all. A copy known to be current less than
``stale_seconds`` ago (``OBSERVATORY_PAGE_STALE_SECONDS``, 1 s by default: drawn, or its revisions read then)
is served without asking the database, even when a change came since: under a stream of writes each page is
drawn at most about once a second per worker, a crowd costs the database nothing, and every reader sees a
change within that time.

Every kept answer carries an ``ETag`` (a digest of its bytes) and ``Cache-Control: public, no-cache`` (a browser
or a proxy may keep it but asks again each time), and a request whose ``If-None-Match`` names the current one
gets ``304 Not Modified`` with no body. Never kept: signed-in requests (a session cookie or an API token; they
are answered with ``Cache-Control: private, no-store``, so no shared cache keeps them either), answers that set
a cookie or say ``private`` or ``no-store`` (a page with a form), answers other than 200, and bodies larger
than :data:`LARGEST_KEPT`. Each worker keeps answers in memory, up to a size in bytes, the least recently used
forgotten first, and in files the workers of one home share (:class:`SharedAnswers`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import anyio
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

LARGEST_KEPT = 4_000_000  # bytes: an export larger than this is streamed, never kept
SIGNED_IN_COOKIES = (b"obs_session=",)
PRIVATE = (b"cache-control", b"private, no-store")
PUBLIC = (b"cache-control", b"public, no-cache")
VARY = (b"vary", b"Accept-Encoding, Accept-Language, Cookie")

Revisions = Callable[[Sequence[str]], Mapping[str, object]]


@dataclass(frozen=True)
class Kept:
    """An answer as it was sent, and what it was drawn from."""

    version: tuple[object, ...]
    current_at: float  # time.monotonic() when it was last known to be current (drawn, or its revisions read)
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes


def _header(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> bytes:
    return next((v for k, v in headers if k.lower() == name), b"")


def signed_in(scope: Scope) -> bool:
    """Whether the request carries a session cookie or an API token: its answer is for that reader only."""
    headers = dict(scope.get("headers", []))
    cookie = headers.get(b"cookie", b"")
    return b"authorization" in headers or any(name in cookie for name in SIGNED_IN_COOKIES)


class PageCache:
    """ASGI middleware keeping public GET answers per revision of the topics they depend on (see the module).

    ``topics_of(scope)`` gives the topics of the route a request goes to (None: never kept); ``revisions(topics)``
    reads their current revisions; ``language_of(scope)`` the reader's language, part of the key."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        topics_of: Callable[[Scope], tuple[str, ...] | None],
        revisions: Revisions,
        language_of: Callable[[Scope], str],
        max_bytes: int,
        stale_seconds: float = 0.0,
        shared: SharedAnswers | None = None,
    ) -> None:
        self.app = app
        self.shared = shared
        self.stale_seconds = stale_seconds
        self.drawing: dict[tuple[str, ...], anyio.Event] = {}
        self.topics_of = topics_of
        self.revisions = revisions
        self.language_of = language_of
        self.max_bytes = max_bytes
        self.kept: OrderedDict[tuple[str, ...], Kept] = OrderedDict()
        self.size = 0
        self.hits = self.misses = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        if signed_in(scope):
            await self.app(scope, receive, _with_private(send))
            return
        topics = self.topics_of(scope)
        if topics is None or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        gzip = b"gzip" in headers.get(b"accept-encoding", b"")
        key = (scope["path"], scope.get("query_string", b"").decode("latin-1"), self.language_of(scope), str(gzip))
        if_none_match = headers.get(b"if-none-match", b"")
        kept = self.kept.get(key)
        if kept is not None and time.monotonic() - kept.current_at < self.stale_seconds:
            # Young enough to serve whatever changed since: no need to ask the database.
            self.hits += 1
            self.kept.move_to_end(key)
            await self._send(kept, if_none_match, send)
            return
        found = await anyio.to_thread.run_sync(self.revisions, topics)
        version = (dt.date.today().isoformat(), *(found[t] for t in topics))
        if kept is not None and kept.version == version:
            self.hits += 1
            self.kept.move_to_end(key)
            self.kept[key] = kept = dataclasses.replace(kept, current_at=time.monotonic())  # checked: young again
            await self._send(kept, if_none_match, send)
            return
        if self.shared is not None:  # another worker may have drawn it already
            found_kept = await anyio.to_thread.run_sync(self.shared.read, key, version)
            if found_kept is not None:
                self.hits += 1
                self._keep(key, found_kept)
                await self._send(found_kept, if_none_match, send)
                return
        drawing = self.drawing.get(key)
        if drawing is not None:  # another request draws this answer now: one drawing serves both
            await drawing.wait()
            kept = self.kept.get(key)
            if kept is not None and kept.version == version:
                self.hits += 1
                await self._send(kept, if_none_match, send)
                return
        self.misses += 1
        event = self.drawing[key] = anyio.Event()
        try:
            await self._draw(scope, receive, send, key, version, if_none_match)
        finally:
            if self.drawing.get(key) is event:
                del self.drawing[key]
            event.set()

    async def _send(self, kept: Kept, if_none_match: bytes, send: Send) -> None:
        if kept.etag in (t.strip() for t in if_none_match.split(b",")):
            headers = [(k, v) for k, v in kept.headers if k in (b"etag", b"cache-control", b"vary")]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": kept.status, "headers": kept.headers})
        await send({"type": "http.response.body", "body": kept.body})

    async def _draw(
        self, scope: Scope, receive: Receive, send: Send, key: tuple[str, ...], version: tuple[object, ...],
        if_none_match: bytes,
    ) -> None:  # fmt: skip
        """Draw the answer; keep it when it may be kept, else pass it on as it comes."""
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        passing = False

        async def buffering(message: Message) -> None:
            nonlocal start, size, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                if not _keepable(message):
                    passing = True
                    await send(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > LARGEST_KEPT:  # too large to keep: send what was held back, then stream the rest
                passing = True
                assert start is not None
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
                chunks.clear()
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            if message.get("more_body", False):
                return
            assert start is not None
            body = b"".join(chunks)
            etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() not in (b"etag", b"content-length", b"vary")
            ]
            headers += [(b"etag", etag), PUBLIC, VARY, (b"content-length", str(len(body)).encode())]
            kept = Kept(version, time.monotonic(), int(start["status"]), headers, body, etag)
            self._keep(key, kept)
            await self._send(kept, if_none_match, send)
            if self.shared is not None:
                await anyio.to_thread.run_sync(self.shared.write, key, kept)

        await self.app(scope, receive, buffering)

    def _keep(self, key: tuple[str, ...], kept: Kept) -> None:
        old = self.kept.pop(key, None)
        if old is not None:
            self.size -= len(old.body)
        if len(kept.body) > self.max_bytes:
            return
        self.kept[key] = kept
        self.size += len(kept.body)
        while self.size > self.max_bytes:
            _, forgotten = self.kept.popitem(last=False)
            self.size -= len(forgotten.body)


class SharedAnswers:
    """Answers drawn by any worker on this machine, one file each in ``folder`` (the home's ``cache/pages``):
    a worker that finds the current answer there serves it instead of drawing it again, so under a stream of
    writes each page is drawn about once a second in all, not once per worker. A file is a line of JSON (what
    the answer was drawn from, its status, headers and ETag, when it was known current) and the body; it
    appears whole (written aside, then renamed). At most ``most`` files are kept, the oldest removed first."""

    def __init__(self, folder: Path, most: int = 4_000) -> None:
        self.folder = folder
        self.most = most
        self.written = 0
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: tuple[str, ...]) -> Path:
        return self.folder / hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()

    def read(self, key: tuple[str, ...], version: tuple[object, ...]) -> Kept | None:
        """The answer kept for ``key`` if it was drawn from ``version``; None otherwise (or when unreadable)."""
        try:
            with self._path(key).open("rb") as f:
                head = json.loads(f.readline())
                if head.get("key") != list(key) or head.get("version") != list(version):
                    return None
                body = f.read()
        except (OSError, ValueError):
            return None
        age = max(0.0, time.time() - float(head["current_at"]))
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in head["headers"]]
        return Kept(version, time.monotonic() - age, int(head["status"]), headers, body, head["etag"].encode())

    def write(self, key: tuple[str, ...], kept: Kept) -> None:
        """Keep ``kept`` for the other workers; a failure (a full disk) only means they draw it themselves."""
        head = {
            "key": list(key),
            "version": list(kept.version),
            "status": kept.status,
            "headers": [(k.decode("latin-1"), v.decode("latin-1")) for k, v in kept.headers],
            "etag": kept.etag.decode(),
            "current_at": time.time() - (time.monotonic() - kept.current_at),
        }
        path = self._path(key)
        aside = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            aside.write_bytes(json.dumps(head).encode() + b"\n" + kept.body)
            aside.replace(path)
        except OSError as exc:
            log.warning("could not keep a page for the other workers: %s", exc)
            aside.unlink(missing_ok=True)
            return
        self.written += 1
        if self.written % 200 == 0:
            self._trim()

    def _trim(self) -> None:
        files = sorted(self.folder.iterdir(), key=lambda p: p.stat().st_mtime if p.exists() else 0.0)
        for old in files[: max(0, len(files) - self.most)]:
            old.unlink(missing_ok=True)


def _keepable(start: Message) -> bool:
    headers = start.get("headers", [])
    control = _header(headers, b"cache-control").lower()
    if start["status"] != 200 or b"private" in control or b"no-store" in control:
        return False
    return not any(k.lower() == b"set-cookie" for k, _ in headers)


def _with_private(send: Send) -> Send:
    """``send`` that marks the answer for its reader only, unless the route said otherwise."""

    async def private(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not _header(headers, b"cache-control"):
                message["headers"] = [*headers, PRIVATE]
        await send(message)

    return private


def topics_by_route(
    routes: Sequence[BaseRoute], topics: Mapping[int, tuple[str, ...]]
) -> Callable[[Scope], tuple[str, ...] | None]:
    """The function giving the topics of the route a request goes to, from ``topics`` (keyed by ``id`` of a
    route), the first matching route winning as in the router; remembered per path."""

    @lru_cache(maxsize=8192)
    def of_path(path: str) -> tuple[str, ...] | None:
        scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
        for route in routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return topics.get(id(route))
        return None

    def topics_of(scope: Scope) -> tuple[str, ...] | None:
        return of_path(scope["path"])

    return topics_of
