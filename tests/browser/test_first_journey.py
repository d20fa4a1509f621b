"""An administrator logs in, switches to English, searches an occupation with a typo and
opens its fiche; then logs out, and the back button does not bring the session back."""
import re

from playwright.sync_api import expect

from app.auth.models import Role
from tests.conftest import PASSWORD


def test_admin_journey(page, create_user):
    admin = create_user(Role.ADMIN, national=True, username="chef.dakar", full_name="Mariama Ndiaye")

    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_label("Identifiant").fill(admin.username)
    page.get_by_label("Mot de passe").fill("wrong-password-1")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("Identifiant ou mot de passe incorrect.")
    expect(page.get_by_label("Identifiant")).to_have_value(admin.username)

    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Bienvenue, Mariama Ndiaye.")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Welcome, Mariama Ndiaye.")).to_be_visible()

    # A typo and no accent: "maçon" typed as "macon" with a letter doubled.
    page.get_by_label("Find an occupation from what the person says").fill("maconn")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/occupations/search\?q=maconn"))
    first = page.locator("#suggestions li").first
    expect(first).to_contain_text("F1703")
    first.get_by_role("link").click()

    expect(page).to_have_url(re.compile(r"/occupations/F1703$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("F1703 · Masonry")
    expect(page.get_by_role("heading", name="Related occupations")).to_be_visible()
    expect(page.get_by_role("heading", name="ISCO-08 groups")).to_be_visible()
    expect(page.get_by_text("7112 · Bricklayers and related workers")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("alert")).to_contain_text("You are logged out.")
    page.goto("/admin/users")
    expect(page).to_have_url(re.compile(r"/login"))
