"""The page of a network (``/networks/{asn}``) and the routing section that links to it, on the real data
(``observatory data load`` of ../shared/data, as ``make run`` does): accessible, light, readable without
JavaScript and on a 390-px phone, every AS named where a loaded source names it."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ContextFactory, check_accessibility, measure_weight, screenshot, visit

MAX_WEIGHT_KB = 200
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_page_of_an_as_is_accessible_light_and_says_its_sources(new_context: ContextFactory, language: str) -> None:
    page = new_context(locale=language).new_page()
    visit(page, f"/networks/37440?lang={language}")
    assert page.locator("h1").inner_text().strip() == "AS37440 Airtel-MW"
    main = page.locator("main").inner_text()
    assert "Internet Health Report" in main and "AFRINIC" in main
    assert page.locator("main a[href='/countries/MWI#routing']").count() == 1
    assert page.locator("main a[href^='/networks/']").count() >= 3  # its providers, each with its page
    check_accessibility(page)
    screenshot(page, f"network-37440-{language}")
    assert measure_weight(new_context(), f"/networks/37440?lang={language}").kb <= MAX_WEIGHT_KB


def test_the_page_of_an_as_works_without_javascript_on_a_phone(new_context: ContextFactory) -> None:
    context = new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    visit(page, "/networks/174")
    assert page.locator("h1").inner_text().startswith("AS174 ")
    # nothing wider than the phone's screen: the page scrolls down, never sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("main a[href^='/networks/']").first.click()
    page.wait_for_url(re.compile(r"/networks/\d+$"))
    assert page.locator("h1").inner_text().startswith("AS")


def test_an_unknown_as_is_a_page_that_says_so(new_context: ContextFactory) -> None:
    page = new_context().new_page()
    response = page.goto("/networks/4199999999")
    assert response is not None and response.status == 404
    assert page.locator("h1").count() == 1


def test_malawis_routing_section_names_and_links_every_as(new_context: ContextFactory) -> None:
    page = new_context().new_page()
    visit(page, "/countries/MWI")
    routing = page.locator("#routing")
    text = routing.inner_text()
    assert "Global AS hegemony (Internet Health Report)" in text and "2023-08-01" in text
    assert "(?)" not in text and not re.search(r"\bobservatory [a-z]+ [a-z-]+|--store", text)
    links = routing.locator("a[href^='/networks/']")
    assert links.count() >= 20
    # every AS shown in a table carries a name (all of Malawi's and its providers' are known to a loaded source)
    cells = [(c.text_content() or "").strip() for c in routing.locator("tbody td:has(a[href^='/networks/'])").all()]
    assert len(cells) >= 20  # some in folded tables: their text, not what is drawn
    assert [c for c in cells if not re.fullmatch(r"AS\d+ \S.*", c)] == []
