"""Every type of page, public and signed in: accessible (axe-core, WCAG 2.1 AA), usable without
JavaScript, and light (at most 200 KB transferred on a first visit, with an empty cache).

The weight is the sum, over the document and every subresource of the first load, of Chromium's
transferred size of the response (``request.sizes()``: the encoded, i.e. gzip-compressed, body plus
the response headers). Each page's weight is printed (``pytest -s``); with ``SCREENSHOTS=1`` the table
is also written to ``docs/screenshots/weights.txt``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.conftest import (
    SCREENSHOT_DIR,
    Account,
    ContextFactory,
    LiveServer,
    Weight,
    check_accessibility,
    describe,
    first_figure,
    invite_and_accept,
    measure_weight,
    open_context,
    screenshot,
    screenshots_wanted,
    visit,
)

MAX_WEIGHT_KB = 200
LINKS_PER_KIND = 3  # links checked per kind of target (first path segment and query keys) on each page


@dataclass(frozen=True)
class PageType:
    name: str
    path: str  # ``{pledge}``, ``{organisation}`` and ``{submitted}`` are filled in from the sample data
    who: str = "public"  # or "pledger", "secretariat"


PAGES = [
    PageType("dashboard", "/"),
    PageType("dashboard-fr", "/?lang=fr"),
    PageType("explorer", "/pledges"),
    PageType("explorer-filtered", "/pledges?focus_area=access&country_group=LDC&sort=-value_usd"),
    PageType("pledge", "/pledges/{pledge}"),
    PageType("country", "/countries/MWI"),
    PageType("country-fr", "/countries/KEN?lang=fr"),
    PageType("group", "/groups/LDC"),
    PageType("connectivity", "/connectivity"),
    PageType("infrastructure", "/infrastructure"),
    PageType("indicator-catalogue", "/infrastructure/indicators"),
    PageType("cost-model", "/cost-model?country=MWI"),
    PageType("cost-model-fr", "/cost-model?country=KEN&lang=fr&transit_price=8"),
    PageType("organisation", "/organisations/{organisation}"),
    PageType("sign-in", "/account/login"),
    PageType("portal", "/portal", "pledger"),
    PageType("pledge-form", "/portal/pledges/new", "pledger"),
    PageType("secretariat-queue", "/secretariat", "secretariat"),
    PageType("review", "/secretariat/pledges/{submitted}", "secretariat"),
    PageType("activities", "/activities"),
    PageType("practices", "/practices"),
    PageType("reports", "/reports"),
    PageType("secretariat-reports", "/secretariat/reports", "secretariat"),
]
IDS = [p.name for p in PAGES]


@pytest.fixture(scope="module")
def pledger(browser: Browser, live_server: LiveServer) -> Account:
    """A pledger for Huawei (a sample organisation), signed in."""
    return invite_and_accept(browser, live_server, "pages@huawei.example", "--role", "pledger",
                             "--organisation", "Huawei")  # fmt: skip


@pytest.fixture(scope="module")
def submitted(browser: Browser, live_server: LiveServer, pledger: Account) -> str:
    """A pledge submitted for review through the form, for the review page."""
    context = open_context(browser, live_server, storage_state=str(pledger.storage_state))
    try:
        page = context.new_page()
        visit(page, "/portal/pledges/new")
        page.locator("#title").fill("Rural 4G sites in the Sahel (pages test)")
        page.locator("#fa-access").check()
        for name, code in (("Niger", "NER"), ("Mali", "MLI")):  # the country picker's search, then the box
            page.locator("#country-search").fill(name)
            page.locator(f"#country-{code}").check()
        page.locator("#value").fill("1200000")
        page.locator("#currency").select_option("EUR")
        page.locator("#start_year").fill("2026")
        page.locator("button[name=action][value=submit]").click()
        page.wait_for_url(re.compile(r"/portal\?saved="))
        return parse_qs(urlparse(page.url).query)["saved"][0]
    finally:
        context.close()


@pytest.fixture(scope="module")
def paths(live_server: LiveServer, submitted: str) -> dict[str, str]:
    """The concrete path of each page type."""
    niger = live_server.api("/api/v1/pledges?country=NER&sort=reference&per_page=1")["items"]
    assert niger, "the sample has no pledge for Niger"
    microsoft = [o for o in live_server.api("/api/v1/organisations") if o["name"] == "Microsoft"]
    assert microsoft, "the sample has no Microsoft"
    values = {"pledge": niger[0]["reference"], "organisation": str(microsoft[0]["id"]), "submitted": submitted}
    return {p.name: p.path.format(**values) for p in PAGES}


def context_for(
    kind: PageType, new_context: ContextFactory, accounts: dict[str, Account], **options: object
) -> BrowserContext:
    if kind.who != "public":
        options["storage_state"] = str(accounts[kind.who].storage_state)
    return new_context(**options)


@pytest.fixture
def accounts(secretariat: Account, pledger: Account) -> dict[str, Account]:
    return {"secretariat": secretariat, "pledger": pledger}


@pytest.fixture(scope="module")
def weights() -> Iterator[dict[str, Weight]]:
    """The page weights measured in this module; written to ``docs/screenshots/weights.txt`` with SCREENSHOTS=1."""
    measured: dict[str, Weight] = {}
    yield measured
    if measured and screenshots_wanted():
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        lines = [
            "Transferred on a first visit (empty cache): compressed bodies + response headers, Chromium headless.",
            f"Budget: {MAX_WEIGHT_KB} KB per page. Written by tests/browser/test_pages.py with SCREENSHOTS=1.",
            "",
            f"{'page':<20} {'requests':>8} {'KB':>8}  path",
        ]
        for name, w in measured.items():
            lines.append(f"{name:<20} {w.requests:>8} {w.kb:>8.1f}  {w.url}")
        (SCREENSHOT_DIR / "weights.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("kind", PAGES, ids=IDS)
def test_accessible(
    kind: PageType, paths: dict[str, str], new_context: ContextFactory, accounts: dict[str, Account]
) -> None:
    """axe-core finds no serious violation, and the page's own Content-Security-Policy blocks nothing of it."""
    page = context_for(kind, new_context, accounts).new_page()
    refused = csp_violations(page)
    visit(page, paths[kind.name])
    page.wait_for_load_state("load")
    assert refused == [], f"{paths[kind.name]}: the page breaks its own Content-Security-Policy: {refused}"
    minor = check_accessibility(page)
    if minor:
        print(f"\naxe {kind.name}: {len(minor)} minor/moderate\n" + "\n".join(describe(v) for v in minor))


@pytest.mark.parametrize("kind", PAGES, ids=IDS)
def test_light(
    kind: PageType,
    paths: dict[str, str],
    new_context: ContextFactory,
    accounts: dict[str, Account],
    weights: dict[str, Weight],
) -> None:
    weight = measure_weight(context_for(kind, new_context, accounts), paths[kind.name])
    weights[kind.name] = weight
    print(f"\nweight {kind.name:<20} {weight.requests:>3} requests {weight.kb:>7.1f} KB  {weight.url}")
    heaviest = sorted(weight.by_url.items(), key=lambda item: -item[1])[:5]
    assert weight.kb <= MAX_WEIGHT_KB, f"{weight.url}: {weight.kb:.1f} KB; heaviest: {heaviest}"


def csp_violations(page: Page) -> list[str]:
    """The Content-Security-Policy violations Chromium reports on ``page`` from now on (filled as they come)."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    return found


def test_api_documentation_works_offline_under_the_csp(new_context: ContextFactory, live_server: LiveServer) -> None:
    """Swagger UI comes from the app itself (no other host is asked for anything) and draws every operation."""
    page = new_context().new_page()
    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((live_server.url, "data:")) else elsewhere.append(r.url))
    refused = csp_violations(page)
    visit(page, "/api/docs")
    page.locator(".opblock").first.wait_for()
    operations = live_server.api("/api/openapi.json")["paths"]
    assert page.locator(".opblock").count() == sum(len(ops) for ops in operations.values())
    assert elsewhere == [] and refused == []


def link_kind(href: str) -> tuple[str, ...]:
    url = urlparse(href)
    first = url.path.strip("/").split("/")[0]
    depth = str(url.path.strip("/").count("/"))
    return (first, depth, *sorted(parse_qs(url.query)))


def check_links(page: Page, context: BrowserContext) -> int:
    """Every kind of same-site link on the page leads to a page (a few of each kind are followed)."""
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    seen: dict[tuple[str, ...], int] = {}
    checked = 0
    for href in dict.fromkeys(str(h) for h in hrefs):
        if not href.startswith("/") or href.startswith("//"):
            continue  # in-page anchors, other sites
        kind = link_kind(href)
        if seen.get(kind, 0) >= LINKS_PER_KIND:
            continue
        seen[kind] = seen.get(kind, 0) + 1
        response = context.request.get(href, max_redirects=0)
        assert response.status == 200, f"{page.url}: the link {href} answers {response.status}"
        checked += 1
    return checked


@pytest.mark.parametrize("kind", PAGES, ids=IDS)
def test_without_javascript(
    kind: PageType, paths: dict[str, str], new_context: ContextFactory, accounts: dict[str, Account]
) -> None:
    context = context_for(kind, new_context, accounts, java_script_enabled=False)
    page = context.new_page()
    visit(page, paths[kind.name])
    assert page.locator("h1").first.inner_text().strip(), f"{page.url}: no heading"
    assert check_links(page, context) > 0
    # A real navigation by clicking, without scripts: the site's name leads home.
    page.locator("header a.brand").click()
    page.wait_for_url(re.compile(r"/(\?.*)?$"))
    assert page.locator("h1").count() >= 1


def test_explorer_filters_without_javascript(new_context: ContextFactory) -> None:
    page = new_context(java_script_enabled=False).new_page()
    visit(page, "/pledges")
    everything, rows = first_figure(page), page.locator("main tbody tr").count()
    assert everything > 0 and rows > 0

    page.locator("#f-country_group").select_option("LDC")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"/pledges\?.*country_group=LDC"))
    narrowed = first_figure(page)
    assert 0 < narrowed < everything, f"LDC filter: {narrowed} of {everything}"
    assert page.locator("main tbody tr").count() == min(narrowed, 25)
    assert page.locator("#f-country_group option:checked").get_attribute("value") == "LDC", "the filter is not kept"

    page.locator("#f-q").fill("satellite")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"/pledges\?.*q=satellite"))
    searched = first_figure(page)
    assert searched <= narrowed
    assert "country_group=LDC" in page.url, "searching dropped the other filter"

    # A pledge link of the results opens the pledge.
    if searched:
        link = page.locator("main tbody tr a[href^='/pledges/']").first
        ref = link.inner_text().strip()
        link.click()
        page.wait_for_url(f"**/pledges/{ref}")
        assert page.locator("h1").inner_text().strip()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_country_page_shows_real_connectivity_and_infrastructure(new_context: ContextFactory, language: str) -> None:
    """Malawi, an LDC, from the real files: Internet use with its edition, IXPs and address space, transit."""
    page = new_context(locale=language).new_page()
    visit(page, f"/countries/MWI?lang={language}")
    connectivity = page.locator("#connectivity").inner_text()
    editions = page.locator("#connectivity details").last.text_content() or ""  # "Sources and editions", folded
    assert "2024-11" in editions and "2026-07-01" in editions
    assert ("18.0 %" if language == "en" else "18,0 %") in connectivity  # Internet use 2023 (ITU via World Bank)
    assert page.locator("#connectivity svg").count() >= 2
    infrastructure = page.locator("#infrastructure").inner_text()
    assert ("556,544" if language == "en" else "556") in infrastructure  # IPv4 addresses delegated (AFRINIC 2026)
    assert page.locator("#infrastructure svg").count() >= 3
    assert page.locator("#routing").count() == 1


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/connectivity", "connectivity"),
        ("/infrastructure", "infrastructure"),
        ("/cost-model?country=MWI", "cost-model"),
        ("/groups/LDC", "group-ldc"),
    ],
)
def test_world_pages_draw_their_map_or_chart(new_context: ContextFactory, path: str, name: str) -> None:
    page = new_context().new_page()
    visit(page, path)
    assert page.locator("main svg").count() >= 1
    assert page.locator("main table").count() >= 1  # every chart has a table
    text = page.locator("main").inner_text()
    # What a reader sees names datasets and dates, never a file, a test fixture or a command line.
    assert not re.search(r"\w\.(csv|txt|gz|bz2|json)\b|_test\b|_first\d+|\bobservatory [a-z]+ [a-z-]+", text), path
    screenshot(page, name)
