"""A sentence a counsellor can read aloud, in French or English, from a match's factors.

The web layer words its own sentences with gettext from the same ``reason`` codes and
``details``; these small templates let the benchmark, the tests and command-line tools print
something readable without Flask. Labels (fiche titles, skill names, region names) are
passed in: the engine itself knows only codes.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from .results import Factor, Match

__all__ = ["explain"]

_TEMPLATES: dict[str, dict[tuple[str, str], str]] = {
    "fr": {
        ("occupation", "same"): "même métier ({offer_fiche})",
        ("occupation", "linked"): "métier proche par mobilité ({fiche} vers {offer_fiche})",
        ("occupation", "domain"): "même domaine professionnel ({fiche})",
        ("occupation", "grand_domain"): "même grand domaine ({fiche})",
        ("occupation", "none"): "aucun métier proche",
        ("skills", "not_asked"): "",
        ("experience", "beginners"): "débutants acceptés",
        ("experience", "not_asked"): "",
        ("experience", "enough"): "{years} an(s) d'expérience pour {asked} demandé(s)",
        ("experience", "short"): "{years} an(s) d'expérience sur {asked} demandé(s)",
        ("education", "not_asked"): "",
        ("education", "unknown"): "niveau d'études inconnu",
        ("education", "enough"): "niveau d'études atteint",
        ("education", "below"): "niveau d'études inférieur à celui demandé (CITE {level} pour {asked})",
        ("languages", "not_asked"): "",
        ("languages", "coverage"): "{full} langue(s) souhaitée(s) sur {asked} au niveau demandé",
        ("location", "same_region"): "habite la région de l'offre",
        ("location", "mobility_region"): "prêt(e) à aller dans la région de l'offre",
        ("location", "other_region"): "habite une autre région",
        ("location", "unknown"): "lieu à vérifier",
        ("location", "country_wanted"): "souhaite travailler dans ce pays ({country})",
        ("location", "dossier"): "préparé(e) au départ pour ce pays par le service ({country})",
        ("location", "abroad_interest"): "intéressé(e) par un emploi à l'étranger",
        ("location", "not_abroad"): "n'a pas dit vouloir partir à l'étranger",
        ("availability", "now"): "disponible tout de suite",
        ("availability", "ready"): "disponible à la date de début",
        ("availability", "late"): "disponible {days_late} jour(s) après la date de début",
        ("availability", "no_date"): "",
        ("salary", "within"): "salaire attendu dans la fourchette de l'offre",
        ("salary", "above"): "salaire attendu au-dessus de l'offre ({expected} pour {top} {currency})",
        ("salary", "unknown"): "",
        ("salary", "other_currency"): "salaire attendu dans une autre monnaie",
        ("score", ""): "Score {score} % : {phrases}.",
        ("core", ""): "{covered} compétence(s) clé(s) sur {asked}",
        ("other", ""): "{covered} autre(s) compétence(s) sur {asked}",
        ("missing", ""): " Compétences à acquérir : {skills}.",
    },
    "en": {
        ("occupation", "same"): "same occupation ({offer_fiche})",
        ("occupation", "linked"): "related occupation by career mobility ({fiche} to {offer_fiche})",
        ("occupation", "domain"): "same occupational field ({fiche})",
        ("occupation", "grand_domain"): "same broad field ({fiche})",
        ("occupation", "none"): "no related occupation",
        ("skills", "not_asked"): "",
        ("experience", "beginners"): "beginners accepted",
        ("experience", "not_asked"): "",
        ("experience", "enough"): "{years} year(s) of experience for {asked} asked",
        ("experience", "short"): "{years} year(s) of experience out of {asked} asked",
        ("education", "not_asked"): "",
        ("education", "unknown"): "education level unknown",
        ("education", "enough"): "education level reached",
        ("education", "below"): "education below the level asked (ISCED {level} for {asked})",
        ("languages", "not_asked"): "",
        ("languages", "coverage"): "{full} of {asked} desirable language(s) at the level asked",
        ("location", "same_region"): "lives in the offer's region",
        ("location", "mobility_region"): "willing to move to the offer's region",
        ("location", "other_region"): "lives in another region",
        ("location", "unknown"): "place to be checked",
        ("location", "country_wanted"): "wants to work in that country ({country})",
        ("location", "dossier"): "being prepared by the service to leave for that country ({country})",
        ("location", "abroad_interest"): "interested in working abroad",
        ("location", "not_abroad"): "has not said they want to work abroad",
        ("availability", "now"): "available now",
        ("availability", "ready"): "available by the start date",
        ("availability", "late"): "available {days_late} day(s) after the start date",
        ("availability", "no_date"): "",
        ("salary", "within"): "expected salary within the offer's range",
        ("salary", "above"): "expected salary above the offer ({expected} for {top} {currency})",
        ("salary", "unknown"): "",
        ("salary", "other_currency"): "expected salary in another currency",
        ("score", ""): "Score {score}%: {phrases}.",
        ("core", ""): "{covered} of {asked} core skill(s)",
        ("other", ""): "{covered} of {asked} other skill(s)",
        ("missing", ""): " Skills to acquire: {skills}.",
    },
}
_MAX_LISTED = 5


def _number(value: Any, language: str) -> str:
    if isinstance(value, float):
        text = f"{value:,.0f}" if value >= 100 else f"{value:g}"
        text = text.replace(",", "\u202f") if language == "fr" else text
        return text.replace(".", ",") if language == "fr" else text
    return str(value)


def _skills_phrase(factor: Factor, words: Mapping[tuple[str, str], str]) -> str:
    d = factor.details
    parts = [words[(kind, "")].format(covered=d[f"{kind}_covered"], asked=d[f"{kind}_asked"])
             for kind in ("core", "other") if d[f"{kind}_asked"]]
    return ", ".join(parts)


def explain(match: Match, language: str = "fr", labels: Mapping[str, str] | None = None) -> str:
    """One sentence for a match: the score, each factor that says something, then the
    skills to acquire. ``labels`` maps codes (fiches, skills, countries) to names."""
    language = language if language in _TEMPLATES else "fr"
    words = _TEMPLATES[language]
    name: Callable[[Any], str] = lambda code: (labels or {}).get(code, code) if code is not None else "?"
    phrases = []
    for factor in match.factors:
        if factor.weight <= 0:
            continue
        if factor.code == "skills" and factor.reason == "coverage":
            phrases.append(_skills_phrase(factor, words))
            continue
        values = {k: name(v) if k in ("fiche", "offer_fiche", "country") else _number(v, language)
                  for k, v in factor.details.items()}
        phrase = words.get((factor.code, factor.reason), "").format(**values)
        if phrase:
            phrases.append(phrase)
    separator = " ; " if language == "fr" else "; "
    text = words[("score", "")].format(score=round(match.score * 100), phrases=separator.join(phrases))
    if match.missing_skills:
        listed = [name(code) for code in match.missing_skills[:_MAX_LISTED]]
        more = len(match.missing_skills) - _MAX_LISTED
        text += words[("missing", "")].format(skills=", ".join(listed) + (f" (+{more})" if more > 0 else ""))
    return text
