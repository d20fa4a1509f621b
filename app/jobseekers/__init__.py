"""Job-seekers: registration at the counter, duplicates, search, consent, import and export."""
from flask import Blueprint

bp = Blueprint("jobseekers", __name__, template_folder="templates")

from app.jobseekers import import_routes, privacy_routes, routes  # noqa: E402,F401
