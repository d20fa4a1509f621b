"""The cells of an offers file, read by type: texts, numbers, amounts, dates and the words
employers and partner services write for contracts and salary periods, in French or English.

pandas reads every cell as text (``read_table``), so a spreadsheet's number and date cells
arrive as "3.0" or "2026-09-30 00:00:00", and amounts as people type them ("150 000",
"1.500,50", "150,000"); each is read here into the value an offer holds.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from unidecode import unidecode

from app.offers.models import ContractType
from app.reference.vocab import CURRENCIES, ISCED_LEVELS, SALARY_PERIODS

_CONTRACT_WORDS = {
    ContractType.PERMANENT: ("cdi", "contrat a duree indeterminee", "duree indeterminee", "open ended"),
    ContractType.FIXED_TERM: ("fixed term", "cdd", "contrat a duree determinee", "duree determinee",
                              "temporary", "temporaire"),
    ContractType.SEASONAL: ("saisonnier", "saisonniere", "saison", "season"),
    ContractType.INTERNSHIP: ("stage", "stagiaire", "intern"),
    ContractType.APPRENTICESHIP: ("apprentissage", "apprenti", "apprentice"),
    ContractType.DAILY: ("journalier", "journaliere", "a la tache", "tache", "task work", "daily or task work",
                         "day labour", "occasionnel"),
}
_PERIOD_WORDS = {
    "month": ("monthly", "mois", "mensuel", "par mois"), "day": ("daily", "jour", "journalier", "par jour"),
    "hour": ("hourly", "heure", "horaire", "par heure"), "task": ("tache", "a la tache", "par tache"),
}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_INTEGER = re.compile(r"(\d+)(?:\.0+)?")
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
_ISCED = re.compile(r"(?:isced|cite)?\s*(\d)")
MAX_AMOUNT = 10**11


def norm(text: str) -> str:
    """Lower case, no accents, any run of separators as one space: how words are compared."""
    return " ".join(re.sub(r"[-_/'.,;:]+", " ", unidecode(text).lower()).split())


def _words(table: dict[Any, tuple[str, ...]]) -> dict[str, str]:
    """Each value and each of its words, normalised, mapped to the value."""
    return {norm(word): str(value) for value, words in table.items() for word in (str(value), *words)}


CONTRACTS = _words(_CONTRACT_WORDS)
PERIODS = _words({period: _PERIOD_WORDS.get(period, ()) for period in SALARY_PERIODS})


class Cells:
    """One row's cells, read by type. A cell that cannot be read adds a translated problem
    and reads as None, so that every problem of the row is reported at once."""

    def __init__(self, record: dict[str, Any]):
        self.record = record
        self.problems: list[str] = []

    def raw(self, column: str) -> str:
        return str(self.record.get(column, "") or "").strip()

    def text(self, column: str, limit: int, required: bool = False) -> str | None:
        value = self.raw(column)
        if required and not value:
            self.problems.append(_("The column %(column)s is empty.", column=column))
        if len(value) > limit:
            self.problems.append(_("The column %(column)s is longer than %(n)d characters.", column=column, n=limit))
            return None
        return value or None

    def integer(self, column: str, low: int, high: int) -> int | None:
        value = self.raw(column)
        match = _INTEGER.fullmatch(value)  # "3.0": a number cell of a spreadsheet
        if match and low <= int(match.group(1)) <= high:
            return int(match.group(1))
        if value:
            self.problems.append(_("The column %(column)s must hold a whole number from %(low)d to %(high)d.",
                                   column=column, low=low, high=high))
        return None

    def amount(self, column: str) -> Decimal | None:
        value = re.sub(r"[\s\u00a0\u202f']", "", self.raw(column))
        if not value:
            return None
        if _THOUSANDS.fullmatch(value):  # 150,000 (English thousands)
            value = value.replace(",", "")
        elif "," in value:  # 150 000,50 or 1.500,50 (French decimal comma)
            value = value.replace(".", "").replace(",", ".")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT:
            self.problems.append(_("The column %(column)s must hold an amount.", column=column))
            return None
        return amount

    def day(self, column: str) -> date | None:
        value = self.raw(column).removesuffix(" 00:00:00")  # a date cell of a spreadsheet
        for pattern in _DATE_FORMATS if value else ():
            try:
                return datetime.strptime(value, pattern).date()
            except ValueError:
                continue
        if value:
            self.problems.append(_("The column %(column)s must hold a date (DD/MM/YYYY or YYYY-MM-DD).",
                                   column=column))
        return None

    def contract(self) -> str | None:
        value = self.raw("contract_type")
        if not value:
            self.problems.append(_("The column %(column)s is empty.", column="contract_type"))
        elif norm(value) not in CONTRACTS:
            self.problems.append(_("Unknown contract type %(value)s (CDI, CDD, saisonnier, stage, apprentissage, "
                                   "journalier).", value=value))
        return CONTRACTS.get(norm(value))

    def period(self) -> str | None:
        value = self.raw("salary_period")
        if value and norm(value) not in PERIODS:
            self.problems.append(_("Unknown salary period %(value)s (month, day, hour or task).", value=value))
        return PERIODS.get(norm(value))

    def currency(self, column: str, home: str | None) -> str | None:
        """A currency code; "FCFA" is the CFA franc of the employer's country, ``home`` (XOF or XAF)."""
        value = self.raw(column).upper()
        if value.replace(" ", "") in ("FCFA", "CFA") and home in ("XOF", "XAF"):
            value = home
        if value and value not in CURRENCIES:
            self.problems.append(_("Unknown currency %(value)s (%(known)s).", value=self.raw(column),
                                   known=", ".join(CURRENCIES)))
            return None
        return value or None

    def education(self) -> str | None:
        value = self.raw("education_level")
        match = _ISCED.fullmatch(norm(value)) if value else None
        if value and (match is None or match.group(1) not in ISCED_LEVELS):
            self.problems.append(_("The education level must be an ISCED level from 0 to 8."))
            return None
        return match.group(1) if match else None
