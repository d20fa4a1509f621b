"""Shared fixtures: one app and database per session, emptied of everything but the
reference data after each test; factories and an AuthActions helper (as in flaskr)."""
from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from app import create_app
from app.auth import services as auth_services
from app.auth.geo import load_countries
from app.auth.models import Agency, Region, Role
from app.config import TestingConfig
from app.extensions import db as _db
from app.reference.loader import load_reference

# Reference tables are loaded once per session; every other table is emptied after each test.
KEPT_TABLES = {
    "countries", "regions", "grand_domains", "domains", "occupations", "titles", "specialisations",
    "skills", "occupation_skills", "mobility_links", "isco_groups", "occupation_isco", "reference_loads",
}
PASSWORD = "Counter2024x"


@pytest.fixture(scope="session")
def app():
    app = create_app(TestingConfig)
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        load_countries()
        report = load_reference(app.config["REFERENCE_DATA_DIR"])
        assert not report.errors, report.errors[:5]
        _db.session.commit()
    # No context stays pushed: each request must get its own ``g`` and session.
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty every table but the reference after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return  # pure tests (coder, engine) never touch the database
    app = request.getfixturevalue("app")
    # Matching indexes are derived from the tables emptied below.
    app.extensions.pop("matching_indexes", None)
    with app.app_context():
        _db.session.rollback()
        for table in reversed(_db.metadata.sorted_tables):
            if table.name not in KEPT_TABLES:
                _db.session.execute(table.delete())
        _db.session.commit()


@pytest.fixture
def ctx(app):
    """An app context for tests that call services directly. Tests that use ``client``
    must not hold one: requests would then share its ``g`` and its session."""
    with app.test_request_context():
        yield _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_codes = itertools.count(1)


def _detached(obj):
    """Load the object's columns and detach it, so tests read it outside any context."""
    _db.session.refresh(obj)
    _db.session.expunge(obj)
    return obj


@pytest.fixture
def create_agency(app):
    def make(country: str = "SN", region: str | None = None, **kw) -> Agency:
        with app.app_context():
            query = sa.select(Region).where(Region.code == region) if region else \
                sa.select(Region).where(Region.country_code == country).order_by(Region.code)
            region_obj = _db.session.scalars(query).first()
            number = next(_codes)
            agency = auth_services.create_agency(
                code=kw.pop("code", f"{country}-{number:03d}"), name=kw.pop("name", f"Agence {number}"),
                country_code=region_obj.country_code, region_id=region_obj.id)
            _db.session.commit()
            return _detached(agency)
    return make


@pytest.fixture
def create_employer(app):
    def make(name: str = "Société Test", country: str = "SN", agency: Agency | None = None):
        from app.offers.models import Employer

        with app.app_context():
            employer = Employer(name=name, country_code=country, agency_id=agency.id if agency else None)
            _db.session.add(employer)
            _db.session.commit()
            return _detached(employer)
    return make


@pytest.fixture
def create_user(app, create_agency):
    def make(role: Role | str = Role.AGENT, agency: Agency | None = None, username: str | None = None,
             password: str = PASSWORD, national: bool = False, **kw):
        if agency is None and not national and Role(role) != Role.EMPLOYER:
            agency = create_agency()
        with app.app_context():
            user = auth_services.create_user(
                username=username or f"user{next(_codes)}", full_name=kw.pop("full_name", "Awa Diop"),
                role=role, password=password, agency_id=agency.id if agency else None,
                must_change_password=kw.pop("must_change_password", False), **kw)
            _db.session.commit()
            return _detached(user)
    return make


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username: str, password: str = PASSWORD):
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def login_as(client, auth, create_user):
    """Create a user with ``role`` and log them in; returns the user."""
    def make(role: Role | str = Role.AGENT, **kw):
        user = create_user(role, **kw)
        response = auth.login(user.username)
        assert response.status_code == 302, response.data[:500]
        return user
    return make
