"""Application factory."""
from __future__ import annotations

import logging
import os

from flask import Flask

from app.config import CONFIGS, Config, ProductionConfig
from app.extensions import babel, bootstrap, csrf, db, login_manager, migrate


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the application; ``config_class`` overrides the ``APP_ENV`` choice (tests)."""
    if config_class is None:
        config_class = CONFIGS.get(os.environ.get("APP_ENV", "development"), CONFIGS["development"])
    if issubclass(config_class, ProductionConfig):
        config_class.check()
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_class)
    os.makedirs(app.instance_path, exist_ok=True)

    register_extensions(app)
    from app import models  # noqa: F401  (the whole schema, for Alembic)
    from app.matching import changes
    from app.matching import privacy as referral_privacy
    from app.mobility import privacy as mobility_privacy

    changes.install()
    referral_privacy.install()
    mobility_privacy.install()

    from app.urls import BoundedInt, check_page_argument

    # Before any route is added: every <int:…> then uses it.
    app.url_map.converters["int"] = BoundedInt
    app.before_request(check_page_argument)
    register_blueprints(app)
    register_cli(app)
    register_template_helpers(app)
    from app.errors import register_error_handlers

    register_error_handlers(app)
    if not app.debug and not app.testing:
        app.logger.setLevel(logging.INFO)
    return app


def register_extensions(app: Flask) -> None:
    from app.i18n import select_locale, select_timezone

    db.init_app(app)
    # Batch mode lets Alembic alter tables on SQLite, which cannot ALTER constraints.
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    from app.auth import sessions

    sessions.init_login_manager(login_manager)


def register_blueprints(app: Flask) -> None:
    from app.auth import bp as auth_bp
    from app.jobseekers import bp as jobseekers_bp
    from app.main import bp as main_bp
    from app.matching import bp as matching_bp
    from app.matching import referrals_bp
    from app.mobility import bp as mobility_bp
    from app.offers import board_bp, employers_bp
    from app.offers import bp as offers_bp
    from app.reference import api_bp as reference_api_bp
    from app.reference import bp as reference_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(reference_bp, url_prefix="/occupations")
    app.register_blueprint(reference_api_bp, url_prefix="/api/v1/occupations")
    app.register_blueprint(jobseekers_bp, url_prefix="/jobseekers")
    app.register_blueprint(offers_bp, url_prefix="/offers")
    app.register_blueprint(employers_bp, url_prefix="/employers")
    app.register_blueprint(board_bp, url_prefix="/jobs")
    app.register_blueprint(matching_bp, url_prefix="/matching")
    app.register_blueprint(referrals_bp, url_prefix="/referrals")
    app.register_blueprint(mobility_bp, url_prefix="/mobility")


def register_cli(app: Flask) -> None:
    from app import cli
    from app.auth.cli import agencies_cli, users_cli
    from app.jobseekers.cli import jobseekers_cli
    from app.matching.cli import matching_cli
    from app.offers.cli import offers_cli
    from app.reference.cli import occupations_cli, reference_cli

    cli.register(app)
    for group in (users_cli, agencies_cli, reference_cli, occupations_cli, jobseekers_cli, offers_cli,
                  matching_cli):
        app.cli.add_command(group)


def register_template_helpers(app: Flask) -> None:
    from app import i18n
    from app.auth import access

    from app.jobseekers import identity
    from app.jobseekers.models import (
        CONSENT_TITLES, EVENT_TITLES, EXPERIENCE_TITLES, FIELD_TITLES, QUALIFICATION_TITLES, STATUS_TITLES,
    )
    from app.reference import vocab

    titles = {
        "isced": vocab.ISCED_LEVELS, "language_level": vocab.LANGUAGE_LEVELS, "salary_period": vocab.SALARY_PERIODS,
        "licence": vocab.DRIVING_LICENCE_TITLES, "experience": EXPERIENCE_TITLES,
        "qualification": QUALIFICATION_TITLES, "field": FIELD_TITLES,
    }

    app.jinja_env.globals.update(
        can=access.can_current,
        status_title=lambda value: STATUS_TITLES.get(value, value),
        consent_title=lambda value: CONSENT_TITLES.get(value, value),
        event_title=lambda value: EVENT_TITLES.get(value, value),
        title=lambda group, value: titles[group].get(value, value),
        language_name=vocab.language_name,
        mask_id=identity.mask_national_id,
        phone=identity.format_phone,
        country_name=i18n.country_name,
        current_language=i18n.current_language,
        LANGUAGES=app.config["LANGUAGES"],
    )
    app.jinja_env.filters.update(
        money=i18n.format_money,
        date=i18n.format_date_short,
        number=i18n.format_number,
        datetime=i18n.format_datetime_short,
        label=i18n.localised_label,
        percent=i18n.format_share,
    )
