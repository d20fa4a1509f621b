"""Official registration numbers of employers, named as each PES country names them, and the
legal forms of the OHADA Uniform Act on commercial companies.

Every country of the OHADA area keeps a trade register (RCCM); the tax number has a different
name and format in each. Where a format is known from an official or well-sourced description,
the number must fit it; otherwise only its length and characters are checked, so that a guess
of ours never turns away a real employer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

_SEPARATORS = re.compile(r"[\s./\\_,:;-]+")


@dataclass(frozen=True)
class Scheme:
    code: str  # stored in EmployerRegistration.scheme
    label: str  # what the country calls it (lazy, translated)
    pattern: str  # a full match on the normalised number
    example: str  # shown under the field
    verified: bool  # False: only length and characters, the exact format is not known to us


# OHADA trade register: country, registry town, year, a letter for the kind of entry, a sequence.
# Each registry writes it its own way (RB/COT/18 B 21345, SN.DKR.2015.B.12345, RC/YAO/2015/B/123),
# so only the parts are checked: letters, digits and separators, 5 to 40 characters.
RCCM = Scheme("rccm", _l("RCCM (trade register)"), r"[A-Z0-9]+(-[A-Z0-9]+)*", "SN-DKR-2015-B-12345", False)
# Loose check for the tax numbers whose format we could not confirm.
_LOOSE = r"[A-Z0-9]+(-[A-Z0-9]+)*"

SCHEMES: dict[str, tuple[Scheme, ...]] = {
    # NINEA: 7 digits (9 in the newer series), often followed by the 3-character tax code (COFI):
    # a digit 0-2, a letter for the tax centre, a digit for the legal form.
    "SN": (RCCM, Scheme("ninea", _l("NINEA"), r"\d{7}(\d{2})?([0-2][A-Z]\d)?", "0012345 2G3", True)),
    # IFU Benin: 13 digits, the first (1-6) the kind of taxpayer, then the year of attribution.
    "BJ": (RCCM, Scheme("ifu", _l("IFU (single tax identifier)"), r"[1-6]\d{12}", "3202400012317", True)),
    # IFU Burkina Faso: 8 digits and a check letter.
    "BF": (RCCM, Scheme("ifu", _l("IFU (single financial identifier)"), r"\d{8}[A-Z]", "00012345A", True)),
    # NIU Cameroon: P (person) or M (company), 12 digits, a letter. Source: a tax adviser quoted
    # in the press, not the DGI's own text.
    "CM": (RCCM, Scheme("niu", _l("NIU (single identifier number)"), r"[PM]\d{12}[A-Z]", "M041500012345B", True)),
    # Compte contribuable: 7 digits and a letter (the DGI of Côte d'Ivoire says so).
    "CI": (RCCM, Scheme("ncc", _l("Taxpayer account number (compte contribuable)"), r"\d{7}[A-Z]",
                        "0123456A", True)),
    # NIF Togo: 10 digits (the OTR's published lists).
    "TG": (RCCM, Scheme("nif", _l("NIF (tax identification number)"), r"\d{10}", "1000123456", True)),
    # NIFp Guinea: 9 digits, the last a Luhn check digit (the DGI of Guinea's specification).
    "GN": (RCCM, Scheme("nifp", _l("NIF (permanent tax identification number)"), r"\d{9}", "123-456-782", True)),
    # Guesses: Mali, Niger and Guinea-Bissau call it NIF; its format is not known to us.
    "ML": (RCCM, Scheme("nif", _l("NIF (tax identification number)"), _LOOSE, "", False)),
    "NE": (RCCM, Scheme("nif", _l("NIF (tax identification number)"), _LOOSE, "", False)),
    "GW": (RCCM, Scheme("nif", _l("NIF (tax identification number)"), _LOOSE, "", False)),
}

# An employer based outside the PES countries: one number, as its own country gives it.
FOREIGN = Scheme("foreign", _l("Registration number in the country of the seat"), _LOOSE, "", False)

MIN_LENGTH, MAX_LENGTH = 5, 40


def schemes_for(country: str | None) -> tuple[Scheme, ...]:
    """The registration numbers asked of an employer based in ``country``."""
    return SCHEMES.get((country or "").upper(), (FOREIGN,))


def scheme_label(code: str, country: str | None = None) -> str:
    """What ``country`` calls the scheme ``code`` (the first country using it otherwise)."""
    for scheme in schemes_for(country):
        if scheme.code == code:
            return str(scheme.label)
    for schemes in (*SCHEMES.values(), (FOREIGN,)):
        for scheme in schemes:
            if scheme.code == code:
                return str(scheme.label)
    return code.upper()


def normalise_number(value: str | None) -> str:
    """Upper case, any run of separators written as one dash: the stored form."""
    return _SEPARATORS.sub("-", (value or "").strip().upper()).strip("-")


def compact_number(value: str | None) -> str:
    """Letters and digits only: the form compared when looking for a number already registered."""
    return normalise_number(value).replace("-", "")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def check_number(scheme: Scheme, number: str) -> bool:
    """Whether a normalised number fits the scheme: its format where known, else its length and
    characters (with at least one digit: a number made only of letters is a slip)."""
    compact = number.replace("-", "")
    if scheme.verified:
        fits = re.fullmatch(scheme.pattern, compact) is not None
        return fits and (scheme.code != "nifp" or _luhn_ok(compact))
    return (MIN_LENGTH <= len(compact) <= MAX_LENGTH and any(c.isdigit() for c in compact)
            and re.fullmatch(scheme.pattern, number) is not None)


# Legal forms of the OHADA Uniform Act on commercial companies and economic interest groups,
# plus the usual non-commercial employers.
LEGAL_FORMS = {
    "ei": _l("Sole proprietorship (entreprise individuelle)"),
    "sarl": _l("SARL (private limited company)"),
    "suarl": _l("SARLU (single-member limited company)"),
    "sa": _l("SA (public limited company)"),
    "sas": _l("SAS (simplified joint-stock company)"),
    "snc": _l("SNC (general partnership)"),
    "scs": _l("SCS (limited partnership)"),
    "gie": _l("GIE (economic interest group)"),
    "coop": _l("Cooperative"),
    "association": _l("Association or NGO"),
    "public": _l("Public body or state-owned company"),
    "foreign": _l("Company under foreign law"),
    "other": _l("Other"),
}
