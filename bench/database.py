"""A fresh application and database for a benchmark, with the reference loaded.

SQLite gets a temporary file (not ``sqlite://``: an in-memory database would flatter every
figure). PostgreSQL gets a schema of its own in the database the URL names, dropped and
recreated on each run and selected through ``search_path``: a benchmark then needs no
right to create databases, and never touches the tables the test suite keeps in
``public`` of the same database.
"""
from __future__ import annotations

import math
import os
import re
import resource
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.auth import services as auth_services
from app.auth.geo import load_countries
from app.auth.models import Agency, Region
from app.config import Config
from app.extensions import db
from app.reference.loader import load_reference

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass
class BenchDatabase:
    """Where a benchmark runs: the application, its backend and a printable location."""

    app: Flask
    backend: str  # "sqlite" or "postgresql"
    where: str  # a file path or "database/schema", never a password


def engine_url(url: str) -> sa.engine.URL:
    """The URL with psycopg 3 as driver, the only PostgreSQL driver installed."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _config(url: sa.engine.URL, schema: str | None) -> type[Config]:
    options: dict = {"pool_pre_ping": True, "hide_parameters": True}
    if schema:
        options["connect_args"] = {"options": f"-csearch_path={schema}"}

    class BenchConfig(Config):
        SECRET_KEY = "bench"
        SQLALCHEMY_DATABASE_URI = url.render_as_string(hide_password=False)
        SQLALCHEMY_ENGINE_OPTIONS = options

    return BenchConfig


def _recreate_schema(url: sa.engine.URL, schema: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()


def _drop_schema(url: sa.engine.URL, schema: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@contextmanager
def fresh_database(database_url: str | None, schema: str, keep: bool = False) -> Iterator[BenchDatabase]:
    """An application on an empty schema with countries, regions and the reference loaded.

    :param database_url: a PostgreSQL URL; None for a temporary SQLite file.
    :param schema: the PostgreSQL schema to drop and recreate (ignored on SQLite).
    :param keep: leave the SQLite file or the PostgreSQL schema behind, to inspect it.
    """
    directory = None
    if database_url is None:
        directory = tempfile.mkdtemp(prefix="pes-bench-")
        path = Path(directory) / "bench.sqlite"
        url = sa.engine.make_url(f"sqlite:///{path}")
        app = create_app(_config(url, None))
        bench = BenchDatabase(app, "sqlite", str(path))
    else:
        if not _SCHEMA_NAME.match(schema):
            raise ValueError(f"not a plain schema name: {schema!r}")
        url = engine_url(database_url)
        _recreate_schema(url, schema)
        app = create_app(_config(url, schema))
        bench = BenchDatabase(app, "postgresql", f"{url.database}/{schema}")
    try:
        with app.app_context():
            db.create_all()
            load_countries()
            report = load_reference(app.config["REFERENCE_DATA_DIR"])
            if report.errors:
                raise RuntimeError(f"reference not loaded: {report.errors[:3]}")
            db.session.commit()
        yield bench
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if not keep:
            if directory is not None:
                for name in os.listdir(directory):
                    os.unlink(os.path.join(directory, name))
                os.rmdir(directory)
            else:
                _drop_schema(url, schema)


def create_agencies(codes: list[str]) -> list[Agency]:
    """Agencies for codes shaped ``<region code>-<number>`` (``SN-DK-01``), in that region.

    Flushes; the caller commits.
    """
    regions = {r.code: r for r in db.session.scalars(sa.select(Region))}
    agencies = []
    for code in codes:
        region = regions[code.rsplit("-", 1)[0]]
        agencies.append(auth_services.create_agency(code=code, name=f"Agence {code}",
                                                    country_code=region.country_code, region_id=region.id))
    return agencies


@contextmanager
def counting_statements(engine: sa.engine.Engine) -> Iterator[list[int]]:
    """Count the statements sent to the database (an executemany counts once): a figure
    that, unlike seconds, does not depend on what else the machine is doing."""
    count = [0]

    def one(*_args) -> None:
        count[0] += 1

    sa.event.listen(engine, "before_cursor_execute", one)
    try:
        yield count
    finally:
        sa.event.remove(engine, "before_cursor_execute", one)


def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MB."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10  # bytes vs KiB


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (nearest rank, as p95 is usually quoted)."""
    ordered = sorted(values)
    rank = math.ceil(round(share * len(ordered), 9))
    return ordered[min(max(rank, 1), len(ordered)) - 1]
