"""A counsellor looks for masons for an offer: the order is the one a counsellor expects, the
filters narrow it, two people are referred, one is sent, the employer records the hiring and
the person is placed. Then, from a person's record, the offers that fit them.

Hand-made cases whose right order is obvious:
* Awa: mason, all the core skills of the offer, six years in the trade;
* Fatou: mason, the same skills, no experience (the offer asks for three years);
* Ibou: plumber-heating engineer, a fiche with a ROME mobility link to masonry, some skills;
* Moussa: a driver, nothing to do with masonry;
* Coumba: a mason who did not agree to be proposed to employers: never listed.
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from app.auth.models import Role
from app.extensions import db
from app.jobseekers.models import JobSeeker
from app.offers.models import Offer, OfferSkill
from app.reference.models import OccupationSkill
from tests.browser.conftest import open_page
from tests.browser.test_offer_journey import log_in, log_out
from tests.conftest import PASSWORD
from tests.matching.factories import add_employer, add_offer, add_seeker


def _core_skills(app, fiche: str, count: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OccupationSkill.skill_code).where(
            OccupationSkill.occupation_code == fiche, OccupationSkill.core.is_(True))
            .order_by(OccupationSkill.skill_code).limit(count)))


def test_a_counsellor_finds_refers_and_the_employer_hires(browser, live_server, app, create_agency, create_user):
    agency = create_agency("SN")
    employer_id = add_employer(app, agency.id, name="BTP Sahel SARL")
    skills = _core_skills(app, "F1703", 4)
    offer = add_offer(app, employer_id, job_title="Maçon qualifié", experience_years=3, positions=1)
    with app.app_context():
        db.session.add_all(OfferSkill(offer_id=offer, skill_code=code, required=True) for code in skills)
        db.session.commit()
    awa = add_seeker(app, agency.id, "Diop", "Awa", fiche="F1703", years=6, skills=tuple(skills))
    fatou = add_seeker(app, agency.id, "Sarr", "Fatou", fiche="F1703", years=0, skills=tuple(skills))
    ibou = add_seeker(app, agency.id, "Faye", "Ibou", fiche="F1603", years=6, skills=tuple(skills[:2]))
    add_seeker(app, agency.id, "Ndiaye", "Moussa", fiche="N4101", years=6)
    add_seeker(app, agency.id, "Sow", "Coumba", fiche="F1703", years=6, skills=tuple(skills), consent=False)
    counsellor = create_user(Role.COUNSELLOR, agency=agency, full_name="Khady Mbaye")
    boss = create_user(Role.EMPLOYER, employer_id=employer_id, full_name="Modou Gaye")

    for page in open_page(browser, live_server, app, "fr-FR"):
        log_in(page, counsellor)
        page.goto(f"/offers/{offer}")
        page.locator("#find-candidates").click()
        expect(page.locator("#results")).to_be_visible()
        names = [re.sub(r"\s+", " ", t) for t in page.locator("#results > li h2").all_inner_texts()]
        order = [next(n for n in ("Awa", "Fatou", "Ibou", "Moussa", "Coumba") if n in t) for t in names]
        assert order[:2] == ["Awa", "Fatou"], order  # experience decides between the two masons
        assert order.index("Ibou") < order.index("Moussa")  # a related fiche before an unrelated one
        assert "Coumba" not in order  # no consent, never proposed
        # Every result explains itself: a sentence, the factors and what is missing.
        first = page.locator(f"#seeker-{awa}")
        expect(first.locator(".matching-sentence")).to_contain_text("même métier")
        expect(first.locator("meter, progress").first).to_be_attached()

        # Same occupation only: the plumber and the driver go.
        page.locator("select[name=related]").select_option("0")
        page.locator("form.matching-filters button[type=submit]").click()
        expect(page.locator(f"#seeker-{ibou}")).to_have_count(0)
        expect(page.locator(f"#seeker-{awa}")).to_be_visible()

        # Refer Awa and Fatou; they then carry the "already referred" mark.
        page.locator(f"#pick-{awa}").check()
        page.locator(f"#pick-{fatou}").check()
        page.locator("#refer-form button[type=submit]").click()
        expect(page.locator(".alert").first).to_contain_text("2 personnes proposées")
        expect(page.locator(f"#seeker-{awa}")).to_have_count(0)  # already referred: left out by default
        page.locator("input[name=referred]").check()
        page.locator("form.matching-filters button[type=submit]").click()
        expect(page.locator(f"#seeker-{awa} .badge")).to_be_visible()

        # The offer's page lists the referrals; Awa's is sent to the employer.
        page.goto(f"/offers/{offer}")
        row = page.locator("#referrals tr", has_text="Awa")
        row.locator("a[href^='/referrals/']").click()
        page.locator("details:has(#step-send) summary").click()
        page.locator("#step-send button[type=submit]").click()
        expect(page.locator("body")).to_contain_text("envoyée à l’employeur")
        log_out(page)

        # The employer sees Awa (sent), not Fatou (only proposed), and records the hiring.
        log_in(page, boss)
        page.goto("/referrals/")
        expect(page.locator("#referrals")).to_contain_text("Awa")
        expect(page.locator("#referrals")).not_to_contain_text("Fatou")
        page.locator("#referrals a[href^='/referrals/']").first.click()
        page.locator("details:has(#step-hire) summary").click()
        page.locator("#step-hire button[type=submit]").click()
        expect(page.locator("body")).to_contain_text("la personne est maintenant placée")
        log_out(page)

    with app.app_context():
        assert db.session.get(JobSeeker, awa).status == "placed"
        filled = db.session.get(Offer, offer)
        assert (filled.positions_filled, filled.status) == (1, "filled")


def test_from_a_record_the_offers_that_fit_and_what_the_person_lacks(browser, live_server, app, create_agency,
                                                                    create_user):
    agency = create_agency("SN")
    employer_id = add_employer(app, agency.id)
    skills = _core_skills(app, "F1703", 3)
    mason = add_offer(app, employer_id, job_title="Maçon coffreur")
    with app.app_context():
        db.session.add_all(OfferSkill(offer_id=mason, skill_code=code, required=True) for code in skills)
        db.session.commit()
    driver = add_offer(app, employer_id, job_title="Chauffeur livreur", occupation_code="N4105")
    person = add_seeker(app, agency.id, "Diop", "Awa", fiche="F1703", years=4, skills=tuple(skills[:1]))
    counsellor = create_user(Role.COUNSELLOR, agency=agency)

    for page in open_page(browser, live_server, app, "en-GB"):
        page.goto("/login")
        page.get_by_label("Username").fill(counsellor.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"/jobseekers/{person}")
        page.locator("#find-offers").click()
        results = page.locator("#results > li")
        expect(results.first).to_contain_text("Maçon coffreur")
        expect(results.first).to_contain_text("Skills to acquire")
        ids = [int(x.split("-")[1]) for x in results.evaluate_all("els => els.map(e => e.id)")]
        assert ids.index(mason) < ids.index(driver) if driver in ids else ids[0] == mason
        expect(page.locator("body")).to_contain_text("Occupations they could move to")

