"""An employer drafts and submits an international offer that asks the worker for a fee; the
agent cannot publish it; a manager clears the warning with a comment; the agent publishes.

Selectors use ids and form actions, not the labels, so that the journey holds in any language."""
from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from app.auth.models import Role
from app.extensions import db
from app.offers.models import Offer
from tests.conftest import PASSWORD
from tests.offers.test_offers import PDF, add_employer


def log_in(page, user) -> None:
    page.goto("/login")
    page.get_by_label("Identifiant").fill(user.username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def log_out(page) -> None:
    page.locator("form[action='/logout'] button").click()


def open_the_offer_as(page, user) -> None:
    log_in(page, user)
    page.locator("nav a[href='/offers/']").click()
    page.locator("tbody a").first.click()


def offer_status(app) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(Offer.status))


def test_international_offer_with_a_fee_is_held_until_a_manager_clears_it(
        page, app, create_user, create_agency, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    agency = create_agency("SN")
    employer = add_employer(app, name="Agrícola del Sur", kind="foreign", seat_country="ES", registered=False,
                            licence_number="ES-AG-778", agency_id=agency.id)
    owner = create_user(Role.EMPLOYER, employer_id=employer, full_name="Lucía Martín")
    agent = create_user(Role.AGENT, agency=agency, full_name="Adama Koné")
    manager = create_user(Role.MANAGER, agency=agency, full_name="Mariama Ba")

    log_in(page, owner)
    page.locator("nav a[href='/offers/']").click()
    page.locator("a[href='/offers/new']").click()
    page.locator("#job_title").fill("Ouvrier agricole saisonnier")
    page.locator("#refresh").click()  # codes the title and lists the fiche's skills, without JavaScript
    expect(page.locator("#occupation_code")).not_to_have_value("")
    page.locator("input[name=required_skills]").first.check()
    page.locator("#international").check()
    page.locator("#destination_country").select_option("ES")
    page.locator("#city").fill("Huelva")
    page.locator("#contract_type").select_option("seasonal")
    page.locator("#salary_min").fill("1200")
    page.locator("#salary_currency").select_option("EUR")
    page.locator("#travel").select_option("employer")
    page.locator("#housing").select_option("employer")
    page.locator("#worker_fee").fill("350000")
    page.locator("#closing_date").fill((date.today() + timedelta(days=30)).isoformat())
    page.locator("#submit").click()
    expect(page.locator("#contract_months + .invalid-feedback, #contract_months ~ .invalid-feedback")).to_be_visible()
    expect(page.locator("#city")).to_have_value("Huelva")  # what was typed is kept
    page.locator("#contract_months").fill("4")
    page.locator("#submit").click()
    expect(page).to_have_url(re.compile(r"/offers/\d+$"))

    page.locator("#document").set_input_files(
        files=[{"name": "contrat.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.locator("form[action$='/contract'] button").click()
    expect(page.locator("a[href$='/contract.pdf']")).to_be_visible()
    page.locator("form[action$='/steps/submit'] button").click()
    expect(page.locator("#flags li")).to_have_count(1)  # only the fee
    assert offer_status(app) == "submitted"
    expect(page.locator("form[action$='/steps/publish']")).to_have_count(0)  # employers never publish
    log_out(page)

    open_the_offer_as(page, agent)
    page.locator("form[action$='/steps/publish'] button").click()
    expect(page.locator(".alert-danger")).to_be_visible()
    assert offer_status(app) == "submitted"
    expect(page.locator("textarea[name=comment]")).to_have_count(0)  # agents do not clear warnings
    log_out(page)

    open_the_offer_as(page, manager)
    page.locator("textarea[name=comment]").fill("Frais de visa remboursés à l'arrivée, clause 7 du contrat")
    page.locator("form[action*='/flags/'] button").click()
    expect(page.locator("#flags")).to_contain_text("Frais de visa remboursés à l'arrivée")
    expect(page.locator("#flags")).to_contain_text("Mariama Ba")
    log_out(page)

    open_the_offer_as(page, agent)
    page.locator("form[action$='/steps/publish'] button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert offer_status(app) == "published"
    expect(page.locator("#history")).to_contain_text("Adama Koné")
    expect(page.locator("#history")).to_contain_text("Lucía Martín")
