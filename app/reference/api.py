"""JSON API for the coding assistant (autocomplete in forms)."""
from __future__ import annotations

from flask import jsonify, request

from app.reference import api_bp, services


@api_bp.route("/suggest")
def suggest():
    """``?q=maçon&limit=5`` → ``{"query": …, "results": [{code, label, matched, score}]}``."""
    query = request.args.get("q", "")
    try:
        limit = max(1, min(int(request.args.get("limit", 5)), 20))
    except ValueError:
        limit = 5
    results = services.suggest_occupations(query, limit=limit)
    response = jsonify(query=query, results=[s.__dict__ for s in results])
    # Reference data changes rarely; a short private cache spares the slow link.
    response.cache_control.private = True
    response.cache_control.max_age = 300
    response.vary.update(("Cookie", "Accept-Language"))  # labels follow the language
    return response
