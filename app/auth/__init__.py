"""Users, roles, agencies, countries, login and access control."""
from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")

from app.auth import admin, routes  # noqa: E402,F401
