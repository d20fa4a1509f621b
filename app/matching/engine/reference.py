"""The occupation reference as matching needs it: fiches, their tree, mobility and skills.

A fiche's relation to another is one of five :data:`LEVELS`, computed once per fiche as a
small vector over every fiche so that a query turns a person's fiche indices into levels
with one NumPy gather. Mobility is directed, as in ROME: a link ``A → B`` says that people
in ``A`` can move to ``B``, so it counts when the *seeker's* fiche links to the *offer's*.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import scipy.sparse as sp

from .records import OfferRecord

__all__ = ["LEVELS", "NONE", "GRAND_DOMAIN", "DOMAIN", "LINKED", "SAME", "Reference"]

# Relation of a seeker's fiche to an offer's fiche, from loosest to closest.
NONE, GRAND_DOMAIN, DOMAIN, LINKED, SAME = range(5)
LEVELS = ("none", "grand_domain", "domain", "linked", "same")


@dataclass(frozen=True, eq=False)
class Reference:
    """Fiche codes with their domain and grand domain, mobility links and skill lists.

    Fiche ``i`` is ``fiches[i]``; index ``len(fiches)`` stands for "no fiche" (padding,
    or a code the reference does not know) and relates to nothing.
    """

    fiches: tuple[str, ...]
    domain: np.ndarray  # domain index of each fiche
    grand_domain: np.ndarray  # grand domain index of each fiche
    mobility: sp.csr_matrix  # (F, F) bool: [from, to]
    skills: tuple[str, ...]  # skill codes in the fiches' lists
    fiche_skills: sp.csr_matrix  # (F, K) int8: 2 core skill, 1 other skill of the fiche
    index: Mapping[str, int] = field(repr=False)

    @classmethod
    def build(cls, occupations: Iterable[tuple[str, str]], occupation_skills: Iterable[tuple[str, str, bool]],
              mobility: Iterable[tuple[str, str]], grand_domains: Mapping[str, str] | None = None) -> Reference:
        """From ``(fiche, domain)`` pairs, ``(fiche, skill, core)`` and ``(from, to)`` links.

        ``grand_domains`` maps a domain to its grand domain; without it the grand domain is
        the domain code's first letter, as in ROME (``F17`` → ``F``). Links and skills of
        unknown fiches are ignored, as the loader would have refused them.
        """
        pairs = sorted(set(occupations))
        fiches = tuple(code for code, _ in pairs)
        index = {code: i for i, code in enumerate(fiches)}
        domains = [d for _, d in pairs]
        parents = [grand_domains.get(d, d[:1]) if grand_domains else d[:1] for d in domains]
        links = sorted({(index[a], index[b]) for a, b in mobility if a in index and b in index and a != b})
        n = len(fiches)
        rows, cols = (np.array(x, dtype=np.int32) for x in zip(*links)) if links else ([], [])
        moves = sp.csr_matrix((np.ones(len(links), dtype=bool), (rows, cols)), shape=(n, n))
        lists = {(index[f], s): core for f, s, core in occupation_skills if f in index}
        skills = tuple(sorted({s for _, s in lists}))
        skill_index = {s: k for k, s in enumerate(skills)}
        entries = sorted((f, skill_index[s], 2 if core else 1) for (f, s), core in lists.items())
        f_rows, s_cols, kinds = (np.array(x) for x in zip(*entries)) if entries else ([], [], [])
        fiche_skills = sp.csr_matrix((np.asarray(kinds, dtype=np.int8), (f_rows, s_cols)), shape=(n, len(skills)))
        return cls(fiches, _codes(domains), _codes(parents), moves, skills, fiche_skills, index)

    @classmethod
    def from_csv(cls, directory: str | Path) -> Reference:
        """From the layout the application ships (``occupations.csv``, ``domains.csv``,
        ``occupation_skills.csv``, ``mobility.csv``), read with the standard library."""
        folder = Path(directory)

        def rows(name: str) -> list[dict[str, str]]:
            path = folder / name
            if not path.exists():
                return []
            with path.open(encoding="utf-8-sig", newline="") as handle:
                return list(csv.DictReader(handle))

        return cls.build(
            ((r["code"], r["domain"]) for r in rows("occupations.csv")),
            ((r["occupation"], r["skill"], r["core"].strip() in ("1", "true", "True")) for r in
             rows("occupation_skills.csv")),
            ((r["occupation"], r["target"]) for r in rows("mobility.csv")),
            {r["code"]: r["grand_domain"] for r in rows("domains.csv")} or None,
        )

    # ------------------------------------------------------------------ plain look-ups

    @property
    def size(self) -> int:
        return len(self.fiches)

    def fiche_index(self, code: str | None) -> int:
        """The fiche's index, or :attr:`size` ("no fiche") for an unknown code."""
        return self.index.get(code, self.size) if code else self.size

    def relation(self, offer_fiche: str, seeker_fiche: str) -> int:
        """How close a seeker's fiche is to an offer's, as one of :data:`LEVELS`, in plain
        Python (the row-by-row scorer's version of :meth:`levels_to`). A code the
        reference does not know relates to nothing, not even to itself."""
        o, s = self.index.get(offer_fiche), self.index.get(seeker_fiche)
        if o is None or s is None:
            return NONE
        if o == s:
            return SAME
        if (s, o) in self._links:
            return LINKED
        (o_domain, o_grand), (s_domain, s_grand) = self._tree[o], self._tree[s]
        if o_domain == s_domain:
            return DOMAIN
        return GRAND_DOMAIN if o_grand == s_grand else NONE

    def fiche_skill_lists(self, code: str) -> tuple[frozenset[str], frozenset[str]]:
        """The fiche's ``(core, other)`` skill codes."""
        return _fiche_skill_lists(self, self.fiche_index(code))

    def offer_skills(self, offer: OfferRecord) -> tuple[frozenset[str], frozenset[str]]:
        """The skills an offer asks for, ``(core, other)``: those it lists, required ones
        being core, or, when it lists none, its fiche's own lists."""
        required, desirable = offer.skill_terms()
        if required or desirable:
            return required, desirable
        return self.fiche_skill_lists(offer.fiche)

    # ------------------------------------------------------------------ vectors

    def levels_to(self, offer_fiche: int) -> np.ndarray:
        """int8 levels of every seeker fiche (and the "no fiche" slot) to ``offer_fiche``."""
        return _levels(self, offer_fiche, towards_offer=True)

    def levels_from(self, seeker_fiche: int) -> np.ndarray:
        """int8 levels of ``seeker_fiche`` to every offer fiche (and the "no fiche" slot)."""
        return _levels(self, seeker_fiche, towards_offer=False)

    @cached_property
    def _links(self) -> frozenset[tuple[int, int]]:
        rows, cols = self.mobility.nonzero()
        return frozenset(zip(rows.tolist(), cols.tolist()))

    @cached_property
    def _tree(self) -> list[tuple[int, int]]:
        return list(zip(self.domain.tolist(), self.grand_domain.tolist()))

    @property
    def nbytes(self) -> int:
        return (self.domain.nbytes + self.grand_domain.nbytes + _sparse_nbytes(self.mobility)
                + _sparse_nbytes(self.fiche_skills))


def _codes(values: list[str]) -> np.ndarray:
    """Each value's index among the sorted distinct values."""
    _, inverse = np.unique(np.asarray(values, dtype=object), return_inverse=True)
    return inverse.astype(np.int32)


def _sparse_nbytes(matrix: sp.spmatrix) -> int:
    return matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes


@lru_cache(maxsize=4096)
def _levels(ref: Reference, fiche: int, towards_offer: bool) -> np.ndarray:
    n = ref.size
    out = np.zeros(n + 1, dtype=np.int8)
    if fiche >= n:
        return out
    out[:n][ref.grand_domain == ref.grand_domain[fiche]] = GRAND_DOMAIN
    out[:n][ref.domain == ref.domain[fiche]] = DOMAIN
    # Seeker fiche -> offer fiche: towards an offer's fiche, the links that end there.
    moves = ref.mobility[:, fiche] if towards_offer else ref.mobility[fiche, :].T
    out[moves.nonzero()[0]] = LINKED
    out[fiche] = SAME
    out.flags.writeable = False
    return out


@lru_cache(maxsize=4096)
def _fiche_skill_lists(ref: Reference, fiche: int) -> tuple[frozenset[str], frozenset[str]]:
    if fiche >= ref.size:
        return frozenset(), frozenset()
    row = ref.fiche_skills[fiche]
    core = frozenset(ref.skills[k] for k, kind in zip(row.indices, row.data) if kind == 2)
    other = frozenset(ref.skills[k] for k, kind in zip(row.indices, row.data) if kind == 1)
    return core, other
