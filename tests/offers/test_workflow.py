"""The offer workflow: every transition allowed or refused, per status and per role, through
the service and through crafted posts; rejection reasons; expiry by cron and by the list."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.offers import services
from app.offers.models import Offer, OfferStatus
from tests.offers.test_offers import add_employer, add_offer, get_offer

ALL_STEPS = [*services.TRANSITIONS, "bogus"]
# What each step needs the offer to be, and what it makes of it.
EXPECTED = {
    ("draft", "submit"): "submitted",
    ("submitted", "publish"): "published",
    ("submitted", "reject"): "rejected",
    ("published", "fill"): "filled",
    ("published", "close"): "closed",
}



@pytest.fixture(autouse=True)
def _english(request):
    """Messages are asserted in English, whatever the French catalogue holds."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").post("/language", data={"language": "en"})


@pytest.fixture
def setting(app, create_agency, create_user):
    """An agency, a registered national employer it follows, and a national manager."""
    agency = create_agency("SN")
    employer = add_employer(app, agency_id=agency.id)
    manager = create_user(Role.MANAGER, agency=agency)
    return agency, employer, manager


@pytest.mark.parametrize("status", [s.value for s in OfferStatus])
@pytest.mark.parametrize("step", ALL_STEPS)
def test_every_transition_through_the_service(app, setting, status, step):
    """Even a manager, who holds every offer action, can only take the listed steps."""
    agency, employer, manager = setting
    offer_id = add_offer(app, employer, status=status, agency_id=agency.id)
    with app.test_request_context():
        offer = db.session.get(Offer, offer_id)
        user = db.session.get(type(manager), manager.id)
        if (status, step) in EXPECTED:
            services.change_status(offer, step, user, reason="Offre en double")
            assert offer.status == EXPECTED[(status, step)]
        else:
            with pytest.raises(services.WorkflowRefused) as refusal:
                services.change_status(offer, step, user, reason="Offre en double")
            expected = {"bogus": "unknown"}.get(step, "status" if status != "published" or step != "expire"
                                                 else "role")
            assert refusal.value.reason == expected
            assert offer.status == status


def test_the_transition_table_is_the_documented_workflow():
    table = {(source.value, name): step.target.value
             for name, step in services.TRANSITIONS.items() for source in step.sources}
    assert table == {**EXPECTED, ("published", "expire"): "expired"}
    assert services.TRANSITIONS["expire"].action is None  # only the system expires


ROLE_CASES = [
    # role, step, status code, as the role's own agency or employer
    (Role.EMPLOYER, "submit", 302), (Role.AGENT, "submit", 302), (Role.COUNSELLOR, "submit", 302),
    (Role.MANAGER, "submit", 302), (Role.MOBILITY_COUNSELLOR, "submit", 403), (Role.ADMIN, "submit", 403),
    *[(role, step, code) for step in ("publish", "reject", "fill", "close") for role, code in (
        (Role.AGENT, 302), (Role.MANAGER, 302), (Role.EMPLOYER, 403), (Role.COUNSELLOR, 403),
        (Role.MOBILITY_COUNSELLOR, 403), (Role.ADMIN, 403))],
]
SOURCE = {"submit": "draft", "publish": "submitted", "reject": "submitted", "fill": "published",
          "close": "published"}


@pytest.mark.parametrize("role,step,code", ROLE_CASES)
def test_who_may_take_each_step(app, client, auth, create_user, setting, role, step, code):
    agency, employer, _manager = setting
    offer_id = add_offer(app, employer, status=SOURCE[step], agency_id=agency.id)
    if role == Role.EMPLOYER:
        user = create_user(role, employer_id=employer)
    else:
        user = create_user(role, agency=agency)
    auth.login(user.username)
    response = client.post(f"/offers/{offer_id}/steps/{step}", data={"reason": "Poste déjà pourvu"})
    assert response.status_code == code, response.text[:1500]
    after = get_offer(app, offer_id).status
    assert after == (EXPECTED[(SOURCE[step], step)] if code == 302 else SOURCE[step])


@pytest.mark.parametrize("status,step", [("draft", "publish"), ("draft", "fill"), ("submitted", "close"),
                                         ("rejected", "publish"), ("expired", "publish"), ("filled", "close"),
                                         ("closed", "publish"), ("published", "submit")])
def test_crafted_posts_cannot_skip_a_step(app, client, auth, setting, status, step):
    agency, employer, manager = setting
    offer_id = add_offer(app, employer, status=status, agency_id=agency.id)
    auth.login(manager.username)
    response = client.post(f"/offers/{offer_id}/steps/{step}")
    assert response.status_code == 409
    assert "This action is not possible at this stage of the offer." in response.text
    assert get_offer(app, offer_id).status == status


@pytest.mark.parametrize("step", ["expire", "bogus", "published"])
def test_steps_that_no_user_takes_do_not_exist(app, client, auth, setting, step):
    agency, employer, manager = setting
    offer_id = add_offer(app, employer, status="published", agency_id=agency.id, closing_date=date(2020, 1, 1))
    auth.login(manager.username)
    assert client.post(f"/offers/{offer_id}/steps/{step}").status_code == 404
    assert get_offer(app, offer_id).status == "published"


def test_rejection_needs_a_reason_that_is_kept_and_shown(app, client, auth, setting):
    agency, employer, manager = setting
    offer_id = add_offer(app, employer, status="submitted", agency_id=agency.id)
    auth.login(manager.username)
    response = client.post(f"/offers/{offer_id}/steps/reject", data={"reason": "  "})
    assert response.status_code == 409 and get_offer(app, offer_id).status == "submitted"
    client.post(f"/offers/{offer_id}/steps/reject", data={"reason": "Salaire non conforme au SMIG"})
    offer = get_offer(app, offer_id)
    assert offer.status == "rejected" and offer.rejection_reason == "Salaire non conforme au SMIG"
    page = client.get(f"/offers/{offer_id}").text
    assert page.count("Salaire non conforme au SMIG") >= 2  # on the offer and in its history


def test_publishing_a_past_offer_is_refused(app, client, auth, setting):
    agency, employer, manager = setting
    offer_id = add_offer(app, employer, status="submitted", agency_id=agency.id,
                         closing_date=date.today() - timedelta(days=1))
    auth.login(manager.username)
    response = client.post(f"/offers/{offer_id}/steps/publish")
    assert response.status_code == 409 and "The closing date is past" in response.text


def test_every_change_is_in_the_history_with_who_and_when(app, client, auth, create_user, setting):
    agency, employer, manager = setting
    owner = create_user(Role.EMPLOYER, employer_id=employer, full_name="Fatou Ndiaye")
    offer_id = add_offer(app, employer, agency_id=agency.id)
    auth.login(owner.username)
    client.post(f"/offers/{offer_id}/steps/submit")
    auth.logout()
    auth.login(manager.username)
    client.post(f"/offers/{offer_id}/steps/publish")
    client.post(f"/offers/{offer_id}/steps/fill")
    with app.app_context():
        events = db.session.execute(sa.select(AuditEvent.action, AuditEvent.actor_id).where(
            AuditEvent.object_type == "offer", AuditEvent.object_id == str(offer_id),
            AuditEvent.action.in_(("offer.submit", "offer.publish", "offer.fill"))).order_by(AuditEvent.id)).all()
    assert events == [("offer.submit", owner.id), ("offer.publish", manager.id), ("offer.fill", manager.id)]
    history = client.get(f"/offers/{offer_id}").text.split('id="history"')[1]
    assert "Fatou Ndiaye" in history and "Awa Diop" in history


def test_employers_edit_drafts_only_and_staff_submitted_offers_too(app, client, auth, create_user, setting):
    agency, employer, manager = setting
    owner = create_user(Role.EMPLOYER, employer_id=employer)
    submitted = add_offer(app, employer, status="submitted", agency_id=agency.id)
    auth.login(owner.username)
    assert client.get(f"/offers/{submitted}/edit").status_code == 302
    auth.logout()
    auth.login(manager.username)
    assert client.get(f"/offers/{submitted}/edit").status_code == 200


# ------------------------------------------------------------------------------ expiry
def test_expire_due_offers(app, setting):
    agency, employer, _manager = setting
    today = date(2026, 12, 1)
    past = add_offer(app, employer, status="published", closing_date=date(2026, 11, 30))
    due_today = add_offer(app, employer, status="published", closing_date=today)
    draft = add_offer(app, employer, status="draft", closing_date=date(2026, 11, 1))
    open_ended = add_offer(app, employer, status="published", closing_date=None)
    with app.test_request_context():
        assert services.expire_due_offers(today) == [past]
        db.session.commit()
        assert services.expire_due_offers(today) == []
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "offer.expire"))
        assert event.object_id == str(past) and event.actor_id is None
        assert event.details == {"before": "published", "after": "expired", "closing_date": "2026-11-30"}
    assert [get_offer(app, i).status for i in (past, due_today, draft, open_ended)] == [
        "expired", "published", "draft", "published"]
    assert get_offer(app, past).version == 2  # an edit opened before expiry meets a conflict


def test_cli_expires_offers_for_cron(app, runner, setting):
    _agency, employer, _manager = setting
    offer_id = add_offer(app, employer, status="published", closing_date=date(2026, 1, 10))
    result = runner.invoke(args=["offers", "expire", "--date", "2026-01-11"])
    assert result.exit_code == 0, result.output
    assert "1 offers expired" in result.output and get_offer(app, offer_id).status == "expired"


def test_the_offers_list_expires_overdue_offers_without_cron(app, client, auth, setting):
    agency, employer, manager = setting
    offer_id = add_offer(app, employer, status="published", agency_id=agency.id,
                         closing_date=date.today() - timedelta(days=1))
    abroad = add_offer(app, add_employer(app, country="ML"), status="published",
                       closing_date=date.today() - timedelta(days=1))
    auth.login(manager.username)
    assert client.get("/offers/").status_code == 200
    assert get_offer(app, offer_id).status == "expired"
    assert get_offer(app, abroad).status == "published"  # each country's list expires its own
    history = client.get(f"/offers/{offer_id}").text.split('id="history"')[1]
    assert "the system" in history or "le système" in history
