"""The profile beyond identity, the card, status changes and merging duplicates."""
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app.audit import AuditEvent
from app.auth.models import Region, Role
from app.extensions import db
from app.jobseekers.models import JobSeeker, JobSeekerNameKey
from app.reference.models import OccupationSkill


def form(**overrides):
    data = {"last_name": "Diop", "first_names": "Awa", "sex": "F", "birth": "1994", "nationality": "SN",
            "national_id_type": "cni", "national_id": "", "phone_1": "77 555 12 34", "region_id": 0,
            "occupation_1": "F1703", "consent_propose": "y"}
    data.update(overrides)
    return data


def core_skills(app, code="F1703", n=2):
    with app.app_context():
        return db.session.scalars(sa.select(OccupationSkill.skill_code).where(
            OccupationSkill.occupation_code == code).order_by(OccupationSkill.skill_code).limit(n)).all()


def region_id(app, country="SN"):
    with app.app_context():
        return db.session.scalars(sa.select(Region.id).where(Region.country_code == country)
                                  .order_by(Region.code)).first()


def the_one(app):
    with app.app_context():
        seeker = db.session.scalars(sa.select(JobSeeker)).one()
        seeker.languages, seeker.skills, seeker.experiences, seeker.qualifications  # load before closing
        seeker.mobility_regions, seeker.mobility_countries
        db.session.expunge(seeker)
        return seeker


FULL = {
    "free_skills": "Coffrage; lecture de plans", "education_level": "3",
    "languages-0-language": "wol", "languages-0-level": "native",
    "languages-1-language": "fra", "languages-1-level": "fluent",
    "experiences-0-kind": "apprenticeship", "experiences-0-title": "Apprenti maçon",
    "experiences-0-employer": "Atelier Diop", "experiences-0-start_year": "2010", "experiences-0-end_year": "2014",
    "experiences-1-kind": "informal", "experiences-1-title": "Maçon à la tâche", "experiences-1-start_year": "2014",
    "qualifications-0-kind": "diploma", "qualifications-0-title": "CAP maçonnerie", "qualifications-0-year": "2012",
    "driving_licences": ["B", "C"], "availability_date": "2026-12-01",
    "salary_amount": "150000", "salary_currency": "XOF", "salary_period": "month",
    "mobility_countries": ["ML"], "abroad_interest": "y", "disability": "y", "disability_note": "Rampe d'accès",
}


def test_full_profile_is_registered_and_shown(app, client, login_as):
    login_as(Role.AGENT)
    skills = core_skills(app)
    region = region_id(app)
    response = client.post("/jobseekers/new", data=form(skills=skills, mobility_regions=[str(region)], **FULL))
    assert response.status_code == 302, response.text[:3000]
    seeker = the_one(app)
    assert seeker.education_level == "3"
    assert [(lang.language, lang.level) for lang in seeker.languages] == [("wol", "native"), ("fra", "fluent")]
    assert sorted(s.skill_code for s in seeker.skills if s.skill_code) == sorted(skills)
    assert sorted(s.label for s in seeker.skills if not s.skill_code) == ["Coffrage", "lecture de plans"]
    assert [(e.kind, e.title, e.start_year, e.end_year) for e in seeker.experiences] == [
        ("apprenticeship", "Apprenti maçon", 2010, 2014), ("informal", "Maçon à la tâche", 2014, None)]
    assert [(q.kind, q.title, q.year) for q in seeker.qualifications] == [("diploma", "CAP maçonnerie", 2012)]
    assert seeker.driving_licences == "B C"
    assert seeker.availability_date == date(2026, 12, 1)
    assert (seeker.salary_amount, seeker.salary_currency, seeker.salary_period) == (Decimal("150000"), "XOF", "month")
    assert [r.id for r in seeker.mobility_regions] == [region]
    assert [c.code for c in seeker.mobility_countries] == ["ML"]
    assert seeker.abroad_interest and seeker.disability
    page = client.get(response.headers["Location"]).text
    for text in ("Wolof", "Langue maternelle", "Apprentissage traditionnel", "CAP maçonnerie", "Mali",
                 "Coffrage", "Deuxième cycle du secondaire", "par mois"):
        assert text in page, text


def test_the_skills_of_the_coded_occupation_are_offered_without_saving(app, client, login_as):
    login_as(Role.AGENT)
    response = client.post("/jobseekers/new", data=form(occupation_1="F1703", refresh="1"))
    assert response.status_code == 200
    for code in core_skills(app, n=3):
        assert f'value="{code}"' in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobSeeker)) == 0


def test_bad_profile_rows_are_explained_and_kept(app, client, login_as):
    login_as(Role.AGENT)
    response = client.post("/jobseekers/new", data=form(**{
        "languages-0-language": "xyz", "languages-0-level": "fluent",
        "languages-1-language": "wol", "languages-1-level": "",
        "experiences-0-title": "Maçon", "experiences-0-start_year": "2015", "experiences-0-end_year": "2012",
        "experiences-1-employer": "Atelier Ndiaye",
        "qualifications-0-title": "BEP", "qualifications-0-year": "1800",
        "salary_amount": "-5", "skills": ["NOT-A-SKILL"], "mobility_countries": ["ZZ"]}))
    assert response.status_code == 400
    page = response.text
    for message in ("La fin vient avant le début.", "Dites quel était ce travail.",
                    "Indiquez le niveau dans cette langue.", "Donnez une année entre 1940 et cette année."):
        assert message in page, message
    assert "Atelier Ndiaye" in page and 'value="Maçon"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobSeeker)) == 0


def test_unknown_language_skill_and_country_are_refused(app, client, login_as):
    login_as(Role.AGENT)
    response = client.post("/jobseekers/new", data=form(**{
        "languages-0-language": "xyz", "languages-0-level": "fluent"}, skills=["NOT-A-SKILL"],
        mobility_countries=["ZZ"]))
    assert response.status_code == 400
    assert response.text.count("Choisissez") >= 3
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobSeeker)) == 0


def test_edit_keeps_the_profile_and_names_what_changed(app, client, login_as):
    login_as(Role.AGENT)
    location = client.post("/jobseekers/new", data=form(**FULL)).headers["Location"]
    edit_page = client.get(location + "/edit").text
    assert 'value="Apprenti maçon"' in edit_page and 'value="CAP maçonnerie"' in edit_page
    seeker = the_one(app)
    changed = dict(FULL, **{"languages-1-level": "intermediate", "qualifications-0-year": "2013"})
    response = client.post(location + "/edit", data=form(version=str(seeker.version), **changed))
    assert response.status_code == 302, response.text[:2000]
    seeker = the_one(app)
    assert [(lang.language, lang.level) for lang in seeker.languages] == [("wol", "native"), ("fra", "intermediate")]
    with app.app_context():
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "jobseeker.updated")).one()
        assert sorted(event.details["fields"]) == ["languages", "qualifications"]
    history = client.get(location).text.split('id="history"')[1]
    assert "Dossier modifié" in history and "Langues" in history
    # Saving the same profile again changes nothing.
    seeker = the_one(app)
    response = client.post(location + "/edit", data=form(version=str(seeker.version), **changed))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "jobseeker.updated")) == 1


def test_profile_in_english(app, client, login_as):
    login_as(Role.AGENT)
    client.post("/language", data={"language": "en"})
    location = client.post("/jobseekers/new", data=form(**FULL)).headers["Location"]
    page = client.get(location).text
    for text in ("Mother tongue", "Traditional apprenticeship", "Upper secondary education", "per month",
                 "interested in working abroad"):
        assert text in page, text


def test_status_change_is_kept_in_the_history(app, client, auth, login_as, create_user, create_agency):
    login_as(Role.AGENT)
    location = client.post("/jobseekers/new", data=form()).headers["Location"]
    assert client.post(location + "/status", data={"status": "placed"}).status_code == 302
    assert the_one(app).status == "placed"
    client.post(location + "/status", data={"status": "retired"})
    assert the_one(app).status == "placed"
    page = client.get(location).text
    assert "Statut modifié" in page and "Actif → Placé" in page
    auth.logout()
    assert auth.login(create_user(Role.AGENT, agency=create_agency("SN")).username).status_code == 302
    assert client.post(location + "/status", data={"status": "active"}).status_code == 404
    assert the_one(app).status == "placed"


def test_card_has_a_qr_code_that_opens_the_record_for_authorised_staff(app, client, auth, login_as, create_user,
                                                                        create_agency):
    login_as(Role.AGENT)
    location = client.post("/jobseekers/new", data=form()).headers["Location"]
    seeker = the_one(app)
    card = client.get(location + "/card")
    assert card.status_code == 200
    assert "<svg" in card.text and seeker.registration_number in card.text and "Awa Diop" in card.text
    opened = client.get(f"/jobseekers/n/{seeker.registration_number}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(location)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "jobseeker.card_printed")) == 1
    auth.logout()
    assert auth.login(create_user(Role.AGENT, agency=create_agency("SN")).username).status_code == 302
    assert client.get(f"/jobseekers/n/{seeker.registration_number}").status_code == 404
    assert client.get(location + "/card").status_code == 404
    auth.logout()
    anonymous = client.get(f"/jobseekers/n/{seeker.registration_number}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def _register_two(client):
    first = client.post("/jobseekers/new", data=form(**{"languages-0-language": "wol", "languages-0-level": "fluent"}))
    second = client.post("/jobseekers/new", data=form(
        first_names="Aoua", phone_1="76 111 22 33", national_id="1234567890123", occupation_1="K2204",
        confirm_new="y", confirm_reason="Deux personnes ?", **{"languages-0-language": "wol",
                                                               "languages-0-level": "native"}))
    assert first.status_code == 302 and second.status_code == 302, second.text[:2000]
    return first.headers["Location"], second.headers["Location"]


def test_merge_keeps_both_histories_and_hides_the_duplicate(app, client, login_as, runner):
    login_as(Role.AGENT)
    kept, duplicate = _register_two(client)
    with app.app_context():
        a, b = db.session.scalars(sa.select(JobSeeker).order_by(JobSeeker.id)).all()
        a_id, b_id, a_number, b_number = a.id, b.id, a.registration_number, b.registration_number
    compare = client.get(kept + "/merge", query_string={"other": b_number.lower()})
    assert compare.status_code == 200 and "Aoua Diop" in compare.text
    refused = client.post(kept + "/merge", data={"other": b_number})
    assert refused.status_code == 400
    response = client.post(kept + "/merge", data={"other": b_number, "confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        a, b = db.session.get(JobSeeker, a_id), db.session.get(JobSeeker, b_id)
        assert b.merged_into_id == a.id and b.status == "inactive"
        assert a.national_id == "1234567890123" and b.national_id is None
        assert {p.number for p in a.phones} == {"+221775551234", "+221761112233"}
        assert [o.occupation_code for o in a.occupations] == ["F1703", "K2204"]
        assert [(lang.language, lang.level) for lang in a.languages] == [("wol", "native")]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobSeekerNameKey).where(
            JobSeekerNameKey.jobseeker_id == b_id)) == 0
    page = client.get(kept).text
    assert page.count("Inscription") >= 2 and b_number in page  # both registrations, one history
    assert "fusionné" in client.get(duplicate).text
    assert client.get(f"/jobseekers/n/{b_number}").headers["Location"].endswith(kept)
    listed = client.get("/jobseekers/", query_string={"q": "76 111 22 33"}).text
    assert b_number not in listed
    result = runner.invoke(args=["jobseekers", "duplicates"])
    assert b_number not in result.output
    again = client.post(kept + "/merge", data={"other": b_number, "confirm": "y"})
    assert again.status_code == 400 and "déjà fusionné" in again.text
    itself = client.post(kept + "/merge", data={"other": a_number, "confirm": "y"})
    assert itself.status_code == 400 and "avec lui-même" in itself.text


def test_merge_is_limited_to_records_in_scope(app, client, auth, login_as, create_user, create_agency):
    login_as(Role.AGENT)
    kept, _duplicate = _register_two(client)
    with app.app_context():
        a, b = db.session.scalars(sa.select(JobSeeker).order_by(JobSeeker.id)).all()
        b_number = b.registration_number
    auth.logout()
    assert auth.login(create_user(Role.AGENT, agency=create_agency("SN")).username).status_code == 302
    assert client.get(kept + "/merge").status_code == 404
    auth.logout()
    assert auth.login(create_user(Role.MANAGER, agency=create_agency("SN")).username).status_code == 302
    assert client.post(kept + "/merge", data={"other": b_number, "confirm": "y"}).status_code == 403
    with app.app_context():
        assert db.session.get(JobSeeker, b.id).merged_into_id is None
