"""Referral pages: proposing, following up, recording outcomes."""
from app.matching import referrals_bp  # noqa: F401
