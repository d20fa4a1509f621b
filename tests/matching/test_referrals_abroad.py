"""A referral to an international offer shares the person with a partner abroad: it is sent
only with the person's consent to that, and the employer sees the contact details only then."""
from __future__ import annotations

import pytest

from app.auth.models import Role, User
from app.extensions import db
from app.jobseekers import services as seekers
from app.jobseekers.models import ConsentPurpose, JobSeeker
from app.matching import referrals
from app.matching.models import Referral
from tests.matching.factories import add_employer, add_offer, add_seeker
from tests.matching.test_referrals import refer


@pytest.fixture
def abroad(app, create_agency, create_user):
    agency = create_agency("SN")
    employer = add_employer(app, agency.id, name="Agri Sud SL")
    offer = add_offer(app, employer, international=True, destination_country="ES", region_id=None)
    seeker = add_seeker(app, agency.id, mobility_countries=["ES"], abroad_interest=True)
    counsellor = create_user(Role.COUNSELLOR, agency=agency)
    boss = create_user(Role.EMPLOYER, employer_id=employer)
    return offer, seeker, counsellor, boss


def _consent(app, seeker_id: int, *purposes: ConsentPurpose) -> None:
    with app.test_request_context():
        seeker = db.session.get(JobSeeker, seeker_id)
        for purpose in purposes:
            seekers.give_consent(seeker, purpose)
        db.session.commit()


def test_sending_abroad_needs_the_consent_to_share_abroad(app, abroad):
    offer, seeker, counsellor, _boss = abroad
    referral_id = refer(app, counsellor.id, seeker, offer)
    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        with pytest.raises(referrals.WorkflowRefused) as refused:
            referrals.change_status(referral, "send", db.session.get(User, counsellor.id))
        assert refused.value.reason == "abroad_consent"
    _consent(app, seeker, ConsentPurpose.SHARE_ABROAD)
    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        referrals.change_status(referral, "send", db.session.get(User, counsellor.id))
        assert referral.status == "sent"


def test_the_employer_abroad_sees_the_contact_only_with_both_consents(app, abroad):
    offer, seeker, counsellor, boss = abroad
    _consent(app, seeker, ConsentPurpose.SHARE_ABROAD)
    referral_id = refer(app, counsellor.id, seeker, offer, status="sent")
    with app.test_request_context():
        assert not referrals.contact_visible(db.session.get(User, boss.id), db.session.get(Referral, referral_id))
    _consent(app, seeker, ConsentPurpose.SHARE_EMPLOYERS)
    with app.test_request_context():
        assert referrals.contact_visible(db.session.get(User, boss.id), db.session.get(Referral, referral_id))
        assert referrals.contact_visible(db.session.get(User, counsellor.id), db.session.get(Referral, referral_id))
