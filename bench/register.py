"""What the job-seeker benchmarks add to a synthetic register (app.jobseekers.synthetic)
to make it look like a PES's files: agencies per region, valid phone numbers, and the
occupations people give at the counter.

The synthetic register is built for duplicate detection: its phone numbers have the
right country codes but often the wrong length, which the importer would rightly refuse.
:class:`PhoneBook` maps each of them onto a valid mobile number of the same country, the
same synthetic number always onto the same valid one, so that households and duplicates
still share their phone.
"""
from __future__ import annotations

import csv
import itertools
import random
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
import pycountry
from unidecode import unidecode

from app.config import Config
from app.jobseekers.dedup import Person
from app.jobseekers.synthetic import typo

#: Country calling code → ISO country, for the countries the synthetic register draws from.
CALLING_CODES = {"+223": "ML", "+221": "SN", "+229": "BJ", "+237": "CM", "+226": "BF", "+224": "GN"}
#: Country weights of the synthetic register, for people with neither phone nor ID.
COUNTRY_WEIGHTS = {"ML": 30, "SN": 25, "BJ": 15, "CM": 15, "BF": 10, "GN": 5}
#: Mobile prefixes in use (national significant number) and the number's length.
MOBILE = {
    "ML": (("66", "76", "77", "65", "70", "79"), 8),
    "SN": (("77", "78", "76", "70", "75"), 9),
    "BJ": (("0196", "0197", "0166", "0161", "0190", "0151"), 10),
    "CM": (("67", "69", "65", "68", "66"), 9),
    "BF": (("70", "76", "78", "56", "60", "65"), 8),
    "GN": (("62", "66", "61", "65", "60"), 9),
}
#: The region of the capital, where a national PES has most of its agencies and people.
CAPITALS = {"ML": "ML-BKO", "SN": "SN-DK", "BJ": "BJ-LI", "CM": "CM-CE", "BF": "BF-03", "GN": "GN-C"}
#: What agents type most often at the counter, as they type it.
COMMON_TITLES = """maçon|chauffeur|couturière|couturier|commerçant|vendeuse|menuisier|électricien bâtiment
    |mécanicien auto|mecanicien|coiffeuse|agriculteur|gardien|agent de sécurité|soudeur|plombier|cuisinier
    |enseignant|comptable|secrétaire|informaticien|aide ménagère|boulanger|peintre en bâtiment|carreleur
    |chauffeur poids lourd|conducteur de moto taxi|vendeur de tissu|menuisier métallique|infirmière
    |aide-soignante|caissière|serveuse|pêcheur|éleveur|maraîcher|manoeuvre|magasinier|frigoriste
    |électricien auto|tailleur|teinturière|restauratrice|technicien informatique|assistante de direction""".split("|")
DATA_DIR = Path(Config.REFERENCE_DATA_DIR)


def zipf_weights(n: int, exponent: float = 0.8) -> list[float]:
    """Cumulative weights of a steep frequency law (a few values very common, most rare),
    ready for ``random.choices(..., cum_weights=...)``, which then draws in log time."""
    return list(itertools.accumulate(1.0 / (k + 1) ** exponent for k in range(n)))


def country_of(person: Person, rng: random.Random) -> str:
    """The person's country: their national ID's, else their phone's, else a weighted draw."""
    if person.national_id_country:
        return person.national_id_country
    for phone in person.phones:
        if phone[:4] in CALLING_CODES:
            return CALLING_CODES[phone[:4]]
    return rng.choices(list(COUNTRY_WEIGHTS), weights=list(COUNTRY_WEIGHTS.values()), k=1)[0]


class PhoneBook:
    """Synthetic numbers mapped, once each, onto valid and distinct mobile numbers."""

    def __init__(self, rng: random.Random, validate: bool = True):
        self.rng = rng
        self.validate = validate  # the prefixes of MOBILE are valid: checking only costs time
        self.mapped: dict[str, str] = {}
        self.used: set[str] = set()

    def valid(self, synthetic: str, country: str) -> str:
        if synthetic not in self.mapped:
            self.mapped[synthetic] = self._new(country)
        return self.mapped[synthetic]

    def _new(self, country: str) -> str:
        prefixes, length = MOBILE[country]
        code = phonenumbers.country_code_for_region(country)
        while True:
            prefix = self.rng.choice(prefixes)
            width = length - len(prefix)
            number = f"+{code}{prefix}{self.rng.randrange(10 ** width):0{width}d}"
            if number in self.used:
                continue
            if not self.validate or phonenumbers.is_valid_number(phonenumbers.parse(number)):
                self.used.add(number)
                return number


def as_typed(e164: str, rng: random.Random) -> str:
    """A number as an agent types it: international, or national with or without spaces."""
    number = phonenumbers.parse(e164)
    r = rng.random()
    if r < 0.4:
        return e164
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return national if r < 0.8 else national.replace(" ", "")


def regions(country: str) -> list[tuple[str, str]]:
    """(code, ISO name) of the country's first-level regions, the capital's first.

    The same source as :func:`app.auth.geo.load_countries`, so the codes exist in the
    benchmark database.
    """
    top = sorted((s.code, s.name) for s in pycountry.subdivisions.get(country_code=country) or []
                 if not s.parent_code)
    return sorted(top, key=lambda r: r[0] != CAPITALS.get(country))


@dataclass(frozen=True)
class AgencyPlan:
    """Agencies of one country and the share of its people each one registers."""

    codes: list[str]
    cum_weights: list[float]  # cumulative, for random.choices

    @classmethod
    def build(cls, country: str, count: int) -> "AgencyPlan":
        """``count`` agencies: a third in the capital's region, then one per region in turn."""
        region_codes = [code for code, _ in regions(country)]
        in_capital = max(1, count // 3)
        placed = [region_codes[0]] * in_capital
        others = region_codes[1:] or region_codes
        placed += [others[i % len(others)] for i in range(count - in_capital)]
        numbers: dict[str, int] = {}
        codes = []
        for region in placed:
            numbers[region] = numbers.get(region, 0) + 1
            codes.append(f"{region}-{numbers[region]:02d}")
        return cls(codes, zipf_weights(count, 0.7))

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.codes, cum_weights=self.cum_weights, k=1)[0]


class OccupationPool:
    """ROAME codes and job titles drawn with a steep frequency, as people give them."""

    def __init__(self, rng: random.Random, data_dir: Path = DATA_DIR):
        self.rng = rng
        with (data_dir / "titles.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        rng.shuffle(rows)
        self.titles = [(r["occupation"], r["label_fr"]) for r in rows]
        self.title_weights = zipf_weights(len(self.titles))
        self.codes = sorted({code for code, _ in self.titles})
        self.code_weights = zipf_weights(len(self.codes))
        rng.shuffle(self.codes)
        self.common = [t.strip() for t in COMMON_TITLES]
        self.common_weights = zipf_weights(len(self.common), 0.6)

    def code(self) -> str:
        return self.rng.choices(self.codes, cum_weights=self.code_weights, k=1)[0]

    def title(self) -> str:
        """A free-text title: a common one, or a reference title in one gender, at times
        lower-cased, without accents or with a typo."""
        rng = self.rng
        if rng.random() < 0.6:
            text = rng.choices(self.common, cum_weights=self.common_weights, k=1)[0]
        else:
            label = rng.choices(self.titles, cum_weights=self.title_weights, k=1)[0][1]
            text = rng.choice(label.split(" / ")) if " / " in label else label
        r = rng.random()
        if r < 0.3:
            text = text.lower()
        elif r < 0.45:
            text = unidecode(text).lower()
        if rng.random() < 0.05:
            words = text.split()
            i = rng.randrange(len(words))
            words[i] = typo(words[i], rng).lower()
            text = " ".join(words)
        return text
