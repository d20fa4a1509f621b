"""Normalising what people give at the counter: names, phone numbers, national IDs, birth dates."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import phonenumbers
from unidecode import unidecode

_SPACES = re.compile(r"\s+")
_ID_NOISE = re.compile(r"[\s.\-/]")


def clean_name(text: str) -> str:
    """Trim and collapse spaces; keep the person's own spelling and accents."""
    return _SPACES.sub(" ", (text or "").strip())


def search_key(last_name: str, first_names: str) -> str:
    """Lower-case, accent-free ``last first`` used for plain substring search."""
    text = unidecode(f"{last_name} {first_names}").lower()
    return _SPACES.sub(" ", re.sub(r"[^a-z0-9 ]+", " ", text)).strip()


def parse_phone(value: str, region: str) -> str:
    """An E.164 number, the agency's country being the default region.

    :raises ValueError: when the number is not a valid one.
    """
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("invalid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalise_national_id(value: str | None) -> str | None:
    """Upper case without spaces, dots, dashes or slashes; None when empty."""
    cleaned = _ID_NOISE.sub("", (value or "").upper())
    return cleaned or None


def mask_national_id(value: str | None) -> str:
    """Only the last four characters: logs and lists never show a full national ID."""
    if not value:
        return ""
    return "•" * max(0, len(value) - 4) + value[-4:]


@dataclass(frozen=True)
class IdFormat:
    pattern: str
    example: str


# National ID formats checked where they are known; other types are only normalised.
ID_FORMATS: dict[tuple[str, str], IdFormat] = {
    ("SN", "cni"): IdFormat(r"\d{13}|\d{17}", "1 751 1990 00123 / ECOWAS card 17 digits"),
    ("ML", "nina"): IdFormat(r"\d{14}[A-Z]|\d{15}", "NINA: 14 digits and a letter"),
    ("BJ", "npi"): IdFormat(r"\d{10}", "NPI: 10 digits"),
    ("CI", "cni"): IdFormat(r"C\d{10}|CI\d{9,10}", "C0012345678"),
    ("BF", "cnib"): IdFormat(r"B\d{7,8}|\d{8,17}", "B1234567"),
    ("CM", "cni"): IdFormat(r"\d{9}|\d{17}", "9 or 17 digits"),
    ("*", "passport"): IdFormat(r"[A-Z0-9]{6,9}", "A1234567"),
}
ID_TYPES = ("cni", "nina", "npi", "cnib", "passport", "consular", "birth_certificate", "other")


def check_national_id(country: str, id_type: str, value: str) -> bool:
    """Whether a normalised ID fits the known format for that country and type (True when unknown)."""
    fmt = ID_FORMATS.get((country, id_type)) or ID_FORMATS.get(("*", id_type))
    return fmt is None or re.fullmatch(fmt.pattern, value) is not None


def parse_birth(value: str) -> tuple[date | None, int | None]:
    """A birth date given as ``YYYY-MM-DD``, ``DD/MM/YYYY`` or a year alone.

    Returns ``(date, year)``; the date is None when only the year is known.
    :raises ValueError: when the value is neither.
    """
    text = (value or "").strip()
    if re.fullmatch(r"\d{4}", text):
        year = int(text)
        if not 1900 <= year <= date.today().year:
            raise ValueError(text)
        return None, year
    for pattern, order in ((r"(\d{4})-(\d{1,2})-(\d{1,2})", "ymd"), (r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", "dmy")):
        match = re.fullmatch(pattern, text)
        if match:
            parts = dict(zip(order, map(int, match.groups())))
            born = date(parts["y"], parts["m"], parts["d"])
            if born > date.today() or born.year < 1900:
                raise ValueError(text)
            return born, born.year
    raise ValueError(text)
