"""Load the occupation reference from CSV files: parse and check first, then upsert.

The layout is the one shipped in ``data/rome3_2021_v460``; a national list (ROMEC, DOME,
an official ROAME file) uses the same file names and columns, and may ship only some of
the files. Parsing is pure and returns errors with spreadsheet row numbers (the header
is row 1). Nothing is written unless every file is clean, and a second load of the same
files changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable

import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.reference.models import (
    Domain, GrandDomain, IscoGroup, MobilityLink, Occupation, OccupationIsco, OccupationSkill,
    ReferenceLoad, Skill, Specialisation, Title,
)


def _int(value: str) -> int:
    return int(value)


def _float(value: str) -> float:
    return float(value)


def _bool(value: str) -> bool:
    if value.strip().lower() in ("1", "true", "o", "oui", "y", "yes"):
        return True
    if value.strip().lower() in ("0", "false", "n", "non", "no", ""):
        return False
    raise ValueError(value)


@dataclass(frozen=True)
class FileSpec:
    """How one CSV file maps onto a model: column → attribute, keys, conversions, parents."""

    name: str
    model: Any
    columns: dict[str, str]  # CSV column -> model attribute
    keys: tuple[str, ...]  # model attributes forming the primary key
    optional: tuple[str, ...] = ()
    convert: dict[str, Callable[[str], Any]] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)  # attribute -> file whose key it must match


SPECS = [
    FileSpec("grand_domains.csv", GrandDomain,
             {"code": "code", "label_fr": "label_fr", "label_en": "label_en"}, ("code",),
             optional=("label_en",)),
    FileSpec("domains.csv", Domain,
             {"code": "code", "grand_domain": "grand_domain_code", "label_fr": "label_fr",
              "label_en": "label_en"}, ("code",), optional=("label_en",),
             parents={"grand_domain_code": "grand_domains.csv"}),
    FileSpec("occupations.csv", Occupation,
             {"code": "code", "domain": "domain_code", "label_fr": "label_fr", "label_en": "label_en",
              "definition_fr": "definition_fr", "access_fr": "access_fr"},
             ("code",), optional=("label_en", "definition_fr", "access_fr"),
             parents={"domain_code": "domains.csv"}),
    FileSpec("titles.csv", Title,
             {"code": "code", "occupation": "occupation_code", "label_fr": "label_fr",
              "alt_labels_fr": "alt_labels_fr", "label_en": "label_en", "source": "source"},
             ("code",), optional=("alt_labels_fr", "label_en", "source"),
             parents={"occupation_code": "occupations.csv"}),
    FileSpec("specialisations.csv", Specialisation,
             {"code": "code", "occupation": "occupation_code", "label_fr": "label_fr"}, ("code",),
             parents={"occupation_code": "occupations.csv"}),
    FileSpec("skills.csv", Skill,
             {"code": "code", "kind": "kind", "label_fr": "label_fr", "label_en": "label_en"},
             ("code",), optional=("label_en",)),
    FileSpec("occupation_skills.csv", OccupationSkill,
             {"occupation": "occupation_code", "skill": "skill_code", "core": "core"},
             ("occupation_code", "skill_code"), convert={"core": _bool},
             parents={"occupation_code": "occupations.csv", "skill_code": "skills.csv"}),
    FileSpec("mobility.csv", MobilityLink,
             {"occupation": "occupation_code", "target": "target_code", "rank": "rank"},
             ("occupation_code", "target_code"), convert={"rank": _int},
             parents={"occupation_code": "occupations.csv", "target_code": "occupations.csv"}),
    FileSpec("isco_groups.csv", IscoGroup,
             {"code": "code", "level": "level", "parent": "parent_code", "label_fr": "label_fr",
              "label_en": "label_en"}, ("code",), convert={"level": _int}),
    FileSpec("occupation_isco.csv", OccupationIsco,
             {"occupation": "occupation_code", "isco": "isco_code", "share": "share", "rank": "rank"},
             ("occupation_code", "isco_code"), convert={"share": _float, "rank": _int},
             parents={"occupation_code": "occupations.csv", "isco_code": "isco_groups.csv"}),
]
SPEC_BY_NAME = {spec.name: spec for spec in SPECS}
SKILL_KINDS = {"know_how", "soft", "knowledge"}


@dataclass
class LoadError:
    file: str
    row: int | None  # spreadsheet row (header = 1); None for a whole-file problem
    message: str

    def __str__(self) -> str:
        where = self.file if self.row is None else _("%(file)s, row %(row)d", file=self.file, row=self.row)
        return f"{where}: {self.message}"


def parse_file(spec: FileSpec, fileobj: IO | Path) -> tuple[list[dict[str, Any]], list[LoadError]]:
    """Read one CSV file into model-attribute dicts; return ``(rows, errors)``."""
    errors: list[LoadError] = []
    try:
        # dtype=str and no NA guessing: codes such as "0110" or "NA" must stay as written.
        frame = pd.read_csv(fileobj, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        return [], [LoadError(spec.name, None, _("This file cannot be read as UTF-8 CSV (%(error)s).",
                                                 error=str(exc).splitlines()[0][:120]))]
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in spec.columns if c not in frame.columns and c not in spec.optional]
    if missing:
        return [], [LoadError(spec.name, None, _("Missing columns: %(columns)s.",
                                                 columns=", ".join(missing)))]
    rows: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    present = {c: a for c, a in spec.columns.items() if c in frame.columns}
    for index, record in enumerate(frame.to_dict("records")):
        line = index + 2
        row: dict[str, Any] = {}
        bad = False
        # Optional columns a file does not have are left alone, not blanked.
        for column, attribute in present.items():
            raw = str(record.get(column, "")).replace("\u2019", "'").strip()
            if attribute in spec.keys and not raw:
                errors.append(LoadError(spec.name, line, _("The column %(column)s is empty.", column=column)))
                bad = True
                continue
            if attribute == "label_fr" and not raw:
                errors.append(LoadError(spec.name, line, _("The French label is empty.")))
                bad = True
                continue
            try:
                row[attribute] = spec.convert[column](raw) if column in spec.convert else raw
            except ValueError:
                errors.append(LoadError(spec.name, line, _("%(value)s is not a valid value for %(column)s.",
                                                           value=raw[:40], column=column)))
                bad = True
        if spec.model is Skill and row.get("kind") not in SKILL_KINDS:
            errors.append(LoadError(spec.name, line, _("Unknown skill kind %(kind)s.", kind=row.get("kind"))))
            bad = True
        if spec.model is IscoGroup and row.get("parent_code") == "":
            row["parent_code"] = None
        if bad:
            continue
        key = tuple(row[k] for k in spec.keys)
        if key in seen:
            errors.append(LoadError(spec.name, line, _("Duplicate of row %(row)d.", row=seen[key])))
            continue
        seen[key] = line
        row["_line"] = line
        rows.append(row)
    return rows, errors


@dataclass
class LoadReport:
    errors: list[LoadError] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] for c in self.counts.values())


def _existing_keys(spec: FileSpec) -> set:
    columns = [getattr(spec.model, k) for k in spec.keys]
    return {tuple(r) if len(r) > 1 else r[0] for r in db.session.execute(sa.select(*columns))}


def _check_parents(parsed: dict[str, list[dict]], errors: list[LoadError]) -> None:
    """Every parent code must exist in the files loaded now or already in the database."""
    known: dict[str, set] = {}
    for spec in SPECS:
        if spec.parents:
            for attribute, parent_file in spec.parents.items():
                if parent_file not in known:
                    parent_spec = SPEC_BY_NAME[parent_file]
                    keys = _existing_keys(parent_spec)
                    keys |= {row[parent_spec.keys[0]] for row in parsed.get(parent_file, [])}
                    known[parent_file] = keys
        for row in parsed.get(spec.name, []):
            for attribute, parent_file in spec.parents.items():
                if row[attribute] not in known[parent_file]:
                    errors.append(LoadError(spec.name, row["_line"],
                                            _("Unknown code %(code)s (not in %(file)s).",
                                              code=row[attribute], file=parent_file)))


def _upsert(spec: FileSpec, rows: list[dict[str, Any]]) -> dict[str, int]:
    model = spec.model
    attributes = list(spec.columns.values())
    existing = {
        tuple(getattr(obj, k) for k in spec.keys): obj
        for obj in db.session.scalars(sa.select(model))
    }
    inserts, updates = [], []
    for row in rows:
        row = {a: v for a, v in row.items() if a != "_line"}
        key = tuple(row[k] for k in spec.keys)
        current = existing.get(key)
        if current is None:
            for column, attribute in spec.columns.items():
                row.setdefault(attribute, "" if column in spec.optional else None)
            inserts.append(row)
            continue
        if any(a in row and getattr(current, a) != row[a] for a in attributes):
            updates.append(row)
    if inserts:
        db.session.execute(sa.insert(model), inserts)
    if updates:
        db.session.execute(sa.update(model), updates)
    return {"created": len(inserts), "updated": len(updates), "unchanged": len(rows) - len(inserts) - len(updates)}


def find_files(path: Path) -> dict[str, Path]:
    """The reference files in a directory (or the single file given)."""
    if path.is_file():
        return {path.name: path} if path.name in SPEC_BY_NAME else {}
    return {spec.name: path / spec.name for spec in SPECS if (path / spec.name).is_file()}


def load_reference(path: Path | str) -> LoadReport:
    """Parse, check, then upsert a reference directory. Flushes; the caller commits.

    :param path: a directory in the shipped layout, or one of its files.
    """
    path = Path(path)
    report = LoadReport()
    files = find_files(path)
    if not files:
        report.errors.append(LoadError(path.name, None, _(
            "No reference file found. Expected names: %(names)s.",
            names=", ".join(SPEC_BY_NAME))))
        return report
    parsed: dict[str, list[dict]] = {}
    for name, file_path in files.items():
        rows, errors = parse_file(SPEC_BY_NAME[name], file_path)
        parsed[name] = rows
        report.errors.extend(errors)
    if report.errors:
        return report
    _check_parents(parsed, report.errors)
    if report.errors:
        return report
    with db.session.no_autoflush:
        for spec in SPECS:
            if spec.name in parsed:
                report.counts[spec.name] = _upsert(spec, parsed[spec.name])
                db.session.flush()
    if report.changed:
        db.session.add(ReferenceLoad(source=path.name, summary=report.counts))
        db.session.flush()
    return report
