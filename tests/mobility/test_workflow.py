"""The dossier workflow: the transition table against the documented workflow, every stage ×
step through the service and through crafted posts, what each stage needs, closing, and the
events and audit records each change leaves."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from app.audit import AuditEvent
from app.auth.models import Role, User
from app.extensions import db
from app.mobility import workflow
from app.mobility.models import FINAL_STAGES, CloseReason, Dossier, Stage
from tests.mobility.conftest import get_dossier, give_abroad_consent, login

OPEN = [s.value for s in Stage if s not in FINAL_STAGES]
ALL_STEPS = [*workflow.TRANSITIONS, "bogus"]
REVIEWED = {"match", "prepare"}
# The documented workflow: (stage, step) → the stage it leads to.
EXPECTED = {
    ("opened", "assess"): "assessment",
    ("assessment", "counsel"): "counselling",
    ("counselling", "match"): "matched",
    ("counselling", "prepare"): "pre_departure",  # a programme whose partner does the matching
    ("matched", "prepare"): "pre_departure",
    ("pre_departure", "depart"): "departed",
    ("departed", "follow_up"): "follow_up",
    ("departed", "return"): "returned",  # a short stay, no follow-up
    ("follow_up", "return"): "returned",
    **{(stage, "close"): "closed" for stage in OPEN},
}


def test_the_transition_table_is_the_documented_workflow():
    table = {(source.value, name): step.target.value
             for name, step in workflow.TRANSITIONS.items() for source in step.sources}
    assert table == EXPECTED
    assert {name for name, step in workflow.TRANSITIONS.items() if step.review} == REVIEWED
    assert {step.action for step in workflow.TRANSITIONS.values()} == {"mobility.counsel"}
    assert set(workflow.STEP_TITLES) == set(workflow.TRANSITIONS)


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


@pytest.mark.parametrize("stage", [s.value for s in Stage])
@pytest.mark.parametrize("step", ALL_STEPS)
def test_every_stage_and_step_through_the_service(app, place, make_dossier, stage, step):
    dossier_id = make_dossier(stage)
    with app.test_request_context():
        dossier = db.session.get(Dossier, dossier_id)
        counsellor = _user(place.counsellor.id)
        if (stage, step) not in EXPECTED:
            for take in (lambda d, n, u: workflow.change_stage(d, n, u, reason="withdrew"),
                         workflow.request_review):
                with pytest.raises(workflow.WorkflowRefused) as refusal:
                    take(dossier, step, counsellor)
                assert refusal.value.reason == ("unknown" if step == "bogus" else "stage")
            assert dossier.stage == stage and dossier.review_state == "none"
        elif step in REVIEWED:
            with pytest.raises(workflow.WorkflowRefused) as refusal:
                workflow.change_stage(dossier, step, counsellor)
            assert refusal.value.reason == "needs_review"
            workflow.request_review(dossier, step, counsellor)
            assert (dossier.stage, dossier.review_state, dossier.review_stage) == (
                stage, "pending", EXPECTED[(stage, step)])
        else:
            with pytest.raises(workflow.WorkflowRefused) as refusal:
                workflow.request_review(dossier, step, counsellor)
            assert refusal.value.reason == "no_review_needed"
            workflow.change_stage(dossier, step, counsellor, reason="withdrew")
            assert dossier.stage == EXPECTED[(stage, step)]
            assert dossier.events[-1].kind == "stage" and dossier.events[-1].to_stage == dossier.stage


@pytest.mark.parametrize("stage", OPEN)
def test_a_manager_takes_no_counsellor_step(app, place, make_dossier, stage):
    dossier_id = make_dossier(stage)
    with app.test_request_context():
        dossier = db.session.get(Dossier, dossier_id)
        manager = _user(place.manager.id)
        assert workflow.available_steps(manager, dossier) == []
        for step in workflow.TRANSITIONS:
            if (stage, step) in EXPECTED:
                with pytest.raises(workflow.WorkflowRefused) as refusal:
                    if step in REVIEWED:
                        workflow.request_review(dossier, step, manager)
                    else:
                        workflow.change_stage(dossier, step, manager, reason="withdrew")
                assert refusal.value.reason == "role"


@pytest.mark.parametrize("stage", [s.value for s in Stage])
@pytest.mark.parametrize("step", ALL_STEPS)
def test_crafted_posts_take_only_the_listed_steps(app, client, place, make_dossier, stage, step):
    dossier_id = make_dossier(stage)
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/{step}",
                           data={"reason": "withdrew", "comment": "Vu ce matin"})
    after = get_dossier(app, dossier_id)
    if step == "bogus":
        assert response.status_code == 404
    elif (stage, step) not in EXPECTED:
        assert response.status_code == 409, response.text[:500]
        assert "This action is not possible at this stage of the dossier." in response.text
    else:
        assert response.status_code == 302, response.text[:2000]
    if (stage, step) in EXPECTED and step in REVIEWED:
        assert (after.stage, after.review_state, after.review_stage) == (stage, "pending", EXPECTED[(stage, step)])
    elif (stage, step) in EXPECTED:
        assert after.stage == EXPECTED[(stage, step)]
        assert after.events[-1].comment == "Vu ce matin"
    else:
        assert after.stage == stage and after.events == []


@pytest.mark.parametrize("role,code", [(Role.MANAGER, 403), (Role.AGENT, 403), (Role.COUNSELLOR, 403),
                                       (Role.ADMIN, 403), (Role.MOBILITY_COUNSELLOR, 302)])
def test_who_may_take_a_step(app, client, create_user, place, make_dossier, role, code):
    dossier_id = make_dossier("opened")
    login(client, create_user(role, agency=place.agency))
    assert client.post(f"/mobility/dossiers/{dossier_id}/steps/assess").status_code == code
    assert get_dossier(app, dossier_id).stage == ("assessment" if code == 302 else "opened")


def test_another_agency_counsellor_gets_a_404(app, client, create_agency, create_user, place, make_dossier):
    dossier_id = make_dossier("opened")
    login(client, create_user(Role.MOBILITY_COUNSELLOR, agency=create_agency("SN")))
    assert client.post(f"/mobility/dossiers/{dossier_id}/steps/assess").status_code == 404
    assert get_dossier(app, dossier_id).stage == "opened"


# ------------------------------------------------------------------ what each stage needs

def test_counselling_needs_a_recorded_risk_assessment(app, client, place, make_dossier):
    dossier_id = make_dossier("assessment", assessed=False)
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/counsel")
    assert response.status_code == 409
    assert "Record the risk assessment before moving to counselling." in response.text
    assert get_dossier(app, dossier_id).stage == "assessment"
    client.post(f"/mobility/dossiers/{dossier_id}/assessment", data={"aware_of_risks": "yes", "fee_asked": "no"})
    assert client.post(f"/mobility/dossiers/{dossier_id}/steps/counsel").status_code == 302
    assert get_dossier(app, dossier_id).stage == "counselling"


def test_matched_needs_an_offer_or_a_programme(app, client, place, make_dossier):
    dossier_id = make_dossier("counselling", offer=False, programme=False)
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/match")
    assert response.status_code == 409 and "Give the matched international offer" in response.text
    assert get_dossier(app, dossier_id).review_state == "none"
    with_offer = make_dossier("counselling", offer=True, programme=False)
    assert client.post(f"/mobility/dossiers/{with_offer}/steps/match").status_code == 302
    with_programme = make_dossier("counselling", offer=False, programme=True)
    assert client.post(f"/mobility/dossiers/{with_programme}/steps/match").status_code == 302


def test_pre_departure_straight_from_counselling_is_for_a_programme(app, client, place, make_dossier):
    dossier_id = make_dossier("counselling", programme=False)
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/prepare")
    assert response.status_code == 409 and "for a partner programme" in response.text
    matched = make_dossier("matched", programme=False)  # matched to an offer: no programme needed
    assert client.post(f"/mobility/dossiers/{matched}/steps/prepare").status_code == 302
    assert get_dossier(app, matched).review_stage == "pre_departure"


@pytest.mark.parametrize("stage,step", [("counselling", "match"), ("counselling", "prepare"), ("matched", "prepare")])
def test_sharing_abroad_needs_the_persons_consent(app, client, place, make_dossier, stage, step):
    dossier_id = make_dossier(stage, consent=False)
    with app.test_request_context():
        dossier = db.session.get(Dossier, dossier_id)
        with pytest.raises(workflow.WorkflowRefused) as refusal:
            workflow.request_review(dossier, step, _user(place.counsellor.id))
        assert refusal.value.reason == "consent"
    login(client, place.counsellor)
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert "has not consented to their data being shared with partners abroad" in page
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/{step}")
    assert response.status_code == 409 and "record that consent on their record first" in response.text
    assert get_dossier(app, dossier_id).review_state == "none"


# ------------------------------------------------------------------ closing

@pytest.mark.parametrize("data,message", [
    ({}, "Choose the reason for closing."),
    ({"reason": "bribe"}, "Choose a value from the list."),
    ({"reason": "other", "comment": "  "}, "Explain the reason in the comment."),
])
def test_closing_needs_a_coded_reason(app, client, place, make_dossier, data, message):
    dossier_id = make_dossier("counselling")
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/close", data=data)
    assert response.status_code == 400 and message in response.text
    assert get_dossier(app, dossier_id).stage == "counselling"


def test_closing_keeps_the_reason_and_comment(app, client, place, make_dossier):
    dossier_id = make_dossier("counselling")
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/close",
                           data={"reason": "other", "comment": "Parti s'installer à Thiès"})
    assert response.status_code == 302
    dossier = get_dossier(app, dossier_id)
    assert (dossier.stage, dossier.close_reason, dossier.close_comment) == (
        "closed", "other", "Parti s'installer à Thiès")
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert "Other reason" in page and "Parti s&#39;installer à Thiès" in page


@pytest.mark.parametrize("reason", [None, "", "bribe", "OTHER"])
def test_the_service_refuses_an_uncoded_reason(app, place, make_dossier, reason):
    dossier_id = make_dossier("opened")
    with app.test_request_context():
        dossier = db.session.get(Dossier, dossier_id)
        with pytest.raises(workflow.WorkflowRefused) as refusal:
            workflow.change_stage(dossier, "close", _user(place.counsellor.id), reason=reason)
        assert refusal.value.reason == "reason"
        with pytest.raises(workflow.WorkflowRefused) as refusal:
            workflow.change_stage(dossier, "close", _user(place.counsellor.id), reason=CloseReason.OTHER.value)
        assert refusal.value.reason == "comment"


# ------------------------------------------------------------------ events, audit and conflicts

def test_every_change_is_a_dated_event_with_its_author_and_an_audit_record(app, client, place, make_dossier):
    dossier_id = make_dossier("opened", last_event_at=datetime(2024, 1, 1, tzinfo=timezone.utc))
    login(client, place.counsellor)
    client.post(f"/mobility/dossiers/{dossier_id}/steps/assess", data={"comment": "Premier entretien"})
    client.post(f"/mobility/dossiers/{dossier_id}/steps/counsel")
    dossier = get_dossier(app, dossier_id)
    assert [(e.kind, e.from_stage, e.to_stage, e.actor_id, e.comment) for e in dossier.events] == [
        ("stage", "opened", "assessment", place.counsellor.id, "Premier entretien"),
        ("stage", "assessment", "counselling", place.counsellor.id, None)]
    last = dossier.last_event_at if dossier.last_event_at.tzinfo else dossier.last_event_at.replace(
        tzinfo=timezone.utc)
    assert datetime.now(timezone.utc) - last < timedelta(minutes=1)
    with app.app_context():
        audits = db.session.execute(sa.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.details).where(
            AuditEvent.object_type == "dossier", AuditEvent.object_id == str(dossier_id),
            AuditEvent.action != "mobility.read").order_by(AuditEvent.id)).all()
    assert audits == [
        ("mobility.assess", place.counsellor.id,
         {"before": "opened", "after": "assessment", "has_comment": True}),
        ("mobility.counsel", place.counsellor.id, {"before": "assessment", "after": "counselling"})]
    timeline = client.get(f"/mobility/dossiers/{dossier_id}").text.split('id="timeline"')[1]
    assert "Moussa Ba" in timeline and "Premier entretien" in timeline and "Risk assessment → Counselling" in timeline


def test_a_step_on_a_page_opened_before_another_change_is_refused(app, client, place, make_dossier):
    dossier_id = make_dossier("opened")
    version = get_dossier(app, dossier_id).version
    login(client, place.counsellor)
    assert client.post(f"/mobility/dossiers/{dossier_id}/steps/assess", data={"version": version}).status_code == 302
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/close",
                           data={"version": version, "reason": "withdrew"})
    assert response.status_code == 409 and "Someone else changed this dossier" in response.text
    assert get_dossier(app, dossier_id).stage == "assessment"


def test_a_concurrent_change_raises_stale_data_and_the_page_says_so(app, client, place, make_dossier,
                                                                    monkeypatch):
    dossier_id = make_dossier("opened")
    with app.test_request_context():
        dossier = db.session.get(Dossier, dossier_id)
        # Another worker changed the same dossier meanwhile (the row's version moved on,
        # not the one this session read).
        db.session.execute(sa.update(Dossier).where(Dossier.id == dossier_id)
                           .values(version=Dossier.version + 1).execution_options(synchronize_session=False))
        with pytest.raises(StaleDataError):
            workflow.change_stage(dossier, "assess", _user(place.counsellor.id))
        db.session.rollback()

    def concurrent(*_args, **_kwargs):
        raise StaleDataError("the row changed")

    monkeypatch.setattr(workflow, "change_stage", concurrent)
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/assess")
    assert response.status_code == 409 and "Someone else changed this dossier" in response.text
    assert get_dossier(app, dossier_id).stage == "opened"


def test_the_page_offers_only_the_steps_the_user_may_take(app, client, place, make_dossier):
    dossier_id = make_dossier("departed")
    login(client, place.counsellor)
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    for name in ("follow_up", "return", "close"):
        assert f"/mobility/dossiers/{dossier_id}/steps/{name}" in page
    for name in ("assess", "counsel", "match", "prepare", "depart"):
        assert f"/mobility/dossiers/{dossier_id}/steps/{name}" not in page
    login(client, place.manager)
    assert "/steps/" not in client.get(f"/mobility/dossiers/{dossier_id}").text


def test_consent_withdrawn_after_the_request_blocks_the_approval(app, client, place, make_dossier):
    dossier_id = make_dossier("counselling", review="matched")
    with app.app_context():
        seeker_id = db.session.get(Dossier, dossier_id).jobseeker_id
    give_abroad_consent(app, seeker_id, given=False)
    login(client, place.manager)
    response = client.post(f"/mobility/dossiers/{dossier_id}/approve")
    assert response.status_code == 409 and "has not consented" in response.text
    assert get_dossier(app, dossier_id).stage == "counselling"
