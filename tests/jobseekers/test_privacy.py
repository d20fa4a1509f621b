"""Anonymisation: what it erases, what it keeps, who may do it, and that it happens once, whole."""
import re

import pytest
import sqlalchemy as sa
from unidecode import unidecode

from app import audit
from app.audit import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.jobseekers import privacy, services
from app.jobseekers.models import (
    Consent, Experience, JobSeeker, JobSeekerNameKey, JobSeekerOccupation, JobSeekerPhone, JobSeekerSkill,
)
from tests.conftest import KEPT_TABLES
from tests.jobseekers.test_export import NATIONAL_ID, register_person

# Every value anonymisation must remove, as register_person(profile=True) writes them.
PERSONAL = ["Traoré", "Traore", "Mamadou", NATIONAL_ID, "771234567", "mamadou.traore@example.org", "EXT-77",
            "Pikine", "Fauteuil roulant", "Chantier Moussa Ndiaye", "Rufisque", "Sculpture sur bois", "1990-05-12"]
REASON = "Demande de l'intéressé du 3 novembre"


@pytest.fixture
def agency(create_agency):
    return create_agency("SN", region="SN-DK")


@pytest.fixture
def person(app, agency):
    return register_person(app, agency, profile=True)


def anonymise(client, seeker_id, **data):
    return client.post(f"/jobseekers/{seeker_id}/anonymise", data={"reason": REASON, **data})


def personal_values_left(app, personal=tuple(PERSONAL)) -> list[tuple[str, str]]:
    """(table, value) for every personal value still found anywhere in the database."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in KEPT_TABLES:
                continue
            text = unidecode(" ".join(str(row) for row in db.session.execute(sa.select(table)))).lower()
            found += [(table.name, value) for value in personal if unidecode(value).lower() in text]
    return found


def events(app, action):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_the_page_says_it_cannot_be_undone(client, login_as, agency, person):
    login_as(Role.MANAGER, agency=agency)
    client.post("/language", data={"language": "en"})
    page = client.get(f"/jobseekers/{person}/anonymise")
    assert page.status_code == 200
    assert "Anonymisation cannot be undone." in page.text and "Mamadou Traoré" in page.text
    assert 'name="reason"' in page.text and 'method="post"' in page.text


def test_anonymisation_erases_every_personal_value(app, client, login_as, agency, person):
    assert personal_values_left(app)  # the scan does see them before
    manager = login_as(Role.MANAGER, agency=agency)
    response = anonymise(client, person)
    assert response.status_code == 302 and response.headers["Location"] == f"/jobseekers/{person}"
    assert personal_values_left(app) == []
    with app.app_context():
        seeker = db.session.get(JobSeeker, person)
        assert (seeker.last_name, seeker.first_names, seeker.search_name) == (privacy.PLACEHOLDER,) * 2 + ("",)
        assert seeker.birth_date is None and seeker.national_id is None and seeker.national_id_type is None
        assert seeker.external_id is seeker.email is seeker.commune is seeker.disability_note is None
        assert seeker.status == "inactive" and seeker.anonymised_at is not None
        # What statistics need stays.
        assert (seeker.birth_year, seeker.sex, seeker.region_id) == (1990, "M", agency.region_id)
        assert [o.occupation_code for o in seeker.occupations] == ["F1703"]
        assert [e.title for e in seeker.experiences] == ["Apprenti maçon"]
        assert [s.skill_code is not None for s in seeker.skills] == [True]
        for model in (JobSeekerPhone, JobSeekerNameKey):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
        assert db.session.scalars(sa.select(Experience.employer.is_(None) & Experience.place.is_(None))).all() == [True]
        assert db.session.scalars(sa.select(JobSeekerSkill.label)).all() == [""]
        consents = db.session.scalars(sa.select(Consent)).all()
        assert len(consents) == 2 and all(c.withdrawn_at is not None for c in consents)
    (event,) = events(app, "jobseeker.anonymised")
    assert (event.object_id, event.actor_id, event.details) == (str(person), manager.id, {"reason": REASON})
    assert len(events(app, "jobseeker.consent_withdrawn")) == 2


def test_duplicates_merged_into_the_record_go_with_it(app, client, login_as, agency, person):
    absorbed = register_person(app, agency, first_names="Mamadu", phones=["+221761112233"], national_id=None,
                               external_id="EXT-78", email="m.traore@example.org", commune="Guédiawaye")
    with app.app_context():
        db.session.get(JobSeeker, absorbed).merged_into_id = person
        db.session.commit()
    login_as(Role.MANAGER, agency=agency)
    assert anonymise(client, person).status_code == 302
    assert personal_values_left(app, (*PERSONAL, "Mamadu", "761112233", "EXT-78", "Guédiawaye")) == []
    assert sorted(int(e.object_id) for e in events(app, "jobseeker.anonymised")) == [person, absorbed]


def test_an_anonymised_person_is_found_nowhere(app, client, runner, login_as, agency, person):
    twin = register_person(app, agency, phones=["+221761112233"], national_id=None, external_id=None)
    duplicates = runner.invoke(args=["jobseekers", "duplicates"])
    assert "EXT-77" in duplicates.output  # the two records are a likely pair
    with app.app_context():
        number = db.session.get(JobSeeker, person).registration_number
    login_as(Role.MANAGER, agency=agency)
    assert anonymise(client, person).status_code == 302

    assert "EXT-77" not in runner.invoke(args=["jobseekers", "duplicates"]).output
    assert client.get(f"/jobseekers/?q={number}").text.count(f"/jobseekers/{person}\"") == 0
    assert f"/jobseekers/{twin}\"" in client.get("/jobseekers/?q=Traore").text
    exported = client.get("/jobseekers/export.csv").data.decode("utf-8-sig")
    assert number not in exported and exported.count("\r\n") == 2  # the header and the twin
    with app.test_request_context():
        again = services.PersonData(last_name="Traoré", first_names="Mamadou", sex="M", birth_year=1990,
                                    phones=["+221771234567"], national_id=NATIONAL_ID)
        found = services.find_possible_duplicates("SN", again, exclude_id=twin)
    assert found == []


def test_the_detail_page_still_opens_and_shows_nothing_personal(client, login_as, agency, person):
    login_as(Role.MANAGER, agency=agency)
    anonymise(client, person)
    page = client.get(f"/jobseekers/{person}")
    assert page.status_code == 200
    text = unidecode(page.text).lower()
    assert [value for value in PERSONAL if unidecode(value).lower() in text] == []
    assert "F1703" in page.text


def test_a_second_anonymisation_does_nothing_and_says_so(app, client, login_as, agency, person):
    login_as(Role.MANAGER, agency=agency)
    client.post("/language", data={"language": "en"})
    anonymise(client, person)
    again = anonymise(client, person, reason="Encore")
    assert again.status_code == 302
    assert "already anonymised" in client.get(again.headers["Location"]).text
    assert "This record was anonymised on" in client.get(f"/jobseekers/{person}/anonymise").text
    with app.test_request_context():
        assert privacy.anonymise(db.session.get(JobSeeker, person), "Encore", None) is False
    assert [e.details["reason"] for e in events(app, "jobseeker.anonymised")] == [REASON]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(app, client, login_as, agency, person, reason):
    login_as(Role.MANAGER, agency=agency)
    response = anonymise(client, person, reason=reason)
    assert response.status_code == 400
    assert 'name="reason"' in response.text and "is-invalid" in response.text
    assert events(app, "jobseeker.anonymised") == []
    assert ("jobseekers", "Traoré") in personal_values_left(app)


def test_the_form_needs_its_csrf_token(app, client, login_as, agency, person):
    login_as(Role.MANAGER, agency=agency)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = anonymise(client, person)
        assert refused.status_code == 400
        assert events(app, "jobseeker.anonymised") == []
        page = client.get(f"/jobseekers/{person}/anonymise").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert anonymise(client, person, csrf_token=token).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert len(events(app, "jobseeker.anonymised")) == 1


@pytest.mark.parametrize("role, status", [
    (Role.AGENT, 403), (Role.COUNSELLOR, 403), (Role.MOBILITY_COUNSELLOR, 403), (Role.MANAGER, 200),
    (Role.ADMIN, 200),
])
def test_only_managers_and_administrators_anonymise(app, client, login_as, agency, person, role, status):
    login_as(role, agency=agency)
    assert client.get(f"/jobseekers/{person}/anonymise").status_code == status
    assert anonymise(client, person).status_code == (302 if status == 200 else status)
    assert len(events(app, "jobseeker.anonymised")) == (1 if status == 200 else 0)


def test_another_countrys_manager_gets_a_404(app, client, login_as, create_agency, person):
    login_as(Role.MANAGER, agency=create_agency("ML"))
    assert client.get(f"/jobseekers/{person}/anonymise").status_code == 404
    assert anonymise(client, person).status_code == 404
    assert events(app, "jobseeker.anonymised") == []


def test_a_failure_half_way_leaves_the_person_untouched(app, agency, person, monkeypatch):
    real_record = audit.record

    def failing_record(action, *args, **kwargs):
        if action == "jobseeker.anonymised":
            raise RuntimeError("disk full")
        return real_record(action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", failing_record)
    with app.test_request_context():
        seeker = db.session.get(JobSeeker, person)
        with pytest.raises(RuntimeError):
            privacy.anonymise(seeker, REASON, None)
        db.session.commit()  # even a caller that carries on commits nothing of it
    with app.app_context():
        seeker = db.session.get(JobSeeker, person)
        assert (seeker.last_name, seeker.anonymised_at, seeker.status) == ("Traoré", None, "active")
        assert [p.number for p in seeker.phones] == ["+221771234567"]
        assert all(c.withdrawn_at is None for c in seeker.consents)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobSeekerNameKey)) > 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobSeekerOccupation)) == 1
    assert events(app, "jobseeker.consent_withdrawn") == []
