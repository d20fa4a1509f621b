"""International mobility in a real browser.

1. A mobility counsellor opens a dossier from the person's record, records the consent to share
   abroad, assesses the risks (an intermediary asked for fees: a red flag), counsels, proposes a
   national offer as an alternative, sets the matched international offer and asks a manager to
   approve "matched"; the manager sends it back with a comment, the counsellor asks again, the
   manager approves.
2. Crafted requests, carrying the session cookie and a valid CSRF token: a counsellor cannot
   approve, nor skip the review; a mobility counsellor of another agency gets 404 everywhere.
3. The documents checklist (in English): a real PDF is kept and downloadable; an HTML page named
   passport.pdf and a program named .png are refused, nothing is saved and what was typed stays.

Selectors use ids and form actions, not the labels, so that the journeys hold in any language.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import expect

from app.auth.models import Country, Role
from app.extensions import db
from app.jobseekers import services as seekers
from app.jobseekers.models import ConsentPurpose, JobSeeker
from app.mobility.models import (
    Alternative, CounsellingSession, Dossier, DossierDocument, DossierEvent, RiskAssessment,
)
from app.mobility.services import next_dossier_number
from app.offers.models import Offer
from tests.browser.conftest import open_page
from tests.conftest import PASSWORD
from tests.matching.factories import add_employer, add_offer, add_seeker
from tests.mobility.test_extra_helpers import EXE, HTML, PDF, PNG

# ------------------------------------------------------------------ helpers


def log_in(page, user) -> None:
    """Log in through the form, by its ids (any language)."""
    page.goto("/login")
    page.locator("#username").fill(user.username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form:has(#password) [type=submit]").click()
    expect(page.locator("form[action='/logout']")).to_be_attached()


def log_out(page) -> None:
    page.locator("form[action='/logout'] button").click()
    expect(page.locator("form[action='/logout']")).to_have_count(0)


def csrf_token(page) -> str:
    """The CSRF token of the page (the log-out form carries one on every page)."""
    return page.locator("form[action='/logout'] input[name=csrf_token]").input_value()


def post(page, url: str, **form):
    """A crafted POST with the page's cookies and a valid CSRF token; redirects not followed
    (a success would answer 302)."""
    return page.request.post(url, form={"csrf_token": csrf_token(page), **form}, max_redirects=0)


def dossier_row(app, dossier_id: int):
    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        db.session.expunge(dossier)
        return dossier


def events(app, dossier_id: int) -> list[tuple[str, int | None, str | None]]:
    with app.app_context():
        return [(e.kind, e.actor_id, e.comment) for e in db.session.scalars(
            sa.select(DossierEvent).where(DossierEvent.dossier_id == dossier_id).order_by(DossierEvent.id))]


def give_abroad_consent(app, seeker_id: int) -> None:
    with app.test_request_context():
        seekers.give_consent(db.session.get(JobSeeker, seeker_id), ConsentPurpose.SHARE_ABROAD)
        db.session.commit()


def add_dossier(app, seeker_id: int, agency_id: int, counsellor_id: int, *, stage: str = "counselling",
                offer_id: int | None = None, project: str = "work", destinations: tuple[str, ...] = ("FR",)) -> int:
    """A dossier written straight at ``stage``, with a risk assessment (no programme)."""
    with app.test_request_context():
        seeker = db.session.get(JobSeeker, seeker_id)
        dossier = Dossier(number=next_dossier_number(seeker.country_code), jobseeker_id=seeker_id,
                          country_code=seeker.country_code, agency_id=agency_id, counsellor_id=counsellor_id,
                          stage=stage, project_kind=project, channel="own_offer" if offer_id else "none",
                          offer_id=offer_id)
        dossier.destinations = list(db.session.scalars(sa.select(Country).where(Country.code.in_(destinations))))
        dossier.assessment = RiskAssessment(aware_of_risks=True, fee_asked=False)
        db.session.add(dossier)
        db.session.commit()
        return dossier.id


def international_offer(app, agency_id: int) -> tuple[int, str]:
    employer = add_employer(app, agency_id, name="Agri Sud SL")
    offer = add_offer(app, employer, international=True, destination_country="FR", job_title="Ouvrier agricole",
                      occupation_code="A1401")
    with app.app_context():
        return offer, db.session.get(Offer, offer).reference


# ------------------------------------------------------------------ 1. counsellor and manager


def test_a_counsellor_builds_the_dossier_and_a_manager_approves_after_sending_it_back(
        page, app, create_agency, create_user):
    agency = create_agency("SN", name="Agence de Dakar")
    head_office = create_agency("SN", name="Direction générale")
    counsellor = create_user(Role.MOBILITY_COUNSELLOR, agency=agency, full_name="Moussa Ba")
    manager = create_user(Role.MANAGER, agency=head_office, full_name="Aminata Fall")
    abroad, abroad_ref = international_offer(app, agency.id)
    national = add_offer(app, add_employer(app, agency.id, name="BTP Sahel SARL"), job_title="Maçon coffreur")
    person = add_seeker(app, agency.id, "Ndiaye", "Awa", fiche="F1703", years=5)

    # From the person's record to a new dossier.
    log_in(page, counsellor)
    page.goto(f"/jobseekers/{person}")
    expect(page.locator("#mobility-dossier")).to_have_text("Dossier de mobilité")
    page.locator("#mobility-dossier").click()
    expect(page).to_have_url(re.compile(rf"/mobility/dossiers/new\?jobseeker_id={person}$"))
    page.locator("#project_kind").select_option("seasonal")
    page.locator("#channel").select_option("own_offer")
    page.locator("#destinations").select_option(["FR", "ES"])
    page.locator("#occupations-1-text").fill("A1401")  # the occupation sought abroad, by its code
    page.locator("#refresh").click()  # codes it, saving nothing
    expect(page.locator("#occupations-1-code")).to_have_value("A1401")
    expect(page.locator("#channel")).to_have_value("own_offer")  # what was chosen stays
    page.locator("#motivation").fill("Travailler une saison dans l’agriculture pour financer mon atelier")
    page.locator("#submit").click()
    expect(page).to_have_url(re.compile(r"/mobility/dossiers/\d+$"))
    expect(page.locator("main > .alert-success")).to_contain_text("est ouvert")
    dossier_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#summary")).to_contain_text("A1401")
    expect(page.locator("#summary")).to_contain_text("financer mon atelier")
    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        assert (dossier.stage, dossier.project_kind, dossier.channel, dossier.counsellor_id) == \
            ("opened", "seasonal", "own_offer", counsellor.id)
        assert sorted(c.code for c in dossier.destinations) == ["ES", "FR"]
        assert sorted(o.code for o in dossier.occupations) == ["A1401", "F1703"]

    # No consent to share abroad yet: the page says so and links to the record.
    page.locator("#consent-warning a").click()
    page.locator("#consent_share_abroad").check()
    page.locator("form:has(#consent_share_abroad) [type=submit][name=submit]").click()
    expect(page.locator("main > .alert-success")).to_be_visible()
    page.goto(f"/mobility/dossiers/{dossier_id}")
    expect(page.locator("#consent-warning")).to_have_count(0)

    # The risk assessment: fees asked by an intermediary raise a red flag.
    page.locator(f"form[action='/mobility/dossiers/{dossier_id}/steps/assess'] button").click()
    expect(page.locator("main > .alert-success")).to_be_visible()
    assert dossier_row(app, dossier_id).stage == "assessment"
    page.locator("#assessment details > summary").click()
    page.locator("#aware_of_risks").select_option("yes")
    page.locator("#fee_asked").select_option("yes")
    page.locator("#fee_amount").fill("350000")
    page.locator("#fee_currency").select_option("XOF")
    page.locator("#passport_retention").select_option("no")
    page.locator("#debts").select_option("no")
    page.locator("#offer_checked").select_option("yes")
    page.locator("#assessment-notes").fill("Un rabatteur de Thiès demande 350 000 F pour « le visa »")
    page.locator("#assessment-submit").click()
    expect(page.locator("main > .alert-success")).to_be_visible()
    expect(page.locator("#assessment .red-flag")).to_have_count(1)
    expect(page.locator("#assessment .red-flag")).to_contain_text("Un intermédiaire a demandé des frais")
    with app.app_context():
        assessment = db.session.scalar(sa.select(RiskAssessment).where(RiskAssessment.dossier_id == dossier_id))
        assert (assessment.fee_asked, int(assessment.fee_amount), assessment.fee_currency) == (True, 350000, "XOF")
        assert assessment.assessed_by_id == counsellor.id

    # Counselling, and a session.
    page.locator(f"form[action$='/{dossier_id}/steps/counsel'] button").click()
    expect(page.locator("main > .alert-success")).to_be_visible()
    assert dossier_row(app, dossier_id).stage == "counselling"
    page.locator("#sessions details > summary").click()
    page.locator("#held_on").fill(date.today().isoformat())
    page.locator("#minutes").fill("45")
    page.locator("#session-notes").fill("Risques des intermédiaires expliqués ; ne rien payer")
    page.locator("#next_steps").fill("Apporter le passeport")
    page.locator("#session-submit").click()
    expect(page.locator("#sessions tbody tr")).to_have_count(1)
    expect(page.locator("#sessions tbody")).to_contain_text("ne rien payer")

    # A national offer, proposed as an alternative to leaving.
    page.locator("#propose-offers").click()
    expect(page.locator(f"#offer-{national}")).to_be_visible()
    expect(page.locator(f"#offer-{abroad}")).to_have_count(0)  # international offers are no alternative
    page.locator(f"#offer-{national}").check()
    page.locator("form:has(#proposals) [type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/mobility/dossiers/{dossier_id}$"))
    expect(page.locator("#alternatives tbody tr")).to_have_count(1)
    expect(page.locator("#alternatives tbody")).to_contain_text("Maçon coffreur")

    # The matched international offer, then the request for approval.
    page.locator(f"a[href='/mobility/dossiers/{dossier_id}/edit']").click()
    page.locator("#offer_reference").fill(abroad_ref.lower())  # typed carelessly
    page.locator("#submit").click()
    expect(page.locator("main > .alert-success")).to_be_visible()
    expect(page.locator("#summary")).to_contain_text(abroad_ref)
    assert dossier_row(app, dossier_id).offer_id == abroad
    page.locator("#comment-match").fill("Contrat saisonnier vérifié avec l’employeur")
    page.locator(f"form[action$='/{dossier_id}/steps/match'] button").click()
    expect(page.locator("main > .alert-success")).to_be_visible()
    expect(page.locator("#stage .badge.text-bg-warning")).to_be_visible()  # approval pending
    expect(page.locator(f"form[action$='/{dossier_id}/approve']")).to_have_count(0)
    expect(page.locator(f"form[action$='/{dossier_id}/steps/match']")).to_have_count(0)
    row = dossier_row(app, dossier_id)
    assert (row.stage, row.review_state, row.review_stage, row.review_requested_by_id) == \
        ("counselling", "pending", "matched", counsellor.id)
    log_out(page)

    # The manager finds it in the queue and sends it back with a comment.
    log_in(page, manager)
    page.locator("nav a[href='/mobility/review']").click()
    page.locator(f"#queue a[href='/mobility/dossiers/{dossier_id}']").click()
    expect(page.locator("#review")).to_contain_text("Moussa Ba")
    expect(page.locator("#assessment .red-flag")).to_have_count(1)  # the manager sees the warning too
    page.locator("#send-back-submit").click()  # without a comment: refused
    expect(page.locator("main > .alert-danger")).to_be_visible()
    assert dossier_row(app, dossier_id).review_state == "pending"
    page.locator("#send-back-comment").fill("Joindre la preuve que les frais ne sont pas payés par le travailleur")
    page.locator("#send-back-submit").click()
    expect(page.locator("main > .alert-success")).to_be_visible()
    assert dossier_row(app, dossier_id).review_state == "sent_back"
    log_out(page)

    # The counsellor reads the comment and asks again.
    log_in(page, counsellor)
    page.goto(f"/mobility/dossiers/{dossier_id}")
    expect(page.locator("#review-comment")).to_contain_text("Joindre la preuve que les frais")
    page.locator("#comment-match").fill("Attestation de l’employeur : aucun frais pour le travailleur")
    page.locator(f"form[action$='/{dossier_id}/steps/match'] button").click()
    expect(page.locator("main > .alert-success")).to_be_visible()
    assert dossier_row(app, dossier_id).review_state == "pending"
    log_out(page)

    # The manager approves: the dossier is matched.
    log_in(page, manager)
    page.goto("/mobility/review")
    page.locator(f"#queue a[href='/mobility/dossiers/{dossier_id}']").click()
    page.locator("#approve-comment").fill("Vu l’attestation")
    page.locator("#approve-submit").click()
    expect(page.locator("main > .alert-success")).to_contain_text("Approuvé")
    expect(page.locator("#stage")).to_contain_text("Rapproché(e) d’une offre")
    expect(page.locator("#review")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("Vu l’attestation")
    page.goto("/mobility/review")
    expect(page.locator(f"#queue a[href='/mobility/dossiers/{dossier_id}']")).to_have_count(0)
    log_out(page)

    row = dossier_row(app, dossier_id)
    assert (row.stage, row.review_state, row.review_stage, row.offer_id) == ("matched", "none", None, abroad)
    kinds = [(kind, actor) for kind, actor, _comment in events(app, dossier_id)]
    assert kinds == [
        ("opened", counsellor.id), ("stage", counsellor.id), ("assessment", counsellor.id),
        ("stage", counsellor.id), ("session", counsellor.id), ("alternative", counsellor.id),
        ("edited", counsellor.id), ("review_requested", counsellor.id), ("sent_back", manager.id),
        ("review_requested", counsellor.id), ("approved", manager.id)], kinds
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CounsellingSession)
                                 .where(CounsellingSession.dossier_id == dossier_id)) == 1
        alternative = db.session.scalars(sa.select(Alternative).where(Alternative.dossier_id == dossier_id)).one()
        assert (alternative.kind, alternative.offer_id, alternative.decision) == ("offer", national, "pending")


# ------------------------------------------------------------------ 2. crafted requests


def test_crafted_requests_cannot_approve_skip_the_review_or_reach_another_agency(
        browser, live_server, app, create_agency, create_user):
    agency = create_agency("SN", name="Agence de Dakar")
    elsewhere = create_agency("SN", name="Agence de Thiès")
    counsellor = create_user(Role.MOBILITY_COUNSELLOR, agency=agency, full_name="Moussa Ba")
    stranger = create_user(Role.MOBILITY_COUNSELLOR, agency=elsewhere, full_name="Ousmane Sy")
    abroad, _ref = international_offer(app, agency.id)
    person = add_seeker(app, agency.id, "Ndiaye", "Awa")
    give_abroad_consent(app, person)
    dossier_id = add_dossier(app, person, agency.id, counsellor.id, offer_id=abroad)
    base = f"/mobility/dossiers/{dossier_id}"

    def unchanged(stage: str = "counselling", review: str = "none"):
        row = dossier_row(app, dossier_id)
        assert (row.stage, row.review_state) == (stage, review)

    for page in open_page(browser, live_server, app, "fr-FR"):
        log_in(page, counsellor)
        page.goto(base)
        version = page.locator(f"form[action='{base}/steps/match'] input[name=version]").input_value()

        # Skipping the review: "depart" from counselling, "prepare" without a partner programme.
        response = post(page, f"{base}/steps/depart", version=version)
        assert response.status == 409, response.status
        assert "n’est pas possible à cette étape" in response.text()
        unchanged()
        response = post(page, f"{base}/steps/prepare", version=version)
        assert response.status == 409, response.status
        unchanged()
        response = post(page, f"{base}/steps/nowhere", version=version)
        assert response.status == 404
        # A step needing approval is never taken directly, even by a crafted POST: only requested.
        assert [kind for kind, _a, _c in events(app, dossier_id)] == []

        # The counsellor asks for "matched" in the page, then tries to approve it himself.
        page.locator(f"form[action='{base}/steps/match'] button").click()
        expect(page.locator("main > .alert-success")).to_be_visible()
        unchanged(review="pending")
        version = str(dossier_row(app, dossier_id).version)
        for action in ("approve", "send-back"):
            response = post(page, f"{base}/{action}", version=version, comment="Je m’approuve")
            assert response.status == 403, (action, response.status)
        unchanged(review="pending")
        # While the approval is pending, no other step either.
        response = post(page, f"{base}/steps/prepare", version=version)
        assert response.status == 409
        unchanged(review="pending")
        # Without a token, nothing passes.
        response = page.request.post(f"{base}/steps/close", form={"reason": "withdrew", "version": version},
                                     max_redirects=0)
        assert response.status == 400
        unchanged(review="pending")

        # A passport for the other agency's counsellor to try.
        page.goto(f"{base}/documents")
        page.locator("#document-passport input[type=file]").set_input_files(
            files=[{"name": "passeport.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        page.locator("#checklist [type=submit]").click()
        expect(page.locator("main > .alert-success")).to_be_visible()
        download = page.locator("#document-passport a[href^='/mobility/documents/']").get_attribute("href")
        assert page.request.get(download).status == 200
        log_out(page)

    for page in open_page(browser, live_server, app, "fr-FR"):
        log_in(page, stranger)
        for url in (base, f"{base}/documents", download, f"{base}/edit", f"{base}/alternatives/offers",
                    f"{base}/departure", f"{base}/follow-ups", f"{base}/return"):
            assert page.request.get(url).status == 404, url
        page.goto("/mobility/dossiers?q=Ndiaye")
        expect(page.locator(f"a[href='{base}']")).to_have_count(0)  # not listed either
        page.goto(base)
        expect(page.locator("main")).not_to_contain_text("Ndiaye")
        for url, form in ((f"{base}/steps/close", {"reason": "withdrew"}), (f"{base}/steps/match", {}),
                          (f"{base}/assessment", {"fee_asked": "no"}), (f"{base}/documents", {})):
            response = post(page, url, version=version, **form)
            assert response.status == 404, (url, response.status)
        log_out(page)

    unchanged(review="pending")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DossierDocument)) == 1


# ------------------------------------------------------------------ 3. uploads


def test_uploads_keep_real_documents_and_refuse_disguised_files(
        browser, live_server, app, create_agency, create_user, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    stored = Path(tmp_path) / "mobility_documents"
    agency = create_agency("SN", name="Agence de Dakar")
    counsellor = create_user(Role.MOBILITY_COUNSELLOR, agency=agency, full_name="Moussa Ba")
    person = add_seeker(app, agency.id, "Ndiaye", "Awa")
    dossier_id = add_dossier(app, person, agency.id, counsellor.id)

    def documents() -> dict[str, tuple]:
        with app.app_context():
            return {d.kind: (d.status, d.note, d.stored_name, d.original_name, d.content_type) for d in
                    db.session.scalars(sa.select(DossierDocument).where(DossierDocument.dossier_id == dossier_id))}

    for page in open_page(browser, live_server, app, "en-GB"):
        log_in(page, counsellor)
        page.goto(f"/mobility/dossiers/{dossier_id}/documents")
        passport, diploma, medical = (page.locator(f"#document-{kind}") for kind in ("passport", "diploma", "medical"))

        # An HTML page named passport.pdf, the browser vouching for a PDF.
        diploma.locator("select").select_option("requested")
        diploma.locator("input[type=text]").fill("Legalisation asked of the ministry")
        passport.locator("input[type=file]").set_input_files(
            files=[{"name": "passport.pdf", "mimeType": "application/pdf", "buffer": HTML}])
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.locator("#checklist [type=submit]").click()
        assert answer.value.status == 400
        expect(passport.locator(".invalid-feedback")).to_have_text("This file is not a PDF, JPEG or PNG document.")
        expect(page.locator("main > .alert-danger")).to_contain_text("Nothing was saved")
        expect(passport.locator("a[href^='/mobility/documents/']")).to_have_count(0)
        expect(diploma.locator("input[type=text]")).to_have_value("Legalisation asked of the ministry")
        expect(diploma.locator("select")).to_have_value("requested")
        assert documents() == {}
        assert not stored.exists() or not any(stored.iterdir())

        # A program named .png, the browser vouching for an image.
        medical.locator("input[type=file]").set_input_files(
            files=[{"name": "certificat.png", "mimeType": "image/png", "buffer": EXE}])
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.locator("#checklist [type=submit]").click()
        assert answer.value.status == 400
        expect(medical.locator(".invalid-feedback")).to_have_text("This file is not a PDF, JPEG or PNG document.")
        expect(diploma.locator("input[type=text]")).to_have_value("Legalisation asked of the ministry")
        assert documents() == {}
        assert not stored.exists() or not any(stored.iterdir())

        # A real PDF for the passport and a real PNG for the medical certificate: kept.
        passport.locator("input[type=file]").set_input_files(
            files=[{"name": "passport.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        medical.locator("input[type=file]").set_input_files(
            files=[{"name": "certificat.png", "mimeType": "image/png", "buffer": PNG}])
        page.locator("#checklist [type=submit]").click()
        expect(page.locator("main > .alert-success")).to_contain_text("The documents checklist has been saved.")
        link = passport.locator("a[href^='/mobility/documents/']")
        expect(link).to_have_text("passport.pdf")
        expect(passport.locator("select")).to_have_value("received")
        expect(diploma.locator("input[type=text]")).to_have_value("Legalisation asked of the ministry")

        kept = documents()
        assert kept["passport"][:2] == ("received", None)
        assert kept["passport"][3:] == ("passport.pdf", "application/pdf")
        assert kept["medical"][3:] == ("certificat.png", "image/png")
        assert kept["diploma"][:3] == ("requested", "Legalisation asked of the ministry", None)
        assert (stored / kept["passport"][2]).read_bytes() == PDF

        response = page.request.get(link.get_attribute("href"))
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "attachment" in response.headers["content-disposition"]
        assert "passport.pdf" in response.headers["content-disposition"]
        assert response.body() == PDF
        response = page.request.get(medical.locator("a[href^='/mobility/documents/']").get_attribute("href"))
        assert (response.status, response.headers["content-type"]) == (200, "image/png")
        log_out(page)
