"""Use cases for accounts and agencies: log in, change a password, manage users and agencies."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app import audit
from app.auth import passwords, sessions
from app.auth.models import Agency, Role, User
from app.db import utcnow
from app.extensions import db

# Verifying against a real hash even for unknown usernames keeps response times alike,
# so the login form does not tell which usernames exist.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = passwords.hash_password(secrets.token_hex(16))
    return _DUMMY_HASH


@dataclass
class LoginResult:
    user: User | None = None
    token: str | None = None
    locked: bool = False


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _aware(value):
    if value is not None and value.tzinfo is None:  # SQLite drops the zone
        return value.replace(tzinfo=utcnow().tzinfo)
    return value


def authenticate(username: str, password: str) -> LoginResult:
    """Check a login; count failures per account in the database and lock after too many.

    The failure counter is incremented with a single UPDATE, so that concurrent attempts
    from several workers cannot lose counts.
    """
    user = db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))
    if user is None or not user.active:
        passwords.verify_password(_dummy_hash(), password)
        return LoginResult()
    now = utcnow()
    locked_until = _aware(user.locked_until)
    if locked_until is not None and locked_until > now:
        passwords.verify_password(_dummy_hash(), password)  # same cost as any other attempt
        audit.record("login.refused_locked", "user", user.id, actor_id=user.id)
        return LoginResult(locked=True)
    if not passwords.verify_password(user.password_hash, password):
        cfg = current_app.config
        db.session.execute(
            sa.update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        )
        db.session.refresh(user)
        if user.failed_logins >= cfg["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            audit.record("login.locked", "user", user.id, actor_id=user.id)
            return LoginResult(locked=True)
        audit.record("login.failed", "user", user.id, actor_id=user.id)
        return LoginResult()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    token = sessions.open_session(user)
    user.session_token = token
    audit.record("login", "user", user.id, actor_id=user.id)
    return LoginResult(user=user, token=token)


def logout(user: User) -> None:
    """End the current server-side session."""
    sessions.close_session(user.session_token)
    audit.record("logout", "user", user.id, actor_id=user.id)


def change_password(user: User, new_password: str) -> None:
    """Set a new password and end the user's other sessions."""
    current_token = user.session_token
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    db.session.execute(
        sa.delete(sessions.UserSession).where(
            sessions.UserSession.user_id == user.id,
            sessions.UserSession.token_hash != sessions._digest(current_token or ""),
        )
    )
    audit.record("password.changed", "user", user.id)


def create_user(*, username: str, full_name: str, role: Role | str, password: str,
                email: str | None = None, agency_id: int | None = None,
                employer_id: int | None = None, must_change_password: bool = True) -> User:
    """Create an account; the caller has validated the password rules and the scope."""
    user = User(
        username=normalise_username(username),
        full_name=full_name.strip(),
        email=(email or "").strip() or None,
        role=Role(role).value,
        agency_id=agency_id,
        employer_id=employer_id,
        password_hash=passwords.hash_password(password),
        must_change_password=must_change_password,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", "user", user.id, role=user.role, agency_id=agency_id)
    return user


def update_user(user: User, **fields) -> None:
    """Change an account's details; deactivating it ends its sessions at once."""
    changed = {}
    for name, value in fields.items():
        if getattr(user, name) != value:
            changed[name] = value
            setattr(user, name, value)
    if changed.get("active") is False:
        sessions.close_all_sessions(user.id)
    if changed:
        audit.record("user.updated", "user", user.id, fields=sorted(changed))


def reset_password(user: User) -> str:
    """Give a user a new random password to hand over; they must change it at login."""
    password = generate_password()
    user.password_hash = passwords.hash_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    sessions.close_all_sessions(user.id)
    audit.record("password.reset", "user", user.id)
    return password


def deactivate_user(user: User) -> None:
    update_user(user, active=False)


def generate_password() -> str:
    """A random password that satisfies the rules, for first set-up and resets."""
    while True:
        candidate = secrets.token_urlsafe(12)
        if not passwords.password_problems(candidate):
            return candidate


def create_agency(*, code: str, name: str, country_code: str, region_id: int) -> Agency:
    """Create an agency in a country and region."""
    agency = Agency(code=code.strip().upper(), name=name.strip(), country_code=country_code,
                    region_id=region_id)
    db.session.add(agency)
    db.session.flush()
    audit.record("agency.created", "agency", agency.id, code=agency.code)
    return agency


def update_agency(agency: Agency, **fields) -> None:
    changed = [name for name, value in fields.items() if getattr(agency, name) != value]
    for name in changed:
        setattr(agency, name, fields[name])
    if changed:
        audit.record("agency.updated", "agency", agency.id, fields=sorted(changed))


def ensure_admin(username: str, password: str | None, full_name: str) -> tuple[User | None, str | None]:
    """Create the first administrator when no active one exists.

    Returns ``(user, generated_password)``; ``(None, None)`` when an administrator exists.
    """
    exists = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == Role.ADMIN, User.active)
    )
    if exists:
        return None, None
    generated = None
    if not password:
        password = generated = generate_password()
    user = create_user(username=username, full_name=full_name, role=Role.ADMIN, password=password,
                       must_change_password=generated is not None)
    return user, generated
