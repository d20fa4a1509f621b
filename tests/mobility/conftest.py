"""Mobility fixtures: an agency with a mobility counsellor and a manager, and dossiers put
straight into any stage (with what each stage needs, unless told otherwise)."""
from __future__ import annotations

import itertools
from datetime import datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.auth.models import Country, Role
from app.extensions import db
from app.jobseekers import services as seekers
from app.jobseekers.models import ConsentPurpose, JobSeeker
from app.mobility.models import Dossier, DossierEvent, RiskAssessment
from app.mobility.services import next_dossier_number
from app.offers.models import PartnerProgramme
from tests.matching.factories import add_employer, add_offer, add_seeker

_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _english(request):
    """Messages are asserted in English, whatever the French catalogue holds."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").post("/language", data={"language": "en"})


def add_programme(app, name: str = "Saisonniers agricoles Espagne", origin: str = "SN", destination: str = "ES",
                  active: bool = True, status: str = "active") -> int:
    with app.app_context():
        programme = PartnerProgramme(name=name, origin_country=origin, destination_country=destination,
                                     kind="seasonal", active=active, status=status)
        db.session.add(programme)
        db.session.commit()
        return programme.id


def give_abroad_consent(app, seeker_id: int, given: bool = True) -> None:
    with app.test_request_context():
        seeker = db.session.get(JobSeeker, seeker_id)
        if given:
            seekers.give_consent(seeker, ConsentPurpose.SHARE_ABROAD)
        else:
            seekers.withdraw_consent(seeker, ConsentPurpose.SHARE_ABROAD)
        db.session.commit()


@pytest.fixture
def place(app, create_agency, create_user):
    """A Senegalese agency with its mobility counsellor, a national manager at the head office,
    an international offer (to France) and a partner programme (to Spain)."""
    agency = create_agency("SN", name="Agence de Dakar")
    head_office = create_agency("SN", name="Direction générale")
    counsellor = create_user(Role.MOBILITY_COUNSELLOR, agency=agency, full_name="Moussa Ba")
    manager = create_user(Role.MANAGER, agency=head_office, full_name="Aminata Fall")
    employer = add_employer(app, agency.id, name="Agri Sud SL")
    offer = add_offer(app, employer, international=True, destination_country="FR", job_title="Ouvrier agricole",
                      occupation_code="A1401")
    programme = add_programme(app)
    return SimpleNamespace(agency=agency, head_office=head_office, counsellor=counsellor, manager=manager,
                           employer=employer, offer=offer, programme=programme)


@pytest.fixture
def make_dossier(app, place):
    """A dossier of a new person at ``place``'s agency, put straight into ``stage``.

    By default it has what every step needs (a risk assessment, the matched offer, the
    programme and the person's consent to share abroad); switch them off one by one.
    """
    def make(stage: str = "opened", *, assessed: bool = True, offer: bool = True, programme: bool = True,
             consent: bool = True, review: str | None = None, requested_by: int | None = None,
             counsellor_id: int | None = None, last_event_at: datetime | None = None, agency_id: int | None = None,
             seeker_id: int | None = None, destinations: tuple[str, ...] = ("FR",), propose: bool = True,
             **seeker_kw) -> int:
        agency_id = agency_id or place.agency.id
        if seeker_id is None:
            n = next(_names)
            seeker_id = add_seeker(app, agency_id, seeker_kw.pop("last_name", f"Ndiaye{n}"),
                                   seeker_kw.pop("first_names", "Awa"), consent=propose, **seeker_kw)
        if consent:
            give_abroad_consent(app, seeker_id)
        with app.test_request_context():
            seeker = db.session.get(JobSeeker, seeker_id)
            dossier = Dossier(number=next_dossier_number(seeker.country_code), jobseeker_id=seeker_id,
                              country_code=seeker.country_code, agency_id=agency_id,
                              counsellor_id=counsellor_id or place.counsellor.id, stage=stage,
                              offer_id=place.offer if offer else None,
                              channel="programme" if programme else "none",
                              programme_id=place.programme if programme else None)
            dossier.destinations = list(db.session.scalars(sa.select(Country).where(Country.code.in_(destinations))))
            if assessed:
                dossier.assessment = RiskAssessment(aware_of_risks=True, fee_asked=False)
            if review:
                dossier.review_state = "pending"
                dossier.review_stage = review
                dossier.review_requested_by_id = requested_by or place.counsellor.id
                dossier.review_requested_at = datetime.now().astimezone()
            if last_event_at is not None:
                dossier.last_event_at = last_event_at
            db.session.add(dossier)
            db.session.commit()
            return dossier.id
    return make


def get_dossier(app, dossier_id: int) -> SimpleNamespace:
    """The dossier's columns and its events, read outside any request."""
    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        events = [SimpleNamespace(kind=e.kind, from_stage=e.from_stage, to_stage=e.to_stage, actor_id=e.actor_id,
                                  comment=e.comment)
                  for e in db.session.scalars(sa.select(DossierEvent).where(DossierEvent.dossier_id == dossier_id)
                                              .order_by(DossierEvent.id))]
        values = {c.key: getattr(dossier, c.key) for c in sa.inspect(Dossier).column_attrs}
        return SimpleNamespace(**values, events=events)


def login(client, user) -> None:
    client.post("/logout")
    response = client.post("/login", data={"username": user.username, "password": "Counter2024x"})
    assert response.status_code == 302
