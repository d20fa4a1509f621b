"""The matching engine: pure NumPy/SciPy, no Flask, no models.

The adapter converts rows to :class:`SeekerRecord` and :class:`OfferRecord`, keeps one
:class:`MatchIndex` per country in step with the database (``upsert_*``/``remove_*``) and
asks it for rankings in both directions. :mod:`.pairwise` scores a single pair without an
index, and :func:`explain` words a result in French or English.

Modules: ``records`` (inputs), ``params`` (weights and levels), ``reference`` (fiches,
mobility, skill lists), ``blocks``/``store`` (the columnar index and its updates),
``features``/``scoring`` (the vectorised score), ``results``/``explain`` (outputs),
``pairwise`` (the same score row by row), ``index`` (queries).

Every module here imports only the standard library, NumPy, SciPy and its siblings
(relative imports), so that the package can be loaded, tested and benchmarked on its own;
``tests/matching/test_isolation.py`` checks it.
"""
from .explain import explain
from .index import MatchIndex, SearchOptions
from .params import FACTORS, MatchingParams, Weights
from .records import LanguageAsked, OfferRecord, SeekerOccupation, SeekerRecord, SkillAsked, monthly_amount
from .reference import LEVELS, Reference
from .results import Factor, Match

__all__ = [
    "FACTORS", "LEVELS", "Factor", "LanguageAsked", "Match", "MatchIndex", "MatchingParams", "OfferRecord",
    "Reference", "SearchOptions", "SeekerOccupation", "SeekerRecord", "SkillAsked", "Weights", "explain",
    "monthly_amount",
]
