"""Structured reasons and the engine's own French and English sentences."""
from __future__ import annotations

from datetime import date

from engine_strategies import small_reference

from app.matching.engine import (FACTORS, LanguageAsked, MatchIndex, MatchingParams, OfferRecord, SeekerOccupation,
                                 SeekerRecord, SkillAsked, Weights, explain)

REF = small_reference()
OFFER = OfferRecord(id=3, fiche="F1703", skills=(SkillAsked("s030"), SkillAsked("s031"), SkillAsked("s033", False)),
                    languages=(LanguageAsked("eng", 2, required=False),), experience_years=2, education=3,
                    region=1, salary_min=80_000, salary_max=100_000, currency="XOF", start_date=date(2025, 2, 1))
TILER = SeekerRecord(id=8, occupations=(SeekerOccupation("F1702", 5),), skills=frozenset({"s030"}),
                     languages={"eng": 1}, education=2, region=2, mobility_regions=frozenset({1}),
                     available_from=date(2025, 2, 11), salary=120_000, currency="XOF")


def _match(params: MatchingParams | None = None):
    return MatchIndex.build(REF, [TILER], [OFFER], params).rank_seekers(3)[0]


def test_every_factor_says_why_with_codes_and_values():
    match = _match()
    reasons = {f.code: (f.reason, dict(f.details)) for f in match.factors}
    assert list(reasons) == list(FACTORS)
    assert reasons["occupation"] == ("linked", {"fiche": "F1702", "offer_fiche": "F1703"})
    assert reasons["skills"] == ("coverage", {"core_covered": 1, "core_asked": 2, "other_covered": 0,
                                              "other_asked": 1})
    assert reasons["experience"] == ("enough", {"years": 2.5, "asked": 2})
    assert reasons["education"] == ("below", {"level": 2, "asked": 3})
    assert reasons["languages"] == ("coverage", {"full": 0, "partial": 1, "asked": 1})
    assert reasons["location"] == ("mobility_region", {"region": 1})
    assert reasons["availability"] == ("late", {"days_late": 10})
    assert reasons["salary"] == ("above", {"expected": 120_000.0, "top": 100_000.0, "currency": "XOF"})
    assert match.missing_skills == ("s031", "s033")


def test_french_sentence():
    text = explain(_match(), "fr", labels={"F1702": "Construction de routes", "s031": "Lire un plan"})
    assert text.startswith("Score ")
    assert "métier proche par mobilité (Construction de routes vers F1703)" in text
    assert "1 compétence(s) clé(s) sur 2" in text
    assert "2,5 an(s) d'expérience pour 2 demandé(s)" in text
    assert "prêt(e) à aller dans la région de l'offre" in text
    assert "disponible 10 jour(s) après la date de début" in text
    assert "120\u202f000 pour 100\u202f000 XOF" in text
    assert text.endswith("Compétences à acquérir : Lire un plan, s033.")


def test_english_sentence():
    text = explain(_match(), "en")
    assert "related occupation by career mobility (F1702 to F1703)" in text
    assert "2.5 year(s) of experience for 2 asked" in text
    assert "expected salary above the offer (120,000 for 100,000 XOF)" in text
    assert text.endswith("Skills to acquire: s031, s033.")


def test_factors_weighted_zero_are_not_read_out():
    weights = Weights(salary=0.0, availability=0.0)
    text = explain(_match(MatchingParams(weights=weights)), "en")
    assert "salary" not in text and "start date" not in text


def test_an_unknown_language_falls_back_to_french():
    assert explain(_match(), "pt") == explain(_match(), "fr")
