"""The counter journey in English, with a full profile and a mistake at every step: the form
explains each one and keeps what was typed; then the card, a status change and the history."""
import pytest
from playwright.sync_api import expect

from app.auth.models import Role
from tests.browser.conftest import open_page
from tests.conftest import PASSWORD


@pytest.fixture
def english_page(browser, live_server, app):
    yield from open_page(browser, live_server, app, "en-GB")


def test_counter_registration_with_a_full_profile_in_english(english_page, create_user):
    page = english_page
    agent = create_user(Role.AGENT, full_name="Fatou Sow")
    page.goto("/login")
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Job-seekers").click()
    page.get_by_role("link", name="Register a job-seeker").click()

    # Identity with a wrong phone number, and an occupation in the person's words.
    page.get_by_label("Last name").fill("Ndiaye")
    page.get_by_label("First names").fill("Khady")
    page.get_by_label("Date of birth, or year").fill("1998")
    page.get_by_label("Phone", exact=True).fill("12")
    page.get_by_label("Occupation sought").fill("coiffeuse")
    page.get_by_role("button", name="Show the skills of these occupations").click()
    expect(page.get_by_label("Phone", exact=True)).to_have_value("12")
    skills = page.locator("input[name=skills]")
    expect(skills.first).to_be_visible()
    skills.nth(0).check()
    skills.nth(1).check()

    # Profile rows with mistakes: a language without its level, an experience that ends before it starts.
    page.locator("#languages-0-language").select_option("wol")
    page.locator("#languages-1-language").select_option("fra")
    page.locator("#languages-1-level").select_option("intermediate")
    page.locator("#experiences-0-kind").select_option("apprenticeship")
    page.locator("#experiences-0-title").fill("Apprentie coiffeuse")
    page.locator("#experiences-0-employer").fill("Salon Awa")
    page.locator("#experiences-0-start_year").fill("2019")
    page.locator("#experiences-0-end_year").fill("2016")
    page.get_by_label("Education level").select_option("2")
    page.get_by_label("B: car").check()
    page.get_by_label("Salary expected").fill("75000")
    page.get_by_label("Period").select_option("month")
    page.get_by_label("Interested in working abroad").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("This phone number is not valid")).to_be_visible()
    expect(page.get_by_text("Give the level in this language.")).to_be_visible()
    expect(page.get_by_text("The end comes before the start.")).to_be_visible()
    expect(page.locator("#experiences-0-employer")).to_have_value("Salon Awa")
    expect(page.locator("input[name=skills]:checked")).to_have_count(2)
    expect(page.get_by_label("B: car")).to_be_checked()

    page.get_by_label("Phone", exact=True).fill("77 640 11 22")
    page.locator("#languages-0-level").select_option("native")
    page.locator("#experiences-0-end_year").fill("2021")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Khady Ndiaye is registered under number")
    expect(page.get_by_text("Wolof (Mother tongue)")).to_be_visible()
    expect(page.get_by_text("Apprentie coiffeuse · Traditional apprenticeship")).to_be_visible()
    expect(page.get_by_text("Lower secondary education")).to_be_visible()

    # The card, with its QR code.
    page.get_by_role("link", name="Print the card").click()
    expect(page.locator(".jobseeker-card svg")).to_be_visible()
    number = page.locator("#card-number").inner_text()
    page.get_by_role("link", name="Back to the record").click()

    # A status change, kept in the history with its author.
    page.get_by_label("Status", exact=True).select_option("placed")
    page.get_by_role("button", name="Change the status").click()
    expect(page.get_by_role("alert")).to_contain_text("The status is now: Placed.")
    expect(page.locator("#history")).to_contain_text("Status changed · Fatou Sow")
    expect(page.locator("#history")).to_contain_text("Active → Placed")
    page.goto(f"/jobseekers/n/{number}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Khady Ndiaye")
