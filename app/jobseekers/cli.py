"""``flask jobseekers import`` and ``flask jobseekers duplicates``."""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import force_locale

from app.auth.models import Agency
from app.extensions import db
from app.jobseekers import dedup, importer, services

jobseekers_cli = AppGroup("jobseekers", help="The job-seeker register.")
LANG = click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True,
                    help="Language of the messages.")


@jobseekers_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
@LANG
def import_command(file: Path, dry_run: bool, lang: str):
    """Import job-seekers from a CSV or XLSX file (re-importing updates, never duplicates).

    Required columns: external_id, last_name, first_name, sex, birth_date (date or year),
    phone, national_id, region, occupation (code or job title), agency (agency code).
    """
    with force_locale(lang):
        try:
            frame = importer.read_table(file, file.name)
        except Exception as exc:  # pandas raises many kinds for unreadable files
            raise click.ClickException(f"{file.name}: {exc}")
        agencies = list(db.session.scalars(sa.select(Agency)))
        with click.progressbar(length=len(frame), label=file.name, file=sys.stderr) as bar:
            last = [0]

            def progress(done: int, total: int) -> None:
                bar.update(done - last[0])
                last[0] = done

            report = importer.import_jobseekers(frame, agencies, dry_run=dry_run, progress=progress)
        if report.file_error:
            raise click.ClickException(report.file_error)
        if not dry_run:
            db.session.commit()
        for error in report.errors:
            click.echo(str(error), err=True)
    prefix = "[dry run] " if dry_run else ""
    click.echo(f"{prefix}{report.total} rows: {report.created} created, {report.updated} updated, "
               f"{report.unchanged} unchanged, {len(report.errors)} rejected")


@jobseekers_cli.command("duplicates")
@click.option("--country", help="Only this country (ISO code).")
@click.option("--threshold", type=float, default=None, help="Minimum score (default: the detector's).")
def duplicates_command(country: str | None, threshold: float | None):
    """Print likely duplicate pairs of the whole register as CSV: id_a,id_b,score,reasons.

    Ids are the import's external_id where there is one, else the registration number.
    """
    people = list(services.iter_register(country))
    kwargs = {} if threshold is None else {"threshold": threshold}
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["id_a", "id_b", "score", "reasons"])
    for match in dedup.find_duplicates(people, **kwargs):
        writer.writerow([match.a, match.b, f"{match.score:.3f}", ";".join(match.reasons)])
