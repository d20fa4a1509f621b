"""Settings read from the environment (and from ``.env`` in development)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")


def _database_url(url: str) -> str:
    # psycopg 3 is the only PostgreSQL driver installed; accept the usual URL forms.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'pes.sqlite'}")
    )
    # hide_parameters: database errors must not carry names or national IDs into the logs.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    LANGUAGES = ["fr", "en"]
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("TIMEZONE", "UTC")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    BOOTSTRAP_SERVE_LOCAL = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    WTF_CSRF_TIME_LIMIT = None  # a counter session lasts all day; the token is bound to the session
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    # Each document of a mobility dossier (PDF, JPEG or PNG).
    MOBILITY_DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
    # Failed logins before an account is locked, and for how long (minutes).
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "15"))
    # argon2id cost: RFC 9106's second recommended setting (64 MiB, 3 passes).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    ARGON2_PARALLELISM = 2
    REFERENCE_DATA_DIR = str(BASE_DIR / "app" / "reference" / "data" / "rome3_2021_v460")
    ITEMS_PER_PAGE = 25


def _instance_secret() -> str:
    """A random key kept in ``instance/secret_key``: ``make run`` on a LAN server then signs
    sessions with a key nobody else has, and keeps it across restarts and workers."""
    path = BASE_DIR / "instance" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class DevelopmentConfig(Config):
    SECRET_KEY = os.environ.get("SECRET_KEY") or _instance_secret()


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"

    @classmethod
    def check(cls) -> None:
        """Refuse to start without the settings production cannot guess."""
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(f"Missing required settings: {', '.join(missing)}")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    WTF_CSRF_ENABLED = False
    # Cheap hashing keeps the suite fast; the production cost is asserted by a test.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1


CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig, "testing": TestingConfig}
