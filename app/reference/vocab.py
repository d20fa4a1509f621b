"""Small shared vocabularies of profiles and offers: education levels (ISCED 2011),
languages and levels, driving licence categories, salary periods and currencies.

Job-seekers and offers use the same codes, so that matching compares like with like.
Language names come from pycountry's ISO 639-3 data and its translations, never typed by hand.
"""
from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry
from flask_babel import lazy_gettext as _l

from app.i18n import current_language

# ISCED 2011 levels of attainment, "0" to "8".
ISCED_LEVELS = {
    "0": _l("No schooling or early childhood education"),
    "1": _l("Primary education"),
    "2": _l("Lower secondary education"),
    "3": _l("Upper secondary education (baccalauréat)"),
    "4": _l("Post-secondary non-tertiary education"),
    "5": _l("Short-cycle tertiary education (BTS, DUT)"),
    "6": _l("Bachelor's or equivalent (licence)"),
    "7": _l("Master's or equivalent"),
    "8": _l("Doctorate"),
}

# Languages of the region first, then the usual languages of work and migration (ISO 639-3).
LANGUAGE_CODES = (
    "fra", "eng", "ara", "por", "spa", "deu", "ita",
    "wol", "srr", "dyo", "fuc", "fuf", "ful", "snk", "mnk", "bam", "dyu", "sef", "mos", "bib", "dje",
    "ses", "tmh", "hau", "kau", "fon", "yor", "ewe", "gej", "bci", "sus", "emk", "ewo", "bas", "dua", "bum",
)

LANGUAGE_LEVELS = {
    "basic": _l("Basic"),
    "intermediate": _l("Intermediate"),
    "fluent": _l("Fluent"),
    "native": _l("Mother tongue"),
}
LANGUAGE_LEVEL_RANK = {"basic": 1, "intermediate": 2, "fluent": 3, "native": 4}

# Categories of the ECOWAS harmonised driving licence, as the national licences print them.
DRIVING_LICENCES = ("A1", "A", "B", "C", "D", "E", "F")
DRIVING_LICENCE_TITLES = {
    "A1": _l("A1: light motorcycle"), "A": _l("A: motorcycle"), "B": _l("B: car"),
    "C": _l("C: lorry"), "D": _l("D: bus"), "E": _l("E: with trailer"), "F": _l("F: agricultural vehicle"),
}

SALARY_PERIODS = {
    "hour": _l("per hour"), "day": _l("per day"), "month": _l("per month"), "task": _l("per task"),
}
CURRENCIES = ("XOF", "XAF", "GNF", "EUR", "USD")


@lru_cache(maxsize=8)
def _language_translations(language: str) -> gettext.NullTranslations:
    return gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def language_name(code: str | None, language: str | None = None) -> str:
    """The name of an ISO 639-3 language in the reader's language (pycountry's translations)."""
    if not code:
        return ""
    record = pycountry.languages.get(alpha_3=code)
    if record is None:
        return code
    return _language_translations(language or current_language()).gettext(record.name)


def language_choices() -> list[tuple[str, str]]:
    """The project's languages as (code, name), in the order of ``LANGUAGE_CODES``."""
    return [(code, language_name(code)) for code in LANGUAGE_CODES]
