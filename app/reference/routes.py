from __future__ import annotations

from flask import abort, render_template, request

from app.reference import bp, services


@bp.route("/")
def index():
    return render_template("reference/index.html", tree=services.get_tree())


@bp.route("/domain/<code>")
def domain(code: str):
    found = services.get_domain(code.upper())
    if found is None:
        abort(404)
    return render_template("reference/domain.html", domain=found)


@bp.route("/search")
def search():
    query = request.args.get("q", "").strip()
    suggestions = services.suggest_occupations(query, limit=10) if query else []
    labels = services.search_labels(query) if query else []
    return render_template("reference/search.html", q=query, suggestions=suggestions, labels=labels)


@bp.route("/<code>")
def detail(code: str):
    sheet = services.get_occupation_sheet(code.upper())
    if sheet is None:
        abort(404)
    return render_template("reference/detail.html", sheet=sheet)
