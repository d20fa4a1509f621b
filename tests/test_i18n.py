"""Languages: French by default, English complete, choice kept, locale-aware formats."""
import gettext
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, get_domain

from app.auth.models import Role
from app.i18n import format_date_short, format_money

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


def test_visitor_switches_language_for_the_session(client):
    assert 'lang="fr"' in client.get("/").text
    response = client.post("/language", data={"language": "en", "next": "/occupations/"})
    assert response.headers["Location"] == "/occupations/"
    page = client.get("/occupations/").text
    assert 'lang="en"' in page and "Occupation reference" in page
    assert "Masonry" in client.get("/occupations/domain/F17").text


def test_browser_language_is_used_when_nothing_was_chosen(client):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert 'lang="en"' in page


def test_language_choice_persists_on_the_account(app, client, auth, create_user):
    user = create_user(Role.AGENT)
    auth.login(user.username)
    client.post("/language", data={"language": "en"})
    auth.logout()
    other = app.test_client()  # another browser, no session language
    other.post("/login", data={"username": user.username, "password": "Counter2024x"})
    assert 'lang="en"' in other.get("/").text


def test_unsupported_language_is_ignored(client):
    client.post("/language", data={"language": "de"})
    assert 'lang="fr"' in client.get("/").text


@pytest.mark.parametrize("language,currency,amount,expected", [
    ("fr", "XOF", 150000, "150\u202f000\xa0F\u202fCFA"),
    ("en", "XOF", 150000, "F\u202fCFA150,000"),
    ("fr", "XAF", 75000, "75\u202f000\xa0FCFA"),
    ("fr", "EUR", Decimal("1234.5"), "1\u202f234,50\xa0€"),
    ("en", "EUR", Decimal("1234.5"), "€1,234.50"),
])
def test_amounts_follow_the_locale(app, language, currency, amount, expected):
    with app.test_request_context(), force_locale(language):
        assert format_money(amount, currency) == expected


def test_dates_follow_the_locale(app):
    with app.test_request_context():
        with force_locale("fr"):
            assert format_date_short(date(2026, 11, 23)) == "23 nov. 2026"
        with force_locale("en"):
            assert format_date_short(date(2026, 11, 23)) == "Nov 23, 2026"


class MissingRecorder(gettext.NullTranslations):
    """Fallback of the French catalogue: records every message id it had no translation for."""

    def __init__(self):
        super().__init__()
        self.missing = set()

    def gettext(self, message):
        self.missing.add(message)
        return message

    def ngettext(self, singular, plural, n):
        self.missing.add(singular)
        return singular if n == 1 else plural

    def pgettext(self, context, message):
        self.missing.add(message)
        return message


def _main_pages(app, client, login_as):
    login_as(Role.ADMIN, national=True)
    pages = ["/", "/occupations/", "/occupations/domain/F17", "/occupations/F1703",
             "/occupations/search?q=macon", "/occupations/search?q=zzzzqqq", "/password",
             "/admin/users", "/admin/users/new", "/admin/agencies", "/admin/agencies/new", "/no-such-page"]
    bodies = {}
    for language in ("fr", "en"):
        client.post("/language", data={"language": language})
        for path in pages:
            response = client.get(path)
            assert response.status_code in (200, 404), (path, response.status_code)
            bodies[(language, path)] = response.text
        # A form with errors shows the validators' messages too.
        bodies[(language, "bad form")] = client.post("/admin/users/new", data={
            "username": "a b", "full_name": "", "email": "x", "role": "agent", "password": "1"}).text
    client.post("/logout")
    bodies[("fr", "/login")] = client.get("/login").text
    return bodies


def test_main_pages_have_no_untranslated_message(app, client, login_as):
    with app.test_request_context(), force_locale("fr"):
        translations = get_domain().get_translations()
    recorder = MissingRecorder()
    translations.add_fallback(recorder)
    try:
        bodies = _main_pages(app, client, login_as)
    finally:
        translations._fallback = None
    assert recorder.missing == set()
    # And the English pages show none of the French sentences.
    french = {m.string for m in read_po(CATALOGUE.open("rb")) if m.id and len(m.string) > 25}
    for (language, path), body in bodies.items():
        if language == "en":
            leaked = [s for s in french if s in body]
            assert not leaked, (path, leaked[:3])


def test_catalogue_covers_every_message_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    source_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot.open("rb")) if m.id}
    catalogue = {(m.id if isinstance(m.id, str) else m.id[0]): m for m in read_po(CATALOGUE.open("rb")) if m.id}
    assert source_ids - set(catalogue) == set(), "run: flask translate update, then translate"
    untranslated = [k for k in source_ids if not catalogue[k].string or catalogue[k].fuzzy]
    assert untranslated == []
