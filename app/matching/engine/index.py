"""One country's matching index: seekers and offers as blocks, ranked in both directions.

**Offer → seekers** scores live seekers with array operations. On a big block it first
scores only the seekers whose fiche is the offer's or has a mobility link to it, found
through the fiche→seekers CSC matrix. Everyone else has at most a same-domain occupation
value, no years in the fiche or a linked one, and at most the skill coverage of the best of
them (computed from the same sparse look-up), every other factor counting in full: if the
N-th candidate's score is above that bound, nobody left out could have entered the top N
and the answer is exact. Otherwise the offer's whole domain is tried the same way, and
failing that the whole block is scored. ``scans`` counts which pass answered.

**Seeker → offers** scores every live offer (offers are ten to a hundred times fewer).

Results are deterministic: the best score first, then the smallest id. The index is not
thread-safe; each worker process keeps its own and applies the changes it is told about.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, Iterable, Iterator

import numpy as np

from .blocks import YEARS_SHIFT, Block, Vocabularies, Vocabulary, offer_block, seeker_block
from .features import OfferView, PairFeatures, SeekersQuery, SeekerView, offer_features
from .params import FACTORS, MatchingParams
from .records import OfferRecord, SeekerRecord
from .reference import DOMAIN, LEVELS, LINKED, SAME, Reference
from .results import Match, describe
from .scoring import factor_values, occupation_values, skill_values, top, weighted_sum
from .store import Store

__all__ = ["MatchIndex", "SearchOptions"]

SCOPES = ("all", "national", "international")
# Candidate passes of offer -> seekers on a big block: the offer's fiche and the fiches linked
# to it, then its whole domain; the whole block when neither provably holds the top N.
TIERS = (LINKED, DOMAIN)
# Rounding slack when comparing a computed bound with computed scores.
_MARGIN = 1e-9


@dataclass(frozen=True)
class SearchOptions:
    """What a counsellor can change on a search.

    ``regions`` keeps seekers living in, or offers located in, those region ids;
    ``exclude`` leaves out ids (people already referred, offers already proposed);
    ``include_related`` off keeps the offer's own fiche only; ``scope`` picks national or
    international offers for a seeker; ``as_of`` stands in for an offer's missing start date.
    """

    limit: int = 20
    min_score: float = 0.0
    include_related: bool = True
    regions: frozenset[int] | None = None
    exclude: frozenset[int] = frozenset()
    scope: str = "all"
    as_of: date | None = None

    def __post_init__(self) -> None:
        if self.limit < 0 or not 0.0 <= self.min_score <= 1.0 or self.scope not in SCOPES:
            raise ValueError("limit must be ≥ 0, min_score within [0, 1] and scope one of " + ", ".join(SCOPES))


@dataclass
class _Hits:
    """The best pairs of one block, before they are merged with the other block's."""

    block: Block
    rows: np.ndarray  # rows of ``block`` (seekers or offers)
    scores: np.ndarray
    values: list[np.ndarray]
    features: PairFeatures

    @cached_property
    def pairs(self) -> list[tuple[dict[str, Any], list[float]]]:
        """Each pair's features and factor values as Python values, converted in one go."""
        n = len(self.scores)
        values = list(zip(*(v.tolist() for v in self.values))) if n else []
        return list(zip(self.features.records(n), values))


class MatchIndex:
    """Seekers and offers of one country, kept in step with the database one change at a time."""

    def __init__(self, reference: Reference, params: MatchingParams | None = None, *, delta_limit: int = 2048,
                 prune_from: int = 20_000):
        self.reference = reference
        self.params = params or MatchingParams()
        self.vocab = Vocabularies(Vocabulary(reference.skills))
        # Below ``prune_from`` rows a full scan costs less than two passes.
        self.prune_from = prune_from
        self.scans: Counter[str] = Counter()  # how offer -> seekers queries were answered
        self.seekers: Store[SeekerRecord] = Store(lambda rs: seeker_block(rs, reference, self.vocab),
                                                  self._prepare_seekers, delta_limit)
        self.offers: Store[OfferRecord] = Store(lambda rs: offer_block(rs, reference, self.vocab),
                                                self._prepare_offers, delta_limit)

    @classmethod
    def build(cls, reference: Reference, seekers: Iterable[SeekerRecord], offers: Iterable[OfferRecord],
              params: MatchingParams | None = None, **options: int) -> MatchIndex:
        """An index loaded with every seeker and offer of a country."""
        index = cls(reference, params, **options)
        index.seekers.load(seekers)
        index.offers.load(offers)
        return index

    # ------------------------------------------------------------------ changes

    def upsert_seeker(self, record: SeekerRecord) -> None:
        self.seekers.upsert(record)

    def remove_seeker(self, seeker_id: int) -> None:
        self.seekers.remove(seeker_id)

    def upsert_offer(self, record: OfferRecord) -> None:
        self.offers.upsert(record)

    def remove_offer(self, offer_id: int) -> None:
        self.offers.remove(offer_id)

    @property
    def nbytes(self) -> int:
        """Bytes held in arrays: both stores (derived forms included) and the reference."""
        return self.seekers.nbytes + self.offers.nbytes + self.reference.nbytes

    # ------------------------------------------------------------------ offer -> seekers

    def rank_seekers(self, offer: int | OfferRecord, options: SearchOptions = SearchOptions()) -> list[Match]:
        """The best seekers for an offer of the index (by id) or any offer record."""
        return self._rank_seekers(self._offer_view(offer), options)

    def rank_all_offers(self, options: SearchOptions = SearchOptions()) -> Iterator[tuple[int, list[Match]]]:
        """``(offer id, best seekers)`` for every open offer, by ascending offer id: the
        nightly lists."""
        for offer_id in self.offers.ids().tolist():
            view = self._offer_view(offer_id)
            if view.open:
                yield offer_id, self._rank_seekers(view, options)

    def _rank_seekers(self, view: OfferView, options: SearchOptions) -> list[Match]:
        if not view.open or not options.limit:
            return []
        weights = self.params.weights.normalised()
        hits = [self._seekers_in(block, alive, view, options, weights)
                for block, alive in self.seekers.parts() if block.n]
        return [self._seeker_match(h, i, view, weights) for h, i in _merge(hits, options.limit)]

    def _seekers_in(self, block: Block, alive: np.ndarray, view: OfferView, options: SearchOptions,
                    weights: tuple[float, ...]) -> _Hits:
        as_of = options.as_of.toordinal() if options.as_of else 0
        query = SeekersQuery(block, view, self.reference, as_of)
        if not options.include_related:
            return self._score_seekers(query, alive, query.rows_at_least(SAME), options, weights)
        if block.n >= self.prune_from:
            for level in TIERS:
                rows = query.rows_at_least(level)
                hits = self._score_seekers(query, alive, rows, options, weights)
                bound = self._bound_outside(query, rows, level, weights)
                enough = len(hits.scores) == options.limit and hits.scores[-1] > bound + _MARGIN
                if enough or bound + _MARGIN < options.min_score:
                    self.scans[LEVELS[level]] += 1
                    return hits
        self.scans["full"] += 1
        return self._score_seekers(query, alive, None, options, weights)

    def _bound_outside(self, query: SeekersQuery, rows: np.ndarray, level: int, weights: tuple[float, ...]) -> float:
        """The highest score a seeker outside ``rows`` (all fiches below ``level``) could
        reach: the next level's occupation value, no years in the fiche or a linked one,
        the best skill coverage found among them, and every other factor at its maximum."""
        weight = dict(zip(FACTORS, weights))
        bound = sum(weight[k] for k in ("education", "languages", "location", "availability", "salary"))
        bound += weight["occupation"] * occupation_values(self.params)[level - 1]
        if query.offer.beginners or query.offer.experience <= 0:
            bound += weight["experience"]
        return bound + weight["skills"] * self._best_skills_outside(query, rows)

    def _best_skills_outside(self, query: SeekersQuery, rows: np.ndarray) -> float:
        core, other = len(query.offer.core), len(query.offer.other)
        if not core and not other:
            return 1.0
        touched = (query.core_hits > 0) | (query.other_hits > 0)
        touched[rows] = False
        outside = np.flatnonzero(touched)
        if not outside.size:
            return 0.0
        return float(skill_values(query.core_hits[outside], core, query.other_hits[outside], other,
                                  self.params).max())

    def _score_seekers(self, query: SeekersQuery, alive: np.ndarray, rows: np.ndarray | None,
                       options: SearchOptions, weights: tuple[float, ...]) -> _Hits:
        block = query.block
        features, mask = query.features(rows)
        mask &= alive if rows is None else alive[rows]
        ids = block.ids if rows is None else block.ids[rows]
        if options.regions is not None:
            region = block["region"] if rows is None else block["region"][rows]
            mask &= np.isin(region, self._region_indices(options.regions))
        if options.exclude:
            mask &= ~_among(ids, options.exclude)
        values = factor_values(features, self.params, len(mask))
        scores = weighted_sum(values, weights)
        chosen = top(scores, mask & (scores >= options.min_score), ids, options.limit)
        block_rows = chosen if rows is None else rows[chosen]
        return _Hits(block, block_rows, scores[chosen], [v[chosen] for v in values], features.at(chosen))

    def _seeker_match(self, hits: _Hits, i: int, view: OfferView, weights: tuple[float, ...]) -> Match:
        row = int(hits.rows[i])
        block = hits.block
        held = set(block.row_set("skills", row)[0].tolist())
        offer = {"fiche": view.fiche, "region": view.region, "destination": view.destination,
                 "currency": view.currency}
        return self._match(hits, i, int(block.ids[row]), view.id, offer, block.row_set("occupations", row)[0],
                           weights, self._missing(view.core, view.other, held))

    # ------------------------------------------------------------------ seeker -> offers

    def rank_offers(self, seeker: int | SeekerRecord, options: SearchOptions = SearchOptions()) -> list[Match]:
        """The best open offers for a seeker of the index (by id) or any seeker record."""
        view = self._seeker_view(seeker)
        if not view.eligible or not options.limit:
            return []
        weights = self.params.weights.normalised()
        hits = [self._score_offers(block, alive, view, options, weights)
                for block, alive in self.offers.parts() if block.n]
        return [self._offer_match(h, i, view, weights) for h, i in _merge(hits, options.limit)]

    def _score_offers(self, block: Block, alive: np.ndarray, view: SeekerView, options: SearchOptions,
                      weights: tuple[float, ...]) -> _Hits:
        as_of = options.as_of.toordinal() if options.as_of else 0
        features, mask = offer_features(block, view, self.reference, as_of)
        mask &= alive & block["open"]
        if options.scope != "all":
            mask &= block["international"] == (options.scope == "international")
        if options.regions is not None:
            mask &= np.isin(block["region"], self._region_indices(options.regions))
        if not options.include_related:
            mask &= features.level == SAME
        if options.exclude:
            mask &= ~_among(block.ids, options.exclude)
        values = factor_values(features, self.params, block.n)
        scores = weighted_sum(values, weights)
        chosen = top(scores, mask & (scores >= options.min_score), block.ids, options.limit)
        return _Hits(block, chosen, scores[chosen], [v[chosen] for v in values], features.at(chosen))

    def _offer_match(self, hits: _Hits, i: int, view: SeekerView, weights: tuple[float, ...]) -> Match:
        row = int(hits.rows[i])
        block = hits.block
        offer = {k: int(block[k][row]) for k in ("fiche", "region", "destination", "currency")}
        missing = self._missing(block.row_set("core", row)[0], block.row_set("other", row)[0],
                                set(view.skills.tolist()))
        return self._match(hits, i, view.id, int(block.ids[row]), offer, view.fiches, weights, missing)

    # ------------------------------------------------------------------ shared

    def _match(self, hits: _Hits, i: int, seeker_id: int, offer_id: int, offer: dict[str, int],
               seeker_fiches: np.ndarray, weights: tuple[float, ...], missing: tuple[str, ...]) -> Match:
        features, values = hits.pairs[i]
        factors = describe(features, values, weights, self.reference, self.vocab, offer, seeker_fiches,
                           self.params.linked_experience)
        return Match(seeker_id, offer_id, float(hits.scores[i]), factors, missing)

    def _missing(self, core: np.ndarray, other: np.ndarray, held: set[int]) -> tuple[str, ...]:
        codes = self.vocab.skills.codes
        return tuple(sorted(codes[k] for k in core.tolist() if k not in held)) + tuple(
            sorted(codes[k] for k in other.tolist() if k not in held))

    def _region_indices(self, regions: frozenset[int]) -> np.ndarray:
        return np.array([self.vocab.regions.get(r) for r in regions if self.vocab.regions.get(r) >= 0],
                        dtype=np.int32)

    def _offer_view(self, offer: int | OfferRecord) -> OfferView:
        if isinstance(offer, OfferRecord):
            return OfferView.of(offer_block([offer], self.reference, self.vocab), 0)
        found = self.offers.find(offer)
        if found is None:
            raise KeyError(f"offer {offer} is not in the index")
        return OfferView.of(*found)

    def _seeker_view(self, seeker: int | SeekerRecord) -> SeekerView:
        if isinstance(seeker, SeekerRecord):
            return SeekerView.of(seeker_block([seeker], self.reference, self.vocab), 0)
        found = self.seekers.find(seeker)
        if found is None:
            raise KeyError(f"seeker {seeker} is not in the index")
        return SeekerView.of(*found)

    def _prepare_seekers(self, block: Block) -> None:
        block.prepare(csc=("occupations", "skills", "languages", "regions", "countries"),
                      grids=(("occupations", self.reference.size, YEARS_SHIFT),))

    @staticmethod
    def _prepare_offers(block: Block) -> None:
        block.prepare(csc=("core", "other"), rows=("languages_required", "languages_desirable"))
        for name in ("core", "other"):
            block.counts(name)


def _among(ids: np.ndarray, chosen: frozenset[int]) -> np.ndarray:
    """Which ``ids`` are in ``chosen``; the ids of a block are sorted, so a binary search
    per chosen id replaces a pass over the block per id."""
    wanted = np.fromiter(chosen, dtype=np.int64, count=len(chosen))
    at = np.searchsorted(ids, wanted)
    hit = at < len(ids)
    hit[hit] = ids[at[hit]] == wanted[hit]
    mask = np.zeros(len(ids), dtype=bool)
    mask[at[hit]] = True
    return mask


def _merge(hits: list[_Hits], limit: int) -> list[tuple[_Hits, int]]:
    """The ``limit`` best across blocks: score descending, then id ascending."""
    pool = [(-float(h.scores[i]), int(h.block.ids[h.rows[i]]), h, i) for h in hits for i in range(len(h.scores))]
    pool.sort(key=lambda item: item[:2])
    return [(h, i) for _, _, h, i in pool[:limit]]
