"""Anti-fraud checks: each flag raised by a realistic fraudulent international offer, blocking
publication until a manager clears it with a comment; the salary range from comparable offers;
national offers; flags re-evaluated on each check."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.offers import fraud
from app.offers.models import FlagKind, Offer, OfferFlag
from tests.offers.test_offers import add_employer, add_offer, get_offer

ALL_KINDS = {kind.value for kind in FlagKind}



@pytest.fixture(autouse=True)
def _english(request):
    """Messages are asserted in English, whatever the French catalogue holds."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").post("/language", data={"language": "en"})


def lure(app, agency_id: int, **kw) -> int:
    """A classic lure: farm work in Spain from an unlicensed 'agency', 1 500 000 XOF a month,
    a 350 000 XOF 'visa fee', no contract, no city, nothing said about travel or housing."""
    recruiter = add_employer(app, name="Euro Jobs Placement", kind="intermediary", status="pending",
                             registered=False, seat_country="ES", agency_id=agency_id)
    values = dict(status="draft", agency_id=agency_id, international=True, destination_country="ES",
                  occupation_code="A1401", job_title="Cueillette de fraises", contract_type="seasonal",
                  contract_months=None, salary_min=Decimal(1500000), salary_currency="XOF", salary_period="month",
                  worker_fee=Decimal(350000), worker_fee_currency="XOF")
    values.update(kw)
    return add_offer(app, recruiter, **values)


def comparables(app, amounts, code: str = "A1401", country: str = "ES", currency: str = "XOF",
                period: str = "month") -> None:
    """Published offers for work in ``country`` paying ``amounts``."""
    employer = add_employer(app, name="Coopérative de Huelva", kind="foreign", licence_number="ES-123")
    for amount in amounts:
        add_offer(app, employer, status="published", international=country != "SN",
                  destination_country=country if country != "SN" else None, occupation_code=code,
                  salary_min=Decimal(amount), salary_currency=currency, salary_period=period)


def open_kinds(app, offer_id: int) -> set[str]:
    return {flag.kind for flag in get_offer(app, offer_id).open_flags}


@pytest.fixture
def staff(create_agency, create_user):
    agency = create_agency("SN")
    return agency, create_user(Role.AGENT, agency=agency), create_user(Role.MANAGER, agency=agency)


def test_a_fraudulent_international_offer_raises_every_flag_and_waits_for_a_manager(
        app, client, auth, staff):
    agency, agent, manager = staff
    comparables(app, [220000, 240000, 250000, 260000, 300000])
    offer_id = lure(app, agency.id)
    auth.login(agent.username)
    assert client.post(f"/offers/{offer_id}/steps/submit").status_code == 302
    assert open_kinds(app, offer_id) == ALL_KINDS
    refused = client.post(f"/offers/{offer_id}/steps/publish")
    assert refused.status_code == 409 and "anti-fraud warnings" in refused.text
    assert get_offer(app, offer_id).status == "submitted"
    assert client.post(f"/offers/{offer_id}/flags/1/clear", data={"comment": "ok"}).status_code == 403
    auth.logout()

    auth.login(manager.username)
    flags = get_offer(app, offer_id).flags
    no_comment = client.post(f"/offers/{offer_id}/flags/{flags[0].id}/clear", data={"comment": "  "})
    assert no_comment.status_code == 302 and len(open_kinds(app, offer_id)) == len(ALL_KINDS)
    for flag in flags:
        client.post(f"/offers/{offer_id}/flags/{flag.id}/clear",
                    data={"comment": f"Vérifié avec l'ambassade ({flag.kind})"})
    assert open_kinds(app, offer_id) == set()
    with app.app_context():
        cleared = db.session.scalars(sa.select(OfferFlag).where(OfferFlag.offer_id == offer_id)).all()
        assert {(f.cleared_by_id, f.comment.startswith("Vérifié")) for f in cleared} == {(manager.id, True)}
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "offer.flag_cleared")).all()
        assert len(events) == len(ALL_KINDS) and all(e.actor_id == manager.id for e in events)
    page = client.get(f"/offers/{offer_id}").text
    assert "Vérifié avec l&#39;ambassade (worker_fee)" in page and manager.full_name in page
    auth.logout()

    auth.login(agent.username)
    assert client.post(f"/offers/{offer_id}/steps/publish").status_code == 302
    assert get_offer(app, offer_id).status == "published"


def test_flag_details_say_what_the_check_saw(app, ctx, staff):
    agency, _agent, _manager = staff
    comparables(app, [200000, 250000, 300000, 250000, 260000])
    offer = db.session.get(Offer, lure(app, agency.id, city="Huelva", travel_paid=False))
    fraud.run_checks(offer)
    detail = {flag.kind: flag.detail for flag in offer.flags}
    assert detail["worker_fee"]["facts"] == {"amount": "350000.00", "currency": "XOF"}
    assert detail["unregistered_employer"]["facts"]["employers"][0]["status"] == "pending"
    assert detail["unlicensed_recruiter"]["facts"]["employers"][0]["licence"] is None
    assert detail["salary_outlier"] == {
        "facts": {"monthly": "1500000.00", "currency": "XOF", "country": "ES", "occupation": "A1401"},
        "scope": "occupation", "count": 5, "median": "250000.00", "low": "125000.00", "high": "500000.00"}
    assert detail["missing_terms"]["facts"] == {"missing": ["duration", "housing"]}
    assert detail["missing_contract"]["facts"] == {}


def test_a_sound_international_offer_raises_no_flag(app, ctx, staff):
    agency, _agent, _manager = staff
    comparables(app, [240000, 250000, 260000, 250000, 255000])
    employer = add_employer(app, name="Agrícola del Sur", kind="foreign", licence_number="ES-AG-778",
                            licence_valid_until=date.today() + timedelta(days=365), registered=False)
    offer = db.session.get(Offer, add_offer(
        app, employer, international=True, destination_country="ES", city="Huelva", occupation_code="A1401",
        contract_type="seasonal", contract_months=4, salary_min=Decimal(260000), travel_paid=True,
        housing_provided=True, contract_file="contract.pdf", agency_id=agency.id))
    assert fraud.run_checks(offer) == []


def test_an_expired_licence_is_flagged(app, ctx):
    employer = add_employer(app, kind="intermediary", licence_number="SN-PRA-2019-04",
                            licence_valid_until=date.today() - timedelta(days=1), registered=False)
    offer = db.session.get(Offer, add_offer(app, employer))
    finding = fraud.check_licence(offer)
    assert finding.kind is FlagKind.UNLICENSED_RECRUITER
    assert finding.facts["employers"][0]["valid_until"] == (date.today() - timedelta(days=1)).isoformat()
    assert fraud.check_registration(offer) is None  # approved: only the licence is missing


def test_an_unregistered_national_employer_is_flagged(app, ctx):
    offer = db.session.get(Offer, add_offer(app, add_employer(app, registered=False)))
    assert fraud.check_registration(offer).kind is FlagKind.UNREGISTERED_EMPLOYER


# -------------------------------------------------------------------------- salary range
@pytest.mark.parametrize("period,amount,monthly", [("month", 100000, "100000.00"), ("day", 5000, "110000.00"),
                                                   ("hour", 1000, "173000.00"), ("task", 5000, None)])
def test_salaries_are_compared_per_month(period, amount, monthly):
    value = fraud.monthly_amount(Decimal(amount), None, period)
    assert (None if value is None else f"{value:.2f}") == monthly
    assert fraud.monthly_amount(Decimal(100), Decimal(300), "month") == Decimal(200)


def test_the_salary_range_comes_from_the_same_fiche_in_the_same_country(app, ctx):
    comparables(app, [200000, 210000, 220000, 230000], country="SN", code="F1703")
    comparables(app, [10000], country="SN", code="F1703", period="day")  # 220 000 a month
    comparables(app, [900000], country="SN", code="F1703", currency="EUR")  # another currency
    comparables(app, [5000000], country="ES", code="F1703")  # another country
    comparables(app, [800000], country="SN", code="F1704")  # same domain, another fiche
    employer = add_employer(app)
    offer = db.session.get(Offer, add_offer(app, employer, occupation_code="F1703", salary_min=Decimal(100000)))
    basis = fraud.salary_basis(offer)
    assert (basis["scope"], basis["count"], basis["median"]) == ("occupation", 5, "220000.00")
    assert (basis["low"], basis["high"]) == ("110000.00", "440000.00")
    assert fraud.check_salary(offer, basis).kind is FlagKind.SALARY_OUTLIER  # below half the median
    offer.salary_min = Decimal(110000)
    assert fraud.check_salary(offer, fraud.salary_basis(offer)) is None  # half is still usual
    offer.salary_min = Decimal(450000)
    assert fraud.check_salary(offer, fraud.salary_basis(offer)) is not None  # more than twice


def test_few_comparables_fall_back_to_the_domain(app, ctx):
    comparables(app, [200000, 220000], country="SN", code="F1703")
    comparables(app, [240000, 260000], country="SN", code="F1704")
    offer = db.session.get(Offer, add_offer(app, add_employer(app), occupation_code="F1703",
                                            salary_min=Decimal(600000)))
    basis = fraud.salary_basis(offer)
    assert (basis["scope"], basis["count"], basis["median"]) == ("domain", 4, "230000.00")
    assert fraud.check_salary(offer, basis) is not None


def test_no_comparables_is_said_and_raises_no_flag(app, ctx):
    offer = db.session.get(Offer, add_offer(app, add_employer(app), occupation_code="K2111",
                                            salary_min=Decimal(99000000)))
    findings, basis = fraud.check_offer(offer)
    assert basis == {"scope": "none", "count": 0, "monthly": "99000000.00", "currency": "XOF", "country": "SN"}
    assert FlagKind.SALARY_OUTLIER not in {f.kind for f in findings}
    fraud.run_checks(offer)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "offer.checked"))
    assert event.details["salary"]["scope"] == "none"


def test_task_work_is_not_compared(app, ctx):
    offer = db.session.get(Offer, add_offer(app, add_employer(app), salary_period="task"))
    assert fraud.salary_basis(offer) == {"scope": "skipped", "reason": "task"}


# ---------------------------------------------------------------------- national offers
def test_on_national_offers_only_the_fee_blocks(app, client, auth, staff):
    agency, agent, _manager = staff
    unregistered = add_employer(app, registered=False, agency_id=agency.id)
    plain = add_offer(app, unregistered, status="submitted", agency_id=agency.id)
    auth.login(agent.username)
    assert client.post(f"/offers/{plain}/steps/publish").status_code == 302
    assert open_kinds(app, plain) == {"unregistered_employer"}  # shown to the agent, not blocking
    with_fee = add_offer(app, unregistered, status="submitted", agency_id=agency.id,
                         worker_fee=Decimal(25000), worker_fee_currency="XOF")
    assert client.post(f"/offers/{with_fee}/steps/publish").status_code == 409
    assert "worker_fee" in open_kinds(app, with_fee)


# ------------------------------------------------------------------------ re-evaluation
def test_cleared_flags_stay_cleared_unless_the_facts_change(app, ctx, staff):
    agency, _agent, manager = staff
    offer = db.session.get(Offer, lure(app, agency.id))
    fraud.run_checks(offer)
    fee_flag = next(f for f in offer.flags if f.kind == "worker_fee")
    fraud.clear_flag(fee_flag, manager, "Frais remboursés par l'employeur, attestation au dossier")
    fraud.run_checks(offer)
    assert [f.kind for f in offer.flags].count("worker_fee") == 1 and "worker_fee" not in {
        f.kind for f in offer.open_flags}
    offer.worker_fee = Decimal(500000)  # the facts changed: a new flag
    fraud.run_checks(offer)
    assert "worker_fee" in {f.kind for f in offer.open_flags}
    offer.worker_fee = None  # corrected: the open flag is resolved, and kept
    fraud.run_checks(offer)
    fees = [f for f in offer.flags if f.kind == "worker_fee"]
    assert len(fees) == 2 and all(f.cleared_at for f in fees)
    assert fees[1].cleared_by_id is None and fees[1].detail["resolved"] is True
    with pytest.raises(fraud.FlagRefused):
        fraud.clear_flag(fees[0], manager, "encore")


def test_editing_a_submitted_offer_checks_it_again(app, client, auth, staff):
    from tests.offers.test_offers import offer_form

    agency, agent, _manager = staff
    employer = add_employer(app, agency_id=agency.id)
    offer_id = add_offer(app, employer, status="submitted", agency_id=agency.id, worker_fee=Decimal(10000),
                         worker_fee_currency="XOF")
    auth.login(agent.username)
    client.post(f"/offers/{offer_id}/steps/publish")
    assert "worker_fee" in open_kinds(app, offer_id)
    response = client.post(f"/offers/{offer_id}/edit", data=offer_form(
        employer, worker_fee="", version=get_offer(app, offer_id).version))
    assert response.status_code == 302, response.text[:1000]
    assert open_kinds(app, offer_id) == set()


def test_only_managers_of_the_country_clear_flags(app, client, auth, create_user, create_agency, staff):
    agency, _agent, _manager = staff
    offer_id = lure(app, agency.id, status="submitted")
    with app.test_request_context():
        fraud.run_checks(db.session.get(Offer, offer_id))
        db.session.commit()
    flag_id = get_offer(app, offer_id).flags[0].id
    for role, country, code in ((Role.COUNSELLOR, "SN", 403), (Role.MANAGER, "ML", 404)):
        user = create_user(role, agency=create_agency(country))
        auth.login(user.username)
        assert client.post(f"/offers/{offer_id}/flags/{flag_id}/clear",
                           data={"comment": "vu"}).status_code == code
        auth.logout()
    assert len(open_kinds(app, offer_id)) == len(ALL_KINDS) - 1  # no comparables: no salary flag
