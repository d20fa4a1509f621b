"""Declarative base shared by every model, with a naming convention for constraints."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import sqlalchemy as sa
import sqlalchemy.orm as so

# Named constraints let Alembic drop and alter them, SQLite batch mode included.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware; use as a callable default, never a value."""
    return datetime.now(timezone.utc)


class Base(so.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_on_connect(dbapi_connection, _record) -> None:
    """On SQLite: let SQLAlchemy open transactions itself, and enforce foreign keys.

    The sqlite3 driver begins transactions lazily, so a SAVEPOINT could become the
    outermost transaction and its RELEASE would commit: per-row savepoints (imports)
    and dry runs would then write for real.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets readers go on while one worker writes; the busy timeout makes a second
        # writer wait its turn instead of failing.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()


@sa.event.listens_for(sa.engine.Engine, "begin")
def _sqlite_on_begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        # IMMEDIATE takes the write lock up front: two gunicorn workers that both read then
        # write would otherwise deadlock and one would get "database is locked" at once.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def next_in_counter(session: so.Session, model: type, **key: object) -> int:
    """Increment the counter row of ``model`` (a ``last`` column under the primary ``key``) and
    return the new value, creating the row at 1.

    One UPDATE … RETURNING does it, so that concurrent workers never get the same value; when
    two create the row at once, the loser's savepoint fails and it increments the winner's row.
    """
    statement = (sa.update(model).where(*(getattr(model, name) == value for name, value in key.items()))
                 .values(last=model.last + 1).returning(model.last))
    value = session.execute(statement).scalar()
    if value is None:
        try:
            with session.begin_nested():
                session.add(model(**key, last=1))
            value = 1
        except sa.exc.IntegrityError:
            value = session.execute(statement).scalar()
    return value
