"""Employers (offers come with the offers issue)."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import TimestampMixin
from app.extensions import db


class Employer(TimestampMixin, db.Model):
    """A national or foreign employer; employer users belong to one."""

    __tablename__ = "employers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    country_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), index=True)
    # The agency that follows this employer; it scopes which staff may manage it.
    agency_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("agencies.id"), index=True)
    active: so.Mapped[bool] = so.mapped_column(default=True)

    def __str__(self) -> str:
        return self.name
