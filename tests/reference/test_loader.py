"""Loading the reference: row-numbered errors, all-or-nothing, idempotent, national lists."""
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.reference.loader import SPEC_BY_NAME, load_reference, parse_file
from app.reference.models import Domain, GrandDomain, Occupation, ReferenceLoad, Title

DATA = Path(__file__).resolve().parents[1] / "data"


def test_shipped_reference_has_the_expected_shape(ctx):
    count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
    assert count(GrandDomain) == 14
    assert count(Domain) == 110
    assert count(Occupation) == 532
    assert count(Title) == 10551
    mason = db.session.get(Occupation, "F1703")
    assert mason.label_fr == "Maçonnerie" and mason.label_en == "Masonry"
    missing_en = db.session.scalar(sa.select(sa.func.count()).select_from(Occupation)
                                   .where(Occupation.label_en == ""))
    assert missing_en == 0


def test_a_second_load_changes_nothing(ctx, app):
    loads_before = db.session.scalar(sa.select(sa.func.count()).select_from(ReferenceLoad))
    report = load_reference(app.config["REFERENCE_DATA_DIR"])
    assert not report.errors
    assert not report.changed
    assert all(c["created"] == 0 and c["updated"] == 0 for c in report.counts.values())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReferenceLoad)) == loads_before


def test_parse_reports_row_numbers():
    content = "code,domain,label_fr\nA1101,A11,Conduite\n,A11,Sans code\nA1101,A11,Doublon\nA9999,A11,\n"
    rows, errors = parse_file(SPEC_BY_NAME["occupations.csv"], io.StringIO(content))
    assert [r["code"] for r in rows] == ["A1101"]
    assert [(e.row, e.message) for e in errors] == [
        (3, "The column code is empty."),
        (4, "Duplicate of row 2."),
        (5, "The French label is empty."),
    ]


def test_codes_stay_strings():
    rows, errors = parse_file(SPEC_BY_NAME["isco_groups.csv"], io.StringIO(
        "code,level,parent,label_fr,label_en\n0110,4,011,Sous-officiers,Officers\nNA,1,,Na,Na\n"))
    assert not errors
    assert [r["code"] for r in rows] == ["0110", "NA"]


def test_missing_columns_are_reported(ctx, tmp_path):
    (tmp_path / "occupations.csv").write_text("code,label\nZ0101,Quelque chose\n", encoding="utf-8")
    report = load_reference(tmp_path)
    assert [str(e) for e in report.errors] == ["occupations.csv: Colonnes manquantes : domain, label_fr."]


def test_a_bad_national_list_writes_nothing(ctx):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Occupation))
    report = load_reference(DATA / "national_list_bad")
    messages = [str(e) for e in report.errors]
    assert "occupations.csv, ligne 3: Code inconnu Z99 (absent de domains.csv)." in messages
    assert "titles.csv, ligne 4: Code inconnu Z0300 (absent de occupations.csv)." in messages
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Occupation)) == before
    assert db.session.get(GrandDomain, "Z") is None


@pytest.fixture
def national_list(ctx):
    yield DATA / "national_list"
    # Take the national rows out again: the reference is shared by the whole session.
    db.session.rollback()
    db.session.execute(sa.delete(Title).where(Title.code.like("ML-%")))
    db.session.execute(sa.delete(Occupation).where(Occupation.code.like("Z%")))
    db.session.execute(sa.delete(Domain).where(Domain.code.like("Z%")))
    db.session.execute(sa.delete(GrandDomain).where(GrandDomain.code == "Z"))
    db.session.commit()


def test_a_national_list_is_loaded_beside_the_reference_and_only_once(national_list):
    report = load_reference(national_list)
    assert not report.errors
    assert report.counts["occupations.csv"]["created"] == 2
    db.session.commit()
    assert db.session.get(Occupation, "Z0101").label_fr == "Orpaillage artisanal"
    assert db.session.get(Title, "ML-2").occupation_code == "Z0102"
    again = load_reference(national_list)
    assert not again.changed
