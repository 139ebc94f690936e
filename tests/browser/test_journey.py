"""The issue's scenario, end to end in a real browser.

The secretariat invites a pledger for Microsoft; the pledger opens the mailed link, chooses a password,
drafts a pledge for Malawi through the guided form and submits it; the secretariat asks for a change;
the pledger reads the note, fixes the pledge and submits it again; the secretariat publishes it; the
pledge then counts on the dashboard, is found by the explorer's search and is listed on Malawi's page,
in English and in French; finally the pledger files a progress report, the secretariat publishes it, and
the pledge's reporting health turns green.

Assertions rest on the pages' structure (ids, form actions, links, ``class="health-…"``) and on the
pledge's own title, which stays in its language: the French catalog may still be growing.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import BrowserContext, Page

from tests.browser.conftest import (
    Account,
    ContextFactory,
    LiveServer,
    accept_invitation,
    first_figure,
    invitation_path,
    screenshot,
    visit,
)

PLEDGER = "pledger@microsoft.example"
ORGANISATION = "Microsoft"
KEYWORD = "Nkhotakota"  # a word no sample pledge uses: the explorer's search must find this one
TITLE = f"Connect 150 rural schools in {KEYWORD} and Dedza, Malawi, to broadband"
NOTE = "Please say how many pupils and teachers the schools have."
FIX = " The 150 schools have 61,000 pupils and 1,400 teachers."


def french_label(message: str) -> str | None:
    """The French catalog's translation of ``message``, once the catalog has one."""
    import observatory.i18n

    po = Path(observatory.i18n.__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return None
    from observatory.i18n import translations

    translated = translations("fr").gettext(message)
    return translated if translated != message else None


def check_label(page: Page, selector: str, message: str, language: str) -> None:
    """The interface text at ``selector`` is ``message`` in the page's language (French once translated)."""
    expected = message if language == "en" else french_label(message)
    if expected is None:
        return  # not translated yet
    actual = page.locator(selector).first.inner_text().strip()
    assert actual == expected, f"{page.url}: {selector} says {actual!r}, not {expected!r} ({language})"


def invite_pledger(server: LiveServer, secretariat: BrowserContext) -> str:
    """The secretariat invites the pledger from the organisations page; the invitation link from the mail."""
    page = secretariat.new_page()
    visit(page, f"/secretariat/organisations?q={ORGANISATION}")
    row = page.locator("main tbody tr").filter(has=page.get_by_role("link", name=ORGANISATION, exact=True))
    assert row.count() == 1, f"no single row for {ORGANISATION} on {page.url}"
    row.locator("input[name=email]").fill(PLEDGER)
    row.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/secretariat/organisations\?.*invited="))
    assert page.get_by_role("status").filter(has_text=PLEDGER).count() == 1, "no confirmation of the invitation"
    mails = server.mails_to(PLEDGER)
    assert len(mails) == 1, f"{len(mails)} mails to {PLEDGER} in the outbox"
    return invitation_path(mails[0])


def saved_reference(page: Page) -> str:
    """The reference the portal says it saved (``/portal?saved=REF``)."""
    page.wait_for_url(re.compile(r"/portal\?saved="))
    ref = parse_qs(urlparse(page.url).query)["saved"][0]
    assert re.fullmatch(r"P2C-\d{4}-\d{5}", ref), ref
    return ref


def draft_pledge(page: Page) -> str:
    """Fill the guided form, save the draft; the pledge's reference."""
    visit(page, "/portal")
    page.locator("main a[href='/portal/pledges/new']").click()
    page.wait_for_url("**/portal/pledges/new")
    organisation = page.locator("#organisation")
    assert organisation.locator("option:checked").inner_text() == ORGANISATION
    page.locator("#title").fill(TITLE)
    page.locator("#description").fill("Fibre and satellite links, solar power and teacher training.")
    page.locator("#pledge_type").select_option("financial")
    page.locator("#fa-access").check()
    page.locator("#fa-access ~ ul input[name=pillars]").first.check()
    page.locator("#country-search").fill("Malawi")  # the country picker's search, then the box
    page.locator("#country-MWI").check()
    page.locator("#value").fill("2500000")
    page.locator("#currency").select_option("USD")
    page.locator("#start_year").fill("2025")
    page.locator("#end_year").fill("2028")
    page.locator("#announced_on").fill("2025-03-10")
    page.locator("#sdg-4").check()
    screenshot(page, "pledge-form")
    page.locator("button[name=action][value=draft]").click()
    ref = saved_reference(page)
    row = page.locator("main tbody tr").filter(has_text=ref)
    assert row.filter(has_text=TITLE).count() == 1, f"{ref} is not listed in the portal"
    return ref


def test_pledge_journey(live_server: LiveServer, secretariat: Account, new_context: ContextFactory) -> None:
    office = new_context(storage_state=str(secretariat.storage_state))
    review = office.new_page()

    # The secretariat invites a pledger; the pledger follows the mailed link and chooses a password.
    link = invite_pledger(live_server, office)
    pledger = new_context().new_page()
    accept_invitation(pledger, link)
    assert urlparse(pledger.url).path == "/portal"

    # The pledger drafts a pledge through the guided form, then submits it from the portal.
    ref = draft_pledge(pledger)
    pledger.locator(f"form[action='/portal/pledges/{ref}/submit'] button[type=submit]").click()
    assert saved_reference(pledger) == ref
    assert pledger.locator(f"form[action='/portal/pledges/{ref}/submit']").count() == 0, "still submittable"

    # The secretariat finds it in its queue and asks for a change.
    visit(review, "/secretariat")
    review.locator(f"main a[href='/secretariat/pledges/{ref}']").first.click()
    review.wait_for_url(f"**/secretariat/pledges/{ref}")
    assert TITLE in review.locator("h1").inner_text()
    screenshot(review, "secretariat-review")
    review.locator("#changes-note").fill(NOTE)
    review.locator(f"form[action='/secretariat/pledges/{ref}/changes'] button[type=submit]").click()
    review.wait_for_load_state()
    assert review.locator(f"form[action='/secretariat/pledges/{ref}/publish']").count() == 0, "publishable draft"

    # The pledger sees the note, fixes the pledge and submits it again.
    visit(pledger, "/portal")
    row = pledger.locator("main tbody tr").filter(has_text=ref)
    assert NOTE in row.inner_text(), "the secretariat's note is not shown in the portal"
    row.locator(f"a[href='/portal/pledges/{ref}/edit']").click()
    pledger.wait_for_url(f"**/portal/pledges/{ref}/edit")
    assert NOTE in pledger.locator("main").inner_text(), "the note is not shown on the form"
    description = pledger.locator("#description")
    description.fill(description.input_value() + FIX)
    pledger.locator("button[name=action][value=submit]").click()
    assert saved_reference(pledger) == ref

    # The secretariat sees the change and publishes.
    public = new_context().new_page()
    visit(public, "/")
    before = first_figure(public)
    visit(review, f"/secretariat/pledges/{ref}")
    assert "61,000 pupils" in review.locator("main").inner_text(), "the resubmitted text is not on the review page"
    review.locator(f"form[action='/secretariat/pledges/{ref}/publish'] button[type=submit]").click()
    review.wait_for_load_state()
    assert review.locator(f"form[action='/secretariat/pledges/{ref}/publish']").count() == 0, "still publishable"

    # The pledge counts, is found and is listed, in English and in French.
    for language in ("en", "fr"):
        context = new_context(locale="fr-FR" if language == "fr" else "en-GB")
        page = context.new_page()
        visit(page, f"/?lang={language}")
        assert page.locator("html").get_attribute("lang") == language
        check_label(page, "header nav a[href='/']", "Dashboard", language)
        check_label(page, "header nav a[href='/pledges']", "Pledges", language)
        assert first_figure(page) == before + 1, f"the dashboard ({language}) does not count the new pledge"
        screenshot(page, "dashboard" if language == "en" else "dashboard-fr")

        visit(page, "/pledges")  # the language is remembered in a cookie
        assert page.locator("html").get_attribute("lang") == language
        check_label(page, "label[for=f-q]", "Search", language)
        check_label(page, "form.filters button[type=submit]", "Apply", language)
        if language == "en":
            screenshot(page, "explorer")
        page.locator("#f-q").fill(KEYWORD)
        page.locator("form.filters button[type=submit]").click()
        page.wait_for_url(re.compile(rf"/pledges\?.*q={KEYWORD}"))
        found = page.locator(f"main table a[href='/pledges/{ref}']")
        assert found.count() == 1, f"the explorer's search for {KEYWORD} does not find {ref} ({language})"
        assert page.locator("main tbody tr").count() == 1, "the search finds other pledges too"
        assert TITLE in page.locator("main tbody").inner_text()

        visit(page, "/countries/MWI")
        assert page.locator("html").get_attribute("lang") == language
        listed = page.locator(f"main a[href='/pledges/{ref}']")
        assert listed.count() == 1, f"{ref} is not listed on Malawi's page ({language})"
        assert TITLE in page.locator("main").inner_text()
        check_label(page, "#pledges-title", "Partner2Connect pledges", language)
        if language == "en":
            screenshot(page, "country-mwi")

        visit(page, f"/pledges/{ref}")
        assert page.locator("html").get_attribute("lang") == language
        check_label(page, "#reports", "Progress reports", language)
        assert page.locator("h1").inner_text().strip() == TITLE
        assert page.locator("main a[href='/countries/MWI']").count() >= 1

    # Announced in March 2025 with no report: overdue. A progress report turns it green.
    visit(public, f"/pledges/{ref}")
    assert public.locator("main .badge.health-red").count() >= 1, "a pledge over a year old without report is red"
    visit(pledger, "/portal")
    pledger.locator(f"main a[href='/portal/pledges/{ref}/report']").click()
    pledger.wait_for_url(f"**/portal/pledges/{ref}/report")
    pledger.locator("#status").select_option("in_progress")
    pledger.locator("#percent_complete").fill("30")
    pledger.locator("#usd_committed").fill("1000000")
    pledger.locator("#usd_disbursed").fill("750000")
    pledger.locator("#people_reached").fill("18000")
    pledger.locator("#narrative").fill("45 schools connected; the next 60 are surveyed.")
    pledger.locator(f"main form[action='/portal/pledges/{ref}/report'] button[type=submit]:not(.secondary)").click()
    assert saved_reference(pledger) == ref

    # Filed, the report counts for the pledger's reporting health; the secretariat publishes it.
    visit(public, f"/pledges/{ref}")
    assert "45 schools connected" not in public.locator("main").inner_text(), "an unreviewed report is public"
    year = dt.date.today().year - 1
    visit(review, f"/secretariat/pledges/{ref}")
    review.locator(f"form[action='/secretariat/pledges/{ref}/reports/{year}/publish'] button[type=submit]").click()
    review.wait_for_load_state()

    visit(public, f"/pledges/{ref}")
    assert public.locator("main .badge.health-green").count() >= 1, "reporting health is not green after a report"
    assert public.locator("main .badge.health-red").count() == 0
    assert "45 schools connected" in public.locator("main").inner_text(), "the report is not on the pledge page"
    screenshot(public, "pledge")
