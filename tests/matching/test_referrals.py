"""Referrals through the service: the workflow table, every status × step, refusal reasons,
proposing (duplicates, hard filters, scope, the unique constraint under concurrency),
hiring (placed, positions, offer filled) and concurrent changes."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from app.audit import AuditEvent
from app.auth.models import Role, User
from app.db import utcnow
from app.extensions import db
from app.jobseekers import services as seekers
from app.jobseekers.models import ConsentPurpose, JobSeeker, SeekerStatus
from app.matching import referrals
from app.matching import services as matching
from app.matching.models import Referral, ReferralEvent, ReferralStatus, RefusalReason
from app.offers.models import Offer
from tests.matching.factories import add_employer, add_offer, add_seeker

ALL_STEPS = [*referrals.TRANSITIONS, "bogus"]
# The documented workflow: proposed → sent → interview → hired | refused | withdrawn.
EXPECTED = {
    ("proposed", "send"): "sent",
    ("sent", "interview"): "interview",
    ("sent", "hire"): "hired", ("interview", "hire"): "hired",
    ("proposed", "refuse"): "refused", ("sent", "refuse"): "refused", ("interview", "refuse"): "refused",
    ("proposed", "withdraw"): "withdrawn", ("sent", "withdraw"): "withdrawn",
    ("interview", "withdraw"): "withdrawn",
}
# The steps that lead a new referral to each status.
PATHS = {
    "proposed": [], "sent": ["send"], "interview": ["send", "interview"], "hired": ["send", "hire"],
    "refused": ["send", "refuse"], "withdrawn": ["send", "withdraw"],
}


def refer(app, user_id: int, seeker_id: int, offer_id: int, status: str = "proposed", days_ago: int = 0) -> int:
    """A referral by ``user_id`` brought to ``status`` through the service; returns its id."""
    with app.test_request_context():
        user = db.session.get(User, user_id)
        result = referrals.propose(user, offer_id=offer_id, seeker_ids=[seeker_id])
        assert len(result.created) == 1, result
        referral = result.created[0]
        for step in PATHS[status]:
            referrals.change_status(referral, step, user, reason="no_show")
        if days_ago:
            referral.status_changed_at = utcnow() - timedelta(days=days_ago)
        db.session.commit()
        return referral.id


def get_referral(app, referral_id: int) -> Referral:
    with app.app_context():
        referral = db.session.get(Referral, referral_id)
        db.session.expunge(referral)
        return referral


@pytest.fixture
def place(app, create_agency, create_user):
    """An agency with a counsellor, an employer it follows and one of its published offers
    (two positions), and a person who matches it."""
    agency = create_agency("SN")
    employer = add_employer(app, agency.id)
    counsellor = create_user(Role.COUNSELLOR, agency=agency)
    offer = add_offer(app, employer)
    seeker = add_seeker(app, agency.id)
    return SimpleNamespace(agency=agency, employer=employer, counsellor=counsellor, offer=offer, seeker=seeker)


def test_the_transition_table_is_the_documented_workflow():
    table = {(source.value, name): step.target.value
             for name, step in referrals.TRANSITIONS.items() for source in step.sources}
    assert table == EXPECTED
    actions = {(source.value, name): action
               for name, step in referrals.TRANSITIONS.items() for source, action in step.sources.items()}
    manage = {key for key, action in actions.items() if action == "referral.manage"}
    assert manage == {("proposed", "send"), ("proposed", "refuse"), ("proposed", "withdraw"),
                      ("sent", "withdraw"), ("interview", "withdraw")}
    assert set(actions.values()) == {"referral.manage", "referral.outcome"}
    assert set(referrals.STEP_TITLES) == set(referrals.TRANSITIONS)


def test_final_statuses_have_no_way_out():
    for step in referrals.TRANSITIONS.values():
        assert not {ReferralStatus.HIRED, ReferralStatus.REFUSED, ReferralStatus.WITHDRAWN} & set(step.sources)


@pytest.mark.parametrize("status", [s.value for s in ReferralStatus])
@pytest.mark.parametrize("step", ALL_STEPS)
def test_every_status_and_step_through_the_service(app, place, status, step):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, status)
    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        user = db.session.get(User, place.counsellor.id)
        events = len(referral.events)
        if (status, step) in EXPECTED:
            event = referrals.change_status(referral, step, user, reason="lacks_skills", comment="Noté")
            assert referral.status == EXPECTED[(status, step)]
            assert (event.from_status, event.to_status, event.actor_id) == (status, referral.status, user.id)
            assert event.comment == "Noté"
            assert event.reason == ("lacks_skills" if step == "refuse" else None)
            assert len(referral.events) == events + 1
            audit = db.session.scalars(sa.select(AuditEvent).where(
                AuditEvent.action == f"referral.{step}", AuditEvent.object_id == str(referral.id))).one()
            assert audit.details["before"] == status and audit.details["after"] == referral.status
            assert audit.actor_id == user.id
        else:
            with pytest.raises(referrals.WorkflowRefused) as refusal:
                referrals.change_status(referral, step, user, reason="lacks_skills")
            assert refusal.value.reason == ("unknown" if step == "bogus" else "status")
            assert referral.status == status
            assert len(referral.events) == events


def test_a_step_sets_the_time_of_the_change(app, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, days_ago=30)
    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        assert referrals.is_stalled(referral)
        referrals.change_status(referral, "send", db.session.get(User, place.counsellor.id))
        db.session.commit()
        assert not referrals.is_stalled(referral)
        assert db.session.scalar(sa.select(sa.func.count()).where(referrals.stalled_clause())) == 0


ROLE_CASES = [
    # role, status, step, allowed (as the referral's agency, or the offer's employer)
    *[(role, "proposed", step, role in (Role.COUNSELLOR, Role.MOBILITY_COUNSELLOR, Role.MANAGER))
      for step in ("send", "refuse", "withdraw") for role in Role],
    *[(role, "sent", step, role in (Role.COUNSELLOR, Role.MOBILITY_COUNSELLOR, Role.MANAGER, Role.EMPLOYER))
      for step in ("interview", "hire", "refuse") for role in Role],
    *[(role, "interview", "withdraw", role in (Role.COUNSELLOR, Role.MOBILITY_COUNSELLOR, Role.MANAGER))
      for role in Role],
]


@pytest.mark.parametrize("role,status,step,allowed", ROLE_CASES)
def test_who_may_take_each_step(app, place, create_user, role, status, step, allowed):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, status)
    kw = {"employer_id": place.employer} if role == Role.EMPLOYER else {"agency": place.agency}
    actor = create_user(role, **kw)
    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        user = db.session.get(User, actor.id)
        assert (step in referrals.available_steps(user, referral)) is allowed
        if allowed:
            referrals.change_status(referral, step, user, reason="no_show")
            assert referral.status == EXPECTED[(status, step)]
        else:
            with pytest.raises(referrals.WorkflowRefused) as refusal:
                referrals.change_status(referral, step, user, reason="no_show")
            assert refusal.value.reason == "role"


def test_another_agency_or_employer_cannot_take_steps(app, place, create_agency, create_user):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    other_agency = create_user(Role.COUNSELLOR, agency=create_agency("SN"))
    other_employer = create_user(Role.EMPLOYER, employer_id=add_employer(app, place.agency.id, name="Autre SA"))
    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        for actor in (other_agency, other_employer):
            user = db.session.get(User, actor.id)
            assert referrals.available_steps(user, referral) == []
            with pytest.raises(referrals.WorkflowRefused):
                referrals.change_status(referral, "interview", user)
        assert referral.status == "sent"


@pytest.mark.parametrize("status", ["proposed", "sent", "interview"])
def test_a_refusal_needs_a_coded_reason(app, place, status):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, status)
    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        user = db.session.get(User, place.counsellor.id)
        for reason in (None, "", "because", "OTHER"):
            with pytest.raises(referrals.WorkflowRefused) as refusal:
                referrals.change_status(referral, "refuse", user, reason=reason, comment="x")
            assert refusal.value.reason == "reason"
        with pytest.raises(referrals.WorkflowRefused) as refusal:
            referrals.change_status(referral, "refuse", user, reason="other", comment="   ")
        assert refusal.value.reason == "comment"
        assert referral.status == status and referral.refusal_reason is None
        referrals.change_status(referral, "refuse", user, reason="other", comment="A trouvé un stage")
        assert (referral.status, referral.refusal_reason, referral.comment) == ("refused", "other",
                                                                               "A trouvé un stage")


@pytest.mark.parametrize("reason", [r.value for r in RefusalReason if r is not RefusalReason.OTHER])
def test_every_coded_reason_is_accepted_without_comment(app, place, reason):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        referrals.change_status(referral, "refuse", db.session.get(User, place.counsellor.id), reason=reason)
        assert referral.refusal_reason == reason and referral.events[-1].reason == reason


def test_only_a_refusal_keeps_a_reason(app, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        event = referrals.change_status(referral, "withdraw", db.session.get(User, place.counsellor.id),
                                        reason="no_show", comment="La personne renonce")
        assert event.reason is None and referral.refusal_reason is None and event.comment == "La personne renonce"


# ---------------------------------------------------------------------- proposing

def _propose(app, user_id: int, **kw) -> referrals.Proposal:
    with app.test_request_context():
        result = referrals.propose(db.session.get(User, user_id), **kw)
        db.session.commit()
        return SimpleNamespace(created=[r.id for r in result.created], already=result.already,
                               excluded=result.excluded, unknown=result.unknown)


def test_propose_people_for_one_offer(app, place, create_agency):
    elsewhere = add_seeker(app, create_agency("SN").id, "Ndiaye", "Moussa")  # national matching
    shy = add_seeker(app, place.agency.id, "Sow", "Coumba", consent=False)
    inactive = add_seeker(app, place.agency.id, "Fall", "Ibrahima")
    with app.test_request_context():
        seekers.change_status(db.session.get(JobSeeker, inactive), SeekerStatus.INACTIVE)
        db.session.commit()
    refer(app, place.counsellor.id, place.seeker, place.offer)
    result = _propose(app, place.counsellor.id, offer_id=place.offer,
                      seeker_ids=[place.seeker, elsewhere, shy, elsewhere, 999_999])
    assert len(result.created) == 1
    assert (result.already, result.excluded, result.unknown) == ([place.seeker], [shy], [999_999])
    with app.app_context():
        referral = db.session.get(Referral, result.created[0])
        offer = db.session.get(Offer, place.offer)
        assert (referral.jobseeker_id, referral.status) == (elsewhere, "proposed")
        assert (referral.agency_id, referral.counsellor_id) == (place.agency.id, place.counsellor.id)
        assert (referral.employer_id, referral.country_code) == (offer.employer_id, "SN")
        expected = matching.match_pair(db.session.get(JobSeeker, elsewhere), offer).score
        assert referral.score == pytest.approx(expected)
        assert [(e.from_status, e.to_status, e.actor_id) for e in referral.events] == [
            (None, "proposed", place.counsellor.id)]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "referral.propose", AuditEvent.object_id == str(referral.id))) == 1
    # The hard filters hold for referrals too: a person no longer looking is left out.
    again = _propose(app, place.counsellor.id, offer_id=place.offer, seeker_ids=[inactive, elsewhere])
    assert (again.created, again.excluded, again.already) == ([], [inactive], [elsewhere])


def test_propose_one_person_for_several_offers(app, place, create_agency):
    second = add_offer(app, place.employer, job_title="Chef de chantier")
    draft = add_offer(app, place.employer, status="draft")
    licence = add_offer(app, place.employer, driving_licence="C")  # a must-have the person lacks
    abroad = add_offer(app, add_employer(app, create_agency("CI").id, country="CI"))
    result = _propose(app, place.counsellor.id, seeker_id=place.seeker,
                      offer_ids=[place.offer, second, draft, licence, abroad])
    assert len(result.created) == 2
    assert result.excluded == [draft, licence] and result.unknown == [abroad]
    with app.app_context():
        offers = set(db.session.scalars(sa.select(Referral.offer_id).where(Referral.jobseeker_id == place.seeker)))
    assert offers == {place.offer, second}


def test_propose_refuses_records_outside_the_users_country(app, place, create_agency, create_user):
    ivorian = create_user(Role.COUNSELLOR, agency=create_agency("CI"))
    with app.test_request_context():
        user = db.session.get(User, ivorian.id)
        with pytest.raises(LookupError):
            referrals.propose(user, offer_id=place.offer, seeker_ids=[place.seeker])
        with pytest.raises(LookupError):
            referrals.propose(user, seeker_id=place.seeker, offer_ids=[place.offer])
    other_offer = add_offer(app, add_employer(app, None, name="Abidjan BTP", country="CI"))
    ivorian_seeker = add_seeker(app, ivorian.agency_id, "Kouassi", "Jean")
    result = _propose(app, place.counsellor.id, offer_id=place.offer, seeker_ids=[ivorian_seeker])
    assert result.unknown == [ivorian_seeker] and result.created == []
    result = _propose(app, place.counsellor.id, seeker_id=place.seeker, offer_ids=[other_offer])
    assert result.unknown == [other_offer]


@pytest.mark.parametrize("role,national,reason", [
    (Role.AGENT, False, "role"), (Role.ADMIN, False, "role"), (Role.EMPLOYER, False, "role"),
    (Role.MANAGER, True, "agency"),
])
def test_who_may_propose(app, place, create_user, role, national, reason):
    kw = {"employer_id": place.employer} if role == Role.EMPLOYER else {"agency": place.agency}
    actor = create_user(role, national=True) if national else create_user(role, **kw)
    with app.test_request_context():
        with pytest.raises(referrals.ProposalRefused) as refusal:
            referrals.propose(db.session.get(User, actor.id), offer_id=place.offer, seeker_ids=[place.seeker])
        assert refusal.value.reason == reason


def test_propose_needs_both_sides(app, place):
    with app.test_request_context():
        user = db.session.get(User, place.counsellor.id)
        for kw in ({}, {"offer_id": place.offer}, {"offer_id": place.offer, "seeker_id": place.seeker}):
            with pytest.raises(referrals.ProposalRefused) as refusal:
                referrals.propose(user, **kw)
            assert refusal.value.reason == "empty"


def test_the_unique_constraint_is_the_last_guard(app, place, monkeypatch):
    """Two requests proposing the same pair at once: both read "not referred yet"; the
    database refuses the second insert, and the rest of the batch is kept."""
    other = add_seeker(app, place.agency.id, "Ndiaye", "Moussa")
    refer(app, place.counsellor.id, place.seeker, place.offer)
    monkeypatch.setattr(matching, "referred_people", lambda offer_id: frozenset())
    result = _propose(app, place.counsellor.id, offer_id=place.offer, seeker_ids=[place.seeker, other])
    assert result.already == [place.seeker] and len(result.created) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 2


def test_sending_checks_the_hard_filters_again(app, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer)
    with app.test_request_context():
        seekers.withdraw_consent(db.session.get(JobSeeker, place.seeker), ConsentPurpose.PROPOSE)
        db.session.commit()
    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        with pytest.raises(referrals.WorkflowRefused) as refusal:
            referrals.change_status(referral, "send", db.session.get(User, place.counsellor.id))
        assert refusal.value.reason == "filters"
        assert referral.status == "proposed"


# ---------------------------------------------------------------------- hiring

def _hire(app, referral_id: int, user_id: int) -> None:
    with app.test_request_context():
        referrals.change_status(db.session.get(Referral, referral_id), "hire", db.session.get(User, user_id))
        db.session.commit()


def test_hiring_places_the_person_and_fills_the_offer_with_its_last_position(app, place):
    other = add_seeker(app, place.agency.id, "Ndiaye", "Moussa")
    late = add_seeker(app, place.agency.id, "Ba", "Mariama")
    first = refer(app, place.counsellor.id, place.seeker, place.offer, "interview")
    second = refer(app, place.counsellor.id, other, place.offer, "sent")
    third = refer(app, place.counsellor.id, late, place.offer, "sent")
    _hire(app, first, place.counsellor.id)
    with app.app_context():
        offer = db.session.get(Offer, place.offer)
        assert (offer.positions_filled, offer.status) == (1, "published")
        assert db.session.get(JobSeeker, place.seeker).status == "placed"
        placed = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "jobseeker.status_changed", AuditEvent.object_id == str(place.seeker))).one()
        assert placed.details == {"before": "active", "after": "placed"}
    _hire(app, second, place.counsellor.id)
    with app.app_context():
        offer = db.session.get(Offer, place.offer)
        assert (offer.positions_filled, offer.status) == (2, "filled")
        fill = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "offer.fill", AuditEvent.object_id == str(place.offer))).one()
        assert (fill.details["before"], fill.details["after"]) == ("published", "filled")
        assert fill.actor_id == place.counsellor.id
    with app.test_request_context():
        referral = db.session.get(Referral, third)
        with pytest.raises(referrals.WorkflowRefused) as refusal:
            referrals.change_status(referral, "hire", db.session.get(User, place.counsellor.id))
        assert refusal.value.reason == "no_position"
        assert referral.status == "sent"
        # The other outcomes stay possible on a filled offer.
        referrals.change_status(referral, "refuse", db.session.get(User, place.counsellor.id),
                                reason="offer_filled")
        assert referral.status == "refused"


def test_a_hire_on_an_offer_marked_filled_by_staff_is_refused(app, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    with app.app_context():
        db.session.get(Offer, place.offer).status = "filled"
        db.session.commit()
    with app.test_request_context():
        with pytest.raises(referrals.WorkflowRefused) as refusal:
            referrals.change_status(db.session.get(Referral, referral_id), "hire",
                                    db.session.get(User, place.counsellor.id))
        assert refusal.value.reason == "no_position"


# ---------------------------------------------------------------------- concurrency

def test_a_stale_version_is_refused(app, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer)
    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        with pytest.raises(referrals.StaleEdit):
            referrals.change_status(referral, "send", db.session.get(User, place.counsellor.id),
                                    expected_version=referral.version - 1)
        assert referral.status == "proposed"


def test_a_concurrent_change_raises_stale_data(app, place):
    """Another worker moved the referral after this one read it: the version column refuses."""
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        user = db.session.get(User, place.counsellor.id)
        db.session.execute(sa.update(Referral).where(Referral.id == referral_id)
                           .values(version=Referral.version + 1).execution_options(synchronize_session=False))
        with pytest.raises(StaleDataError):
            referrals.change_status(referral, "interview", user)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReferralEvent).where(
            ReferralEvent.to_status == "interview")) == 0


def test_employers_see_only_what_was_sent_to_them(app, place, create_user):
    proposed = refer(app, place.counsellor.id, place.seeker, place.offer)
    withdrawn_early = refer(app, place.counsellor.id, add_seeker(app, place.agency.id, "Ba", "Mariama"),
                            place.offer)
    sent = refer(app, place.counsellor.id, add_seeker(app, place.agency.id, "Ndiaye", "Moussa"), place.offer,
                 "refused")
    employer_user = create_user(Role.EMPLOYER, employer_id=place.employer)
    with app.test_request_context():
        referrals.change_status(db.session.get(Referral, withdrawn_early), "withdraw",
                                db.session.get(User, place.counsellor.id))
        db.session.commit()
        user = db.session.get(User, employer_user.id)
        seen = set(db.session.scalars(referrals.list_query(user)))
        assert {r.id for r in seen} == {sent}
        assert not referrals.can_see(user, db.session.get(Referral, proposed))
        assert not referrals.can_see(user, db.session.get(Referral, withdrawn_early))
        timeline = referrals.visible_events(user, db.session.get(Referral, sent))
        assert [e.to_status for e in timeline] == ["sent", "refused"]
        counsellor = db.session.get(User, place.counsellor.id)
        assert [e.to_status for e in referrals.visible_events(counsellor, db.session.get(Referral, sent))] == [
            "proposed", "sent", "refused"]
