"""Mobility dossiers: opening one (one open dossier per person, numbering, the form's checks),
who sees which dossier, the lists and the stalled flag, editing, the risk assessment,
alternatives at home (national offers from matching, free ones, decisions) and sessions."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from app.audit import AuditEvent
from app.auth.models import Role, User
from app.extensions import db
from app.jobseekers.models import JobSeeker
from app.mobility import services
from app.mobility.models import Alternative, CounsellingSession, Dossier, RiskAssessment
from app.offers.models import Offer
from tests.matching.factories import add_employer, add_offer, add_seeker
from tests.mobility.conftest import add_programme, get_dossier, give_abroad_consent, login

LONG_AGO = datetime.now(timezone.utc) - timedelta(days=31)
YEAR = date.today().year


def _reference(app, offer_id: int) -> str:
    with app.app_context():
        return db.session.get(Offer, offer_id).reference


def _form(**values) -> dict:
    data = {"destinations": ["FR", "ES"], "occupations-0-text": "A1401", "occupations-0-code": "A1401",
            "project_kind": "seasonal", "channel": "none", "programme_id": "0", "offer_reference": "",
            "motivation": "Travailler une saison pour financer un atelier", "submit": "Save"}
    data.update(values)
    return data


def _dossiers_of(app, seeker_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return db.session.execute(sa.select(Dossier.number, Dossier.stage).where(
            Dossier.jobseeker_id == seeker_id).order_by(Dossier.id)).all()


# ------------------------------------------------------------------ opening

def test_opening_a_dossier(app, client, place):
    seeker = add_seeker(app, place.agency.id, "Diallo", "Ousmane")
    login(client, place.counsellor)
    page = client.get(f"/mobility/dossiers/new?jobseeker_id={seeker}")
    assert page.status_code == 200 and "Ousmane Diallo" in page.text and 'value="F1703"' in page.text
    assert "data-occupation-autocomplete" in page.text
    response = client.post(f"/mobility/dossiers/new?jobseeker_id={seeker}", data=_form(
        channel="programme", programme_id=str(place.programme), offer_reference=_reference(app, place.offer).lower()))
    assert response.status_code == 302, response.text[:3000]
    with app.app_context():
        dossier = db.session.scalar(sa.select(Dossier).where(Dossier.jobseeker_id == seeker))
        assert re.fullmatch(rf"SN-M-{YEAR}-000001", dossier.number)
        assert (dossier.stage, dossier.agency_id, dossier.counsellor_id, dossier.country_code) == (
            "opened", place.agency.id, place.counsellor.id, "SN")
        assert [c.code for c in dossier.destinations] == ["ES", "FR"]
        assert [o.code for o in dossier.occupations] == ["A1401"]
        assert (dossier.project_kind, dossier.channel, dossier.programme_id, dossier.offer_id) == (
            "seasonal", "programme", place.programme, place.offer)
        assert [(e.kind, e.to_stage, e.actor_id) for e in dossier.events] == [
            ("opened", "opened", place.counsellor.id)]
        assert db.session.scalar(sa.select(AuditEvent.action).where(
            AuditEvent.object_type == "dossier", AuditEvent.object_id == str(dossier.id))) == "mobility.opened"
    assert response.headers["Location"] == f"/mobility/dossiers/{dossier.id}"
    page = client.get(response.headers["Location"]).text
    assert f"The dossier SN-M-{YEAR}-000001 is open." in page and "Saisonniers agricoles Espagne" in page


def test_numbers_follow_each_other_per_country_and_year(app):
    with app.test_request_context():
        numbers = [services.next_dossier_number("SN", 2031) for _ in range(3)]
        assert numbers == ["SN-M-2031-000001", "SN-M-2031-000002", "SN-M-2031-000003"]
        assert services.next_dossier_number("ML", 2031) == "ML-M-2031-000001"
        db.session.rollback()


def test_one_open_dossier_per_person_and_a_new_one_once_it_is_closed(app, client, place, make_dossier):
    seeker = add_seeker(app, place.agency.id, "Diallo", "Ousmane")
    first = make_dossier("counselling", seeker_id=seeker)
    login(client, place.counsellor)
    page = client.get(f"/mobility/dossiers/new?jobseeker_id={seeker}")
    assert "Ousmane Diallo already has an open mobility dossier" in page.text
    assert f'href="/mobility/dossiers/{first}"' in page.text and "<form method=\"post\" novalidate>" not in page.text
    response = client.post(f"/mobility/dossiers/new?jobseeker_id={seeker}", data=_form())
    assert response.status_code == 409 and f'href="/mobility/dossiers/{first}"' in response.text
    assert len(_dossiers_of(app, seeker)) == 1
    client.post(f"/mobility/dossiers/{first}/steps/close", data={"reason": "no_offer"})
    response = client.post(f"/mobility/dossiers/new?jobseeker_id={seeker}", data=_form())
    assert response.status_code == 302
    assert [stage for _number, stage in _dossiers_of(app, seeker)] == ["closed", "opened"]


def test_two_counsellors_opening_at_once_get_one_dossier_and_a_clear_message(app, client, place, make_dossier,
                                                                             monkeypatch):
    """The check before the insert saw nothing (the other request had not committed yet):
    the unique index refuses the second dossier and the page says why."""
    seeker = add_seeker(app, place.agency.id, "Diallo", "Ousmane")
    first = make_dossier("opened", seeker_id=seeker)
    login(client, place.counsellor)
    real, blind = services.open_dossier_of, [None, None]  # the page's check, then the service's

    def not_yet_committed(seeker):
        return blind.pop() if blind else real(seeker)

    monkeypatch.setattr(services, "open_dossier_of", not_yet_committed)
    response = client.post(f"/mobility/dossiers/new?jobseeker_id={seeker}", data=_form())
    assert response.status_code == 409, response.text[:2000]
    assert "already has an open mobility dossier" in response.text
    assert f'href="/mobility/dossiers/{first}"' in response.text
    assert len(_dossiers_of(app, seeker)) == 1


def test_the_service_reports_the_clash_with_the_open_dossier(app, place, make_dossier, monkeypatch):
    seeker_id = add_seeker(app, place.agency.id, "Diallo", "Ousmane")
    first = make_dossier("opened", seeker_id=seeker_id)
    with app.test_request_context():
        seeker = db.session.get(JobSeeker, seeker_id)
        counsellor = db.session.get(User, place.counsellor.id)
        calls = []

        def blind(s):
            calls.append(s)
            return None if len(calls) == 1 else db.session.scalar(sa.select(Dossier).where(Dossier.id == first))

        monkeypatch.setattr(services, "open_dossier_of", blind)
        with pytest.raises(services.DossierExists) as exists:
            services.open_dossier(seeker, services.DossierData(), counsellor)
        assert exists.value.dossier.id == first
        db.session.rollback()


def test_the_person_must_be_of_the_counsellors_country(app, client, create_agency, place):
    mali = create_agency("ML")
    seeker = add_seeker(app, mali.id, "Traoré", "Mariam")
    login(client, place.counsellor)
    assert client.get(f"/mobility/dossiers/new?jobseeker_id={seeker}").status_code == 404
    assert client.post(f"/mobility/dossiers/new?jobseeker_id={seeker}", data=_form()).status_code == 404
    assert _dossiers_of(app, seeker) == []
    with app.test_request_context():
        with pytest.raises(services.DossierRefused) as refusal:
            services.open_dossier(db.session.get(JobSeeker, seeker), services.DossierData(),
                                  db.session.get(User, place.counsellor.id))
        assert refusal.value.reason == "country"


def test_a_person_of_another_agency_of_the_country_may_be_counselled(app, client, create_agency, place):
    seeker = add_seeker(app, create_agency("SN").id, "Sy", "Khady")
    login(client, place.counsellor)
    assert client.post(f"/mobility/dossiers/new?jobseeker_id={seeker}", data=_form()).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Dossier.agency_id).where(Dossier.jobseeker_id == seeker)) == place.agency.id


def test_opening_without_a_person_leads_to_the_register(client, place):
    login(client, place.counsellor)
    response = client.get("/mobility/dossiers/new")
    assert response.status_code == 302 and response.headers["Location"] == "/jobseekers/"


@pytest.mark.parametrize("values,message", [
    ({"channel": "programme", "programme_id": "0"}, "Choose the partner programme."),
    ({"channel": "programme", "programme_id": "inactive"}, "Choose a value from the list."),
    ({"channel": "programme", "programme_id": "abroad"}, "Choose a value from the list."),
    ({"offer_reference": "SN-O-1999-999999"}, "No published international offer has this reference."),
    ({"offer_reference": "national"}, "No published international offer has this reference."),
    ({"destinations": ["SN"]}, "Choose a country from the list."),
    ({"destinations": ["XX"]}, "Choose a country from the list."),
    ({"occupations-0-text": "", "occupations-0-code": "Z9999"}, "Choose an occupation from the list."),
    ({"project_kind": "tourism"}, "Choose a value from the list."),
    ({"channel": "smuggler"}, "Choose a value from the list."),
])
def test_bad_input_is_refused_and_what_was_typed_is_kept(app, client, place, values, message):
    seeker = add_seeker(app, place.agency.id, "Diallo", "Ousmane")
    ids = {"inactive": add_programme(app, "Ancien programme", active=False),
           "abroad": add_programme(app, "Programme malien", origin="ML")}
    national = add_offer(app, place.employer, job_title="Maçon")
    if values.get("programme_id") in ids:
        values["programme_id"] = str(ids[values["programme_id"]])
    if values.get("offer_reference") == "national":
        values["offer_reference"] = _reference(app, national)
    login(client, place.counsellor)
    page = client.get(f"/mobility/dossiers/new?jobseeker_id={seeker}").text
    assert "Ancien programme" not in page and "Programme malien" not in page
    response = client.post(f"/mobility/dossiers/new?jobseeker_id={seeker}", data=_form(**values))
    assert response.status_code == 400
    assert message in response.text and "The dossier is not saved" in response.text
    assert "Travailler une saison pour financer un atelier" in response.text
    assert _dossiers_of(app, seeker) == []


def test_occupations_are_coded_from_what_the_person_says(app, client, place):
    seeker = add_seeker(app, place.agency.id, "Diallo", "Ousmane")
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/new?jobseeker_id={seeker}", data=_form(**{
        "occupations-0-text": "maçon", "occupations-0-code": "", "refresh": "Code the occupations"}))
    assert response.status_code == 200 and "F1703" in response.text
    assert _dossiers_of(app, seeker) == []


# ------------------------------------------------------------------ access

@pytest.mark.parametrize("role,code", [
    (Role.MOBILITY_COUNSELLOR, 200), (Role.MANAGER, 200), (Role.AGENT, 403), (Role.COUNSELLOR, 403),
    (Role.ADMIN, 403), (Role.EMPLOYER, 403)])
def test_who_reads_a_dossier(app, client, create_user, place, make_dossier, role, code):
    dossier_id = make_dossier("opened")
    user = create_user(role, employer_id=place.employer) if role == Role.EMPLOYER else create_user(
        role, agency=place.agency)
    login(client, user)
    assert client.get(f"/mobility/dossiers/{dossier_id}").status_code == code
    assert client.get("/mobility/dossiers").status_code == code
    if role != Role.MOBILITY_COUNSELLOR:  # only they open dossiers
        assert client.get("/mobility/dossiers/new?jobseeker_id=1").status_code == 403


@pytest.mark.parametrize("path", ["", "/edit", "/alternatives/offers"])
def test_a_counsellor_of_another_agency_gets_a_404(app, client, create_agency, create_user, place, make_dossier,
                                                    path):
    dossier_id = make_dossier("opened")
    login(client, create_user(Role.MOBILITY_COUNSELLOR, agency=create_agency("SN")))
    assert client.get(f"/mobility/dossiers/{dossier_id}{path}").status_code == 404
    for post in ("/assessment", "/sessions", "/alternatives"):
        assert client.post(f"/mobility/dossiers/{dossier_id}{post}").status_code == 404


def test_a_manager_of_another_country_gets_a_404(app, client, create_agency, create_user, place, make_dossier):
    dossier_id = make_dossier("opened")
    login(client, create_user(Role.MANAGER, agency=create_agency("CI")))
    assert client.get(f"/mobility/dossiers/{dossier_id}").status_code == 404
    assert f"/mobility/dossiers/{dossier_id}" not in client.get("/mobility/dossiers").text


def test_managers_read_but_do_not_counsel(app, client, place, make_dossier):
    dossier_id = make_dossier("opened")
    login(client, place.manager)
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert "/edit" not in page and "/assessment" not in page and "/sessions" not in page
    assert client.get(f"/mobility/dossiers/{dossier_id}/edit").status_code == 403
    assert client.post(f"/mobility/dossiers/{dossier_id}/sessions").status_code == 403


def test_reading_a_dossier_is_in_the_audit_trail(app, client, place, make_dossier):
    dossier_id = make_dossier("opened")
    login(client, place.manager)
    client.get(f"/mobility/dossiers/{dossier_id}")
    with app.app_context():
        assert db.session.execute(sa.select(AuditEvent.action, AuditEvent.actor_id).where(
            AuditEvent.object_type == "dossier", AuditEvent.object_id == str(dossier_id))).all() == [
            ("mobility.read", place.manager.id)]


# ------------------------------------------------------------------ lists

def test_the_list_shows_the_agencys_dossiers_with_filters(app, client, create_agency, create_user, place,
                                                          make_dossier):
    colleague = create_user(Role.MOBILITY_COUNSELLOR, agency=place.agency)
    sow = make_dossier("counselling", last_name="Sow")
    kane = make_dossier("opened", last_name="Kane", counsellor_id=colleague.id)
    gueye = make_dossier("assessment", last_name="Gueye", last_event_at=LONG_AGO)
    faye = make_dossier("closed", last_name="Faye", last_event_at=LONG_AGO)  # over: never stalled
    make_dossier("opened", last_name="Thiam", agency_id=create_agency("SN").id)
    login(client, place.counsellor)

    def listed(query: str = "") -> set[str]:
        page = client.get(f"/mobility/dossiers{query}")
        assert page.status_code == 200
        table = page.text.split('id="dossiers"')[1]
        return {name for name in ("Sow", "Kane", "Gueye", "Faye", "Thiam") if name in table}

    assert listed() == {"Sow", "Kane", "Gueye", "Faye"}
    assert listed("?stage=counselling") == {"Sow"}
    assert listed("?stage=open") == {"Sow", "Kane", "Gueye"}
    assert listed("?mine=y") == {"Sow", "Gueye", "Faye"}
    assert listed("?stalled=y") == {"Gueye"}
    assert listed("?q=gue") == {"Gueye"}
    number = get_dossier(app, kane).number
    assert listed(f"?q={number.lower()}") == {"Kane"}
    assert listed("?q=%25") == set()
    page = client.get("/mobility/dossiers").text
    assert page.count('class="badge text-bg-warning stalled"') == 1
    assert "Stalled" in client.get(f"/mobility/dossiers/{gueye}").text
    assert "Stalled" not in client.get(f"/mobility/dossiers/{sow}").text
    assert "Stalled" not in client.get(f"/mobility/dossiers/{faye}").text
    login(client, place.manager)
    assert "Thiam" in client.get("/mobility/dossiers").text  # managers see the whole country


def test_stalled_is_measured_from_the_last_event(app, place, make_dossier):
    dossier_id = make_dossier("counselling", last_event_at=datetime.now(timezone.utc) - timedelta(days=29))
    with app.test_request_context():
        dossier = db.session.get(Dossier, dossier_id)
        assert not services.is_stalled(dossier)
        assert services.is_stalled(dossier, now=datetime.now(timezone.utc) + timedelta(days=2))
        services.add_session(dossier, services.SessionData(date.today(), "individual", 30),
                             db.session.get(User, place.counsellor.id))
        assert not services.is_stalled(dossier, now=datetime.now(timezone.utc) + timedelta(days=2))
        db.session.rollback()


# ------------------------------------------------------------------ editing

def test_editing_the_dossier(app, client, place, make_dossier):
    dossier_id = make_dossier("counselling", offer=False, programme=False)
    version = get_dossier(app, dossier_id).version
    login(client, place.counsellor)
    page = client.get(f"/mobility/dossiers/{dossier_id}/edit")
    assert page.status_code == 200 and f'value="{version}"' in page.text
    response = client.post(f"/mobility/dossiers/{dossier_id}/edit", data=_form(
        version=str(version), offer_reference=_reference(app, place.offer), destinations=["FR"]))
    assert response.status_code == 302
    dossier = get_dossier(app, dossier_id)
    assert dossier.offer_id == place.offer and dossier.events[-1].kind == "edited"
    with app.app_context():
        details = db.session.scalar(sa.select(AuditEvent.details).where(AuditEvent.action == "mobility.edited"))
    assert set(details["fields"]) == {"project_kind", "offer_id", "motivation", "occupations"}
    # The page opened before that save cannot overwrite it.
    response = client.post(f"/mobility/dossiers/{dossier_id}/edit", data=_form(
        version=str(version), motivation="Autre projet"))
    assert response.status_code == 409 and "Someone else changed this dossier" in response.text
    assert "Autre projet" in response.text
    assert get_dossier(app, dossier_id).motivation == "Travailler une saison pour financer un atelier"


@pytest.mark.parametrize("stage, review", [("matched", None), ("pre_departure", None), ("counselling", "matched")])
def test_what_a_manager_approved_cannot_change_behind_their_back(app, client, place, make_dossier, stage, review):
    dossier_id = make_dossier(stage, review=review)
    before = get_dossier(app, dossier_id)
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/edit", data=_form(
        version=str(before.version), offer_reference="", channel="none", motivation="Autre projet"))
    assert response.status_code == 409 and "approved by a manager" in response.text
    assert "Autre projet" in response.text  # what was typed is kept
    after = get_dossier(app, dossier_id)
    assert (after.offer_id, after.channel, after.motivation) == (before.offer_id, before.channel, before.motivation)
    # The rest of the dossier can still change.
    response = client.post(f"/mobility/dossiers/{dossier_id}/edit", data=_form(
        version=str(before.version), offer_reference=_reference(app, place.offer), channel=before.channel,
        programme_id=str(before.programme_id), motivation="Autre projet"))
    assert response.status_code == 302, response.text[:300]
    assert get_dossier(app, dossier_id).motivation == "Autre projet"


def test_a_closed_dossier_is_no_longer_edited(app, client, place, make_dossier):
    dossier_id = make_dossier("closed")
    login(client, place.counsellor)
    assert client.get(f"/mobility/dossiers/{dossier_id}/edit").status_code == 302
    assert client.post(f"/mobility/dossiers/{dossier_id}/sessions", data={
        "held_on": date.today().isoformat(), "kind": "group", "minutes": "60"}).status_code == 409
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert "/steps/" not in page and "/edit" not in page


# ------------------------------------------------------------------ risk assessment

def test_the_risk_assessment_and_its_red_flags(app, client, place, make_dossier):
    dossier_id = make_dossier("assessment", assessed=False)
    login(client, place.counsellor)
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert "No risk assessment recorded yet" in page and 'class="alert alert-danger' not in page
    response = client.post(f"/mobility/dossiers/{dossier_id}/assessment", data={
        "aware_of_risks": "no", "fee_asked": "yes", "fee_amount": "750000", "fee_currency": "XOF",
        "passport_retention": "yes", "debts": "yes", "offer_checked": "no", "notes": "Un « coxeur » à Tambacounda"})
    assert response.status_code == 302
    with app.app_context():
        assessment = db.session.scalar(sa.select(RiskAssessment).where(RiskAssessment.dossier_id == dossier_id))
        assert (assessment.fee_asked, assessment.fee_amount, assessment.fee_currency, assessment.aware_of_risks,
                assessment.assessed_by_id) == (True, 750000, "XOF", False, place.counsellor.id)
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert page.count("red-flag") == 4
    for warning in ("workers should never pay to be recruited", "keeps or wants to keep the person",
                    "borrowed money to pay for the journey", "has not been checked by the employment service"):
        assert warning in page
    assert get_dossier(app, dossier_id).events[-1].kind == "assessment"
    # Updated later: the answers change, the flags with them.
    client.post(f"/mobility/dossiers/{dossier_id}/assessment", data={
        "aware_of_risks": "yes", "fee_asked": "no", "passport_retention": "no", "debts": "", "offer_checked": "yes"})
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert "red-flag" not in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskAssessment)) == 1


@pytest.mark.parametrize("data,message", [
    ({"fee_asked": "yes", "fee_amount": "1000"}, "Give the currency of the fee."),
    ({"fee_asked": "no", "fee_amount": "1000", "fee_currency": "XOF"}, "An amount only goes with fees asked."),
    ({"fee_asked": "maybe"}, "Choose a value from the list."),
    ({"fee_asked": "yes", "fee_amount": "-5", "fee_currency": "XOF"}, "Number must be between 0 and"),
    ({"fee_asked": "yes", "fee_amount": "abc", "fee_currency": "XOF"}, "Not a valid decimal value."),
])
def test_a_bad_assessment_is_not_saved(app, client, place, make_dossier, data, message):
    dossier_id = make_dossier("assessment", assessed=False)
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/assessment", data={"notes": "Entretien du lundi", **data})
    assert response.status_code == 400 and message in response.text
    assert "Entretien du lundi" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskAssessment)) == 0


# ------------------------------------------------------------------ alternatives at home

@pytest.fixture
def national_offers(app, place):
    """Two national offers for masons, one for a driver, and an international one for masons."""
    employer = add_employer(app, place.agency.id, name="BTP Dakar")
    return [add_offer(app, employer, job_title="Maçon coffreur"), add_offer(app, employer, job_title="Maçon"),
            add_offer(app, employer, job_title="Chauffeur", occupation_code="N4105"),
            add_offer(app, employer, job_title="Maçon à Paris", international=True, destination_country="FR")]


def test_national_offers_are_proposed_and_recorded_with_their_score(app, client, place, make_dossier,
                                                                    national_offers):
    mason, other_mason, _driver, abroad = national_offers
    dossier_id = make_dossier("counselling", fiche="F1703")
    login(client, place.counsellor)
    page = client.get(f"/mobility/dossiers/{dossier_id}/alternatives/offers")
    assert page.status_code == 200
    proposals = page.text.split('id="proposals"')[1]
    assert f'value="{mason}"' in proposals and f'value="{other_mason}"' in proposals
    assert f'value="{abroad}"' not in proposals  # at home only
    response = client.post(f"/mobility/dossiers/{dossier_id}/alternatives/offers",
                           data={"offer_ids": [str(mason), str(abroad)]})
    assert response.status_code == 302
    with app.test_request_context():
        dossier = db.session.get(Dossier, dossier_id)
        ranking = services.propose_offers(dossier)
        expected = {m.offer_id: m.score for m in ranking.matches}[mason]
        alternatives = db.session.scalars(sa.select(Alternative).where(Alternative.dossier_id == dossier_id)).all()
        assert [(a.kind, a.offer_id, a.decision) for a in alternatives] == [("offer", mason, "pending")]
        assert alternatives[0].score == pytest.approx(expected) and 0 < expected <= 1
    page = client.get(f"/mobility/dossiers/{dossier_id}/alternatives/offers").text
    assert "already proposed" in page and f'value="{mason}"' not in page
    # Already proposed, or never proposed: nothing new to record.
    response = client.post(f"/mobility/dossiers/{dossier_id}/alternatives/offers", data={"offer_ids": [str(mason)]})
    assert response.status_code == 409 and "None of the chosen offers is among those proposed now" in response.text
    response = client.post(f"/mobility/dossiers/{dossier_id}/alternatives/offers", data={"offer_ids": ["abc"]})
    assert response.status_code == 400
    detail = client.get(f"/mobility/dossiers/{dossier_id}").text.split('id="alternatives"')[1]
    assert "A national offer" in detail and "Not decided yet" in detail
    assert get_dossier(app, dossier_id).events[-1].kind == "alternative"


def test_no_offer_is_proposed_without_the_consent_to_be_proposed(app, client, place, make_dossier,
                                                                 national_offers):
    dossier_id = make_dossier("counselling", propose=False)
    login(client, place.counsellor)
    page = client.get(f"/mobility/dossiers/{dossier_id}/alternatives/offers").text
    assert "has not consented to being proposed to employers" in page


def test_free_alternatives_and_the_persons_decision(app, client, place, make_dossier):
    dossier_id = make_dossier("counselling")
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/alternatives", data={"kind": "training",
                                                                                  "description": " "})
    assert response.status_code == 400 and "Describe the alternative." in response.text
    response = client.post(f"/mobility/dossiers/{dossier_id}/alternatives", data={
        "kind": "smuggling", "description": "Passer par la Libye"})
    assert response.status_code == 400
    response = client.post(f"/mobility/dossiers/{dossier_id}/alternatives", data={
        "kind": "training", "description": "CAP maçonnerie au centre de Thiès"})
    assert response.status_code == 302
    with app.app_context():
        alternative = db.session.scalar(sa.select(Alternative).where(Alternative.dossier_id == dossier_id))
        assert (alternative.kind, alternative.description, alternative.decision) == (
            "training", "CAP maçonnerie au centre de Thiès", "pending")
    url = f"/mobility/dossiers/{dossier_id}/alternatives/{alternative.id}/decision"
    assert client.post(url, data={"decision": "maybe"}).status_code == 400
    assert client.post(url, data={"decision": "accepted"}).status_code == 302
    with app.app_context():
        alternative = db.session.get(Alternative, alternative.id)
        assert alternative.decision == "accepted" and alternative.decided_at is not None
    assert [e.kind for e in get_dossier(app, dossier_id).events] == ["alternative", "decision"]
    other = make_dossier("counselling")
    assert client.post(f"/mobility/dossiers/{other}/alternatives/{alternative.id}/decision",
                       data={"decision": "declined"}).status_code == 404


# ------------------------------------------------------------------ sessions

def test_counselling_sessions(app, client, place, make_dossier):
    dossier_id = make_dossier("counselling")
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/sessions", data={
        "held_on": (date.today() + timedelta(days=1)).isoformat(), "kind": "group", "minutes": "90",
        "notes": "Séance sur les voies légales"})
    assert response.status_code == 400 and "The session cannot be in the future." in response.text
    assert "Séance sur les voies légales" in response.text
    response = client.post(f"/mobility/dossiers/{dossier_id}/sessions", data={
        "held_on": date.today().isoformat(), "kind": "group", "minutes": "", "notes": "Séance"})
    assert response.status_code == 400 and "Give the duration in minutes." in response.text
    response = client.post(f"/mobility/dossiers/{dossier_id}/sessions", data={
        "held_on": date.today().isoformat(), "kind": "group", "minutes": "90",
        "notes": "Séance sur les voies légales", "next_steps": "Apporter le passeport"})
    assert response.status_code == 302
    with app.app_context():
        session = db.session.scalar(sa.select(CounsellingSession))
        assert (session.kind, session.minutes, session.next_steps, session.counsellor_id) == (
            "group", 90, "Apporter le passeport", place.counsellor.id)
    page = client.get(f"/mobility/dossiers/{dossier_id}").text.split('id="sessions"')[1]
    assert "90 minutes" in page and "Apporter le passeport" in page and "Moussa Ba" in page


# ------------------------------------------------------------------ consent and language

def test_the_dossier_warns_when_the_person_has_not_consented_to_share_abroad(app, client, place, make_dossier):
    dossier_id = make_dossier("opened", consent=False)
    login(client, place.counsellor)
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert 'id="consent-warning"' in page
    with app.app_context():
        seeker_id = db.session.get(Dossier, dossier_id).jobseeker_id
    give_abroad_consent(app, seeker_id)
    assert 'id="consent-warning"' not in client.get(f"/mobility/dossiers/{dossier_id}").text


def test_the_dossier_page_in_french(app, client, place, make_dossier):
    dossier_id = make_dossier("counselling", review="matched")
    login(client, place.counsellor)
    client.post("/language", data={"language": "fr"})
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert 'lang="fr"' in page and "Se déconnecter" in page
    with app.test_request_context(), force_locale("fr"):
        expected = [gettext("Counselling sessions"), gettext("Risk assessment"),
                    gettext("Approval pending: %(stage)s", stage=gettext("Matched to an offer"))]
    assert all(text in page for text in expected), expected
