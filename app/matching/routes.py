"""The counsellors' matching pages."""
from app.matching import bp  # noqa: F401
