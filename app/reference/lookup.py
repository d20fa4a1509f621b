"""Cached reads of the reference: the occupation coder and locale-aware labels.

The coder is derived state, built from the database on first use in each worker and
rebuilt when a newer ``ReferenceLoad`` row shows that the reference changed.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

import sqlalchemy as sa

from app.extensions import db
from app.reference.models import (
    Occupation, OccupationSkill, ReferenceLoad, Skill, Specialisation, Title,
)

if TYPE_CHECKING:  # the coder pulls in scikit-learn: import it only when first needed
    from app.reference.coding import Entry, OccupationCoder

_lock = threading.Lock()
_cache: dict[str, object] = {"stamp": None, "coder": None}


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


def coder_entries() -> list["Entry"]:
    """Every text the coder learns from, read from the database.

    Mirrors :func:`app.reference.coding.entries_from_csv`, so that the benchmark measures
    the coder the application runs.
    """
    from app.reference.coding import Entry

    entries: list[Entry] = []
    for code, label_fr, label_en in db.session.execute(
            sa.select(Occupation.code, Occupation.label_fr, Occupation.label_en)):
        entries.append(Entry(code, label_fr, "fr", "occupation"))
        if label_en:
            entries.append(Entry(code, label_en, "en", "occupation"))
    for occupation, label_fr, alts, label_en in db.session.execute(
            sa.select(Title.occupation_code, Title.label_fr, Title.alt_labels_fr, Title.label_en)):
        entries.append(Entry(occupation, label_fr, "fr", "title"))
        entries.extend(Entry(occupation, alt, "fr", "title") for alt in _split(alts))
        entries.extend(Entry(occupation, text, "en", "title") for text in _split(label_en))
    for occupation, label_fr in db.session.execute(
            sa.select(Specialisation.occupation_code, Specialisation.label_fr)):
        entries.append(Entry(occupation, label_fr, "fr", "specialisation"))
    # Skills carry domain words that titles lack ("pisciculture", "merrain").
    for occupation, label_fr in db.session.execute(
            sa.select(OccupationSkill.occupation_code, Skill.label_fr).join(Skill)):
        entries.append(Entry(occupation, label_fr, "fr", "skill"))
    return entries


def _stamp() -> int | None:
    return db.session.scalar(sa.select(sa.func.max(ReferenceLoad.id)))


def get_coder() -> "OccupationCoder | None":
    """The occupation coder for the current reference, or None when none is loaded."""
    stamp = _stamp()
    if stamp is None:
        return None
    if _cache["stamp"] != stamp:
        with _lock:
            if _cache["stamp"] != stamp:
                from app.reference.coding import OccupationCoder

                _cache["coder"] = OccupationCoder.build(coder_entries())
                _cache["stamp"] = stamp
                occupation_labels.cache_clear()
    return _cache["coder"]  # type: ignore[return-value]


@lru_cache(maxsize=4)
def occupation_labels(language: str) -> dict[str, str]:
    """Fiche code → label in ``language`` (French when no English label exists)."""
    rows = db.session.execute(sa.select(Occupation.code, Occupation.label_fr, Occupation.label_en))
    return {code: (label_en if language == "en" and label_en else label_fr) for code, label_fr, label_en in rows}
