"""Reading the reference for pages and the API: tree, fiche details, coded suggestions."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.i18n import current_language
from app.reference.lookup import get_coder, occupation_labels
from app.reference.models import (
    Domain, GrandDomain, MobilityLink, Occupation, OccupationIsco, OccupationSkill, Specialisation, Title,
)

MAX_QUERY = 120


@dataclass(frozen=True)
class CodedSuggestion:
    code: str
    label: str
    matched: str
    score: float


def suggest_occupations(query: str, limit: int = 5) -> list[CodedSuggestion]:
    """The most likely fiches for what a person said, best first, with the matching title."""
    query = (query or "").strip()[:MAX_QUERY]
    coder = get_coder()
    if not query or coder is None:
        return []
    labels = occupation_labels(current_language())
    return [
        CodedSuggestion(s.code, labels.get(s.code, s.code), s.matched, round(s.score, 3))
        for s in coder.suggest(query, limit=limit)
        if s.code in labels
    ]


def get_tree() -> list[GrandDomain]:
    """Grand domains with their domains, loaded in two queries."""
    query = sa.select(GrandDomain).options(so.selectinload(GrandDomain.domains)).order_by(GrandDomain.code)
    return list(db.session.scalars(query))


def get_domain(code: str) -> Domain | None:
    query = sa.select(Domain).where(Domain.code == code).options(
        so.selectinload(Domain.occupations), so.joinedload(Domain.grand_domain))
    return db.session.scalar(query)


@dataclass
class OccupationSheet:
    occupation: Occupation
    titles: list[Title]
    specialisations: list[Specialisation]
    core_skills: list
    other_skills: list
    related: list[MobilityLink]
    isco: list[OccupationIsco]


def get_occupation_sheet(code: str) -> OccupationSheet | None:
    """Everything a fiche page shows, in a fixed number of queries."""
    occupation = db.session.scalar(
        sa.select(Occupation).where(Occupation.code == code)
        .options(so.joinedload(Occupation.domain).joinedload(Domain.grand_domain)))
    if occupation is None:
        return None
    titles = list(db.session.scalars(
        sa.select(Title).where(Title.occupation_code == code).order_by(Title.label_fr)))
    specialisations = list(db.session.scalars(
        sa.select(Specialisation).where(Specialisation.occupation_code == code,
                                        Specialisation.code != code).order_by(Specialisation.code)))
    skills = list(db.session.scalars(
        sa.select(OccupationSkill).where(OccupationSkill.occupation_code == code)
        .options(so.joinedload(OccupationSkill.skill))))
    skills.sort(key=lambda link: (link.skill.kind, link.skill.label_fr))
    related = list(db.session.scalars(
        sa.select(MobilityLink).where(MobilityLink.occupation_code == code)
        .options(so.joinedload(MobilityLink.target)).order_by(MobilityLink.rank)))
    isco = list(db.session.scalars(
        sa.select(OccupationIsco).where(OccupationIsco.occupation_code == code)
        .options(so.joinedload(OccupationIsco.isco)).order_by(OccupationIsco.rank)))
    return OccupationSheet(
        occupation=occupation, titles=titles, specialisations=specialisations,
        core_skills=[s for s in skills if s.core], other_skills=[s for s in skills if not s.core],
        related=related, isco=isco,
    )


def search_labels(query: str, limit: int = 50) -> list[Occupation]:
    """Fiches whose code or label contains the query (exact browsing, beside the coder)."""
    query = (query or "").strip()[:MAX_QUERY]
    if not query:
        return []
    like = f"%{query.lower()}%"
    statement = sa.select(Occupation).where(sa.or_(
        sa.func.lower(Occupation.code) == query.lower(),
        sa.func.lower(Occupation.label_fr).like(like),
        sa.func.lower(Occupation.label_en).like(like),
    )).order_by(Occupation.code).limit(limit)
    return list(db.session.scalars(statement))
