from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp, services
from app.auth.forms import LoginForm, PasswordChangeForm
from app.auth.passwords import verify_password
from app.extensions import db
from app.i18n import SESSION_KEY
from app.urls import safe_next

# Pages a user who must change their password may still reach.
_OPEN_WHEN_PASSWORD_EXPIRED = {"auth.password", "auth.logout", "main.set_language", "static",
                               "bootstrap.static"}


@bp.before_app_request
def force_password_change():
    if (request.endpoint not in _OPEN_WHEN_PASSWORD_EXPIRED and current_user.is_authenticated
            and current_user.must_change_password):
        flash(_("Please choose a new password before you continue."), "warning")
        return redirect(url_for("auth.password"))
    return None


def _fresh_session() -> None:
    """Start from an empty cookie session at login and logout (no fixation, no messages or
    data left for the next person at a shared counter PC); only the language stays."""
    language = session.get(SESSION_KEY)
    session.clear()
    if language:
        session[SESSION_KEY] = language


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(form.username.data, form.password.data)
        db.session.commit()
        if result.user is not None:
            _fresh_session()
            login_user(result.user)
            return redirect(safe_next(request.args.get("next")))
        # The same message whether the account exists, is locked or the password is wrong:
        # the login form must not tell which usernames exist.
        flash(_("Wrong username or password. After several failures an account is locked for "
                "a while; ask an administrator if you are locked out."), "danger")
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.logout(current_user)
    db.session.commit()
    logout_user()
    _fresh_session()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    form._username, form._full_name = current_user.username, current_user.full_name
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors.append(_("Choose a password different from the current one."))
        else:
            services.change_password(current_user, form.new_password.data)
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.index"))
    status = 400 if form.errors else 200
    return render_template("auth/password.html", form=form), status
