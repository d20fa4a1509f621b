"""Employers: registration numbers per country, registration by staff and online, approval,
the employer portal, scope per object, partner programmes, bad input."""
import re

import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.auth.models import Role, User
from app.extensions import db
from app.offers.employer_routes.signup import SUM_KEY
from app.offers.employers import name_key
from app.offers.models import Employer, EmployerRegistration, PartnerProgramme
from app.offers.registration_schemes import FOREIGN, check_number, normalise_number, schemes_for


@pytest.fixture(autouse=True)
def _english(request):
    """Messages are asserted in English, whatever the French catalogue holds today."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").post("/language", data={"language": "en"})


# --- registration numbers ------------------------------------------------------------------

def _scheme(country, code):
    return next(s for s in schemes_for(country) if s.code == code)


@pytest.mark.parametrize("country,code,number,ok", [
    ("SN", "ninea", "0012345", True),
    ("SN", "ninea", "0012345 2G3", True),
    ("SN", "ninea", "001234567", True),
    ("SN", "ninea", "0012345 9G3", False),  # the COFI's first digit is 0, 1 or 2
    ("SN", "ninea", "12345", False),
    ("BJ", "ifu", "3202400012317", True),
    ("BJ", "ifu", "7202400012317", False),
    ("BF", "ifu", "0001 2345 A", True),
    ("BF", "ifu", "000123456", False),
    ("CM", "niu", "M041500012345B", True),
    ("CM", "niu", "X041500012345B", False),
    ("CI", "ncc", "0123456 A", True),
    ("CI", "ncc", "0123456", False),
    ("TG", "nif", "1000 123 456", True),
    ("TG", "nif", "100012345", False),
    ("GN", "nifp", "123-456-782", True),
    ("GN", "nifp", "123-456-780", False),  # wrong check digit
    ("ML", "nif", "084123456X", True),  # format unknown: length and characters only
    ("ML", "nif", "AB", False),
    ("SN", "rccm", "SN.DKR.2015.B.12345", True),
    ("BJ", "rccm", "RB/COT/18 B 21345", True),
    ("CM", "rccm", "RC/YAO/2015/B/123", True),
    ("SN", "rccm", "ABCDEFG", False),  # no digit at all
    ("SN", "rccm", "SN DKR <2015>", False),
])
def test_registration_numbers_follow_each_country(country, code, number, ok):
    assert check_number(_scheme(country, code), normalise_number(number)) is ok


def test_each_country_names_its_numbers():
    names = {country: [s.code for s in schemes_for(country)] for country in
             ("SN", "BJ", "CM", "BF", "ML", "NE", "TG", "GN", "CI", "GW")}
    assert names["SN"] == ["rccm", "ninea"] and names["BJ"] == ["rccm", "ifu"] and names["CM"] == ["rccm", "niu"]
    assert names["CI"] == ["rccm", "ncc"] and names["GN"] == ["rccm", "nifp"]
    assert all(codes[0] == "rccm" and len(codes) == 2 for codes in names.values())
    assert schemes_for("FR") == (FOREIGN,)
    assert normalise_number(" rb/cot/18  b 21345 ") == "RB-COT-18-B-21345"


def test_name_key_ignores_legal_forms_and_accents():
    assert name_key("Éts Diallo & Fils SARL") == name_key("DIALLO ET FILS") == "diallo fils"


# --- helpers -------------------------------------------------------------------------------

def company(**overrides):
    data = {"name": "Bâtiments du Sahel", "kind": "national", "legal_form": "sarl", "sector": "F",
            "number_1": "SN-DKR-2015-B-12345", "number_2": "0012345 2G3", "region_id": 0, "city": "Pikine",
            "address": "Route de Rufisque", "contact_name": "Fatou Sow", "phone": "33 820 12 34",
            "email": "rh@sahel.sn", "website": "", "seat_country": "SN", "programme_id": 0,
            "licence_number": "", "licence_valid_until": "", "numbers_country": "SN"}
    data.update(overrides)
    return data


def employers(app):
    with app.app_context():
        return db.session.scalars(sa.select(Employer).options(sa.orm.selectinload(Employer.registrations))
                                  .order_by(Employer.id)).all()


def events(app, employer_id):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.object_type == "employer", AuditEvent.object_id == str(employer_id))
            .order_by(AuditEvent.id)).all()


def user_named(app, username):
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.username == username))


# --- staff registration --------------------------------------------------------------------

@pytest.mark.parametrize("country,label", [("SN", "NINEA"), ("BJ", "IFU"), ("CM", "NIU"), ("BF", "IFU"),
                                           ("CI", "compte contribuable"), ("GN", "NIF")])
def test_staff_form_names_the_numbers_of_the_agency_country(client, login_as, create_agency, country, label):
    login_as(Role.AGENT, agency=create_agency(country))
    page = client.get("/employers/new").text
    assert label in page and "RCCM" in page


def test_agent_registers_an_employer_approved_and_followed_by_the_agency(app, client, login_as):
    agent = login_as(Role.AGENT)
    response = client.post("/employers/new", data=company())
    assert response.status_code == 302, response.text[:3000]
    (employer,) = employers(app)
    assert (employer.status, employer.agency_id, employer.country_code) == ("approved", agent.agency_id, "SN")
    assert employer.reviewed_at is not None and employer.seat_country == "SN"
    assert [(r.scheme, r.number) for r in employer.registrations] == [
        ("rccm", "SN-DKR-2015-B-12345"), ("ninea", "0012345-2G3")]
    assert employer.phone == "+221338201234" and employer.registered
    page = client.get(response.headers["Location"]).text
    assert "NINEA: 0012345-2G3" in page and 'id="history"' in page
    assert events(app, employer.id) == ["employer.created"]


def test_bad_input_is_explained_kept_and_nothing_saved(app, client, login_as):
    login_as(Role.AGENT)
    response = client.post("/employers/new", data=company(
        name="", number_2="12AB", phone="12", email="not-an-address", website="sahel", city="Thiaroye"))
    assert response.status_code == 400
    text = response.text
    assert "This number does not have the expected format." in text
    assert "This phone number is not valid" in text
    assert "Thiaroye" in text and 'value="12AB"' in text
    assert employers(app) == []


def test_same_number_in_the_country_is_refused(app, client, login_as, create_agency):
    login_as(Role.AGENT)
    assert client.post("/employers/new", data=company()).status_code == 302
    again = client.post("/employers/new", data=company(name="Autre société", number_1="", number_2="0012345-2g3"))
    assert again.status_code == 400 and "already registered to Bâtiments du Sahel" in again.text
    assert len(employers(app)) == 1


def test_same_trade_register_number_in_another_country_is_allowed(app, client, login_as, create_agency, auth):
    login_as(Role.AGENT)
    assert client.post("/employers/new", data=company(number_2="")).status_code == 302
    auth.logout()
    login_as(Role.AGENT, agency=create_agency("ML"))
    response = client.post("/employers/new", data=company(numbers_country="ML", phone="", number_2=""))
    assert response.status_code == 302, response.text[:3000]


def test_similar_name_warns_then_the_agent_confirms(app, client, login_as):
    login_as(Role.AGENT)
    assert client.post("/employers/new", data=company(name="Éts Diallo & Fils SARL", number_1="",
                                                      number_2="")).status_code == 302
    warned = client.post("/employers/new", data=company(name="Diallo et Fils", number_1="", number_2=""))
    assert warned.status_code == 400 and 'id="similar"' in warned.text and "Éts Diallo &amp; Fils SARL" in warned.text
    assert 'value="Diallo et Fils"' in warned.text
    confirmed = client.post("/employers/new", data=company(name="Diallo et Fils", number_1="", number_2="",
                                                           confirm_similar="y"))
    assert confirmed.status_code == 302
    second = employers(app)[1]
    assert events(app, second.id) == ["employer.created", "employer.duplicate_overridden"]


def test_foreign_employer_with_licence_and_programme(app, client, login_as, create_user, auth):
    login_as(Role.MANAGER)
    response = client.post("/employers/programmes", data={
        "name": "Saisonniers agricoles Espagne", "origin_country": "SN", "destination_country": "ES",
        "kind": "seasonal"})
    assert response.status_code == 302
    with app.app_context():
        programme_id = db.session.scalar(sa.select(PartnerProgramme.id))
    auth.logout()
    login_as(Role.AGENT)
    form = client.get("/employers/new").text
    assert "Saisonniers agricoles Espagne" in form
    data = company(name="Fresas de Huelva SL", kind="foreign", seat_country="ES", number_1="B21123456",
                   number_2="", phone="+34 959 12 34 56", licence_number="ETT-21-0042",
                   licence_valid_until="2099-12-31", programme_id=programme_id, legal_form="foreign")
    changed_seat = client.post("/employers/new", data=data)
    # The numbers on screen were Senegal's: the form asks again with the labels of Spain.
    assert changed_seat.status_code == 400 and "The country of the seat has changed" in changed_seat.text
    assert "Registration number in the country of the seat" in changed_seat.text
    response = client.post("/employers/new", data={**data, "numbers_country": "ES"})
    assert response.status_code == 302, response.text[:3000]
    (employer,) = employers(app)
    assert (employer.kind, employer.seat_country, employer.country_code) == ("foreign", "ES", "SN")
    assert employer.programme_id == programme_id and employer.licensed and employer.phone == "+34959123456"
    assert [(r.scheme, r.number) for r in employer.registrations] == [("foreign", "B21123456")]


@pytest.mark.parametrize("overrides,message", [
    ({"kind": "foreign", "seat_country": "SN"}, "is based abroad"),
    ({"kind": "intermediary"}, "A recruitment agency needs a licence"),
    ({"kind": "intermediary", "licence_number": "L-1", "licence_valid_until": "2001-01-01"},
     "This licence has expired."),
    ({"sector": "Z"}, "Choose a value from the list."),
    ({"programme_id": 999}, "Choose a programme from the list."),
])
def test_foreign_and_recruiter_rules(app, client, login_as, overrides, message):
    login_as(Role.AGENT)
    response = client.post("/employers/new", data=company(**overrides))
    assert response.status_code == 400 and message in response.text
    assert employers(app) == []


def test_staff_edit_is_audited_by_field(app, client, login_as):
    login_as(Role.AGENT)
    location = client.post("/employers/new", data=company()).headers["Location"]
    employer_id = int(location.rsplit("/", 1)[1])
    form = client.get(f"/employers/{employer_id}/edit").text
    assert 'value="SN-DKR-2015-B-12345"' in form and 'value="Bâtiments du Sahel"' in form
    response = client.post(f"/employers/{employer_id}/edit", data=company(city="Rufisque", number_2=""))
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "employer.updated")).one()
        assert event.details["fields"] == ["city", "registrations"]
    page = client.get(location).text
    assert "Registration numbers" in page and "Town" in page


def test_edit_puts_each_number_in_its_field(client, login_as, create_agency):
    agency = create_agency()
    login_as(Role.AGENT, agency=agency)
    location = client.post("/employers/new", data=company(number_1="")).headers["Location"]
    form = client.get(location + "/edit").text
    assert re.search(r'<input[^>]*id="number_1"[^>]*value=""', form)
    assert 'value="0012345-2G3"' in form


def test_deactivation_logs_the_employer_users_out(app, client, login_as, create_user, create_employer,
                                                 create_agency):
    agency = create_agency()
    login_as(Role.AGENT, agency=agency)
    employer = create_employer(agency=agency)
    boss = create_user(Role.EMPLOYER, employer_id=employer.id)
    assert client.post(f"/employers/{employer.id}/active", data={"active": "0"}).status_code == 302
    assert not employers(app)[0].active and not user_named(app, boss.username).active
    assert "employer.deactivated" in events(app, employer.id)
    client.post(f"/employers/{employer.id}/active", data={"active": "1"})
    assert employers(app)[0].active and not user_named(app, boss.username).active  # reactivated one by one
    client.post(f"/employers/{employer.id}/users/{boss.id}/active", data={"active": "1"})
    assert user_named(app, boss.username).active


# --- scope ---------------------------------------------------------------------------------

def test_scope_per_agency_country_and_own_employer(app, client, login_as, create_agency, create_employer,
                                                    create_user, auth):
    home, neighbour, abroad = create_agency("SN"), create_agency("SN"), create_agency("BJ")
    ours = create_employer("Ours", agency=home)
    theirs = create_employer("Theirs", agency=neighbour)
    foreign = create_employer("Béninoise", country="BJ", agency=abroad)
    login_as(Role.AGENT, agency=home)
    assert client.get(f"/employers/{theirs.id}").status_code == 200  # read: the whole country
    assert client.get(f"/employers/{theirs.id}/edit").status_code == 404  # manage: the agency only
    assert client.get(f"/employers/{ours.id}/edit").status_code == 200
    assert client.get(f"/employers/{foreign.id}").status_code == 404
    listing = client.get("/employers/").text
    assert "Ours" in listing and "Theirs" in listing and "Béninoise" not in listing
    auth.logout()
    boss = create_user(Role.EMPLOYER, employer_id=ours.id)
    auth.login(boss.username)
    assert client.get("/employers/").headers["Location"].endswith(f"/employers/{ours.id}")
    assert client.get(f"/employers/{ours.id}").status_code == 200
    assert client.get(f"/employers/{theirs.id}").status_code == 404
    assert client.get(f"/employers/{theirs.id}/edit").status_code == 404
    assert client.get("/employers/new").status_code == 403
    assert client.get("/employers/pending").status_code == 403
    assert client.post(f"/employers/{ours.id}/active", data={"active": "0"}).status_code == 403


@pytest.mark.parametrize("path", ["/employers/", "/employers/new", "/employers/pending", "/employers/programmes"])
def test_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_search_by_name_and_number_with_filters(app, client, login_as):
    login_as(Role.AGENT)
    client.post("/employers/new", data=company())
    client.post("/employers/new", data=company(name="Transports Ndiaye", number_1="SN-THS-2019-A-777",
                                               number_2="", kind="intermediary", licence_number="L-77"))
    assert "Transports Ndiaye" in client.get("/employers/?q=ndiaye").text
    by_number = client.get("/employers/?q=0012345 2G3").text
    assert "Bâtiments du Sahel" in by_number and "Transports Ndiaye" not in by_number
    by_kind = client.get("/employers/?kind=intermediary").text
    assert "Transports Ndiaye" in by_kind and "Bâtiments du Sahel" not in by_kind
    assert "Bâtiments du Sahel" not in client.get("/employers/?status=pending").text


# --- online registration -------------------------------------------------------------------

def online(agency, **overrides):
    data = company(agency_id=agency, full_name="Moussa Fall", username="moussa.fall", password="Sahel2026bati",
                   confirm="Sahel2026bati", contact_name="")
    for key in ("seat_country", "programme_id", "licence_number", "licence_valid_until"):
        data.pop(key)
    data.update(overrides)
    return data


def post_online(client, data, country="SN"):
    """Open the form (a new sum each time), then send ``data`` with the right answer unless given."""
    client.get(f"/employers/register?country={country}")
    with client.session_transaction() as session:
        answer = session[SUM_KEY]
    return client.post(f"/employers/register?country={country}", data={"answer": answer, **data})


def test_online_form_offers_the_chosen_country_only(client, create_agency):
    dakar, cotonou = create_agency("SN", name="Agence de Dakar"), create_agency("BJ", name="Agence de Cotonou")
    assert 'name="country"' in client.get("/employers/register").text
    page = client.get("/employers/register?country=SN").text
    assert "NINEA" in page and "Agence de Dakar" in page and "Agence de Cotonou" not in page
    assert re.search(r"\d plus \d", page)
    benin = client.get("/employers/register?country=BJ").text
    assert "IFU" in benin and "Agence de Cotonou" in benin and dakar.name not in benin and cotonou.name in benin


def test_online_registration_waits_for_approval_then_logs_in(app, client, create_agency, create_user, auth):
    agency = create_agency("SN")
    response = post_online(client, online(agency.id))
    assert response.status_code == 302, response.text[:3000]
    assert response.headers["Location"].endswith("/employers/registered")
    (employer,) = employers(app)
    assert (employer.status, employer.agency_id, employer.contact_name) == ("pending", agency.id, "Moussa Fall")
    boss = user_named(app, "moussa.fall")
    assert (boss.role, boss.employer_id, boss.active) == ("employer", employer.id, False)
    assert events(app, employer.id) == ["employer.registered_online"]
    assert auth.login("moussa.fall", "Sahel2026bati").status_code == 200  # not yet

    neighbour = create_user(Role.AGENT, agency=create_agency("SN"))
    auth.login(neighbour.username)
    assert "Bâtiments du Sahel" not in client.get("/employers/pending").text
    assert client.post(f"/employers/{employer.id}/review", data={"approve": "y"}).status_code == 404
    auth.logout()
    agent = create_user(Role.AGENT, agency=agency)
    auth.login(agent.username)
    assert "Bâtiments du Sahel" in client.get("/employers/pending").text
    assert "Review the registration" in client.get(f"/employers/{employer.id}").text
    response = client.post(f"/employers/{employer.id}/review", data={"approve": "y", "comment": "NINEA vérifié"})
    assert response.status_code == 302
    approved = employers(app)[0]
    assert approved.status == "approved" and approved.reviewed_at is not None
    assert approved.review_comment == "NINEA vérifié" and user_named(app, "moussa.fall").active
    assert events(app, employer.id)[-1] == "employer.approved"
    auth.logout()

    assert auth.login("moussa.fall", "Sahel2026bati").status_code == 302
    page = client.get(f"/employers/{employer.id}").text
    assert "Bâtiments du Sahel" in page and "NINEA: 0012345-2G3" in page
    # The portal changes contacts only: the numbers stay as the agency approved them.
    response = client.post(f"/employers/{employer.id}/edit", data={
        "contact_name": "Awa Fall", "phone": "77 555 44 33", "email": "rh@sahel.sn", "website": "",
        "city": "Pikine", "address": "Route de Rufisque", "number_2": "9999999", "name": "Autre"})
    assert response.status_code == 302
    after = employers(app)[0]
    assert (after.contact_name, after.phone, after.name) == ("Awa Fall", "+221775554433", "Bâtiments du Sahel")
    assert [r.number for r in after.registrations] == ["SN-DKR-2015-B-12345", "0012345-2G3"]


def test_rejection_needs_a_comment_and_keeps_the_login_closed(app, client, create_agency, login_as):
    agency = create_agency("SN")
    post_online(client, online(agency.id))
    (employer,) = employers(app)
    login_as(Role.MANAGER, agency=create_agency("SN"))  # a manager sees the whole country
    assert "Bâtiments du Sahel" in client.get("/employers/pending").text
    client.post(f"/employers/{employer.id}/review", data={"reject": "y", "comment": " "})
    assert employers(app)[0].status == "pending"
    client.post(f"/employers/{employer.id}/review", data={"reject": "y", "comment": "Numéro RCCM inconnu"})
    rejected = employers(app)[0]
    assert (rejected.status, rejected.review_comment) == ("rejected", "Numéro RCCM inconnu")
    assert not user_named(app, "moussa.fall").active
    client.post(f"/employers/{employer.id}/review", data={"approve": "y"})  # too late
    assert employers(app)[0].status == "rejected"
    assert "Numéro RCCM inconnu" in client.get(f"/employers/{employer.id}").text


@pytest.mark.parametrize("overrides,message", [
    ({"answer": "0"}, "The result of the sum is wrong"),
    ({"number_1": "", "number_2": ""}, "Give at least one registration number"),
    ({"password": "abc12", "confirm": "abc12"}, "Use at least 10 characters."),
    ({"password": "moussafall2026", "confirm": "moussafall2026"}, "Do not use your name or username"),
    ({"confirm": "Sahel2026batiX"}, "The two passwords differ."),
    ({"agency_id": 0}, "Choose the agency that should follow you."),
    ({"username": "moussa fall"}, "Use letters, digits, dots, dashes or underscores."),
    ({"number_2": "12"}, "This number does not have the expected format."),
    ({"phone": "000"}, "This phone number is not valid"),
])
def test_online_bad_input_writes_nothing_and_keeps_what_was_typed(app, client, create_agency, overrides, message):
    agency = create_agency("SN")
    response = post_online(client, online(agency.id, **overrides))
    assert response.status_code == 400 and message in response.text
    assert 'value="Bâtiments du Sahel"' in response.text and "Sahel2026bati" not in response.text
    assert employers(app) == [] and user_named(app, "moussa.fall") is None


def test_online_agency_of_another_country_is_refused(app, client, create_agency):
    create_agency("SN")
    benin = create_agency("BJ")
    response = post_online(client, online(benin.id))
    assert response.status_code == 400 and "Choose the agency that should follow you." in response.text
    assert employers(app) == []


def test_online_taken_username_and_known_number(app, client, create_agency, create_user, login_as, auth):
    agency = create_agency("SN")
    create_user(Role.AGENT, agency=agency, username="moussa.fall")
    response = post_online(client, online(agency.id))
    assert response.status_code == 400 and "This username is already taken." in response.text
    login_as(Role.AGENT, agency=agency)
    client.post("/employers/new", data=company())
    auth.logout()
    response = post_online(client, online(agency.id, username="bati.sahel"))
    assert response.status_code == 400
    # A visitor is not told which company holds the number.
    assert "already registered to another employer" in response.text
    assert len(employers(app)) == 1


def test_bots_filling_the_hidden_field_are_turned_away(app, client, create_agency):
    agency = create_agency("SN")
    assert post_online(client, online(agency.id, fax="+221 33 000 00 00")).status_code == 400
    assert employers(app) == []


def test_online_form_in_french(client, create_agency):
    create_agency("SN")
    client.post("/language", data={"language": "fr"})
    page = client.get("/employers/register?country=SN").text
    assert 'lang="fr"' in page and "Se connecter" in page


# --- employer users and programmes ---------------------------------------------------------

def test_staff_add_users_to_approved_employers_only(app, client, login_as, create_employer, create_agency):
    agency = create_agency()
    login_as(Role.AGENT, agency=agency)
    employer = create_employer(agency=agency)
    response = client.post(f"/employers/{employer.id}/users/new", data={
        "username": "awa.rh", "full_name": "Awa Ndiaye", "email": "", "password": "Recrute2026ok"})
    assert response.status_code == 302
    added = user_named(app, "awa.rh")
    assert (added.role, added.employer_id, added.must_change_password) == ("employer", employer.id, True)
    assert "employer.user_added" in events(app, employer.id)
    with app.app_context():
        db.session.execute(sa.update(Employer).values(status="pending"))
        db.session.commit()
    client.post(f"/employers/{employer.id}/users/new", data={
        "username": "second", "full_name": "Second", "email": "", "password": "Recrute2026ok"})
    assert user_named(app, "second") is None


def test_programmes_are_kept_by_managers(app, client, login_as, auth):
    login_as(Role.AGENT)
    assert client.get("/employers/programmes").status_code == 403
    auth.logout()
    login_as(Role.MANAGER)
    bad = client.post("/employers/programmes", data={"name": "X", "origin_country": "SN",
                                                     "destination_country": "SN", "kind": "bilateral"})
    assert bad.status_code == 400 and "other than the country of origin" in bad.text
    other = client.post("/employers/programmes", data={"name": "X", "origin_country": "BJ",
                                                       "destination_country": "FR", "kind": "bilateral"})
    assert other.status_code == 400
    client.post("/employers/programmes", data={"name": "Mobilité Canada", "origin_country": "SN",
                                               "destination_country": "CA", "kind": "skills_partnership"})
    with app.app_context():
        programme = db.session.scalars(sa.select(PartnerProgramme)).one()
    assert programme.origin_country == "SN" and programme.kind == "skills_partnership"
    client.post(f"/employers/programmes/{programme.id}", data={
        "name": "Mobilité Canada", "origin_country": "SN", "destination_country": "CA",
        "kind": "skills_partnership", "status": "ended"})
    with app.app_context():
        ended = db.session.get(PartnerProgramme, programme.id)
        assert (ended.status, ended.active) == ("ended", False)


def test_registration_numbers_are_stored_once_per_employer(app, client, login_as):
    login_as(Role.AGENT)
    client.post("/employers/new", data=company(number_1="sn dkr 2015 b 12345", number_2=""))
    with app.app_context():
        assert db.session.scalars(sa.select(EmployerRegistration.number)).all() == ["SN-DKR-2015-B-12345"]
