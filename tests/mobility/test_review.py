"""The manager's review: requesting, approving, sending back with a comment, no approval of
one's own request or dossier, a pending review blocks every step but closing, and the queue."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.auth.models import Role, User
from app.extensions import db
from app.mobility import workflow
from app.mobility.models import Dossier
from tests.mobility.conftest import get_dossier, login

LONG_AGO = datetime.now(timezone.utc) - timedelta(days=45)


def test_request_then_approve(app, client, place, make_dossier):
    dossier_id = make_dossier("counselling")
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/match", data={"comment": "Offre vérifiée"})
    assert response.status_code == 302
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert "A manager has been asked to approve: Matched to an offer." in page
    assert "Approval pending: Matched to an offer" in page
    assert "/approve" not in page  # the counsellor does not review
    dossier = get_dossier(app, dossier_id)
    assert (dossier.stage, dossier.review_state, dossier.review_stage, dossier.review_requested_by_id) == (
        "counselling", "pending", "matched", place.counsellor.id)
    assert [(e.kind, e.to_stage, e.comment) for e in dossier.events] == [
        ("review_requested", "matched", "Offre vérifiée")]

    login(client, place.manager)
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert f"/mobility/dossiers/{dossier_id}/approve" in page and f"/mobility/dossiers/{dossier_id}/send-back" in page
    assert "Moussa Ba asked on" in page
    response = client.post(f"/mobility/dossiers/{dossier_id}/approve", data={"comment": "Conforme"})
    assert response.status_code == 302
    dossier = get_dossier(app, dossier_id)
    assert (dossier.stage, dossier.review_state, dossier.review_stage) == ("matched", "none", None)
    assert [(e.kind, e.from_stage, e.to_stage, e.actor_id, e.comment) for e in dossier.events][-1] == (
        "approved", "counselling", "matched", place.manager.id, "Conforme")
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.object_id == str(dossier_id), AuditEvent.object_type == "dossier",
            AuditEvent.action != "mobility.read").order_by(AuditEvent.id)).all()
    assert actions == ["mobility.request_review", "mobility.approve"]


@pytest.mark.parametrize("stage,asked", [("counselling", "matched"), ("counselling", "pre_departure"),
                                         ("matched", "pre_departure")])
def test_each_reviewed_step_moves_only_once_approved(app, client, place, make_dossier, stage, asked):
    dossier_id = make_dossier(stage)
    step = "match" if asked == "matched" else "prepare"
    login(client, place.counsellor)
    assert client.post(f"/mobility/dossiers/{dossier_id}/steps/{step}").status_code == 302
    assert get_dossier(app, dossier_id).stage == stage
    login(client, place.manager)
    assert client.post(f"/mobility/dossiers/{dossier_id}/approve").status_code == 302
    dossier = get_dossier(app, dossier_id)
    assert (dossier.stage, dossier.review_state) == (asked, "none")
    assert [e.kind for e in dossier.events] == ["review_requested", "approved"]
    # Approved once: a second approval finds nothing pending.
    assert client.post(f"/mobility/dossiers/{dossier_id}/approve").status_code == 409


def test_send_back_needs_a_comment_which_the_counsellor_reads(app, client, place, make_dossier):
    dossier_id = make_dossier("matched", review="pre_departure")
    login(client, place.manager)
    response = client.post(f"/mobility/dossiers/{dossier_id}/send-back", data={"comment": "   "})
    assert response.status_code == 400
    assert "Say what must change: a comment is required to send a dossier back." in response.text
    assert get_dossier(app, dossier_id).review_state == "pending"
    response = client.post(f"/mobility/dossiers/{dossier_id}/send-back",
                           data={"comment": "Le contrat signé manque au dossier."})
    assert response.status_code == 302
    dossier = get_dossier(app, dossier_id)
    assert (dossier.stage, dossier.review_state, dossier.review_stage, dossier.review_comment) == (
        "matched", "sent_back", "pre_departure", "Le contrat signé manque au dossier.")
    assert dossier.events[-1].kind == "sent_back" and dossier.events[-1].actor_id == place.manager.id

    login(client, place.counsellor)
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert "Sent back by a manager" in page and "Le contrat signé manque au dossier." in page
    # Sent back, it may be asked again once corrected.
    assert client.post(f"/mobility/dossiers/{dossier_id}/steps/prepare").status_code == 302
    dossier = get_dossier(app, dossier_id)
    assert (dossier.review_state, dossier.review_comment) == ("pending", None)


def test_the_service_refuses_a_send_back_without_comment(app, place, make_dossier):
    dossier_id = make_dossier("counselling", review="matched")
    with app.test_request_context():
        dossier = db.session.get(Dossier, dossier_id)
        with pytest.raises(workflow.WorkflowRefused) as refusal:
            workflow.send_back(dossier, db.session.get(User, place.manager.id), "  ")
        assert refusal.value.reason == "comment"


@pytest.mark.parametrize("who", ["requester", "counsellor"])
def test_nobody_approves_their_own_request_or_dossier(app, client, place, make_dossier, who):
    if who == "requester":
        dossier_id = make_dossier("counselling", review="matched", requested_by=place.manager.id)
    else:
        dossier_id = make_dossier("counselling", review="matched", counsellor_id=place.manager.id)
    login(client, place.manager)
    page = client.get(f"/mobility/dossiers/{dossier_id}").text
    assert "/approve" not in page and "another manager must review it" in page
    for action in ("approve", "send-back"):
        response = client.post(f"/mobility/dossiers/{dossier_id}/{action}", data={"comment": "Vu"})
        assert response.status_code == 403
        assert "You cannot approve a request you made, nor a dossier you counsel." in response.text
    assert get_dossier(app, dossier_id).review_state == "pending"


@pytest.mark.parametrize("step", ["assess", "counsel", "match", "prepare", "depart", "follow_up", "return"])
def test_a_pending_review_blocks_every_step_but_closing(app, place, make_dossier, step):
    dossier_id = make_dossier("counselling", review="matched")
    with app.test_request_context():
        dossier = db.session.get(Dossier, dossier_id)
        counsellor = db.session.get(User, place.counsellor.id)
        assert workflow.available_steps(counsellor, dossier) == ["close"]
        with pytest.raises(workflow.WorkflowRefused) as refusal:
            if step in ("match", "prepare"):
                workflow.request_review(dossier, step, counsellor)
            else:
                workflow.change_stage(dossier, step, counsellor)
        assert refusal.value.reason in ("pending", "stage")
        if step in ("match", "prepare"):  # those possible from counselling are refused for the review
            assert refusal.value.reason == "pending"


def test_a_pending_review_post_says_why(app, client, place, make_dossier):
    dossier_id = make_dossier("counselling", review="matched")
    login(client, place.counsellor)
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/prepare")
    assert response.status_code == 409
    assert "An approval by a manager is pending: until then the dossier can only be closed." in response.text
    response = client.post(f"/mobility/dossiers/{dossier_id}/steps/close", data={"reason": "withdrew"})
    assert response.status_code == 302
    dossier = get_dossier(app, dossier_id)
    assert (dossier.stage, dossier.review_state, dossier.review_stage) == ("closed", "none", None)
    login(client, place.manager)
    assert client.post(f"/mobility/dossiers/{dossier_id}/approve").status_code == 409


def test_approving_without_a_pending_review_is_refused(app, client, place, make_dossier):
    dossier_id = make_dossier("counselling")
    login(client, place.manager)
    response = client.post(f"/mobility/dossiers/{dossier_id}/approve")
    assert response.status_code == 409 and "No approval is pending on this dossier." in response.text
    assert get_dossier(app, dossier_id).stage == "counselling"


@pytest.mark.parametrize("role", [Role.MOBILITY_COUNSELLOR, Role.COUNSELLOR, Role.AGENT, Role.ADMIN])
def test_only_managers_review(app, client, create_user, place, make_dossier, role):
    dossier_id = make_dossier("counselling", review="matched")
    login(client, create_user(role, agency=place.agency))
    assert client.post(f"/mobility/dossiers/{dossier_id}/approve").status_code == 403
    assert client.post(f"/mobility/dossiers/{dossier_id}/send-back", data={"comment": "Non"}).status_code == 403
    assert client.get("/mobility/review").status_code == 403
    assert get_dossier(app, dossier_id).review_state == "pending"


def test_a_manager_of_another_country_gets_a_404(app, client, create_agency, create_user, place, make_dossier):
    dossier_id = make_dossier("counselling", review="matched")
    login(client, create_user(Role.MANAGER, agency=create_agency("ML")))
    assert client.post(f"/mobility/dossiers/{dossier_id}/approve").status_code == 404
    assert client.get(f"/mobility/dossiers/{dossier_id}").status_code == 404
    assert "No dossier is waiting for approval." in client.get("/mobility/review").text


def test_an_approval_on_a_page_opened_before_a_change_is_refused(app, client, place, make_dossier):
    dossier_id = make_dossier("counselling", review="matched")
    version = get_dossier(app, dossier_id).version
    with app.test_request_context():  # the counsellor changes the dossier meanwhile
        dossier = db.session.get(Dossier, dossier_id)
        dossier.offer_id = None
        db.session.commit()
    login(client, place.manager)
    response = client.post(f"/mobility/dossiers/{dossier_id}/approve", data={"version": version})
    assert response.status_code == 409 and "Someone else changed this dossier" in response.text
    assert get_dossier(app, dossier_id).stage == "counselling"


# ------------------------------------------------------------------ the queue

def test_the_queue_lists_pending_reviews_with_filters(app, client, create_agency, place, make_dossier):
    other_agency = create_agency("SN", name="Agence de Thiès")
    matched = make_dossier("counselling", review="matched", last_name="Sow")
    prepare = make_dossier("matched", review="pre_departure", last_name="Kane", destinations=("ES",),
                           agency_id=other_agency.id)
    stalled = make_dossier("counselling", review="matched", last_name="Gueye", last_event_at=LONG_AGO)
    make_dossier("counselling", last_name="Faye")  # no review asked
    login(client, place.manager)

    def listed(query: str = "") -> set[str]:
        page = client.get(f"/mobility/review{query}")
        assert page.status_code == 200
        return {name for name in ("Sow", "Kane", "Gueye", "Faye") if name in page.text.split('id="queue"')[1]}

    assert listed() == {"Sow", "Kane", "Gueye"}
    assert listed("?stage=pre_departure") == {"Kane"}
    assert listed("?stage=matched") == {"Sow", "Gueye"}
    assert listed(f"?agency_id={other_agency.id}") == {"Kane"}
    assert listed("?destination=ES") == {"Kane"}
    assert listed("?destination=FR") == {"Sow", "Gueye"}
    assert listed("?stalled=y") == {"Gueye"}
    page = client.get("/mobility/review").text
    assert page.count('class="badge text-bg-warning stalled"') == 1
    assert all(f"/mobility/dossiers/{i}" in page for i in (matched, prepare, stalled))


def test_the_queue_for_a_review_pending_in_another_country(app, client, create_agency, create_user, place,
                                                           make_dossier):
    mali = create_agency("ML")
    make_dossier("counselling", review="matched", last_name="Traoré", agency_id=mali.id)
    login(client, place.manager)
    assert "Traoré" not in client.get("/mobility/review").text
