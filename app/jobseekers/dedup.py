"""Probable duplicates in the job-seeker register.

A pure module: no Flask, no SQLAlchemy, no application import, so that the registration
form, the ``flask jobseekers duplicates`` command, the tests and the benchmark all share
one definition of "probably the same person".

Design
======

**Normalisation** (:func:`normalise_name`): transliterate to ASCII (Unidecode), lower
case, drop apostrophes (``N'Diaye`` → ``ndiaye``), turn hyphens and any other non-letter
into spaces, and glue a lone ``n``/``m`` or an ``el``/``al`` article to the following
word (``N Diaye`` → ``ndiaye``, ``El Hadji`` → ``elhadji``). Marital and alias words
(``épouse``, ``dit``…) are not name tokens.

**Phonetic form** (:func:`phonetic`, our own design for French- and English-style
spellings of West and Central African names): ordered rewrite rules that make the usual
transliteration variants spell the same — ``y`` → ``i`` and doubled letters single
first, then ``tch/tsh/sch/ch/sh`` → one sound, ``dj`` and ``di`` + vowel → ``j``
(Diallo/Djalo/Jallow/Dyallo, Kadidia/Kadija), ``kh/gh/ph/th/dh`` → ``k/g/f/t/d``,
``qu/q/ck`` → ``k``, ``c`` → ``s`` before e/i/y and ``k`` elsewhere (Cissé/Sissé,
Coulibaly/Kulibali), ``gu`` + e/i → ``g``, ``ou``, ``w`` and ``o`` → ``u``
(Mamadou/Mamadu, Ouédraogo/Wedraogo, Jallow/Diallo), ``h`` silent (Mohamadou/Mamadou,
Abdallah/Abdalla), and a final ``e`` silent (Traoré/Traore, Ndiaye/Ndiay). It keeps its
vowels and is what fuzzy similarities are computed on.

**Skeleton** (:func:`skeleton`): the phonetic form reduced to its first letter (any
vowel → ``A``) followed by its consonants: Mamadou, Mamadu, Mohamadou and Mahamadou all
give ``MMD``; Coulibaly/Kulibali/Kouloubaly ``KLBL``; Ndiaye/N'Diaye/Ndiay ``NJ``.
Skeletons only *block*: Abdoulaye and Abdallah share ``ABDL`` but their phonetic forms
(``abdulai``/``abdala``) are only 0.77 similar, below what the scoring calls similar.

**Blocking keys** (:func:`name_keys`): for every unordered pair of name tokens, whatever
field they were typed in (so a swapped order, reordered given names or a missing extra
given name still share a key), the sorted pair of skeletons (``p:JL|MMD``; the given
names glued together count as one more token, for "Abdou Rahmane"/"Abdourahmane"). Plus
typo-tolerant keys in which one skeleton is kept whole and the other cut to its first
two letters or to its first and third (``t:JL|MM*``, ``t:JL|MD*``, ``t:MMD|JL*``): a
consonant typo anywhere but in the first letter of one word still leaves a key in
common. With three words or more, typo keys are only made for the core pairs (surname
with each of the first two given names): a typo in one word leaves the exact pair of the
others. A name of a single word gets ``s:`` keys only. Vowel typos never change a key.

**Token similarity**: 1 for equal normalised tokens, 0.95 for equal phonetic forms,
otherwise the Indel similarity (rapidfuzz) of the phonetic forms (or of the spellings,
less 0.05), at least 0.86 for one keyboard slip (OSA distance 1: Diop/Dioi, Jean/Jena,
Koné/Kane too) and 0.8 for two in a long word; less 0.1 when the first sound differs
(Mamadou/Amadou are two names), unless the first two letters are merely swapped.

**Name similarity** *n*: the tokens of both people, last and given names pooled (order
and field do not matter), are aligned one-to-one, maximising the similarity, a last-name
token of each side taking part; *n* = ``min(mean, weakest + 0.03)`` so one unrelated
given name (brothers, twins: Hassane/Housseini) sinks it; each unaligned extra token
costs 0.03 and sets ``given_name_missing``.

**Scoring** (:func:`compare`): log-odds-like points, summed, then squashed with a
logistic centred on :data:`MATCH_POINTS` (so the score 0.5 is :data:`DEFAULT_THRESHOLD`):

================================  =======================================================
name similarity *n*               +4 (1.0), +3.2 (0.9), +2.6 (0.85), +1.5 (0.8),
                                  −1 (0.75), −2.5 (0.7), −4 (≤ 0.65), linear between
a given name missing on one side  −1 (namesakes with one more given name abound)
same exact birth date             +4 (+3.5 for the same 1 January, the usual "né vers")
near birth date                   +3.5: day and month swapped, one digit wrong or two
                                  transposed in the day, the month or the year, a year
                                  off by one with the same day and month, ≤ 3 days apart
same year, one side year-only     +3.5 (+3 when both only know the year, or when one
                                  date is a 1 January)
year ±1, one side year-only       +0.5
birth unknown on a side           0
same year, unrelated day/month    −1.5
birth clearly different           −5
same phone                        +3.5
same national ID (same country)   +7; one character apart +2; a different ID −3
different sex (both known)        −4
================================  =======================================================

So a name alone (≤ 4) never reaches 6: "Mamadou Diallo 1990" vs "Mamadou Diallo 1975"
scores −1; a shared family phone with another given name or another birth date stays
far below (a child named after its parent: 4 + 3.5 − 5); a similar name (n ≥ 0.85) with
the same, a near or a year-only birth date passes, and so does a similar name with a
shared phone when a birth date is missing. The same national ID is always reported (its
score is floored at :data:`SAME_ID_FLOOR`) even when nothing else agrees, with
``name_mismatch``/``birth_date_mismatch`` among the reasons to flag it as suspicious.

**Whole register** (:func:`find_duplicates`): candidate pairs come from three kinds of
blocks, never from all pairs: the same national ID, the same phone (blocks of more than
:data:`MAX_SHARED_BLOCK` people — an agency's number — are ignored), and the name keys
of people with a known birth year, where only pairs whose birth dates could agree are
taken (the same year, the same day and month in another year; big groups are split by
birth signatures such as the date with one digit masked, so thousands of "Mamadou
Traoré" never cost their square). Name-block pairs go through a vectorised rapidfuzz
prefilter; all are deduplicated with numpy and scored once.

Then a register-level rule that a pairwise score cannot know: how common the name is.
For a pair resting on a name and a birth agreement only (no phone, no ID), the number of
people of the register who would agree as well by chance is estimated Fellegi–Sunter
style — the product of the frequencies of the (shorter) name's phonetic tokens in the
register, times the chance of the birth agreement (:data:`_CHANCE`), times
:data:`MISSING_GIVEN_FACTOR` when a given name had to be dropped — and the pair is
dropped when that exceeds :data:`MAX_EXPECTED`. A year-only "Mamadou Traoré 1990" is as
close to every namesake born in 1990 and cannot be resolved; a year-only "Rodrigue
Nguema 1990" can. Weak matches (year level, near date, 1 January) are also kept only
when each side is among the other's best partners, counting partners already tied by
strong matches as one, and there are at most :data:`MAX_WEAK_PARTNERS` of them. Finally
small clusters tied by strong matches are closed transitively (A~B, B~C ⇒ A~C, reason
``transitive``) unless the two ends contradict each other (another ID, another sex).

Everything is deterministic: no randomness, no dependence on the input order.
"""
from __future__ import annotations

import itertools
import math
import re
from array import array
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Indel, Levenshtein
from unidecode import unidecode

__all__ = [
    "DEFAULT_THRESHOLD",
    "Match",
    "Person",
    "candidates",
    "compare",
    "find_duplicates",
    "name_keys",
    "normalise_name",
    "phonetic",
    "skeleton",
]

#: Points at which the score is 0.5; see the module docstring for the points.
MATCH_POINTS = 6.0
#: Default score threshold of :func:`find_duplicates` and :func:`candidates`.
DEFAULT_THRESHOLD = 0.5
#: Score given to a pair sharing a national ID whatever else disagrees.
SAME_ID_FLOOR = 0.55
#: Phone or national-ID blocks bigger than this are not identifying (agency numbers,
#: placeholder IDs) and are not used for blocking.
MAX_SHARED_BLOCK = 30
#: A person with more equally good partners than this, matched only on a name and weak
#: birth evidence, is ambiguous; those matches are dropped by :func:`find_duplicates`.
MAX_WEAK_PARTNERS = 2
#: Name-key blocks up to this size are scored pairwise; bigger ones are split by birth.
SMALL_BLOCK = 12
#: Candidate pairs from name blocks whose sorted phonetic names have a rapidfuzz
#: token-set ratio below this are not scored: on synthetic registers no pair that
#: matched scored below 84, while 80 % of the others do.
NAME_PREFILTER = 70
_CHUNK = 1 << 19


@dataclass(frozen=True)
class Person:
    """What duplicate detection needs to know about one registered job-seeker."""

    id: str  # external id or registration number
    last_name: str
    first_names: str  # one or several given names, any order
    sex: str | None = None  # "F" / "M" / None
    birth_date: date | None = None  # exact date when known
    birth_year: int | None = None  # when only the year is known (also set with birth_date)
    phones: tuple[str, ...] = ()  # E.164, normalised by the caller
    national_id: str | None = None  # normalised (upper case, no spaces/dashes) by the caller
    national_id_country: str | None = None


@dataclass(frozen=True)
class Match:
    """A probable duplicate pair: ``a < b``, ``score`` in [0, 1], machine reason codes."""

    a: str
    b: str
    score: float
    reasons: tuple[str, ...]


# --------------------------------------------------------------------------- names

_APOSTROPHES = re.compile(r"['’‘`´ʼʻ]")
_NON_LETTERS = re.compile(r"[^a-z]+")
# Words that are not part of the name: marital and alias markers.
_NOISE = frozenset({"epouse", "epse", "ep", "vve", "veuve", "dit", "dite", "alias", "nee"})
_GLUED = frozenset({"n", "m", "el", "al"})


def normalise_name(text: str) -> str:
    """Lower-case ASCII words separated by single spaces.

    Accents are transliterated (Unidecode), apostrophes removed without a space
    (``N'Diaye`` → ``ndiaye``), hyphens and other non-letters become spaces, and a lone
    ``n``/``m`` or an ``el``/``al`` article is glued to the next word, because agents type
    ``N Diaye``, ``M'Baye`` or ``El-Hadji`` for ``Ndiaye``, ``Mbaye`` and ``Elhadji``.
    """
    if not text:
        return ""
    s = _APOSTROPHES.sub("", str(text))
    s = unidecode(s).lower()
    s = s.replace("'", "")
    words = _NON_LETTERS.sub(" ", s).split()
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in _GLUED and i + 1 < len(words):
            out.append(w + words[i + 1])
            i += 2
            continue
        out.append(w)
        i += 1
    return " ".join(out)


# Ordered rewrite rules of the phonetic form (see the module docstring). Upper-case "X"
# stands for the "ch/sh" sound until the end so that later rules on "x"/"h" skip it.
_PHONETIC_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"y", "i"),  # first, so that "dy" + vowel and "di" + vowel meet the same rule
        (r"(.)\1+", r"\1"),  # and doubled letters now: "Dyyarra", "Mammadou"
        (r"t?sch|tch|tsh|ch|sh", "X"),
        (r"dj|di(?=[aeou])", "j"),  # Diallo/Djalo/Jallow/Dyallo, Kadidia/Kadija
        (r"kh", "k"),
        (r"gh", "g"),
        (r"ph", "f"),
        (r"th", "t"),
        (r"dh", "d"),
        (r"qu|ck|q", "k"),
        (r"c(?=[eiy])", "s"),  # Cissé/Sissé
        (r"c", "k"),  # Coulibaly/Kulibali
        (r"x", "ks"),
        (r"gu(?=[eiy])", "g"),  # Guèye/Gueye/Geye
        (r"gn", "ny"),
        (r"ou", "u"),  # French "ou" is English "u"/"w"
        (r"w", "u"),  # Wedraogo/Ouedraogo, Jallow/Diallo
        (r"h", ""),  # Mohamadou/Moamadou, Ahmadou/Amadou, Abdallah/Abdalla
        (r"o", "u"),  # Diallo/Jallow: o and ou are spelt interchangeably
        (r"X", "x"),
        (r"(.)\1+", r"\1"),  # Aissatou/Aisatou, Diallo/Dialo
    )
)
_VOWELS = frozenset("aeiou")


@lru_cache(maxsize=1 << 18)
def phonetic(token: str) -> str:
    """Phonetic spelling of one normalised token (vowels kept; see the module docstring).

    >>> phonetic("traore") == phonetic("trawore"), phonetic("diallo") == phonetic("jallow")
    (True, True)
    """
    s = token
    for pattern, repl in _PHONETIC_RULES:
        s = pattern.sub(repl, s)
    if len(s) > 2 and s.endswith("e"):  # silent final e: Koné/Kon, Ndiaye/Ndiay
        s = s[:-1]
    return s or token


@lru_cache(maxsize=1 << 18)
def skeleton(token: str) -> str:
    """Blocking skeleton of one normalised token: first letter (vowel → ``A``) + consonants.

    >>> skeleton("mamadou"), skeleton("mohamadou"), skeleton("coulibaly")
    ('MMD', 'MMD', 'KLBL')
    """
    p = phonetic(token)
    if not p:
        return ""
    head = "A" if p[0] in _VOWELS else p[0]
    # No collapsing across vowels: Mamadou stays MMD instead of MD, the skeleton of Madi.
    return (head + "".join(c for c in p[1:] if c not in _VOWELS)).upper()


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(w for w in normalise_name(text).split() if w not in _NOISE)


# Keys are built from at most this many tokens of each field: beyond that the number of
# pairs grows quadratically for no gain (a fourth given name is noise for blocking).
_MAX_KEY_LAST = 2
_MAX_KEY_FIRST = 3


@lru_cache(maxsize=1 << 20)
def _keys_of(last: tuple[str, ...], first: tuple[str, ...]) -> frozenset[str]:
    """Blocking keys of normalised last-name and given-name tokens (see name_keys)."""
    last = last[:_MAX_KEY_LAST]
    first = first[:_MAX_KEY_FIRST]
    skels = sorted({skeleton(t) for t in last + first if t})
    if not skels:  # only filler words ("née", "épouse"): nothing to block on
        return frozenset()
    if len(first) >= 2:
        # "Abdou Rahmane" / "Abdourahmane": the joined given names pair with the surname.
        joined = skeleton("".join(first))
        extra = {(joined, skeleton(t)) for t in last}
    else:
        extra = set()
    keys: set[str] = set()
    if len(skels) == 1:
        keys.add("s:" + skels[0])
        for c in _cuts(skels[0]):
            keys.add("s:" + c + "*")
        return frozenset(keys)
    pairs = set(itertools.combinations(skels, 2)) | {tuple(sorted(p)) for p in extra if p[0] != p[1]}
    for x, y in pairs:
        keys.add(f"p:{x}|{y}")
    if len(skels) == 2:
        typo_pairs = [tuple(skels)]
    else:
        # With three words or more, a typo in one word leaves the exact pair of the two
        # others; typo keys are kept for the core pairs (first word of the last name with
        # each of the first two given names) in case a given name is also dropped.
        core = skeleton(last[0]) if last else skeleton(first[0])
        typo_pairs = [(core, skeleton(t)) for t in (first[:2] if last else first[1:3]) if skeleton(t) != core]
    for x, y in typo_pairs:
        # Typo-tolerant: one skeleton whole, the other cut to two letters, either its
        # first two or its first and third (a consonant typo at the second position
        # still leaves one of them in common: MMD → {MM, MD}, typed MD → {MD, M}).
        for whole, cut in ((x, y), (y, x)):
            for c in _cuts(cut):
                keys.add(f"t:{whole}|{c}*")
    return frozenset(keys)


def _cuts(sk: str) -> tuple[str, ...]:
    return (sk[:2], sk[0] + sk[2:3]) if len(sk) > 2 else (sk[:2],)


def name_keys(last_name: str, first_names: str) -> set[str]:
    """Blocking keys of a name, meant to be stored in a table and looked up by equality.

    Two spellings of one person share at least one key when they differ by
    transliteration (see :func:`phonetic`), by the order of the names (last name typed as
    a given name, given names reordered), by a missing or extra given name, or by one
    typo past the second consonant of a single token. Typically 3 keys for a two-word
    name, 9 for three words. Keys carry no birth information: a caller looking candidates
    up in a large register may also restrict them to birth years within ±1 of the new
    person's (or with an unknown year) — :func:`compare` never matches a name alone.
    """
    return set(_keys_of(_tokens(last_name or ""), _tokens(first_names or "")))


@dataclass(frozen=True, eq=False)
class _Name:
    """Tokens of a name; interned (one object per content) so it hashes by identity."""

    tokens: tuple[str, ...]  # normalised tokens, last-name ones first
    n_last: int
    joined_first: str | None  # given names glued together, when there are several
    sorted_phonetic: str  # phonetic tokens, sorted, space-separated (for the prefilter)


_NAMES: dict[tuple[tuple[str, ...], int], _Name] = {}


@lru_cache(maxsize=1 << 20)
def _name(last_name: str, first_names: str) -> _Name:
    last = _tokens(last_name)
    first = _tokens(first_names)
    key = (last + first, len(last))
    found = _NAMES.get(key)
    if found is None:
        if len(_NAMES) > 1 << 20:  # a bound for long-lived processes; only costs speed
            _NAMES.clear()
            _name_similarity.cache_clear()
        found = _NAMES[key] = _Name(
            last + first,
            len(last),
            "".join(first) if len(first) >= 2 else None,
            " ".join(sorted(phonetic(t) for t in last + first)),
        )
    return found


@lru_cache(maxsize=1 << 20)
def _tok_sim(x: str, y: str) -> float:
    """Similarity of two normalised tokens in [0, 1] (called with x <= y for the cache)."""
    if x == y:
        return 1.0
    px, py = phonetic(x), phonetic(y)
    if px == py:
        return 0.95
    # The phonetic form carries the comparison; the raw spelling only helps (discounted)
    # where a typo upset a rewrite rule ("Mmaadou"). Raw vowels are not trusted: Aissatou
    # and Kadiatou are 0.75 alike letter by letter, 0.67 phonetically.
    sim = max(Indel.normalized_similarity(px, py), Indel.normalized_similarity(x, y) - 0.05)
    # One slip of the keyboard (a letter dropped, added, replaced, or two swapped) costs
    # Indel a lot on a short name (Diop/Dioi 0.75, Jean/Jena 0.75): count it as one edit.
    if min(len(x), len(y)) >= 3:
        edits = OSA.distance(x, y, score_cutoff=2)
        if edits == 1 or OSA.distance(px, py, score_cutoff=1) == 1:
            sim = max(sim, 0.86)
        elif edits == 2 and min(len(x), len(y)) >= 7:
            sim = max(sim, 0.8)
    if (
        x[0] != y[0]
        and px[0] != py[0]
        and not (px[0] in _VOWELS and py[0] in _VOWELS)
        and not (x[:1] == y[1:2] and x[1:2] == y[:1] and x[2:] == y[2:])
    ):
        # Agents rarely get the first sound wrong (unless they swap the first two
        # letters): Mamadou and Amadou are two names.
        sim -= 0.1
    return max(0.0, min(0.94, sim))


def _sim(x: str, y: str) -> float:
    return _tok_sim(x, y) if x <= y else _tok_sim(y, x)


# Name-alignment flags.
_SWAPPED = 1
_REORDERED = 2
_MISSING = 4


def _align(ta: Sequence[str], la: int, tb: Sequence[str], lb: int) -> tuple[float, int]:
    """Best one-to-one alignment of two token lists (the first ``la``/``lb`` of each are
    last-name tokens); returns (n, flags). Written as plain loops: it is the hot spot."""
    if len(ta) > len(tb):
        return _align(tb, lb, ta, la)
    k, m = len(ta), len(tb)
    sims = [[_sim(x, y) for y in tb] for x in ta]
    # Upper bound from each token's best partner: when even that is clearly no name
    # match, the exact alignment would not change the verdict (-4 points either way).
    best_rows = [max(row) for row in sims]
    bound = min(sum(best_rows) / k, min(best_rows) + 0.03) - 0.03 * (m - k)
    if bound <= 0.65:
        return max(0.0, bound), 0
    need_last = la > 0 and lb > 0
    best_n = -1.0
    best_direct = -1
    best_perm: tuple[int, ...] | None = None
    perms: Iterable[tuple[int, ...]]
    if k <= 4 and m <= 6:
        perms = itertools.permutations(range(m), k)
    else:  # pathological long names: greedy, deterministic
        perms = [_greedy(sims, k, m)]
    for perm in perms:
        # A last-name token of the longer side must take part (the shorter side's all
        # do), otherwise "Mamadou Ibrahima Sow" would equal "Mamadou Ibrahima".
        if need_last:
            for j in perm:
                if j < lb:
                    break
            else:
                continue
        total = 0.0
        low = 2.0
        direct = 0
        for i, j in enumerate(perm):
            v = sims[i][j]
            total += v
            if v < low:
                low = v
            if (i < la) == (j < lb):
                direct += 1
        # Lean on the weakest token: one unrelated given name (a brother) sinks the name.
        n = min(total / k, low + 0.03)
        # At equal similarity, prefer the alignment that keeps last with last.
        if n > best_n or (n == best_n and direct > best_direct):
            best_n, best_direct, best_perm = n, direct, perm
    if best_perm is None:
        return 0.0, 0
    n = best_n - 0.03 * (m - k)  # each unaligned extra token costs a little
    flags = 0
    if m > k:
        flags |= _MISSING
    if need_last and not any(i < la and j < lb for i, j in enumerate(best_perm)):
        flags |= _SWAPPED
    firsts = [j for i, j in enumerate(best_perm) if i >= la and j >= lb]
    if firsts != sorted(firsts):
        flags |= _REORDERED
    return max(0.0, n), flags


def _greedy(sims: list[list[float]], k: int, m: int) -> tuple[int, ...]:
    used: set[int] = set()
    perm = []
    for i in range(k):
        j = max((j for j in range(m) if j not in used), key=lambda j: (sims[i][j], -j))
        used.add(j)
        perm.append(j)
    return tuple(perm)


@lru_cache(maxsize=1 << 20)
def _name_similarity(a: _Name, b: _Name) -> tuple[float, int]:
    if not a.tokens or not b.tokens:
        return 0.0, 0
    if a is b:
        return 1.0, 0
    n, flags = _align(a.tokens, a.n_last, b.tokens, b.n_last)
    if n < 0.9 and (a.joined_first or b.joined_first) and len(a.tokens) != len(b.tokens):
        # "Abdou Rahmane" vs "Abdourahmane": also try the given names glued together.
        for ta, tb in (
            (_joined(a), b.tokens),
            (a.tokens, _joined(b)),
            (_joined(a), _joined(b)),
        ):
            if ta is None or tb is None:
                continue
            n2, f2 = _align(ta, a.n_last, tb, b.n_last)
            if n2 > n:
                n, flags = n2, f2 & ~_MISSING
    return n, flags


def _joined(x: _Name) -> tuple[str, ...] | None:
    if x.joined_first is None:
        return None
    return x.tokens[: x.n_last] + (x.joined_first,)


def _name_points(n: float) -> float:
    """Points of a name similarity: piecewise linear, steep below 0.8."""
    knots = ((0.65, -4.0), (0.7, -2.5), (0.75, -1.0), (0.8, 1.5), (0.85, 2.6), (0.9, 3.2), (1.0, 4.0))
    if n <= knots[0][0]:
        return knots[0][1]
    for (x0, y0), (x1, y1) in zip(knots, knots[1:]):
        if n <= x1:
            return y0 + (n - x0) / (x1 - x0) * (y1 - y0)
    return knots[-1][1]


# --------------------------------------------------------------------------- birth

# Birth "kinds".
_UNKNOWN, _YEAR, _FULL, _JAN1 = 0, 1, 2, 3
# Birth evidence classes returned by _birth_evidence.
B_SAME, B_NEAR, B_YEAR, B_NEAR_YEAR, B_UNKNOWN, B_SAME_YEAR_OTHER, B_MISMATCH = range(7)
#: Two full dates at most this many days apart are "near" (a day or two misremembered).
_NEAR_DAYS = 3


_Birth = tuple[int, int, int, int, int]


def _birth_tuple(p: Person) -> _Birth:
    """(kind, year, month, day, ordinal); 1 January counts as a possibly made-up date."""
    if p.birth_date is not None:
        d = p.birth_date
        return (_JAN1 if (d.month, d.day) == (1, 1) else _FULL), d.year, d.month, d.day, d.toordinal()
    if p.birth_year:
        return _YEAR, int(p.birth_year), 0, 0, 0
    return _UNKNOWN, 0, 0, 0, 0


def _one_digit_apart(x: int, y: int, width: int) -> bool:
    """Numbers differing in one digit or by two adjacent digits transposed."""
    sx, sy = f"{x:0{width}d}", f"{y:0{width}d}"
    diff = [i for i in range(width) if sx[i] != sy[i]]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and sx[diff[0]] == sy[diff[1]] and sx[diff[1]] == sy[diff[0]]


def _birth_evidence(a: _Birth, b: _Birth) -> tuple[int, float, str | None]:
    """(class, points, extra reason) of two birth tuples."""
    ka, ya, ma, da, oa = a
    kb, yb, mb, db, ob = b
    if ka == _UNKNOWN or kb == _UNKNOWN:
        return B_UNKNOWN, 0.0, None
    if ka >= _FULL and kb >= _FULL:
        if (ya, ma, da) == (yb, mb, db):
            return B_SAME, (3.5 if ka == _JAN1 else 4.0), None
        jan1 = ka == _JAN1 or kb == _JAN1
        if ya == yb:
            if jan1:  # "né vers": 1 January stands for the year only
                return B_YEAR, 3.0, None
            if (ma, da) == (db, mb):
                return B_NEAR, 3.5, "day_month_swapped"
            if ma == mb and _one_digit_apart(da, db, 2):
                return B_NEAR, 3.5, None
            if da == db and _one_digit_apart(ma, mb, 2):
                return B_NEAR, 3.5, None
        if not jan1:
            if abs(oa - ob) <= _NEAR_DAYS:
                return B_NEAR, 3.5, None
            # A wrong or transposed digit of the year (1986/1968), or a year off by one:
            # the same day and month make a slip far likelier than a namesake.
            if (ma, da) == (mb, db) and (abs(ya - yb) == 1 or _one_digit_apart(ya, yb, 4)):
                return B_NEAR, 3.5, None
        if ya == yb:
            return B_SAME_YEAR_OTHER, -1.5, None
        if abs(ya - yb) == 1 and jan1:
            return B_NEAR_YEAR, 0.5, None
        return B_MISMATCH, -5.0, None
    # At least one side knows only the year.
    if ya == yb:
        return B_YEAR, (3.0 if ka == kb == _YEAR else 3.5), None
    if abs(ya - yb) == 1:
        return B_NEAR_YEAR, 0.5, None
    return B_MISMATCH, -5.0, None


_BIRTH_REASON = {
    B_SAME: "same_birth_date",
    B_NEAR: "near_birth_date",
    B_YEAR: "same_birth_year",
    B_NEAR_YEAR: "near_birth_year",
    B_UNKNOWN: None,
    B_SAME_YEAR_OTHER: "same_birth_year_other_date",
    B_MISMATCH: "birth_date_mismatch",
}


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class _Feat:
    """Precomputed view of a Person used by the scorer."""

    id: str
    name: _Name
    birth: _Birth
    sex: str | None
    phones: tuple[str, ...]  # sorted, unique (a tuple: lighter than a set for one or two)
    nid: str | None
    nid_country: str | None


def _features(p: Person) -> _Feat:
    sex = (p.sex or "").strip().upper()[:1] or None
    nid = (p.national_id or "").strip().upper() or None
    country = (p.national_id_country or "").strip().upper() or None
    phones = tuple(sorted({x.strip() for x in p.phones if x and x.strip()}))
    return _Feat(
        str(p.id), _name(p.last_name or "", p.first_names or ""), _birth_tuple(p), sex, phones, nid, country
    )


def _logistic(points: float) -> float:
    return 1.0 / (1.0 + math.exp(-(points - MATCH_POINTS)))


def _score(a: _Feat, b: _Feat, threshold: float | None = None) -> tuple[float, tuple[str, ...], float | None] | None:
    """(score, reasons, chance) of two people, or ``None`` when ``threshold`` is given and
    even identical names could not reach it (the costly name alignment is then skipped).

    ``chance`` is ``None`` for a pair with a shared phone or ID, and otherwise, for a
    pair resting on a name and a birth agreement only, the chance that two people of the
    register would agree as well on birth by accident (see :data:`_CHANCE`).
    """
    id_reasons: list[str] = []
    points = 0.0

    same_id = False
    if a.nid and b.nid and (a.nid_country is None or b.nid_country is None or a.nid_country == b.nid_country):
        if a.nid == b.nid:
            same_id = True
            points += 7.0
            id_reasons.append("same_national_id")
        elif len(a.nid) >= 5 and Levenshtein.distance(a.nid, b.nid, score_cutoff=1) <= 1:
            points += 2.0
            id_reasons.append("similar_national_id")
        else:
            points -= 3.0
            id_reasons.append("national_id_conflict")

    same_phone = any(x in b.phones for x in a.phones)
    if same_phone:
        points += 3.5
        id_reasons.append("same_phone")

    birth_reasons: list[str] = []
    bclass, bpoints, bextra = _birth_evidence(a.birth, b.birth)
    points += bpoints
    reason = _BIRTH_REASON[bclass]
    if reason:
        birth_reasons.append(reason)
    if bextra:
        birth_reasons.append(bextra)
    if a.sex and b.sex and a.sex != b.sex:
        points -= 4.0
        birth_reasons.append("sex_mismatch")

    if threshold is not None and not same_id and _logistic(points + _name_points(1.0)) < threshold:
        return None

    name_reasons: list[str] = []
    n, flags = _name_similarity(a.name, b.name)
    points += _name_points(n)
    if flags & _MISSING:
        # Namesakes with one more given name abound ("Mamadou Traoré" and "Mamadou
        # Bakary Traoré"); a duplicate that drops one is the rarer case.
        points -= 1.0
    if n >= 0.999 and not flags & _MISSING:
        name_reasons.append("same_name")
    elif n >= 0.8:
        name_reasons.append("similar_name")
    else:
        name_reasons.append("name_mismatch")
    if n >= 0.8:
        if flags & _SWAPPED:
            name_reasons.append("swapped_names")
        if flags & _REORDERED:
            name_reasons.append("given_names_reordered")
        if flags & _MISSING:
            name_reasons.append("given_name_missing")

    score = _logistic(points)
    if same_id:
        score = max(score, SAME_ID_FLOOR)
    chance: float | None = None
    if not same_id and not same_phone:
        if bclass == B_YEAR:
            chance = _CHANCE["year"]
        elif bclass == B_NEAR:
            chance = _CHANCE["near"]
        elif bclass == B_SAME:
            chance = _CHANCE["jan1" if a.birth[0] == _JAN1 else "same"]
    return round(score, 4), tuple(id_reasons + name_reasons + birth_reasons), chance


#: Chance that two people of the register agree on birth that well by accident: the same
#: date (some 14,600 dates in a register of working age, less evenly used), the same
#: 1 January (heaped "né vers" dates), a near date (some fifty dates are "near" a given
#: one: digit slips, swaps, a few days off) or the same year (births bunch in ~30 years).
_CHANCE = {"same": 1 / 6000, "jan1": 1 / 300, "near": 1 / 200, "year": 1 / 30}
#: Birth agreements at least this likely by chance are "weak" (see _drop_ambiguous).
_WEAK_CHANCE = 1 / 300


def _match(a: _Feat, b: _Feat, threshold: float) -> tuple[Match, float | None] | None:
    # The name alignment is not symmetric in every corner case: a pair is always scored in
    # the order of its ids, so that it gets one score whichever side asks.
    if b.id < a.id:
        a, b = b, a
    scored = _score(a, b, threshold)
    if scored is None or scored[0] < threshold:
        return None
    score, reasons, weak = scored
    return Match(a.id, b.id, score, reasons), weak


def compare(a: Person, b: Person) -> Match | None:
    """Score two people; a :class:`Match` when they are probably the same, else ``None``.

    Symmetric (``compare(a, b)`` and ``compare(b, a)`` give the same match, with ``a <
    b``) and deterministic. Uses :data:`DEFAULT_THRESHOLD`.
    """
    if a.id == b.id:
        return None
    found = _match(_features(a), _features(b), DEFAULT_THRESHOLD)
    return found[0] if found else None


def candidates(person: Person, others: Iterable[Person], threshold: float = DEFAULT_THRESHOLD) -> list[Match]:
    """Rank the ``others`` (already fetched by key, phone or ID) against one new person.

    For the registration form: returns the probable duplicates, best first (score
    descending, then ids). No ambiguity filtering here: the agent sees every namesake
    that fits and decides.
    """
    fp = _features(person)
    out: dict[tuple[str, str], Match] = {}
    for other in others:
        if other.id == person.id:
            continue
        found = _match(fp, _features(other), threshold)
        if found:
            m = found[0]
            out[(m.a, m.b)] = m
    return sorted(out.values(), key=lambda m: (-m.score, m.a, m.b))


# --------------------------------------------------------------------------- register


def _same_year_sigs(b: _Birth) -> tuple[tuple, ...]:
    """Signatures shared by two full dates of one year that :func:`_birth_evidence` calls
    the same or near (used to split big groups instead of trying all pairs)."""
    _, _, m, d, o = b
    ds, ms = f"{d:02d}", f"{m:02d}"
    return (
        ("s", min(m, d), max(m, d)),  # same date, or day and month swapped
        ("d1", m, ds[0]),  # one digit of the day wrong
        ("d2", m, ds[1]),
        ("dt", m, "".join(sorted(ds))),  # day digits transposed
        ("m1", d, ms[0]),  # one digit of the month wrong
        ("m2", d, ms[1]),
        ("mt", d, "".join(sorted(ms))),
        # Two grids of 8-day cells shifted by 4: dates at most 3 days apart share a cell.
        ("w0", o // 8),
        ("w1", (o + 4) // 8),
    )


#: Groups of a name block up to this size are tried pair by pair, bigger ones by signature.
_PAIRWISE = 24


def _pairwise(group: list[int], births: list[_Birth], common: bytearray, out: array) -> None:
    for x, i in enumerate(group):
        bi = births[i]
        ci = common[i]
        yi, mdi, oi = bi[1], (bi[2], bi[3]), bi[4]
        for j in group[x + 1 :]:
            bj = births[j]
            # Cheap test first: only the same year, the same day and month (a slip in the
            # year) or two dates a few days apart can agree at all.
            if bj[1] != yi and (bj[2], bj[3]) != mdi and not (oi and bj[4] and abs(oi - bj[4]) <= _NEAR_DAYS):
                continue
            c = _birth_evidence(bi, bj)[0]
            if c == B_SAME or (c == B_NEAR and ci < 2 and common[j] < 2) or (c == B_YEAR and not ci and not common[j]):
                out.append(i)
                out.append(j)


def _block_pairs(members: list[int], births: list[_Birth], common: bytearray, out: array) -> None:
    """Append to ``out`` the pairs of a name block whose birth dates could agree.

    Only people with a known birth year are in name blocks. Pairs are looked for within a
    birth year (the same, a near or a year-only date) and across years among people born
    the same day and month (a slip in the year); big groups are split by signatures so
    that a block of thousands of "Mamadou Traoré" never costs its square. In those, a
    person whose name is so common that a near or year-only agreement would be dropped
    as ambiguous anyway (``common``: 1 = year level, 2 = near level too) is only paired
    on exact dates.
    """
    if len(members) <= SMALL_BLOCK:
        _pairwise(members, births, common, out)
        return
    by_year: dict[int, list[int]] = defaultdict(list)
    by_day: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i in members:
        b = births[i]
        by_year[b[1]].append(i)
        if b[0] == _FULL:
            by_day[(b[2], b[3])].append(i)
    for group in by_year.values():
        if len(group) <= _PAIRWISE:
            _pairwise(group, births, common, out)
            continue
        sigs: dict[tuple, list[int]] = defaultdict(list)
        loose = []  # year-only and 1 January: every other birth of the year may be theirs
        for i in group:
            b = births[i]
            if b[0] == _FULL:
                if common[i] >= 2:
                    sigs[("s", min(b[2], b[3]), max(b[2], b[3]))].append(i)
                else:
                    for sig in _same_year_sigs(b):
                        sigs[sig].append(i)
            elif common[i] == 0:
                loose.append(i)
            elif b[0] == _JAN1:
                sigs[("s", 1, 1)].append(i)
        for g in sigs.values():
            if len(g) > 1:
                _pairwise(g, births, common, out)
        for i in loose:
            for j in group:
                if j != i:
                    out.append(i)
                    out.append(j)
    for group in by_day.values():
        group = [i for i in group if common[i] < 2]
        if len(group) > 1:
            if len(group) <= 4 * _PAIRWISE:
                _pairwise(group, births, common, out)
            else:  # same day and month, years one digit or one year apart
                ysigs: dict[tuple, list[int]] = defaultdict(list)
                for i in group:
                    y = births[i][1]
                    for sig in (("y3", y // 100, y % 10), ("y4", y // 10), ("yt", y // 100, "".join(sorted(f"{y % 100:02d}"))), ("yp0", y // 2), ("yp1", (y + 1) // 2)):
                        ysigs[sig].append(i)
                for g in ysigs.values():
                    if len(g) > 1:
                        _pairwise(g, births, common, out)


def find_duplicates(people: Iterable[Person], threshold: float = DEFAULT_THRESHOLD) -> list[Match]:
    """Probable duplicate pairs across a whole register, each once (``a < b``).

    Candidate pairs come from blocks (same national ID, same phone, shared name key with
    a compatible birth date), never from all pairs, so the cost grows with the register
    and the sizes of its blocks, not with its square. Pairs resting only on a name and a
    birth agreement are dropped when the name is so common in this register that such an
    agreement is expected by chance, and weak ones (year only, near date) when they are
    ambiguous (see the module docstring). Small clusters are closed transitively.
    Sorted by score descending, then ids. Deterministic, whatever the input order.
    """
    # Sorting by id makes the whole run independent of the input order.
    plist = sorted(people, key=lambda p: str(p.id))
    feats = [_features(p) for p in plist]
    births = [f.birth for f in feats]
    id_pairs = array("q")  # same phone or ID: always scored
    pairs = array("q")  # same name key and a compatible birth: prefiltered on the name

    def add_block(members: list[int]) -> None:
        if 1 < len(members) <= MAX_SHARED_BLOCK:
            for x, i in enumerate(members):
                for j in members[x + 1 :]:
                    id_pairs.append(i)
                    id_pairs.append(j)

    by_id: dict[str, list[int]] = defaultdict(list)
    by_phone: dict[str, list[int]] = defaultdict(list)
    by_key: dict[str, list[int]] = defaultdict(list)
    n = len(plist)
    token_count = _token_counts(feats)
    # How common each person's own name is decides, before any pair is made, whether a
    # near or year-only agreement could survive the chance filter below; in big blocks
    # the hopeless ones are not even generated (1 = year level hopeless, 2 = near too).
    common = bytearray(n)
    for i, f in enumerate(feats):
        e1 = n * _name_chance(f.name, token_count, n)
        if e1 * _CHANCE["near"] > MAX_EXPECTED:
            common[i] = 2
        elif e1 * _CHANCE["year"] > MAX_EXPECTED:
            common[i] = 1
    for i, (p, f) in enumerate(zip(plist, feats)):
        if f.nid:
            by_id[f.nid].append(i)
        for ph in f.phones:
            by_phone[ph].append(i)
        if f.birth[0] != _UNKNOWN:
            # Without a birth year a name can never be enough: such people are only found
            # through a shared phone or ID.
            nm = f.name
            for k in _keys_of(nm.tokens[: nm.n_last], nm.tokens[nm.n_last :]):
                by_key[k].append(i)
    for members in by_id.values():
        add_block(members)
    for members in by_phone.values():
        add_block(members)
    del by_id, by_phone
    for members in by_key.values():
        if len(members) > 1:
            _block_pairs(members, births, common, pairs)
    del by_key

    name_codes = _unique_codes(pairs, n)
    del pairs
    if len(name_codes):
        # Vectorised prefilter (rapidfuzz, in C): token-set similarity of the sorted
        # phonetic names. Generous — swaps, missing given names and variants keep high
        # values — it only spares the exact alignment to pairs that cannot be one name.
        sorted_names = [f.name.sorted_phonetic for f in feats]
        kept = []
        for start in range(0, len(name_codes), _CHUNK):
            chunk = name_codes[start : start + _CHUNK]
            left = [sorted_names[k] for k in (chunk // n).tolist()]
            right = [sorted_names[k] for k in (chunk % n).tolist()]
            sim = process.cpdist(left, right, scorer=fuzz.token_set_ratio, dtype=np.uint8, workers=1)
            kept.append(chunk[sim >= NAME_PREFILTER])
        name_codes = np.concatenate(kept)
    codes = np.union1d(_unique_codes(id_pairs, n), name_codes)
    del id_pairs, name_codes

    found: list[tuple[Match, float | None]] = []
    for code in codes.tolist():
        i, j = divmod(code, n)
        if i == j:
            continue
        r = _match(feats[i], feats[j], threshold)
        if r is None:
            continue
        if r[1] is not None:
            if _expected_namesakes(feats[i], feats[j], r, token_count, n) > MAX_EXPECTED:
                continue
        found.append(r)

    result = _drop_ambiguous(found)
    result += _transitive(result, feats, {f.id: i for i, f in enumerate(feats)}, threshold)
    result.sort(key=lambda m: (-m.score, m.a, m.b))
    return result


#: A weak match is kept only if fewer than this many people of the register are expected
#: to agree with its shorter name and its birth by chance (see _expected_namesakes).
MAX_EXPECTED = 0.15
#: Agents drop a given name in perhaps one duplicate in seven: a match that needs to drop
#: one is that much less likely than the frequencies alone say.
MISSING_GIVEN_FACTOR = 7.0


def _token_counts(feats: list[_Feat]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for f in feats:
        for t in {phonetic(t) for t in f.name.tokens}:
            counts[t] += 1
    return counts


def _expected_namesakes(
    a: _Feat, b: _Feat, found: tuple[Match, float | None], counts: dict[str, int], n: int
) -> float:
    """How many people of an ``n``-person register would match this weak pair by chance.

    Fellegi–Sunter in spirit: the chance that a random person carries the name is the
    product of the frequencies of its phonetic tokens in the register (the shorter name
    of the two, as that is what the longer was matched against), times the chance of the
    birth agreement. "Mamadou Traoré" born in 1990 is matched by dozens in a large
    register; "Rodrigue Nguema" born in 1990 by nobody.
    """
    match, chance = found
    assert chance is not None
    names = sorted((a.name, b.name), key=lambda x: len(x.tokens))
    if len(names[0].tokens) == len(names[1].tokens):
        u = max(_name_chance(x, counts, n) for x in names)
    else:
        u = _name_chance(names[0], counts, n)
    expected = n * u * chance
    if "given_name_missing" in match.reasons:
        expected *= MISSING_GIVEN_FACTOR
    return expected


def _name_chance(name: _Name, counts: dict[str, int], n: int) -> float:
    u = 1.0
    for t in sorted({phonetic(t) for t in name.tokens}):  # sorted: same float whatever the hash seed
        u *= counts.get(t, 1) / n
    return u


def _unique_codes(pairs: array, n: int) -> np.ndarray:
    """Pairs (flat i, j array) as sorted unique codes ``min * n + max``."""
    if not pairs:
        return np.zeros(0, dtype=np.int64)
    arr = np.frombuffer(pairs, dtype=np.int64).reshape(-1, 2)
    lo = np.minimum(arr[:, 0], arr[:, 1])
    hi = np.maximum(arr[:, 0], arr[:, 1])
    codes = lo * n + hi
    return np.unique(codes[lo != hi])


def _drop_ambiguous(found: list[tuple[Match, float | None]]) -> list[Match]:
    """Keep a weak match only if, on each side, the other is among the best weak partners
    and there are at most :data:`MAX_WEAK_PARTNERS` of those.

    A weak match rests on a name and a year, a near date or a 1 January: with a common
    name, a year-only record is as close to every namesake born that year, and the one
    that is really the same person cannot be told apart from the rest. Partners already
    tied together by strong matches (a shared phone, ID or exact date) count as one: a
    year-only record close to two registrations of one person is not ambiguous.
    """
    weak_of = {(m.a, m.b): c is not None and c >= _WEAK_CHANCE for m, c in found}
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for m, _ in found:
        if not weak_of[(m.a, m.b)]:
            ra, rb = root(m.a), root(m.b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    # Best weak score per (person, partner's group).
    best: dict[str, dict[str, float]] = defaultdict(dict)
    for m, _ in found:
        if weak_of[(m.a, m.b)]:
            for x, y in ((m.a, m.b), (m.b, m.a)):
                g = root(y)
                best[x][g] = max(best[x].get(g, 0.0), m.score)

    def acceptable(x: str, y: str) -> bool:
        groups = best[x]
        top = max(groups.values())
        tops = [g for g, sc in groups.items() if sc >= top - 0.005]
        return root(y) in tops and len(tops) <= MAX_WEAK_PARTNERS

    return [m for m, _ in found if not weak_of[(m.a, m.b)] or (acceptable(m.a, m.b) and acceptable(m.b, m.a))]


#: Clusters of at most this many records are closed transitively.
MAX_CLUSTER = 4


def _transitive(matches: list[Match], feats: list[_Feat], index: dict[str, int], threshold: float) -> list[Match]:
    """Pairs implied by two strong matches through a third record (A~B, B~C ⇒ A~C).

    Two later registrations of one person may each differ from the first in another way
    (one dropped a given name, the other another one) and not look alike at all. Only
    matches that do not rest on weak evidence link, only small clusters are closed, and a
    contradiction between the two ends (another national ID, another sex) vetoes.
    The implied pair scores 0.9 × the weaker of the two links, reason ``transitive``.
    """
    strong = [m for m in matches if _is_strong(m)]
    adj: dict[str, dict[str, float]] = defaultdict(dict)
    for m in strong:
        adj[m.a][m.b] = m.score
        adj[m.b][m.a] = m.score
    have = {(m.a, m.b) for m in matches}
    seen: set[str] = set()
    out: list[Match] = []
    for start in sorted(adj):
        if start in seen:
            continue
        comp, stack = [], [start]
        seen.add(start)
        while stack:
            x = stack.pop()
            comp.append(x)
            for y in adj[x]:
                if y not in seen:
                    seen.add(y)
                    stack.append(y)
        if not 3 <= len(comp) <= MAX_CLUSTER:
            continue
        comp.sort()
        for a, b in itertools.combinations(comp, 2):
            if (a, b) in have:
                continue
            links = [min(adj[a][c], adj[c][b]) for c in comp if c in adj[a] and c in adj[b]]
            if not links:
                continue
            score = round(0.9 * max(links), 4)
            if score < threshold:
                continue
            _, reasons, _ = _score(feats[index[a]], feats[index[b]])  # type: ignore[misc]
            if "national_id_conflict" in reasons or "sex_mismatch" in reasons:
                continue
            out.append(Match(a, b, score, ("transitive",) + reasons))
    return out


def _is_strong(m: Match) -> bool:
    r = m.reasons
    return (
        "same_national_id" in r
        or "same_phone" in r
        or "same_birth_date" in r
    ) and "name_mismatch" not in r
