"""Pre-departure workshops: planning, enrolment of the agency's open dossiers within capacity,
attendance once the workshop took place, and who may see them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.extensions import db
from app.mobility.models import Enrolment, Workshop
from app.offers.models import PartnerProgramme
from tests.mobility.test_extra_helpers import add_dossier, events, login, read, staff

SOON = (datetime.now() + timedelta(days=10)).replace(second=0, microsecond=0)


@pytest.fixture
def desk(app, create_user, create_agency, client):
    agency, counsellor, manager = staff(create_user, create_agency)
    login(client, counsellor)
    return agency, counsellor, manager


def workshop_data(**overrides):
    data = {"starts_at": SOON.strftime("%Y-%m-%dT%H:%M"), "place": "Agence de Dakar, salle 2",
            "topic": "Travailler en Espagne : droits et contrat", "capacity": "2", "destination_country": "ES",
            "programme_id": "0"}
    data.update(overrides)
    return data


def add_workshop(app, agency, starts_at: datetime, capacity: int = 2, topic: str = "Vivre en France") -> int:
    with app.app_context():
        workshop = Workshop(country_code=agency.country_code, agency_id=agency.id, starts_at=starts_at,
                            place="Dakar", topic=topic, capacity=capacity)
        db.session.add(workshop)
        db.session.commit()
        return workshop.id


def enrolments(app, workshop_id):
    return [(e.dossier_id, e.attended) for e in read(app, Enrolment, workshop_id=workshop_id)]


def add_programme(app, name, status):
    with app.app_context():
        programme = PartnerProgramme(name=name, origin_country="SN", destination_country="ES", kind="seasonal",
                                     status=status, active=status == "active")
        db.session.add(programme)
        db.session.commit()
        return programme.id


def test_create_and_list(app, client, desk):
    current = add_programme(app, "Saisonniers Huelva", "active")
    add_programme(app, "Ancien accord", "ended")
    form = client.get("/mobility/workshops/new").text
    assert "Saisonniers Huelva" in form and "Ancien accord" not in form
    response = client.post("/mobility/workshops/new", data=workshop_data(programme_id=str(current)))
    assert response.status_code == 302, response.text[:3000]
    (workshop,) = read(app, Workshop)
    assert (workshop.topic, workshop.capacity, workshop.destination_country, workshop.programme_id) == (
        "Travailler en Espagne : droits et contrat", 2, "ES", current)
    assert workshop.starts_at.replace(tzinfo=None) == SOON  # the test runs in UTC, the default time zone
    assert workshop.agency_id == desk[0].id and workshop.created_by_id == desk[1].id
    listing = client.get("/mobility/workshops").text
    upcoming = listing.split('id="upcoming"')[1].split('id="past"')[0]
    assert "Travailler en Espagne" in upcoming and "0 / 2" in upcoming
    page = client.get(response.headers["Location"]).text
    assert "Spain" in page and "0 taken of 2" in page and "Saisonniers Huelva" in page


@pytest.mark.parametrize("overrides,message", [
    ({"capacity": "0"}, "Give a number of places between 1 and 500."),
    ({"topic": ""}, "This field is required."),
    ({"starts_at": "demain"}, "Not a valid datetime value."),
    ({"destination_country": "XX"}, "Choose a value from the list."),
    ({"programme_id": "999"}, "Choose a value from the list."),
])
def test_bad_workshops_are_refused(app, client, desk, overrides, message):
    response = client.post("/mobility/workshops/new", data=workshop_data(**overrides))
    assert response.status_code == 400 and message in response.text
    assert read(app, Workshop) == []


def test_enrol_within_capacity_once_and_only_open_dossiers(app, client, desk, create_agency):
    agency, counsellor, _manager = desk
    workshop_id = add_workshop(app, agency, datetime.now(timezone.utc) + timedelta(days=3), capacity=2)
    first, second, third = (add_dossier(app, agency, counsellor=counsellor, stage="pre_departure") for _ in range(3))
    closed = add_dossier(app, agency, counsellor=counsellor, stage="closed")
    elsewhere = add_dossier(app, create_agency("SN"), stage="pre_departure")
    page = client.get(f"/mobility/workshops/{workshop_id}").text
    assert f'value="{first}"' in page and f'value="{closed}"' not in page and f'value="{elsewhere}"' not in page

    def enrol(dossier_id):
        response = client.post(f"/mobility/workshops/{workshop_id}/enrol", data={"dossier_id": dossier_id})
        return client.get(response.headers["Location"]).text

    assert "is enrolled" in enrol(first)
    assert "already enrolled" in enrol(first)
    assert "closed: it cannot be enrolled" in enrol(closed)
    assert "Choose an open dossier of the workshop" in enrol(elsewhere)
    assert "Choose an open dossier of the workshop" in enrol(987654)
    assert "is enrolled" in enrol(second)
    assert "The workshop is full." in enrol(third)
    assert enrolments(app, workshop_id) == [(first, None), (second, None)]
    assert events(app, first) == ["workshop_enrolled"] and events(app, third) == []


def test_capacity_cannot_drop_below_the_enrolled(app, client, desk):
    agency, counsellor, _manager = desk
    workshop_id = add_workshop(app, agency, datetime.now(timezone.utc) + timedelta(days=3), capacity=3)
    for _ in range(2):
        client.post(f"/mobility/workshops/{workshop_id}/enrol",
                    data={"dossier_id": add_dossier(app, agency, counsellor=counsellor)})
    form = client.get(f"/mobility/workshops/{workshop_id}/edit").text
    assert 'value="Vivre en France"' in form
    response = client.post(f"/mobility/workshops/{workshop_id}/edit", data=workshop_data(capacity="1"))
    assert response.status_code == 400 and "2 people are already enrolled" in response.text
    response = client.post(f"/mobility/workshops/{workshop_id}/edit", data=workshop_data(capacity="2"))
    assert response.status_code == 302
    assert read(app, Workshop)[0].capacity == 2


def test_cancel_an_enrolment_before_the_workshop(app, client, desk):
    agency, counsellor, _manager = desk
    workshop_id = add_workshop(app, agency, datetime.now(timezone.utc) + timedelta(days=3))
    dossier_id = add_dossier(app, agency, counsellor=counsellor)
    client.post(f"/mobility/workshops/{workshop_id}/enrol", data={"dossier_id": dossier_id})
    (enrolment,) = read(app, Enrolment)
    client.post(f"/mobility/workshops/{workshop_id}/enrolments/{enrolment.id}/delete")
    assert enrolments(app, workshop_id) == []
    assert events(app, dossier_id) == ["workshop_enrolled", "workshop_unenrolled"]


def test_attendance_after_the_workshop(app, client, desk):
    agency, counsellor, _manager = desk
    coming = add_workshop(app, agency, datetime.now(timezone.utc) + timedelta(hours=2))
    came, missed = (add_dossier(app, agency, counsellor=counsellor) for _ in range(2))
    for dossier_id in (came, missed):
        client.post(f"/mobility/workshops/{coming}/enrol", data={"dossier_id": dossier_id})
    ids = {e.dossier_id: e.id for e in read(app, Enrolment)}
    response = client.post(f"/mobility/workshops/{coming}/attendance", data={"attended": [ids[came]]})
    assert "once the workshop has taken place" in client.get(response.headers["Location"]).text
    assert enrolments(app, coming) == [(came, None), (missed, None)]

    with app.app_context():  # the workshop has now taken place
        db.session.execute(sa.update(Workshop).values(starts_at=datetime.now(timezone.utc) - timedelta(hours=1)))
        db.session.commit()
    page = client.get(f"/mobility/workshops/{coming}").text
    assert 'name="attended"' in page and "Cancel the enrolment" not in page
    response = client.post(f"/mobility/workshops/{coming}/enrol",
                           data={"dossier_id": add_dossier(app, agency, counsellor=counsellor)})
    assert "already started" in client.get(response.headers["Location"]).text
    client.post(f"/mobility/workshops/{coming}/attendance", data={"attended": [ids[came]]})
    assert enrolments(app, coming) == [(came, True), (missed, False)]
    assert events(app, came)[-1] == "workshop_attended" and events(app, missed)[-1] == "workshop_missed"
    page = client.get(f"/mobility/workshops/{coming}").text
    assert f'value="{ids[came]}" id="attended-{ids[came]}" aria-label="Present" checked' in page
    assert page.count(">absent<") == 1
    # Sent again unchanged: no new event.
    client.post(f"/mobility/workshops/{coming}/attendance", data={"attended": [ids[came]]})
    assert events(app, came).count("workshop_attended") == 1
    listing = client.get("/mobility/workshops").text
    assert "Vivre en France" in listing.split('id="past"')[1]


def test_the_dossier_page_shows_its_workshops(app, client, desk):
    agency, counsellor, _manager = desk
    workshop_id = add_workshop(app, agency, datetime.now(timezone.utc) + timedelta(days=1), topic="Partir au Canada")
    dossier_id = add_dossier(app, agency, counsellor=counsellor)
    client.post(f"/mobility/workshops/{workshop_id}/enrol", data={"dossier_id": dossier_id})
    page = client.get(f"/mobility/dossiers/{dossier_id}")
    if page.status_code == 404:
        pytest.skip("the dossier page is not there yet")
    assert "Partir au Canada" in page.text and "enrolled" in page.text


def test_who_sees_which_workshops(app, client, desk, create_user, create_agency):
    agency, _counsellor, manager = desk
    ours = add_workshop(app, agency, datetime.now(timezone.utc) + timedelta(days=1), topic="Atelier de Dakar")
    other_agency = create_agency("SN")
    theirs = add_workshop(app, other_agency, datetime.now(timezone.utc) + timedelta(days=1), topic="Atelier de Thiès")
    abroad = add_workshop(app, create_agency("BJ"), datetime.now(timezone.utc) + timedelta(days=1),
                          topic="Atelier de Cotonou")
    listing = client.get("/mobility/workshops").text
    assert "Atelier de Dakar" in listing and "Atelier de Thiès" not in listing
    assert client.get(f"/mobility/workshops/{theirs}").status_code == 404
    assert client.post(f"/mobility/workshops/{theirs}/enrol", data={"dossier_id": 1}).status_code == 404
    login(client, manager)  # the country's manager sees every agency of the country
    listing = client.get("/mobility/workshops").text
    assert "Atelier de Dakar" in listing and "Atelier de Thiès" in listing and "Atelier de Cotonou" not in listing
    assert client.get(f"/mobility/workshops/{ours}").status_code == 200
    assert client.get(f"/mobility/workshops/{abroad}").status_code == 404
    for role in (Role.AGENT, Role.COUNSELLOR, Role.ADMIN):
        login(client, create_user(role, agency=agency))
        assert client.get("/mobility/workshops").status_code == 403
        assert client.get(f"/mobility/workshops/{ours}").status_code == 403
        assert client.post("/mobility/workshops/new", data=workshop_data()).status_code == 403
