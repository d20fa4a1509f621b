"""Duplicate detection in the job-seeker register (pure: no app, no database)."""
from __future__ import annotations

import random
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.jobseekers.dedup import (
    DEFAULT_THRESHOLD,
    Person,
    candidates,
    compare,
    find_duplicates,
    name_keys,
    normalise_name,
    phonetic,
    skeleton,
)
from app.jobseekers.synthetic import evaluate, generate

BORN = date(1990, 3, 14)


def person(pid="A", last="Diallo", first="Mamadou", *, born=BORN, year=None, sex="M", phones=(), nid=None, country=None):
    """A person; ``born=None`` with ``year`` gives a year-only birth."""
    if born is not None:
        year = born.year
    return Person(pid, last, first, sex, born, year, tuple(phones), nid, country)


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Traoré", "traore"),
        ("N'Diaye", "ndiaye"),
        ("N’DIAYE", "ndiaye"),
        ("N Diaye", "ndiaye"),
        ("  Aïssatou   Binta ", "aissatou binta"),
        ("Ba-Diallo", "ba diallo"),
        ("El Hadji Malick", "elhadji malick"),
        ("", ""),
    ],
)
def test_normalise_name(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    "a, b",
    [
        ("Mamadou", "Mamadu"),
        ("Moussa", "Musa"),
        ("Ousmane", "Usman"),
        ("Abdoulaye", "Abdulaye"),
        ("Aïssatou", "Aisatu"),
        ("Ndiaye", "N'Diaye"),
        ("Ndiaye", "Ndiay"),
        ("Diallo", "Jallow"),
        ("Diallo", "Djalo"),
        ("Traoré", "Trawore"),
        ("Koné", "Kone"),
        ("Coulibaly", "Kulibali"),
        ("Ouédraogo", "Wedraogo"),
        ("Tchoumi", "Choumi"),
        ("Cissé", "Sissé"),
    ],
)
def test_transliteration_variants_sound_alike(a, b):
    assert phonetic(normalise_name(a)) == phonetic(normalise_name(b))


def test_skeletons_group_wider_variants_for_blocking():
    assert {skeleton(w) for w in ("mamadou", "mohamadou", "mahamadou")} == {"MMD"}
    assert {skeleton(w) for w in ("coulibaly", "kulibali", "kouloubaly")} == {"KLBL"}
    assert skeleton("fatoumata") == skeleton("fatimata")


@pytest.mark.parametrize(
    "a, b",
    [
        (("Diallo", "Mamadou"), ("Jallow", "Mamadu")),  # transliteration
        (("Diallo", "Mamadou"), ("Mamadou", "Diallo")),  # swapped
        (("Diallo", "Mamadou Ibrahima"), ("Diallo", "Ibrahima Mamadou")),  # reordered
        (("Diallo", "Mamadou Ibrahima"), ("Diallo", "Ibrahima")),  # one given name missing
        (("Coulibaly", "Fatoumata"), ("Coulibaly", "Fatoumta")),  # a typo
        (("Nguema", "Rodrigue"), ("Nuema", "Rodrigue")),  # a typo at the second consonant
        (("Sow", "Abdou Rahmane"), ("Sow", "Abdourahmane")),  # glued given names
    ],
)
def test_variants_share_a_name_key(a, b):
    assert name_keys(*a) & name_keys(*b)


def test_unrelated_names_share_no_key():
    assert not name_keys("Diallo", "Mamadou") & name_keys("Nguema", "Pélagie")


# --------------------------------------------------------------------------- compare: caught


@pytest.mark.parametrize(
    "other, reason",
    [
        (person("B", "Jallow", "Mamadu"), "similar_name"),
        (person("B", "DIALLO", "Mohamadou"), "similar_name"),
        (person("B", "Mamadou", "Diallo"), "swapped_names"),
        (person("B", "Diallo", "Mamadou", born=None, year=1990), "same_birth_year"),
        (person("B", "DIALLO", "MAMADOU"), "same_birth_date"),
        (person("B", "Diallo", "Mamadou", born=date(1990, 3, 15)), "near_birth_date"),
        (person("B", "Diallo", "Mamadou", born=date(1990, 3, 24)), "near_birth_date"),
        (person("B", "Diallo", "Mamadou", born=date(1980, 3, 14)), "near_birth_date"),
        (person("B", "Diallo", "Mamadou", born=None, phones=["+22376000001"]), "same_phone"),
    ],
)
def test_each_variant_kind_is_caught(other, reason):
    base = person("A", phones=["+22376000001"] if "phone" in reason else ())
    m = compare(base, other)
    assert m is not None, reason
    assert reason in m.reasons
    assert 0.0 <= m.score <= 1.0 and m.score >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "a, b",
    [
        (("Traoré", "Aïssatou"), ("TRAORE", "Aisatu")),
        (("Ndiaye", "Fatoumata"), ("N'Diaye", "Fatimata")),
        (("Ouédraogo", "Ousmane"), ("Wedraogo", "Usman")),
        (("Coulibaly", "Moussa"), ("Kulibali", "Musa")),
        (("Koné", "Abdoulaye"), ("Kone", "Abdulaye")),
        (("Mbarga", "Jean Pierre"), ("Mbarga", "Pierre Jean")),
        (("Nguema", "Marie Chantal Estelle"), ("Nguema", "Marie Estelle")),
        (("Tchoumi", "Serge"), ("Serge", "Choumi")),
    ],
)
def test_name_variants_with_year_only_are_caught(a, b):
    m = compare(person("A", *a), person("B", *b, born=None, year=1990))
    assert m is not None


def test_day_month_swap_is_caught():
    m = compare(person("A", born=date(1990, 3, 11)), person("B", born=date(1990, 11, 3)))
    assert m and "day_month_swapped" in m.reasons


def test_same_national_id_is_reported_even_when_nothing_else_agrees():
    a = person("A", nid="ML123456789", country="ML")
    b = person("B", "Nguema", "Pélagie", sex="F", born=date(1961, 9, 2), nid="ML123456789", country="ML")
    m = compare(a, b)
    assert m is not None
    assert "same_national_id" in m.reasons and "name_mismatch" in m.reasons
    assert "birth_date_mismatch" in m.reasons
    # Same number in two countries' ID systems: nothing in common.
    c = person("C", "Nguema", "Pélagie", sex="F", born=date(1961, 9, 2), nid="ML123456789", country="CM")
    assert compare(a, c) is None


def test_same_national_id_and_name_scores_higher_than_id_alone():
    a = person("A", nid="X1", country="SN")
    b = person("B", nid="X1", country="SN", born=None)
    c = person("C", "Sarr", "Aminata", sex="F", born=date(1970, 1, 2), nid="X1", country="SN")
    assert compare(a, b).score > compare(a, c).score


# --------------------------------------------------------------------------- compare: not caught


def test_namesakes_with_different_birth_years_are_not_matched():
    assert compare(person("A", born=date(1990, 5, 2)), person("B", born=date(1975, 8, 19))) is None
    assert compare(person("A", born=None, year=1990), person("B", born=None, year=1975)) is None


def test_shared_family_phone_alone_is_not_a_match():
    phone = ["+221770000001"]
    father = person("A", "Diallo", "Mamadou", born=date(1965, 2, 1), phones=phone)
    daughter = person("B", "Diallo", "Aminata", sex="F", born=date(1998, 6, 30), phones=phone)
    son = person("C", "Diallo", "Ibrahima", born=date(2001, 9, 9), phones=phone)
    namesake_son = person("D", "Diallo", "Mamadou", born=date(1996, 4, 12), phones=phone)
    spouse = person("E", "Sow", "Fatoumata", sex="F", born=date(1969, 11, 3), phones=phone)
    for other in (daughter, son, namesake_son, spouse):
        assert compare(father, other) is None, other
    assert compare(daughter, son) is None


def test_twins_sharing_phone_and_birth_date_are_not_matched():
    phone = ["+22370000002"]
    a = person("A", "Keita", "Hassane", born=date(2001, 7, 7), phones=phone)
    b = person("B", "Keita", "Housseini", born=date(2001, 7, 7), phones=phone)
    assert compare(a, b) is None


def test_similar_but_distinct_given_names_are_not_enough():
    # Abdoulaye and Abdallah look alike but are two names; only the year is shared.
    a = person("A", "Traoré", "Abdoulaye", born=None, year=1990)
    b = person("B", "Traoré", "Abdallah", born=date(1990, 6, 2))
    assert compare(a, b) is None
    c = person("C", "Traoré", "Abdulaye", born=date(1990, 6, 2))
    assert compare(a, c) is not None


def test_different_sex_weighs_against():
    assert compare(person("A", "Diallo", "Awa", sex="F"), person("B", "Diallo", "Awa", sex="M")) is None


def test_compare_is_symmetric_and_ordered():
    a, b = person("Z9", "Diallo", "Mamadou"), person("A1", "Jallow", "Mamadu")
    m1, m2 = compare(a, b), compare(b, a)
    assert m1 == m2
    assert (m1.a, m1.b) == ("A1", "Z9")
    assert compare(a, a) is None  # the same record is not its own duplicate


def test_candidates_ranks_the_closest_first():
    new = person("N", "Diallo", "Mamadou Ibrahima", phones=["+22376000009"])
    others = [
        person("1", "Diallo", "Mamadou", born=None, year=1990),
        person("2", "Jallow", "Mamadu Ibrahima", phones=["+22376000009"]),
        person("3", "Diallo", "Mamadou", born=date(1975, 1, 2)),
        person("N", "Diallo", "Mamadou Ibrahima"),  # the person itself is skipped
    ]
    ranked = candidates(new, others)
    assert [m.b if m.a == "N" else m.a for m in ranked] == ["2", "1"]
    assert ranked[0].score >= ranked[1].score


# --------------------------------------------------------------------------- whole register


def _small_register():
    return [
        person("p1", "Diallo", "Mamadou"),
        person("p2", "Jallow", "Mamadu"),
        person("p3", "Mamadou", "Diallo", born=None, year=1990),
        person("p4", "Diallo", "Mamadou", born=date(1975, 1, 2)),
        person("p5", "Ndiaye", "Fatou", sex="F", born=date(1988, 2, 3), phones=["+221770000003"]),
        person("p6", "N'Diaye", "Fatou", sex="F", born=None, phones=["+221770000003"]),
        person("p7", "Ndiaye", "Moussa", born=date(2005, 8, 1), phones=["+221770000003"]),
        person("p8", "Kaboré", "Rasmané", born=date(1979, 4, 5), nid="B1234567", country="BF"),
        person("p9", "Kabore", "Rasmane", born=date(1979, 5, 4), nid="B1234567", country="BF"),
    ]


def test_find_duplicates_small_register():
    found = find_duplicates(_small_register())
    pairs = {(m.a, m.b) for m in found}
    assert {("p1", "p2"), ("p1", "p3"), ("p2", "p3"), ("p5", "p6"), ("p8", "p9")} <= pairs
    assert not {p for p in pairs if "p4" in p or "p7" in p}


def test_find_duplicates_pairs_once_sorted_scores_in_range():
    reg = generate(1500, seed=11)
    found = find_duplicates(reg.people)
    keys = [(m.a, m.b) for m in found]
    assert len(keys) == len(set(keys))
    assert all(a < b for a, b in keys)
    assert all(0.0 <= m.score <= 1.0 for m in found)
    assert [(-m.score, m.a, m.b) for m in found] == sorted((-m.score, m.a, m.b) for m in found)


def test_find_duplicates_is_deterministic_whatever_the_input_order():
    reg = generate(1500, seed=12)
    shuffled = reg.people[:]
    random.Random(3).shuffle(shuffled)
    assert find_duplicates(reg.people) == find_duplicates(shuffled) == find_duplicates(reversed(shuffled))


def test_big_block_of_namesakes_is_not_quadratic():
    # 4,000 "Mamadou Diallo" born on different days: one huge name block.
    rnd = random.Random(5)
    people = [
        person(f"m{i:05d}", born=date(1960, 1, 1).fromordinal(date(1960, 1, 2).toordinal() + rnd.randrange(45 * 365)))
        for i in range(4000)
    ]
    start = time.perf_counter()
    found = find_duplicates(people)
    assert time.perf_counter() - start < 20
    # Near dates among thousands of namesakes are ambiguous, not duplicates; only exact
    # same dates (a handful) remain.
    assert len(found) < 200


def test_recall_and_precision_on_a_synthetic_register(capsys):
    reg = generate(4000, seed=2024)
    start = time.perf_counter()
    found = find_duplicates(reg.people)
    seconds = time.perf_counter() - start
    metrics = evaluate(found, reg.true_pairs)
    with capsys.disabled():
        print(
            f"\n[dedup] {len(reg.people)} people, {metrics['true_pairs']} true pairs, "
            f"{metrics['found_pairs']} found: precision {metrics['precision']:.3f}, "
            f"recall {metrics['recall']:.3f}, F1 {metrics['f1']:.3f} in {seconds:.2f}s"
        )
    assert metrics["recall"] >= 0.95
    assert metrics["precision"] >= 0.95


def test_synthetic_register_is_seeded_and_plants_every_kind():
    a, b = generate(800, seed=4), generate(800, seed=4)
    assert a.people == b.people and a.true_pairs == b.true_pairs
    assert generate(800, seed=5).people != a.people
    kinds = {k for ks in a.kinds.values() for k in ks}
    assert {"respell", "swap", "year_only", "same_phone", "same_national_id", "typo"} <= kinds
    assert {"sibling_shared_phone", "namesake_other_year"} <= set(a.near_misses)
    ids = [p.id for p in a.people]
    assert len(ids) == len(set(ids))
    assert all(x in ids and y in ids and x < y for x, y in a.true_pairs)


def test_dedup_module_is_pure():
    path = Path(__file__).resolve().parents[2] / "app" / "jobseekers" / "dedup.py"
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('dedup', {str(path)!r})\n"
        "mod = importlib.util.module_from_spec(spec); sys.modules['dedup'] = mod\n"
        "spec.loader.exec_module(mod)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'app')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- properties

_NAMES = ["Mamadou", "Aïssatou", "Diallo", "Traoré", "N'Diaye", "Koné", "Fatoumata", "Ouédraogo", "Jean", "Mbarga"]
_name = st.one_of(
    st.sampled_from(_NAMES),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèï' -", min_size=1, max_size=12).filter(lambda t: normalise_name(t)),
)
_first = st.lists(_name, min_size=1, max_size=3).map(" ".join)
_births = st.one_of(
    st.dates(date(1940, 1, 1), date(2010, 12, 31)).map(lambda d: (d, d.year)),
    st.integers(1940, 2010).map(lambda y: (None, y)),
    st.just((None, None)),
)
_people = st.builds(
    lambda pid, last, first, sex, birth, phones, nid: Person(
        pid, last, first, sex, birth[0], birth[1], tuple(phones), nid, "SN" if nid else None
    ),
    st.text(alphabet="abc0123", min_size=1, max_size=4),
    _name,
    _first,
    st.sampled_from(["F", "M", None]),
    _births,
    st.lists(st.sampled_from(["+221770000001", "+221770000002"]), max_size=2, unique=True),
    st.one_of(st.none(), st.sampled_from(["1234567890123", "1234567890124"])),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_people, _people)
def test_compare_is_symmetric(a, b):
    m1, m2 = compare(a, b), compare(b, a)
    assert m1 == m2
    if m1 is not None:
        assert 0.0 <= m1.score <= 1.0 and m1.a < m1.b


@settings(max_examples=300, deadline=None)
@given(_people)
def test_exact_copy_under_a_new_id_always_matches(p):
    # Words such as "née" or "épouse" are not names: a "name" made only of them gives no key.
    assume(name_keys(p.last_name, p.first_names))
    # A name alone is never enough: an exact copy needs a birth year, a phone or an ID.
    if p.birth_year is None and not p.phones and not p.national_id:
        p = Person(p.id, p.last_name, p.first_names, p.sex, None, 1990)
    copy = Person("copy-" + p.id, p.last_name, p.first_names, p.sex, p.birth_date, p.birth_year, p.phones,
                  p.national_id, p.national_id_country)
    m = compare(p, copy)
    assert m is not None and m.score >= DEFAULT_THRESHOLD


def test_a_name_of_filler_words_only_gives_no_key_and_no_error():
    assert name_keys("Née", "Épouse") == set()
    nobody = Person("1", "Née", "Épouse", "F", None, 1990)
    assert compare(nobody, Person("2", "Née", "Épouse", "F", None, 1990)) is None
