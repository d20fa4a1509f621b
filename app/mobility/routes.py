"""Mobility pages."""
from app.mobility import bp  # noqa: F401
