"""From the database to the engine's records: column queries, no ORM objects.

A country's register loads in one query per table (people, their occupations, skills,
languages, mobility, consents), so that 100,000 people take seconds, not one query each.
The same functions load a handful of ids when the change log says they changed.

Only those matching may propose enter an index: active people (not anonymised, not merged)
with an unwithdrawn consent to be proposed, and open offers (published, positions left).
Each record also says whether it is eligible, so that one that stopped being eligible is
removed from the index rather than kept.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Iterable, Iterator

import sqlalchemy as sa

from app.extensions import db
from app.jobseekers.models import (
    Consent, ConsentPurpose, JobSeeker, JobSeekerLanguage, JobSeekerOccupation, JobSeekerSkill, SeekerStatus,
    jobseeker_mobility_countries, jobseeker_mobility_regions,
)
from app.matching.engine import (
    LanguageAsked, OfferRecord, Reference, SeekerOccupation, SeekerRecord, SkillAsked, monthly_amount,
)
from app.mobility.models import Dossier, Stage, dossier_countries
from app.offers.models import Offer, OfferLanguage, OfferSkill, OfferStatus
from app.reference.models import Domain, MobilityLink, Occupation, OccupationSkill
from app.reference.vocab import LANGUAGE_LEVEL_RANK

# IN lists stay below the parameter limits of SQLite and psycopg.
_CHUNK = 900
#: Stages of a mobility dossier whose destinations count as "being prepared to leave for".
PREPARING = (Stage.COUNSELLING, Stage.MATCHED, Stage.PRE_DEPARTURE)


def load_reference() -> Reference:
    """The fiches, their tree, mobility links and skill lists, as the database holds them now."""
    session = db.session
    occupations = session.execute(sa.select(Occupation.code, Occupation.domain_code)).all()
    grand = dict(session.execute(sa.select(Domain.code, Domain.grand_domain_code)).all())
    skills = session.execute(sa.select(OccupationSkill.occupation_code, OccupationSkill.skill_code,
                                       OccupationSkill.core)).all()
    links = session.execute(sa.select(MobilityLink.occupation_code, MobilityLink.target_code)).all()
    return Reference.build([tuple(r) for r in occupations], [(f, s, bool(c)) for f, s, c in skills],
                           [tuple(r) for r in links], grand)


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _education(level: str | None) -> int | None:
    return int(level) if level and level.isdigit() else None


def _execute(statement: sa.Select) -> sa.CursorResult:
    # Core rows through the session's connection: the ORM's result processing would double the
    # load time. Pending changes are flushed first, as the ORM's autoflush would.
    db.session.flush()
    return db.session.connection().execute(statement)


def _grouped(statement: sa.Select, ids: list[int] | None) -> dict[int, list[tuple]]:
    """Rows of ``statement`` (owner id first) grouped by owner; for ``ids`` only when given."""
    groups: dict[int, list[tuple]] = defaultdict(list)
    owner = statement.selected_columns[0]
    if ids is None:
        for row in _execute(statement):
            groups[row[0]].append(tuple(row[1:]))
        return groups
    for part in _chunks(ids):
        for row in _execute(statement.where(owner.in_(part))):
            groups[row[0]].append(tuple(row[1:]))
    return groups


# ---------------------------------------------------------------------- job-seekers

def seeker_records(country: str | None = None, ids: Iterable[int] | None = None
                   ) -> Iterator[tuple[str, SeekerRecord]]:
    """``(country, record)`` of the people of ``country``, or of ``ids``; the record's
    ``active``/``consented`` say whether matching may propose them."""
    wanted = sorted(set(ids)) if ids is not None else None
    if wanted is not None and not wanted:
        return
    J = JobSeeker
    people = sa.select(J.id, J.country_code, J.status, J.anonymised_at, J.merged_into_id, J.education_level,
                       J.driving_licences, J.region_id, J.abroad_interest, J.availability_date, J.salary_amount,
                       J.salary_currency, J.salary_period).order_by(J.id)
    # A country's load leaves out those who cannot be proposed at all, to keep the index small.
    scope = (sa.and_(J.country_code == country, J.status == SeekerStatus.ACTIVE.value, J.anonymised_at.is_(None),
                     J.merged_into_id.is_(None)) if country else None)

    def related(statement: sa.Select) -> dict[int, list[tuple]]:
        if scope is not None:
            statement = statement.join(J, J.id == statement.selected_columns[0]).where(scope)
        return _grouped(statement, wanted)

    O, S, L = JobSeekerOccupation, JobSeekerSkill, JobSeekerLanguage
    occupations = related(sa.select(O.jobseeker_id, O.occupation_code, O.years_experience)
                          .order_by(O.jobseeker_id, O.rank, O.id))
    skills = related(sa.select(S.jobseeker_id, S.skill_code).where(S.skill_code.is_not(None)))
    languages = related(sa.select(L.jobseeker_id, L.language, L.level))
    regions = related(sa.select(jobseeker_mobility_regions.c.jobseeker_id, jobseeker_mobility_regions.c.region_id))
    countries = related(sa.select(jobseeker_mobility_countries.c.jobseeker_id,
                                  jobseeker_mobility_countries.c.country_code))
    consented = related(sa.select(Consent.jobseeker_id, Consent.id).where(
        Consent.purpose == ConsentPurpose.PROPOSE.value, Consent.withdrawn_at.is_(None)))
    prepared = related(sa.select(Dossier.jobseeker_id, dossier_countries.c.country_code)
                       .join(dossier_countries, dossier_countries.c.dossier_id == Dossier.id)
                       .where(Dossier.stage.in_([s.value for s in PREPARING])))

    def rows() -> Iterator[sa.Row]:
        if wanted is None:
            yield from _execute(people.where(scope) if scope is not None else people)
        else:
            for part in _chunks(wanted):
                yield from _execute(people.where(J.id.in_(part)))

    for row in rows():
        spoken: dict[str, int] = {}
        for code, level in languages.get(row.id, ()):
            spoken[code] = max(spoken.get(code, 0), LANGUAGE_LEVEL_RANK.get(level, 1))
        salary = monthly_amount(float(row.salary_amount) if row.salary_amount is not None else None,
                                row.salary_period)
        yield row.country_code, SeekerRecord(
            id=row.id,
            occupations=tuple(SeekerOccupation(code, years) for code, years in occupations.get(row.id, ())),
            skills=frozenset(code for (code,) in skills.get(row.id, ())),
            languages=spoken,
            education=_education(row.education_level),
            licences=frozenset((row.driving_licences or "").split()),
            region=row.region_id,
            mobility_regions=frozenset(r for (r,) in regions.get(row.id, ())),
            mobility_countries=frozenset(c for (c,) in countries.get(row.id, ())),
            dossier_countries=frozenset(c for (c,) in prepared.get(row.id, ())),
            abroad_interest=bool(row.abroad_interest),
            available_from=row.availability_date,
            salary=salary,
            currency=row.salary_currency if salary is not None else None,
            active=(row.status == SeekerStatus.ACTIVE.value and row.anonymised_at is None
                    and row.merged_into_id is None),
            consented=row.id in consented,
        )


# ---------------------------------------------------------------------- offers

def is_open(status: str, positions: int, filled: int, closing: date | None, today: date) -> bool:
    """An offer matching may propose people to: published, not past its closing date, a post left."""
    return (status == OfferStatus.PUBLISHED.value and filled < positions
            and (closing is None or closing >= today))


def offer_records(country: str | None = None, ids: Iterable[int] | None = None, today: date | None = None
                  ) -> Iterator[tuple[str, date | None, OfferRecord]]:
    """``(country, closing date, record)`` of the offers of ``country`` or of ``ids``; a
    country's load reads only published offers, the others being closed to matching."""
    today = today or date.today()
    wanted = sorted(set(ids)) if ids is not None else None
    if wanted is not None and not wanted:
        return
    columns = sa.select(Offer.id, Offer.country_code, Offer.status, Offer.positions, Offer.positions_filled,
                        Offer.closing_date, Offer.occupation_code, Offer.education_level, Offer.education_required,
                        Offer.driving_licence, Offer.experience_years, Offer.beginners_ok, Offer.region_id,
                        Offer.international, Offer.destination_country, Offer.salary_min, Offer.salary_max,
                        Offer.salary_currency, Offer.salary_period, Offer.start_date).order_by(Offer.id)
    scope = (sa.and_(Offer.country_code == country, Offer.status == OfferStatus.PUBLISHED.value)
             if country else None)

    def related(statement: sa.Select) -> dict[int, list[tuple]]:
        if scope is not None:
            statement = statement.join(Offer, Offer.id == statement.selected_columns[0]).where(scope)
        return _grouped(statement, wanted)

    skills = related(sa.select(OfferSkill.offer_id, OfferSkill.skill_code, OfferSkill.required)
                     .order_by(OfferSkill.offer_id, OfferSkill.id))
    languages = related(sa.select(OfferLanguage.offer_id, OfferLanguage.language, OfferLanguage.level,
                                  OfferLanguage.required).order_by(OfferLanguage.offer_id, OfferLanguage.id))

    def rows() -> Iterator[sa.Row]:
        if wanted is None:
            yield from _execute(columns.where(scope) if scope is not None else columns)
        else:
            for part in _chunks(wanted):
                yield from _execute(columns.where(Offer.id.in_(part)))

    for row in rows():
        period = row.salary_period
        low = monthly_amount(float(row.salary_min) if row.salary_min is not None else None, period)
        high = monthly_amount(float(row.salary_max) if row.salary_max is not None else None, period)
        yield row.country_code, row.closing_date, OfferRecord(
            id=row.id,
            fiche=row.occupation_code,
            skills=tuple(SkillAsked(code, bool(required)) for code, required in skills.get(row.id, ())),
            languages=tuple(LanguageAsked(code, LANGUAGE_LEVEL_RANK.get(level, 1), bool(required))
                            for code, level, required in languages.get(row.id, ())),
            education=_education(row.education_level),
            education_required=bool(row.education_required),
            licence=row.driving_licence or None,
            experience_years=row.experience_years,
            beginners_ok=bool(row.beginners_ok),
            region=row.region_id,
            international=bool(row.international),
            destination_country=row.destination_country,
            salary_min=low,
            salary_max=high,
            currency=row.salary_currency if (low is not None or high is not None) else None,
            start_date=row.start_date,
            open=is_open(row.status, row.positions, row.positions_filled, row.closing_date, today),
        )
