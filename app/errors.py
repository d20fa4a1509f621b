"""HTML and JSON error handlers, and the shared JSON error response."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from app.extensions import db


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def error_response(status: int, message: str | None = None, **extra):
    """A JSON error body: ``{"error": <reason>, "message": <text>}`` with ``status``."""
    payload = {"error": HTTP_STATUS_CODES.get(status, "Unknown error")}
    if message:
        payload["message"] = message
    payload.update(extra)
    response = jsonify(payload)
    response.status_code = status
    return response


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("The page you asked for does not exist."),
        405: _("This action is not allowed here."),
        413: _("The file is too large."),
        429: _("Too many attempts. Please wait and try again."),
        500: _("Something went wrong on our side. Nothing was saved; please try again."),
    }


def register_error_handlers(app: Flask) -> None:
    @app.before_request
    def refuse_nul_bytes():
        # PostgreSQL refuses NUL in text; such input is never legitimate, so stop it here.
        values = list(request.args.values()) + (list(request.form.values()) if request.form else [])
        if "\x00" in request.path or any("\x00" in v for v in values):
            from flask import abort

            abort(400)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("Your form expired or was sent from elsewhere. Please reload the page and try again.")
        if wants_json():
            return error_response(400, message)
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        message = _messages().get(code, error.name)
        if wants_json():
            return error_response(code, message)
        return render_template("errors/error.html", code=code, message=message), code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        message = _messages()[500]
        if wants_json():
            return error_response(500, message)
        return render_template("errors/error.html", code=500, message=message), 500
