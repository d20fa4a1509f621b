"""Redirect targets that stay on this site."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, request, url_for
from werkzeug.routing import IntegerConverter

from app.formtools import MAX_ID


def safe_next(target: str | None) -> str:
    """``target`` if it is a local path, else the home page: open redirects help phishing."""
    # Browsers read a backslash as a slash ("/\\evil.example" is "//evil.example"), and drop
    # tabs and newlines from URLs: such targets are refused outright.
    if target and not any(c == "\\" or ord(c) < 32 for c in target):
        parts = urlsplit(target)
        if parts.netloc in ("", request.host) and parts.scheme in ("", "http", "https"):
            path = parts.path or "/"
            if path.startswith("/") and not path.startswith("//"):
                return path + (f"?{parts.query}" if parts.query else "")
    return url_for("main.index")


class BoundedInt(IntegerConverter):
    """``<int:…>`` in routes, bounded to the database's integers: a larger number in a URL is a
    404, not an overflow in the database driver (a 500)."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits, min, MAX_ID if max is None else max, signed)


# No list has this many pages; a larger ``?page=`` would overflow the OFFSET.
MAX_PAGE = 100_000


def check_page_argument() -> None:
    """Before each request: a page number beyond any list is a 404."""
    page = request.args.get("page", "")
    if len(page) > 6 or (page.isascii() and page.isdigit() and int(page) > MAX_PAGE):
        abort(404)
