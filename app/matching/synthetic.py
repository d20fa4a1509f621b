"""Seeded synthetic registers of job-seekers and offers for the matching benchmark and tests.

The draws follow the shipped reference rather than uniform noise, as a PES's files would:

* **occupations**: a few fiches are very common at West African counters (masonry, driving,
  sewing, retail, security, domestic work, market gardening…); they come first, the other
  fiches follow in a seeded order, and frequencies fall as ``rank ** -0.9`` (Zipf), so the
  commonest fiche holds about a tenth of the register and thirty fiches half of it. A
  second or third occupation is most often a fiche the first one has a mobility link to,
  or one of the same domain;
* **skills** are drawn from each fiche's own list, core skills far more often than the
  others, and a quarter of the people have none coded;
* **regions** are the country's first-level ISO 3166-2 subdivisions (pycountry), the capital's
  region holding about a third of the people and offers;
* **education** follows a plausible distribution of ISCED levels among registrants (many with
  primary or no schooling), shifted up for office, banking, health and IT fiches;
* languages, licences, mobility, availability and salaries are drawn with simple shares.

Deterministic for a seed. Nothing here knows how the engine scores.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pycountry

from app.matching.engine import (LanguageAsked, OfferRecord, Reference, SeekerOccupation, SeekerRecord,
                                 SkillAsked)

__all__ = ["COMMON_FICHES", "Register", "generate", "perturb"]

#: Fiches most often given at the counter, most frequent first.
COMMON_FICHES = ("F1703", "N4102", "B1803", "D1106", "K2503", "K1304", "A1414", "D1214", "H2206", "F1602",
                 "I1604", "N4101", "G1602", "D1202", "H2913", "K2204", "A1416", "F1603", "M1607", "D1102",
                 "G1803", "N1103", "M1203", "I1607", "K2107", "F1606", "M1805", "J1501", "N4103", "D1211")
#: The capital's region of each country.
CAPITALS = {"ML": "ML-BKO", "SN": "SN-DK", "BJ": "BJ-LI", "CM": "CM-CE", "BF": "BF-03", "GN": "GN-C",
            "CI": "CI-AB", "NE": "NE-8", "TG": "TG-M", "GW": "GW-BS"}
#: Languages people give, with the share who speak each and the usual ranks (1 basic .. 4 native).
LANGUAGES = {
    "ML": (("bam", 0.8, (4, 4, 3)), ("fra", 0.55, (1, 2, 3, 3)), ("ful", 0.15, (4, 3)), ("snk", 0.1, (4,)),
           ("ses", 0.05, (4,)), ("ara", 0.05, (1, 2)), ("eng", 0.08, (1, 1, 2))),
    "SN": (("wol", 0.85, (4, 4, 3)), ("fra", 0.6, (1, 2, 3, 3)), ("fuc", 0.2, (4, 3)), ("srr", 0.12, (4,)),
           ("ara", 0.06, (1, 2)), ("eng", 0.1, (1, 1, 2))),
}
_DEFAULT_LANGUAGES = (("fra", 0.75, (2, 3, 3, 4)), ("eng", 0.12, (1, 1, 2)))
#: Share of registrants by ISCED level 0..8.
EDUCATION = (0.18, 0.17, 0.17, 0.18, 0.05, 0.09, 0.10, 0.05, 0.01)
#: Grand domains (first letter of the fiche) whose people and offers are more schooled.
SCHOOLED = frozenset("CEJM")
DESTINATIONS = ("FR", "ES", "IT", "MA", "SA", "AE", "QA", "CA", "DE", "GA")
ON = date(2025, 1, 1)


@dataclass
class Register:
    """A generated register: the records, the region ids and the date they are set on."""

    seekers: list[SeekerRecord]
    offers: list[OfferRecord]
    regions: dict[int, str]  # id -> ISO 3166-2 code
    on: date = ON


def _zipf(n: int, exponent: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (k + 1) ** exponent for k in range(n)))


def _regions(country: str) -> tuple[dict[int, str], list[float]]:
    top = sorted(s.code for s in pycountry.subdivisions.get(country_code=country) or [] if not s.parent_code)
    if not top:
        raise ValueError(f"no regions known for {country}")
    capital = CAPITALS.get(country, top[0])
    codes = [capital] + [c for c in top if c != capital]
    # The capital's region holds about a third; the others share the rest evenly, a little noisily.
    weights = [len(codes) / 2] + [1.0] * (len(codes) - 1)
    return {i + 1: code for i, code in enumerate(codes)}, list(itertools.accumulate(weights))


class _Draw:
    """Shared pools and the seeded generator behind one register."""

    def __init__(self, ref: Reference, country: str, seed: int):
        self.rng = random.Random(seed)
        self.ref = ref
        rest = [f for f in ref.fiches if f not in COMMON_FICHES]
        self.rng.shuffle(rest)
        self.fiches = [f for f in COMMON_FICHES if f in ref.index] + rest
        self.fiche_weights = _zipf(len(self.fiches), 0.9)
        self.regions, self.region_weights = _regions(country)
        self.languages = LANGUAGES.get(country, _DEFAULT_LANGUAGES)
        self.lists = {f: tuple(sorted(part) for part in ref.fiche_skill_lists(f)) for f in ref.fiches}
        domains: dict[int, list[str]] = {}
        for f, d in zip(ref.fiches, ref.domain.tolist()):
            domains.setdefault(d, []).append(f)
        self.same_domain = {f: domains[d] for f, d in zip(ref.fiches, ref.domain.tolist())}
        moves = ref.mobility.tolil().rows
        self.moves = {f: [ref.fiches[t] for t in moves[i]] for i, f in enumerate(ref.fiches)}
        self._language_sets: dict[tuple, dict[str, int]] = {}

    def fiche(self) -> str:
        return self.rng.choices(self.fiches, cum_weights=self.fiche_weights)[0]

    def region(self) -> int:
        return self.rng.choices(list(self.regions), cum_weights=self.region_weights)[0]

    def neighbour(self, fiche: str) -> str:
        r = self.rng.random()
        if r < 0.6 and self.moves[fiche]:
            return self.rng.choice(self.moves[fiche])
        if r < 0.85:
            return self.rng.choice(self.same_domain[fiche])
        return self.fiche()

    def education(self, fiche: str) -> int:
        level = self.rng.choices(range(9), weights=EDUCATION)[0]
        return min(8, level + 2) if fiche[0] in SCHOOLED else level

    def spoken(self) -> dict[str, int]:
        """A person's languages; equal profiles share one dict (never changed), to keep a
        million records small."""
        key = tuple((code, self.rng.choice(ranks)) for code, share, ranks in self.languages
                    if self.rng.random() < share)
        return self._language_sets.setdefault(key, dict(key))

    def salary(self, fiche: str) -> float:
        median = 150_000 if fiche[0] in SCHOOLED else 70_000
        return round(median * self.rng.lognormvariate(0, 0.35), -3)


def _seeker(d: _Draw, seeker_id: int) -> SeekerRecord:
    rng = d.rng
    first = d.fiche()
    fiches = [first] + [d.neighbour(first) for _ in range(rng.choices((0, 1, 2), weights=(6, 3, 1))[0])]
    occupations = tuple(SeekerOccupation(f, None if rng.random() < 0.25 else min(40, int(rng.expovariate(0.25))))
                        for f in dict.fromkeys(fiches))
    skills: frozenset[str] = frozenset()
    if rng.random() >= 0.25:
        core, other = d.lists[first]
        picked = rng.sample(core, round(len(core) * rng.uniform(0.1, 0.9)))
        picked += rng.sample(other, int(len(other) * rng.uniform(0.0, 0.15)))
        skills = frozenset(picked)
    licences = set()
    if first.startswith("N41"):
        licences.update(rng.sample(("B", "C", "D", "E"), rng.randint(1, 3)))
    elif rng.random() < 0.12:
        licences.add("B")
    if rng.random() < 0.15:
        licences.add(rng.choice(("A", "A1")))
    region = d.region()
    mobility = frozenset()
    if rng.random() < 0.15:
        mobility = frozenset(d.region() for _ in range(rng.randint(1, 2))) - {region}
    countries = frozenset(rng.sample(DESTINATIONS, rng.randint(1, 2))) if rng.random() < 0.08 else frozenset()
    active = rng.random() < 0.88
    return SeekerRecord(
        id=seeker_id, occupations=occupations, skills=skills, languages=d.spoken(),
        education=None if rng.random() < 0.03 else d.education(first), licences=frozenset(licences),
        region=region, mobility_regions=mobility, mobility_countries=countries,
        abroad_interest=bool(countries) or rng.random() < 0.08,
        available_from=ON + timedelta(days=rng.randint(0, 120)) if rng.random() < 0.3 else None,
        salary=d.salary(first) if rng.random() < 0.4 else None, currency="XOF",
        active=active, consented=rng.random() < 0.93,
    )


def _offer(d: _Draw, offer_id: int) -> OfferRecord:
    rng = d.rng
    fiche = d.fiche()
    skills: tuple[SkillAsked, ...] = ()
    if rng.random() < 0.55:
        core, other = d.lists[fiche]
        skills = tuple(SkillAsked(c) for c in rng.sample(core, min(len(core), rng.randint(3, 8))))
        skills += tuple(SkillAsked(c, False) for c in rng.sample(other, min(len(other), rng.randint(0, 5))))
    languages = []
    if rng.random() < 0.5:
        languages.append(LanguageAsked("fra", rng.choice((2, 3)), True))
    if rng.random() < 0.15:
        languages.append(LanguageAsked("eng", rng.choice((1, 2)), False))
    if rng.random() < 0.2:
        languages.append(LanguageAsked(d.languages[0][0], 3, False))
    international = rng.random() < 0.08
    low = d.salary(fiche) if rng.random() < 0.6 else None
    experience = rng.choice((0, 1, 2, 3, 5)) if rng.random() < 0.6 else None
    return OfferRecord(
        id=offer_id, fiche=fiche, skills=skills, languages=tuple(languages),
        education=d.education(fiche) if rng.random() < 0.6 else None, education_required=rng.random() < 0.2,
        licence=rng.choice(("B", "C", "D")) if fiche.startswith("N41") and rng.random() < 0.9 else
        ("B" if rng.random() < 0.05 else None),
        experience_years=experience, beginners_ok=rng.random() < 0.2,
        region=None if international else d.region(), international=international,
        destination_country=rng.choice(DESTINATIONS) if international else None,
        salary_min=low, salary_max=round(low * rng.uniform(1.0, 1.5), -3) if low else None, currency="XOF",
        start_date=ON + timedelta(days=rng.randint(-30, 60)) if rng.random() < 0.5 else None,
        open=rng.random() < 0.95,
    )


def generate(ref: Reference, seekers: int, offers: int, seed: int = 0, country: str = "ML") -> Register:
    """A register of ``seekers`` people and ``offers`` offers in one country, ids from 1."""
    d = _Draw(ref, country, seed)
    people = [_seeker(d, i + 1) for i in range(seekers)]
    posts = [_offer(d, i + 1) for i in range(offers)]
    return Register(people, posts, d.regions)


def perturb(register: Register, seeker: SeekerRecord, seed: int) -> SeekerRecord:
    """Another version of a seeker, as an edit at the counter would leave it: a new first
    occupation, another region, sometimes another status."""
    rng = random.Random(seed)
    fiche = rng.choice(COMMON_FICHES)
    return replace(seeker, occupations=(SeekerOccupation(fiche, rng.randint(0, 10)),) + seeker.occupations[:1],
                   region=rng.choice(list(register.regions)), active=rng.random() < 0.9)
