"""Browser harness: the session's app served on a local port, driven by Playwright in
Debian's chromium. In CI a missing browser fails the run; elsewhere it skips."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without these, chromium tries to reach Google's services and stalls on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: browser journeys cannot be skipped in CI")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_server(app):
    """Serve the test app in a thread, one request at a time (the test database is shared)."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser, live_server, app):
    """A fresh browser context (no cookies) with CSRF protection switched on, as in production."""
    yield from open_page(browser, live_server, app, "fr-FR")


def open_page(browser, live_server, app, locale: str):
    """A page in a new browser context speaking ``locale``; CSRF is on only while it lives."""
    app.config["WTF_CSRF_ENABLED"] = True
    context = browser.new_context(base_url=live_server, locale=locale)
    context.set_default_timeout(15000)
    try:
        yield context.new_page()
    finally:
        context.close()
        app.config["WTF_CSRF_ENABLED"] = False
    app.config["WTF_CSRF_ENABLED"] = False
