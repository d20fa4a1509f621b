"""``flask matching``: nightly lists and index maintenance."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.auth.models import Country
from app.extensions import db
from app.jobseekers.models import JobSeeker
from app.matching import services
from app.offers.models import Offer, OfferStatus

matching_cli = AppGroup("matching", help="Matching of job-seekers and offers.")

COUNTRY = click.option("--country", default=None, metavar="CODE",
                       help="One country (ISO code, e.g. SN); default: every country concerned.")


def _known(code: str) -> str:
    code = code.strip().upper()
    if db.session.get(Country, code) is None:
        raise click.BadParameter(f"{code}: no such country", param_hint="--country")
    return code


def _countries_with_open_offers() -> list[str]:
    return sorted(db.session.scalars(sa.select(Offer.country_code).where(
        Offer.status == OfferStatus.PUBLISHED.value).distinct()))


@matching_cli.command("nightly")
@COUNTRY
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500),
              help="Candidates kept per offer.")
def nightly_command(country: str | None, limit: int):
    """Make the nightly candidate lists: the best people for every open offer, per agency.

    Run it every night from cron, after ``flask offers expire``. Each country is committed
    on its own, so that a failure in one leaves the others' lists in place.
    """
    countries = [_known(country)] if country else _countries_with_open_offers()
    if not countries:
        click.echo("no country has open offers")
    for code in countries:
        run = services.run_nightly(code, limit=limit)
        db.session.commit()
        click.echo(f"{code}: {run.offers} offers, {run.suggestions} suggestions, {len(run.agencies)} agencies, "
                   f"{run.seconds:.1f} s")


@matching_cli.command("warm")
@COUNTRY
def warm_command(country: str | None):
    """Build the matching index of each country now, so that a worker about to serve
    answers its first search at full speed (countries with people or open offers)."""
    if country:
        countries = [_known(country)]
    else:
        people = sa.select(JobSeeker.country_code).distinct()
        offers = sa.select(Offer.country_code).where(Offer.status == OfferStatus.PUBLISHED.value).distinct()
        countries = sorted(set(db.session.scalars(people)) | set(db.session.scalars(offers)))
    if not countries:
        click.echo("no country has people or open offers")
    for code in countries:
        entry = services.country_index(code)
        index = entry.index
        click.echo(f"{code}: {len(index.seekers)} people, {len(index.offers)} offers, "
                   f"built in {entry.build_seconds:.1f} s, {index.nbytes / 1e6:.1f} MB")
