"""Redirect targets that stay on this site."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, url_for


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
