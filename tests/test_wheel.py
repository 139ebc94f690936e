"""A package that runs anywhere: the wheel built from this checkout with ``python -m build``, installed with pip in
a fresh virtualenv outside the checkout, serves every public page, the world map included.

Nothing here imports the checkout's code into the server: the platform runs from the virtualenv's own copy
(``observatory init --sample`` then ``observatory serve``), in a working directory with no ``node_modules`` above
it, and is asked over HTTP on a free loopback port. The checkout is only read to know what to expect (the files
the package must hold, the map's shapes, the French catalogue).

The build runs without build isolation (``--no-isolation``): the build backend is the setuptools pinned in the
dev extras, already in the test's environment, so the build needs no network, is the same on every run and takes
under two seconds. The wheel's dependencies come from the package index through pip, with pip's own cache.
"""

from __future__ import annotations

import html
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import observatory
from observatory.i18n import translations
from observatory.reference import countries
from observatory.web.charts.geometry import load_geometry, package_atlas

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "observatory"
GEOMETRY = ("countries-110m.json", "countries-10m.json", "LICENSE-world-atlas.txt")
# The files the code opens beside its modules (Path(__file__) or importlib.resources), by package-relative path
# or glob: each must be in the wheel, or an installed platform fails where the checkout works.
OPENED = (
    "web/templates/*.html",  # web/render.py
    "*/templates/*/*.html",  # each capability's add_templates(Path(__file__).parent / "templates")
    "web/static/*",  # web/app.py mounts /static
    "i18n/locale/fr/LC_MESSAGES/messages.po",  # i18n: compiled when first read, so no .mo is shipped
    "db/migrations/env.py",  # db: alembic's script_location
    "db/migrations/script.py.mako",
    "db/migrations/versions/*.py",
    "reference/data/*.csv",  # reference: countries, groups, currencies, rates, taxonomy, RIR regions
    "costmodel/defaults.csv",
    "pledges/sample/p2c_pledges.csv",  # init --sample
    "pledges/sample/organisations.csv",
    "activities/data/activities.csv",  # the curated activities seed
    "activities/data/organisations.csv",
    "practices/data/practices.csv",  # the curated best-practice cases
    *(f"web/charts/data/{name}" for name in GEOMETRY),  # the world map, written by scripts/world_geometry.py
)
BUILD_TIMEOUT = 300
# The first install on a machine downloads every dependency (numba, scipy, polars, dask, weasyprint, ...).
INSTALL_TIMEOUT = 1200
START_TIMEOUT = 90


def _source_files() -> set[str]:
    """Every file of the package in the checkout, package-relative, without caches."""
    return {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def _environment(home: Path, bin_dir: Path) -> dict[str, str]:
    """The environment of the installed platform: none of this test run's OBSERVATORY_* settings (such as
    OBSERVATORY_WORLD_ATLAS), no PYTHONPATH towards the checkout, and the fresh virtualenv first on PATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OBSERVATORY_") and k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    }
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["OBSERVATORY_HOME"] = str(home)
    return env


def _run(
    command: list[str | Path], *, timeout: float, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs ``command``, failing the test with the end of its output when it fails; logs how long it took."""
    started = time.monotonic()
    done = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd, check=False
    )
    log.info("%.1f s: %s", time.monotonic() - started, " ".join(str(c) for c in command[:4]))
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _no_node_modules_above(path: Path) -> None:
    found = [p / "node_modules" for p in (path, *path.parents) if (p / "node_modules").exists()]
    assert not found, f"{found} would let the map's geometry be found outside the package"


@dataclass(frozen=True)
class Built:
    """What ``python -m build`` wrote."""

    wheel: Path
    sdist: Path


@dataclass(frozen=True)
class Installed:
    """The fresh virtualenv holding the wheel, the empty folder the platform runs in, and its environment."""

    venv: Path
    workdir: Path
    env: dict[str, str]
    init_output: str

    @property
    def bin(self) -> Path:
        """The virtualenv's commands."""
        return self.venv / "bin"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """``python -m build`` (an sdist, then the wheel from the sdist, as the command does) of a copy of the checkout.

    A copy, so that the build's own folders (``build/``, ``*.egg-info``) never land in the working tree, and no
    stale ``build/lib`` or ``SOURCES.txt`` from an earlier build can slip a file into the wheel. It holds what a
    build reads: the top-level files (pyproject.toml, README.md and any MANIFEST.in or licence) and ``src/``,
    including the map's geometry that ``make setup`` wrote there."""
    if not all((package_atlas() / name).is_file() for name in GEOMETRY):
        pytest.fail(f"{package_atlas()} lacks the map's geometry: run `make setup` (python scripts/world_geometry.py)")
    root = tmp_path_factory.mktemp("build")
    source = root / "source"
    source.mkdir()
    for item in ROOT.iterdir():
        if item.is_file():
            shutil.copy2(item, source / item.name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", root / "dist", source], timeout=BUILD_TIMEOUT)
    (wheel,) = (root / "dist").glob("observatory-*.whl")
    (sdist,) = (root / "dist").glob("observatory-*.tar.gz")
    return Built(wheel, sdist)


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A fresh virtualenv outside the checkout, the wheel installed in it by its own pip, and ``observatory init
    --sample`` run from an empty working directory with its own OBSERVATORY_HOME."""
    root = tmp_path_factory.mktemp("installed")
    venv, workdir = root / "venv", root / "work"
    workdir.mkdir()
    for place in (venv, workdir):
        assert ROOT not in place.parents, f"{place} is inside the checkout"
    _no_node_modules_above(root)
    _run([sys.executable, "-m", "venv", venv], timeout=120)
    env = _environment(root / "home", venv / "bin")
    # --no-compile: pip would otherwise byte-compile every module of every dependency, most of which the
    # platform never imports, which is half the install's time; Python compiles what it imports when it does.
    _run([venv / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check", "--no-compile",
          built.wheel], timeout=INSTALL_TIMEOUT, env=env, cwd=workdir)  # fmt: skip
    _run([venv / "bin" / "python", "-m", "pip", "check"], timeout=120, env=env, cwd=workdir)
    init = _run([venv / "bin" / "observatory", "init", "--sample"], timeout=300, env=env, cwd=workdir)
    return Installed(venv, workdir, env, init.stdout)


@pytest.fixture(scope="module")
def server(installed: Installed) -> Iterator[httpx.Client]:
    """``observatory serve`` of the installed package on a free loopback port, stopped at the end."""
    port = _free_port()
    output = installed.workdir / "serve.log"
    # One worker: the test asks one process; --workers N runs the same application N times.
    command = [str(installed.bin / "observatory"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", "1"]
    with output.open("w") as log_file:
        process = subprocess.Popen(command, cwd=installed.workdir, env=installed.env, stdout=log_file, stderr=log_file)
        try:
            base = f"http://127.0.0.1:{port}"
            started = time.monotonic()
            with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
                while True:
                    assert process.poll() is None, f"the server stopped: {output.read_text()[-3000:]}"
                    assert time.monotonic() - started < START_TIMEOUT, f"no answer: {output.read_text()[-3000:]}"
                    try:
                        if client.get("/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.2)
                log.info("%.1f s: the server answers", time.monotonic() - started)
                yield client
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)


def test_the_wheel_holds_every_file_the_code_opens(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
        sizes = {name: wheel.getinfo(f"observatory/web/charts/data/{name}").file_size for name in GEOMETRY}
    shipped = {n.removeprefix("observatory/") for n in names if n.startswith("observatory/")}
    source = _source_files()
    for pattern in OPENED:
        expected = {name for name in source if Path(name).match(pattern)}
        assert expected, f"{pattern} names no file of the checkout: the list is out of date"
        assert expected <= shipped, f"missing from the wheel: {sorted(expected - shipped)}"
    # Beyond the list: every module and every data file of the package, and nothing from outside it.
    assert source <= shipped, f"missing from the wheel: {sorted(source - shipped)}"
    assert not [n for n in names if "node_modules" in n or n.endswith(".pyc") or "__pycache__" in n]
    assert not [n for n in names if not n.startswith(("observatory/", "observatory-"))]
    assert all(size > 0 for size in sizes.values()), sizes
    # The sdist the wheel was built from carries the generated geometry too, so that it also builds without npm.
    with tarfile.open(built.sdist) as sdist:
        members = sdist.getnames()
    for name in GEOMETRY:
        assert any(m.endswith(f"/src/observatory/web/charts/data/{name}") for m in members), name


def test_the_platform_runs_from_the_virtualenv_not_the_checkout(installed: Installed) -> None:
    where = _run([installed.bin / "python", "-c", "import observatory; print(observatory.__file__)"],
                 timeout=60, env=installed.env, cwd=installed.workdir).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(installed.venv), where
    site = Path(where).parent
    _no_node_modules_above(site)
    _no_node_modules_above(installed.workdir)
    assert (site / "web" / "charts" / "data" / "countries-110m.json").is_file()
    assert re.search(r"Sample pledges: [1-9]\d* new", installed.init_output), installed.init_output


PAGES = {
    "/": r'<path data-iso="[A-Z]{3}" d="M',
    "/pledges": r'href="/pledges/P2C-\d{4}-\d{5}"',
    "/countries/KEN": r"<h1>Kenya",
    "/groups": r'href="/groups/LDC"',
    "/connectivity": r"<h1>",
    "/infrastructure": r"<h1>",
    "/infrastructure/indicators": r"<h1>",
    "/cost-model": r"<h1>",
    "/activities": r'href="/activities/ACT-\d+"',
    "/practices": r'href="/practices/BP-\d+"',
    "/reports": r'href="/reports/p2c/\d{4}"',
}
# A detail page of each kind, reached by the first such link of a list page: (list page, link).
DETAILS = (
    ("/pledges", r"/pledges/P2C-\d{4}-\d{5}"),
    ("/pledges", r"/organisations/\d+"),
    ("/activities", r"/activities/ACT-\d+"),
    ("/practices", r"/practices/BP-\d+"),
    ("/groups", r"/groups/[A-Za-z_]+"),
    ("/reports", r"/reports/p2c/\d{4}"),
)


def _platform_page(client: httpx.Client, path: str, language: str = "en") -> str:
    """The page at ``path``: answered 200, as HTML, by the platform's own layout (the error page has no
    ``dir``), in ``language``."""
    page = client.get(path)
    assert page.status_code == 200, f"{path}: {page.status_code} {page.text[:1000]}"
    assert page.headers["content-type"].startswith("text/html"), path
    assert f'<html lang="{language}" dir="ltr">' in page.text and '<main id="main">' in page.text, path
    return page.text


@pytest.mark.parametrize("path", list(PAGES))
def test_each_public_page_is_served(server: httpx.Client, path: str) -> None:
    assert re.search(PAGES[path], _platform_page(server, path)), path


def test_a_detail_page_of_each_kind_is_served(server: httpx.Client) -> None:
    for listing, link in DETAILS:
        found = re.search(f'href="({link})"', _platform_page(server, listing))
        assert found, f"{listing} links to no {link}"
        assert "<h1" in _platform_page(server, found.group(1))


def test_the_dashboard_draws_the_world_map_from_the_package_geometry(server: httpx.Client) -> None:
    page = _platform_page(server, "/")
    assert 'class="chart chart-map"' in page
    drawn = dict(re.findall(r'<path data-iso="([A-Z]{3})" d="(M[^"]+)"', page))
    # Every country the shipped shapes hold is drawn, with the very shapes the checkout's geometry gives.
    shapes = load_geometry(package_atlas()).paths
    expected = {a3: shapes[c.m49] for a3, c in countries().items() if c.m49 in shapes}
    assert len(expected) > 150
    assert drawn == expected


def test_the_pages_are_served_in_french(server: httpx.Client) -> None:
    try:
        page = html.unescape(_platform_page(server, "/?lang=fr", language="fr"))
    finally:
        server.cookies.clear()  # the remembered language, which would turn the other tests' pages French
    french = translations("fr").gettext("Connectivity Observatory")
    assert french != "Connectivity Observatory" and french in page
    assert re.search(r'<path data-iso="KEN" d="M', page)


def test_the_api_health_static_files_and_api_docs_are_served(server: httpx.Client, installed: Installed) -> None:
    summary = server.get("/api/v1/pledges/summary", params={"by": "focus_area"})
    assert summary.status_code == 200, summary.text
    imported = int(re.search(r"Sample pledges: (\d+) new", installed.init_output).group(1))  # type: ignore[union-attr]
    assert summary.json()["by"] == "focus_area" and summary.json()["total"]["pledges"] == imported
    assert summary.json()["groups"] and all(g["pledges"] > 0 for g in summary.json()["groups"])

    health = server.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert health.json()["version"] == observatory.__version__

    css = server.get("/static/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.content == (PACKAGE / "web" / "static" / "app.css").read_bytes()

    docs = server.get("/api/docs")
    assert docs.status_code == 200 and 'id="swagger-ui"' in docs.text
    for asset in re.findall(r'(?:src|href)="(/[^"]+)"', docs.text):
        assert server.get(asset).status_code == 200, asset
    schema = server.get("/api/openapi.json")
    assert schema.status_code == 200 and "/api/v1/pledges/summary" in schema.json()["paths"]


def test_the_installed_platform_refuses_to_start_without_its_geometry(installed: Installed) -> None:
    # Runs after the pages (tests run in file order): it takes the shapes away from the installed package, then
    # puts them back.
    where = _run([installed.bin / "python", "-c", "import observatory; print(observatory.__file__)"],
                 timeout=60, env=installed.env, cwd=installed.workdir).stdout.strip()  # fmt: skip
    shapes = Path(where).parent / "web" / "charts" / "data" / "countries-110m.json"
    aside = shapes.with_name("countries-110m.json.aside")
    shapes.rename(aside)
    try:
        done = subprocess.run(
            [str(installed.bin / "observatory"), "serve", "--host", "127.0.0.1", "--port", str(_free_port())],
            capture_output=True, text=True, timeout=120, env=installed.env, cwd=installed.workdir,
        )  # fmt: skip
    finally:
        aside.rename(shapes)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "The platform cannot start" in done.stderr and "countries-110m.json" in done.stderr, done.stderr
