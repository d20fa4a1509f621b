"""``flask users`` and ``flask agencies``: first set-up from the command line."""
from __future__ import annotations

import os

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.auth import services
from app.auth.models import Agency, Region, Role, User
from app.auth.passwords import password_problems
from app.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
agencies_cli = AppGroup("agencies", help="Manage agencies.")


@users_cli.command("ensure-admin")
def ensure_admin():
    """Create the first administrator if there is none.

    Reads ADMIN_USERNAME, ADMIN_PASSWORD and ADMIN_NAME from the environment; without
    ADMIN_PASSWORD a password is generated and printed once.
    """
    username = os.environ.get("ADMIN_USERNAME", "admin")
    password = os.environ.get("ADMIN_PASSWORD") or None
    if password and (problems := password_problems(password, username)):
        raise click.ClickException("ADMIN_PASSWORD: " + " ".join(problems))
    user, generated = services.ensure_admin(username, password,
                                            os.environ.get("ADMIN_NAME", "Administrator"))
    db.session.commit()
    if user is None:
        click.echo("An administrator already exists; nothing to do.")
    elif generated:
        click.echo(f"Administrator '{user.username}' created. Password (shown once, change it at "
                   f"first login): {generated}")
    else:
        click.echo(f"Administrator '{user.username}' created with ADMIN_PASSWORD.")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--agency", "agency_code", help="Agency code (staff).")
@click.option("--email", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(username, full_name, role, agency_code, email, password):
    """Create a user account."""
    if db.session.scalar(sa.select(User.id).where(User.username == services.normalise_username(username))):
        raise click.ClickException(f"Username {username!r} is already taken.")
    if problems := password_problems(password, username, full_name):
        raise click.ClickException(" ".join(problems))
    agency = None
    if agency_code:
        agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency_code.upper()))
        if agency is None:
            raise click.ClickException(f"No agency with code {agency_code!r}.")
    elif role != Role.ADMIN:
        raise click.ClickException("Staff other than administrators need --agency.")
    if role == Role.EMPLOYER:
        raise click.ClickException("Employer users are created from the employer's page.")
    user = services.create_user(username=username, full_name=full_name, role=role, password=password,
                                email=email, agency_id=agency.id if agency else None,
                                must_change_password=False)
    db.session.commit()
    click.echo(f"User {user.username} created ({role}).")


@users_cli.command("deactivate")
@click.argument("username")
def deactivate_user(username):
    """Deactivate a user and end their sessions."""
    user = db.session.scalar(sa.select(User).where(User.username == services.normalise_username(username)))
    if user is None:
        raise click.ClickException(f"No user {username!r}.")
    services.deactivate_user(user)
    db.session.commit()
    click.echo(f"User {user.username} deactivated.")


@agencies_cli.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--region", "region_code", required=True, help="ISO 3166-2 region code, e.g. SN-DK.")
def create_agency(code, name, region_code):
    """Create an agency in a region (the country follows from the region)."""
    region = db.session.scalar(sa.select(Region).where(Region.code == region_code.upper()))
    if region is None:
        raise click.ClickException(f"No region {region_code!r}; run 'flask reference load' first.")
    if db.session.scalar(sa.select(Agency.id).where(Agency.code == code.upper())):
        raise click.ClickException(f"Agency {code.upper()} already exists.")
    agency = services.create_agency(code=code, name=name, country_code=region.country_code,
                                    region_id=region.id)
    db.session.commit()
    click.echo(f"Agency {agency.code} created in {region.name} ({region.country_code}).")


@agencies_cli.command("list")
def list_agencies():
    """List agencies."""
    for agency in db.session.scalars(sa.select(Agency).order_by(Agency.code)):
        click.echo(f"{agency.code}\t{agency.country_code}\t{agency.region.code}\t{agency.name}")
