"""Countries and their first-level regions, from ISO 3166 (pycountry) and CLDR (Babel)."""
from __future__ import annotations

import pycountry
import sqlalchemy as sa
from babel.numbers import get_territory_currencies

from app.auth.models import Country, CountryKind, Region
from app.extensions import db

# The eight UEMOA states, then Cameroon and Guinea.
PES_COUNTRIES = ("BJ", "BF", "CI", "GW", "ML", "NE", "SN", "TG", "CM", "GN")
# Usual destinations of labour migration from the region.
DESTINATION_COUNTRIES = (
    "FR", "ES", "IT", "DE", "BE", "PT", "GB", "CA", "US", "MA", "TN", "DZ", "MR", "GA", "GQ",
    "CG", "NG", "GH", "SA", "AE", "QA", "KW", "LB", "TR",
)


def _currency(code: str) -> str:
    currencies = get_territory_currencies(code)
    return currencies[0] if currencies else "XOF"


def _top_regions(country: str) -> list:
    subdivisions = pycountry.subdivisions.get(country_code=country) or []
    top = [s for s in subdivisions if not s.parent_code]
    return sorted(top, key=lambda s: s.code)


def load_countries() -> dict[str, int]:
    """Insert or update the supported countries and, for PES countries, their regions.

    Idempotent: returns how many rows were created or changed (0 on a second run).
    """
    changed = {"countries": 0, "regions": 0}
    existing = {c.code: c for c in db.session.scalars(sa.select(Country))}
    wanted = [(c, CountryKind.PES) for c in PES_COUNTRIES]
    wanted += [(c, CountryKind.DESTINATION) for c in DESTINATION_COUNTRIES]
    for code, kind in wanted:
        currency = _currency(code)
        country = existing.get(code)
        if country is None:
            db.session.add(Country(code=code, kind=kind.value, currency=currency))
            changed["countries"] += 1
        elif (country.kind, country.currency) != (kind.value, currency):
            country.kind, country.currency = kind.value, currency
            changed["countries"] += 1
    db.session.flush()
    regions = {r.code: r for r in db.session.scalars(sa.select(Region))}
    for code in PES_COUNTRIES:
        for sub in _top_regions(code):
            region = regions.get(sub.code)
            if region is None:
                db.session.add(Region(code=sub.code, country_code=code, name=sub.name))
                changed["regions"] += 1
            elif region.name != sub.name:
                region.name = sub.name
                changed["regions"] += 1
    db.session.flush()
    return changed
