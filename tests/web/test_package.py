"""A package that runs anywhere: the world map's geometry ships inside the package, is found without the
checkout's node_modules/, and a missing asset stops the platform at start with a sentence naming the fix."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from observatory.cli import app as cli
from observatory.config import Settings
from observatory.web import charts
from observatory.web.app import create_app
from observatory.web.charts import geometry

ROOT = Path(__file__).resolve().parents[2]
GEOMETRY_FILES = ("countries-110m.json", "countries-10m.json")


@pytest.fixture
def package_geometry() -> Path:
    """The package's own copy of the geometry, written by the set-up (scripts/world_geometry.py)."""
    folder = geometry.package_atlas()
    if not all((folder / name).is_file() for name in GEOMETRY_FILES):
        pytest.fail(f"{folder} lacks the map's geometry: run `make setup` (python scripts/world_geometry.py)")
    return folder


@pytest.fixture
def without_node_modules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The lookup as in an installed wheel: no setting, and neither this checkout nor the cwd has node_modules."""
    monkeypatch.delenv(charts.WORLD_ATLAS_ENV, raising=False)
    elsewhere = tmp_path / "site-packages" / "observatory" / "web" / "charts"
    elsewhere.mkdir(parents=True)
    monkeypatch.setattr(geometry, "__file__", str(elsewhere / "geometry.py"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_package_geometry_is_found_without_node_modules(package_geometry: Path, without_node_modules: Path) -> None:
    assert geometry.atlas_dir() == package_geometry
    assert charts.check_geometry() == package_geometry


def test_the_package_geometry_draws_the_same_map_as_the_npm_package(package_geometry: Path) -> None:
    npm = ROOT / "node_modules" / "world-atlas"
    assert (npm / "countries-10m.json").is_file(), "node_modules/world-atlas is installed by `make setup`"
    shipped, original = geometry.load_geometry(package_geometry), geometry.load_geometry(npm)
    assert shipped == original
    assert {"776", "798", "296"} <= set(shipped.points)  # Tonga, Tuvalu, Kiribati: circles from the reduced 10m
    assert sum((package_geometry / name).stat().st_size for name in GEOMETRY_FILES) < 400_000


def test_a_missing_geometry_stops_the_app_at_start(
    settings: Settings, without_node_modules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(geometry, "package_atlas", lambda: without_node_modules / "nothing")
    with pytest.raises(charts.WorldAtlasMissingError, match=r"not installed: run the project's set-up.*make setup"):
        create_app(settings)
    configured = settings.model_copy(update={"world_atlas": without_node_modules})
    with pytest.raises(charts.WorldAtlasMissingError, match=r"OBSERVATORY_WORLD_ATLAS=.* holds no countries-110m"):
        create_app(configured)


def test_serve_refuses_to_start_without_the_geometry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(charts.WORLD_ATLAS_ENV, str(tmp_path))
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "The platform cannot start" in result.output and "make setup" in result.output


def test_the_dashboard_draws_its_map_from_the_package_geometry_only(
    settings: Settings, package_geometry: Path, without_node_modules: Path
) -> None:
    with TestClient(create_app(settings)) as client:
        page = client.get("/")
    assert page.status_code == 200
    assert "<svg" in page.text and "chart-map" in page.text


def test_the_wheel_holds_the_geometry_and_no_node_modules(package_geometry: Path, tmp_path: Path) -> None:
    # Built from a copy of the sources, so that the build's own folders never land in the working tree.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("observatory-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in GEOMETRY_FILES:
        assert f"observatory/web/charts/data/{name}" in names
    assert not [n for n in names if "node_modules" in n]
