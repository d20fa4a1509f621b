"""``flask translate``: extract, update and compile the message catalogues."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parent.parent
translate_cli = AppGroup("translate", help="Translation and localisation commands.")


def _pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    if subprocess.call(command, cwd=ROOT):
        raise click.ClickException(" ".join(command) + " failed")


def _extract() -> None:
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
             "--sort-output", "-o", "messages.pot", ".")


@translate_cli.command("update")
def update():
    """Extract messages and merge them into every catalogue."""
    _extract()
    _pybabel("update", "-i", "messages.pot", "-d", "translations", "--no-fuzzy-matching")
    (ROOT / "messages.pot").unlink()


@translate_cli.command("init")
@click.argument("lang")
def init(lang: str):
    """Start a catalogue for a new language."""
    _extract()
    _pybabel("init", "-i", "messages.pot", "-d", "translations", "-l", lang)
    (ROOT / "messages.pot").unlink()


@translate_cli.command("compile")
def compile_():
    """Compile the catalogues to .mo files."""
    _pybabel("compile", "-d", "translations")


def register(app: Flask) -> None:
    app.cli.add_command(translate_cli)
