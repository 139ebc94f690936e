"""The pledge form's country picker in a real browser: search as you type (names in English and French, ISO
codes, accents ignored), chosen countries as removable chips, a whole group added at once; keyboard only;
accessible (axe-core) and within a 390-px phone's width; and the same form without JavaScript."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page

from observatory import reference
from tests.browser.conftest import (
    Account,
    ContextFactory,
    LiveServer,
    check_accessibility,
    visit,
)

TITLE = "Community networks in Malawi and the least developed countries (picker test)"


def visible_countries(page: Page) -> set[str]:
    """The codes of the countries the list shows now."""
    codes = page.locator(".picker-list li:visible input[name=target_countries]").evaluate_all(
        "boxes => boxes.map(b => b.value)"
    )
    return set(codes)


def fill_the_rest(page: Page) -> None:
    page.locator("#organisation").select_option(index=1)
    page.locator("#title").fill(TITLE)
    page.locator("#fa-access").check()


def test_search_pick_add_a_group_and_submit(
    live_server: LiveServer, secretariat: Account, new_context: ContextFactory
) -> None:
    page = new_context(storage_state=str(secretariat.storage_state)).new_page()
    visit(page, "/portal/pledges/new")
    fill_the_rest(page)
    search = page.get_by_label("Find a country")
    search.fill("mala")
    assert visible_countries(page) == {"MWI", "MYS"}, visible_countries(page)  # Malawi, Malaysia
    assert page.locator("#picker-status").inner_text() == "2 countries match"
    search.fill("MWI")
    assert visible_countries(page) == {"MWI"}
    search.fill("cote d")  # accents ignored: Côte d'Ivoire
    assert "CIV" in visible_countries(page)
    search.fill("Malaisie")  # the French name finds it on the English page
    assert visible_countries(page) == {"MYS"}
    search.fill("mala")
    page.locator("label[for=country-MWI]").click()
    chips = page.locator("ul.chips button.chip")
    assert chips.count() == 1 and chips.first.get_attribute("aria-label") == "Remove Malawi"
    assert page.locator(".picker-chosen-heading").inner_text() == "Chosen countries (1 chosen)"
    # a chip removes its country; the keyboard alone can do it all
    page.get_by_role("button", name="Remove Malawi").click()
    assert not page.locator("#country-MWI").is_checked() and page.locator("ul.chips button.chip").count() == 0
    search.fill("malawi")
    search.press("Enter")  # one match: Enter ticks it, and does not post the form
    assert page.locator("#country-MWI").is_checked() and "/portal/pledges/new" in page.url
    ldc = set(reference.group_members("LDC", dt.date.today()))
    page.get_by_role("button", name=re.compile(r"^Add: Least developed countries")).click()
    assert page.locator("ul.chips button.chip").count() == len(ldc | {"MWI"})
    assert page.locator("fieldset.picker-shortcuts").is_hidden()  # replaced by the buttons
    search.fill("")
    violations = check_accessibility(page)
    assert violations == [], violations
    page.locator("button[name=action][value=draft]").click()
    page.wait_for_url(re.compile(r"/portal\?saved="))
    ref = page.url.split("saved=")[1]
    form = page.request.get(f"/portal/pledges/{ref}/edit?format=json").json()
    assert set(form["values"]["target_countries"]) == ldc | {"MWI"}


def test_the_picker_fits_a_phone(live_server: LiveServer, secretariat: Account, new_context: ContextFactory) -> None:
    page = new_context(storage_state=str(secretariat.storage_state), viewport={"width": 390, "height": 844}).new_page()
    visit(page, "/portal/pledges/new")
    page.get_by_label("Find a country").fill("ni")
    page.get_by_role("button", name=re.compile(r"^Add: Small island")).click()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the form is {width} px wide on a 390-px phone"
    box = page.locator("#country-search").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_without_javascript_the_check_boxes_and_groups_work(
    live_server: LiveServer, secretariat: Account, new_context: ContextFactory
) -> None:
    page = new_context(storage_state=str(secretariat.storage_state), java_script_enabled=False).new_page()
    visit(page, "/portal/pledges/new")
    assert page.locator("#country-search").count() == 0  # no script: no search box, the plain form
    fill_the_rest(page)
    page.locator("details[data-region=africa] summary").click()
    page.locator("#country-MWI").check()
    page.get_by_label(re.compile(r"^Landlocked developing countries")).check()
    page.locator("button[name=action][value=expand]").click()
    assert page.locator("#country-ZMB").is_checked() and page.locator("#country-MWI").is_checked()
    page.locator("button[name=action][value=draft]").click()
    page.wait_for_url(re.compile(r"/portal\?saved="))
    ref = page.url.split("saved=")[1]
    form = page.request.get(f"/portal/pledges/{ref}/edit?format=json").json()
    assert set(form["values"]["target_countries"]) == set(reference.group_members("LLDC", dt.date.today())) | {"MWI"}
