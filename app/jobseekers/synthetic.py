"""Seeded synthetic job-seeker registers with planted duplicates, for tests and benchmarks.

:func:`generate` builds a register that looks like a West and Central African PES
counter's: surnames and given names drawn from per-country pools with a steep
(Zipf-like) frequency — so that "Mamadou Traoré" or "Fatoumata Diallo" are common, as
they are — birth dates heaped on 1 January for some, a year only for a few, phones for
most people and a national ID for some.

Then it plants, on top of the genuine people:

* **duplicates** (a second or third registration of one person) altered in the ways the
  specification lists: transliteration respellings (Mamadou/Mamadu/Mohamadou,
  Traoré/Trawore, Ndiaye/N'Diaye, Diallo/Jallow…), last and given names swapped, given
  names reordered or one of them missing, a one-letter typo, a birth year instead of the
  full date, day and month swapped or one digit of the date wrong, accents, case and
  punctuation noise, a phone kept, changed or missing, a national ID kept or missing. Every
  duplicate keeps what the specification says must be enough to catch it: a close name
  with a same, near or year-only birth date, or the same phone with a close name, or the
  same national ID;
* **near misses** that must *not* be reported: households sharing one phone and a last
  name (children and spouses, sometimes a child named after the parent), twins (same
  last name, birth date and phone, other given names), and namesakes (same name, another
  birth year, nothing shared).

It returns the people (in a shuffled order, with ids that reveal nothing) and the set of
true duplicate pairs ``(a, b)`` with ``a < b``, plus the kinds of alteration behind each
pair so that recall can be broken down. :func:`evaluate` computes precision, recall and
F1 of a list of found pairs. Nothing here knows about the detector's results.
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Iterable

from app.jobseekers.dedup import Person

__all__ = ["SyntheticRegister", "evaluate", "generate", "respell", "typo"]

# --------------------------------------------------------------------------- pools
# Names in rough order of frequency; the weight of the k-th is 1 / (k + 1) ** 0.7, so
# the first few names of a pool are very common, as in real registers.

_SURNAMES = {
    "ML": """Traoré Coulibaly Diarra Keïta Koné Diallo Touré Sangaré Dembélé Camara Cissé
        Sissoko Konaté Doumbia Sidibé Samaké Maïga Diakité Sanogo Kanté Fofana Haïdara
        Bagayoko Berthé Dicko Guindo Mariko Ouattara Kouyaté Sacko Tangara Togola Sylla Ballo
        Cissoko Dao Kamissoko Niaré Bamba Soumaré Yattara Tounkara Goïta Dramé Djiré Kébé
        Dansoko Théra Fomba Tembély Daou Kané Nientao Tamboura Sow Ba Bengaly Dolo Kassogué""",
    "SN": """Diop Ndiaye Diallo Fall Sow Gueye Ba Faye Mbaye Sarr Diouf Sy Seck Cissé Thiam
        Kane Niang Dieng Sall Ndour Ka Wade Camara Diatta Mendy Sène Touré Dione Lo Mbengue
        Diagne Ndao Sylla Thiaw Tall Samb Ngom Badji Cissokho Goudiaby Sagna Coly Tine
        Diakhaté Mboup Seye Ndoye Kébé Niasse Gning Diedhiou Sambou Bodian Manga Ly""",
    "BJ": """Houngbo Adjovi Dossou Agossou Hounkpatin Akpovi Zinsou Gbaguidi Kpadonou Sossou
        Tossou Houessou Dansou Assogba Hounsou Kiki Yessoufou Bio Orou Gounou Sanni
        Adéchian Amoussou Ahyi Glèlè Akplogan Djossou Fagla Lokossou Adjibi Montcho
        Tchibozo Padonou Dègbo Chabi Bani Soumanou Alassane Idrissou Agbodjan Ahouandjinou
        Azonhiho Gnonlonfoun Hounnou Kouton Dah Sèdjro Avocè Quenum Gandonou""",
    "CM": """Nguema Mbarga Tchoumi Fotso Kamga Ngono Atangana Essomba Onana Abena Mballa
        Owona Ekotto Nkoulou Tchatchoua Ndjock Mvondo Manga Bella Nkodo Fouda Eyenga Tagne
        Djoumessi Nana Kenfack Tchakounté Wamba Ngassa Tsafack Nguefack Moukoko Ebongue
        Ndongo Ayissi Zambo Mbida Tchinda Siewe Feudjio Nlend Yomba Abega Ateba Belinga
        Mengue Hamadou Bouba Oumarou Aboubakar Ngo'o Eto'o Mbappé Ndzana Ewane""",
    "BF": """Ouédraogo Sawadogo Compaoré Kaboré Zongo Traoré Ouattara Sankara Kinda Ilboudo
        Nikiéma Yaméogo Zoungrana Tapsoba Bationo Kiemdé Sanou Bamogo Kafando Belem Simporé
        Tiendrébéogo Zida Zerbo Congo Diallo Barry Sore Konaté Nana Guiro Dabiré Somé Kambou
        Palm Dipama Tiemtoré Nacoulma Kientega Rouamba""",
    "GN": """Diallo Barry Bah Sow Camara Condé Keïta Touré Sylla Bangoura Soumah Kourouma
        Kouyaté Cissé Baldé Sidibé Doumbouya Kaba Kanté Fofana Conté Millimono Loua Haba
        Koïvogui Diakité Tounkara Traoré Yansané Fadiga Sano Keïra Cherif Dramé Kaloga""",
}

_MALE = {
    "sahel": """Mamadou Moussa Amadou Ibrahima Oumar Abdoulaye Seydou Boubacar Souleymane Adama
        Ousmane Bakary Issa Modibo Sékou Drissa Lassina Yacouba Aliou Alassane Cheikh
        Moustapha Mohamed Ibrahim Abdou Alioune Babacar Modou Lamine Malick Ismaïla Saliou
        Daouda Youssouf Hamidou Harouna Tidiane Djibril Idrissa Salif Karim Abdourahmane
        Mahamadou Siaka Fousseyni Kalilou Bourama Sidiki Tiémoko Soumaïla Hamadoun Oumarou
        Ali Aboubacar Mamadi Sekou Samba Demba Omar Pape Assane Khadim Mouhamed Serigne
        Abdoulaye Thierno Alpha Mory Sory Abdallah Abdoul Habib Bassirou Fodé Madou""",
    "south": """Jean Pierre Paul Joseph Emmanuel Serge Hervé Christian Eric Patrice François
        Jacques Michel André Marcel Olivier Didier Romaric Armel Landry Brice Arnaud Cédric
        Koffi Kossi Sènan Codjo Comlan Dossa Fiacre Fabrice Blaise Achille Thierry Rodrigue
        Ghislain Yannick Aimé Gilles Roland Samuel Daniel David Ernest Martial Valentin
        Gervais Boris Franck Guy Alain Rostand Stéphane Innocent Ulrich Gildas Parfait""",
}
_FEMALE = {
    "sahel": """Fatoumata Aminata Mariam Awa Kadiatou Aïssatou Oumou Hawa Djénéba Rokia Fanta
        Mariama Ramatoulaye Adja Ndèye Khady Astou Coumba Binta Safiatou Salimata Assitan
        Korotoumou Nana Bintou Maïmouna Fatou Aïcha Sokhna Dieynaba Kadidia Hadja Hadiza
        Zeinab Halima Sali Aminatou Mame Rama Nafissatou Aïssata Sira Massitan Kani Nènè
        Mariétou Seynabou Penda Yacine Fatimata Ramata Oumoul Kadidiatou Djeneba Sanata
        Kankou Tenin Nafi Absa Marième Rokhaya Khadija Diarra Sadio Mariama""",
    "south": """Marie Jeanne Françoise Christine Brigitte Pélagie Clarisse Sylvie Josiane
        Chantal Nadège Grâce Gisèle Prisca Larissa Estelle Flora Rosine Véronique Mireille
        Sandrine Odile Béatrice Germaine Solange Célestine Hortense Blandine Ella Carine
        Rachelle Murielle Viviane Edwige Ange Nathalie Micheline Esther Judith Pulchérie
        Reine Afi Akouavi Ablavi Sènami Gloria Raïssa Aurélie Carole Yvette""",
}

_COUNTRIES = {  # weight, given-name mix (share of "sahel" names), phone prefix, ID length
    "ML": (30, 0.97, "+223", ("6", "7"), 8, 15),
    "SN": (25, 0.93, "+221", ("77", "78", "76", "70"), 7, 13),
    "BJ": (15, 0.35, "+229", ("01",), 8, 10),
    "CM": (15, 0.25, "+237", ("6",), 8, 9),
    "BF": (10, 0.85, "+226", ("7", "6"), 7, 12),
    "GN": (5, 0.97, "+224", ("62", "66"), 7, 12),
}

# Respellings seen at PES counters: whole-word variants, then generic rewrite rules.
_VARIANTS = {
    "mamadou": ["Mamadu", "Mohamadou", "Mahamadou", "Mamadoo", "Mouhamadou"],
    "moussa": ["Musa", "Mousa", "Mussa"],
    "ousmane": ["Usman", "Ousman", "Usmane", "Osmane"],
    "abdoulaye": ["Abdulaye", "Abdoulay", "Abdulai"],
    "aissatou": ["Aisatu", "Aissatu", "Aisatou", "Aïssatu"],
    "fatoumata": ["Fatimata", "Fatumata", "Fatoumatta"],
    "ndiaye": ["N'Diaye", "Ndiay", "N Diaye", "Njaye"],
    "diallo": ["Jallow", "Djalo", "Dialo", "Djallo"],
    "traore": ["Trawore", "Traore", "Traoure"],
    "kone": ["Kone", "Konè"],
    "coulibaly": ["Kulibali", "Kouloubaly", "Koulibaly", "Coulibali"],
    "ouedraogo": ["Wedraogo", "Ouedraogo", "Ouedrago"],
    "cisse": ["Sisse", "Cise", "Sissé"],
    "keita": ["Keyta", "Kéita", "Keïta"],
    "toure": ["Ture", "Touray"],
    "kadiatou": ["Kadiatu", "Khadiatou", "Kadijatou"],
    "seydou": ["Seidou", "Seydu", "Saidou"],
    "ibrahima": ["Ibrahim", "Ibrahema", "Ebrahima"],
    "gueye": ["Guèye", "Geye", "Gaye"],
    "cheikh": ["Cheick", "Sheikh", "Cheik"],
    "djibril": ["Jibril", "Djibirl", "Jibriil"],
    "mariam": ["Mariama", "Maryam", "Mariame"],
    "oumar": ["Umar", "Omar", "Oumarou"],
    "aminata": ["Aminatou", "Aminatta"],
    "hawa": ["Awa", "Haoua"],
    "youssouf": ["Yusuf", "Youssef", "Yousouf"],
    "abdourahmane": ["Abdou Rahmane", "Abdurahman", "Abdourahamane"],
    "tchoumi": ["Choumi", "Tchumi"],
    "mbarga": ["M'Barga", "Mbargah"],
    "nguema": ["N'Guema", "Nguéma", "Ngema"],
}
# Generic (pattern, replacement) respellings, tried in a random order.
_RULES = [
    ("ou", "u"), ("u", "ou"), ("w", "ou"), ("ou", "w"), ("ch", "sh"), ("dj", "j"), ("j", "dj"),
    ("c", "k"), ("k", "c"), ("y", "i"), ("i", "y"), ("ss", "s"), ("s", "ss"), ("ll", "l"),
    ("tt", "t"), ("é", "e"), ("e", "é"), ("è", "e"), ("ï", "i"), ("ph", "f"), ("qu", "k"),
    ("kh", "k"), ("tch", "ch"),
]


def _weights(n: int) -> list[float]:
    return [1.0 / (k + 1) ** 0.7 for k in range(n)]


@dataclass
class _Pools:
    surnames: dict[str, tuple[list[str], list[float]]]
    male: dict[str, tuple[list[str], list[float]]]
    female: dict[str, tuple[list[str], list[float]]]


def _pools() -> _Pools:
    def pool(text: str) -> tuple[list[str], list[float]]:
        names = list(dict.fromkeys(text.split()))
        return names, _weights(len(names))

    return _Pools(
        {c: pool(t) for c, t in _SURNAMES.items()},
        {c: pool(t) for c, t in _MALE.items()},
        {c: pool(t) for c, t in _FEMALE.items()},
    )


def _pick(rng: random.Random, pool: tuple[list[str], list[float]]) -> str:
    return rng.choices(pool[0], weights=pool[1], k=1)[0]


# --------------------------------------------------------------------------- alterations


def _sound(word: str) -> str:
    """A crude sound key of the generator's own (consonants after folding), used only to
    keep relatives' given names apart."""
    from unidecode import unidecode

    w = unidecode(word).lower()
    for a, b in (("ou", "u"), ("w", "u"), ("dj", "j"), ("di", "j"), ("c", "k"), ("h", ""), ("y", "i")):
        w = w.replace(a, b)
    cons = [c for c in w if c.isalpha() and c not in "aeiou"]
    out = [c for i, c in enumerate(cons) if i == 0 or c != cons[i - 1]]
    return "".join(out)


def _plain(word: str) -> str:
    from app.jobseekers.dedup import normalise_name

    return normalise_name(word).replace(" ", "")


def respell(word: str, rng: random.Random) -> str:
    """A transliteration variant of one name (the word itself when none applies)."""
    key = _plain(word)
    if key in _VARIANTS and rng.random() < 0.8:
        return rng.choice(_VARIANTS[key])
    lower = word.lower()
    rules = _RULES[:]
    rng.shuffle(rules)
    for old, new in rules:
        if old in lower[1:]:  # keep the initial: agents spell the first sound right
            at = lower.index(old, 1)
            out = lower[:at] + new + lower[at + len(old):]
            return out[:1].upper() + out[1:]
    if lower.endswith("e") and len(lower) > 3:
        return word[:-1]  # silent final e
    if len(lower) > 3 and lower[-1] in "aeiou":
        return word + "h"
    return word


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip: a letter dropped, doubled, replaced or swapped with the next."""
    if len(word) < 3:
        return word
    i = rng.randrange(len(word))
    kind = rng.choice(("drop", "double", "replace", "swap"))
    letters = "abcdefghijklmnopqrstuvwxyz"
    if kind == "drop":
        out = word[:i] + word[i + 1:]
    elif kind == "double":
        out = word[:i] + word[i] + word[i:]
    elif kind == "replace":
        out = word[:i] + rng.choice(letters) + word[i + 1:]
    else:
        i = min(i, len(word) - 2)
        out = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return out[:1].upper() + out[1:] if out else word


def _noise(text: str, rng: random.Random) -> str:
    """Harmless surface noise: case, accents, punctuation, spaces."""
    r = rng.random()
    if r < 0.25:
        return text.upper()
    if r < 0.4:
        from unidecode import unidecode

        return unidecode(text)
    if r < 0.45:
        return "  " + text.replace(" ", "  ") + " "
    if r < 0.5:
        return text.replace(" ", "-")
    return text


# --------------------------------------------------------------------------- register


@dataclass
class SyntheticRegister:
    """A generated register: people, true duplicate pairs and what was done to each."""

    people: list[Person]
    true_pairs: set[tuple[str, str]]
    kinds: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    near_misses: dict[str, int] = field(default_factory=dict)  # counts by kind


@dataclass
class _Seed:
    """One genuine person before ids are dealt."""

    last: str
    first: list[str]
    sex: str
    birth: date
    year_only: bool
    phones: tuple[str, ...]
    nid: str | None
    country: str


class _Builder:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pools = _pools()
        self.phones_used: set[str] = set()
        self.ids_used: set[str] = set()
        self.countries = list(_COUNTRIES)
        self.country_w = [_COUNTRIES[c][0] for c in self.countries]

    def phone(self, country: str) -> str:
        _, _, cc, prefixes, digits, _ = _COUNTRIES[country]
        while True:
            pre = self.rng.choice(prefixes)
            num = cc + pre + "".join(self.rng.choice("0123456789") for _ in range(digits))
            if num not in self.phones_used:
                self.phones_used.add(num)
                return num

    def nid(self, country: str) -> str:
        length = _COUNTRIES[country][5]
        while True:
            x = str(self.rng.randint(1, 9)) + "".join(self.rng.choice("0123456789") for _ in range(length - 1))
            if x not in self.ids_used:
                self.ids_used.add(x)
                return x

    def given(self, country: str, sex: str, count: int) -> list[str]:
        mix = _COUNTRIES[country][1]
        pools = self.pools.male if sex == "M" else self.pools.female
        out: list[str] = []
        while len(out) < count:
            name = _pick(self.rng, pools["sahel" if self.rng.random() < mix else "south"])
            if name not in out:
                out.append(name)
        return out

    def unlike(self, country: str, sex: str, count: int, taken: Iterable[str]) -> list[str]:
        """Given names that sound like none of ``taken`` (parents do not call two children
        Fatoumata and Fatimata)."""
        avoid = {_sound(t) for t in taken}
        for _ in range(50):
            names = self.given(country, sex, count)
            if not any(_sound(n) in avoid for n in names):
                return names
        return names

    def surname(self, country: str) -> str:
        if self.rng.random() < 0.08:  # people move: a surname from another country
            country = self.rng.choices(self.countries, weights=self.country_w, k=1)[0]
        return _pick(self.rng, self.pools.surnames[country])

    def birth(self, ref: date, min_age: int = 16, max_age: int = 60) -> date:
        # Younger job-seekers are more numerous.
        age = min_age + int((max_age - min_age) * self.rng.random() ** 1.6)
        d = ref - timedelta(days=365 * age + self.rng.randrange(365))
        if self.rng.random() < 0.08:  # "né vers": 1 January stands for an unknown date
            d = date(d.year, 1, 1)
        return d

    def person(self, ref: date, country: str | None = None, last: str | None = None, **kw) -> _Seed:
        rng = self.rng
        country = country or rng.choices(self.countries, weights=self.country_w, k=1)[0]
        sex = kw.get("sex") or rng.choice("MF")
        count = rng.choices((1, 2, 3), weights=(55, 35, 10), k=1)[0]
        first = kw.get("first") or self.given(country, sex, count)
        birth = kw.get("birth") or self.birth(ref)
        phones: tuple[str, ...] = ()
        r = rng.random()
        if r < 0.82:
            phones = (self.phone(country),)
        elif r < 0.9:
            phones = (self.phone(country), self.phone(country))
        nid = self.nid(country) if rng.random() < 0.45 else None
        return _Seed(
            last or self.surname(country), first, sex, birth, rng.random() < 0.04, phones, nid, country
        )


def _to_person(pid: str, s: _Seed, rng: random.Random, noisy: bool = False) -> Person:
    last, first = s.last, " ".join(s.first)
    if noisy:
        last, first = _noise(last, rng), _noise(first, rng)
    return Person(
        id=pid,
        last_name=last,
        first_names=first,
        sex=s.sex,
        birth_date=None if s.year_only else s.birth,
        birth_year=s.birth.year,
        phones=s.phones,
        national_id=s.nid,
        national_id_country=s.country if s.nid else None,
    )


def _valid_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _date_typo(d: date, rng: random.Random) -> date | None:
    """One digit of the day, the month or the year wrong, or two adjacent digits swapped."""
    for _ in range(20):
        part = rng.choice(("day", "month", "year"))
        text = {"day": f"{d.day:02d}", "month": f"{d.month:02d}", "year": f"{d.year:04d}"}[part]
        chars = list(text)
        if rng.random() < 0.25:
            i = rng.randrange(len(chars) - 1)
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            i = rng.randrange(len(chars)) if part != "year" else rng.choice((2, 3))
            chars[i] = rng.choice([c for c in "0123456789" if c != chars[i]])
        value = int("".join(chars))
        y, m, dd = d.year, d.month, d.day
        if part == "day":
            dd = value
        elif part == "month":
            m = value
        else:
            y = value
        new = _valid_date(y, m, dd)
        if new and new != d and 1940 <= new.year <= 2012:
            return new
    return None


def _duplicate(src: _Seed, b: _Builder, ref: date) -> tuple[Person | None, tuple[str, ...], _Seed]:
    """A second registration of ``src``; returns (person without id, kinds, altered seed)."""
    rng = b.rng
    kinds: list[str] = []
    last, first = src.last, list(src.first)
    # Name alterations: none, one or two.
    n_name = rng.choices((0, 1, 2), weights=(25, 55, 20), k=1)[0]
    options = ["respell", "swap", "typo"]
    if len(first) >= 2:
        options += ["reorder", "drop_given"]
    for kind in rng.sample(options, k=min(n_name, len(options))):
        if kind in ("respell", "typo"):
            # Alter one word of the name, surname or given name alike.
            alter = respell if kind == "respell" else typo
            tokens = [last] + first
            i = rng.randrange(len(tokens))
            new = alter(tokens[i], rng)
            if new == tokens[i]:
                continue
            if i == 0:
                last = new
            else:
                first[i - 1] = new
        elif kind == "reorder":
            first = first[1:] + first[:1]
        elif kind == "drop_given":
            first.pop(rng.randrange(len(first)))
        kinds.append(kind)
    swapped = "swap" in kinds
    # Birth alterations.
    birth, year_only = src.birth, src.year_only
    r = rng.random()
    if r < 0.2 and not year_only:
        year_only = True
        kinds.append("year_only")
    elif r < 0.28 and not year_only and birth.day <= 12 and birth.day != birth.month:
        birth = date(birth.year, birth.day, birth.month)
        kinds.append("day_month_swap")
    elif r < 0.4 and not year_only and (birth.month, birth.day) != (1, 1):
        new = _date_typo(birth, rng)
        if new:
            birth = new
            kinds.append("date_typo")
    birth_known = True
    if r >= 0.93:
        birth_known = False
        kinds.append("birth_missing")
    # Identifiers: a duplicate keeps the phone half of the time.
    r = rng.random()
    if r < 0.5 and src.phones:
        phones = (rng.choice(src.phones),)
        kinds.append("same_phone")
    elif r < 0.75:
        phones = (b.phone(src.country),)
    else:
        phones = ()
    nid = None
    if src.nid and rng.random() < 0.5:
        nid = src.nid
        kinds.append("same_national_id")
    if not birth_known and "same_phone" not in kinds and nid is None:
        # Nothing would be left to recognise the person by: keep the phone or the ID.
        if src.phones:
            phones = (src.phones[0],)
            kinds.append("same_phone")
        elif src.nid:
            nid = src.nid
            kinds.append("same_national_id")
        else:
            birth_known = True
            kinds.remove("birth_missing")
    sex = src.sex if rng.random() < 0.95 else None
    seed = _Seed(last, first, src.sex, birth, year_only, phones, nid, src.country)
    person = Person(
        id="",
        last_name=_noise(" ".join(first) if swapped else last, rng),
        first_names=_noise(last if swapped else " ".join(first), rng),
        sex=sex,
        birth_date=None if (year_only or not birth_known) else birth,
        birth_year=birth.year if birth_known else None,
        phones=phones,
        national_id=nid,
        national_id_country=src.country if nid else None,
    )
    return person, tuple(kinds) or ("exact_copy",), seed


def generate(
    n_people: int,
    seed: int = 0,
    dup_rate: float = 0.08,
    household_rate: float = 0.12,
    namesake_rate: float = 0.03,
    twin_rate: float = 0.005,
    ref: date = date(2025, 1, 1),
) -> SyntheticRegister:
    """A register of about ``n_people`` records with planted duplicates and near misses.

    ``dup_rate`` is the share of records that are extra registrations of someone else
    (a tenth of the duplicated people register three times); ``household_rate`` the share
    of people living in a household that shares one phone; ``namesake_rate`` the share of
    deliberate namesakes born in another year; ``twin_rate`` the share of twins.
    Deterministic for a given seed.
    """
    rng = random.Random(seed)
    b = _Builder(rng)
    seeds: list[_Seed] = []
    near: Counter[str] = Counter()
    n_dups = int(round(n_people * dup_rate))
    n_base = max(1, n_people - n_dups)

    while len(seeds) < n_base:
        r = rng.random()
        if r < household_rate:
            # A household: a head, a spouse and children sharing the head's phone.
            head = b.person(ref)
            head.birth = b.birth(ref, 38, 62)
            if not head.phones:
                head.phones = (b.phone(head.country),)
            seeds.append(head)
            shared = head.phones[:1]
            if rng.random() < 0.7:
                sp = b.person(ref, country=head.country, sex="F" if head.sex == "M" else "M")
                sp.birth = b.birth(ref, max(16, ref.year - head.birth.year - 8), ref.year - head.birth.year + 3)
                sp.phones = shared
                seeds.append(sp)
                near["spouse_shared_phone"] += 1
            taken = list(head.first)
            for _ in range(rng.randint(1, 4)):
                child = b.person(ref, country=head.country, last=head.last)
                child.first = b.unlike(head.country, child.sex, len(child.first), taken)
                taken += child.first
                lo = 16
                hi = max(lo + 1, ref.year - head.birth.year - 18)
                child.birth = b.birth(ref, lo, hi)
                if child.sex == head.sex and rng.random() < 0.1:
                    child.first = list(head.first)  # named after the parent
                    near["homonym_child_shared_phone"] += 1
                else:
                    near["sibling_shared_phone"] += 1
                child.phones = shared if rng.random() < 0.8 else (b.phone(head.country),)
                child.nid = None if rng.random() < 0.5 else child.nid
                seeds.append(child)
        elif r < household_rate + twin_rate:
            a = b.person(ref)
            if not a.phones:
                a.phones = (b.phone(a.country),)
            t = b.person(ref, country=a.country, last=a.last, birth=a.birth)
            t.first = b.unlike(a.country, t.sex, len(t.first), a.first)
            t.phones = a.phones
            seeds += [a, t]
            near["twins"] += 1
        elif r < household_rate + twin_rate + namesake_rate and seeds:
            other = seeds[rng.randrange(len(seeds))]
            s = b.person(ref, country=other.country, last=other.last, first=list(other.first), sex=other.sex)
            while abs(s.birth.year - other.birth.year) < 2:
                s.birth = b.birth(ref)
            seeds.append(s)
            near["namesake_other_year"] += 1
        else:
            seeds.append(b.person(ref))
    seeds = seeds[:n_base]

    # Duplicates: pick distinct people; a tenth of them get two extra registrations.
    dup_records: list[tuple[int, Person, tuple[str, ...]]] = []
    pool = rng.sample(range(len(seeds)), k=min(len(seeds), n_dups))
    pos = 0
    while len(dup_records) < n_dups and pos < len(pool):
        k = pool[pos]
        pos += 1
        copies = 2 if rng.random() < 0.1 and n_dups - len(dup_records) >= 2 else 1
        for _ in range(copies):
            person, kinds, _ = _duplicate(seeds[k], b, ref)
            dup_records.append((k, person, kinds))

    # Deal ids in a shuffled order, so that an id says nothing about duplication.
    total = len(seeds) + len(dup_records)
    order = list(range(total))
    rng.shuffle(order)
    ids = [f"P{n:07d}" for n in order]
    people: list[Person] = []
    cluster: dict[int, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
    for k, s in enumerate(seeds):
        people.append(_to_person(ids[k], s, rng, noisy=rng.random() < 0.2))
    for x, (k, person, kinds) in enumerate(dup_records):
        pid = ids[len(seeds) + x]
        people.append(replace(person, id=pid))
        cluster[k].append((pid, kinds))
    true_pairs: set[tuple[str, str]] = set()
    kinds_of: dict[tuple[str, str], tuple[str, ...]] = {}
    for k, copies in cluster.items():
        members = [(people[k].id, ())] + copies
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                a, b_ = members[i][0], members[j][0]
                pair = (a, b_) if a < b_ else (b_, a)
                true_pairs.add(pair)
                kinds_of[pair] = tuple(sorted(set(members[i][1]) | set(members[j][1])))
    people.sort(key=lambda p: p.id)
    return SyntheticRegister(people, true_pairs, kinds_of, dict(near))


def evaluate(found: Iterable, true_pairs: set[tuple[str, str]]) -> dict[str, float | int]:
    """Precision, recall and F1 of found pairs (``Match`` objects or ``(a, b)`` tuples)."""
    pairs = set()
    for m in found:
        a, b = (m.a, m.b) if hasattr(m, "a") else m
        pairs.add((a, b) if a < b else (b, a))
    tp = len(pairs & true_pairs)
    precision = tp / len(pairs) if pairs else 1.0
    recall = tp / len(true_pairs) if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "true_pairs": len(true_pairs),
        "found_pairs": len(pairs),
        "true_positives": tp,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }
