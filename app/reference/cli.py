"""``flask reference load`` and ``flask occupations code``."""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import click
import pandas as pd
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from app.auth.geo import load_countries
from app.extensions import db
from app.reference.loader import load_reference
from app.reference.lookup import get_coder

reference_cli = AppGroup("reference", help="Occupation reference data.")
occupations_cli = AppGroup("occupations", help="Occupation coding.")

LANG = click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True,
                    help="Language of the messages.")


@reference_cli.command("load")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@LANG
def load(path: Path | None, lang: str):
    """Load countries, regions and the occupation reference (idempotent).

    PATH is a directory in the shipped layout (a national list such as ROMEC or DOME)
    or one of its files; without PATH the shipped ROAME-compatible reference is loaded.
    Nothing is written if any file has an error; errors are listed with row numbers.
    """
    with force_locale(lang):
        geo = load_countries()
        report = load_reference(path or Path(current_app.config["REFERENCE_DATA_DIR"]))
        if report.errors:
            db.session.rollback()
            for error in report.errors[:200]:
                click.echo(str(error), err=True)
            if len(report.errors) > 200:
                click.echo(f"… {len(report.errors) - 200} more", err=True)
            raise click.ClickException(f"{len(report.errors)} error(s); nothing was loaded.")
        db.session.commit()
    click.echo(f"countries: {geo['countries']} changed, regions: {geo['regions']} changed")
    for name, counts in report.counts.items():
        click.echo(f"{name}: {counts['created']} created, {counts['updated']} updated, "
                   f"{counts['unchanged']} unchanged")
    if not report.changed and not any(geo.values()):
        click.echo("Nothing changed.")


@occupations_cli.command("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--limit", default=5, show_default=True, help="Codes per title.")
def code(file: Path, limit: int):
    """Code a CSV of job titles (a ``title`` column); CSV with the best codes to stdout.

    Output columns: title,code_1,…,code_N (best first, empty when nothing matched).
    """
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                            sep=None, engine="python")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise click.ClickException(f"Cannot read {file.name}: {exc}")
    columns = {c.strip().lower(): c for c in frame.columns}
    if "title" not in columns:
        raise click.ClickException(f"{file.name} has no 'title' column.")
    coder = get_coder()
    if coder is None:
        raise click.ClickException("No reference loaded; run 'flask reference load' first.")
    titles = frame[columns["title"]].tolist()
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["title"] + [f"code_{i}" for i in range(1, limit + 1)])
    batch = 2000
    for start in range(0, len(titles), batch):
        chunk = titles[start:start + batch]
        for title, suggestions in zip(chunk, coder.suggest_many(chunk, limit=limit)):
            codes = [s.code for s in suggestions] + [""] * (limit - len(suggestions))
            writer.writerow([title] + codes)
