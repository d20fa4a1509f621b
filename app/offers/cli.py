"""``flask offers expire``: the daily run that closes offers past their closing date."""
from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from app.extensions import db
from app.offers import services

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
