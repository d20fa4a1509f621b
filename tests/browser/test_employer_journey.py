"""An employer registers online in French, mistypes its NINEA and sees the form again with what
it typed; an agent of the chosen agency approves it; the employer then logs in and finds its page.

New fields are found by their ids, so that the journey holds before and after their French
translation; the login uses the French labels the catalogue already has."""
import re

from playwright.sync_api import expect

from app.auth.models import Role
from tests.conftest import PASSWORD


def answer_the_sum(page):
    a, b = map(int, re.findall(r"\d+", page.locator("label[for=answer]").inner_text())[:2])
    page.locator("#answer").fill(str(a + b))


def log_in(page, username, password):
    page.goto("/login")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_online_registration_approved_then_employer_logs_in(page, create_agency, create_user):
    agency = create_agency("SN", name="Agence de Pikine")
    agent = create_user(Role.AGENT, agency=agency, full_name="Adama Koné")

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.locator("a.nav-link[href='/employers/register']").click()
    page.locator("#country").select_option("SN")
    page.locator("#submit").click()
    expect(page).to_have_url(re.compile(r"country=SN"))
    expect(page.locator("label[for=number_2]")).to_contain_text("NINEA")

    page.locator("#name").fill("Boulangerie Keur Massar")
    page.locator("#legal_form").select_option("sarl")
    page.locator("#sector").select_option("C")
    page.locator("#number_1").fill("SN DKR 2020 B 4567")
    page.locator("#number_2").fill("12AB")  # the mistake
    page.locator("#phone").fill("77 654 32 10")
    page.locator("#email").fill("contact@keurmassar.sn")
    page.locator("#city").fill("Keur Massar")
    page.locator("#agency_id").select_option(str(agency.id))
    page.locator("#full_name").fill("Ndèye Diop")
    page.locator("#username").fill("ndeye.diop")
    page.locator("#password").fill("Pain2026frais")
    page.locator("#confirm").fill("Pain2026frais")
    answer_the_sum(page)
    page.locator("#submit").click()

    expect(page.locator("#number_2-errors")).to_be_visible()
    expect(page.locator("#name")).to_have_value("Boulangerie Keur Massar")
    expect(page.locator("#city")).to_have_value("Keur Massar")
    expect(page.locator("#password")).to_have_value("")
    page.locator("#number_2").fill("0012345 2G3")
    page.locator("#password").fill("Pain2026frais")
    page.locator("#confirm").fill("Pain2026frais")
    answer_the_sum(page)
    page.locator("#submit").click()
    expect(page).to_have_url(re.compile(r"/employers/registered$"))
    expect(page.get_by_role("alert")).to_contain_text("Agence de Pikine")

    log_in(page, "ndeye.diop", "Pain2026frais")  # not approved yet
    expect(page).to_have_url(re.compile(r"/login"))

    log_in(page, agent.username, PASSWORD)
    page.goto("/employers/pending")
    page.locator("#pending").get_by_role("link", name="Boulangerie Keur Massar").click()
    page.locator("#comment").fill("RCCM et NINEA vérifiés par téléphone")
    page.locator("#approve").click()
    expect(page).to_have_url(re.compile(r"/employers/pending$"))
    expect(page.locator("#pending")).not_to_contain_text("Boulangerie Keur Massar")
    page.get_by_role("button", name="Se déconnecter").click()

    log_in(page, "ndeye.diop", "Pain2026frais")
    page.locator("a.nav-link[href='/employers/']").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Boulangerie Keur Massar")
    expect(page.locator("#registrations")).to_contain_text("0012345-2G3")
    expect(page.locator("#history")).to_contain_text("Adama Koné")
