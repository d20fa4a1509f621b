"""Mobility pages: documents, workshops, departure, follow-up, return, corridors."""
from app.mobility import bp  # noqa: F401
