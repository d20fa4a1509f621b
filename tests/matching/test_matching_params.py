"""Weights and matching settings: defaults, validation and storage round trip."""
from __future__ import annotations

import math

import pytest

from app.matching.engine import FACTORS, MatchingParams, SearchOptions, Weights, monthly_amount


def test_default_weights_are_normalised_in_factor_order():
    weights = Weights()
    normalised = weights.normalised()
    assert len(normalised) == len(FACTORS)
    assert math.isclose(sum(normalised), 1.0)
    assert normalised[FACTORS.index("occupation")] == max(normalised)


def test_only_ratios_matter():
    doubled = Weights(**{name: 2 * getattr(Weights(), name) for name in FACTORS})
    assert all(math.isclose(a, b) for a, b in zip(doubled.normalised(), Weights().normalised()))


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, -math.inf, "0.3", None, True])
def test_a_weight_must_be_a_finite_non_negative_number(bad):
    with pytest.raises(ValueError):
        Weights(skills=bad)


def test_weights_cannot_all_be_zero():
    with pytest.raises(ValueError, match="above zero"):
        Weights(**dict.fromkeys(FACTORS, 0))
    assert Weights(**{**dict.fromkeys(FACTORS, 0), "salary": 1}).normalised()[-1] == 1.0


@pytest.mark.parametrize("field, value", [
    ("linked_fiche", 1.2), ("same_domain", -0.1), ("unknown", math.nan), ("core_skills_share", 2),
    ("availability_grace_days", 0), ("salary_tolerance", 0),
    ("same_domain", 0.8),  # above linked_fiche: a looser relation may not score higher
])
def test_levels_are_validated(field, value):
    with pytest.raises(ValueError):
        MatchingParams(**{field: value})


def test_settings_round_trip_through_plain_values():
    params = MatchingParams(weights=Weights(salary=0.0, location=0.2), unknown=0.4)
    assert MatchingParams.from_mapping(params.as_dict()) == params


@pytest.mark.parametrize("stored", [{"linkd_fiche": 0.6}, {"weights": {"skill": 0.3}}])
def test_stored_settings_with_unknown_keys_are_refused(stored):
    with pytest.raises(ValueError, match="unknown settings"):
        MatchingParams.from_mapping(stored)


def test_search_options_are_validated():
    with pytest.raises(ValueError):
        SearchOptions(min_score=1.5)
    with pytest.raises(ValueError):
        SearchOptions(scope="abroad")
    with pytest.raises(ValueError):
        SearchOptions(limit=-1)


@pytest.mark.parametrize("amount, period, monthly", [
    (100_000, "month", 100_000.0), (4_000, "day", 104_000.0), (500, "hour", 500 * 52 * 40 / 12),
    (4_000, "task", None), (None, "month", None), (0, "month", None),
])
def test_salaries_become_monthly(amount, period, monthly):
    assert monthly_amount(amount, period) == monthly
