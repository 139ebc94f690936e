"""The figures of country and group pages, computed once per data revision and kept for every process.

A country's or group's page shows three sections computed from the loaded data: connectivity
(:func:`observatory.indicators.service.area_figures`), Internet infrastructure
(:func:`observatory.network.service.area_section`) and routing
(:func:`observatory.routing.service.transit_picture`). Computing them reads hundreds of thousands of rows
(the registries' delegations, the indicator series) and takes seconds; they change only when data are loaded.
So they are computed once per **data revision** and kept, in this process's memory and in files in the
platform's home folder (``cache/areas``), where every other process (another worker, the next start) finds
them.

The revision is read from the database at each request, in the request's own transaction, so a load by any
other process (``observatory data load``) is seen at the next request, and the figures always match the
snapshot the rest of the page reads. It is the newest :class:`~observatory.sources.SourceLoad` (its id, with
the number of loads and the newest load time, so that a database restored from a backup and loaded again
does not take the id of a load it never had for the same revision) and the state of the network indicators,
which the network sources recompute in a transaction of their own after a batch of files, with no new load.

The key under which figures are kept also holds what else they depend on: the database, the UN groups'
memberships of the day (a country leaving the LDCs changes the LDC figures without any load), the code that
computes them (a new release never reads figures of the one before) and the version of Polars.

What is pledged for an area is not kept here: it comes from the pledge registry, which changes with every
pledge, and is set against the kept figures at each request (:func:`observatory.indicators.service.area_pledges`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import observatory
from observatory import reference
from observatory.indicators import service as indicators
from observatory.network import service as network
from observatory.network.models import NetworkIndicator
from observatory.reference import resolve_area
from observatory.routing import service as routing
from observatory.sources import SourceLoad

log = logging.getLogger(__name__)

SECTIONS = ("connectivity", "infrastructure", "routing")
FORMAT = 1  # the layout of the kept files; a change makes every earlier file unread
KEPT_REVISIONS = 4  # folders of earlier revisions kept beside the newest (a long request may still read one)
MEMORY_AREAS = 320  # entries kept in memory: every country and group, and what their pledges are set against
# The packages whose code computes the figures: the key changes with any of their files.
COMPUTED_BY = ("areas", "indicators", "network", "routing", "reference")


def data_revision(session: Session) -> str:
    """The revision of the loaded data as ``session``'s transaction sees it: what changes with every load of
    any source, and with the network indicators recomputed after a batch of files."""
    loads, newest, loaded_at = session.execute(
        select(func.count(SourceLoad.id), func.max(SourceLoad.id), func.max(SourceLoad.loaded_at))
    ).one()
    n = NetworkIndicator
    values, top, total = session.execute(select(func.count(n.id), func.max(n.id), func.sum(n.value))).one()
    # The recomputed indicators are deleted and written again: their ids can come back the same (SQLite takes
    # the next id after the highest left), so their values' sum tells a recomputation that changed them.
    return f"{newest or 0}.{loads}.{loaded_at.isoformat() if loaded_at else ''}/{values}.{top or 0}.{total or 0!r}"


def prepare() -> None:
    """Read what the figures' key rests on that no request changes (the digest of the code), at the start."""
    _code_version()


@cache
def _code_version() -> str:
    """A digest of the code that computes the figures (and of its reference data), read once per process."""
    digest = hashlib.sha256(f"{observatory.__version__}|{pl.__version__}|{FORMAT}".encode())
    root = Path(observatory.__file__).parent
    for package in COMPUTED_BY:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".csv", ".json"):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _memberships(day: dt.date) -> str:
    return ";".join(f"{g}:{','.join(reference.group_members(g, day))}" for g in reference.COUNTRY_GROUPS)


def figures_key(session: Session) -> str:
    """The key of the figures ``session`` sees: its database, its data revision, today's UN group
    memberships, and the code computing them."""
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    parts = (url, data_revision(session), _memberships(dt.date.today()), _code_version())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


# ------------------------------------------------------------------ keeping: memory and files


def folder_in(home: Path) -> Path:
    """Where the kept figures live in the platform's home folder (``Settings.home``)."""
    return home / "cache" / "areas"


class _Memory:
    """The most recently used areas' figures, as their encoded text: each reader decodes its own copy, so a
    page that changes what it was given cannot change what the next request gets."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, str], text: str) -> None:
        with self._lock:
            self._items[key] = text
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_memory = _Memory(MEMORY_AREAS)
_computing = threading.Lock()  # one computation at a time per process: they share their inputs


def clear_memory() -> None:
    """Forget the figures kept in this process's memory (the files stay): what a new process starts with."""
    _memory.clear()
    _shared.clear()


def _file_name(code: str) -> str:
    # Area codes are letters (``MWI``, ``LDC``, ``africa``); anything else is spelled out, never a path.
    return (code if code.isalnum() else code.encode().hex()) + ".json"


def _read(folder: Path | None, key: str, code: str) -> str | None:
    if folder is None:
        return None
    try:
        return (folder / key / _file_name(code)).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as e:
        log.warning("area figures: cannot read the kept figures of %s: %s", code, e)
        return None


def _write(folder: Path | None, key: str, code: str, text: str) -> None:
    """Keep ``text`` in a file that appears whole (written aside, then renamed), so a reader in another process
    never sees half of it; a folder that cannot be written only costs the next process a computation."""
    if folder is None:
        return
    target = folder / key
    try:
        fresh = not target.exists()
        target.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=target, prefix=".", suffix=".part")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(partial, target / _file_name(code))
        if fresh:
            _prune(folder, key)
    except OSError as e:
        log.warning("area figures: cannot keep the figures of %s in %s: %s", code, target, e)


def _prune(folder: Path, key: str) -> None:
    """Remove the folders of all but the :data:`KEPT_REVISIONS` most recent other revisions."""
    others = [p for p in folder.iterdir() if p.is_dir() and p.name != key]
    others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in others[KEPT_REVISIONS:]:
        shutil.rmtree(old, ignore_errors=True)


# ------------------------------------------------------------------ the figures as text, every value as it was


def _encode(value: Any) -> Any:
    """A JSON value for ``value`` that :func:`_decode` turns back into an equal one: dates, times, tuples, dicts
    with keys that are not text (AS numbers) and frames are tagged; anything else unknown is an error."""
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"$dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, pl.DataFrame):
        buffer = io.BytesIO()
        value.write_ipc(buffer)
        return {"$frame": base64.b64encode(buffer.getvalue()).decode("ascii")}
    if isinstance(value, indicators.NeedInputs):
        return {"$need": [value.year, _encode(value.countries), _encode(value.members), _encode(value.aggregates)]}
    raise TypeError(f"area figures: cannot keep a {type(value).__name__}")


def _tagged(item: dict[str, Any]) -> Any:
    if len(item) != 1:
        return item
    (tag, value), *_ = item.items()
    if tag == "$dict":
        return {k: v for k, v in value}
    if tag == "$tuple":
        return tuple(value)
    if tag == "$datetime":
        return dt.datetime.fromisoformat(value)
    if tag == "$date":
        return dt.date.fromisoformat(value)
    if tag == "$frame":
        return pl.read_ipc(io.BytesIO(base64.b64decode(value)))
    if tag == "$need":
        return indicators.NeedInputs(*value)
    return item


def _decode(text: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(text, object_hook=_tagged)
    return found


def _dumps(figures: dict[str, Any]) -> str:
    return json.dumps(_encode(figures), ensure_ascii=False, separators=(",", ":"))


# ------------------------------------------------------------------ computing


class _Shared:
    """What the figures of every area share, for the one key being computed in this process: the connectivity
    picture and the routing inputs (read and derived once, then reused by each area computed)."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.values: dict[str, Any] = {}

    def for_key(self, key: str) -> dict[str, Any]:
        if self.key != key:
            self.key, self.values = key, {}
        return self.values

    def clear(self) -> None:
        self.key, self.values = None, {}


_shared = _Shared()


def compute(session: Session, code: str, shared: dict[str, Any] | None = None) -> dict[str, Any]:
    """The figures of the page of ``code`` (a country's alpha-3, a UN group, an ITU region), computed now:
    ``connectivity``, ``infrastructure`` and ``routing`` (each None where the loaded data give none). ``shared``
    keeps what several areas' figures read alike, for the next area computed from the same database state."""
    shared = shared if shared is not None else {}
    if "connectivity" not in shared:
        try:
            shared["connectivity"] = indicators.connectivity(session)
        except indicators.NoData:
            shared["connectivity"] = None
    c = shared["connectivity"]
    area = resolve_area(code)
    routed = None
    with network.remembering(session, shared.setdefault("network", {})):
        if area.kind in routing.TRANSIT_KINDS:
            if "inputs" not in shared:
                shared["inputs"] = routing.load_inputs(session)
            routed = routing.transit_picture(session, area, shared["inputs"])
        infrastructure = network.area_section(session, code)
    return {
        "connectivity": indicators.area_figures(c, code) if c is not None else None,
        "infrastructure": infrastructure,
        "routing": routed,
    }


def _kept(key: str, name: str, folder: Path | None) -> str | None:
    """A kept entry's text, from memory or else from its file (then kept in memory too)."""
    text = _memory.get((key, name))
    if text is None:
        text = _read(folder, key, name)
        if text is not None:
            _memory.put((key, name), text)
    return text


def _keep(key: str, name: str, folder: Path | None, text: str) -> None:
    _write(folder, key, name, text)
    _memory.put((key, name), text)


def _need_name(year: int) -> str:
    return f"need{year}"


def _compute_and_keep(session: Session, key: str, code: str, folder: Path | None) -> dict[str, Any]:
    """Compute the figures of ``code`` and keep them. What the pledges are set against for a year is the same
    for every area whose headline figures are of that year: it is kept once, apart, not in each area's file."""
    start = time.perf_counter()
    figures = compute(session, code, _shared.for_key(key))
    log.info("area figures of %s computed in %.2f s", code, time.perf_counter() - start)
    need = figures["connectivity"]["need"] if figures["connectivity"] is not None else None
    if need is not None and _kept(key, _need_name(need.year), folder) is None:
        _keep(key, _need_name(need.year), folder, _dumps(need))
    alone = {**figures, "connectivity": {**figures["connectivity"], "need": None}} if need is not None else figures
    _keep(key, code, folder, _dumps(alone))
    return figures


def _read_back(key: str, code: str, folder: Path | None) -> dict[str, Any] | None:
    """The kept figures of ``code`` with what its pledges are set against, or None when either is not kept."""
    text = _kept(key, code, folder)
    if text is None:
        return None
    figures = _decode(text)
    connectivity = figures["connectivity"]
    if connectivity is not None and connectivity["year"] is not None:
        need = _kept(key, _need_name(connectivity["year"]), folder)
        if need is None:
            return None
        connectivity["need"] = _decode(need)
    return figures


def area_figures(session: Session, code: str, folder: Path | None) -> dict[str, Any]:
    """The figures of the page of ``code`` (see :func:`compute`) for the data ``session`` sees: from this
    process's memory, else from the files another process kept in ``folder`` (:func:`folder_in`; None: this
    process's memory only), else computed now and kept there for every process until the data change. Each
    call returns its own copy."""
    key = figures_key(session)
    found = _read_back(key, code, folder)
    if found is not None:
        return found
    with _computing:
        found = _read_back(key, code, folder)  # another thread may have just computed them
        if found is not None:
            return found
        computed = _compute_and_keep(session, key, code, folder)
    return _read_back(key, code, folder) or computed


def page_areas() -> list[str]:
    """Every area with a page: each country (alpha-3), UN group and ITU region."""
    return [*reference.countries(), *reference.COUNTRY_GROUPS, *reference.ITU_REGIONS]


def warm(session: Session, folder: Path | None, codes: Iterable[str] | None = None) -> int:
    """Compute and keep in ``folder`` the figures of ``codes`` (default every area with a page,
    :func:`page_areas`) that are not kept yet for the data ``session`` sees, reading what they share once: what
    a data load can run, so that no reader waits for them. Returns how many were computed."""
    key = figures_key(session)
    done = 0
    with _computing:
        for code in codes if codes is not None else page_areas():
            if _read_back(key, code, folder) is None:
                _compute_and_keep(session, key, code, folder)
                done += 1
    return done
