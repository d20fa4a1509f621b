"""Derived state kept up to date one record at a time: a base block plus a small delta.

The database is the source of truth; a :class:`Store` mirrors it. The base block is sorted
by id, so that an id is found by binary search and no million-entry dict is kept. A changed
or removed record's base row is only marked dead (one boolean); the new version waits in a
dict of pending records, turned into a small delta block the next time a query needs it.
When the delta outgrows ``delta_limit`` the two are merged, which is a concatenation and a
reordering of arrays, never a rebuild from records: the records themselves are not kept.
"""
from __future__ import annotations

from typing import Callable, Generic, Iterable, Iterator, Protocol, Sequence, TypeVar

import numpy as np

from .blocks import Block

__all__ = ["Store"]


class _Record(Protocol):
    id: int


R = TypeVar("R", bound=_Record)


class Store(Generic[R]):
    """Rows for records of one kind, kept as a base block and a delta block."""

    def __init__(self, make_block: Callable[[Sequence[R]], Block], prepare: Callable[[Block], None],
                 delta_limit: int = 2048):
        self._make = make_block
        self._prepare = prepare
        self.delta_limit = delta_limit
        self.base = make_block([])
        self.alive = np.ones(0, dtype=bool)
        self.pending: dict[int, R] = {}
        self._delta: Block | None = None

    def __len__(self) -> int:
        return int(self.alive.sum()) + len(self.pending)

    def load(self, records: Iterable[R], chunk: int = 100_000) -> None:
        """Replace everything with ``records`` (ids must be unique), built ``chunk`` at a
        time so that the temporary Python lists stay small."""
        parts: list[Block] = []
        batch: list[R] = []
        for record in records:
            batch.append(record)
            if len(batch) == chunk:
                parts.append(self._make(batch))
                batch = []
        if batch or not parts:
            parts.append(self._make(batch))
        merged = Block.concat(parts) if len(parts) > 1 else parts[0]
        order = np.argsort(merged.ids, kind="stable")
        if np.any(np.diff(merged.ids[order]) == 0):
            raise ValueError("duplicate ids")
        self._install(merged if np.all(order == np.arange(merged.n)) else merged.take(order))

    def upsert(self, record: R) -> None:
        """Add a record, or replace the version held."""
        self._kill(record.id)
        self.pending[record.id] = record
        self._delta = None
        if len(self.pending) > self.delta_limit:
            self.compact()

    def remove(self, record_id: int) -> None:
        """Forget a record (deleted, anonymised, or out of this country's index)."""
        self._kill(record_id)
        if self.pending.pop(record_id, None) is not None:
            self._delta = None

    def compact(self) -> None:
        """Merge the delta into the base: live rows of both, in id order."""
        delta = self.delta
        merged = Block.concat([self.base, delta])
        live = np.concatenate([self.alive, np.ones(delta.n, dtype=bool)])
        rows = np.flatnonzero(live)
        self._install(merged.take(rows[np.argsort(merged.ids[rows], kind="stable")]))

    @property
    def delta(self) -> Block:
        """The pending records as a block, sorted by id (built when first needed)."""
        if self._delta is None:
            self._delta = self._make([self.pending[k] for k in sorted(self.pending)])
            self._prepare(self._delta)
        return self._delta

    def parts(self) -> Iterator[tuple[Block, np.ndarray]]:
        """Each block with its mask of live rows."""
        yield self.base, self.alive
        if self.pending:
            yield self.delta, np.ones(self.delta.n, dtype=bool)

    def find(self, record_id: int) -> tuple[Block, int] | None:
        """The block and row that hold a record's current version."""
        if record_id in self.pending:
            delta = self.delta
            return delta, int(np.searchsorted(delta.ids, record_id))
        row = self._base_row(record_id)
        return None if row is None else (self.base, row)

    def ids(self) -> np.ndarray:
        """Ids of every live record, ascending."""
        base = self.base.ids[self.alive]
        if not self.pending:
            return base
        return np.sort(np.concatenate([base, np.fromiter(self.pending, dtype=np.int64)]))

    @property
    def nbytes(self) -> int:
        return self.base.nbytes + self.alive.nbytes + (self._delta.nbytes if self._delta is not None else 0)

    def _install(self, base: Block) -> None:
        self._prepare(base)
        self.base = base
        self.alive = np.ones(base.n, dtype=bool)
        self.pending = {}
        self._delta = None

    def _base_row(self, record_id: int) -> int | None:
        row = int(np.searchsorted(self.base.ids, record_id))
        if row < self.base.n and self.base.ids[row] == record_id and self.alive[row]:
            return row
        return None

    def _kill(self, record_id: int) -> None:
        row = self._base_row(record_id)
        if row is not None:
            self.alive[row] = False
