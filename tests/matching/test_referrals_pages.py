"""Referral pages: crafted posts for every status × step, bad input, the employer's view and
the agencies' scope, the follow-up list, proposing (and its redirects), and the person's and
the offer's pages."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.extensions import db
from app.jobseekers import services as seekers
from app.jobseekers.models import ConsentPurpose, JobSeeker
from app.matching import referrals
from app.matching.models import Referral, ReferralEvent, ReferralStatus
from app.offers.models import Offer
from tests.matching.factories import add_employer, add_offer, add_seeker
from tests.matching.test_referrals import ALL_STEPS, EXPECTED, refer


@pytest.fixture(autouse=True)
def _english(request):
    """Messages are asserted in English, whatever the French catalogue holds."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").post("/language", data={"language": "en"})


@pytest.fixture
def place(app, create_agency, create_user):
    agency = create_agency("SN")
    employer = add_employer(app, agency.id)
    counsellor = create_user(Role.COUNSELLOR, agency=agency, full_name="Fatou Sarr")
    offer = add_offer(app, employer, job_title="Maçon qualifié")
    seeker = add_seeker(app, agency.id, "Diop", "Awa")
    return SimpleNamespace(agency=agency, employer=employer, counsellor=counsellor, offer=offer, seeker=seeker)


def _status(app, referral_id: int) -> tuple[str, int]:
    with app.app_context():
        referral = db.session.get(Referral, referral_id)
        return referral.status, len(referral.events)


def _version(app, referral_id: int) -> int:
    with app.app_context():
        return db.session.get(Referral, referral_id).version


@pytest.mark.parametrize("status", [s.value for s in ReferralStatus])
@pytest.mark.parametrize("step", ALL_STEPS)
def test_crafted_posts_take_only_the_listed_steps(app, client, auth, place, status, step):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, status)
    auth.login(place.counsellor.username)
    before = _status(app, referral_id)
    response = client.post(f"/referrals/{referral_id}/step",
                           data={"step": step, "reason": "no_show", "comment": "Appelée ce matin"})
    if (status, step) in EXPECTED:
        assert response.status_code == 302
        assert _status(app, referral_id) == (EXPECTED[(status, step)], before[1] + 1)
    else:
        assert response.status_code == (400 if step == "bogus" else 409)
        assert _status(app, referral_id) == before
        message = "This action does not exist." if step == "bogus" else \
            "This action is not possible at this stage of the referral."
        assert message in response.text


def test_the_page_offers_the_steps_the_user_may_take(app, client, auth, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    auth.login(place.counsellor.username)
    page = client.get(f"/referrals/{referral_id}").text
    forms = set(re.findall(r'id="step-(\w+)"', page))
    assert forms == {"interview", "hire", "refuse", "withdraw"}
    assert "Awa Diop" in page and "Maçon qualifié" in page and 'id="score"' in page
    assert 'id="phones"' in page and "+221 77 123 45 67" in page  # staff reach the person
    timeline = page.split('id="timeline"')[1]
    assert "Proposed" in timeline and "Sent to the employer" in timeline and "Fatou Sarr" in timeline
    assert 'name="reason"' in page and "Could not be reached" in page


def test_a_refusal_without_reason_keeps_what_was_typed(app, client, auth, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    auth.login(place.counsellor.username)
    before = _status(app, referral_id)
    response = client.post(f"/referrals/{referral_id}/step",
                           data={"step": "refuse", "reason": "", "comment": "Injoignable depuis lundi"})
    assert response.status_code == 400
    assert "Choose the reason for the refusal." in response.text
    assert "Injoignable depuis lundi</textarea>" in response.text
    assert re.search(r"<details class=\"mb-2\" open>\s*<summary[^>]*>Record a refusal", response.text)
    assert _status(app, referral_id) == before
    response = client.post(f"/referrals/{referral_id}/step",
                           data={"step": "refuse", "reason": "invented", "comment": "x"})
    assert response.status_code == 400 and _status(app, referral_id) == before


def test_other_reason_needs_a_comment(app, client, auth, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "interview")
    auth.login(place.counsellor.username)
    response = client.post(f"/referrals/{referral_id}/step", data={"step": "refuse", "reason": "other"})
    assert response.status_code == 400 and "Explain the reason in the comment." in response.text
    assert '<option value="other" selected>' in response.text
    assert _status(app, referral_id)[0] == "interview"
    response = client.post(f"/referrals/{referral_id}/step",
                           data={"step": "refuse", "reason": "other", "comment": "Poste supprimé"})
    assert response.status_code == 302
    with app.app_context():
        referral = db.session.get(Referral, referral_id)
        assert (referral.status, referral.refusal_reason, referral.comment) == ("refused", "other", "Poste supprimé")


def test_a_comment_too_long_is_refused(app, client, auth, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer)
    auth.login(place.counsellor.username)
    response = client.post(f"/referrals/{referral_id}/step", data={"step": "withdraw", "comment": "x" * 501})
    assert response.status_code == 400
    assert _status(app, referral_id)[0] == "proposed"


def test_a_stale_page_gets_a_plain_message(app, client, auth, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    auth.login(place.counsellor.username)
    old = _version(app, referral_id) - 1
    response = client.post(f"/referrals/{referral_id}/step",
                           data={"step": "interview", "version": str(old), "comment": "Mardi 10 h"})
    assert response.status_code == 409
    assert "Someone else changed this referral" in response.text
    assert "Mardi 10 h</textarea>" in response.text
    assert _status(app, referral_id)[0] == "sent"
    current = re.search(r'id="step-interview">.*?name="version" value="(\d+)"', response.text, re.S).group(1)
    assert int(current) == _version(app, referral_id)
    response = client.post(f"/referrals/{referral_id}/step", data={"step": "interview", "version": current})
    assert response.status_code == 302 and _status(app, referral_id)[0] == "interview"


@pytest.mark.parametrize("version", ["²", "①", "abc", "-1"])
def test_a_version_that_is_not_a_number_is_refused_not_a_500(app, client, auth, place, version):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    auth.login(place.counsellor.username)
    before = _status(app, referral_id)
    response = client.post(f"/referrals/{referral_id}/step",
                           data={"step": "interview", "version": version, "comment": "Mardi 10 h"})
    assert response.status_code == 400
    assert "Check the form: some values are not valid." in response.text
    assert "Mardi 10 h</textarea>" in response.text
    assert _status(app, referral_id) == before
    current = re.search(r'id="step-interview">.*?name="version" value="([^"]*)"', response.text, re.S).group(1)
    assert current == str(_version(app, referral_id))  # the page shown again can be sent


def test_a_huge_version_is_an_old_page(app, client, auth, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    auth.login(place.counsellor.username)
    response = client.post(f"/referrals/{referral_id}/step",
                           data={"step": "interview", "version": "99999999999999999999"})
    assert response.status_code == 409 and "Someone else changed this referral" in response.text
    assert _status(app, referral_id)[0] == "sent"


def test_a_concurrent_write_is_a_message_not_a_500(app, client, auth, place, monkeypatch):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    auth.login(place.counsellor.username)
    original = referrals.change_status

    def racing(referral, *args, **kw):  # another worker saves between our read and our write
        db.session.execute(sa.update(Referral).where(Referral.id == referral.id)
                           .values(version=Referral.version + 1).execution_options(synchronize_session=False))
        return original(referral, *args, **kw)

    monkeypatch.setattr(referrals, "change_status", racing)
    response = client.post(f"/referrals/{referral_id}/step", data={"step": "interview"})
    assert response.status_code == 409
    assert "Someone else changed this referral" in response.text
    assert _status(app, referral_id)[0] == "sent"


def test_hire_through_the_page(app, client, auth, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "interview")
    full = add_offer(app, place.employer, positions=1)
    other = refer(app, place.counsellor.id, add_seeker(app, place.agency.id, "Ba", "Mariama"), full, "sent")
    with app.app_context():
        db.session.get(Offer, full).positions_filled = 1  # hired through the employer's own channels
        db.session.commit()
    auth.login(place.counsellor.username)
    response = client.post(f"/referrals/{referral_id}/step", data={"step": "hire"}, follow_redirects=True)
    assert "The hiring is recorded: the person is now placed." in response.text
    assert "1 filled of 2" in response.text
    with app.app_context():
        assert db.session.get(JobSeeker, place.seeker).status == "placed"
    response = client.post(f"/referrals/{other}/step", data={"step": "hire"})
    assert response.status_code == 409
    assert "This offer has no position left" in response.text
    assert _status(app, other)[0] == "sent"


# ---------------------------------------------------------------------- who sees what

@pytest.fixture
def employer_user(place, create_user):
    return create_user(Role.EMPLOYER, employer_id=place.employer)


def test_the_employer_sees_sent_referrals_without_contact_details(app, client, auth, place, employer_user):
    proposed = refer(app, place.counsellor.id, add_seeker(app, place.agency.id, "Ba", "Mariama"), place.offer)
    sent = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    auth.login(employer_user.username)
    page = client.get(f"/referrals/{sent}").text
    assert "Awa Diop" in page and "F1703" in page
    assert 'id="phones"' not in page and "+221 77 123 45 67" not in page
    assert "contact Agence" in page and 'id="no-contact"' in page
    assert 'id="score"' not in page
    assert f'/jobseekers/{place.seeker}"' not in page  # no way to the person's record
    assert set(re.findall(r'id="step-(\w+)"', page)) == {"interview", "hire", "refuse"}
    assert "Proposed</td>" not in page.split('id="timeline"')[1]  # the shortlist is the agency's
    assert client.get(f"/referrals/{proposed}").status_code == 404
    assert client.post(f"/referrals/{proposed}/step", data={"step": "send"}).status_code == 404
    assert client.get(f"/jobseekers/{place.seeker}").status_code == 403
    listing = client.get("/referrals/").text
    assert f"/referrals/{sent}\"" in listing and f"/referrals/{proposed}\"" not in listing
    assert "Mariama" not in listing


def test_the_employer_sees_contact_details_with_consent(app, client, auth, place, employer_user):
    sent = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    with app.test_request_context():
        seekers.give_consent(db.session.get(JobSeeker, place.seeker), ConsentPurpose.SHARE_EMPLOYERS)
        db.session.commit()
    auth.login(employer_user.username)
    page = client.get(f"/referrals/{sent}").text
    assert 'id="phones"' in page and "+221 77 123 45 67" in page and 'id="no-contact"' not in page


def test_the_employer_records_outcomes_but_not_the_agencys_steps(app, client, auth, place, employer_user):
    sent = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    auth.login(employer_user.username)
    response = client.post(f"/referrals/{sent}/step", data={"step": "withdraw"})
    assert response.status_code == 403 and "You may not take this action" in response.text
    assert client.post(f"/referrals/{sent}/step", data={"step": "interview"}).status_code == 302
    response = client.post(f"/referrals/{sent}/step", data={"step": "refuse", "reason": "lacks_skills"})
    assert response.status_code == 302
    with app.app_context():
        referral = db.session.get(Referral, sent)
        assert (referral.status, referral.refusal_reason) == ("refused", "lacks_skills")
        assert referral.events[-1].actor_id == employer_user.id


def test_another_employers_referral_does_not_exist(app, client, auth, place, create_user):
    sent = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    rival = create_user(Role.EMPLOYER, employer_id=add_employer(app, place.agency.id, name="Rival SA"))
    auth.login(rival.username)
    assert client.get(f"/referrals/{sent}").status_code == 404
    assert client.post(f"/referrals/{sent}/step", data={"step": "interview"}).status_code == 404
    assert f"/referrals/{sent}\"" not in client.get("/referrals/").text
    assert _status(app, sent)[0] == "sent"


def test_counsellors_see_their_agencys_referrals_only(app, client, auth, place, create_agency, create_user):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    other = create_user(Role.COUNSELLOR, agency=create_agency("SN"))
    auth.login(other.username)
    assert client.get(f"/referrals/{referral_id}").status_code == 404
    assert client.post(f"/referrals/{referral_id}/step", data={"step": "interview"}).status_code == 404
    assert f"/referrals/{referral_id}\"" not in client.get("/referrals/?filtered=1").text
    auth.logout()
    manager = create_user(Role.MANAGER, agency=create_agency("SN"))  # the country's
    auth.login(manager.username)
    assert client.get(f"/referrals/{referral_id}").status_code == 200
    assert f"/referrals/{referral_id}\"" in client.get("/referrals/").text


def test_an_agent_reads_but_cannot_act(app, client, auth, place, create_user):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer)
    agent = create_user(Role.AGENT, agency=place.agency)
    auth.login(agent.username)
    page = client.get(f"/referrals/{referral_id}").text
    assert 'id="steps"' not in page
    assert client.post(f"/referrals/{referral_id}/step", data={"step": "send"}).status_code == 403
    assert client.post("/referrals/propose", data={"offer_id": place.offer,
                                                   "jobseeker_ids": [place.seeker]}).status_code == 403


# ---------------------------------------------------------------------- the follow-up list

def _listed(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/referrals/(\d+)"', page)}


def test_the_follow_up_list_filters(app, client, auth, place, create_user):
    colleague = create_user(Role.COUNSELLOR, agency=place.agency)
    mine_sent = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    mine_old = refer(app, place.counsellor.id, add_seeker(app, place.agency.id, "Ndiaye", "Moussa"),
                     place.offer, "interview", days_ago=20)
    mine_done = refer(app, place.counsellor.id, add_seeker(app, place.agency.id, "Ba", "Mariama"),
                      place.offer, "hired", days_ago=30)
    second_offer = add_offer(app, place.employer, job_title="Coffreur")
    theirs = refer(app, colleague.id, add_seeker(app, place.agency.id, "Sow", "Coumba"), second_offer)
    auth.login(place.counsellor.username)
    page = client.get("/referrals/").text
    assert _listed(page) == {mine_sent, mine_old, mine_done}  # "mine only" is on by default
    assert "checked" in re.search(r'<input[^>]*name="mine"[^>]*>', page).group(0)
    page = client.get("/referrals/?filtered=1").text
    assert _listed(page) == {mine_sent, mine_old, mine_done, theirs}
    assert "checked" not in re.search(r'<input[^>]*name="mine"[^>]*>', page).group(0)
    assert _listed(client.get("/referrals/?filtered=1&status=sent").text) == {mine_sent}
    stalled = client.get("/referrals/?filtered=1&stalled=y").text
    assert _listed(stalled) == {mine_old}  # a final status is never stalled
    assert "no change for 14 days or more" in stalled
    with app.app_context():
        reference = db.session.get(Offer, second_offer).reference
    assert _listed(client.get(f"/referrals/?filtered=1&q={reference.lower()}").text) == {theirs}
    assert _listed(client.get("/referrals/?filtered=1&q=moussa").text) == {mine_old}
    assert _listed(client.get("/referrals/?filtered=1&q=ndiaye%20MOUSSA").text) == {mine_old}
    assert _listed(client.get("/referrals/?filtered=1&q=%25_").text) == set()
    assert _listed(client.get("/referrals/?filtered=1&q=" + "a" * 300).text) == set()
    assert client.get("/referrals/?status=bogus&page=abc").status_code == 200


def test_the_follow_up_list_is_paginated(app, client, auth, place, monkeypatch):
    monkeypatch.setitem(app.config, "ITEMS_PER_PAGE", 2)
    ids = [refer(app, place.counsellor.id, add_seeker(app, place.agency.id, "Diallo", f"N{n}"), place.offer)
           for n in range(3)]
    auth.login(place.counsellor.username)
    first = client.get("/referrals/").text
    assert len(_listed(first)) == 2 and "Page 1 of 2" in first
    assert "mine=y" in first and "filtered=1" in first  # the next page keeps the filters
    second = client.get("/referrals/?filtered=1&mine=y&page=2").text
    assert _listed(first) | _listed(second) == set(ids)
    assert client.get("/referrals/?page=99").status_code == 200


# ---------------------------------------------------------------------- proposing

def test_propose_people_for_an_offer(app, client, auth, place, create_agency):
    other = add_seeker(app, create_agency("SN").id, "Ndiaye", "Moussa")
    shy = add_seeker(app, place.agency.id, "Sow", "Coumba", consent=False)
    refer(app, place.counsellor.id, place.seeker, place.offer)
    auth.login(place.counsellor.username)
    response = client.post("/referrals/propose", data={
        "offer_id": place.offer, "jobseeker_ids": [place.seeker, other, shy, 987654],
        "next": f"/offers/{place.offer}?tab=x"})
    assert response.status_code == 302 and response.headers["Location"] == f"/offers/{place.offer}?tab=x"
    page = client.get(f"/offers/{place.offer}").text
    assert ("1 person proposed. 1 was already referred. 1 does not pass the matching filters and was left out. "
            "1 could not be found.") in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 2


def test_propose_offers_for_a_person(app, client, auth, place):
    second = add_offer(app, place.employer, job_title="Coffreur")
    auth.login(place.counsellor.username)
    response = client.post("/referrals/propose", data={"jobseeker_id": place.seeker,
                                                       "offer_ids": [place.offer, second]})
    assert response.headers["Location"] == f"/jobseekers/{place.seeker}"
    assert "Proposed for 2 offers." in client.get(f"/jobseekers/{place.seeker}").text


@pytest.mark.parametrize("data", [
    {},
    {"offer_id": "abc", "jobseeker_ids": ["1"]},
    {"offer_id": "1", "jobseeker_ids": ["x"]},
    {"offer_id": "1", "jobseeker_ids": [str(10**30)]},
    {"offer_id": str(10**30), "jobseeker_ids": ["1"]},
    {"offer_id": "-4", "jobseeker_ids": ["1"]},
    {"offer_id": "1", "jobseeker_id": "1", "jobseeker_ids": ["1"]},
])
def test_bad_ids_are_a_message_not_a_500(app, client, auth, place, data):
    auth.login(place.counsellor.username)
    response = client.post("/referrals/propose", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "Choose one offer and the people to propose, or one person and the offers." in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0


def test_an_offer_one_cannot_reach_is_not_found(app, client, auth, place, create_agency):
    abroad = add_offer(app, add_employer(app, create_agency("CI").id, name="Abidjan BTP", country="CI"))
    auth.login(place.counsellor.username)
    assert client.post("/referrals/propose", data={"offer_id": 987654, "jobseeker_ids": [place.seeker]}
                       ).status_code == 404
    assert client.post("/referrals/propose", data={"offer_id": abroad, "jobseeker_ids": [place.seeker]}
                       ).status_code == 404
    assert client.post("/referrals/propose", data={"offer_id": place.offer}).status_code == 302
    assert client.post("/referrals/propose", data={"jobseeker_id": 987654, "offer_ids": [place.offer]}
                       ).status_code == 404


@pytest.mark.parametrize("target", [
    "https://evil.example/login", "//evil.example/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
    "http:evil.example", "/\t/evil.example", "offers/1",
])
def test_propose_refuses_open_redirects(app, client, auth, place, target):
    auth.login(place.counsellor.username)
    response = client.post("/referrals/propose", data={"offer_id": place.offer, "jobseeker_ids": [place.seeker],
                                                       "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location and "javascript" not in location
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location


# ---------------------------------------------------------------------- the person's and the offer's pages

def test_the_person_and_offer_pages_list_their_referrals(app, client, auth, place, employer_user):
    sent = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    proposed = refer(app, place.counsellor.id, add_seeker(app, place.agency.id, "Ba", "Mariama"), place.offer)
    auth.login(place.counsellor.username)
    person = client.get(f"/jobseekers/{place.seeker}").text
    section = person.split('id="referrals-title"')[1]
    assert f'/referrals/{sent}"' in section and "Sent to the employer" in section and "Fatou Sarr" in section
    assert f'/offers/{place.offer}"' in section
    offer_page = client.get(f"/offers/{place.offer}").text
    section = offer_page.split('id="referrals-title"')[1]
    assert {sent, proposed} <= _listed(section) and "Mariama Ba" in section
    auth.logout()
    auth.login(employer_user.username)
    section = client.get(f"/offers/{place.offer}").text.split('id="referrals-title"')[1]
    assert _listed(section) == {sent} and "/jobseekers/" not in section


def test_find_links_follow_the_matching_pages(app, client, auth, place, create_user):
    auth.login(place.counsellor.username)
    person = client.get(f"/jobseekers/{place.seeker}").text
    offer = client.get(f"/offers/{place.offer}").text
    assert ('id="find-offers"' in person) == ("matching.offers_for" in app.view_functions)
    assert ('id="find-candidates"' in offer) == ("matching.candidates" in app.view_functions)
    auth.logout()
    agent = create_user(Role.AGENT, agency=place.agency)  # may read, may not run matching
    auth.login(agent.username)
    assert 'id="find-offers"' not in client.get(f"/jobseekers/{place.seeker}").text
    assert 'id="find-candidates"' not in client.get(f"/offers/{place.offer}").text


def test_the_referral_page_in_french(app, client, auth, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer, "sent")
    client.post("/language", data={"language": "fr"})
    auth.login(place.counsellor.username)
    page = client.get(f"/referrals/{referral_id}").text
    assert 'lang="fr"' in page and "Employeur" in page and "Postes" in page


def test_events_are_written_once_per_step_through_the_pages(app, client, auth, place):
    referral_id = refer(app, place.counsellor.id, place.seeker, place.offer)
    auth.login(place.counsellor.username)
    for step in ("send", "interview"):
        assert client.post(f"/referrals/{referral_id}/step", data={"step": step}).status_code == 302
    with app.app_context():
        rows = db.session.execute(sa.select(ReferralEvent.from_status, ReferralEvent.to_status, ReferralEvent.actor_id)
                                  .where(ReferralEvent.referral_id == referral_id).order_by(ReferralEvent.id)).all()
    assert [tuple(r) for r in rows] == [(None, "proposed", place.counsellor.id),
                                        ("proposed", "sent", place.counsellor.id),
                                        ("sent", "interview", place.counsellor.id)]
