"""An agent registers a person, then the same person again under another spelling: the
form shows the probable duplicate, asks for a reason, and keeps what was typed."""
import re

from playwright.sync_api import expect

from app.auth.models import Role
from tests.conftest import PASSWORD


def fill(page, last, first, birth, phone=""):
    page.get_by_label("Nom de famille").fill(last)
    page.get_by_label("Prénoms").fill(first)
    page.get_by_label("Date de naissance, ou année").fill(birth)
    page.get_by_label("Téléphone", exact=True).fill(phone)
    page.get_by_label("Métier recherché").fill("maçon")


def test_counter_registration_with_a_duplicate(page, create_user):
    agent = create_user(Role.AGENT, full_name="Adama Koné")
    page.goto("/login")
    page.get_by_label("Identifiant").fill(agent.username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Demandeurs d’emploi").click()
    page.get_by_role("link", name="Inscrire un demandeur d’emploi").click()

    fill(page, "Traoré", "Mamadou", "31/02/1990", "77 123 45 67")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Donnez une date (JJ/MM/AAAA)")).to_be_visible()
    expect(page.get_by_label("Nom de famille")).to_have_value("Traoré")
    page.get_by_label("Date de naissance, ou année").fill("12/05/1990")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("Mamadou Traoré est inscrit(e) sous le numéro")
    expect(page.get_by_text("F1703 · Maçonnerie")).to_be_visible()

    page.goto("/jobseekers/new")
    fill(page, "Traore", "Mamadu", "1990")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#duplicates")).to_contain_text("Mamadou Traoré")
    expect(page.get_by_label("Prénoms")).to_have_value("Mamadu")
    page.get_by_label("C’est une autre personne : inscrire quand même").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Dites pourquoi il s’agit d’une autre personne.")).to_be_visible()
    page.get_by_label("C’est une autre personne : inscrire quand même").check()
    page.get_by_label("Pourquoi s’agit-il d’une autre personne ?").fill("Homonyme, autre village")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("Mamadu Traore est inscrit(e)")
    expect(page.get_by_text("Inscrit malgré un doublon suspecté")).to_be_visible()

    page.get_by_role("link", name="Demandeurs d’emploi").click()
    page.get_by_label("Nom, numéro d’inscription, téléphone ou pièce d’identité").fill("mamadou traore")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"q=mamadou\+traore"))
