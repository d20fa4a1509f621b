"""An agent imports a small file with a bad row: the preview shows the row and its reason,
the check and the import run a row per request under the progress bar's script, and the
report counts what was done."""
import csv

import pytest
from playwright.sync_api import expect

from app.auth.models import Role
from tests.browser.conftest import open_page
from tests.conftest import PASSWORD
from tests.jobseekers.test_import import GOOD, HEADER


@pytest.fixture
def english_page(browser, live_server, app, tmp_path):
    # One row per request: three rows make a check and an import of several chunks each.
    app.config.update(IMPORT_FOLDER=str(tmp_path / "imports"), IMPORT_CHUNK_ROWS=1)
    yield from open_page(browser, live_server, app, "en-GB")
    for key in ("IMPORT_FOLDER", "IMPORT_CHUNK_ROWS"):
        app.config.pop(key)


def test_import_with_a_bad_row(english_page, create_agency, create_user, tmp_path):
    page = english_page
    agency = create_agency("SN", region="SN-DK", code="SN-DKR-01")
    agent = create_user(Role.AGENT, agency=agency, full_name="Fatou Sow")
    path = tmp_path / "seekers.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, GOOD[0], ["B-1", "", "Fatou", "F", "1990", "", "", "Dakar", "F1703",
                                                        "SN-DKR-01"], GOOD[1]])

    page.goto("/login")
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.locator("#import-example")).to_contain_text("SN-DKR-01")
    page.get_by_label("File (CSV or XLSX)").set_input_files(path)
    page.get_by_role("button", name="Check the file").click()

    # The script checks the remaining rows, then the page shows the result of the check.
    expect(page.get_by_role("heading", name="Result of the check")).to_be_visible()
    expect(page.locator("#import-preview tbody tr")).to_have_count(3)
    bad = page.locator("#import-errors tbody tr")
    expect(bad).to_have_count(1)
    expect(bad.first).to_contain_text("3")
    expect(bad.first).to_contain_text("The last name is missing.")
    page.get_by_role("button", name="Import the good rows (2)").click()

    expect(page.get_by_role("heading", name="Import report")).to_be_visible()
    expect(page.locator("#import-created")).to_have_text("2")
    expect(page.locator("#import-rejected")).to_have_text("1")
    expect(page.locator("#import-errors")).to_contain_text("The last name is missing.")
    with page.expect_download() as download:
        page.locator("#import-bad-rows").click()
    assert "The last name is missing." in download.value.path().read_text(encoding="utf-8-sig")
