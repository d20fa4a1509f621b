"""Employers and offers: national and international offers, validation against fraud,
the employer portal and the public job board."""
from flask import Blueprint

bp = Blueprint("offers", __name__, template_folder="templates")
employers_bp = Blueprint("employers", __name__, template_folder="templates")
board_bp = Blueprint("board", __name__, template_folder="templates")

from app.offers import board, employer_routes, import_routes, routes  # noqa: E402,F401
