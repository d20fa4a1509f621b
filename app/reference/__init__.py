"""The ROAME-compatible occupation reference and the occupation coding assistant."""
from flask import Blueprint

bp = Blueprint("reference", __name__, template_folder="templates")
api_bp = Blueprint("reference_api", __name__)

from app.reference import api, routes  # noqa: E402,F401
