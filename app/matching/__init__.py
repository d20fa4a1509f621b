"""Matching of job-seekers and offers, and referrals ("mises en relation").

``engine/`` is the pure, vectorised core (no Flask, no models). ``loader`` and ``services``
are the ORM adapter: one index per country and worker, kept fresh from the change log that
``changes`` writes. ``routes`` holds the counsellors' pages (find candidates, find offers,
nightly lists, weights); ``referrals`` and ``referral_routes`` the referrals and their follow-up.
"""
from flask import Blueprint

bp = Blueprint("matching", __name__, template_folder="templates")
referrals_bp = Blueprint("referrals", __name__, template_folder="templates")

from app.matching import referral_routes, routes  # noqa: E402,F401
