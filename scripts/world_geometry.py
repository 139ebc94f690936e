"""Copy the world map's geometry from the pinned npm package world-atlas into the Python package.

Run by ``make setup`` after ``npm install`` (and before ``python -m build``), so that a wheel draws the world map
without the checkout's ``node_modules/``. It writes, into ``src/observatory/web/charts/data/`` (not committed):

* ``countries-110m.json``: the shapes, as world-atlas ships them;
* ``countries-10m.json``: only the countries 110m has no shape for (the small countries the map draws as
  circles), each with the outer rings of its polygons and only the arcs those use — about 100 KB instead of
  3.6 MB, read by the same code as the full file;
* ``LICENSE-world-atlas.txt``: the package's licence (the shapes themselves are Natural Earth's, public domain).

Standard library only, so that it can run before the project's dependencies are installed.
Usage: ``python scripts/world_geometry.py [ATLAS_DIR] [OUT_DIR]``.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ATLAS = ROOT / "node_modules" / "world-atlas"
OUT = ROOT / "src" / "observatory" / "web" / "charts" / "data"
FILES = ("countries-110m.json", "countries-10m.json", "LICENSE-world-atlas.txt")

log = logging.getLogger("world_geometry")


def _polygons(geometry: dict[str, Any]) -> list[list[list[int]]]:
    if geometry.get("type") == "Polygon":
        return [geometry["arcs"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["arcs"])
    return []


def small_countries_topology(full: dict[str, Any], drawn: set[str]) -> dict[str, Any]:
    """The 10m topology reduced to the countries not in ``drawn``: outer rings only, with their arcs renumbered."""
    arcs: list[Any] = []
    renumbered: dict[int, int] = {}

    def arc(index: int) -> int:
        key = index if index >= 0 else ~index
        if key not in renumbered:
            renumbered[key] = len(arcs)
            arcs.append(full["arcs"][key])
        return renumbered[key] if index >= 0 else ~renumbered[key]

    geometries = []
    for geometry in full["objects"]["countries"]["geometries"]:
        code = geometry.get("id")
        polygons = _polygons(geometry)
        if code is None or code in drawn or not polygons:
            continue
        outer = [[[arc(i) for i in polygon[0]]] for polygon in polygons]
        geometries.append(
            {"type": "MultiPolygon", "id": code, "arcs": outer, "properties": geometry.get("properties", {})}
        )
    reduced: dict[str, Any] = {
        "type": "Topology",
        "objects": {"countries": {"type": "GeometryCollection", "geometries": geometries}},
        "arcs": arcs,
    }
    if "transform" in full:
        reduced["transform"] = full["transform"]
    return reduced


def build(atlas: Path = ATLAS, out: Path = OUT) -> list[Path]:
    """Write the map's geometry files into ``out`` from the world-atlas folder ``atlas``; the files written."""
    shapes = atlas / "countries-110m.json"
    if not shapes.is_file():
        raise SystemExit(f"{shapes} is missing: run `npm install` first (package.json pins world-atlas)")
    out.mkdir(parents=True, exist_ok=True)
    with shapes.open(encoding="utf-8") as handle:
        coarse = json.load(handle)
    drawn = {g["id"] for g in coarse["objects"]["countries"]["geometries"] if g.get("id") is not None}
    with (atlas / "countries-10m.json").open(encoding="utf-8") as handle:
        fine = json.load(handle)
    shutil.copyfile(shapes, out / "countries-110m.json")
    reduced = small_countries_topology(fine, drawn)
    (out / "countries-10m.json").write_text(json.dumps(reduced, separators=(",", ":")), encoding="utf-8")
    shutil.copyfile(atlas / "LICENSE", out / "LICENSE-world-atlas.txt")
    written = [out / name for name in FILES]
    for path in written:
        log.info("wrote %s (%d bytes)", path, path.stat().st_size)
    return written


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    arguments = sys.argv[1:]
    build(Path(arguments[0]) if arguments else ATLAS, Path(arguments[1]) if len(arguments) > 1 else OUT)
