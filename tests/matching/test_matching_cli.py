"""``flask matching nightly`` and ``flask matching warm``."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.matching.models import MatchSuggestion
from tests.matching.factories import add_employer, add_offer, add_seeker


def suggestions(app) -> list[tuple[int, int, int, int]]:
    with app.app_context():
        return db.session.execute(sa.select(MatchSuggestion.agency_id, MatchSuggestion.offer_id,
                                            MatchSuggestion.jobseeker_id, MatchSuggestion.rank)
                                  .order_by(MatchSuggestion.offer_id, MatchSuggestion.rank)).tuples().all()


def test_nightly_makes_and_commits_the_lists_of_every_country(app, runner, create_agency):
    senegal, mali = create_agency("SN"), create_agency("ML")
    offer = add_offer(app, add_employer(app, senegal.id))
    add_offer(app, add_employer(app, senegal.id, name="Brouillon SA"), status="draft")
    mali_offer = add_offer(app, add_employer(app, mali.id, country="ML"))
    first = add_seeker(app, senegal.id, "Diop", "Awa")
    second = add_seeker(app, senegal.id, "Fall", "Ibrahima", fiche="N4101")
    malian = add_seeker(app, mali.id, "Traoré", "Oumar")
    result = runner.invoke(args=["matching", "nightly"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert re.fullmatch(r"ML: 1 offers, 1 suggestions, 1 agencies, \d+\.\d s", lines[0])
    assert re.fullmatch(r"SN: 1 offers, 2 suggestions, 1 agencies, \d+\.\d s", lines[1])
    assert suggestions(app) == [(senegal.id, offer, first, 1), (senegal.id, offer, second, 2),
                                (mali.id, mali_offer, malian, 1)]


def test_nightly_for_one_country_with_a_limit(app, runner, create_agency):
    senegal, mali = create_agency("SN"), create_agency("ML")
    offer = add_offer(app, add_employer(app, senegal.id))
    add_offer(app, add_employer(app, mali.id, country="ML"))
    first = add_seeker(app, senegal.id, "Diop", "Awa")
    add_seeker(app, senegal.id, "Fall", "Ibrahima", fiche="N4101")
    add_seeker(app, mali.id, "Traoré", "Oumar")
    result = runner.invoke(args=["matching", "nightly", "--country", "sn", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("SN: 1 offers, 1 suggestions, 1 agencies")
    assert suggestions(app) == [(senegal.id, offer, first, 1)]


def test_nightly_refuses_an_unknown_country_and_says_when_there_is_nothing(app, runner):
    result = runner.invoke(args=["matching", "nightly", "--country", "XX"])
    assert result.exit_code == 2 and "XX: no such country" in result.output
    result = runner.invoke(args=["matching", "nightly"])
    assert result.exit_code == 0 and "no country has open offers" in result.output


def test_warm_builds_each_countrys_index(app, runner, create_agency):
    senegal, mali = create_agency("SN"), create_agency("ML")
    add_offer(app, add_employer(app, senegal.id))
    add_seeker(app, senegal.id, "Diop", "Awa")
    add_seeker(app, senegal.id, "Fall", "Ibrahima", consent=False)  # not in the index
    add_seeker(app, mali.id, "Traoré", "Oumar")
    result = runner.invoke(args=["matching", "warm"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert re.fullmatch(r"ML: 1 people, 0 offers, built in \d+\.\d s, \d+\.\d MB", lines[0])
    assert re.fullmatch(r"SN: 1 people, 1 offers, built in \d+\.\d s, \d+\.\d MB", lines[1])
    assert set(app.extensions["matching_indexes"]) == {"ML", "SN"}
    result = runner.invoke(args=["matching", "warm", "--country", "SN"])
    assert result.exit_code == 0 and result.output.startswith("SN: 1 people, 1 offers")
