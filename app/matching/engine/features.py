"""Pair features: what the score needs to know about each seeker-offer pair, vectorised.

One query compares one side (a :class:`SeekerView` or an :class:`OfferView`) with every
row of a block of the other side. Set intersections become sparse look-ups: the offer's
skills select columns of the seekers' CSC matrix, and a ``bincount`` over the rows found
counts each seeker's covered skills; in the other direction the seeker's skills select
columns of the offers' matrix. Both directions produce the same :class:`PairFeatures`, from
which ``scoring.py`` computes the factors with one set of formulas.

Features hold raw facts (levels, counts, years, codes), never parameter values, so the
index does not depend on the settings.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np

from .blocks import YEARS_SHIFT, Block, column_entries
from .reference import LINKED, Reference

__all__ = ["LOCATIONS", "OfferView", "PairFeatures", "SeekerView", "SeekersQuery", "offer_features"]

# Location of a pair, national offers first, then international ones.
(OTHER_REGION, UNKNOWN_PLACE, MOBILITY_REGION, SAME_REGION, NOT_ABROAD, ABROAD_INTEREST, COUNTRY_WANTED,
 DOSSIER) = range(8)
LOCATIONS = ("other_region", "unknown", "mobility_region", "same_region", "not_abroad", "abroad_interest",
             "country_wanted", "dossier")


@dataclass(frozen=True)
class OfferView:
    """One offer's columns as scalars and small index arrays (the query side)."""

    id: int
    open: bool
    fiche: int
    core: np.ndarray
    other: np.ndarray
    languages_required: dict[int, int]
    languages_desirable: dict[int, int]
    education: int
    education_required: bool
    licence: int
    experience: int
    beginners: bool
    region: int
    international: bool
    destination: int
    salary_top: float
    currency: int
    start: int

    @classmethod
    def of(cls, block: Block, row: int) -> OfferView:
        d = {k: v[row].item() for k, v in block.dense.items()}
        required, desirable = (dict(zip(*map(np.ndarray.tolist, block.row_set(name, row))))
                               for name in ("languages_required", "languages_desirable"))
        return cls(id=d["ids"], open=d["open"], fiche=d["fiche"], core=block.row_set("core", row)[0],
                   other=block.row_set("other", row)[0], languages_required=required,
                   languages_desirable=desirable, education=d["education"],
                   education_required=d["education_required"], licence=d["licence"], experience=d["experience"],
                   beginners=d["beginners"], region=d["region"], international=d["international"],
                   destination=d["destination"], salary_top=d["salary_top"], currency=d["currency"],
                   start=d["start"])


@dataclass(frozen=True)
class SeekerView:
    """One seeker's columns as scalars and small index arrays (the query side)."""

    id: int
    eligible: bool
    fiches: np.ndarray
    years: np.ndarray  # stored years (plus YEARS_SHIFT), aligned with ``fiches``
    skills: np.ndarray
    languages: dict[int, int]
    education: int
    licences: int
    region: int
    mobility_regions: np.ndarray
    mobility_countries: np.ndarray
    dossier_countries: np.ndarray
    abroad: bool
    available: int
    salary: float
    currency: int

    @classmethod
    def of(cls, block: Block, row: int) -> SeekerView:
        d = {k: v[row].item() for k, v in block.dense.items()}
        fiches, years = block.row_set("occupations", row)
        languages = dict(zip(*map(np.ndarray.tolist, block.row_set("languages", row))))
        countries, kinds = block.row_set("countries", row)
        return cls(id=d["ids"], eligible=d["eligible"], fiches=fiches, years=years,
                   skills=block.row_set("skills", row)[0], languages=languages, education=d["education"],
                   licences=d["licences"], region=d["region"], mobility_regions=block.row_set("regions", row)[0],
                   mobility_countries=countries, dossier_countries=countries[kinds == 2], abroad=d["abroad"],
                   available=d["available"], salary=d["salary"], currency=d["currency"])


@dataclass
class PairFeatures:
    """Facts about pairs; each field is an array over the pairs or one shared scalar."""

    level: Any  # occupation level of the seeker's closest fiche (reference.LEVELS)
    years_same: Any  # years in the offer's fiche
    years_linked: Any  # most years in a fiche linked to the offer's
    experience_asked: Any
    beginners: Any
    core_covered: Any
    core_asked: Any
    other_covered: Any
    other_asked: Any
    education: Any
    education_asked: Any
    languages_full: Any  # desirable languages held at the level asked
    languages_partial: Any  # desirable languages held at a lower level
    languages_asked: Any
    location: Any  # LOCATIONS code
    available: Any  # day ordinal, 0: available now
    start: Any  # day ordinal, 0: no date to compare with
    salary: Any
    salary_top: Any
    same_currency: Any

    def at(self, positions: np.ndarray) -> PairFeatures:
        """The features of some pairs only (scalars stay shared)."""
        return PairFeatures(**{f.name: _at(getattr(self, f.name), positions) for f in fields(self)})

    def records(self, n: int) -> list[dict[str, Any]]:
        """The ``n`` pairs' features as plain Python values, one dict per pair (each array
        converted once, not element by element)."""
        columns = {f.name: _column(getattr(self, f.name), n) for f in fields(self)}
        return [dict(zip(columns, values)) for values in zip(*columns.values())]


def _at(value: Any, positions: np.ndarray) -> Any:
    return value[positions] if isinstance(value, np.ndarray) and value.ndim else value


def _column(value: Any, n: int) -> list[Any]:
    if isinstance(value, np.ndarray) and value.ndim:
        return value.tolist()
    return [value.item() if isinstance(value, np.generic) else value] * n


def _pick(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    return values if rows is None else values[rows]


def _hits(block: Block, name: str, columns: Any) -> np.ndarray:
    """For every row of ``block``, how many of ``columns`` its set column ``name`` holds."""
    rows, _ = column_entries(block.csc(name), np.asarray(columns).tolist())
    return np.bincount(rows, minlength=block.n)


class SeekersQuery:
    """One offer against one block of seekers.

    The sparse look-ups (skills covered, languages held, who would move to the region) are
    made once over the whole block and shared by every pass, since the index may score a
    few candidates first and the whole block after.
    """

    def __init__(self, block: Block, offer: OfferView, ref: Reference, as_of: int):
        self.block, self.offer, self.ref, self.as_of = block, offer, ref, as_of
        self.levels = ref.levels_to(offer.fiche)

    def rows_at_least(self, level: int) -> np.ndarray:
        """Rows of seekers with a fiche at least at ``level`` to the offer's, ascending."""
        fiches = np.flatnonzero(self.levels[:self.ref.size] >= level)
        found, _ = column_entries(self.block.csc("occupations"), fiches.tolist())
        mask = np.zeros(self.block.n, dtype=bool)
        mask[found] = True
        return np.flatnonzero(mask)

    @cached_property
    def core_hits(self) -> np.ndarray:
        return _hits(self.block, "skills", self.offer.core)

    @cached_property
    def other_hits(self) -> np.ndarray:
        return _hits(self.block, "skills", self.offer.other)

    @cached_property
    def languages_ok(self) -> np.ndarray | None:
        """Who holds every required language at the level asked (``None``: none required)."""
        if not self.offer.languages_required:
            return None
        ok = np.ones(self.block.n, dtype=bool)
        for language, level in self.offer.languages_required.items():
            holders, held = column_entries(self.block.csc("languages"), [language])
            enough = np.zeros(self.block.n, dtype=bool)
            enough[holders[held >= level]] = True
            ok &= enough
        return ok

    @cached_property
    def desirable(self) -> tuple[np.ndarray, np.ndarray]:
        """Per seeker, desirable languages held at the level asked, and at a lower one."""
        full = np.zeros(self.block.n, dtype=np.int32)
        partial = np.zeros(self.block.n, dtype=np.int32)
        for language, level in self.offer.languages_desirable.items():
            holders, held = column_entries(self.block.csc("languages"), [language])
            full[holders[held >= level]] += 1
            partial[holders[held < level]] += 1
        return full, partial

    @cached_property
    def wants_place(self) -> np.ndarray:
        """Who named the offer's country (international) or region (national) as a wish."""
        offer = self.offer
        name, code = ("countries", offer.destination) if offer.international else ("regions", offer.region)
        mask = np.zeros(self.block.n, dtype=bool)
        mask[column_entries(self.block.csc(name), [code])[0]] = True
        return mask

    @cached_property
    def dossier_place(self) -> np.ndarray:
        """Whose mobility dossier has the offer's country as a destination (international offers)."""
        mask = np.zeros(self.block.n, dtype=bool)
        if self.offer.international:
            rows, kinds = column_entries(self.block.csc("countries"), [self.offer.destination])
            mask[rows[kinds == 2]] = True
        return mask

    def features(self, rows: np.ndarray | None = None) -> tuple[PairFeatures, np.ndarray]:
        """Features of the seekers ``rows`` (all when ``None``), and the mask of those that
        pass the offer's hard filters (liveness is the caller's)."""
        block, offer, ref = self.block, self.offer, self.ref
        fiches, years = block.grid("occupations", ref.size, YEARS_SHIFT)
        if rows is not None:
            fiches, years = fiches[:, rows], years[:, rows]
        by_fiche = self.levels[fiches]
        same = fiches == offer.fiche if offer.fiche < ref.size else np.zeros(fiches.shape, dtype=bool)
        mask = _pick(block["eligible"], rows).copy()
        if offer.licence:
            mask &= (_pick(block["licences"], rows) & offer.licence) != 0
        if offer.education_required:
            mask &= _pick(block["education"], rows) >= offer.education
        if self.languages_ok is not None:
            mask &= _pick(self.languages_ok, rows)
        full, partial = self.desirable
        features = PairFeatures(
            level=by_fiche.max(axis=0),
            years_same=np.where(same, years, 0).max(axis=0),
            years_linked=np.where(by_fiche == LINKED, years, 0).max(axis=0),
            experience_asked=offer.experience, beginners=offer.beginners,
            core_covered=_pick(self.core_hits, rows), core_asked=len(offer.core),
            other_covered=_pick(self.other_hits, rows), other_asked=len(offer.other),
            education=_pick(block["education"], rows), education_asked=offer.education,
            languages_full=_pick(full, rows), languages_partial=_pick(partial, rows),
            languages_asked=len(offer.languages_desirable),
            location=self._locations(rows),
            available=_pick(block["available"], rows), start=offer.start or self.as_of,
            salary=_pick(block["salary"], rows), salary_top=offer.salary_top,
            same_currency=(_pick(block["currency"], rows) == offer.currency) & (offer.currency >= 0),
        )
        return features, mask

    def _locations(self, rows: np.ndarray | None) -> np.ndarray:
        block, offer = self.block, self.offer
        n = block.n if rows is None else len(rows)
        if offer.international:
            return np.select([_pick(self.dossier_place, rows), _pick(self.wants_place, rows), _pick(block["abroad"], rows)],
                             [DOSSIER, COUNTRY_WANTED, ABROAD_INTEREST], NOT_ABROAD).astype(np.int8)
        if offer.region < 0:
            return np.full(n, UNKNOWN_PLACE, dtype=np.int8)
        region = _pick(block["region"], rows)
        return np.select([region == offer.region, _pick(self.wants_place, rows), region < 0],
                         [SAME_REGION, MOBILITY_REGION, UNKNOWN_PLACE], OTHER_REGION).astype(np.int8)


def offer_features(block: Block, seeker: SeekerView, ref: Reference, as_of: int) -> tuple[PairFeatures, np.ndarray]:
    """Features of ``seeker`` against every offer of ``block``, and the mask of offers
    whose hard filters the seeker passes (open and live are checked by the caller)."""
    size = ref.size
    levels = np.zeros((1, size + 1), dtype=np.int8)
    same_years = np.zeros(size + 1, dtype=np.int32)
    linked_years = np.zeros(size + 1, dtype=np.int32)
    if seeker.fiches.size:
        levels = np.stack([ref.levels_from(int(f)) for f in seeker.fiches])
        for f, stored, row in zip(seeker.fiches.tolist(), seeker.years.tolist(), levels):
            same_years[f] = max(same_years[f], stored - YEARS_SHIFT)
            np.maximum(linked_years, np.where(row == LINKED, stored - YEARS_SHIFT, 0), out=linked_years)
    fiche = block["fiche"]
    mask = block["licence"] == 0
    if seeker.licences:
        mask |= (block["licence"] & seeker.licences) != 0
    mask &= ~block["education_required"] | (seeker.education >= block["education"])
    held = np.zeros(max(block["languages_required"].shape[1], block["languages_desirable"].shape[1],
                        max(seeker.languages, default=-1) + 1), dtype=np.int16)
    for language, level in seeker.languages.items():
        held[language] = level
    unmet = _entries(block, "languages_required", lambda have, asked: have < asked, held)
    mask &= unmet == 0
    features = PairFeatures(
        level=levels.max(axis=0)[fiche],
        years_same=same_years[fiche], years_linked=linked_years[fiche],
        experience_asked=block["experience"], beginners=block["beginners"],
        core_covered=_hits(block, "core", seeker.skills), core_asked=block.counts("core"),
        other_covered=_hits(block, "other", seeker.skills), other_asked=block.counts("other"),
        education=seeker.education, education_asked=block["education"],
        languages_full=_entries(block, "languages_desirable", lambda have, asked: have >= asked, held),
        languages_partial=_entries(block, "languages_desirable", lambda have, asked: (have > 0) & (have < asked),
                                   held),
        languages_asked=block.counts("languages_desirable"),
        location=_offer_locations(block, seeker),
        available=seeker.available, start=np.where(block["start"] > 0, block["start"], as_of),
        salary=seeker.salary, salary_top=block["salary_top"],
        same_currency=(block["currency"] == seeker.currency) & (seeker.currency >= 0),
    )
    return features, mask


def _entries(block: Block, name: str, test: Any, held: np.ndarray) -> np.ndarray:
    """Per offer, how many entries of the language column ``name`` pass ``test(held level,
    level asked)``."""
    matrix = block.sparse[name]
    passed = test(held[matrix.indices], matrix.data)
    return np.bincount(block.entry_rows(name)[passed], minlength=block.n)


def _offer_locations(block: Block, seeker: SeekerView) -> np.ndarray:
    destination = block["destination"]
    wants = np.isin(destination, seeker.mobility_countries) & (destination >= 0)
    prepared = np.isin(destination, seeker.dossier_countries) & (destination >= 0)
    abroad = np.select([prepared, wants], [DOSSIER, COUNTRY_WANTED], ABROAD_INTEREST if seeker.abroad else NOT_ABROAD)
    region = block["region"]
    home = np.select([region < 0, region == seeker.region, np.isin(region, seeker.mobility_regions)],
                     [UNKNOWN_PLACE, SAME_REGION, MOBILITY_REGION],
                     UNKNOWN_PLACE if seeker.region < 0 else OTHER_REGION)
    return np.where(block["international"], abroad, home).astype(np.int8)
