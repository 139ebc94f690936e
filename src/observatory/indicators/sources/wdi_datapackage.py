"""World Bank WDI indicator in the long per-indicator layout of the ``datasets/world-development-indicators``
data package: ``data.csv`` (Country Name, Country Code, Year, Value) described by ``datapackage.json``.

The CSV is read with its descriptor: ``datapackage.json`` beside it, or ``<name>.datapackage.json`` for a copy
saved as ``<name>.csv``. The descriptor names the indicator and its schema, which must match the CSV's header.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from observatory.config import load_settings
from observatory.i18n import N_
from observatory.indicators.sources.base import (
    IndicatorData,
    IndicatorSource,
    check_years,
    first_bad,
    known_indicator,
    no_duplicates,
    numbers,
    read_table,
    world_bank_areas,
)
from observatory.sources import Progress, SourceError, download, is_url, read_bytes

BASE_URL = "https://raw.githubusercontent.com/datasets/world-development-indicators/main/indicators"
FIELD_TYPES = {"Country Name": "string", "Country Code": "string", "Year": "year", "Value": "number"}
# The series of shared/data's copy of the data package, one CSV (and its descriptor) each.
SERIES = ("sp.pop.totl", "it.net.user.zs", "it.net.bbnd.p2", "it.cel.sets.p2", "it.mlt.main.p2")


class WdiDatapackage(IndicatorSource):
    NAME = "worldbank_wdi"
    ORG = "World Bank"
    DATASET = "World Development Indicators (data package, one CSV per indicator)"
    LABEL = N_("World Bank, World Development Indicators")  # as the publisher names it, on public pages
    URL = f"{BASE_URL}/sp.pop.totl/data.csv"
    INFO_URL = "https://github.com/datasets/world-development-indicators"
    LICENCE = "CC BY 4.0 (World Bank terms of use for datasets)"
    FILES = tuple(f"indicators/worldbank_wdi_datasets-wdi/{series}.csv" for series in SERIES)
    EDITION = "2026-07-01"

    def fetch(self, location: str | Path | None = None, *, progress: Progress | None = None) -> Path:
        """A URL of ``data.csv`` (or of ``datapackage.json``) brings both files of the package."""
        location = location if location is not None else self.URL
        if not is_url(location):
            return super().fetch(location, progress=progress)
        base = str(location).rsplit("/", 1)[0]
        folder = load_settings().home / "downloads" / self.NAME / base.rsplit("/", 1)[-1]
        download(f"{base}/datapackage.json", folder, progress=progress)
        return download(f"{base}/data.csv", folder, progress=progress)

    def parse(self, path: Path) -> IndicatorData:
        csv_path, descriptor_path = _pair(path)
        descriptor = _descriptor(descriptor_path)
        code = known_indicator(
            descriptor_path, str(descriptor.get("worldbank", {}).get("indicator") or descriptor.get("name", ""))
        )
        fields = _fields(descriptor_path, descriptor)
        _, frame = read_table(csv_path)
        if frame.columns[:-1] != fields:
            raise SourceError(
                csv_path,
                f"the header {frame.columns[:-1]} does not match the schema of {descriptor_path.name} {fields}",
                line=1,
            )
        frame = frame.with_columns(
            year=numbers(csv_path, frame, "Year", pl.Int32), value=numbers(csv_path, frame, "Value")
        )
        first_bad(
            csv_path,
            frame,
            pl.col("year").is_null() | pl.col("value").is_null(),
            "a row without its year or value (truncated file?)",
            "Country Code",
        )
        frame, skipped = world_bank_areas(csv_path, frame, "Country Code")
        frame = frame.select(indicator=pl.lit(code), area="area", year="year", value="value", line="line")
        check_years(csv_path, frame)
        no_duplicates(csv_path, frame)
        return IndicatorData(frame.drop("line"), skipped=skipped)


def _pair(path: Path) -> tuple[Path, Path]:
    """The CSV and its descriptor, whichever of the two was given."""
    if path.name.endswith(".json"):
        descriptor = path
        stem = path.name.removesuffix("datapackage.json").rstrip(".")
        candidates = [path.with_name(f"{stem}.csv")] if stem else []
        candidates.append(path.with_name(_resource_path(path, _descriptor(path))))
        csv_path = next((c for c in candidates if c.is_file()), None)
        if csv_path is None:
            raise SourceError(path, f"its data file is missing (looked for {', '.join(c.name for c in candidates)})")
        return csv_path, descriptor
    candidates = [path.with_name(f"{path.stem}.datapackage.json"), path.with_name("datapackage.json")]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise SourceError(path, f"no data package descriptor beside it ({' or '.join(c.name for c in candidates)})")
    return path, found


def _descriptor(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(read_bytes(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SourceError(path, f"not a JSON data package descriptor: {e}") from e
    if not isinstance(value, dict) or not isinstance(value.get("resources"), list) or not value["resources"]:
        raise SourceError(path, "a data package descriptor needs a non-empty 'resources' list")
    return value


def _resource_path(path: Path, descriptor: dict[str, Any]) -> str:
    resource = descriptor["resources"][0]
    return str(resource.get("path", "data.csv")) if isinstance(resource, dict) else "data.csv"


def _fields(path: Path, descriptor: dict[str, Any]) -> list[str]:
    """The field names of the first resource, checked against the layout this source reads."""
    resource = descriptor["resources"][0]
    fields = resource.get("schema", {}).get("fields") if isinstance(resource, dict) else None
    if not isinstance(fields, list) or not all(isinstance(f, dict) and "name" in f for f in fields):
        raise SourceError(path, "resources[0].schema.fields is missing or malformed")
    found = {str(f["name"]): str(f.get("type", "")) for f in fields}
    if found != FIELD_TYPES:
        raise SourceError(path, f"schema fields {found} are not the WDI layout {FIELD_TYPES}")
    return [str(f["name"]) for f in fields]
