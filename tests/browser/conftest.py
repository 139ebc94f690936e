"""Browser tests: the real server, Debian's Chromium driven by Playwright, and axe-core.

A session starts ``observatory serve`` once on a free loopback port with its own ``OBSERVATORY_HOME``
(the 17 sample pledges loaded by ``observatory init --sample``) and one headless Chromium; each test
gets fresh browser contexts (cookies, language). People get their accounts the way they do in real
life: ``observatory users add`` prints an invitation link, the browser opens it and sets a password.

Chromium is never downloaded: the tests use ``/usr/bin/chromium``. Without it, or without
``node_modules/axe-core`` (``npm install``), the tests are skipped locally and fail in CI (``CI=true``).

``SCREENSHOTS=1`` rewrites the screenshots in ``docs/screenshots/`` (and the page weights table);
ordinary runs leave the committed files alone.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, Response, ViewportSize, sync_playwright

from tests.conftest import outbox

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]  # fmt: skip
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
PASSWORD = "browser tests passphrase 2026"
SECRETARIAT_EMAIL = "sec@itu.example"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 15_000


def unavailable(reason: str) -> NoReturn:
    """Skip locally; in CI (``CI=true``) a missing browser or axe-core is a failure."""
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI must run the browser tests)", pytrace=False)
    pytest.skip(reason)


def screenshots_wanted() -> bool:
    return os.environ.get("SCREENSHOTS") == "1"


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    """A full-page PNG of ``page`` (its first screen only, for a very long page) in ``docs/screenshots/NAME.png``,
    only when ``SCREENSHOTS=1``.

    Chromium writes true-colour PNGs (a long page of text weighs 500 KB and more); the picture is
    stored with a 256-colour palette instead, which keeps each file to a fraction of that."""
    if not screenshots_wanted():
        return
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(VIEWPORT)
    png = page.screenshot(full_page=full_page, type="png", animations="disabled")
    (SCREENSHOT_DIR / f"{name}.png").write_bytes(palette_png(page.context, png))


# The browser decodes its own PNG: the RGBA pixels, base64-encoded.
DECODE_PNG = """async (data) => {
  const bitmap = await createImageBitmap(await (await fetch("data:image/png;base64," + data)).blob());
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0);
  const bytes = new Uint8Array(context.getImageData(0, 0, bitmap.width, bitmap.height).data.buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return [bitmap.width, bitmap.height, btoa(text)];
}"""


def palette_png(context: BrowserContext, png: bytes, colours: int = 256) -> bytes:
    """``png`` re-encoded with a palette of its most frequent colours (others take the nearest)."""
    scratch = context.new_page()
    try:
        width, height, data = scratch.evaluate(DECODE_PNG, base64.b64encode(png).decode())
    finally:
        scratch.close()
    rgba = np.frombuffer(base64.b64decode(data), dtype=np.uint8).reshape(height * width, 4)
    packed = (rgba[:, 0].astype(np.uint32) << 16) | (rgba[:, 1].astype(np.uint32) << 8) | rgba[:, 2]
    unique, inverse, counts = np.unique(packed, return_inverse=True, return_counts=True)
    rgb = np.stack([(unique >> 16) & 255, (unique >> 8) & 255, unique & 255], axis=1).astype(np.int32)
    palette = rgb[np.argsort(-counts, kind="stable")[:colours]]
    nearest = np.empty(len(unique), dtype=np.uint8)
    for start in range(0, len(unique), 4096):  # squared distances, in blocks to bound memory
        block = rgb[start : start + 4096]
        nearest[start : start + 4096] = ((block[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    indices = nearest[inverse].reshape(height, width)
    rows = np.hstack([np.zeros((height, 1), dtype=np.uint8), indices])  # filter type 0 on every row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8-bit indexed colour
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"PLTE", palette.astype(np.uint8).tobytes())
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------- the live server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """``observatory serve`` running in a subprocess, with the command line on the same home."""

    url: str
    home: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def cli(self, *args: str) -> str:
        """Run ``observatory ARGS`` on the server's home; its standard output."""
        done = subprocess.run([sys.executable, "-m", "observatory", *args], env=self.env, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, f"observatory {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def mails_to(self, address: str) -> list[str]:
        """The bodies of the messages sent to ``address``, oldest first."""
        return [body for to, body in outbox(self.home) if address in to]

    def api(self, path: str) -> Any:
        """A JSON answer of the public API (no browser: for test set-up only)."""
        with urllib.request.urlopen(self.url + path, timeout=10) as response:  # noqa: S310 (loopback)
            return json.load(response)

    def log(self) -> str:
        path = self.home / "server.log"
        return path.read_text(encoding="utf-8", errors="replace")[-4000:] if path.exists() else ""


def _wait_healthy(server: LiveServer, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            pytest.fail(f"the server stopped (status {server.process.returncode}):\n{server.log()}", pytrace=False)
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer /healthz within {seconds} s:\n{server.log()}", pytrace=False)


_running: list[LiveServer] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed browser test shows the end of the server's log (tracebacks of 500s are there)."""
    report: pytest.TestReport = yield
    if report.failed and _running:
        report.sections.append(("observatory serve (end of log)", _running[0].log()))
    return report


@pytest.fixture(scope="session")
def browser_requirements() -> None:
    """Debian's Chromium and axe-core, or a clear reason why the browser tests cannot run."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (install Debian's chromium package; never `playwright install`)")
    if not AXE.exists():
        unavailable(f"{AXE.relative_to(ROOT)} is missing (run `npm install` at the project root)")


@pytest.fixture(scope="session")
def live_server(browser_requirements: None) -> Iterator[LiveServer]:
    """The platform with the sample pledges and the public data files, on a free loopback port, for the whole
    session."""
    home = Path(tempfile.mkdtemp(prefix="observatory-browser-"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVATORY_")}
    # The journeys look at a public page right after a change made in another browser: no kept page is served
    # once what it shows changed (in production, up to a second later; tests/web/test_workers.py checks that).
    env.update(OBSERVATORY_HOME=str(home), OBSERVATORY_BASE_URL=url, PYTHONUNBUFFERED="1",
               OBSERVATORY_PAGE_STALE_SECONDS="0")  # fmt: skip
    server = LiveServer(url, home, env)
    server.cli("init", "--sample")
    # The public data files, as `make run` loads them: the pages show real connectivity and infrastructure.
    if not SHARED_DATA.is_dir():
        unavailable(f"{SHARED_DATA} is missing (../shared/data beside the project)")
    server.cli("data", "load", str(SHARED_DATA))
    with (home / "server.log").open("wb") as log:
        server.process = subprocess.Popen(
            [sys.executable, "-m", "observatory", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home,
        )  # fmt: skip
    _running.append(server)
    try:
        _wait_healthy(server)
        yield server
    finally:
        _running.remove(server)
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser(browser_requirements: None) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


ContextFactory = Callable[..., BrowserContext]


def open_context(browser: Browser, server: LiveServer, **options: Any) -> BrowserContext:
    """A fresh context on the server: 1280 px wide, British English unless ``locale`` says otherwise."""
    settings: dict[str, Any] = {"base_url": server.url, "viewport": VIEWPORT, "locale": "en-GB", **options}
    context = browser.new_context(**settings)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def new_context(browser: Browser, live_server: LiveServer) -> Iterator[ContextFactory]:
    """Makes fresh contexts (``locale``, ``storage_state``, ``java_script_enabled``…), closed after the test."""
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = open_context(browser, live_server, **options)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(new_context: ContextFactory) -> Page:
    """A page in a fresh, signed-out context."""
    return new_context().new_page()


def visit(page: Page, path: str) -> Response:
    """Open ``path``; fail with the server's answer unless it is 200."""
    response = page.goto(path)
    assert response is not None, f"{path}: no response"
    if response.status != 200:
        body = page.locator("main").inner_text() if page.locator("main").count() else page.content()[:500]
        pytest.fail(f"{path} answered {response.status}: {body.strip()[:500]}", pytrace=False)
    return response


def first_figure(page: Page) -> int:
    """The first headline figure of the page (``dl.figures``: the number of pledges), in any language."""
    text = page.locator("main dl.figures > div").first.locator("dd").inner_text()
    digits = re.sub(r"\D", "", text)
    assert digits, f"no number in the first figure of {page.url}: {text!r}"
    return int(digits)


# ---------------------------------------------------------------- people


def invitation_path(text: str) -> str:
    """The path of the invitation link in a mail or in the command's output."""
    found = re.search(r"https?://[^\s/]+(/account/accept/[\w-]+)", text)
    assert found, f"no invitation link in:\n{text}"
    return found.group(1)


def accept_invitation(page: Page, path: str, password: str = PASSWORD) -> None:
    """Open an invitation link, choose the password, and land signed in."""
    visit(page, path)
    page.locator("main input[type=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/account/accept/" not in url)
    assert page.locator("form[action='/account/logout']").count() == 1, f"not signed in after {path}: {page.url}"


@dataclass(frozen=True)
class Account:
    email: str
    storage_state: Path


def invite_and_accept(browser: Browser, server: LiveServer, email: str, *cli_options: str) -> Account:
    """Create an account with the command line, then follow its invitation link in a browser."""
    path = invitation_path(server.cli("users", "add", email, *cli_options))
    context = open_context(browser, server)
    try:
        accept_invitation(context.new_page(), path)
        slug = re.sub(r"\W", "_", email)
        state = server.home / f"state-{slug}.json"
        context.storage_state(path=str(state))
    finally:
        context.close()
    return Account(email, state)


@pytest.fixture(scope="session")
def secretariat(browser: Browser, live_server: LiveServer) -> Account:
    """The P2C secretariat, signed in (use ``new_context(storage_state=secretariat.storage_state)``)."""
    return invite_and_accept(browser, live_server, SECRETARIAT_EMAIL, "--role", "secretariat")


# ---------------------------------------------------------------- accessibility


def check_accessibility(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0/2.1 A and AA) on the page; fail on any serious or critical violation.

    Returns every violation (minor and moderate ones too) so that callers may report them."""
    if not AXE.exists():
        unavailable(f"{AXE.relative_to(ROOT)} is missing (run `npm install` at the project root)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated by the browser's debugging protocol, which the page's Content-Security-Policy does not
        # govern (a <script> tag added to the page would be refused, as it should be).
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    results: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", AXE_TAGS
    )
    violations: list[dict[str, Any]] = results["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(f"axe: {page.url}\n" + "\n".join(describe(v) for v in blocking), pytrace=False)
    return violations


def describe(violation: dict[str, Any], nodes: int = 4) -> str:
    """One axe violation: rule, impact, help and the first elements concerned."""
    targets = [" ".join(map(str, n.get("target", []))) for n in violation.get("nodes", [])]
    more = f" (+{len(targets) - nodes} more)" if len(targets) > nodes else ""
    return (
        f"  [{violation.get('impact')}] {violation['id']}: {violation.get('help')} — {'; '.join(targets[:nodes])}{more}"
    )


# ---------------------------------------------------------------- page weight


@dataclass
class Weight:
    """What the first load of a page transferred: compressed bodies plus response headers."""

    url: str
    requests: int
    bytes: int
    by_url: dict[str, int]

    @property
    def kb(self) -> float:
        return self.bytes / 1024


def measure_weight(context: BrowserContext, path: str) -> Weight:
    """Load ``path`` in a new page of ``context`` (which should have an empty cache) and sum what came.

    Each finished request counts ``request.sizes()["responseBodySize"]`` (Chromium's encoded data
    length: the body as transferred, so gzip-compressed when the server compressed it) plus
    ``responseHeadersSize``. Unlike ``performance`` resource timing, this also counts the document
    and does not depend on ``Timing-Allow-Origin``."""
    page = context.new_page()
    finished: list[Request] = []

    def done(request: Request) -> None:
        finished.append(request)

    page.on("requestfinished", done)
    response = page.goto(path, wait_until="load")
    assert response is not None and response.ok, f"{path}: {response.status if response else 'no response'}"
    page.wait_for_load_state("networkidle")
    by_url: dict[str, int] = {}
    for request in finished:
        sizes = request.sizes()
        size = max(0, sizes["responseBodySize"]) + max(0, sizes["responseHeadersSize"])
        by_url[request.url] = by_url.get(request.url, 0) + size
    page.close()
    return Weight(path, len(finished), sum(by_url.values()), by_url)
