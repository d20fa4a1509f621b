"""Occupation coding assistant: free-text job titles -> ROME v3 fiches.

Counter agents type what people say ("maçon", "chauffeur poids lourd", "mecanicien auto",
"truck driver"). :class:`OccupationCoder` returns the most likely ROME fiches, ranked, each with
the job title that best explains the match.

This module is pure Python (numpy/scipy/rapidfuzz/unidecode): no Flask, no database. The web
layer builds one coder from the reference CSVs (:func:`entries_from_csv`) and keeps it in memory.

How it works
------------
Every piece of text that describes a fiche (job titles and their alternative wordings, English
translations, the fiche label, ROME 4.0 specialisation labels, and the fiche's skills) becomes an
:class:`Entry`. Texts are normalised (accents, elisions, "Masculin / Féminin" pairs and feminine
suffixes folded onto the masculine form, light plural stemming) so that "vendeuse de tissu" and
"Vendeur / Vendeuse en tissus" share the same tokens.

A query is then scored against every fiche with a handful of complementary signals:

* ``nb`` - a multinomial naive Bayes over TF-IDF weighted features (words, crude roots, word
  prefixes, the head noun, word bigrams, character 3-5-grams). Naive Bayes multiplies the
  evidence of each word, which suits job titles: a fiche must explain the head noun *and* the
  domain words ("technicien" AND "pisciculture"). It is the strongest single signal and costs
  only counting to build.
* ``knn``/``knn2`` - cosine similarity (character 2-5-grams) with the best and second-best
  entry of the fiche: catches near-duplicates and typos.
* ``cent`` - cosine with the fiche centroid (all its entries together).
* ``cov`` - IDF-weighted share of the query's word roots found anywhere in the fiche's texts.
* ``skill`` - cosine with the fiche's skill profile (knowledge and know-how labels), which
  carries domain vocabulary absent from titles ("merrain", "pisciculture").
* ``head`` - whether a title of the fiche starts with the same head noun as the query.
* ``dom_*`` - the same evidence pooled at the ROME domain level (first three characters of the
  code), so that a query clearly about, say, road transport prefers N41xx fiches.

Query words unknown to the index are first replaced by the closest known title word (rapidfuzz),
so typos such as "maçcon" or "mecanicen" still find their fiche; junk input returns nothing.

The signals are combined linearly and turned into probabilities with a softmax. The weights
(:data:`WEIGHTS`) were fitted offline with a conditional-logit ranker on held-out titles of
several random splits (see ``bench/coding.py``); they are a dozen numbers, not a trained model,
so building the coder needs no training loop and takes about two seconds for the full ROME
(about 75 MB retained). A query takes 1-3 ms on one core; ``suggest_many`` batches the sparse
products. ``python -m bench.coding`` measures accuracy on held-out titles.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz, process
from unidecode import unidecode

__all__ = [
    "Entry",
    "Suggestion",
    "OccupationCoder",
    "WEIGHTS",
    "normalise",
    "tokens",
    "entries_from_csv",
]


# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------

# "Technicien(ne)", "Conducteur(trice)", "Chef(fe)": the parenthesised feminine ending is dropped,
# the masculine form stays. Acronyms in brackets such as "(SAV)" are kept as words.
_PAREN_SUFFIX = re.compile(
    r"(?<=\w)\((?:e|fe|ne|le|se|ve|tive|ive|sse|euse|rice|trice|ere|iere|enne|ienne|es|s)\)",
    re.IGNORECASE,
)
# French elisions: d'engins, l'habitat, qu'...; the article carries no meaning.
_ELISION = re.compile(r"\b(?:d|l|qu|j|n|s|c|m|t)'", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DOUBLE_CONSONANT_E = re.compile(r"([bcdfghjklmnpqrstvwxz])\1e$")
_DOUBLE_CONSONANT = re.compile(r"([bcdfghjklmnpqrstvwxz])\1$")

# Function words of French and English job titles. Single letters are dropped separately
# (the "H/F" of job ads, stray initials).
STOP_WORDS = frozenset(
    """
    de du des la le les en et au aux un une pour sur dans par avec ou sous chez
    of the and in for on at to an or with
    """.split()
)

# Feminine -> masculine endings, tried in order (longest and most specific first). Applied to
# both the reference texts and the queries, so the exact output matters less than consistency.
_FEMININE = (
    ("euse", "eur"),  # vendeuse -> vendeur, coiffeuse -> coiffeur
    ("trice", "teur"),  # conductrice -> conducteur
    ("iere", "ier"),  # infirmiere -> infirmier
    ("ere", "er"),  # bouchere -> boucher
    ("ive", "if"),  # executive -> executif
    ("esse", "e"),  # maitresse -> maitre
)

# Derivational endings stripped to get a crude root shared by a job and its activity:
# maconnerie/macon, soudage/soudeur, mecanique/mecanicien, coiffure/coiffeur.
_ROOT_SUFFIXES = sorted(
    """ateur ation ement icien ien eri erie iqu ique eur ier iste ist isme ism age ag ure ur ion
    if al el ant ent er ol eux at ais oir""".split(),
    key=len,
    reverse=True,
)


def _stem(word: str) -> str:
    """Light French stemmer: plural, feminine and final-e folding (masculine singular form)."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("aux") and len(word) > 5:  # travaux, generaux
        word = word[:-3] + "al"
    elif word[-1] in "sx" and not word.endswith("ss"):
        word = word[:-1]
    for suffix, repl in _FEMININE:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)] + repl
            break
    else:
        # macon-ne, chef-fe, technicien-ne, cadet-te: doubled consonant + e
        if len(word) > 4 and _DOUBLE_CONSONANT_E.search(word):
            word = word[:-2]
    if word.endswith("ee"):  # chargee -> charge
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:  # agente -> agent, nationale -> national
        word = word[:-1]
    return word


def _root(word: str) -> str:
    """Crude derivational root of a stemmed word (used as an extra feature, never displayed)."""
    if len(word) < 6 or word.isdigit():
        return word
    for suffix in _ROOT_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return _DOUBLE_CONSONANT.sub(r"\1", word)


def tokens(text: str) -> list[str]:
    """Normalised, stemmed content words of ``text``, first occurrence order, no duplicates.

    Lowercases, removes accents, drops elided articles and stop words, splits on punctuation
    (so hyphenated and slashed forms split too) and folds feminine forms onto the masculine:
    ``"Maçon / Maçonne"`` -> ``["macon"]``, ``"Aide-soignante"`` -> ``["aid", "soignant"]``.
    Duplicates are removed because ROME titles repeat the noun in both genders.
    """
    text = unidecode(text or "")
    text = _PAREN_SUFFIX.sub("", text)
    text = text.lower().replace("\u2019", "'")
    text = _ELISION.sub(" ", text)
    text = _NON_ALNUM.sub(" ", text)
    out: list[str] = []
    seen: set[str] = set()
    for word in text.split():
        if word in STOP_WORDS or (len(word) == 1 and not word.isdigit()):
            continue
        stem = _stem(word)
        if stem not in seen:
            seen.add(stem)
            out.append(stem)
    return out


def normalise(text: str) -> str:
    """Canonical form of a job title, for matching and de-duplication.

    ``normalise("Vendeuse de tissu") == normalise("Vendeur / Vendeuse en tissus") == "vendeur tissu"``.
    """
    return " ".join(tokens(text))


# ---------------------------------------------------------------------------------------------
# Public data classes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One piece of text describing a fiche.

    ``kind`` is ``"title"`` (job title or one of its wordings), ``"occupation"`` (the fiche
    label), ``"specialisation"`` (a ROME 4.0 fiche label) or ``"skill"`` (a skill of the fiche;
    used as evidence but never shown as the matched text).
    """

    occupation: str
    text: str
    lang: str = "fr"
    kind: str = "title"


@dataclass(frozen=True)
class Suggestion:
    """A ranked answer: fiche code, probability-like score in [0, 1] and the best matching text."""

    code: str
    score: float
    matched: str


# ---------------------------------------------------------------------------------------------
# Feature extraction
# ---------------------------------------------------------------------------------------------

_CHAR_MIN, _CHAR_MAX = 2, 5  # character n-grams (inside word boundaries) for similarity
_NB_CHAR_MIN = 3  # naive Bayes uses only the 3-5-grams (bigrams are too unspecific for it)


def _word_level_features(word: str) -> list[str]:
    """Features of one word besides its character n-grams.

    The stemmed word itself; a crude derivational root and 4/5-letter prefixes, which let
    "pisciculteur" meet "pisciculture" and "boulanger" meet "boulangerie".
    """
    feats = [word, "R:" + _root(word)]
    if len(word) > 4:
        feats.append("P4:" + word[:4])
    if len(word) > 5:
        feats.append("P5:" + word[:5])
    return feats


def _doc_level_features(toks: Sequence[str]) -> list[str]:
    """Features that depend on word order: the head noun and word bigrams.

    The first word of a French job title usually names the trade ("conducteur de bus"), so it
    gets its own feature; bigrams keep "poids lourd" or "ressources humaines" together.
    """
    feats = ["H:" + toks[0]] if toks else []
    feats += [a + "_" + b for a, b in zip(toks, toks[1:])]
    return feats


def _char_ngrams(word: str) -> list[str]:
    """Character 2-5-grams of `` word `` (scikit-learn's ``char_wb`` analyser, per word)."""
    padded = f" {word} "
    grams = []
    for n in range(_CHAR_MIN, min(_CHAR_MAX, len(padded)) + 1):
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


class _Index(dict):
    """Feature string -> column number; grows while building, frozen afterwards."""

    def add(self, feats: Iterable[str]) -> list[int]:
        return [self.setdefault(f, len(self)) for f in feats]

    def known(self, feats: Iterable[str]) -> list[int]:
        return [j for j in (self.get(f) for f in feats) if j is not None]


class _Postings:
    """Feature-major sparse matrix (feature -> (column, weight) lists) for query scoring.

    ``dot(rows)`` returns the dense matrix whose row i is ``sum_k vals[k] * M[cols[k], :]`` for
    ``rows[i] = (cols, vals)``. A single query gathers its few posting lists and runs one
    ``np.bincount``, which avoids the fixed overhead of scipy sparse products (the latency budget
    is a few milliseconds); a batch uses one sparse product for all its queries.
    """

    def __init__(self, m: sp.spmatrix):
        m = sp.csr_matrix(m, dtype=np.float32)
        m.sum_duplicates()
        self.indptr = m.indptr.astype(np.int64)
        self.indices = m.indices.astype(np.int32)  # 532 fiches / 40k entries: int32 is plenty
        self.data = m.data.astype(np.float32)
        self.n_rows, self.n_cols = m.shape

    def _dot_one(self, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
        if len(cols) == 0:
            return np.zeros(self.n_cols)
        starts = self.indptr[cols]
        lens = self.indptr[cols + 1] - starts
        total = int(lens.sum())
        if total == 0:
            return np.zeros(self.n_cols)
        offsets = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(total)
        weights = self.data[offsets] * np.repeat(vals, lens)
        return np.bincount(self.indices[offsets], weights=weights, minlength=self.n_cols)

    def dot(self, rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        if len(rows) == 1:
            return self._dot_one(*rows[0])[None, :]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(c) for c, _ in rows])
        cols = np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, np.int64)
        vals = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
        q = sp.csr_matrix((vals, cols, indptr), shape=(len(rows), self.n_rows))
        m = sp.csr_matrix((self.data, self.indices, self.indptr), shape=(self.n_rows, self.n_cols), copy=False)
        return (q @ m).toarray().astype(np.float64)


def _row_normalise(m: sp.csr_matrix) -> sp.csr_matrix:
    m = sp.csr_matrix(m, dtype=np.float32)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    m.data /= np.repeat(norms, np.diff(m.indptr)).astype(np.float32)
    return m


def _binary(m: sp.spmatrix) -> sp.csr_matrix:
    m = sp.csr_matrix(m, dtype=np.float32)
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def _idf(df: np.ndarray, n: int) -> np.ndarray:
    return (np.log((n + 1.0) / (np.asarray(df).ravel() + 1.0)) + 1.0).astype(np.float32)


def _fiche_df(x: sp.csr_matrix, member: sp.csr_matrix) -> np.ndarray:
    """Number of fiches whose texts contain each feature.

    IDF is computed over fiches rather than entries: a word repeated by all twenty titles of one
    fiche ("macon") is highly discriminative, whereas entry-level IDF would call it common.
    """
    return np.asarray(((member @ x) > 0).sum(axis=0)).ravel()


def _unit(cols: list[int], weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique columns with their L2-normalised weights."""
    c = np.unique(np.asarray(cols, dtype=np.int64))
    v = weights[c].astype(np.float64)
    norm = math.sqrt(float(v @ v)) if len(v) else 0.0
    return c, (v / norm if norm else v)


# Linear weights of the per-fiche signals (see the module docstring). Fitted with a conditional
# logit (softmax over the fiches) on held-out titles of random 75/25 splits of the shipped titles,
# with seeds distinct from the benchmark's: ``python -m bench.coding --fit``.
WEIGHTS: dict[str, float] = {
    "nb": 0.43,
    "knn": 1.055,
    "knn2": 0.505,
    "cent": 2.333,
    "cov": 0.323,
    "skill": 1.214,
    "head": 0.041,
    "dom_knn": 1.974,
    "dom_cent": 1.107,
    "dom_nb": 0.271,
}

_NB_ALPHA = 0.02  # additive smoothing of naive Bayes (on TF-IDF mass, hence small)
_NB_CHAR_WEIGHT = 0.3  # weight of the character block relative to the word block in NB vectors
_SKILL_WEIGHT = 0.3  # a skill label counts for 30 % of a title as NB evidence
_NB_FLOOR = -30.0  # log-probability gap below the best fiche beyond which NB stops mattering
_FUZZY_CUTOFF = 80  # rapidfuzz ratio needed to replace an unknown word by a known one
_JUNK_SIMILARITY = 0.45  # below this, a query with no known word is considered junk
_BATCH = 128  # queries per chunk in suggest_many: bounds the (queries x entries) similarity matrix


class OccupationCoder:
    """Ranks fiches for a free-text job title. Build once, then query from any thread."""

    def __init__(self, weights: dict[str, float] | None = None):
        #: weights of the scoring signals (the benchmark refits and tries others)
        self.weights = dict(WEIGHTS if weights is None else weights)

    # ------------------------------------------------------------------ build
    @classmethod
    def build(cls, entries: Iterable[Entry], weights: dict[str, float] | None = None) -> "OccupationCoder":
        """Index the entries of every fiche. Deterministic; about two seconds for the full ROME."""
        self = cls(weights)
        main: dict[tuple[str, str, str], Entry] = {}
        skill_links: dict[tuple[str, str], None] = {}
        for e in entries:
            text = (e.text or "").strip()
            if not text:
                continue
            if e.kind == "skill":
                skill_links[(e.occupation, text)] = None
            else:
                main.setdefault((e.occupation, text, e.lang), Entry(e.occupation, text, e.lang, e.kind))
        if not main:
            raise ValueError("OccupationCoder.build needs at least one title or label entry")
        self.codes = sorted({k[0] for k in main})
        code_index = {c: i for i, c in enumerate(self.codes)}
        n_codes = len(self.codes)
        # a skill of a fiche that has no title is useless: we could never display a match
        skill_links = {k: None for k in skill_links if k[0] in code_index}

        # Entries sorted by fiche, so per-fiche maxima are a single reduceat; titles first so that
        # ties in similarity display a title rather than a label.
        kind_order = {"title": 0, "specialisation": 1, "occupation": 2}
        ordered = sorted(main.values(), key=lambda e: (code_index[e.occupation], kind_order.get(e.kind, 3),
                                                      e.lang != "fr", e.text))
        self.entry_text = [e.text for e in ordered]
        y = np.array([code_index[e.occupation] for e in ordered], dtype=np.int64)
        self._entry_fiche = y
        self._starts = np.flatnonzero(np.r_[True, np.diff(y) != 0])
        dom = [c[:3] for c in self.codes]  # ROME domain, e.g. "N41"; codes sorted => contiguous
        self._dom_starts = np.flatnonzero([i == 0 or dom[i] != dom[i - 1] for i in range(n_codes)])
        self._dom_of = np.cumsum(np.isin(np.arange(n_codes), self._dom_starts)) - 1
        self._dom_size = np.diff(np.r_[self._dom_starts, n_codes]).astype(np.float64)

        # ---- token lists (texts repeat a lot, e.g. skills shared by many fiches: tokenise once)
        skill_texts = sorted({t for _, t in skill_links})
        tok_cache: dict[str, list[str]] = {}
        for t in self.entry_text + skill_texts:
            if t not in tok_cache:
                tok_cache[t] = tokens(t)
        main_toks = [tok_cache[t] for t in self.entry_text]
        skill_toks = [tok_cache[t] for t in skill_texts]
        docs = main_toks + skill_toks

        # ---- per-word feature rows, then documents = sparse sums of their words' rows
        self._chars, self._wfeats, self._dfeats = _Index(), _Index(), _Index()
        self._word_id: dict[str, int] = {}
        self._word_chars: list[np.ndarray] = []
        self._word_wfeats: list[np.ndarray] = []
        for doc in docs:
            for w in doc:
                if w not in self._word_id:
                    self._word_id[w] = len(self._word_id)
                    self._word_chars.append(np.unique(np.asarray(self._chars.add(_char_ngrams(w)), np.int32)))
                    self._word_wfeats.append(np.unique(np.asarray(self._wfeats.add(_word_level_features(w)), np.int32)))
        n_words = len(self._word_id)
        wc = _csr_from_rows(self._word_chars, len(self._chars))
        ww = _csr_from_rows(self._word_wfeats, len(self._wfeats))
        d_rows = [[self._word_id[w] for w in doc] for doc in docs]
        dw = _csr_from_rows(d_rows, n_words)
        x_char = _binary(dw @ wc)  # docs x char n-grams
        x_word = _binary(dw @ ww)  # docs x word features
        doc_rows = [self._dfeats.add(_doc_level_features(d)) for d in docs]
        self._dfeats_n = len(self._dfeats)
        x_doc = _csr_from_rows(doc_rows, self._dfeats_n)
        del doc_rows, d_rows, wc, ww, tok_cache
        n_main = len(main_toks)
        gram_len = np.zeros(len(self._chars), dtype=np.int64)
        for g, j in self._chars.items():
            gram_len[j] = len(g)
        self._nb_char_cols = np.flatnonzero(gram_len >= _NB_CHAR_MIN)
        self._nb_char_map = np.full(len(self._chars), -1, dtype=np.int64)
        self._nb_char_map[self._nb_char_cols] = np.arange(len(self._nb_char_cols))

        # ---- fiche membership of documents (skills through their links, weighted)
        member = sp.csr_matrix((np.ones(n_main, np.float32), (y, np.arange(n_main))), shape=(n_codes, n_main))
        skill_pos = {t: i for i, t in enumerate(skill_texts)}
        links = sorted(skill_links)
        skill_member = sp.csr_matrix(
            (np.ones(len(links), np.float32), ([code_index[c] for c, _ in links], [skill_pos[t] for _, t in links])),
            shape=(n_codes, len(skill_texts)),
        )
        all_member = sp.hstack([member, skill_member], format="csr")
        nb_member = sp.hstack([member, _SKILL_WEIGHT * skill_member], format="csr")

        # ---- character TF-IDF of the main entries: nearest entry, second best, centroid
        xc_main = x_char[:n_main]
        self._cidf = _idf(_fiche_df(xc_main, member), n_codes)
        xc = _row_normalise(xc_main @ sp.diags(self._cidf))
        cent = _row_normalise(member @ xc)
        # one posting matrix for both: columns [entries | fiche centroids]
        self._sim = _Postings(sp.vstack([xc, cent], format="csr").T)
        del xc_main, xc, cent

        # ---- naive Bayes over TF-IDF vectors of words, head/bigrams and character 3-5-grams
        x_words = sp.hstack([x_word, x_doc], format="csr")
        x_nbchar = x_char[:, self._nb_char_cols]
        self._widf = _idf(_fiche_df(x_words, all_member), n_codes)
        self._nidf = _idf(_fiche_df(x_nbchar, all_member), n_codes)
        del x_char, x_word, x_doc
        x_nb = self._nb_matrix(x_words, x_nbchar)
        del x_words, x_nbchar
        counts = nb_member @ x_nb  # fiche x feature (weighted TF-IDF mass)
        del x_nb
        dom_member = sp.csr_matrix((np.ones(n_codes, np.float32), (self._dom_of, np.arange(n_codes))),
                                   shape=(len(self._dom_starts), n_codes))
        nb_log, self._nb_bias = _fit_nb(counts)
        dnb_log, self._dnb_bias = _fit_nb(dom_member @ counts)
        self._n_wcols = len(self._wfeats) + self._dfeats_n
        self._nb = _Postings(sp.hstack([nb_log, dnb_log], format="csr"))

        # ---- root coverage: which fiche mentions which root (titles and labels only)
        self._roots = _Index()
        root_rows = [self._roots.add(dict.fromkeys(_root(w) for w in d)) for d in main_toks]
        root_in = (member @ _csr_from_rows(root_rows, len(self._roots))) > 0
        self._ridf = _idf(np.asarray(root_in.sum(axis=0)), n_codes)
        self._cov = _Postings(root_in.T.astype(np.float32))
        self._unknown_idf = float(np.log(n_codes + 1.0) + 1.0)

        # ---- skill profile of each fiche: TF-IDF (sublinear) of the words of all its skills
        xs_words = dw[n_main:]
        prof = sp.csr_matrix(skill_member @ xs_words)  # fiche x word, counts
        prof.data = 1.0 + np.log(prof.data)
        self._sidf = _idf(np.asarray((prof > 0).sum(axis=0)), n_codes)
        self._skill = _Postings(_row_normalise(prof @ sp.diags(self._sidf)).T)

        # ---- head nouns of titles and specialisation labels: head word id -> fiches
        heads: dict[int, set[int]] = {}
        for d, c, e in zip(main_toks, y, ordered):
            if d and e.kind in ("title", "specialisation"):
                heads.setdefault(self._word_id[d[0]], set()).add(int(c))
        self._heads = {h: np.fromiter(sorted(s), dtype=np.int64) for h, s in heads.items()}

        # ---- words for typo correction: those of titles and labels, long enough to be safe
        self._fuzzy_words = sorted({w for d in main_toks for w in d if len(w) >= 4 and not w.isdigit()})
        return self

    def _nb_matrix(self, x_words: sp.csr_matrix, x_nbchar: sp.csr_matrix) -> sp.csr_matrix:
        """TF-IDF, L2 per block (words, characters), character block down-weighted, L2 overall."""
        w = _row_normalise(x_words @ sp.diags(self._widf))
        c = _row_normalise(x_nbchar @ sp.diags(self._nidf))
        return _row_normalise(sp.hstack([w, _NB_CHAR_WEIGHT * c], format="csr"))

    # ------------------------------------------------------------------ query features
    def _correct(self, toks: list[str]) -> list[str]:
        """Replace unknown words by the closest known title word (typos: "maçcon", "mecanicen")."""
        out = []
        for w in toks:
            if w in self._word_id or len(w) < 4 or w.isdigit():
                out.append(w)
                continue
            hit = process.extractOne(w, self._fuzzy_words, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
            out.append(hit[0] if hit else w)
        return list(dict.fromkeys(out))

    def _word_rows(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """Character and word-feature columns of one word (known columns only)."""
        j = self._word_id.get(word)
        if j is not None:
            return self._word_chars[j], self._word_wfeats[j]
        return (np.asarray(self._chars.known(_char_ngrams(word)), dtype=np.int64),
                np.asarray(self._wfeats.known(_word_level_features(word)), dtype=np.int64))

    def _query_rows(self, query: str):
        """Sparse feature rows of one query, or None if it has no content word."""
        raw = tokens(query)
        toks = self._correct(raw)
        if not toks:
            return None
        char_cols: list[np.ndarray] = []
        word_cols: list[np.ndarray] = []
        for w in dict.fromkeys(raw + toks):  # n-grams of the typed and of the corrected words
            c, wf = self._word_rows(w)
            char_cols.append(c)
            if w in toks:
                word_cols.append(wf)
        cc = np.unique(np.concatenate(char_cols))
        sim_row = _unit(cc, self._cidf)

        # naive Bayes vector: word block + down-weighted character 3-5-gram block, L2 overall
        wcols = np.unique(np.concatenate(word_cols)) if word_cols else np.zeros(0, np.int64)
        dcols = np.asarray(self._dfeats.known(_doc_level_features(toks)), dtype=np.int64) + len(self._wfeats)
        wc, wv = _unit(np.r_[wcols, dcols], self._widf)
        nbc = self._nb_char_map[cc]
        ncc, ncv = _unit(nbc[nbc >= 0], self._nidf)
        vals = np.r_[wv, _NB_CHAR_WEIGHT * ncv]
        norm = math.sqrt(float(vals @ vals)) or 1.0
        nb_row = (np.r_[wc, ncc + self._n_wcols], vals / norm)

        # roots, weighted by IDF; unknown roots count in the denominator only
        rcols, rvals, total = [], [], 0.0
        for r in dict.fromkeys(_root(w) for w in toks):
            j = self._roots.get(r)
            total += self._unknown_idf if j is None else float(self._ridf[j])
            if j is not None:
                rcols.append(j)
                rvals.append(float(self._ridf[j]))
        cov_row = (np.asarray(rcols, np.int64), np.asarray(rvals) / max(total, 1e-9))

        skill_row = _unit([self._word_id[w] for w in toks if w in self._word_id], self._sidf)
        head = self._word_id.get(toks[0])
        known = any(w in self._word_id for w in toks)
        return sim_row, nb_row, cov_row, skill_row, head, known

    def _features(self, queries: Sequence[str]) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """Per (query, fiche) signals, the best entry of each fiche, and a validity mask.

        All arrays are (n_queries x n_fiches); a query without content gets zeros and valid=False.
        """
        n_codes, n_entries = len(self.codes), len(self._entry_fiche)
        parsed = [self._query_rows(q) for q in queries]
        ok = [i for i, r in enumerate(parsed) if r is not None]
        m = len(queries)
        f = {name: np.zeros((m, n_codes)) for name in WEIGHTS}
        best_entry = np.zeros((m, n_codes), dtype=np.int64)
        valid = np.zeros(m, dtype=bool)
        if not ok:
            return f, best_entry, valid
        rows = [parsed[i] for i in ok]

        # nearest entries and centroids (cosine of fiche-IDF weighted character n-grams)
        sims_all = self._sim.dot([r[0] for r in rows])
        sims, cent = sims_all[:, :n_entries], sims_all[:, n_entries:]
        best = np.maximum.reduceat(sims, self._starts, axis=1)
        is_best = sims >= best[:, self._entry_fiche] - 1e-9
        second = np.maximum.reduceat(np.where(is_best, -1.0, sims), self._starts, axis=1)
        first = np.minimum.reduceat(np.where(is_best, np.arange(n_entries), n_entries), self._starts, axis=1)

        # naive Bayes at fiche and domain level (columns: fiches, then domains)
        nb_vals = [r[1][1] for r in rows]
        nb_all = self._nb.dot([r[1] for r in rows])
        l1 = np.array([float(v.sum()) for v in nb_vals])[:, None]
        nb = nb_all[:, :n_codes] + l1 * self._nb_bias
        dnb = nb_all[:, n_codes:] + l1 * self._dnb_bias

        head = np.zeros((len(rows), n_codes))
        for i, r in enumerate(rows):
            if r[4] is not None and r[4] in self._heads:
                head[i, self._heads[r[4]]] = 1.0

        g = {
            "knn": best,
            "knn2": np.maximum(second, 0.0),
            "cent": cent,
            "nb": np.maximum(nb - nb.max(axis=1, keepdims=True), _NB_FLOOR),
            "dom_nb": np.maximum(dnb - dnb.max(axis=1, keepdims=True), _NB_FLOOR)[:, self._dom_of],
            "cov": self._cov.dot([r[2] for r in rows]),
            "skill": self._skill.dot([r[3] for r in rows]),
            "head": head,
            # evidence pooled by ROME domain
            "dom_knn": np.maximum.reduceat(best, self._dom_starts, axis=1)[:, self._dom_of],
            "dom_cent": (np.add.reduceat(cent, self._dom_starts, axis=1) / self._dom_size)[:, self._dom_of],
        }
        for name in f:
            f[name][ok] = g[name]
        best_entry[ok] = first
        # junk: no known word and little resemblance to any entry ("qsdfgh", "zzxxqq")
        valid[ok] = np.array([r[5] for r in rows]) | (best.max(axis=1) >= _JUNK_SIMILARITY)
        return f, best_entry, valid

    # ------------------------------------------------------------------ ranking
    def _rank_batch(self, queries: Sequence[str], limit: int) -> list[list[Suggestion]]:
        f, best_entry, valid = self._features(queries)
        s = np.zeros_like(f["knn"])
        for name, w in self.weights.items():
            s += w * f[name]
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        k = min(limit, len(self.codes))
        out: list[list[Suggestion]] = []
        for i in range(len(queries)):
            if not valid[i] or k <= 0:
                out.append([])
                continue
            row = p[i]
            top = np.argpartition(-row, k - 1)[:k] if k < len(row) else np.arange(len(row))
            top = top[np.lexsort((top, -row[top]))]  # probability descending, then fiche code
            out.append([Suggestion(self.codes[j], float(min(1.0, max(0.0, row[j]))),
                                   self.entry_text[best_entry[i, j]]) for j in top])
        return out

    def suggest(self, query: str, limit: int = 5) -> list[Suggestion]:
        """Most likely fiches for one free-text job title, best first; ``[]`` for empty/junk input.

        ``score`` is the softmax probability of the fiche over all fiches (in [0, 1]);
        ``matched`` is the title or label of that fiche closest to the query.
        """
        if limit <= 0 or not query or not query.strip():
            return []
        return self._rank_batch([query], limit)[0]

    def suggest_many(self, queries: Sequence[str], limit: int = 5) -> list[list[Suggestion]]:
        """:meth:`suggest` for a batch: same results, with one sparse product per signal per chunk."""
        out: list[list[Suggestion]] = []
        if limit <= 0:
            return [[] for _ in queries]
        for start in range(0, len(queries), _BATCH):
            out.extend(self._rank_batch([q or "" for q in queries[start : start + _BATCH]], limit))
        return out


def _csr_from_rows(rows: Sequence[Sequence[int]], n_cols: int) -> sp.csr_matrix:
    """Binary CSR matrix whose row i has ones in the columns ``rows[i]`` (duplicates merged)."""
    indptr = np.zeros(len(rows) + 1, dtype=np.int32)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.fromiter((j for r in rows for j in r), dtype=np.int32, count=int(indptr[-1]))
    m = sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=(len(rows), n_cols))
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def _fit_nb(class_counts: sp.spmatrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """Sparse multinomial naive Bayes parameters, feature-major.

    log P(f|c) = log(N_fc + a) - log(N_c + a F). Most N_fc are zero, so we store only
    log(N_fc + a) - log(a) (sparse) and fold the rest into a per-class bias multiplied by the
    query's L1 mass: score_c(q) = q . L[:, c] + |q|_1 * bias_c.
    """
    n = sp.csr_matrix(class_counts, dtype=np.float64)
    n.sum_duplicates()
    n.eliminate_zeros()
    totals = np.asarray(n.sum(axis=1)).ravel()
    bias = math.log(_NB_ALPHA) - np.log(totals + _NB_ALPHA * n.shape[1])
    n.data = np.log(n.data + _NB_ALPHA) - math.log(_NB_ALPHA)
    return sp.csr_matrix(n.T), bias


# ---------------------------------------------------------------------------------------------
# Loading the reference CSVs
# ---------------------------------------------------------------------------------------------


def _split_variants(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(" | ") if v.strip()]


def entries_from_csv(data_dir: Path, exclude_codes: set[str] = frozenset(), skills: bool = True) -> list[Entry]:
    """Entries of every fiche from the derived ROME CSVs in ``data_dir``.

    Reads titles.csv (label_fr, each " | "-separated alt_labels_fr and label_en variant),
    occupations.csv (fiche labels fr/en), specialisations.csv (ROME 4.0 labels) and, if ``skills``,
    the fiche skills. Titles whose code is in ``exclude_codes`` are skipped (honest evaluation).
    """
    data_dir = Path(data_dir)

    def rows(name: str) -> list[dict[str, str]]:
        path = data_dir / name
        if not path.exists():
            return []
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    out: list[Entry] = []
    for r in rows("titles.csv"):
        if r["code"] in exclude_codes:
            continue
        occ = r["occupation"]
        out.append(Entry(occ, r["label_fr"], "fr", "title"))
        out.extend(Entry(occ, a, "fr", "title") for a in _split_variants(r.get("alt_labels_fr", "")))
        out.extend(Entry(occ, a, "en", "title") for a in _split_variants(r.get("label_en", "")))
    for r in rows("occupations.csv"):
        if r.get("label_fr"):
            out.append(Entry(r["code"], r["label_fr"], "fr", "occupation"))
        if r.get("label_en"):
            out.append(Entry(r["code"], r["label_en"], "en", "occupation"))
    for r in rows("specialisations.csv"):
        if r.get("label_fr"):
            out.append(Entry(r["occupation"], r["label_fr"], "fr", "specialisation"))
    if skills:
        labels = {r["code"]: r["label_fr"] for r in rows("skills.csv")}
        for r in rows("occupation_skills.csv"):
            label = labels.get(r["skill"])
            if label:
                out.append(Entry(r["occupation"], label, "fr", "skill"))
    return out
