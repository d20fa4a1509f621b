"""Columnar blocks: many records as NumPy arrays and SciPy CSR matrices.

A :class:`Block` holds ``n`` rows. Single values (education, region, salary…) are dense
arrays; sets (fiches with years, skills, languages with levels, mobility regions and
countries) are CSR matrices of ``n`` rows over a :class:`Vocabulary`. What queries need
besides (the CSC transpose to find the rows holding a skill, a fixed-width grid of each
person's fiches) is derived on demand and cached, and :meth:`Block.prepare` builds it ahead
so that no query pays for it.

Vocabularies only grow, so an index given out once stays valid: a block built before a new
skill code arrived simply has fewer columns, and a column it lacks is empty.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from .records import OfferRecord, SeekerRecord
from .reference import Reference

__all__ = ["YEARS_SHIFT", "Block", "Vocabularies", "Vocabulary", "column_entries", "offer_block", "seeker_block"]

MAX_LICENCES = 32  # categories fit a uint32 bit mask
# Years in a fiche are stored plus one, so that a fiche with no years said is still an entry.
YEARS_SHIFT = 1


class Vocabulary:
    """Codes mapped to dense indices, in order of arrival."""

    def __init__(self, codes: Iterable[Any] = ()):
        self.codes: list[Any] = []
        self.index: dict[Any, int] = {}
        for code in codes:
            self.add(code)

    def __len__(self) -> int:
        return len(self.codes)

    def add(self, code: Any) -> int:
        """The code's index, giving it the next one if it is new."""
        found = self.index.get(code)
        if found is None:
            found = self.index[code] = len(self.codes)
            self.codes.append(code)
        return found

    def get(self, code: Any) -> int:
        """The code's index, or -1 for ``None`` and codes never seen."""
        return -1 if code is None else self.index.get(code, -1)


@dataclass
class Vocabularies:
    """The codes one index shares between its seekers' and offers' blocks."""

    skills: Vocabulary
    languages: Vocabulary = field(default_factory=Vocabulary)
    regions: Vocabulary = field(default_factory=Vocabulary)
    countries: Vocabulary = field(default_factory=Vocabulary)
    currencies: Vocabulary = field(default_factory=Vocabulary)
    licences: Vocabulary = field(default_factory=Vocabulary)

    def licence_bit(self, code: str) -> int:
        index = self.licences.add(code)
        if index >= MAX_LICENCES:
            raise ValueError(f"more than {MAX_LICENCES} driving licence categories")
        return 1 << index


class Block:
    """``n`` rows as named dense columns and CSR matrices, with cached derived forms."""

    def __init__(self, dense: dict[str, np.ndarray], sparse: dict[str, sp.csr_matrix]):
        self.dense = dense
        self.sparse = sparse
        self.n = len(dense["ids"])
        self._cache: dict[tuple, Any] = {}

    def __getitem__(self, name: str) -> Any:
        return self.dense[name] if name in self.dense else self.sparse[name]

    @property
    def ids(self) -> np.ndarray:
        return self.dense["ids"]

    def cached(self, key: tuple, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def csc(self, name: str) -> sp.csc_matrix:
        """Column-major copy of a set column: the rows that hold a given code."""
        return self.cached(("csc", name), lambda: self.sparse[name].tocsc())

    def counts(self, name: str) -> np.ndarray:
        """How many codes each row holds in a set column."""
        return self.cached(("counts", name), lambda: np.diff(self.sparse[name].indptr))

    def entry_rows(self, name: str) -> np.ndarray:
        """The row of every stored entry of a set column (CSR order)."""
        return self.cached(("entry_rows", name), lambda: np.repeat(
            np.arange(self.n, dtype=np.int32), self.counts(name)))

    def grid(self, name: str, pad: int, shift: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """A set column as two ``(width, n)`` arrays: codes padded with ``pad``, values less
        ``shift`` padded with 0. Each person has one to three fiches, so gathers and
        element-wise maxima over a few contiguous rows beat reductions over ragged CSR rows."""
        def build() -> tuple[np.ndarray, np.ndarray]:
            matrix = self.sparse[name]
            counts = self.counts(name)
            width = max(1, int(counts.max()) if counts.size else 1)
            codes = np.full((width, self.n), pad, dtype=np.int16)
            values = np.zeros((width, self.n), dtype=np.int16)
            rows = self.entry_rows(name)
            slots = np.arange(matrix.nnz) - matrix.indptr[rows]
            codes[slots, rows] = matrix.indices
            values[slots, rows] = matrix.data - shift
            return codes, values
        return self.cached(("grid", name, pad, shift), build)

    def row_set(self, name: str, row: int) -> tuple[np.ndarray, np.ndarray]:
        """``(codes, values)`` of one row of a set column."""
        matrix = self.sparse[name]
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        return matrix.indices[start:end], matrix.data[start:end]

    def prepare(self, csc: Sequence[str] = (), rows: Sequence[str] = (),
                grids: Sequence[tuple[str, int, int]] = ()) -> None:
        """Build the derived forms queries will use, now rather than on the first query."""
        for name in csc:
            self.csc(name)
        for name in rows:
            self.entry_rows(name)
        for name, pad, shift in grids:
            self.grid(name, pad, shift)

    def take(self, rows: np.ndarray) -> Block:
        """The given rows, in that order (derived forms are rebuilt, not carried over)."""
        return Block({k: v[rows] for k, v in self.dense.items()},
                     {k: v[rows] for k, v in self.sparse.items()})

    @staticmethod
    def concat(blocks: Sequence[Block]) -> Block:
        """Rows of several blocks one after another; set columns are widened to the widest
        part, since a vocabulary may have grown between them."""
        first = blocks[0]
        dense = {k: np.concatenate([b.dense[k] for b in blocks]) for k in first.dense}
        sparse = {}
        for name in first.sparse:
            width = max(b.sparse[name].shape[1] for b in blocks)
            parts = [_widen(b.sparse[name], width) for b in blocks]
            sparse[name] = sp.vstack(parts, format="csr") if len(parts) > 1 else parts[0]
        return Block(dense, sparse)

    @property
    def nbytes(self) -> int:
        """Bytes held by every array of the block, derived forms included."""
        total = sum(a.nbytes for a in self.dense.values())
        total += sum(_sparse_nbytes(m) for m in self.sparse.values())
        for value in self._cache.values():
            for part in value if isinstance(value, tuple) else (value,):
                total += _sparse_nbytes(part) if sp.issparse(part) else part.nbytes
        return total


def _sparse_nbytes(matrix: sp.spmatrix) -> int:
    return matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes


def _widen(matrix: sp.csr_matrix, width: int) -> sp.csr_matrix:
    if matrix.shape[1] == width:
        return matrix
    return sp.csr_matrix((matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], width))


def column_entries(matrix: sp.csc_matrix, columns: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, values)`` of the entries in the given columns of a CSC matrix; columns the
    matrix does not have (codes newer than the block) are empty."""
    width = matrix.shape[1]
    spans = [(matrix.indptr[c], matrix.indptr[c + 1]) for c in columns if 0 <= c < width]
    if not spans:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=matrix.dtype)
    if len(spans) == 1:
        (start, end), = spans
        return matrix.indices[start:end], matrix.data[start:end]
    return (np.concatenate([matrix.indices[s:e] for s, e in spans]),
            np.concatenate([matrix.data[s:e] for s, e in spans]))


class _SetColumn:
    """Accumulates one CSR matrix row by row in compact ``array`` buffers."""

    def __init__(self, dtype: str, typecode: str):
        self.dtype = dtype
        self.indptr = array("q", [0])
        self.indices = array("i")
        self.data = array(typecode)

    def add_row(self, entries: dict[int, int]) -> None:
        for code in sorted(entries):
            self.indices.append(code)
            self.data.append(entries[code])
        self.indptr.append(len(self.indices))

    def matrix(self, width: int) -> sp.csr_matrix:
        n = len(self.indptr) - 1
        return sp.csr_matrix((np.frombuffer(self.data, dtype=self.dtype).copy() if self.data else
                              np.zeros(0, dtype=self.dtype),
                              np.frombuffer(self.indices, dtype=np.int32).copy() if self.indices else
                              np.zeros(0, dtype=np.int32),
                              np.frombuffer(self.indptr, dtype=np.int64).copy()), shape=(n, width))


def _dense(values: Iterable[Any], dtype: Any, n: int) -> np.ndarray:
    return np.fromiter(values, dtype=dtype, count=n)


def _day(value: Any) -> int:
    return value.toordinal() if value is not None else 0


def _money(value: float | None) -> float:
    return float(value) if value is not None and value > 0 else np.nan


def seeker_block(records: Sequence[SeekerRecord], ref: Reference, vocab: Vocabularies) -> Block:
    """Seekers as columns. Unknown fiche codes are dropped (they relate to nothing);
    unknown years count as none."""
    n = len(records)
    occupations = _SetColumn("int16", "h")
    skills, languages = _SetColumn("bool", "b"), _SetColumn("int8", "b")
    # Countries: 1 a wish, 2 a destination of the person's mobility dossier.
    regions, countries = _SetColumn("bool", "b"), _SetColumn("int8", "b")
    for r in records:
        years: dict[int, int] = {}
        for occupation in r.occupations:
            fiche = ref.index.get(occupation.fiche)
            if fiche is not None:
                years[fiche] = max(years.get(fiche, 0), min(max(occupation.years or 0, 0), 99) + YEARS_SHIFT)
        occupations.add_row(years)
        skills.add_row(dict.fromkeys(map(vocab.skills.add, r.skills), 1))
        languages.add_row({vocab.languages.add(code): min(rank, 127) for code, rank in r.languages.items()
                           if rank > 0})
        regions.add_row(dict.fromkeys(map(vocab.regions.add, r.mobility_regions), 1))
        countries.add_row({**dict.fromkeys(map(vocab.countries.add, r.mobility_countries), 1),
                           **dict.fromkeys(map(vocab.countries.add, r.dossier_countries), 2)})
    dense = {
        "ids": _dense((r.id for r in records), np.int64, n),
        "eligible": _dense((r.active and r.consented for r in records), bool, n),
        "education": _dense((-1 if r.education is None else r.education for r in records), np.int8, n),
        "licences": _dense((sum({vocab.licence_bit(c) for c in r.licences}) for r in records), np.uint32, n),
        "region": _dense((-1 if r.region is None else vocab.regions.add(r.region) for r in records), np.int32, n),
        "abroad": _dense((r.abroad_interest for r in records), bool, n),
        "available": _dense((_day(r.available_from) for r in records), np.int32, n),
        "salary": _dense((_money(r.salary) for r in records), np.float64, n),
        "currency": _dense((vocab.currencies.add(r.currency) if r.currency else -1 for r in records), np.int16, n),
    }
    sparse = {
        "occupations": occupations.matrix(ref.size),
        "skills": skills.matrix(len(vocab.skills)),
        "languages": languages.matrix(len(vocab.languages)),
        "regions": regions.matrix(len(vocab.regions)),
        "countries": countries.matrix(len(vocab.countries)),
    }
    return Block(dense, sparse)


def offer_block(records: Sequence[OfferRecord], ref: Reference, vocab: Vocabularies) -> Block:
    """Offers as columns, with the skills each one asks for resolved once (its own list,
    or its fiche's when it lists none)."""
    n = len(records)
    core, other = _SetColumn("bool", "b"), _SetColumn("bool", "b")
    required, desirable = _SetColumn("int8", "b"), _SetColumn("int8", "b")
    for r in records:
        core_codes, other_codes = ref.offer_skills(r)
        core.add_row(dict.fromkeys(map(vocab.skills.add, core_codes), 1))
        other.add_row(dict.fromkeys(map(vocab.skills.add, other_codes), 1))
        asked, liked = r.language_terms()
        required.add_row({vocab.languages.add(c): min(level, 127) for c, level in asked.items()})
        desirable.add_row({vocab.languages.add(c): min(level, 127) for c, level in liked.items()})
    dense = {
        "ids": _dense((r.id for r in records), np.int64, n),
        "open": _dense((r.open for r in records), bool, n),
        "fiche": _dense((ref.fiche_index(r.fiche) for r in records), np.int16, n),
        "education": _dense((-1 if r.education is None else r.education for r in records), np.int8, n),
        "education_required": _dense((r.education_required and r.education is not None for r in records), bool, n),
        "licence": _dense((vocab.licence_bit(r.licence) if r.licence else 0 for r in records), np.uint32, n),
        "experience": _dense((max(r.experience_years or 0, 0) for r in records), np.int16, n),
        "beginners": _dense((r.beginners_ok for r in records), bool, n),
        "region": _dense((-1 if r.region is None else vocab.regions.add(r.region) for r in records), np.int32, n),
        "international": _dense((r.international for r in records), bool, n),
        "destination": _dense((vocab.countries.add(r.destination_country) if r.destination_country else -1
                               for r in records), np.int16, n),
        "salary_top": _dense((_money(r.salary_top) for r in records), np.float64, n),
        "currency": _dense((vocab.currencies.add(r.currency) if r.currency else -1 for r in records), np.int16, n),
        "start": _dense((_day(r.start_date) for r in records), np.int32, n),
    }
    sparse = {
        "core": core.matrix(len(vocab.skills)),
        "other": other.matrix(len(vocab.skills)),
        "languages_required": required.matrix(len(vocab.languages)),
        "languages_desirable": desirable.matrix(len(vocab.languages)),
    }
    return Block(dense, sparse)
