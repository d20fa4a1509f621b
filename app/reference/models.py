"""The ROAME-compatible occupation reference: tree, titles, skills, mobility, ISCO-08."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import utcnow
from app.extensions import db


class GrandDomain(db.Model):
    __tablename__ = "grand_domains"

    code: so.Mapped[str] = so.mapped_column(sa.String(8), primary_key=True)
    label_fr: so.Mapped[str] = so.mapped_column(sa.String(255))
    label_en: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    domains: so.Mapped[list[Domain]] = so.relationship(back_populates="grand_domain",
                                                       order_by="Domain.code")


class Domain(db.Model):
    __tablename__ = "domains"

    code: so.Mapped[str] = so.mapped_column(sa.String(8), primary_key=True)
    grand_domain_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("grand_domains.code"), index=True)
    label_fr: so.Mapped[str] = so.mapped_column(sa.String(255))
    label_en: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    grand_domain: so.Mapped[GrandDomain] = so.relationship(back_populates="domains")
    occupations: so.Mapped[list[Occupation]] = so.relationship(back_populates="domain",
                                                               order_by="Occupation.code")


class Occupation(db.Model):
    """A fiche (ROME v3 code such as F1703, or a national list's code)."""

    __tablename__ = "occupations"

    code: so.Mapped[str] = so.mapped_column(sa.String(16), primary_key=True)
    domain_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("domains.code"), index=True)
    label_fr: so.Mapped[str] = so.mapped_column(sa.String(255))
    label_en: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    definition_fr: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    access_fr: so.Mapped[str] = so.mapped_column(sa.Text, default="")  # how people enter the job
    domain: so.Mapped[Domain] = so.relationship(back_populates="occupations")


class Title(db.Model):
    """A job title (appellation) that belongs to one fiche."""

    __tablename__ = "titles"

    code: so.Mapped[str] = so.mapped_column(sa.String(16), primary_key=True)
    occupation_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("occupations.code"), index=True)
    label_fr: so.Mapped[str] = so.mapped_column(sa.String(255))
    alt_labels_fr: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    label_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    source: so.Mapped[str] = so.mapped_column(sa.String(16), default="")


class Specialisation(db.Model):
    """A ROME 4.0 fiche attached to its v3 parent."""

    __tablename__ = "specialisations"

    code: so.Mapped[str] = so.mapped_column(sa.String(16), primary_key=True)
    occupation_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("occupations.code"), index=True)
    label_fr: so.Mapped[str] = so.mapped_column(sa.String(255))


class Skill(db.Model):
    __tablename__ = "skills"

    code: so.Mapped[str] = so.mapped_column(sa.String(16), primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))  # know_how, soft, knowledge
    label_fr: so.Mapped[str] = so.mapped_column(sa.Text)
    label_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")


class OccupationSkill(db.Model):
    __tablename__ = "occupation_skills"

    occupation_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("occupations.code"), primary_key=True)
    skill_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("skills.code"), primary_key=True,
                                                  index=True)
    core: so.Mapped[bool] = so.mapped_column(default=False)
    skill: so.Mapped[Skill] = so.relationship()


class MobilityLink(db.Model):
    """A career move from one fiche to a nearby one; rank 1 is the closest."""

    __tablename__ = "mobility_links"

    occupation_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("occupations.code"), primary_key=True)
    target_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("occupations.code"), primary_key=True)
    rank: so.Mapped[int] = so.mapped_column()
    target: so.Mapped[Occupation] = so.relationship(foreign_keys=[target_code])


class IscoGroup(db.Model):
    __tablename__ = "isco_groups"

    code: so.Mapped[str] = so.mapped_column(sa.String(4), primary_key=True)
    level: so.Mapped[int] = so.mapped_column()
    parent_code: so.Mapped[str | None] = so.mapped_column(sa.String(4))
    label_fr: so.Mapped[str] = so.mapped_column(sa.String(255))
    label_en: so.Mapped[str] = so.mapped_column(sa.String(255))


class OccupationIsco(db.Model):
    """Weighted many-to-many link between a fiche and an ISCO-08 unit group."""

    __tablename__ = "occupation_isco"

    occupation_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("occupations.code"), primary_key=True)
    isco_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("isco_groups.code"), primary_key=True,
                                                 index=True)
    share: so.Mapped[float] = so.mapped_column()
    rank: so.Mapped[int] = so.mapped_column()
    isco: so.Mapped[IscoGroup] = so.relationship()


class ReferenceLoad(db.Model):
    """One run of ``flask reference load`` that changed something; the newest id
    tells every worker when its cached coder is stale."""

    __tablename__ = "reference_loads"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    loaded_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    source: so.Mapped[str] = so.mapped_column(sa.String(255))
    summary: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
