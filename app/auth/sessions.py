"""Server-side login sessions: the cookie holds a random token, the database the session.

Logging out or deactivating a user deletes the rows, so a copied cookie stops working.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from app.auth.models import User, UserSession
from app.db import utcnow
from app.extensions import db

# Write last_seen_at at most this often, so that page views do not each cost a write.
TOUCH_EVERY = timedelta(minutes=5)
IDLE_TIMEOUT = timedelta(hours=12)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user: User) -> str:
    """Create a server-side session for ``user``; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=_digest(token), user_id=user.id))
    return token


def close_session(token: str | None) -> None:
    if token:
        db.session.execute(sa.delete(UserSession).where(UserSession.token_hash == _digest(token)))


def close_all_sessions(user_id: int) -> None:
    """End every session of a user (deactivation, password change)."""
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user_id))


def load_session(token: str) -> User | None:
    record = db.session.get(UserSession, _digest(token))
    if record is None or not record.user.active:
        return None
    now = utcnow()
    last_seen = record.last_seen_at
    if last_seen.tzinfo is None:  # SQLite returns naive datetimes
        last_seen = last_seen.replace(tzinfo=now.tzinfo)
    if now - last_seen > IDLE_TIMEOUT:
        db.session.delete(record)
        db.session.commit()
        return None
    if now - last_seen > TOUCH_EVERY:
        record.last_seen_at = now
        db.session.commit()
    record.user.session_token = token
    return record.user


def init_login_manager(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = _l("Please log in to see this page.")
    manager.login_message_category = "warning"
    manager.session_protection = "basic"

    @manager.user_loader
    def _load(token: str) -> User | None:
        return load_session(token)
