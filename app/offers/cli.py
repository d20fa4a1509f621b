"""``flask offers expire``, the daily run that closes offers past their closing date, and
``flask offers import``."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_login import login_user

from app.auth.access import can
from app.auth.models import User
from app.extensions import db
from app.jobseekers.cli import LANG
from app.jobseekers.importer import read_table
from app.offers import importer, services

offers_cli = AppGroup("offers", help="Job offers.")


@offers_cli.command("expire")
@click.option("--date", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Take this day as today (default: today, UTC).")
def expire_command(today):
    """Expire the published offers whose closing date is past (run daily from cron).

    The offers list does the same on each visit, so this only keeps the public board and
    matching right on days when nobody opens the list.
    """
    day: date | None = today.date() if today else None
    expired = services.expire_due_offers(day)
    db.session.commit()
    click.echo(f"{len(expired)} offers expired")


@contextmanager
def acting_as(user: User) -> Iterator[None]:
    """Run as ``user`` would on the import page: the services record their audit events
    under the current user, and a command line has none until one is logged in here."""
    with current_app.test_request_context():
        login_user(user, force=True)
        yield


@offers_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", required=True,
              help="The user the import runs as: their country, agency and rights apply, and the audit names them.")
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
@click.option("--submit", is_flag=True, help="Submit the offers for validation (the anti-fraud checks run).")
@LANG
def import_command(file: Path, username: str, dry_run: bool, submit: bool, lang: str):
    """Import offers from a CSV or XLSX file as drafts (re-importing updates, never duplicates).

    Required columns: external_id, employer (registration number or exact name), job_title,
    contract_type, and occupation (ROAME code, job title or isco:7112) or isco or esco.
    Offers are never published by an import; ISCO/ESCO-coded ones wait for an agent to
    confirm their fiche.
    """
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None or not user.active or not can(user, "offer.import"):
        raise click.ClickException(f"{username}: no active user with the right to import offers")
    with acting_as(user), force_locale(lang):
        try:
            frame = read_table(file, file.name)
        except Exception as exc:  # pandas raises many kinds for unreadable files
            raise click.ClickException(f"{file.name}: {exc}")
        with click.progressbar(length=len(frame), label=file.name, file=sys.stderr) as bar:
            report = importer.import_offers(frame, user, dry_run=dry_run, submit=submit, source=file.name,
                                            progress=lambda done, _total: bar.update(done - bar.pos))
        if report.file_error:
            raise click.ClickException(report.file_error)
        if not dry_run:
            db.session.commit()
        click.echo("".join(f"{error}\n" for error in report.errors), err=True, nl=False)
    counts = ", ".join(f"{getattr(report, name)} {name}" for name in ("created", "updated", "unchanged", "submitted"))
    click.echo(f"{'[dry run] ' if dry_run else ''}{report.total} rows: {counts}, {len(report.errors)} rejected")
