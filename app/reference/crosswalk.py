"""ISCO-08 (and ESCO) codes to ROAME fiches, through the weighted ``occupation_isco`` table.

Partner employment services publish offers coded in ISCO-08 or ESCO. An ESCO occupation
code is its ISCO-08 unit group followed by dotted digits ("7112.1"), so both reduce to the
ISCO code. The crosswalk only proposes fiches: an agent confirms the mapping.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.i18n import localised_label
from app.reference.models import IscoGroup, Occupation, OccupationIsco

_ISCO = re.compile(r"^\s*(?:isco(?:-?08)?\s*[:\s]\s*)?(\d{1,4})(?:\.\d+)*\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class FicheMatch:
    code: str
    label: str
    share: float  # the share of the fiche that falls in this ISCO group


def parse_isco(text: str | None) -> str | None:
    """The ISCO-08 code in ``text`` ("7112", "ISCO-08 7112", ESCO "7112.1"), or None."""
    match = _ISCO.match(text or "")
    return match.group(1) if match else None


def isco_group(code: str) -> IscoGroup | None:
    return db.session.get(IscoGroup, code)


def fiches_for_isco(code: str, limit: int = 8) -> list[FicheMatch]:
    """The fiches linked to an ISCO-08 group, most typical first.

    A unit group (4 digits) is looked up as is; a broader group (1 to 3 digits) gathers
    its unit groups, each fiche keeping its largest share.
    """
    condition = OccupationIsco.isco_code == code if len(code) == 4 else OccupationIsco.isco_code.like(f"{code}%")
    rows = db.session.execute(
        sa.select(Occupation, sa.func.max(OccupationIsco.share).label("share"))
        .join(OccupationIsco, OccupationIsco.occupation_code == Occupation.code)
        .where(condition).group_by(Occupation.code)
        .order_by(sa.desc("share"), Occupation.code).limit(limit)).all()
    return [FicheMatch(occupation.code, localised_label(occupation), round(share, 3)) for occupation, share in rows]
