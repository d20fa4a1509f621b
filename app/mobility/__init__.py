"""International mobility counselling: dossiers, pre-departure workshops, manager review,
skills partnerships and corridors."""
from flask import Blueprint

bp = Blueprint("mobility", __name__, template_folder="templates")

from app.mobility import extra_routes, routes  # noqa: E402,F401
