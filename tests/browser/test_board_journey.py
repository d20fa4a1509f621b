"""A visitor with no account looks for work on the public board: types a job in words, reads
which occupation was searched, pages through the results and opens an offer; then the same
on a phone browser with JavaScript switched off, where the language switch must work too."""
import re

import pytest
from playwright.sync_api import expect

from app.reference.lookup import get_coder
from tests.offers.test_board import abroad, make_employer, make_offer  # noqa: F401 (fixtures)


@pytest.fixture
def offers(app, create_agency, make_offer):
    """Thirty masons' offers in Senegal, newest first by number, a driver's and one abroad."""
    create_agency("SN", region="SN-DK")
    masons = [make_offer(f"Maçon n° {n}", published_days_ago=n) for n in range(1, 31)]
    make_offer("Chauffeur poids lourd", occupation_code="N4101")
    make_offer("Maçon en Espagne", **abroad(), published_days_ago=40)
    with app.app_context():
        get_coder()  # built once per process; the first search must not wait for it
    return masons


@pytest.fixture
def no_script_page(browser, live_server, app):
    """A browser with JavaScript switched off, CSRF on as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    context = browser.new_context(java_script_enabled=False, base_url=live_server, locale="en-GB")
    context.set_default_timeout(15000)
    try:
        yield context.new_page()
    finally:
        context.close()
        app.config["WTF_CSRF_ENABLED"] = False


def test_search_page_and_open_an_offer(page, offers):
    page.goto("/jobs/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator(".offer")).to_have_count(25)
    page.locator("#occupation").fill("maçon")
    page.locator("form[role=search] summary").click()  # the other filters are folded
    page.locator("#scope").select_option("national")
    page.locator("form[role=search] button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"occupation=ma%C3%A7on"))
    expect(page.locator("#searching-for")).to_contain_text("F1703 · Maçonnerie")
    expect(page.locator(".offer")).to_have_count(25)
    expect(page.locator(".offer h2").first).to_have_text("Maçon n° 1")
    page.get_by_role("link", name="Suivant").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator(".offer")).to_have_count(5)
    expect(page.locator("#occupation")).to_have_value("maçon")
    page.get_by_role("link", name="Maçon n° 30").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Maçon n° 30")
    expect(page.get_by_text("F1703 · Maçonnerie")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("F1703 · Masonry")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maçon n° 30")


def test_the_board_works_without_javascript(no_script_page, offers):
    page = no_script_page
    page.goto("/jobs/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Occupation: code or job title").fill("mason")
    expect(page.get_by_label("In the country or abroad")).to_be_hidden()
    page.get_by_text("More filters").click()  # <details> opens without a script
    page.get_by_label("In the country or abroad").select_option(label="Abroad")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#searching-for")).to_contain_text("F1703 · Masonry")
    expect(page.get_by_label("In the country or abroad")).to_be_visible()  # a filter in use stays unfolded
    expect(page.locator(".offer")).to_have_count(1)
    page.get_by_role("link", name="Maçon en Espagne").click()

    expect(page.get_by_role("heading", name="Working abroad")).to_be_visible()
    expect(page.locator("#no-fee")).to_contain_text("No fee may be asked of you")
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_text("F1703 · Maçonnerie")).to_be_visible()
    page.locator("header .brand").click()
    expect(page.locator(".offer")).to_have_count(25)
