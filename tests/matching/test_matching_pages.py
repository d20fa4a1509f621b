"""The counsellors' matching pages: candidates for an offer, offers for a person, the nightly
lists; who may see them, what the filters do, how results are worded in both languages."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.auth.models import Region, Role
from app.extensions import db
from app.jobseekers import services as seekers
from app.jobseekers.models import ConsentPurpose, JobSeeker, SeekerStatus
from app.matching import routes, services, wording
from app.matching.engine import FACTORS, Factor, Match
from app.matching.models import Referral
from app.offers.models import Offer, OfferSkill, OfferStatus
from app.reference.models import MobilityLink, OccupationSkill
from tests.matching.factories import add_employer, add_offer, add_seeker


@pytest.fixture
def place(app, create_agency):
    agency = create_agency("SN")
    return agency, add_employer(app, agency.id)


def english(client):
    client.post("/language", data={"language": "en"})


def candidates_url(offer_id: int, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/matching/offers/{offer_id}/candidates" + (f"?{query}" if query else "")


def listed(page: str, prefix: str = "seeker") -> list[int]:
    """The ids of the results, in their order on the page."""
    return [int(i) for i in re.findall(rf'<li class="card mb-2 matching-result" id="{prefix}-(\d+)"', page)]


def region_ids(app, country: str = "SN") -> list[int]:
    with app.app_context():
        return db.session.scalars(sa.select(Region.id).where(Region.country_code == country)
                                  .order_by(Region.code)).all()


def refer(app, seeker_id: int, offer_id: int) -> None:
    with app.app_context():
        offer = db.session.get(Offer, offer_id)
        seeker = db.session.get(JobSeeker, seeker_id)
        db.session.add(Referral(jobseeker_id=seeker_id, offer_id=offer_id, employer_id=offer.employer_id,
                                country_code=offer.country_code, agency_id=seeker.agency_id))
        db.session.commit()


def core_skills(app, fiche: str = "F1703", n: int = 4) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(OccupationSkill.skill_code).where(
            OccupationSkill.occupation_code == fiche, OccupationSkill.core.is_(True))
            .order_by(OccupationSkill.skill_code).limit(n)).all()


# ----------------------------------------------------------------------------- candidates

def test_candidates_are_ranked_with_score_sentence_and_factors(app, client, login_as, place):
    agency, employer = place
    offer = add_offer(app, employer, experience_years=2)
    mason = add_seeker(app, agency.id, "Diop", "Awa", fiche="F1703", years=5)
    driver = add_seeker(app, agency.id, "Fall", "Ibrahima", fiche="N4101")
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    response = client.get(candidates_url(offer))
    assert response.status_code == 200
    page = response.text
    assert listed(page) == [mason, driver]
    assert "Candidates for Maçon" in page and "BTP Sahel SARL" in page and "F1703 · Masonry" in page
    assert re.search(r'<meter min="0" max="1"[^>]*value="0\.\d+"', page)
    assert re.search(r"Score \d+%: same occupation \(Masonry\)", page)  # the sentence starts with the score
    assert "same occupation (Masonry)" in page
    assert "5 years of experience for 2 asked" in page
    assert "no related occupation" in page  # the driver
    for title in ("Occupation", "Skills", "Experience", "Education level", "Languages", "Location", "Availability",
                  "Salary"):
        assert f"<th scope=\"row\">{title}</th>" in page
    assert "Detail of the score" in page and "Skills to acquire" in page
    assert page.count('class="table table-sm mb-0 matching-print-only"') == 2  # the breakdown on paper
    assert "css/matching.css" in page


def test_candidates_page_in_french(app, client, login_as, place):
    agency, employer = place
    offer = add_offer(app, employer)
    add_seeker(app, agency.id, "Diop", "Awa")
    login_as(Role.COUNSELLOR, agency=agency)
    page = client.get(candidates_url(offer)).text
    assert 'lang="fr"' in page
    assert "F1703 · Maçonnerie" in page and "Masonry" not in page
    assert re.search(r"\d+[\u00a0\u202f]%", page)  # "68 %": French percent spacing


@pytest.mark.parametrize("language, words", [
    ("fr", ("Maçonnerie", "Métiers recherchés", "Agence")),
    ("en", ("Masonry", "Occupations sought", "Agency")),
])
def test_every_page_renders_in_both_languages(app, client, login_as, place, language, words):
    agency, employer = place
    offer = add_offer(app, employer)
    seeker = add_seeker(app, agency.id)
    with app.test_request_context():
        services.run_nightly("SN")
        db.session.commit()
    login_as(Role.COUNSELLOR, agency=agency)
    client.post("/language", data={"language": language})
    pages = [client.get(candidates_url(offer)), client.get(f"/matching/jobseekers/{seeker}/offers"),
             client.get("/matching/nightly")]
    assert [p.status_code for p in pages] == [200, 200, 200]
    assert all(f'lang="{language}"' in p.text for p in pages)
    assert words[0] in pages[0].text and words[0] in pages[1].text
    assert words[1] in pages[1].text and words[2] in pages[2].text


def test_people_of_other_agencies_are_listed_without_a_link_to_their_record(app, client, login_as, place,
                                                                            create_agency):
    agency, employer = place
    other = create_agency("SN", name="Agence de Thiès")
    offer = add_offer(app, employer)
    mine = add_seeker(app, agency.id, "Diop", "Awa")
    theirs = add_seeker(app, other.id, "Sarr", "Fatou")
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    page = client.get(candidates_url(offer)).text
    assert set(listed(page)) == {mine, theirs}  # national matching: the whole country
    assert f'href="/jobseekers/{mine}"' in page
    assert f'href="/jobseekers/{theirs}"' not in page
    assert "Fatou Sarr" in page and "Agency: Agence de Thiès" in page


@pytest.mark.parametrize("role, status", [
    (Role.COUNSELLOR, 200), (Role.MOBILITY_COUNSELLOR, 200), (Role.MANAGER, 200),
    (Role.AGENT, 403), (Role.ADMIN, 403), (Role.EMPLOYER, 403),
])
def test_who_may_match(app, client, login_as, place, role, status):
    agency, employer = place
    offer = add_offer(app, employer)
    seeker = add_seeker(app, agency.id)
    if role == Role.EMPLOYER:
        login_as(role, employer_id=employer)
    else:
        login_as(role, agency=agency)
    assert client.get(candidates_url(offer)).status_code == status
    assert client.get(f"/matching/jobseekers/{seeker}/offers").status_code == status
    assert client.get("/matching/nightly").status_code == status


def test_another_countrys_offer_and_person_are_not_found(app, client, login_as, create_agency):
    mali = create_agency("ML")
    offer = add_offer(app, add_employer(app, mali.id, country="ML"))
    seeker = add_seeker(app, mali.id)
    login_as(Role.COUNSELLOR, agency=create_agency("SN"))
    assert client.get(candidates_url(offer)).status_code == 404
    assert client.get(f"/matching/jobseekers/{seeker}/offers").status_code == 404
    assert client.get(candidates_url(999999)).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login(app, client, place):
    _agency, employer = place
    offer = add_offer(app, employer)
    response = client.get(candidates_url(offer))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_minimum_score_related_occupations_and_limit(app, client, login_as, place):
    agency, employer = place
    offer = add_offer(app, employer)
    mason = add_seeker(app, agency.id, "Diop", "Awa", fiche="F1703")
    roofer = add_seeker(app, agency.id, "Ndiaye", "Moussa", fiche="F1610")  # linked by mobility
    driver = add_seeker(app, agency.id, "Fall", "Ibrahima", fiche="N4101")
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    assert set(listed(client.get(candidates_url(offer)).text)) == {mason, roofer, driver}
    assert listed(client.get(candidates_url(offer, related=0)).text) == [mason]
    assert listed(client.get(candidates_url(offer, limit=10, min_score=65)).text) == [mason]
    page = client.get(candidates_url(offer, min_score=100)).text
    assert listed(page) == [] and "Nobody matches these filters" in page
    assert 'value="100"' in page  # the filter keeps its value


def test_region_filter_keeps_the_people_of_that_region(app, client, login_as, place):
    agency, employer = place
    offer = add_offer(app, employer)
    first = add_seeker(app, agency.id, "Diop", "Awa", region=0)
    second = add_seeker(app, agency.id, "Sow", "Coumba", region=1)
    regions = region_ids(app)
    login_as(Role.COUNSELLOR, agency=agency)
    assert listed(client.get(candidates_url(offer, region=regions[1])).text) == [second]
    assert listed(client.get(candidates_url(offer, region=regions[0])).text) == [first]


def test_people_already_referred_are_left_out_unless_asked_for(app, client, login_as, place):
    agency, employer = place
    offer = add_offer(app, employer)
    fresh = add_seeker(app, agency.id, "Diop", "Awa")
    referred = add_seeker(app, agency.id, "Sow", "Coumba")
    refer(app, referred, offer)
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    page = client.get(candidates_url(offer)).text
    assert listed(page) == [fresh] and "Already referred" not in page
    page = client.get(candidates_url(offer, referred="y")).text
    assert set(listed(page)) == {fresh, referred}
    assert page.count('<span class="badge text-bg-secondary">Already referred</span>') == 1


@pytest.mark.parametrize("args, message", [
    ({"min_score": "abc"}, "Give a whole number between 0 and 100."),
    ({"min_score": "150"}, "Give a whole number between 0 and 100."),
    # str.isdigit() says yes to these, int() says no: a message, never a server error.
    ({"min_score": "²"}, "Give a whole number between 0 and 100."),
    ({"min_score": "①"}, "Give a whole number between 0 and 100."),
    ({"limit": "7"}, "Choose a value from the list."),
    ({"region": "999999"}, "Choose a value from the list."),
    ({"related": "maybe"}, "Choose a value from the list."),
])
def test_bad_filters_are_explained_not_a_server_error(app, client, login_as, place, args, message):
    agency, employer = place
    offer = add_offer(app, employer)
    add_seeker(app, agency.id)
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    response = client.get(candidates_url(offer, **args))
    assert response.status_code == 200
    assert message in response.text and "Correct the filters to see the results." in response.text
    assert listed(response.text) == []
    if "min_score" in args:
        assert f'value="{args["min_score"]}"' in response.text


@pytest.mark.parametrize("score", ["²", "%C2%B2", "٥٠"])
def test_a_score_that_is_not_in_ascii_digits_is_explained_on_the_offers_page(app, client, login_as, place, score):
    agency, employer = place
    add_offer(app, employer)
    seeker = add_seeker(app, agency.id)
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    response = client.get(f"/matching/jobseekers/{seeker}/offers?min_score={score}")
    assert response.status_code == 200
    assert "Give a whole number between 0 and 100." in response.text
    assert listed(response.text, "offer") == []


def test_a_closed_offer_says_why_there_is_no_candidate(app, client, login_as, place):
    agency, employer = place
    offer = add_offer(app, employer, status="draft")
    add_seeker(app, agency.id)
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    page = client.get(candidates_url(offer)).text
    assert "This offer is not open" in page and listed(page) == []


def test_the_refer_form_posts_the_selected_people(app, client, login_as, place, monkeypatch):
    agency, employer = place
    offer = add_offer(app, employer)
    fresh = add_seeker(app, agency.id, "Diop", "Awa")
    referred = add_seeker(app, agency.id, "Sow", "Coumba")
    refer(app, referred, offer)
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    monkeypatch.setattr(routes, "_propose_url", lambda: "/referrals/propose")
    page = client.get(candidates_url(offer, referred="y")).text
    form = re.search(r'<form id="refer-form"[^>]*action="/referrals/propose".*?</form>', page, re.S).group(0)
    assert 'name="csrf_token"' in form and f'name="offer_id" value="{offer}"' in form
    assert f'name="next" value="/matching/offers/{offer}/candidates?referred=y"' in form
    assert "Refer the selected people" in form
    assert re.search(rf'form="refer-form" name="jobseeker_ids" value="{fresh}" id="pick-{fresh}">', page)
    assert re.search(rf'name="jobseeker_ids" value="{referred}" id="pick-{referred}" disabled>', page)


def test_no_refer_button_without_the_referral_pages(app, client, login_as, place, monkeypatch):
    agency, employer = place
    offer = add_offer(app, employer)
    add_seeker(app, agency.id)
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    monkeypatch.delitem(app.view_functions, "referrals.propose", raising=False)
    page = client.get(candidates_url(offer)).text
    assert "refer-form" not in page and "Refer the selected people" not in page
    assert listed(page)


def test_refer_button_when_the_referral_pages_exist(app, client, login_as, place):
    if "referrals.propose" not in app.view_functions:
        pytest.skip("the referral pages are not there yet")
    agency, employer = place
    offer = add_offer(app, employer)
    add_seeker(app, agency.id)
    login_as(Role.COUNSELLOR, agency=agency)
    page = client.get(candidates_url(offer)).text
    assert 'action="/referrals/propose"' in page


def test_labels_are_read_once_per_page(app, client, login_as, place):
    agency, employer = place
    offer = add_offer(app, employer)
    for n in range(6):
        add_seeker(app, agency.id, f"Nom{n}", "Awa", fiche=("F1703", "F1610", "N4101")[n % 3])
    login_as(Role.COUNSELLOR, agency=agency)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert len(listed(client.get(candidates_url(offer)).text)) == 6
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    skill_reads = [s for s in statements if re.search(r"\bFROM skills\b", s)]
    fiche_reads = [s for s in statements if re.search(r"\bFROM occupations\b", s) and "label_en" in s]
    assert len(skill_reads) == 1 and len(fiche_reads) == 1


# ----------------------------------------------------------------------------- offers for a person

def test_offers_for_a_person_national_and_international(app, client, login_as, place, create_employer):
    agency, employer = place
    regions = region_ids(app)
    national = add_offer(app, employer, region_id=regions[0], city="Pikine")
    abroad = add_offer(app, employer, job_title="Maçon (Espagne)", international=True, destination_country="ES")
    seeker = add_seeker(app, agency.id, "Diop", "Awa", abroad_interest=True)
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    page = client.get(f"/matching/jobseekers/{seeker}/offers").text
    assert set(listed(page, "offer")) == {national, abroad}
    assert "Offers for Awa Diop" in page and "BTP Sahel SARL" in page and "Spain" in page and "Pikine" in page
    assert "closing: " in page and "Skills to acquire" in page
    assert "wants to work abroad, without naming Spain" in page
    assert listed(client.get(f"/matching/jobseekers/{seeker}/offers?scope=national").text, "offer") == [national]
    assert listed(client.get(f"/matching/jobseekers/{seeker}/offers?scope=international").text, "offer") == [abroad]
    page = client.get(f"/matching/jobseekers/{seeker}/offers?scope=everywhere").text
    assert "Choose a value from the list." in page and listed(page, "offer") == []


def test_offers_already_proposed_are_left_out_unless_asked_for(app, client, login_as, place):
    agency, employer = place
    first = add_offer(app, employer)
    second = add_offer(app, employer, job_title="Maçon coffreur")
    seeker = add_seeker(app, agency.id)
    refer(app, seeker, second)
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    assert listed(client.get(f"/matching/jobseekers/{seeker}/offers").text, "offer") == [first]
    page = client.get(f"/matching/jobseekers/{seeker}/offers?referred=y").text
    assert set(listed(page, "offer")) == {first, second} and "Already referred" in page


def test_related_off_keeps_offers_of_the_persons_occupation(app, client, login_as, place):
    agency, employer = place
    same = add_offer(app, employer)
    add_offer(app, employer, occupation_code="F1610", job_title="Couvreur")
    seeker = add_seeker(app, agency.id)
    login_as(Role.COUNSELLOR, agency=agency)
    assert len(listed(client.get(f"/matching/jobseekers/{seeker}/offers").text, "offer")) == 2
    assert listed(client.get(f"/matching/jobseekers/{seeker}/offers?related=0").text, "offer") == [same]


@pytest.mark.parametrize("how, message", [
    ("consent", "has not agreed to be proposed to employers"),
    ("placed", "record is not active"),
])
def test_people_who_cannot_be_proposed_are_told_what_to_do(app, client, login_as, place, how, message):
    agency, employer = place
    add_offer(app, employer)
    seeker = add_seeker(app, agency.id, consent=how != "consent")
    if how == "placed":
        with app.app_context():
            db.session.get(JobSeeker, seeker).status = SeekerStatus.PLACED.value
            db.session.commit()
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    page = client.get(f"/matching/jobseekers/{seeker}/offers").text
    assert message in page and listed(page, "offer") == []


def test_mobility_section_lists_the_linked_occupations(app, client, login_as, place):
    agency, _employer = place
    seeker = add_seeker(app, agency.id, fiche="F1703")
    with app.app_context():
        linked = db.session.scalars(sa.select(MobilityLink.target_code).where(
            MobilityLink.occupation_code == "F1703")).all()
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    page = client.get(f"/matching/jobseekers/{seeker}/offers").text
    section = page[page.index('id="mobility"'):]
    assert "Occupations they could move to" in section and "From F1703 · Masonry" in section
    assert linked and all(f'href="/occupations/{code}"' in section for code in linked)
    assert "F1610 · Roof covering installation and restoration" in section


def test_the_refer_form_for_a_person_posts_offer_ids(app, client, login_as, place, monkeypatch):
    agency, employer = place
    offer = add_offer(app, employer)
    seeker = add_seeker(app, agency.id)
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    monkeypatch.setattr(routes, "_propose_url", lambda: "/referrals/propose")
    page = client.get(f"/matching/jobseekers/{seeker}/offers").text
    assert f'name="jobseeker_id" value="{seeker}"' in page
    assert re.search(rf'name="offer_ids" value="{offer}"', page)
    assert "Refer the person to the selected offers" in page


def test_the_sentence_names_skills_counts_and_salary(app, client, login_as, place):
    agency, employer = place
    skills = core_skills(app, n=3)
    offer = add_offer(app, employer)
    with app.app_context():
        for code in skills:
            db.session.add(OfferSkill(offer_id=offer, skill_code=code, required=True))
        db.session.commit()
    seeker = add_seeker(app, agency.id, skills=tuple(skills[:2]), salary_amount=300000, salary_currency="XOF",
                        salary_period="month")
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    page = client.get(candidates_url(offer)).text
    assert "2 of 3 core skills" in page
    assert "expected salary above the offer: F\u202fCFA300,000 a month for F\u202fCFA200,000 at most" in page
    with app.app_context():
        missing = db.session.execute(sa.text("select label_fr from skills where code = :c"),
                                     {"c": skills[2]}).scalar()
    assert f"Skills to acquire: {missing}." in page.replace("&#39;", "'")


# ----------------------------------------------------------------------------- nightly lists

def test_nightly_page_shows_the_agencys_lists_only(app, client, login_as, create_agency):
    mine, theirs = create_agency("SN", name="Agence de Pikine"), create_agency("SN", name="Agence de Thiès")
    my_offer = add_offer(app, add_employer(app, mine.id), job_title="Maçon à Pikine")
    their_offer = add_offer(app, add_employer(app, theirs.id, name="Thiès BTP"), job_title="Maçon à Thiès")
    first = add_seeker(app, mine.id, "Diop", "Awa")
    second = add_seeker(app, theirs.id, "Sarr", "Fatou")
    refer(app, first, my_offer)
    with app.test_request_context():
        services.run_nightly("SN")
        db.session.commit()
    login_as(Role.COUNSELLOR, agency=mine)
    english(client)
    page = client.get("/matching/nightly").text
    assert "Maçon à Pikine" in page and "Maçon à Thiès" not in page
    assert f'id="suggestion-{my_offer}-{first}"' in page and f'id="suggestion-{my_offer}-{second}"' in page
    assert f'href="/matching/offers/{my_offer}/candidates"' in page
    row = re.search(rf'id="suggestion-{my_offer}-{first}".*?</tr>', page, re.S).group(0)
    assert "Already referred" in row
    row = re.search(rf'id="suggestion-{my_offer}-{second}".*?</tr>', page, re.S).group(0)
    assert "Not yet referred" in row and f'href="/jobseekers/{second}"' not in row
    assert str(their_offer) not in re.findall(r'id="offer-(\d+)"', page)


def test_nightly_page_is_paginated_by_offer(app, client, login_as, place):
    agency, employer = place
    for n in range(routes.NIGHTLY_OFFERS_PER_PAGE + 2):
        add_offer(app, employer, job_title=f"Maçon {n}", closing_date=date.today() + timedelta(days=10 + n))
    add_seeker(app, agency.id)
    with app.test_request_context():
        services.run_nightly("SN")
        db.session.commit()
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    first = client.get("/matching/nightly").text
    second = client.get("/matching/nightly?page=2").text
    assert len(re.findall(r'<section class="card mb-3', first)) == routes.NIGHTLY_OFFERS_PER_PAGE
    assert len(re.findall(r'<section class="card mb-3', second)) == 2
    assert "Page 1 of 2" in first and "Maçon 0<" in first and "Maçon 11<" in second


@pytest.mark.parametrize("change", ["inactive", "anonymised", "merged", "consent withdrawn", "offer closed"])
def test_nightly_page_leaves_out_who_and_what_can_no_longer_be_proposed(app, client, login_as, place, change):
    agency, employer = place
    offer = add_offer(app, employer, job_title="Maçon coffreur")
    kept = add_seeker(app, agency.id, "Diop", "Awa")
    gone = add_seeker(app, agency.id, "Sarr", "Fatou")
    with app.test_request_context():
        services.run_nightly("SN")
        db.session.commit()
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    page = client.get("/matching/nightly").text
    assert f'id="suggestion-{offer}-{kept}"' in page and f'id="suggestion-{offer}-{gone}"' in page
    with app.test_request_context():  # since last night
        person = db.session.get(JobSeeker, gone)
        if change == "inactive":
            person.status = SeekerStatus.INACTIVE.value
        elif change == "anonymised":
            person.anonymised_at = datetime.now(timezone.utc)
        elif change == "merged":
            person.merged_into_id = kept
        elif change == "consent withdrawn":
            seekers.withdraw_consent(person, ConsentPurpose.PROPOSE)
        else:
            db.session.get(Offer, offer).status = OfferStatus.CLOSED.value
        db.session.commit()
    page = client.get("/matching/nightly").text
    assert f'id="suggestion-{offer}-{gone}"' not in page and "Fatou" not in page
    if change == "offer closed":
        assert f'id="offer-{offer}"' not in page and "Maçon coffreur" not in page
    else:
        assert f'id="suggestion-{offer}-{kept}"' in page


def test_nightly_page_drops_an_offer_left_with_nobody_to_propose(app, client, login_as, place):
    agency, employer = place
    offer = add_offer(app, employer, job_title="Maçon coffreur")
    only = add_seeker(app, agency.id, "Sarr", "Fatou")
    with app.test_request_context():
        services.run_nightly("SN")
        db.session.commit()
        db.session.get(JobSeeker, only).status = SeekerStatus.PLACED.value
        db.session.commit()
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    page = client.get("/matching/nightly").text
    assert f'id="offer-{offer}"' not in page and "No offer on this page." in page


def test_nightly_page_without_a_list(app, client, login_as, place):
    agency, _employer = place
    login_as(Role.COUNSELLOR, agency=agency)
    english(client)
    assert "Your agency has no list yet" in client.get("/matching/nightly").text


def test_the_print_stylesheet_hides_filters_and_buttons(client):
    css = client.get("/static/css/matching.css").text
    printing = css[css.index("@media print"):]
    for selector in ("header.navbar", ".matching-filters", ".matching-pick", ".matching-actions", ".btn"):
        assert selector in printing
    assert ".matching-print-only { display: table" in printing


# ----------------------------------------------------------------------------- wording

def _match(reasons: dict[str, str], score: float = 0.82, missing: tuple[str, ...] = ()) -> Match:
    details = {
        "occupation": {"fiche": "F1610", "offer_fiche": "F1703"},
        "skills": {"core_covered": 3, "core_asked": 4, "other_covered": 1, "other_asked": 1},
        "experience": {"years": 2.5, "asked": 2},
        "education": {"level": 3, "asked": 5},
        "languages": {"full": 1, "partial": 1, "asked": 2},
        "location": {"region": None, "country": "ES"},
        "availability": {"days_late": 12},
        "salary": {"expected": 250000.0, "top": 200000.0, "currency": "XOF"},
    }
    factors = tuple(Factor(code, 0.5, 1 / len(FACTORS), reasons.get(code, "not_asked"), details[code])
                    for code in FACTORS)
    return Match(1, 2, score, factors, missing)


ALL_REASONS = [
    ("occupation", r) for r in ("same", "linked", "domain", "grand_domain", "none")] + [
    ("skills", r) for r in ("coverage", "not_asked")] + [
    ("experience", r) for r in ("beginners", "not_asked", "enough", "short")] + [
    ("education", r) for r in ("not_asked", "unknown", "enough", "below")] + [
    ("languages", r) for r in ("coverage", "not_asked")] + [
    ("location", r) for r in ("same_region", "mobility_region", "other_region", "unknown", "country_wanted",
                              "dossier", "abroad_interest", "not_abroad")] + [
    ("availability", r) for r in ("now", "ready", "late", "no_date")] + [
    ("salary", r) for r in ("within", "above", "unknown", "other_currency")]


@pytest.mark.parametrize("code, reason", ALL_REASONS)
def test_every_reason_has_its_own_phrase(app, code, reason):
    match = _match({code: reason})
    with app.test_request_context(), force_locale("en"):
        labels = wording.load_labels([match])
        text = wording.phrase(match.factor(code), labels)
        assert text and text != reason
        assert wording.sentence(match, labels).startswith("Score 82%: ")


def test_the_sentence_reads_aloud_in_english(app):
    skills = core_skills(app, n=7)
    match = _match({"occupation": "linked", "skills": "coverage", "experience": "enough", "education": "below",
                    "languages": "coverage", "location": "country_wanted", "availability": "late",
                    "salary": "above"}, missing=tuple(skills))
    with app.test_request_context(), force_locale("en"):
        labels = wording.load_labels([match])
        text = wording.sentence(match, labels)
        lines = wording.breakdown(match, labels)
    assert text.startswith("Score 82%: related occupation: Roof covering installation and restoration leads to "
                           "Masonry, 3 of 4 core skills, 1 of 1 other skill, 2.5 years of experience for 2 asked, "
                           "education below the level asked (Upper secondary education (baccalauréat) for "
                           "Short-cycle tertiary education (BTS, DUT)), 1 of 2 desirable languages at the level "
                           "asked, 1 at a lower level, wants to work in Spain, available 12 days after the start "
                           "date, expected salary above the offer: F\u202fCFA250,000 a month for F\u202fCFA200,000 "
                           "at most. Skills to acquire: ")
    assert text.endswith(" and 2 more.")
    assert [line.title for line in lines][:2] == ["Occupation", "Skills"]
    assert lines[0].value == "50%" and lines[0].weight == "12%"


def test_the_sentence_in_french_uses_the_locales_numbers(app):
    match = _match({"occupation": "same", "experience": "enough"})
    with app.test_request_context(), force_locale("fr"):
        text = wording.sentence(match, wording.load_labels([match]))
    assert "(Maçonnerie)" in text and "2,5" in text and "82\u00a0%" in text
