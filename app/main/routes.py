from __future__ import annotations

from flask import current_app, redirect, render_template, request, session
from flask_login import current_user

from app.extensions import db
from app.i18n import SESSION_KEY
from app.main import bp
from app.urls import safe_next


@bp.route("/")
def index():
    return render_template("main/index.html")


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch language; kept on the account for users, in the session for visitors."""
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session[SESSION_KEY] = language
        if current_user.is_authenticated:
            current_user.locale = language
            db.session.commit()
    return redirect(safe_next(request.form.get("next") or request.referrer))
