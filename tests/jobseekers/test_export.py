"""Exports: search results as CSV and XLSX, everything held on one person as JSON."""
import csv
import io
import json
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.audit import AuditEvent
from app.auth.models import Country, Region, Role
from app.extensions import db
from app.jobseekers import exports, services
from app.jobseekers.models import (
    Experience, JobSeeker, JobSeekerLanguage, JobSeekerSkill, Qualification,
)
from app.reference.models import Skill

NATIONAL_ID = "1751199000123"
FRENCH_HEADERS = ["Numéro", "Nom de famille", "Prénoms", "Sexe", "Date de naissance, ou année", "Téléphone",
                  "Région", "Commune", "Métiers recherchés", "Statut", "Dernière confirmation"]
ENGLISH_HEADERS = ["Number", "Last name", "First names", "Sex", "Date of birth, or year", "Phone", "Region",
                   "Commune", "Occupations sought", "Status", "Last confirmed"]


def register_person(app, agency, profile: bool = False, **identity) -> int:
    """Register a person in ``agency`` (Mamadou Traoré unless told otherwise); with ``profile``,
    also languages, skills, experience, a diploma and mobility wishes. Returns the id."""
    fields = dict(last_name="Traoré", first_names="Mamadou", sex="M", birth_date=date(1990, 5, 12),
                  birth_year=1990, phones=["+221771234567"], national_id_type="cni", national_id=NATIONAL_ID,
                  email="mamadou.traore@example.org", region_id=agency.region_id, commune="Pikine",
                  external_id="EXT-77", occupations=[services.OccupationChoice("F1703", "maçon coffreur")],
                  consents=("propose", "share_abroad"))
    fields.update(identity)
    with app.app_context():
        seeker = services.register_jobseeker(agency, services.PersonData(**fields))
        if profile:
            seeker.disability_note = "Fauteuil roulant, bureau au rez-de-chaussée"
            seeker.languages = [JobSeekerLanguage(language="wol", level="native")]
            coded = db.session.scalar(sa.select(Skill.code).order_by(Skill.code).limit(1))
            seeker.skills = [JobSeekerSkill(skill_code=coded), JobSeekerSkill(label="Sculpture sur bois d'ébène")]
            seeker.experiences = [Experience(kind="apprenticeship", title="Apprenti maçon", occupation_code="F1703",
                                             employer="Chantier Moussa Ndiaye", place="Rufisque",
                                             start_year=2008, end_year=2011)]
            seeker.qualifications = [Qualification(kind="diploma", title="CAP maçonnerie",
                                                   institution="Lycée technique Delafosse", year=2012)]
            seeker.mobility_regions = list(db.session.scalars(sa.select(Region).where(Region.code == "SN-TH")))
            seeker.mobility_countries = [db.session.get(Country, "ML")]
        db.session.commit()
        return seeker.id


@pytest.fixture
def agency(create_agency):
    return create_agency("SN", region="SN-DK")


def read_csv(response, delimiter=";"):
    assert response.data.startswith("\ufeff".encode())  # the BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=delimiter))


def read_xlsx(response):
    sheet = load_workbook(io.BytesIO(response.data)).active
    return sheet, [[cell.value or "" for cell in row] for row in sheet.iter_rows()]


def events(app, action):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_csv_lists_the_agency_search_results_in_french(app, client, login_as, agency, create_agency):
    login_as(Role.AGENT, agency=agency)
    register_person(app, agency)
    register_person(app, agency, last_name="Ndiaye", first_names="Aïssatou", sex="F", birth_date=None,
                    birth_year=1995, phones=[], national_id=None, external_id=None, commune=None)
    elsewhere = create_agency("SN")
    register_person(app, elsewhere, last_name="Sarr", first_names="Binta", phones=["+221761112233"],
                    national_id=None, external_id=None)

    response = client.get("/jobseekers/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="jobseekers-{date.today().isoformat()}.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response)
    assert rows[0] == FRENCH_HEADERS
    assert [row[1] for row in rows[1:]] == ["Ndiaye", "Traoré"]  # Binta Sarr is another agency's
    ndiaye, traore = rows[1:]
    assert ndiaye[3:5] == ["Femme", "1995"]
    assert traore[1:5] == ["Traoré", "Mamadou", "Homme", "1990-05-12"]
    assert traore[5] == "'+221771234567"  # a leading "+" is a formula to a spreadsheet
    assert traore[6] == "Dakar" and traore[7] == "Pikine"
    assert traore[8].startswith("F1703 · ") and len(traore[8]) > len("F1703 · ")
    assert traore[9] == "Actif" and traore[10] == date.today().isoformat()
    assert NATIONAL_ID not in response.text and NATIONAL_ID[-4:] not in response.text


def test_english_speakers_get_english_headers_and_commas(app, client, login_as, agency):
    login_as(Role.COUNSELLOR, agency=agency)
    client.post("/language", data={"language": "en"})
    register_person(app, agency)
    rows = read_csv(client.get("/jobseekers/export.csv"), delimiter=",")
    assert rows[0] == ENGLISH_HEADERS
    assert rows[1][3] == "Male" and rows[1][9] == "Active"


def test_export_takes_the_search_filters(app, client, login_as, agency):
    login_as(Role.AGENT, agency=agency)
    register_person(app, agency)
    register_person(app, agency, last_name="Ndiaye", first_names="Aïssatou", sex="F", phones=[], national_id=None,
                    external_id=None, occupations=[services.OccupationChoice("K2111")])
    by_name = read_csv(client.get("/jobseekers/export.csv?q=traore"))
    assert [row[1] for row in by_name[1:]] == ["Traoré"]
    by_occupation = read_csv(client.get("/jobseekers/export.csv?occupation=K21"))
    assert [row[1] for row in by_occupation[1:]] == ["Ndiaye"]
    assert read_csv(client.get("/jobseekers/export.csv?status=placed"))[1:] == []
    _sheet, rows = read_xlsx(client.get("/jobseekers/export.xlsx?q=77 123 45 67"))
    assert [row[1] for row in rows[1:]] == ["Traoré"]


def test_search_page_links_to_the_exports_with_its_arguments(app, client, auth, login_as, create_user, agency):
    login_as(Role.AGENT, agency=agency)
    register_person(app, agency)
    page = client.get("/jobseekers/?q=Traore&status=active").text
    assert 'href="/jobseekers/export.csv?q=Traore&amp;status=active"' in page
    assert 'href="/jobseekers/export.xlsx?q=Traore&amp;status=active"' in page
    auth.logout()
    auth.login(create_user(Role.MOBILITY_COUNSELLOR, agency=agency).username)
    assert "/jobseekers/export.csv" not in client.get("/jobseekers/?q=Traore").text


FORMULAS = {"last_name": "=HYPERLINK(\"http://evil.example\",\"x\")", "first_names": "+SUM(1,2)",
            "commune": "@cmd|' /C calc'!A0"}


def _plant_formulas(app, seeker_id):
    with app.app_context():
        seeker = db.session.get(JobSeeker, seeker_id)
        for name, value in FORMULAS.items():
            setattr(seeker, name, value)
        seeker.occupations[0].occupation_code = "F1703"
        db.session.commit()


def test_formulas_are_neutralised_in_csv(app, client, login_as, agency):
    login_as(Role.AGENT, agency=agency)
    _plant_formulas(app, register_person(app, agency))
    row = read_csv(client.get("/jobseekers/export.csv"))[1]
    assert row[1] == "'" + FORMULAS["last_name"]
    assert row[2] == "'" + FORMULAS["first_names"]
    assert row[7] == "'" + FORMULAS["commune"]


def test_formulas_are_text_in_xlsx(app, client, login_as, agency):
    login_as(Role.AGENT, agency=agency)
    _plant_formulas(app, register_person(app, agency))
    response = client.get("/jobseekers/export.xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].endswith(f'-{date.today().isoformat()}.xlsx"')
    sheet, rows = read_xlsx(response)
    assert rows[0] == FRENCH_HEADERS
    assert rows[1][1] == "'" + FORMULAS["last_name"] and rows[1][7] == "'" + FORMULAS["commune"]
    assert rows[1][5] == "'+221771234567"
    assert {cell.data_type for row in sheet.iter_rows() for cell in row} == {"s"}


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+221", "'+221"), ("-2", "'-2"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("Traoré", "Traoré"), ("a=b", "a=b"), ("", ""), (None, ""), (1990, "1990"),
])
def test_neutralise(value, expected):
    assert exports.neutralise(value) == expected


def test_a_result_too_big_is_cut_and_says_so(app, client, login_as, agency, monkeypatch):
    monkeypatch.setattr(exports, "MAX_ROWS", {"csv": 1, "xlsx": 1})
    login_as(Role.AGENT, agency=agency)
    client.post("/language", data={"language": "en"})
    register_person(app, agency)
    register_person(app, agency, last_name="Ndiaye", phones=[], national_id=None, external_id=None)
    rows = read_csv(client.get("/jobseekers/export.csv"), delimiter=",")
    assert len(rows) == 3 and rows[2][0].startswith("Only the first 1 rows")
    _sheet, sheet_rows = read_xlsx(client.get("/jobseekers/export.xlsx"))
    assert len(sheet_rows) == 3 and sheet_rows[2][0].startswith("Only the first 1 rows")
    assert "An XLSX file holds at most 1 rows, a CSV file 1." in client.get("/jobseekers/").text
    assert [(e.details["rows"], e.details["capped"]) for e in events(app, "jobseeker.results_exported")] == \
        [(1, True), (1, True)]


def test_results_export_is_audited_without_personal_data(app, client, login_as, agency):
    agent = login_as(Role.AGENT, agency=agency)
    register_person(app, agency)
    client.get("/jobseekers/export.xlsx?q=Traoré&occupation=F17&region_id=abc")
    (event,) = events(app, "jobseeker.results_exported")
    assert (event.object_type, event.object_id, event.actor_id) == ("agency", str(agency.id), agent.id)
    assert event.details == {"format": "xlsx", "rows": 1, "capped": False, "text_search": True,
                             "occupation": "F17", "status": "", "region_id": None}


def test_national_administrators_export_is_traced_to_them(app, client, login_as, agency):
    admin = login_as(Role.ADMIN, national=True)
    register_person(app, agency)
    assert len(read_csv(client.get("/jobseekers/export.csv"))) == 2
    (event,) = events(app, "jobseeker.results_exported")
    assert (event.object_type, event.object_id) == ("user", str(admin.id))


@pytest.mark.parametrize("role, status", [
    (Role.AGENT, 200), (Role.COUNSELLOR, 200), (Role.MANAGER, 200), (Role.ADMIN, 200),
    (Role.MOBILITY_COUNSELLOR, 403), (Role.EMPLOYER, 403),
])
def test_results_export_needs_the_permission(app, client, login_as, create_employer, agency, role, status):
    register_person(app, agency)
    if role == Role.EMPLOYER:
        login_as(role, employer_id=create_employer().id)
    else:
        login_as(role, agency=agency)
    for fmt in ("csv", "xlsx"):
        assert client.get(f"/jobseekers/export.{fmt}").status_code == status
    assert len(events(app, "jobseeker.results_exported")) == (2 if status == 200 else 0)


def test_visitors_are_sent_to_the_login_page(client):
    response = client.get("/jobseekers/export.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --------------------------------------------------------------------------- one person


def _person_json(client, seeker_id):
    response = client.get(f"/jobseekers/{seeker_id}/export")
    assert response.status_code == 200, response.text[:500]
    assert response.mimetype == "application/json"
    return response, json.loads(response.data)


def test_person_export_holds_everything_on_the_person(app, client, login_as, agency):
    agent = login_as(Role.AGENT, agency=agency, full_name="Codou Faye")
    seeker_id = register_person(app, agency, profile=True)
    client.get(f"/jobseekers/{seeker_id}")  # a reading, kept in the history
    response, data = _person_json(client, seeker_id)
    assert response.headers["Content-Disposition"].startswith('attachment; filename="jobseeker-')
    person = data["person"]
    # Built from the model: every column and every relationship is there, those added later too.
    assert set(sa.inspect(JobSeeker).column_attrs.keys()) <= set(person)
    assert set(sa.inspect(JobSeeker).relationships.keys()) <= set(person)
    assert (person["last_name"], person["first_names"], person["birth_date"]) == ("Traoré", "Mamadou", "1990-05-12")
    assert person["national_id"] == NATIONAL_ID  # the person's own: in full here
    assert person["sex_label"] == "Homme" and person["email"] == "mamadou.traore@example.org"
    assert person["disability_note"].startswith("Fauteuil")
    assert [p["number"] for p in person["phones"]] == ["+221771234567"]
    assert person["occupations"][0]["occupation_code"] == "F1703"
    assert person["occupations"][0]["occupation"]["label"]
    assert person["languages"][0]["language"] == "wol" and person["languages"][0]["language_label"]
    assert sorted(s["label"] for s in person["skills"]) == ["", "Sculpture sur bois d'ébène"]
    assert person["experiences"][0]["employer"] == "Chantier Moussa Ndiaye"
    assert person["qualifications"][0]["institution"] == "Lycée technique Delafosse"
    assert [r["code"] for r in person["mobility_regions"]] == ["SN-TH"]
    assert [c["code"] for c in person["mobility_countries"]] == ["ML"]
    assert person["agency"]["id"] == agency.id and person["region"]["label"] == "Dakar"
    consents = {c["purpose"]: c for c in person["consents"]}
    assert set(consents) == {"propose", "share_abroad"}
    assert consents["propose"]["notice_version"] == services.NOTICE_VERSION
    assert consents["propose"]["given_at"] and consents["propose"]["withdrawn_at"] is None
    history = [(e["action"], e["by"]) for e in data["history"]]
    assert ("jobseeker.created", None) in history and ("jobseeker.read", "Codou Faye") in history
    assert data["generated_by"] == "Codou Faye"
    (event,) = events(app, "jobseeker.exported")
    assert (event.object_id, event.actor_id, event.details) == (str(seeker_id), agent.id, {"format": "json"})
    with app.app_context():  # the full ID is in the download, never in the trail
        trail = db.session.scalars(sa.select(AuditEvent.details)).all()
    assert NATIONAL_ID not in json.dumps(trail)


def test_person_export_includes_the_duplicates_merged_into_the_record(app, client, login_as, agency):
    login_as(Role.AGENT, agency=agency)
    survivor = register_person(app, agency)
    absorbed = register_person(app, agency, first_names="Mamadu", phones=["+221761112233"], national_id=None,
                               external_id=None)
    with app.app_context():
        db.session.get(JobSeeker, absorbed).merged_into_id = survivor
        db.session.commit()
    _response, data = _person_json(client, survivor)
    (merged,) = data["merged_records"]
    assert (merged["id"], merged["first_names"]) == (absorbed, "Mamadu")
    assert [p["number"] for p in merged["phones"]] == ["+221761112233"]
    assert "jobseeker.created" in [event["action"] for event in merged["history"]]


def test_person_export_stops_at_the_agency(app, client, auth, login_as, create_user, create_agency, agency):
    seeker_id = register_person(app, agency)
    login_as(Role.AGENT, agency=create_agency("SN"))
    assert client.get(f"/jobseekers/{seeker_id}/export").status_code == 404
    auth.logout()
    auth.login(create_user(Role.MOBILITY_COUNSELLOR, agency=agency).username)
    assert client.get(f"/jobseekers/{seeker_id}/export").status_code == 403
    auth.logout()
    auth.login(create_user(Role.MANAGER, agency=create_agency("SN")).username)
    _person_json(client, seeker_id)  # a manager sees the whole country
    auth.logout()
    auth.login(create_user(Role.MANAGER, agency=create_agency("ML")).username)
    assert client.get(f"/jobseekers/{seeker_id}/export").status_code == 404
    assert len(events(app, "jobseeker.exported")) == 1
