"""Importing job-seekers from real CSV and XLSX files, and listing duplicates."""
import csv
import io

import openpyxl
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobseekers.models import JobSeeker

HEADER = ["external_id", "last_name", "first_name", "sex", "birth_date", "phone", "national_id", "region",
          "occupation", "agency"]


@pytest.fixture
def agency(create_agency):
    return create_agency("SN", region="SN-DK", code="SN-DKR-01")


def write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


GOOD = [
    ["A-1", "Diallo", "Mamadou", "M", "1990-05-12", "77 123 45 67", "1751199000123", "Dakar", "maçon", "SN-DKR-01"],
    ["A-2", "Ndiaye", "Aïssatou", "F", "1995", "+221 76 000 11 22", "", "SN-TH", "F1703", "SN-DKR-01"],
]


def count(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(JobSeeker))


def test_import_creates_then_updates_without_duplicating(app, runner, agency, tmp_path):
    path = write_csv(tmp_path / "seekers.csv", GOOD)
    result = runner.invoke(args=["jobseekers", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    with app.app_context():
        mamadou = db.session.scalar(sa.select(JobSeeker).where(JobSeeker.external_id == "A-1"))
        assert mamadou.registration_number.startswith("SN-DKR-01-")
        assert [p.number for p in mamadou.phones] == ["+221771234567"]
        assert mamadou.occupations[0].occupation_code == "F1703"
        aissatou = db.session.scalar(sa.select(JobSeeker).where(JobSeeker.external_id == "A-2"))
        assert aissatou.birth_date is None and aissatou.birth_year == 1995
    changed = [row[:] for row in GOOD]
    changed[1][7] = "Thiès"
    write_csv(path, changed)
    again = runner.invoke(args=["jobseekers", "import", str(path)])
    assert "0 created, 0 updated, 2 unchanged" in again.output
    changed[0][2] = "Mamadou Lamine"
    write_csv(path, changed)
    third = runner.invoke(args=["jobseekers", "import", str(path)])
    assert "0 created, 1 updated, 1 unchanged" in third.output
    assert count(app) == 2


def test_bad_rows_are_reported_by_number_and_good_rows_kept(app, runner, agency, tmp_path):
    rows = GOOD + [
        ["B-1", "", "Fatou", "F", "1990", "771234567", "", "Dakar", "F1703", "SN-DKR-01"],
        ["B-2", "Sow", "Ousmane", "X", "31/02/1990", "12", "", "Nowhere", "F1703", "NOPE"],
        ["A-1", "Diallo", "Mamadou", "M", "1990", "", "", "", "", "SN-DKR-01"],
    ]
    path = write_csv(tmp_path / "mixed.csv", rows)
    result = runner.invoke(args=["jobseekers", "import", str(path)])
    assert result.exit_code == 0
    assert "Ligne 4 : Le nom de famille manque." in result.output
    assert "Ligne 5 : Agence inconnue NOPE." in result.output
    assert "Ligne 6 : L’external_id A-1 répète la ligne 2." in result.output
    assert "2 created" in result.output and "3 rejected" in result.output
    assert count(app) == 2


def test_dry_run_writes_nothing(app, runner, agency, tmp_path):
    path = write_csv(tmp_path / "seekers.csv", GOOD)
    result = runner.invoke(args=["jobseekers", "import", "--dry-run", str(path)])
    assert "[dry run] 2 rows: 2 created" in result.output
    assert count(app) == 0


def test_xlsx_and_english_messages(app, runner, agency, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(GOOD[0][:4] + [__import__("datetime").date(1990, 5, 12)] + GOOD[0][5:])
    sheet.append(["C-1", "Ba", "Oumar", "M", "not a date", "", "", "Dakar", "F1703", "SN-DKR-01"])
    path = tmp_path / "seekers.xlsx"
    book.save(path)
    result = runner.invoke(args=["jobseekers", "import", "--lang", "en", str(path)])
    assert "Row 3: The birth date not a date is neither a date nor a year." in result.output
    assert "1 created" in result.output
    with app.app_context():
        born = db.session.scalar(sa.select(JobSeeker.birth_date).where(JobSeeker.external_id == "A-1"))
        assert born.isoformat() == "1990-05-12"  # a real date cell


def test_missing_columns_stop_the_import(runner, agency, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name,phone\nX,1\n", encoding="utf-8")
    result = runner.invoke(args=["jobseekers", "import", str(path)])
    assert result.exit_code != 0 and "Colonnes manquantes" in result.output


def test_a_national_id_belongs_to_one_person_per_country(app, runner, agency, tmp_path):
    rows = [GOOD[0], ["D-1", "Diallo", "Moussa", "M", "1985", "", "1751199000123", "Dakar", "F1703", "SN-DKR-01"]]
    result = runner.invoke(args=["jobseekers", "import", str(write_csv(tmp_path / "ids.csv", rows))])
    assert "Ligne 3 : Ce numéro d’identité nationale est déjà enregistré pour une autre personne." in result.output
    assert count(app) == 1


def test_duplicates_command_prints_likely_pairs(app, runner, agency, tmp_path):
    rows = [
        ["P-1", "Traoré", "Mamadou", "M", "1990-05-12", "", "", "Dakar", "F1703", "SN-DKR-01"],
        ["P-2", "Traore", "Mamadu", "M", "1990", "", "", "Dakar", "F1703", "SN-DKR-01"],
        ["P-3", "N'Diaye", "Fatou", "F", "1988-01-02", "", "", "Dakar", "F1703", "SN-DKR-01"],
        ["P-4", "Fatou", "Ndiaye", "F", "1988-01-02", "", "", "Dakar", "F1703", "SN-DKR-01"],
        ["P-5", "Traoré", "Mamadou", "M", "1961-03-03", "", "", "Dakar", "F1703", "SN-DKR-01"],
    ]
    runner.invoke(args=["jobseekers", "import", str(write_csv(tmp_path / "dups.csv", rows))])
    result = runner.invoke(args=["jobseekers", "duplicates"])
    assert result.exit_code == 0, result.output
    found = list(csv.DictReader(io.StringIO(result.output)))
    pairs = {(r["id_a"], r["id_b"]) for r in found}
    assert pairs == {("P-1", "P-2"), ("P-3", "P-4")}
    assert all(0 <= float(r["score"]) <= 1 and r["reasons"] for r in found)
