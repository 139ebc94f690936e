"""The world's geometry for the map: TopoJSON decoding, the Equal Earth projection, simplification,
antimeridian clipping and the small countries drawn as circles."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from observatory.config import load_settings
from observatory.web.charts.common import (
    SETUP_HINT,
    WORLD_ATLAS_ENV,
    WorldAtlasMissingError,
)

log = logging.getLogger(__name__)

# --- world geometry ---------------------------------------------------------------------------------------------

WIDTH = 1000.0
MARGIN = 4.0
_TOLERANCE = 0.6  # Douglas-Peucker tolerance, in viewBox units
_MIN_AREA = 2.0  # rings smaller than this (in square units) are dropped, unless they are a country's largest
_ANTARCTICA = "010"
# Natural Earth units without an ISO 3166 numeric code, drawn as parts of the country UN M49 puts them in.
_PART_OF = {"Somaliland": "706", "N. Cyprus": "196"}

_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2


def _equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Equal Earth projection (Šavrič, Patterson & Jenny 2018) on the unit sphere; y grows northwards."""
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(_M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (_M * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2)))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return x, y


_X_MAX = _equal_earth(180.0, 0.0)[0]
_SCALE = (WIDTH - 2 * MARGIN) / (2 * _X_MAX)


def package_atlas() -> Path:
    """The folder of the map's geometry shipped inside the package (written by scripts/world_geometry.py)."""
    return Path(str(resources.files("observatory.web.charts") / "data"))


def atlas_dir(configured: Path | None = None) -> Path:
    """The folder of the world geometry, or a clear error naming the set-up step.

    Looked for in this order: the configured folder (``OBSERVATORY_WORLD_ATLAS``, which wins when set), the
    package's own copy (``observatory/web/charts/data/``, in a wheel), then ``node_modules/world-atlas`` of the
    checkout or of the working directory. ``configured`` stands for the setting (read from the environment when
    not given)."""
    configured = configured or load_settings().world_atlas
    if configured:
        path = Path(configured)
        folder = path.parent if path.suffix == ".json" else path
        if (folder / "countries-110m.json").is_file():
            return folder
        raise WorldAtlasMissingError(f"{WORLD_ATLAS_ENV}={configured} holds no countries-110m.json: {SETUP_HINT}")
    candidates = [package_atlas()]
    candidates += [parent / "node_modules" / "world-atlas" for parent in Path(__file__).resolve().parents]
    candidates.append(Path.cwd() / "node_modules" / "world-atlas")
    for folder in candidates:
        if (folder / "countries-110m.json").is_file():
            return folder
    raise WorldAtlasMissingError(f"the world map's geometry (countries-110m.json) is not installed: {SETUP_HINT}")


def check_geometry(configured: Path | None = None) -> Path:
    """The world geometry's folder, checked once when the platform starts: a missing file stops the start with
    a sentence naming the fix, instead of a failing dashboard."""
    folder = atlas_dir(configured)
    if not (folder / "countries-10m.json").is_file():
        log.warning("%s has no countries-10m.json: the map will not draw the small countries as circles", folder)
    return folder


@dataclass(frozen=True, slots=True)
class Geometry:
    height: float
    paths: dict[str, str]  # M49 code -> path data
    other: tuple[str, ...]  # path data of units without a code (Kosovo)
    points: dict[str, tuple[float, float]]  # M49 code -> centroid, for countries too small for the 110m shapes
    unmapped: frozenset[str]  # M49 codes with neither


def _load_topology(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _arc_decoder(topology: Mapping[str, Any]) -> Callable[[int], list[tuple[float, float]]]:
    """Arc ``i`` of a TopoJSON topology as (longitude, latitude) points; ``~i`` is arc ``i`` reversed."""
    arcs: list[list[list[float]]] = topology["arcs"]
    transform = topology.get("transform")
    decoded: dict[int, list[tuple[float, float]]] = {}

    def arc(index: int) -> list[tuple[float, float]]:
        key = index if index >= 0 else ~index
        if key not in decoded:
            points: list[tuple[float, float]] = []
            if transform:
                (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
                x = y = 0.0
                for position in arcs[key]:
                    x += position[0]
                    y += position[1]
                    points.append((x * sx + tx, y * sy + ty))
            else:
                points = [(p[0], p[1]) for p in arcs[key]]
            decoded[key] = points
        return decoded[key] if index >= 0 else decoded[key][::-1]

    return arc


def _polygons(geometry: Mapping[str, Any]) -> list[list[list[int]]]:
    """The polygons (lists of rings, each a list of arc indices) of a TopoJSON geometry."""
    if geometry.get("type") == "Polygon":
        return [geometry["arcs"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["arcs"])
    return []


def _simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, keeping both ends."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy)
        worst, at = -1.0, -1
        for k in range(first + 1, last):
            px, py = points[k]
            d = abs(dy * (px - x1) - dx * (py - y1)) / norm if norm else math.hypot(px - x1, py - y1)
            if d > worst:
                worst, at = d, k
        if worst > tolerance:
            keep[at] = True
            stack.extend(((first, at), (at, last)))
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _area(ring: Sequence[tuple[float, float]]) -> float:
    return 0.5 * sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True))


def _path_data(rings: Iterable[Sequence[tuple[int, int]]]) -> str:
    """Compact SVG path data: one closed subpath per ring, in relative commands after the first move."""

    def numbers(values: Iterable[int]) -> str:
        text = ""
        for value in values:
            text += f"{value}" if not text or value < 0 else f" {value}"
        return text

    out: list[str] = []
    start: tuple[int, int] | None = None
    for ring in rings:
        x, y = ring[0]
        out.append(f"M{x} {y}" if start is None else "m" + numbers((x - start[0], y - start[1])))
        deltas: list[int] = []
        for nx, ny in ring[1:]:
            deltas += (nx - x, ny - y)
            x, y = nx, ny
        out.append("l" + numbers(deltas) + "z")
        start = ring[0]
    return "".join(out)


def _centroid(ring: Sequence[tuple[float, float]]) -> tuple[float, float]:
    area = _area(ring)
    if abs(area) < 1e-12:
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True):
        cross = x1 * y2 - x2 * y1
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    return cx / (6 * area), cy / (6 * area)


def _crosses_antimeridian(ring: Sequence[tuple[float, float]]) -> bool:
    return any(abs(b[0] - a[0]) > 180 for a, b in zip(ring, [*ring[1:], ring[0]], strict=True))


def _clip(ring: Sequence[tuple[float, float]], edge: float, keep_below: bool) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of ``ring`` on one side of the meridian ``lon = edge``."""

    def inside(point: tuple[float, float]) -> bool:
        return point[0] <= edge if keep_below else point[0] >= edge

    out: list[tuple[float, float]] = []
    if not ring:
        return out
    for a, b in zip([ring[-1], *ring[:-1]], ring, strict=True):
        if inside(b):
            if not inside(a):
                out.append((edge, a[1] + (b[1] - a[1]) * (edge - a[0]) / (b[0] - a[0])))
            out.append(b)
        elif inside(a):
            out.append((edge, a[1] + (b[1] - a[1]) * (edge - a[0]) / (b[0] - a[0])))
    return out


def _split_at_antimeridian(ring: Sequence[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """A ring that crosses the antimeridian as rings within [-180, 180] degrees of longitude."""
    unwrapped = [ring[0]]
    for lon, lat in ring[1:]:
        previous = unwrapped[-1][0]
        lon += 360 * round((previous - lon) / 360)
        unwrapped.append((lon, lat))
    low, high = min(p[0] for p in unwrapped), max(p[0] for p in unwrapped)
    pieces = []
    for band in range(math.floor((low + 180) / 360), math.ceil((high - 180) / 360) + 1):
        west, east = -180 + 360 * band, 180 + 360 * band
        piece = _clip(_clip(unwrapped, west, keep_below=False), east, keep_below=True)
        if len(piece) >= 3:
            pieces.append([(lon - 360 * band, lat) for lon, lat in piece])
    return pieces


def small_countries(path: Path, codes: Set[str]) -> dict[str, tuple[float, float]]:
    """Projected (unit sphere) centroids of the largest island of each country in ``codes`` found in ``path``."""
    found: dict[str, tuple[float, float]] = {}
    if not codes or not path.is_file():
        return found
    topology = _load_topology(path)
    arc = _arc_decoder(topology)
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = geometry.get("id")
        if code not in codes:
            continue
        best: tuple[float, tuple[float, float]] | None = None
        for polygon in _polygons(geometry):
            island: list[tuple[float, float]] = []
            for index in polygon[0]:
                points = arc(index)
                island.extend(points[1:] if island else points)
            size = abs(_area(island))
            if island and (best is None or size > best[0]):
                best = (size, _centroid(island) if len(island) >= 3 else island[0])
        if best is not None:
            found[code] = _equal_earth(*best[1])
    return found


@cache
def load_geometry(folder: Path) -> Geometry:
    from observatory.reference import countries

    wanted = {country.m49 for country in countries().values()}
    topology = _load_topology(folder / "countries-110m.json")
    arc = _arc_decoder(topology)
    projected: dict[int, list[tuple[float, float]]] = {}

    def simplified(index: int) -> list[tuple[float, float]]:
        key = index if index >= 0 else ~index
        if key not in projected:
            points = [_equal_earth(lon, lat) for lon, lat in arc(key)]
            projected[key] = _simplify([(x * _SCALE, -y * _SCALE) for x, y in points], _TOLERANCE)
        return projected[key] if index >= 0 else projected[key][::-1]

    def lonlat(ring_arcs: Sequence[int]) -> list[tuple[float, float]]:
        ring: list[tuple[float, float]] = []
        for index in ring_arcs:
            points = arc(index)
            ring.extend(points[1:] if ring else points)
        return ring

    shapes: dict[str | None, list[list[list[tuple[float, float]]]]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = geometry.get("id")
        if code == _ANTARCTICA:
            continue
        if code is None:
            code = _PART_OF.get(geometry.get("properties", {}).get("name", ""))
        for polygon in _polygons(geometry):
            if not any(_crosses_antimeridian(lonlat(ring_arcs)) for ring_arcs in polygon):
                rings = []
                for ring_arcs in polygon:
                    ring: list[tuple[float, float]] = []
                    for index in ring_arcs:
                        points = simplified(index)
                        ring.extend(points[1:] if ring else points)
                    rings.append(ring)
                shapes.setdefault(code, []).append(rings)
                continue
            # Natural Earth's shapes in world-atlas are stitched across the antimeridian (Russia, Fiji): cut
            # them there, one polygon per side; even-odd filling keeps any holes right.
            for ring_arcs in polygon:
                for piece in _split_at_antimeridian(lonlat(ring_arcs)):
                    projected_ring = [_equal_earth(lon, lat) for lon, lat in piece]
                    closed = [(x * _SCALE, -y * _SCALE) for x, y in [*projected_ring, projected_ring[0]]]
                    shapes.setdefault(code, []).append([_simplify(closed, _TOLERANCE)[:-1]])

    ys = [y for polygons in shapes.values() for rings in polygons for _, y in rings[0]]
    dx, dy = WIDTH / 2, MARGIN - min(ys)  # longitude 0 in the middle
    height = math.ceil(max(ys) - min(ys) + 2 * MARGIN)

    def quantised(ring: list[tuple[float, float]]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for x, y in ring:
            point = (round(x + dx), round(y + dy))
            if not out or out[-1] != point:
                out.append(point)
        if len(out) > 1 and out[0] == out[-1]:
            out.pop()
        return out

    paths: dict[str, str] = {}
    other: list[str] = []
    for code, polygons in shapes.items():
        kept: list[list[tuple[int, int]]] = []
        largest: tuple[float, list[list[tuple[int, int]]]] = (-1.0, [])
        for rings in polygons:
            quantised_rings = [quantised(ring) for ring in rings]
            outer = quantised_rings[0]
            size = abs(_area(outer)) if len(outer) >= 3 else 0.0
            if size > largest[0]:
                largest = (size, [r for r in quantised_rings if len(r) >= 3] or [outer])
            if size >= _MIN_AREA:
                kept.extend(r for r in quantised_rings if len(r) >= 3 and abs(_area(r)) >= _MIN_AREA)
        if not kept:
            kept = largest[1]
        if not kept or not kept[0]:
            continue
        data = _path_data(kept)
        if code is None:
            other.append(data)
        else:
            paths[code] = data

    # Countries without a 110m shape: a point at the centroid of their largest island, from the 10m shapes.
    missing = wanted - set(paths)
    centroids = {
        code: (x * _SCALE + dx, -y * _SCALE + dy)
        for code, (x, y) in small_countries(folder / "countries-10m.json", missing - {_ANTARCTICA}).items()
    }
    return Geometry(
        height=height,
        paths=paths,
        other=tuple(other),
        points=centroids,
        unmapped=frozenset(missing - set(centroids)),
    )


def unmapped_countries() -> frozenset[str]:
    """Alpha-3 codes of the reference countries the world map cannot show (no shape and no centroid)."""
    from observatory.reference import countries

    by_m49 = {country.m49: country.alpha3 for country in countries().values()}
    return frozenset(by_m49[code] for code in load_geometry(atlas_dir()).unmapped)
