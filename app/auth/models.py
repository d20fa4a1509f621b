"""Users, roles, agencies, countries and regions."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin

from app.db import TimestampMixin, utcnow
from app.extensions import db


class Role(StrEnum):
    AGENT = "agent"
    EMPLOYER = "employer"
    COUNSELLOR = "counsellor"
    MOBILITY_COUNSELLOR = "mobility_counsellor"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def title(self) -> str:
        return str(ROLE_TITLES[self])


ROLE_TITLES = {
    Role.AGENT: _l("Agent"),
    Role.EMPLOYER: _l("Employer"),
    Role.COUNSELLOR: _l("Counsellor"),
    Role.MOBILITY_COUNSELLOR: _l("Mobility counsellor"),
    Role.MANAGER: _l("Manager"),
    Role.ADMIN: _l("Administrator"),
}


class CountryKind(StrEnum):
    PES = "pes"  # a country whose employment service runs the system
    DESTINATION = "destination"  # a usual destination for international mobility


class Country(db.Model):
    """A country; its name comes from CLDR in the reader's language (see app.i18n)."""

    __tablename__ = "countries"

    code: so.Mapped[str] = so.mapped_column(sa.String(2), primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    currency: so.Mapped[str] = so.mapped_column(sa.String(3))
    regions: so.WriteOnlyMapped[Region] = so.relationship(back_populates="country")

    @property
    def name(self) -> str:
        from app.i18n import country_name

        return country_name(self.code)


class Region(db.Model):
    """A first-level administrative region (ISO 3166-2 subdivision)."""

    __tablename__ = "regions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(8), unique=True)
    country_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))  # ISO 3166-2 name, as published
    country: so.Mapped[Country] = so.relationship(back_populates="regions")

    @property
    def label(self) -> str:
        from app.i18n import region_name

        return region_name(self.name)


class Agency(TimestampMixin, db.Model):
    """A PES agency, head office included."""

    __tablename__ = "agencies"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    country_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), index=True)
    region_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), index=True)
    active: so.Mapped[bool] = so.mapped_column(default=True)

    country: so.Mapped[Country] = so.relationship()
    region: so.Mapped[Region] = so.relationship()

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def access_scope(self):
        from app.auth.access import ObjectScope

        return ObjectScope(agency_id=self.id, country_code=self.country_code)

    @classmethod
    def country_clause(cls, code: str) -> sa.ColumnElement[bool]:
        return cls.country_code == code


class User(UserMixin, TimestampMixin, db.Model):
    """A person who logs in. Staff belong to an agency, employer users to an employer."""

    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    full_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    role: so.Mapped[str] = so.mapped_column(sa.String(32))
    agency_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("agencies.id"), index=True)
    employer_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("employers.id"), index=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    password_changed_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    must_change_password: so.Mapped[bool] = so.mapped_column(default=False)
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(5))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    failed_logins: so.Mapped[int] = so.mapped_column(default=0)
    locked_until: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))

    agency: so.Mapped[Agency | None] = so.relationship()
    employer: so.Mapped["Employer | None"] = so.relationship(foreign_keys=[employer_id])  # noqa: F821

    # Set by the session loader: Flask-Login identifies a login by its server-side
    # session token, never by the user id, so that a session can be revoked.
    session_token = None

    def get_id(self) -> str:
        return self.session_token or ""

    # Flask-Login's is_active: deactivated users cannot log in or keep a session.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def country_code(self) -> str | None:
        if self.agency is not None:
            return self.agency.country_code
        if self.employer is not None:
            return self.employer.country_code
        return None

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})"

    @classmethod
    def country_clause(cls, code: str) -> sa.ColumnElement[bool]:
        from app.offers.models import Employer

        return sa.or_(
            cls.agency_id.in_(sa.select(Agency.id).where(Agency.country_code == code)),
            cls.employer_id.in_(sa.select(Employer.id).where(Employer.country_code == code)),
        )


class UserSession(db.Model):
    """A server-side login session; logout and deactivation delete it."""

    __tablename__ = "user_sessions"

    # SHA-256 of the random token held in the signed cookie: a leaked table is useless.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_seen_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)

    user: so.Mapped[User] = so.relationship()
