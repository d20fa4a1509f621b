"""The words of matching results on the web: factor titles, one phrase per reason, and the
sentence a counsellor reads aloud to the person.

The engine gives each factor a stable ``reason`` code and plain ``details`` (codes, counts,
years, monthly amounts); this module words them in the counsellor's language with gettext,
as :mod:`app.matching.engine.explain` does for the command line. Names of fiches, skills
and regions come from a :class:`Labels` loaded once per page by :func:`load_labels`, so a
page of a hundred results costs one query per table, not one per row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import sqlalchemy as sa
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.auth.models import Region
from app.extensions import db
from app.i18n import country_name, current_language, format_money, region_name
from app.matching.engine import FACTORS, Factor, Match
from app.reference.models import Occupation, Skill
from app.reference.vocab import ISCED_LEVELS

__all__ = [
    "FACTOR_TITLES", "REFUSALS", "Labels", "FactorLine", "breakdown", "factor_title", "load_labels",
    "missing_skills", "phrase", "sentence",
]

FACTOR_TITLES = {
    "occupation": _l("Occupation"),
    "skills": _l("Skills"),
    "experience": _l("Experience"),
    "education": _l("Education level"),
    "languages": _l("Languages"),
    "location": _l("Location"),
    "availability": _l("Availability"),
    "salary": _l("Salary"),
}

# Why a search has no result at all, and what the counsellor can do about it.
REFUSALS = {
    "closed": _l("This offer is not open: only published offers with a position left and a closing date "
                 "still to come are matched. Publish it, or reopen it, to look for candidates."),
    "inactive": _l("This person's record is not active (placed, inactive, suspended, merged or anonymised). "
                   "If they are looking for work again, make their record active first."),
    "no_consent": _l("This person has not agreed to be proposed to employers. Ask them, and if they agree, "
                     "record their consent on their record; matching can then propose offers."),
}

# Reasons that say nothing worth reading aloud: the breakdown shows them, the sentence leaves them out.
SILENT = frozenset({("skills", "not_asked"), ("experience", "not_asked"), ("education", "not_asked"),
                    ("languages", "not_asked"), ("availability", "no_date"), ("salary", "unknown")})
# How many missing skills the sentence names; the results list shows more.
SPOKEN_SKILLS = 5
LISTED_SKILLS = 12
# IN lists stay below the parameter limits of SQLite and psycopg.
_CHUNK = 900


@dataclass
class Labels:
    """Names for the codes of one page, in the current language (French when a name has no
    English version). A code the reference does not know is shown as is."""

    fiches: dict[str, str] = field(default_factory=dict)
    skills: dict[str, str] = field(default_factory=dict)
    regions: dict[int, str] = field(default_factory=dict)

    def fiche(self, code: str | None) -> str:
        return self.fiches.get(code, code) if code else "?"

    def skill(self, code: str) -> str:
        return self.skills.get(code, code)

    def region(self, region_id: int | None) -> str | None:
        return self.regions.get(region_id) if region_id is not None else None


def _chunks(values: set) -> Iterable[list]:
    ordered = sorted(values)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start:start + _CHUNK]


def _localised(rows: Iterable[tuple[Any, str, str]], language: str) -> dict[Any, str]:
    return {code: (label_en or label_fr) if language == "en" else (label_fr or label_en)
            for code, label_fr, label_en in rows}


def load_labels(matches: Iterable[Match], fiches: Iterable[str] = (), regions: Iterable[int] = ()) -> Labels:
    """The names of every fiche, skill and region the ``matches`` mention (plus ``fiches``
    and ``regions``), read with one query per table."""
    fiche_codes, skill_codes, region_ids = set(fiches), set(), set(regions)
    for match in matches:
        occupation, location = match.factor("occupation").details, match.factor("location").details
        fiche_codes.update(c for c in (occupation.get("fiche"), occupation.get("offer_fiche")) if c)
        if location.get("region") is not None:
            region_ids.add(location["region"])
        skill_codes.update(match.missing_skills[:LISTED_SKILLS])
    language = current_language()
    labels = Labels()
    for part in _chunks(fiche_codes):
        labels.fiches.update(_localised(db.session.execute(
            sa.select(Occupation.code, Occupation.label_fr, Occupation.label_en)
            .where(Occupation.code.in_(part))).all(), language))
    for part in _chunks(skill_codes):
        labels.skills.update(_localised(db.session.execute(
            sa.select(Skill.code, Skill.label_fr, Skill.label_en).where(Skill.code.in_(part))).all(), language))
    for part in _chunks(region_ids):
        labels.regions.update((rid, region_name(name, language)) for rid, name in db.session.execute(
            sa.select(Region.id, Region.name).where(Region.id.in_(part))).all())
    return labels


def factor_title(code: str) -> str:
    return str(FACTOR_TITLES.get(code, code))


def _number(value: float | int) -> str:
    return format_decimal(value, format="#,##0.#")


def _plural(value: float | int) -> int:
    """The count that picks a plural form: a fraction of a year reads as plural."""
    return int(value) if float(value).is_integer() else 2


def _isced(level: int | None) -> str:
    return str(ISCED_LEVELS.get(str(level), level)) if level is not None else "?"


def _money(amount: float | None, currency: str | None) -> str:
    if amount is None:
        return "?"
    return format_money(amount, currency) if currency else _number(amount)


def _occupation(reason: str, d: Mapping[str, Any], labels: Labels) -> str:
    if reason == "same":
        return _("same occupation (%(fiche)s)", fiche=labels.fiche(d.get("offer_fiche")))
    if reason == "linked":
        return _("related occupation: %(fiche)s leads to %(offer_fiche)s", fiche=labels.fiche(d.get("fiche")),
                 offer_fiche=labels.fiche(d.get("offer_fiche")))
    if reason == "domain":
        return _("same occupational field (%(fiche)s)", fiche=labels.fiche(d.get("fiche")))
    if reason == "grand_domain":
        return _("same broad field (%(fiche)s)", fiche=labels.fiche(d.get("fiche")))
    return _("no related occupation")


def _skills(reason: str, d: Mapping[str, Any]) -> str:
    if reason == "not_asked":
        return _("the offer lists no skills")
    parts = []
    if d["core_asked"]:
        parts.append(ngettext("%(covered)d of %(num)d core skill", "%(covered)d of %(num)d core skills",
                              d["core_asked"], covered=d["core_covered"]))
    if d["other_asked"]:
        parts.append(ngettext("%(covered)d of %(num)d other skill", "%(covered)d of %(num)d other skills",
                              d["other_asked"], covered=d["other_covered"]))
    return ", ".join(parts)


def _experience(reason: str, d: Mapping[str, Any]) -> str:
    if reason == "beginners":
        return _("beginners accepted")
    if reason == "not_asked":
        return _("no experience asked")
    years, asked = d["years"], d["asked"]
    if reason == "short" and not years:
        return ngettext("no experience in the occupation, %(asked)s year asked",
                        "no experience in the occupation, %(asked)s years asked", _plural(asked),
                        asked=_number(asked))
    if reason == "enough":
        return ngettext("%(years)s year of experience for %(asked)s asked",
                        "%(years)s years of experience for %(asked)s asked",
                        _plural(years), years=_number(years), asked=_number(asked))
    return ngettext("only %(years)s year of experience for %(asked)s asked",
                    "only %(years)s years of experience for %(asked)s asked",
                    _plural(years), years=_number(years), asked=_number(asked))


def _education(reason: str, d: Mapping[str, Any]) -> str:
    if reason == "not_asked":
        return _("no education level asked")
    if reason == "unknown":
        return _("education level not recorded")
    if reason == "enough":
        return _("education level reached (%(asked)s)", asked=_isced(d.get("asked")))
    return _("education below the level asked (%(level)s for %(asked)s)", level=_isced(d.get("level")),
             asked=_isced(d.get("asked")))


def _languages(reason: str, d: Mapping[str, Any]) -> str:
    if reason == "not_asked":
        return _("no desirable language listed")
    text = ngettext("%(full)d of %(num)d desirable language at the level asked",
                    "%(full)d of %(num)d desirable languages at the level asked", d["asked"], full=d["full"])
    if d.get("partial"):
        text += ", " + _("%(num)d at a lower level", num=d["partial"])
    return text


def _location(reason: str, d: Mapping[str, Any], labels: Labels) -> str:
    region = labels.region(d.get("region")) or _("the offer's region")
    if reason == "same_region":
        return _("lives in the offer's region (%(region)s)", region=region)
    if reason == "mobility_region":
        return _("ready to move to %(region)s", region=region)
    if reason == "other_region":
        return _("lives outside %(region)s", region=region)
    if reason == "dossier":
        return _("being prepared by the service to leave for %(country)s",
                 country=country_name(d.get("country")) or "?")
    if reason == "country_wanted":
        return _("wants to work in %(country)s", country=country_name(d.get("country")) or "?")
    if reason == "abroad_interest":
        return _("wants to work abroad, without naming %(country)s", country=country_name(d.get("country")) or "?")
    if reason == "not_abroad":
        return _("has not said they want to work abroad")
    return _("place to be checked")


def _availability(reason: str, d: Mapping[str, Any]) -> str:
    if reason == "now":
        return _("available now")
    if reason == "ready":
        return _("available by the start date")
    if reason == "late":
        return ngettext("available %(num)d day after the start date",
                        "available %(num)d days after the start date", d["days_late"])
    return _("no start date to compare with")


def _salary(reason: str, d: Mapping[str, Any]) -> str:
    if reason == "within":
        return _("expected salary within the offer's range")
    if reason == "above":
        return _("expected salary above the offer: %(expected)s a month for %(top)s at most",
                 expected=_money(d.get("expected"), d.get("currency")), top=_money(d.get("top"), d.get("currency")))
    if reason == "other_currency":
        return _("expected salary in another currency")
    return _("salary not stated on one side")


def phrase(factor: Factor, labels: Labels) -> str:
    """What one factor says about a pair, e.g. "3 of 4 core skills"."""
    d, reason = factor.details, factor.reason
    if factor.code == "occupation":
        return _occupation(reason, d, labels)
    if factor.code == "location":
        return _location(reason, d, labels)
    wording = {"skills": _skills, "experience": _experience, "education": _education, "languages": _languages,
               "availability": _availability, "salary": _salary}.get(factor.code)
    return wording(reason, d) if wording else reason


def missing_skills(match: Match, labels: Labels, limit: int = LISTED_SKILLS) -> list[str]:
    """The names of the skills the person lacks for the offer, core skills first."""
    return [labels.skill(code) for code in match.missing_skills[:limit]]


def _listed(names: list[str], total: int) -> str:
    text = ", ".join(names)
    more = total - len(names)
    return ngettext("%(skills)s and %(num)d more", "%(skills)s and %(num)d more", more, skills=text) \
        if more > 0 else text


def sentence(match: Match, labels: Labels) -> str:
    """One sentence a counsellor can read aloud: the score, what each factor that counts
    says, then the skills to acquire."""
    phrases = [phrase(f, labels) for f in match.factors
               if f.weight > 0 and (f.code, f.reason) not in SILENT]
    text = _("Score %(score)s: %(phrases)s.", score=format_percent(match.score),
             phrases=", ".join(p for p in phrases if p))
    if match.missing_skills:
        names = missing_skills(match, labels, SPOKEN_SKILLS)
        text += " " + _("Skills to acquire: %(skills)s.", skills=_listed(names, len(match.missing_skills)))
    return text


@dataclass(frozen=True)
class FactorLine:
    """One row of a result's breakdown, ready to show."""

    code: str
    title: str
    value: str
    weight: str
    phrase: str


def breakdown(match: Match, labels: Labels) -> list[FactorLine]:
    """Every factor of a match in :data:`FACTORS` order: title, value and weight as
    percentages, and its phrase."""
    return [FactorLine(f.code, factor_title(f.code), format_percent(f.value), format_percent(f.weight),
                       phrase(f, labels)) for f in (match.factor(code) for code in FACTORS)]
