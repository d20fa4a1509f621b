"""Crafted input on the mobility pages (digits that are not ASCII, ids too large for the
database): a message, never a server error. The records around a dossier in the audit trail,
without what was written in them; and a concurrent change while recording a workshop."""
from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.extensions import db
from app.mobility import documents as docs
from app.mobility.models import Departure, Dossier, Enrolment, Workshop
from tests.mobility.conftest import get_dossier
from tests.mobility.test_extra_helpers import PDF, add_departure, add_dossier, events, login, read, staff

TODAY = date.today()
HUGE = "99999999999999999999"  # more than SQLite's 64 bits
# str.isdigit() says yes to all of them, int() refuses them.
NOT_ASCII_DIGITS = ["²", "①"]


@pytest.fixture
def desk(app, create_user, create_agency, client):
    agency, counsellor, manager = staff(create_user, create_agency)
    login(client, counsellor)
    return agency, counsellor, manager


def add_workshop(app, agency, starts_at: datetime, topic: str = "Vivre en France") -> int:
    with app.app_context():
        workshop = Workshop(country_code=agency.country_code, agency_id=agency.id, starts_at=starts_at,
                            place="Dakar", topic=topic, capacity=5)
        db.session.add(workshop)
        db.session.commit()
        return workshop.id


def audits(app, dossier_id: int, action: str | None = None) -> list[tuple[str, dict | None]]:
    with app.app_context():
        query = sa.select(AuditEvent.action, AuditEvent.details).where(
            AuditEvent.object_type == "dossier", AuditEvent.object_id == str(dossier_id))
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return [tuple(row) for row in db.session.execute(query.order_by(AuditEvent.id))]


def departure_data(**overrides) -> dict:
    data = {"departed_on": (TODAY - timedelta(days=30)).isoformat(), "destination_country": "ES",
            "city": "Huelva", "employer_name": "Fresas de Huelva SL", "offer": "", "occupation_code": "A1401",
            "contract_months": "6", "contract_end": ""}
    data.update(overrides)
    return data


# --- versions that are not ASCII digits -----------------------------------------------------

@pytest.mark.parametrize("version", NOT_ASCII_DIGITS + ["abc"])
def test_a_step_with_a_bad_version_is_refused(app, client, place, make_dossier, version):
    dossier_id = make_dossier("opened")
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/assess", data={"version": version})
    assert response.status_code == 400 and "The dossier is not changed: correct the form below." in response.text
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/close",
                           data={"version": version, "reason": "withdrew"})
    assert response.status_code == 400
    assert get_dossier(app, dossier_id).stage == "opened"


@pytest.mark.parametrize("version", NOT_ASCII_DIGITS)
def test_an_approval_or_send_back_with_a_bad_version_is_refused(app, client, place, make_dossier, version):
    dossier_id = make_dossier("counselling", review="matched")
    login(client, place.manager)
    response = client.post(f"/mobility/dossiers/{dossier_id}/approve", data={"version": version})
    assert response.status_code == 400 and "Check the form: some values are not valid." in response.text
    response = client.post(f"/mobility/dossiers/{dossier_id}/send-back",
                           data={"version": version, "comment": "Le contrat manque."})
    assert response.status_code == 400 and "The dossier is not sent back" in response.text
    dossier = get_dossier(app, dossier_id)
    assert (dossier.stage, dossier.review_state) == ("counselling", "pending")


@pytest.mark.parametrize("version", NOT_ASCII_DIGITS)
def test_an_edit_with_a_bad_version_is_refused(app, client, place, make_dossier, version):
    dossier_id = make_dossier("counselling", offer=False, programme=False)
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/edit", data={
        "destinations": ["FR"], "occupations-0-text": "A1401", "occupations-0-code": "A1401",
        "project_kind": "seasonal", "channel": "none", "programme_id": "0", "offer_reference": "",
        "motivation": "Une saison en France", "version": version, "submit": "Save"})
    assert response.status_code == 400 and "Check the form: some values are not valid." in response.text
    assert "Une saison en France" in response.text  # what was typed is kept
    assert f'name="version" type="hidden" value="{get_dossier(app, dossier_id).version}"' in response.text
    assert not get_dossier(app, dossier_id).motivation


# --- numbers on the departure form, the enrolment and the lists ------------------------------

@pytest.mark.parametrize("offer", NOT_ASCII_DIGITS + [HUGE, "0"])
def test_a_departure_offer_that_is_no_id_is_refused(app, client, desk, offer):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="pre_departure")
    response = client.post(f"/mobility/dossiers/{dossier_id}/departure", data=departure_data(offer=offer))
    assert response.status_code == 400 and "Give the reference of an international offer." in response.text
    assert read(app, Departure, dossier_id=dossier_id) == [] and events(app, dossier_id) == []


@pytest.mark.parametrize("dossier_id", [HUGE, "-1", "0", "²"])
def test_enrolling_a_dossier_id_that_is_no_id(app, client, desk, dossier_id):
    agency, counsellor, _manager = desk
    add_dossier(app, agency, counsellor=counsellor, stage="pre_departure")
    workshop_id = add_workshop(app, agency, datetime.now(timezone.utc) + timedelta(days=3))
    response = client.post(f"/mobility/workshops/{workshop_id}/enrol", data={"dossier_id": dossier_id})
    assert response.status_code == 302
    assert "Choose an open dossier of the workshop" in client.get(response.headers["Location"]).text
    assert read(app, Enrolment) == []


@pytest.mark.parametrize("agency_id, listed", [(HUGE, False), ("-1", False), ("²", True)])
def test_the_review_queue_with_an_agency_that_is_no_id(app, client, place, make_dossier, agency_id, listed):
    make_dossier("counselling", review="matched", last_name="Sow")
    login(client, place.manager)
    response = client.get(f"/mobility/review?agency_id={agency_id}")
    assert response.status_code == 200
    assert ("Sow" in response.text.split('id="queue"')[1]) is listed


def test_opening_a_dossier_for_a_person_that_is_no_id(client, place):
    login(client, place.counsellor)
    assert client.get(f"/mobility/dossiers/new?jobseeker_id={HUGE}").status_code == 404
    response = client.get("/mobility/dossiers/new?jobseeker_id=²")
    assert response.status_code == 302 and "/jobseekers" in response.headers["Location"]


# --- the audit trail of the records around a dossier -----------------------------------------

def _no_free_text(app, dossier_id: int, *texts: str) -> None:
    written = json.dumps([details for _action, details in audits(app, dossier_id)], ensure_ascii=False)
    assert not any(text in written for text in texts), written


def test_departure_contacts_and_return_are_audited_without_what_was_written(app, client, desk):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="pre_departure")
    client.post(f"/mobility/dossiers/{dossier_id}/departure", data=departure_data())
    client.post(f"/mobility/dossiers/{dossier_id}/departure", data=departure_data(city="Lepe"))
    with app.app_context():
        db.session.execute(sa.update(Dossier).where(Dossier.id == dossier_id).values(stage="departed"))
        db.session.commit()
    response = client.post(f"/mobility/dossiers/{dossier_id}/follow-ups", data={
        "contacted_on": TODAY.isoformat(), "channel": "phone", "situation": "problems",
        "notes": "Logement insalubre, patron injoignable."})
    assert response.status_code == 302
    response = client.post(f"/mobility/dossiers/{dossier_id}/return", data={
        "returned_on": TODAY.isoformat(), "situation": "early_return", "needs": ["psychosocial"],
        "notes": "Rentrée malade."})
    assert response.status_code == 302
    written = [(action, details) for action, details in audits(app, dossier_id) if action != "mobility.read"]
    assert written == [
        ("mobility.departure_recorded", None),
        ("mobility.departure_updated", {"changed": ["city"]}),
        ("mobility.follow_up_contact", None),  # not "mobility.follow_up": that is the step of the workflow
        ("mobility.return_recorded", None),
    ]
    with app.app_context():
        assert set(db.session.scalars(sa.select(AuditEvent.actor_id).where(
            AuditEvent.object_type == "dossier", AuditEvent.object_id == str(dossier_id)))) == {counsellor.id}
    _no_free_text(app, dossier_id, "Huelva", "Lepe", "Fresas", "Logement", "malade")


def test_workshops_and_documents_are_audited_without_the_topic_or_notes(app, client, desk):
    agency, counsellor, _manager = desk
    came, missed = (add_dossier(app, agency, counsellor=counsellor, stage="pre_departure") for _ in range(2))
    later = add_workshop(app, agency, datetime.now(timezone.utc) + timedelta(days=3), topic="Partir au Canada")
    client.post(f"/mobility/workshops/{later}/enrol", data={"dossier_id": came})
    (enrolment,) = read(app, Enrolment, workshop_id=later)
    client.post(f"/mobility/workshops/{later}/enrolments/{enrolment.id}/delete")
    past = add_workshop(app, agency, datetime.now(timezone.utc) + timedelta(hours=1), topic="Vivre en France")
    for dossier_id in (came, missed):
        client.post(f"/mobility/workshops/{past}/enrol", data={"dossier_id": dossier_id})
    with app.app_context():
        db.session.execute(sa.update(Workshop).where(Workshop.id == past)
                           .values(starts_at=datetime.now(timezone.utc) - timedelta(hours=1)))
        db.session.commit()
    ids = {e.dossier_id: e.id for e in read(app, Enrolment, workshop_id=past)}
    client.post(f"/mobility/workshops/{past}/attendance", data={"attended": [ids[came]]})
    client.post(f"/mobility/dossiers/{came}/documents", data={
        "items-0-kind": "passport", "items-0-status": "received", "items-0-note": "Copie certifiée à Dakar",
        "items-0-file": (io.BytesIO(PDF), "passeport.pdf")}, content_type="multipart/form-data")
    assert audits(app, came) == [
        ("mobility.workshop_enrolled", {"workshop_id": later}),
        ("mobility.workshop_unenrolled", {"workshop_id": later}),
        ("mobility.workshop_enrolled", {"workshop_id": past}),
        ("mobility.workshop_attended", {"workshop_id": past}),
        ("mobility.documents_updated", {"kinds": ["passport"], "files": ["passport"]}),
    ]
    assert audits(app, missed)[-1] == ("mobility.workshop_missed", {"workshop_id": past})
    _no_free_text(app, came, "Canada", "Vivre", "Copie", "passeport.pdf")


@pytest.mark.parametrize("page, name", [("documents", "documents"), ("follow-ups", "follow_ups"),
                                        ("return", "return"), ("departure", "departure")])
def test_reading_the_pages_with_notes_is_audited(app, client, desk, page, name):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="follow_up")
    add_departure(app, dossier_id, departed_on=TODAY - timedelta(days=60))
    assert client.get(f"/mobility/dossiers/{dossier_id}/{page}").status_code == 200
    assert audits(app, dossier_id) == [("mobility.read", {"page": name})]
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEvent.actor_id).where(
            AuditEvent.object_type == "dossier", AuditEvent.object_id == str(dossier_id))) == counsellor.id


# --- a concurrent change while recording a workshop -----------------------------------------

def race(monkeypatch) -> None:
    """Another worker changes the dossier between our read and our write (its version moves on)."""
    original = docs.add_event

    def add_event(dossier, *args, **kw):
        db.session.execute(sa.update(Dossier).where(Dossier.id == dossier.id)
                           .values(version=Dossier.version + 1).execution_options(synchronize_session=False))
        return original(dossier, *args, **kw)

    monkeypatch.setattr(docs, "add_event", add_event)


def test_cancelling_an_enrolment_while_the_dossier_changes(app, client, desk, monkeypatch):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="pre_departure")
    workshop_id = add_workshop(app, agency, datetime.now(timezone.utc) + timedelta(days=3))
    client.post(f"/mobility/workshops/{workshop_id}/enrol", data={"dossier_id": dossier_id})
    (enrolment,) = read(app, Enrolment)
    race(monkeypatch)
    response = client.post(f"/mobility/workshops/{workshop_id}/enrolments/{enrolment.id}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/workshops/{workshop_id}")
    page = client.get(response.headers["Location"]).text
    assert "The dossier was changed by someone else meanwhile" in page
    assert "The enrolment has been cancelled." not in page
    assert [e.id for e in read(app, Enrolment)] == [enrolment.id]
    assert events(app, dossier_id) == ["workshop_enrolled"]


def test_recording_the_attendance_while_a_dossier_changes(app, client, desk, monkeypatch):
    agency, counsellor, _manager = desk
    dossier_id = add_dossier(app, agency, counsellor=counsellor, stage="pre_departure")
    workshop_id = add_workshop(app, agency, datetime.now(timezone.utc) + timedelta(hours=1))
    client.post(f"/mobility/workshops/{workshop_id}/enrol", data={"dossier_id": dossier_id})
    with app.app_context():
        db.session.execute(sa.update(Workshop).values(starts_at=datetime.now(timezone.utc) - timedelta(hours=1)))
        db.session.commit()
    (enrolment,) = read(app, Enrolment)
    race(monkeypatch)
    response = client.post(f"/mobility/workshops/{workshop_id}/attendance", data={"attended": [enrolment.id]})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "The dossier was changed by someone else meanwhile" in page
    assert "The attendance has been recorded." not in page
    assert read(app, Enrolment)[0].attended is None
    assert events(app, dossier_id) == ["workshop_enrolled"]
