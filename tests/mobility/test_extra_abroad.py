"""The departure, the contacts abroad and the return: open at the right stages, checked, each
recorded as a dated event of the dossier, and the dossier's stage left to its workflow."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.extensions import db
from app.mobility.models import Departure, Dossier, FollowUp, ReturnRecord
from app.offers.models import Offer
from tests.matching.factories import add_employer, add_offer
from tests.mobility.test_extra_helpers import add_departure, add_dossier, events, login, read, staff

TODAY = date.today()


@pytest.fixture
def desk(app, create_user, create_agency, client):
    agency, counsellor, manager = staff(create_user, create_agency)
    login(client, counsellor)
    return agency, counsellor, manager


def departure_data(**overrides):
    data = {"departed_on": (TODAY - timedelta(days=30)).isoformat(), "destination_country": "ES",
            "city": "Huelva", "employer_name": "Fresas de Huelva SL", "offer": "", "occupation_code": "a1401",
            "contract_months": "6", "contract_end": ""}
    data.update(overrides)
    return data


def stage_of(app, dossier_id):
    with app.app_context():
        return db.session.get(Dossier, dossier_id).stage


# --- departure ---------------------------------------------------------------------------------

@pytest.mark.parametrize("stage,allowed", [("opened", False), ("counselling", False), ("matched", False),
                                           ("pre_departure", True), ("departed", True), ("follow_up", True),
                                           ("returned", True), ("closed", False)])
def test_the_departure_opens_at_pre_departure(app, client, desk, stage, allowed):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage=stage)
    page = client.get(f"/mobility/dossiers/{dossier_id}/departure").text
    assert ('id="departure-form"' in page) is allowed
    response = client.post(f"/mobility/dossiers/{dossier_id}/departure", data=departure_data())
    assert response.status_code == 302
    recorded = read(app, Departure, dossier_id=dossier_id)
    assert bool(recorded) is allowed
    assert events(app, dossier_id) == (["departure_recorded"] if allowed else [])
    assert stage_of(app, dossier_id) == stage  # the workflow moves the stage, not this record


def test_departure_recorded_then_changed(app, client, desk):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="pre_departure", occupations=("A1401",),
                             destinations=("ES",))
    form = client.get(f"/mobility/dossiers/{dossier_id}/departure").text
    assert 'value="A1401"' in form and '<option selected value="ES">' in form
    response = client.post(f"/mobility/dossiers/{dossier_id}/departure", data=departure_data())
    assert response.status_code == 302
    (record,) = read(app, Departure, dossier_id=dossier_id)
    assert (record.destination_country, record.city, record.employer_name, record.occupation_code,
            record.contract_months, record.offer_id) == ("ES", "Huelva", "Fresas de Huelva SL", "A1401", 6, None)
    client.post(f"/mobility/dossiers/{dossier_id}/departure", data=departure_data())  # unchanged
    client.post(f"/mobility/dossiers/{dossier_id}/departure", data=departure_data(city="Lepe"))
    assert read(app, Departure, dossier_id=dossier_id)[0].city == "Lepe"
    assert events(app, dossier_id) == ["departure_recorded", "departure_updated"]
    with app.app_context():
        event = db.session.get(Dossier, dossier_id).events[-1]
        assert event.actor_id == counsellor.id and event.at is not None


def test_the_departure_through_an_international_offer(app, client, desk):
    agency, counsellor, _manager = desk
    employer = add_employer(app, agency.id, name="Agri Sud SL")
    abroad = add_offer(app, employer, international=True, destination_country="FR", job_title="Ouvrier agricole",
                       occupation_code="A1401", city="Avignon", contract_months=8)
    national = add_offer(app, employer)
    with app.app_context():
        reference = db.session.get(Offer, abroad).reference
        national_reference = db.session.get(Offer, national).reference
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="pre_departure", offer_id=abroad)
    form = client.get(f"/mobility/dossiers/{dossier_id}/departure").text
    assert f'value="{reference}"' in form and 'value="Avignon"' in form and 'value="Agri Sud SL"' in form
    response = client.post(f"/mobility/dossiers/{dossier_id}/departure", data=departure_data(
        offer=national_reference))
    assert response.status_code == 400 and "Give the reference of an international offer." in response.text
    response = client.post(f"/mobility/dossiers/{dossier_id}/departure", data=departure_data(
        offer=reference.lower(), destination_country="FR"))
    assert response.status_code == 302
    assert read(app, Departure, dossier_id=dossier_id)[0].offer_id == abroad


@pytest.mark.parametrize("overrides,message", [
    ({"destination_country": "SN"}, "Choose a destination other than the country of origin."),
    ({"destination_country": ""}, "Choose a destination other than the country of origin."),
    ({"offer": "SN-O-2020-999999"}, "Give the reference of an international offer."),
    ({"occupation_code": "Z9999"}, "This is not a ROAME occupation code."),
    ({"contract_end": (TODAY - timedelta(days=31)).isoformat()}, "The contract cannot end before the departure."),
    ({"contract_months": "0"}, "Give a number of months between 1 and 120."),
    ({"departed_on": ""}, "Give the date."),
    ({"departed_on": "hier"}, "Not a valid date value."),
])
def test_bad_departures_are_refused(app, client, desk, overrides, message):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="pre_departure")
    response = client.post(f"/mobility/dossiers/{dossier_id}/departure", data=departure_data(**overrides))
    assert response.status_code == 400 and message in response.text
    assert read(app, Departure, dossier_id=dossier_id) == [] and events(app, dossier_id) == []


# --- contacts abroad ---------------------------------------------------------------------------

def test_contacts_abroad(app, client, desk):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="departed")
    response = client.post(f"/mobility/dossiers/{dossier_id}/follow-ups", data={
        "contacted_on": TODAY.isoformat(), "channel": "phone", "situation": "as_planned", "notes": ""})
    assert "Record the departure first." in client.get(response.headers["Location"]).text
    assert read(app, FollowUp) == []
    add_departure(app, dossier_id, departed_on=TODAY - timedelta(days=60))
    for data, message in (
            ({"contacted_on": (TODAY + timedelta(days=1)).isoformat()}, "This date is in the future."),
            ({"contacted_on": (TODAY - timedelta(days=61)).isoformat()}, "This date is before the departure"),
            ({"channel": "pigeon"}, "Not a valid choice"),
            ({"situation": "happy"}, "Not a valid choice")):
        response = client.post(f"/mobility/dossiers/{dossier_id}/follow-ups", data={
            "contacted_on": TODAY.isoformat(), "channel": "phone", "situation": "as_planned", "notes": "", **data})
        assert response.status_code == 400 and message in response.text, data
    response = client.post(f"/mobility/dossiers/{dossier_id}/follow-ups", data={
        "contacted_on": (TODAY - timedelta(days=10)).isoformat(), "channel": "consulate",
        "situation": "wants_to_return", "notes": "Salaire non versé depuis deux mois."})
    assert response.status_code == 302
    (contact,) = read(app, FollowUp, dossier_id=dossier_id)
    assert (contact.channel, contact.situation, contact.counsellor_id) == ("consulate", "wants_to_return",
                                                                          counsellor.id)
    assert events(app, dossier_id) == ["follow_up"] and stage_of(app, dossier_id) == "departed"
    page = client.get(f"/mobility/dossiers/{dossier_id}/follow-ups").text
    assert "Through the consulate" in page and "Wants to return" in page and "Salaire non versé" in page


@pytest.mark.parametrize("stage", ["pre_departure", "returned", "closed"])
def test_no_contact_abroad_outside_the_stay(app, client, desk, stage):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage=stage)
    add_departure(app, dossier_id, departed_on=TODAY - timedelta(days=60))
    client.post(f"/mobility/dossiers/{dossier_id}/follow-ups", data={
        "contacted_on": TODAY.isoformat(), "channel": "phone", "situation": "as_planned"})
    assert read(app, FollowUp) == []


# --- return ------------------------------------------------------------------------------------

def test_return_and_reintegration_needs(app, client, desk):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="follow_up")
    add_departure(app, dossier_id, departed_on=TODAY - timedelta(days=200))
    response = client.post(f"/mobility/dossiers/{dossier_id}/return", data={
        "returned_on": (TODAY - timedelta(days=3)).isoformat(), "situation": "early_return",
        "needs": ["training", "job", "psychosocial"], "notes": "Rentré avant la fin du contrat."})
    assert response.status_code == 302, response.text[:3000]
    (record,) = read(app, ReturnRecord, dossier_id=dossier_id)
    assert (record.situation, record.needs) == ("early_return", "job training psychosocial")
    assert events(app, dossier_id) == ["return_recorded"] and stage_of(app, dossier_id) == "follow_up"
    page = client.get(f"/mobility/dossiers/{dossier_id}/return").text
    seeker_id = read(app, Dossier, id=dossier_id)[0].jobseeker_id
    assert f'href="/matching/jobseekers/{seeker_id}/offers?scope=national"' in page and "Find national offers" in page
    response = client.post(f"/mobility/dossiers/{dossier_id}/return", data={
        "returned_on": (TODAY - timedelta(days=3)).isoformat(), "situation": "early_return", "needs": ["job"]})
    assert read(app, ReturnRecord, dossier_id=dossier_id)[0].needs == "job"
    assert events(app, dossier_id) == ["return_recorded", "return_updated"]


@pytest.mark.parametrize("data,message", [
    ({"needs": ["job", "visa"]}, "Choose a value from the list."),
    ({"situation": "tourism"}, "Not a valid choice"),
    ({"returned_on": (TODAY + timedelta(days=2)).isoformat()}, "This date is in the future."),
    ({"returned_on": (TODAY - timedelta(days=400)).isoformat()}, "This date is before the departure"),
])
def test_bad_returns_are_refused(app, client, desk, data, message):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="departed")
    add_departure(app, dossier_id, departed_on=TODAY - timedelta(days=200))
    response = client.post(f"/mobility/dossiers/{dossier_id}/return", data={
        "returned_on": TODAY.isoformat(), "situation": "contract_ended", **data})
    assert response.status_code == 400 and message in response.text
    assert read(app, ReturnRecord) == []


def test_the_national_offers_link_waits_for_its_page(app, client, desk, monkeypatch):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="returned")
    add_departure(app, dossier_id, departed_on=TODAY - timedelta(days=200), returned_on=TODAY)
    assert "Find national offers" in client.get(f"/mobility/dossiers/{dossier_id}/return").text
    monkeypatch.delitem(app.view_functions, "matching.offers_for")
    assert "Find national offers" not in client.get(f"/mobility/dossiers/{dossier_id}/return").text


# --- access and the dossier page ---------------------------------------------------------------

def test_managers_read_others_do_not(app, client, desk, create_user, create_agency):
    agency, counsellor, manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="departed")
    add_departure(app, dossier_id, departed_on=TODAY - timedelta(days=20))
    pages = [f"/mobility/dossiers/{dossier_id}/{page}" for page in ("departure", "follow-ups", "return")]
    login(client, manager)
    for page in pages:
        assert client.get(page).status_code == 200
        assert client.post(page, data={}).status_code == 403
    login(client, create_user(Role.MOBILITY_COUNSELLOR, agency=create_agency("SN")))
    for page in pages:
        assert client.get(page).status_code == 404
        assert client.post(page, data={}).status_code == 404
    login(client, create_user(Role.MANAGER, agency=create_agency("BJ")))
    assert all(client.get(page).status_code == 404 for page in pages)
    for role in (Role.AGENT, Role.COUNSELLOR, Role.ADMIN):
        login(client, create_user(role, agency=agency))
        assert all(client.get(page).status_code == 403 for page in pages)
    assert read(app, FollowUp) == [] and read(app, ReturnRecord) == []


def test_the_dossier_page_shows_departure_contacts_and_return(app, client, desk):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="departed")
    page = client.get(f"/mobility/dossiers/{dossier_id}")
    if page.status_code == 404:
        pytest.skip("the dossier page is not there yet")
    assert "No departure recorded." in page.text and "Record the departure" in page.text
    client.post(f"/mobility/dossiers/{dossier_id}/departure", data=departure_data())
    client.post(f"/mobility/dossiers/{dossier_id}/follow-ups", data={
        "contacted_on": TODAY.isoformat(), "channel": "visit", "situation": "changed_job", "notes": ""})
    text = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert "Fresas de Huelva SL" in text and "Spain" in text and "Changed job" in text
    assert "Record a contact" in text and "Record the return" in text
    assert "Departure recorded" in text and "Contact abroad recorded" in text  # the timeline
    with app.app_context():
        db.session.execute(sa.update(Dossier).values(stage="returned"))
        db.session.commit()
    client.post(f"/mobility/dossiers/{dossier_id}/return", data={
        "returned_on": TODAY.isoformat(), "situation": "contract_ended", "needs": ["documents"]})
    text = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert "Contract ended" in text and "Administrative documents" in text and "Find national offers" in text
    assert "Record a contact" not in text and "See the contacts" in text
