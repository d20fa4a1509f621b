"""The ORM side of matching: one index per country and worker, kept fresh from the change log.

Each worker process keeps, per country, a :class:`~app.matching.engine.MatchIndex` built from
the database the first time that country is matched. Before every query it reads the change
log (:class:`MatchChange`) past the last row it applied and reloads only the people and
offers named there, so that a person or offer created, edited, anonymised or closed in any
worker shows up in the next match of every worker, without a restart or a rebuild.

On PostgreSQL a transaction can commit after a later one: its row then has an id below rows
already applied. Ids missing below the last row applied are kept as gaps and asked for again
by id at each query, until they are older than any transaction could last (a rolled-back
transaction leaves a gap for good). The index is rebuilt when the reference is reloaded,
after a long idle period (the log is pruned after a week), or when more rows changed than a
rebuild would cost.

Queries hold a lock, so that a threaded server never ranks while a change is being applied.

The side being ranked (the offer of "find candidates", the person of "find offers") is read
from the database at the time of the query and passed to the engine as a record.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable

import sqlalchemy as sa
from flask import current_app

from app.db import utcnow
from app.extensions import db
from app.jobseekers.models import JobSeeker
from app.matching import changes
from app.matching.engine import Match, MatchIndex, MatchingParams, OfferRecord, SearchOptions, SeekerRecord
from app.matching.loader import load_reference, offer_records, seeker_records
from app.matching.models import MatchChange, MatchingSettings, MatchSuggestion, Referral
from app.offers.models import Offer
from app.reference.models import ReferenceLoad

log = logging.getLogger(__name__)

# How long an id missing from the change log is waited for: longer than any request's
# transaction (gunicorn kills a worker after 30 s; imports commit every chunk).
GAP_WAIT = timedelta(minutes=30)
MAX_GAPS = 10_000
GAP_WINDOW = 20_000
# The change log keeps a week; an index idle for longer is rebuilt rather than caught up.
KEEP_CHANGES = timedelta(days=7)
REBUILD_IDLE = timedelta(days=6)
# More changed records than this share of the index: a rebuild is cheaper than reloading them.
REBUILD_SHARE = 0.2
REBUILD_MIN = 5_000

_LOCK = threading.RLock()


@dataclass
class CountryIndex:
    """One country's index in this worker, with what it has applied of the change log."""

    country: str
    index: MatchIndex
    closing: dict[int, date | None]  # open offers' closing dates: checked on the day of the query
    watermark: int  # the highest change id applied
    gaps: dict[int, datetime] = field(default_factory=dict)  # ids below it not seen yet, since when
    reference_version: int | None = None
    settings_version: int | None = None
    refreshed_at: datetime = field(default_factory=utcnow)
    build_seconds: float = 0.0


def _cache() -> dict[str, CountryIndex]:
    return current_app.extensions.setdefault("matching_indexes", {})


def _reference_version() -> int | None:
    return db.session.execute(sa.select(sa.func.max(ReferenceLoad.id))).scalar()


def _last_change() -> int:
    return db.session.execute(sa.select(sa.func.max(MatchChange.id))).scalar() or 0


def build_index(country: str, today: date | None = None) -> CountryIndex:
    """Load a country's open offers and the people matching may propose into a new index."""
    started = time.perf_counter()
    # The watermark is read first: a change made during the load is applied again afterwards.
    watermark = _last_change()
    reference_version = _reference_version()
    index = MatchIndex(load_reference())
    index.seekers.load(record for _country, record in seeker_records(country)
                       if record.active and record.consented)
    closing: dict[int, date | None] = {}
    offers: list[OfferRecord] = []
    for _country, closes, record in offer_records(country, today=today):
        if record.open:
            offers.append(record)
            closing[record.id] = closes
    index.offers.load(offers)
    built = CountryIndex(country, index, closing, watermark, reference_version=reference_version,
                         build_seconds=time.perf_counter() - started)
    log.info("matching index for %s: %d people, %d offers in %.1f s", country, len(index.seekers),
             len(index.offers), built.build_seconds)
    return built


def _apply(entry: CountryIndex, kind: str, ids: set[int], today: date) -> None:
    if kind == changes.SEEKER:
        found = set()
        for country, record in seeker_records(ids=ids):
            found.add(record.id)
            if country == entry.country and record.active and record.consented:
                entry.index.upsert_seeker(record)
            else:
                entry.index.remove_seeker(record.id)
        for gone in ids - found:
            entry.index.remove_seeker(gone)
        return
    found = set()
    for country, closes, record in offer_records(ids=ids, today=today):
        found.add(record.id)
        if country == entry.country and record.open:
            entry.index.upsert_offer(record)
            entry.closing[record.id] = closes
        else:
            entry.index.remove_offer(record.id)
            entry.closing.pop(record.id, None)
    for gone in ids - found:
        entry.index.remove_offer(gone)
        entry.closing.pop(gone, None)


def _catch_up(entry: CountryIndex, today: date) -> bool:
    """Apply the change log since the last row applied; ``False`` when a rebuild is due."""
    now = utcnow()
    if now - entry.refreshed_at > REBUILD_IDLE or len(entry.gaps) > MAX_GAPS:
        return False
    wanted = MatchChange.id > entry.watermark
    if entry.gaps:
        wanted = sa.or_(wanted, MatchChange.id.in_(sorted(entry.gaps)))
    rows = db.session.execute(sa.select(MatchChange.id, MatchChange.kind, MatchChange.object_id)
                              .where(wanted).order_by(MatchChange.id)).all()
    touched: dict[str, set[int]] = {changes.SEEKER: set(), changes.OFFER: set()}
    for row in rows:
        touched.setdefault(row.kind, set()).add(row.object_id)
    size = len(entry.index.seekers) + len(entry.index.offers)
    if sum(map(len, touched.values())) > max(REBUILD_MIN, REBUILD_SHARE * size):
        return False
    for kind, ids in touched.items():
        if ids:
            _apply(entry, kind, ids, today)
    seen = {row.id for row in rows}
    top = max(seen, default=entry.watermark)
    # Only the ids just below the newest can belong to a transaction still running; older
    # ones were pruned, or rolled back long ago (and a first catch-up may jump far).
    for missing in set(range(max(entry.watermark + 1, top - GAP_WINDOW), top)) - seen:
        entry.gaps[missing] = now
    entry.gaps = {k: since for k, since in entry.gaps.items() if k not in seen and now - since < GAP_WAIT}
    entry.watermark = max(entry.watermark, top)
    entry.refreshed_at = now
    return True


def _settings(entry: CountryIndex) -> None:
    row = db.session.execute(sa.select(MatchingSettings.version, MatchingSettings.params)
                             .where(MatchingSettings.country_code == entry.country)).first()
    version = row.version if row else None
    if version == entry.settings_version:
        return
    entry.index.params = _stored_params(entry.country, row.params if row else None)
    entry.settings_version = version


def _stored_params(country: str, stored: dict | None) -> MatchingParams:
    """Settings as stored; they are validated when saved, so a bad row (written by hand) falls
    back to the defaults."""
    if stored is None:
        return MatchingParams()
    try:
        return MatchingParams.from_mapping(stored)
    except (TypeError, ValueError):
        log.error("matching settings of %s are invalid; the defaults apply", country)
        return MatchingParams()


def country_index(country: str, today: date | None = None) -> CountryIndex:
    """This worker's index of ``country``, brought up to date with the database."""
    today = today or date.today()
    with _LOCK:
        cache = _cache()
        entry = cache.get(country)
        if entry is None or entry.reference_version != _reference_version() or not _catch_up(entry, today):
            entry = cache[country] = build_index(country, today)
        _settings(entry)
        return entry


def forget_indexes() -> None:
    """Drop this worker's indexes (tests, and after a reference reload in the same process)."""
    with _LOCK:
        _cache().clear()


def params_for(country: str) -> MatchingParams:
    """The weights in force for ``country``: its settings, or the defaults."""
    row = db.session.get(MatchingSettings, country)
    return _stored_params(country, (row.params or {}) if row else None)


def save_params(country: str, params: MatchingParams, user_id: int | None) -> MatchingSettings:
    """Store validated settings for a country; every worker applies them at its next query."""
    row = db.session.get(MatchingSettings, country)
    if row is None:
        row = MatchingSettings(country_code=country, params=params.as_dict(), version=1, updated_by_id=user_id)
        db.session.add(row)
    else:
        row.params = params.as_dict()
        row.version += 1
        row.updated_by_id = user_id
    db.session.flush()
    return row


# ---------------------------------------------------------------------- queries

@dataclass
class Ranking:
    """The answer to a search: the matches, and why there are none when the side ranked
    cannot be matched (``refusal``: "closed" offer, "inactive" person, "no_consent")."""

    matches: list[Match]
    refusal: str | None = None
    referred: frozenset[int] = frozenset()  # ids already referred (people for an offer, offers for a person)
    seconds: float = 0.0


def referred_people(offer_id: int) -> frozenset[int]:
    return frozenset(db.session.execute(
        sa.select(Referral.jobseeker_id).where(Referral.offer_id == offer_id)).scalars())


def referred_offers(seeker_id: int) -> frozenset[int]:
    return frozenset(db.session.execute(
        sa.select(Referral.offer_id).where(Referral.jobseeker_id == seeker_id)).scalars())


def offer_record(offer: Offer, today: date | None = None) -> OfferRecord:
    """The offer as the engine sees it, read now."""
    return next(offer_records(ids=[offer.id], today=today))[2]


def seeker_record(seeker: JobSeeker) -> SeekerRecord:
    """The person as the engine sees them, read now."""
    return next(seeker_records(ids=[seeker.id]))[1]


def find_candidates(offer: Offer, *, limit: int = 20, min_score: float = 0.0, include_related: bool = True,
                    regions: Iterable[int] | None = None, include_referred: bool = False,
                    today: date | None = None) -> Ranking:
    """The best people for ``offer`` in its country; people already referred to it are left
    out unless ``include_referred``."""
    started = time.perf_counter()
    today = today or date.today()
    record = offer_record(offer, today)
    if not record.open:
        return Ranking([], refusal="closed")
    referred = referred_people(offer.id)
    options = SearchOptions(limit=limit, min_score=min_score, include_related=include_related,
                            regions=frozenset(regions) if regions else None,
                            exclude=frozenset() if include_referred else referred, as_of=today)
    with _LOCK:
        matches = country_index(offer.country_code, today).index.rank_seekers(record, options)
    return Ranking(matches, referred=referred, seconds=time.perf_counter() - started)


def find_offers(seeker: JobSeeker, *, limit: int = 20, min_score: float = 0.0, include_related: bool = True,
                scope: str = "all", regions: Iterable[int] | None = None, include_referred: bool = False,
                today: date | None = None) -> Ranking:
    """The best open offers for ``seeker``, national and international (``scope``)."""
    started = time.perf_counter()
    today = today or date.today()
    record = seeker_record(seeker)
    if not record.active:
        return Ranking([], refusal="inactive")
    if not record.consented:
        return Ranking([], refusal="no_consent")
    referred = referred_offers(seeker.id)
    with _LOCK:
        entry = country_index(seeker.country_code, today)
        # Offers whose closing date passed since they were loaded are no longer open.
        closed = frozenset(k for k, closes in entry.closing.items() if closes is not None and closes < today)
        exclude = closed if include_referred else closed | referred
        options = SearchOptions(limit=limit, min_score=min_score, include_related=include_related,
                                regions=frozenset(regions) if regions else None, exclude=exclude, scope=scope,
                                as_of=today)
        matches = entry.index.rank_offers(record, options)
    return Ranking(matches, referred=referred, seconds=time.perf_counter() - started)


def match_pair(seeker: JobSeeker, offer: Offer, today: date | None = None) -> Match | None:
    """The match of one person and one offer, read now, with every factor; ``None`` when a
    hard filter excludes the pair (closed offer, inactive person, no consent, a must-have)."""
    return match_pairs([(seeker, offer)], today)[0]


def match_pairs(pairs: list[tuple[JobSeeker, Offer]], today: date | None = None) -> list[Match | None]:
    """:func:`match_pair` for many pairs, their records read in a few queries."""
    if not pairs:
        return []
    today = today or date.today()
    people = {record.id: record for _country, record in seeker_records(ids={s.id for s, _ in pairs})}
    posts = {record.id: record for _c, _closes, record in offer_records(ids={o.id for _, o in pairs}, today=today)}
    with _LOCK:
        settings = {}
        for country in sorted({o.country_code for _, o in pairs}):
            entry = country_index(country, today)
            settings[country] = (entry.index.reference, entry.index.params)
    # A small index per offer, holding that offer alone, ranks the people against it.
    one_offer: dict[int, MatchIndex] = {}
    out: list[Match | None] = []
    for seeker, offer in pairs:
        if offer.id not in one_offer:
            one_offer[offer.id] = MatchIndex(*settings[offer.country_code])
            one_offer[offer.id].offers.load([posts[offer.id]])
        found = one_offer[offer.id].rank_offers(people[seeker.id], SearchOptions(limit=1, as_of=today))
        out.append(found[0] if found else None)
    return out


# ---------------------------------------------------------------------- nightly lists

@dataclass
class NightlyRun:
    country: str
    offers: int = 0
    suggestions: int = 0
    agencies: set[int] = field(default_factory=set)
    seconds: float = 0.0


def run_nightly(country: str, limit: int = 20, today: date | None = None) -> NightlyRun:
    """The best ``limit`` people for every open offer of ``country``, stored per agency.

    Each agency's previous lists are replaced; offers with no agency have no list. Change-log
    rows older than a week are pruned here too. The caller commits.
    """
    started = time.perf_counter()
    today = today or date.today()
    with _LOCK:
        return _run_nightly(country, limit, today, started)


def _run_nightly(country: str, limit: int, today: date, started: float) -> NightlyRun:
    entry = country_index(country, today)
    agency_of = dict(db.session.execute(
        sa.select(Offer.id, Offer.agency_id).where(Offer.country_code == country, Offer.agency_id.is_not(None))).all())
    run = NightlyRun(country)
    rows: list[dict[str, Any]] = []
    closed = {k for k, closes in entry.closing.items() if closes is not None and closes < today}
    for offer_id, matches in entry.index.rank_all_offers(SearchOptions(limit=limit, as_of=today)):
        agency = agency_of.get(offer_id)
        if agency is None or offer_id in closed:
            continue
        run.offers += 1
        run.agencies.add(agency)
        rows.extend({"run_on": today, "agency_id": agency, "offer_id": offer_id, "jobseeker_id": m.seeker_id,
                     "rank": rank, "score": round(m.score, 6)} for rank, m in enumerate(matches, 1))
    country_agencies = sa.select(Offer.agency_id).where(Offer.country_code == country).distinct()
    db.session.execute(sa.delete(MatchSuggestion).where(MatchSuggestion.agency_id.in_(country_agencies)))
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(MatchSuggestion), rows[start:start + 5000])
    run.suggestions = len(rows)
    db.session.execute(sa.delete(MatchChange).where(MatchChange.at < utcnow() - KEEP_CHANGES))
    run.seconds = time.perf_counter() - started
    return run
