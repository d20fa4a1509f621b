"""Registering at the counter: validation, duplicates, scope, search."""
import sqlalchemy as sa

from app.auth.models import Role
from app.extensions import db
from app.jobseekers.models import JobSeeker


def form(**overrides):
    data = {"last_name": "Traoré", "first_names": "Mamadou", "sex": "M", "birth": "12/05/1990",
            "nationality": "SN", "national_id_type": "cni", "national_id": "", "phone_1": "77 123 45 67",
            "phone_2": "", "email": "", "region_id": 0, "commune": "Pikine", "occupation_1": "F1703",
            "occupation_1_code": "", "occupation_2": "", "occupation_3": "", "consent_propose": "y"}
    data.update(overrides)
    return data


def seekers(app):
    with app.app_context():
        return db.session.scalars(sa.select(JobSeeker).order_by(JobSeeker.id)).all()


def test_agent_registers_a_person(app, client, login_as):
    agent = login_as(Role.AGENT)
    response = client.post("/jobseekers/new", data=form())
    assert response.status_code == 302, response.text[:2000]
    (seeker,) = seekers(app)
    assert seeker.agency_id == agent.agency_id
    assert seeker.birth_year == 1990
    page = client.get(response.headers["Location"]).text
    assert "Mamadou Traoré" in page and "F1703" in page and "+221 77 123 45 67" in page
    assert "Être proposé(e) aux employeurs" in page


def test_bad_input_is_explained_and_kept(app, client, login_as):
    login_as(Role.AGENT)
    response = client.post("/jobseekers/new", data=form(last_name="", birth="31/02/1990", phone_1="12",
                                                        commune="Guédiawaye"))
    assert response.status_code == 400
    assert "Guédiawaye" in response.text
    assert "Donnez une date (JJ/MM/AAAA) ou, si c’est tout ce qui est connu, une année." in response.text
    assert seekers(app) == []


def test_probable_duplicate_needs_a_reason(app, client, login_as):
    login_as(Role.AGENT)
    assert client.post("/jobseekers/new", data=form()).status_code == 302
    again = client.post("/jobseekers/new", data=form(last_name="Traore", first_names="Mamadu", birth="1990",
                                                     phone_1=""))
    assert again.status_code == 400
    assert 'id="duplicates"' in again.text and "Mamadou Traoré" in again.text
    no_reason = client.post("/jobseekers/new", data=form(last_name="Traore", first_names="Mamadu", birth="1990",
                                                         phone_1="", confirm_new="y"))
    assert "Dites pourquoi" in no_reason.text
    confirmed = client.post("/jobseekers/new", data=form(
        last_name="Traore", first_names="Mamadu", birth="1990", phone_1="", confirm_new="y",
        confirm_reason="Cousin, autre père"))
    assert confirmed.status_code == 302
    assert len(seekers(app)) == 2


def test_national_id_is_unique_per_country(app, client, login_as):
    login_as(Role.AGENT)
    client.post("/jobseekers/new", data=form(national_id="1 751 1990 00123"))
    response = client.post("/jobseekers/new", data=form(
        last_name="Sarr", first_names="Binta", sex="F", birth="1970", phone_1="", national_id="1751199000123",
        confirm_new="y", confirm_reason="autre personne"))
    assert response.status_code == 400
    assert len(seekers(app)) == 1


def test_other_agencies_cannot_read_the_record(app, client, auth, login_as, create_user, create_agency):
    login_as(Role.AGENT)
    client.post("/jobseekers/new", data=form())
    (seeker,) = seekers(app)
    auth.logout()
    other = create_user(Role.AGENT, agency=create_agency("SN"))
    auth.login(other.username)
    assert client.get(f"/jobseekers/{seeker.id}").status_code == 404
    assert "Traoré" not in client.get("/jobseekers/?q=Traore").text
    auth.logout()
    manager = create_user(Role.MANAGER, agency=create_agency("SN"))
    auth.login(manager.username)
    assert client.get(f"/jobseekers/{seeker.id}").status_code == 200  # the country's manager
    auth.logout()
    foreign = create_user(Role.MANAGER, agency=create_agency("ML"))
    auth.login(foreign.username)
    assert client.get(f"/jobseekers/{seeker.id}").status_code == 404


def test_search_by_name_variant_phone_and_number(app, client, login_as):
    login_as(Role.AGENT)
    client.post("/jobseekers/new", data=form())
    (seeker,) = seekers(app)
    for q in ("Traore Mamadu", "mamadou traore", "771234567", seeker.registration_number):
        assert seeker.registration_number in client.get("/jobseekers/", query_string={"q": q}).text, q
    assert seeker.registration_number not in client.get("/jobseekers/", query_string={"q": "Sarr Binta"}).text


def test_duplicate_check_does_not_reveal_other_agencies_people(app, client, auth, login_as, create_user,
                                                               create_agency):
    login_as(Role.AGENT)
    client.post("/jobseekers/new", data=form(national_id="1751199000123"))
    auth.logout()
    other = create_user(Role.AGENT, agency=create_agency("SN", name="Agence de Kaolack"))
    auth.login(other.username)
    response = client.post("/jobseekers/new", data=form(last_name="Sarr", first_names="Binta", sex="F",
                                                        birth="1970", national_id="1751199000123"))
    assert response.status_code == 400
    assert "Traoré" not in response.text and "Mamadou" not in response.text
    assert "Une personne inscrite dans une autre agence" in response.text


def test_values_outside_the_lists_are_refused(app, client, login_as):
    login_as(Role.AGENT)
    with app.app_context():
        from app.auth.models import Region
        mali = db.session.scalar(sa.select(Region.id).where(Region.country_code == "ML"))
    response = client.post("/jobseekers/new", data=form(nationality="SENEGAL", region_id=mali,
                                                        occupation_1_code="Z9999"))
    assert response.status_code == 400
    assert "Choisissez un pays dans la liste." in response.text
    assert "Choisissez une région du pays de l’agence." in response.text
    assert "Choisissez un métier dans la liste." in response.text
    assert seekers(app) == []


def test_search_survives_odd_query_strings(client, login_as):
    login_as(Role.AGENT)
    assert client.get("/jobseekers/?endpoint=x&_method=POST&page=abc").status_code == 200
    assert client.get("/jobseekers/?q=" + "Diallo " * 500).status_code == 200
    assert client.get("/jobseekers/?q=a%00b").status_code == 400
    assert client.get("/occupations/search?q=a%00b").status_code == 400


def test_edit_and_conflicting_edits(app, client, login_as, create_user):
    agent = login_as(Role.AGENT)
    client.post("/jobseekers/new", data=form())
    (seeker,) = seekers(app)
    page = client.get(f"/jobseekers/{seeker.id}/edit").text
    assert 'value="Traoré"' in page and 'value="12/05/1990"' in page and 'name="version" type="hidden" value="1"' in page
    # A colleague of the same agency saves first, from the same version.
    colleague = app.test_client()
    other = create_user(Role.COUNSELLOR, agency=__import__("types").SimpleNamespace(id=agent.agency_id))
    colleague.post("/login", data={"username": other.username, "password": "Counter2024x"})
    first = colleague.post(f"/jobseekers/{seeker.id}/edit", data=form(commune="Rufisque", version="1",
                                                                     occupation_1_code="F1703"))
    assert first.status_code == 302
    second = client.post(f"/jobseekers/{seeker.id}/edit", data=form(commune="Thiaroye", version="1",
                                                                    occupation_1_code="F1703"))
    assert second.status_code == 409
    assert "Quelqu’un d’autre a modifié ce dossier" in second.text
    assert 'value="Thiaroye"' in second.text  # what this agent typed is still there
    with app.app_context():
        assert db.session.get(JobSeeker, seeker.id).commune == "Rufisque"  # nothing overwritten
    # Saving again, knowingly (the page now carries the current version), applies the change.
    current = __import__("re").search(r'name="version" type="hidden" value="(\d+)"', second.text).group(1)
    again = client.post(f"/jobseekers/{seeker.id}/edit", data=form(commune="Thiaroye", version=current,
                                                                   occupation_1_code="F1703"))
    assert again.status_code == 302
    with app.app_context():
        assert db.session.get(JobSeeker, seeker.id).commune == "Thiaroye"


def test_withdrawn_consent_is_dated_not_deleted(app, client, login_as):
    login_as(Role.AGENT)
    client.post("/jobseekers/new", data=form())
    (seeker,) = seekers(app)
    data = form(version="1", occupation_1_code="F1703")
    del data["consent_propose"]
    assert client.post(f"/jobseekers/{seeker.id}/edit", data=data).status_code == 302
    with app.app_context():
        (consent,) = db.session.get(JobSeeker, seeker.id).consents
        assert consent.purpose == "propose" and consent.withdrawn_at is not None


def test_edit_is_limited_to_the_agency(app, client, auth, login_as, create_user, create_agency):
    login_as(Role.AGENT)
    client.post("/jobseekers/new", data=form())
    (seeker,) = seekers(app)
    auth.logout()
    auth.login(create_user(Role.AGENT, agency=create_agency("SN")).username)
    assert client.get(f"/jobseekers/{seeker.id}/edit").status_code == 404
    auth.logout()
    auth.login(create_user(Role.MANAGER, agency=create_agency("SN")).username)
    assert client.get(f"/jobseekers/{seeker.id}/edit").status_code == 403


def test_people_not_confirmed_in_90_days_are_listed_and_confirmed(app, client, login_as):
    from datetime import timedelta

    from app.db import utcnow

    login_as(Role.AGENT)
    client.post("/jobseekers/new", data=form(), follow_redirects=True)
    client.post("/jobseekers/new", data=form(last_name="Sarr", first_names="Binta", sex="F", birth="1970",
                                             phone_1=""), follow_redirects=True)
    old, recent = seekers(app)
    with app.app_context():
        db.session.get(JobSeeker, old.id).last_confirmed_at = utcnow() - timedelta(days=91)
        db.session.commit()
    listing = client.get("/jobseekers/unconfirmed").text
    assert old.registration_number in listing and recent.registration_number not in listing
    response = client.post(f"/jobseekers/{old.id}/confirm", data={"next": "/jobseekers/unconfirmed"})
    assert response.headers["Location"] == "/jobseekers/unconfirmed"
    assert old.registration_number not in client.get("/jobseekers/unconfirmed").text
    assert "Confirmé toujours en recherche d’emploi" in client.get(f"/jobseekers/{old.id}").text
