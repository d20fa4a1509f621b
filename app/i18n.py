"""Locale selection and locale-aware formatting shared by templates and services."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
import gettext
from functools import lru_cache

import pycountry
from babel import Locale
from flask import current_app, has_request_context, request, session
from flask_babel import (
    format_currency, format_date, format_datetime, format_decimal, format_percent, get_locale,
)
from flask_login import current_user

SESSION_KEY = "language"


def select_locale() -> str:
    """User preference first, then the visitor's session choice, then the browser."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get(SESSION_KEY) in languages:
        return session[SESSION_KEY]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str | None:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


@lru_cache(maxsize=8)
def _territories(language: str) -> dict[str, str]:
    return dict(Locale.parse(language).territories)


def country_names(language: str | None = None) -> dict[str, str]:
    """Every ISO alpha-2 country (not CLDR's regions such as "419") with its name."""
    return {code: name for code, name in _territories(language or current_language()).items()
            if len(code) == 2 and code.isalpha()}


def country_name(code: str | None, language: str | None = None) -> str:
    """The country's name in the current language, from CLDR (Babel), never typed by hand."""
    if not code:
        return ""
    return _territories(language or current_language()).get(code.upper(), code)


@lru_cache(maxsize=8)
def _subdivision_names(language: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def region_name(name: str, language: str | None = None) -> str:
    """An ISO 3166-2 region name in the current language (pycountry's translations)."""
    return _subdivision_names(language or current_language()).gettext(name)


def localised_label(obj, field: str = "label") -> str:
    """``obj.label_<lang>`` for the current language, falling back to French."""
    value = getattr(obj, f"{field}_{current_language()}", None)
    return value or getattr(obj, f"{field}_fr", "") or ""


def format_money(amount: Decimal | float | int | None, currency: str) -> str:
    """An amount in XOF, XAF, EUR, … with the locale's digits and the currency's decimals."""
    if amount is None:
        return ""
    return format_currency(amount, currency)


def format_number(value: float | int | None) -> str:
    return "" if value is None else format_decimal(value)


def format_share(value: float | None) -> str:
    """A share in [0, 1] as a whole percentage, with the locale's sign and spacing."""
    return "" if value is None else format_percent(value)


def format_date_short(value: date | datetime | None) -> str:
    return "" if value is None else format_date(value, "medium")


def format_datetime_short(value: datetime | None) -> str:
    return "" if value is None else format_datetime(value, "short")
