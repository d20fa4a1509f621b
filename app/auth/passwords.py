"""Password hashing (argon2id) and the password rules."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

MIN_LENGTH = 10
# The handful of passwords people pick first at a counter; a full list would not fit here.
COMMON = {
    "azertyuiop", "azerty1234", "motdepasse", "password12", "1234567890", "0123456789",
    "qwertyuiop", "motdepasse1", "password123", "administrateur", "bonjour123",
}


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` with the configured cost."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def password_problems(password: str, username: str = "", full_name: str = "") -> list[str]:
    """The rules ``password`` breaks, as translated sentences (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Use at least %(n)d characters.", n=MIN_LENGTH))
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        problems.append(_("Mix letters and digits."))
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 4:
        problems.append(_("This password is too easy to guess."))
    names = [username.lower()] + [part.lower() for part in full_name.split() if len(part) > 2]
    if any(name and name in lowered for name in names):
        problems.append(_("Do not use your name or username in your password."))
    return problems
