"""The ORM adapter: what the database holds reaches the engine, and every worker's index
follows changes through the change log, without a rebuild."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobseekers import privacy
from app.jobseekers import services as seekers
from app.jobseekers.models import ConsentPurpose, JobSeeker, SeekerStatus
from app.matching import services
from app.matching.engine import MatchingParams, Weights
from app.matching.models import MatchChange
from app.offers import services as offer_services
from app.offers.models import Offer
from tests.matching.factories import add_employer, add_offer, add_seeker



@pytest.fixture
def place(app, create_agency):
    agency = create_agency("SN")
    employer = add_employer(app, agency.id)
    return agency, employer


def _candidates(app, offer_id: int, **options) -> list[int]:
    with app.test_request_context():
        ranking = services.find_candidates(db.session.get(Offer, offer_id), **options)
        return [m.seeker_id for m in ranking.matches]


def _offers(app, seeker_id: int, **options) -> list[int]:
    with app.test_request_context():
        ranking = services.find_offers(db.session.get(JobSeeker, seeker_id), **options)
        return [m.offer_id for m in ranking.matches]


def _other_worker(app):
    """Swap in an empty index cache, as a second gunicorn worker would have; returns a
    function that swaps the first one back."""
    first = app.extensions.pop("matching_indexes", {})

    def back():
        second = app.extensions.pop("matching_indexes", {})
        app.extensions["matching_indexes"] = first
        return second
    return back


def test_same_fiche_ranks_above_a_related_one_and_filters_hold(app, place):
    agency, employer = place
    offer = add_offer(app, employer)
    mason = add_seeker(app, agency.id, "Diop", "Awa", fiche="F1703")
    roofer = add_seeker(app, agency.id, "Ndiaye", "Moussa", fiche="F1610")  # same domain (F16), not F17
    driver = add_seeker(app, agency.id, "Fall", "Ibrahima", fiche="N4101")
    add_seeker(app, agency.id, "Sow", "Coumba", fiche="F1703", consent=False)
    ranked = _candidates(app, offer)
    assert ranked[0] == mason
    assert ranked.index(mason) < ranked.index(driver)
    assert set(ranked) == {mason, roofer, driver}  # no consent, no match
    assert _candidates(app, offer, include_related=False) == [mason]


def test_a_closed_offer_has_no_candidates(app, place):
    agency, employer = place
    offer = add_offer(app, employer, status="draft")
    add_seeker(app, agency.id)
    with app.test_request_context():
        ranking = services.find_candidates(db.session.get(Offer, offer))
    assert ranking.matches == [] and ranking.refusal == "closed"


def test_changes_reach_every_worker_without_a_rebuild(app, place):
    agency, employer = place
    offer = add_offer(app, employer)
    first = add_seeker(app, agency.id, "Diop", "Awa")
    assert _candidates(app, offer) == [first]
    back = _other_worker(app)
    assert _candidates(app, offer) == [first]  # the second worker builds its own index
    second_worker = back()

    # Created, then edited, in "another" worker: both indexes catch up from the log.
    newcomer = add_seeker(app, agency.id, "Ba", "Mariama", fiche="N4101")
    with app.test_request_context():
        person = db.session.get(JobSeeker, newcomer)
        person.occupations[0].occupation_code = "F1703"
        db.session.commit()
    built = app.extensions["matching_indexes"]["SN"]
    assert set(_candidates(app, offer)) == {first, newcomer}
    assert app.extensions["matching_indexes"]["SN"] is built  # caught up, not rebuilt
    app.extensions["matching_indexes"] = second_worker
    assert set(_candidates(app, offer)) == {first, newcomer}


@pytest.mark.parametrize("how", ["placed", "consent", "anonymised", "merged"])
def test_people_who_can_no_longer_be_proposed_leave_the_index(app, place, create_user, how):
    agency, employer = place
    offer = add_offer(app, employer)
    keep = add_seeker(app, agency.id, "Diop", "Awa")
    gone = add_seeker(app, agency.id, "Ndiaye", "Aminata")
    assert set(_candidates(app, offer)) == {keep, gone}
    manager = create_user("manager", agency=agency)
    with app.test_request_context():
        from flask_login import login_user
        login_user(db.session.get(type(manager), manager.id))
        person = db.session.get(JobSeeker, gone)
        if how == "placed":
            seekers.change_status(person, SeekerStatus.PLACED)
        elif how == "consent":
            seekers.withdraw_consent(person, ConsentPurpose.PROPOSE)
        elif how == "anonymised":
            privacy.anonymise(person, "Demande de la personne", None)
        else:
            seekers.merge_jobseekers(db.session.get(JobSeeker, keep), person)
        db.session.commit()
    assert _candidates(app, offer) == [keep]


def test_offers_filled_closed_or_past_their_date_leave_the_index(app, place):
    agency, employer = place
    seeker = add_seeker(app, agency.id)
    kept = add_offer(app, employer)
    filled = add_offer(app, employer, positions=1)
    closed = add_offer(app, employer)
    overdue = add_offer(app, employer, closing_date=date.today() + timedelta(days=1))
    assert set(_offers(app, seeker)) == {kept, filled, closed, overdue}
    with app.test_request_context():
        db.session.get(Offer, filled).positions_filled = 1
        db.session.get(Offer, closed).status = "closed"
        db.session.commit()
    assert set(_offers(app, seeker)) == {kept, overdue}
    # The day after the closing date, before any cron has run.
    tomorrow = date.today() + timedelta(days=2)
    with app.test_request_context():
        ranking = services.find_offers(db.session.get(JobSeeker, seeker), today=tomorrow)
    assert [m.offer_id for m in ranking.matches] == [kept]
    with app.test_request_context():
        assert offer_services.expire_due_offers(today=tomorrow) == [overdue]
        db.session.commit()
        kinds = db.session.execute(sa.select(MatchChange.kind, MatchChange.object_id)
                                   .order_by(MatchChange.id.desc()).limit(1)).one()
    assert tuple(kinds) == ("offer", overdue)


def test_settings_apply_to_the_next_query_of_every_worker(app, place):
    agency, employer = place
    offer = add_offer(app, employer, region_id=None)
    mason = add_seeker(app, agency.id, "Diop", "Awa", fiche="F1703", years=0)
    near = add_seeker(app, agency.id, "Ndiaye", "Moussa", fiche="F1610", years=20,
                      skills=(), region=0)
    with app.test_request_context():
        ranking = services.find_candidates(db.session.get(Offer, offer))
        weights = {m.seeker_id: m.factor("occupation").weight for m in ranking.matches}
    assert weights[mason] == pytest.approx(Weights().normalised()[0])
    with app.test_request_context():
        params = MatchingParams(weights=Weights(occupation=1, skills=0, experience=0, education=0, languages=0,
                                                location=0, availability=0, salary=0))
        services.save_params("SN", params, None)
        db.session.commit()
        ranking = services.find_candidates(db.session.get(Offer, offer))
    assert [m.seeker_id for m in ranking.matches] == [mason, near]
    assert ranking.matches[0].score == pytest.approx(1.0)


def test_the_nightly_list_keeps_the_best_people_per_offer_and_agency(app, place):
    from app.matching.models import MatchSuggestion

    agency, employer = place
    offer = add_offer(app, employer)
    people = [add_seeker(app, agency.id, "Diop", f"Awa{i}") for i in range(3)]
    with app.test_request_context():
        run = services.run_nightly("SN", limit=2)
        db.session.commit()
        rows = db.session.execute(sa.select(MatchSuggestion.offer_id, MatchSuggestion.jobseeker_id,
                                            MatchSuggestion.rank).order_by(MatchSuggestion.rank)).all()
    assert run.offers == 1 and run.suggestions == 2
    assert [(r.offer_id, r.rank) for r in rows] == [(offer, 1), (offer, 2)]
    assert {r.jobseeker_id for r in rows} <= set(people)


def test_one_pair_is_scored_as_the_ranking_scores_it(app, place):
    agency, employer = place
    offer = add_offer(app, employer)
    seeker = add_seeker(app, agency.id)
    shy = add_seeker(app, agency.id, "Sow", "Coumba", consent=False)
    with app.test_request_context():
        ranked = services.find_candidates(db.session.get(Offer, offer)).matches[0]
        pair = services.match_pair(db.session.get(JobSeeker, seeker), db.session.get(Offer, offer))
        assert services.match_pair(db.session.get(JobSeeker, shy), db.session.get(Offer, offer)) is None
    assert pair.score == pytest.approx(ranked.score)
    assert pair.factors == ranked.factors


def test_a_mobility_dossier_for_the_country_ranks_the_person_first_for_its_offers(app, place):
    from app.auth.models import Country
    from app.mobility.models import Dossier

    agency, employer = place
    abroad = add_offer(app, employer, international=True, destination_country="ES", region_id=None)
    wish = add_seeker(app, agency.id, "Diop", "Awa", mobility_countries=["ES"], abroad_interest=True)
    prepared = add_seeker(app, agency.id, "Sow", "Coumba", mobility_countries=["ES"], abroad_interest=True)
    assert _candidates(app, abroad) == [wish, prepared]  # a tie, broken by id
    with app.test_request_context():
        dossier = Dossier(number="SN-M-1", jobseeker_id=prepared, country_code="SN", agency_id=agency.id,
                          stage="counselling")
        dossier.destinations = [db.session.get(Country, "ES")]
        db.session.add(dossier)
        db.session.commit()
        dossier_id = dossier.id
    assert _candidates(app, abroad) == [prepared, wish]
    with app.test_request_context():
        db.session.get(Dossier, dossier_id).stage = "closed"
        db.session.commit()
    assert _candidates(app, abroad) == [wish, prepared]


def test_a_change_that_commits_after_a_later_one_is_still_applied(app, place):
    """On PostgreSQL a transaction can commit after a later one: its log row has a smaller id
    than rows already applied. The worker keeps asking for such missing ids."""
    import sqlalchemy.orm as so

    from app.matching import changes

    agency, employer = place
    offer = add_offer(app, employer)
    early = add_seeker(app, agency.id, "Diop", "Awa")
    late = add_seeker(app, agency.id, "Sow", "Coumba")
    assert set(_candidates(app, offer)) == {early, late}
    with app.test_request_context():
        watermark = db.session.scalar(sa.select(sa.func.max(MatchChange.id)))
    sa.event.remove(so.Session, "after_flush", changes._after_flush)  # rows are written by hand below
    try:
        with app.test_request_context():
            # The later transaction: logged as watermark + 2 and applied first.
            db.session.execute(sa.insert(MatchChange).values(id=watermark + 2, kind="seeker", object_id=early))
            db.session.commit()
        assert set(_candidates(app, offer)) == {early, late}
        with app.test_request_context():
            # The earlier one commits now: Coumba withdrew her consent, logged as watermark + 1.
            seekers.withdraw_consent(db.session.get(JobSeeker, late), ConsentPurpose.PROPOSE)
            db.session.execute(sa.insert(MatchChange).values(id=watermark + 1, kind="seeker", object_id=late))
            db.session.commit()
    finally:
        changes.install()
    assert _candidates(app, offer) == [early]
    assert app.extensions["matching_indexes"]["SN"].gaps == {}
