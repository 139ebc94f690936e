"""The annual reports as readers see them, on the real data (as ``make run`` loads it): each report's page in
English and French is accessible, readable without JavaScript on a 390-px phone (wide tables scroll in their own
box), its numbers link to their annex entries, and the PDF's sample pages are written with SCREENSHOTS=1."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ContextFactory, check_accessibility, screenshot, visit

PHONE = {"width": 390, "height": 844}
YEAR = 2025


@pytest.mark.parametrize("kind", ["p2c", "ip-networks"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_report_page_reads_on_a_desktop_and_on_a_phone(new_context: ContextFactory, kind: str, language: str) -> None:
    page = new_context(locale=language).new_page()
    visit(page, f"/reports/{kind}/{YEAR}?lang={language}")
    assert page.locator("main h1").inner_text().strip()
    first = page.locator("main a.figure").first
    target = first.get_attribute("href") or ""
    assert target.startswith("#note-") and page.locator(target).count() == 1
    assert page.locator("main nav.toc li").count() >= 6
    check_accessibility(page)
    screenshot(page, f"report-page-{kind}-{language}", full_page=False)  # the annex makes the page very long
    phone = new_context(java_script_enabled=False, viewport=PHONE, locale=language).new_page()
    visit(phone, f"/reports/{kind}/{YEAR}?lang={language}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"


def test_the_reports_index_lists_every_report(new_context: ContextFactory) -> None:
    page = new_context().new_page()
    visit(page, "/reports")
    assert page.locator(f"main a[href='/reports/p2c/{YEAR}']").count() == 1
    assert page.locator(f"main a[href='/reports/ip-networks/{YEAR}']").count() == 1
    check_accessibility(page)
