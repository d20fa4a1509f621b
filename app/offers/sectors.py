"""Activity sectors: the 21 sections of ISIC Rev.4 (A to U).

Only the sections, not the 88 divisions: no maintained package publishes the divisions with
French labels, and a sector is used to group employers and read statistics, for which the
section is enough. ``Employer.sector`` stores the section letter.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

SECTIONS = {
    "A": _l("Agriculture, forestry and fishing"),
    "B": _l("Mining and quarrying"),
    "C": _l("Manufacturing"),
    "D": _l("Electricity, gas, steam and air conditioning supply"),
    "E": _l("Water supply, sewerage, waste management and remediation"),
    "F": _l("Construction"),
    "G": _l("Wholesale and retail trade; repair of motor vehicles and motorcycles"),
    "H": _l("Transportation and storage"),
    "I": _l("Accommodation and food service activities"),
    "J": _l("Information and communication"),
    "K": _l("Financial and insurance activities"),
    "L": _l("Real estate activities"),
    "M": _l("Professional, scientific and technical activities"),
    "N": _l("Administrative and support service activities"),
    "O": _l("Public administration and defence; compulsory social security"),
    "P": _l("Education"),
    "Q": _l("Human health and social work activities"),
    "R": _l("Arts, entertainment and recreation"),
    "S": _l("Other service activities"),
    "T": _l("Activities of households as employers"),
    "U": _l("Activities of extraterritorial organisations and bodies"),
}


def sector_label(code: str | None) -> str:
    """``F · Construction`` for a section letter; the raw code if it is not a section."""
    if not code:
        return ""
    title = SECTIONS.get(code.upper())
    return f"{code.upper()} · {title}" if title is not None else code


def sector_choices() -> list[tuple[str, str]]:
    return [(code, sector_label(code)) for code in SECTIONS]
