"""The import page: upload, a check and an import run a chunk per request, the report.

Chunks are two rows long here, so that small files cross chunk boundaries.
"""
import csv
import datetime
import fcntl
import io
import json
import os
import time

import openpyxl
import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.jobseekers.models import JobSeeker
from tests.jobseekers.test_import import GOOD, HEADER

BAD = [
    ["B-1", "", "Fatou", "F", "1990", "771234567", "", "Dakar", "F1703", "SN-DKR-01"],
    ["B-2", "Sow", "Ousmane", "X", "31/02/1990", "12", "", "Nowhere", "F1703", "NOPE"],
    ["A-1", "Diallo", "Mamadou", "M", "1990", "", "", "", "", "SN-DKR-01"],
]
LATE = ["A-3", "Ba", "Oumar", "M", "1988", "", "", "Dakar", "F1703", "SN-DKR-01"]


@pytest.fixture(autouse=True)
def imports(app, tmp_path):
    app.config.update(IMPORT_FOLDER=str(tmp_path / "imports"), IMPORT_CHUNK_ROWS=2)
    yield tmp_path / "imports"
    for key in ("IMPORT_FOLDER", "IMPORT_CHUNK_ROWS"):
        app.config.pop(key)


@pytest.fixture
def agency(create_agency):
    return create_agency("SN", region="SN-DK", code="SN-DKR-01")


@pytest.fixture
def agent(login_as, agency):
    return login_as(Role.AGENT, agency=agency)


def csv_bytes(rows, header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def upload(client, data: bytes, name: str = "seekers.csv"):
    return client.post("/jobseekers/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def step(client, job: str):
    return client.post(f"{job}/step", headers={"Accept": "application/json"})


def run(client, job: str) -> None:
    """Drive the job's chunks as the progress page's script does."""
    for _ in range(100):
        response = step(client, job)
        assert response.status_code == 200, response.data[:300]
        if not response.json["running"]:
            return
    raise AssertionError("the job never finished")


def uploaded(client, rows, name: str = "seekers.csv") -> str:
    """Upload ``rows``, run the whole check, return the job's address."""
    response = upload(client, csv_bytes(rows), name)
    assert response.status_code == 303, response.data[:500]
    job = response.headers["Location"]
    run(client, job)
    return job


def imported(client, rows) -> str:
    job = uploaded(client, rows)
    assert client.post(f"{job}/start").status_code == 303
    run(client, job)
    return job


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(JobSeeker))


def english(client) -> None:
    client.post("/language", data={"language": "en"})


def test_upload_page_lists_the_columns_with_an_example(client, agent):
    page = client.get("/jobseekers/import").text
    assert 'enctype="multipart/form-data"' in page and 'accept=".csv,.xlsx"' in page
    for column in HEADER + ["national_id_type", "commune"]:
        assert f"<code>{column}</code>" in page
    assert "external_id;last_name;first_name" in page and "SN-DKR-01</pre>" in page
    assert 'href="/jobseekers/import"' in page  # the menu link


def test_upload_check_import_and_report_with_exact_counts(app, client, agent, imports):
    job = uploaded(client, GOOD + BAD + [LATE])
    preview = client.get(job).text
    assert "<td>4</td><td>Le nom de famille manque.</td>" in preview
    assert "Agence inconnue NOPE." in preview and "<td>5</td>" in preview
    assert "<td>6</td><td>L’external_id A-1 répète la ligne 2.</td>" in preview
    assert "(3)" in preview and 'id="import-start"' in preview
    assert "Mamadou" in preview  # the first rows, as read
    assert count(app) == 0  # the check wrote nothing

    assert client.post(f"{job}/start").status_code == 303
    progress = client.get(job).text
    assert "<progress" in progress and "js/import-progress.js" in progress
    run(client, job)
    report = client.get(job).text
    assert 'id="import-created">3<' in report and 'id="import-rejected">3<' in report
    assert 'id="import-updated">0<' in report and "<td>6</td>" in report
    assert count(app) == 3
    with app.app_context():
        (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "jobseeker.imported"))
        assert event.details == {"rows": 6, "created": 3, "updated": 0, "unchanged": 0, "rejected": 3}
        assert event.actor_id == agent.id
    # Once imported, only the bad rows are kept for the report's download.
    (folder,) = imports.iterdir()
    assert sorted(p.name for p in folder.iterdir()) == ["bad.csv", "errors.jsonl", "lock", "state.json"]


def test_a_small_file_is_checked_and_imported_without_a_progress_page(app, client, agent):
    app.config["IMPORT_CHUNK_ROWS"] = 500
    response = upload(client, csv_bytes(GOOD))
    job = response.headers["Location"]
    assert 'id="import-start"' in client.get(job).text
    client.post(f"{job}/start")
    assert 'id="import-created">2<' in client.get(job).text


def test_reimport_updates_instead_of_duplicating(app, client, agent):
    imported(client, GOOD)
    changed = [row[:] for row in GOOD]
    changed[0][2] = "Mamadou Lamine"
    english(client)
    job = uploaded(client, changed)
    assert "0 new, 1 to update, 1 unchanged" in client.get(job).text
    client.post(f"{job}/start")
    run(client, job)
    report = client.get(job).text
    assert 'id="import-created">0<' in report and 'id="import-updated">1<' in report
    assert 'id="import-unchanged">1<' in report
    assert count(app) == 2


def test_repeats_in_other_chunks_and_import_time_refusals_keep_their_row_numbers(app, client, agent, runner,
                                                                                  tmp_path):
    english(client)
    rows = [
        GOOD[0],  # row 2
        ["E-1", "Sarr", "Awa", "F", "1992", "", "1 751 1992 00456", "Dakar", "F1703", "SN-DKR-01"],  # 3
        ["E-2", "Sarr", "Adama", "M", "1993", "", "", "Dakar", "F1703", "SN-DKR-01"],  # 4
        ["E-3", "Faye", "Binta", "F", "1994", "", "1751199200456", "Dakar", "F1703", "SN-DKR-01"],  # 5: ID of row 3
        ["E-4", "Gueye", "Modou", "M", "1995", "", "1751199500789", "Dakar", "F1703", "SN-DKR-01"],  # 6
        ["A-1", "Diallo", "Mamadou", "M", "1990", "", "", "Dakar", "F1703", "SN-DKR-01"],  # 7: repeats row 2
        ["E-5", "Kane", "Ndeye", "F", "1996", "", "", "Dakar", "F1703", "SN-DKR-01"],  # 8
    ]
    job = uploaded(client, rows)
    preview = client.get(job).text
    assert "<td>5</td><td>The national ID repeats row 3.</td>" in preview
    assert "<td>7</td><td>The external_id A-1 repeats row 2.</td>" in preview
    # Between the check and the import, someone registers row 6's national ID elsewhere.
    other = tmp_path / "other.csv"
    other.write_bytes(csv_bytes([["Z-9", "Ndiaye", "Khady", "F", "1980", "", "1751199500789", "Dakar", "F1703",
                                  "SN-DKR-01"]]))
    assert runner.invoke(args=["jobseekers", "import", str(other)]).exit_code == 0
    client.post(f"{job}/start")
    run(client, job)
    report = client.get(job).text
    assert "<td>6</td><td>This national ID is already registered to another person.</td>" in report
    assert 'id="import-created">4<' in report and 'id="import-rejected">3<' in report
    assert count(app) == 5
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "jobseeker.imported"))
        assert event.details == {"rows": 7, "created": 4, "updated": 0, "unchanged": 0, "rejected": 3}
    lines = list(csv.reader(io.StringIO(client.get(f"{job}/bad-rows.csv").text.lstrip("\ufeff"))))
    assert [line[:3] for line in lines] == [["import_row", "import_error", "external_id"],
                                            ["5", "The national ID repeats row 3.", "E-3"],
                                            ["6", "This national ID is already registered to another person.",
                                             "E-4"],
                                            ["7", "The external_id A-1 repeats row 2.", "A-1"]]


def test_bad_rows_download_is_safe_to_open_and_can_be_imported_again(app, client, agent):
    rows = [GOOD[0], ["=HYPERLINK(\"http://x\")", "-Sow", "@Ousmane", "X", "1990", "+221 77 123 45 67", "", "Dakar",
                      "F1703", "SN-DKR-01"]]
    job = uploaded(client, rows)
    response = client.get(f"{job}/bad-rows.csv")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="bad-rows-')
    (header, line) = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    assert header[:2] == ["import_row", "import_error"] and line[0] == "3"
    assert line[2:6] == ["'=HYPERLINK(\"http://x\")", "'-Sow", "'@Ousmane", "X"]
    assert line[7] == "'+221 77 123 45 67"
    assert "Sexe inconnu X" in line[1]
    # Corrected, the file goes back through the same page: the added columns are ignored.
    line[5] = "M"
    corrected = io.StringIO()
    csv.writer(corrected, delimiter=";").writerows([header, line])
    fixed = upload(client, corrected.getvalue().encode("utf-8"))
    fixed_job = fixed.headers["Location"]
    run(client, fixed_job)
    assert 'id="import-start"' in client.get(fixed_job).text


def test_a_second_import_tab_waits_instead_of_running_the_same_chunk(client, agent, imports):
    job = upload(client, csv_bytes(GOOD + [LATE])).headers["Location"]
    folder = imports / job.rsplit("/", 1)[1]
    with (folder / "lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # another worker is running a chunk
        busy = step(client, job)
        assert busy.status_code == 409 and busy.json["done"] == 2
        assert client.post(f"{job}/step").status_code == 303
        fcntl.flock(handle, fcntl.LOCK_UN)
    after = step(client, job).json
    assert (after["phase"], after["running"], after["done"], after["total"]) == ("ready", False, 3, 3)


def test_another_user_cannot_see_or_run_the_job(app, client, agent, agency, create_user):
    job = uploaded(client, GOOD)
    for role, kw in ((Role.AGENT, {"agency": agency}), (Role.ADMIN, {"national": True})):
        other = create_user(role, **kw)
        browser = app.test_client()
        browser.post("/login", data={"username": other.username, "password": "Counter2024x"})
        assert browser.get(job).status_code == 404
        assert browser.get(f"{job}/bad-rows.csv").status_code == 404
        for action in ("step", "start", "cancel"):
            assert browser.post(f"{job}/{action}").status_code == 404
    assert client.get(job).status_code == 200
    assert client.get("/jobseekers/import/not-a-token").status_code == 404
    assert client.get("/jobseekers/import/" + "A" * 22).status_code == 404


@pytest.mark.parametrize("role, status", [
    (Role.AGENT, 200), (Role.COUNSELLOR, 200), (Role.ADMIN, 200),
    (Role.MANAGER, 403), (Role.MOBILITY_COUNSELLOR, 403), (Role.EMPLOYER, 403),
])
def test_the_page_needs_the_import_permission(client, login_as, create_employer, agency, role, status):
    if role == Role.EMPLOYER:
        login_as(role, employer_id=create_employer().id)
    else:
        login_as(role, agency=agency)
    assert client.get("/jobseekers/import").status_code == status
    assert ('href="/jobseekers/import"' in client.get("/").text) == (status == 200)


def _xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("name, data, status, message", [
    ("seekers.csv", b"", 400, "The file is empty."),
    ("seekers.pdf", b"%PDF-1.4", 400, "Only CSV and XLSX files can be imported."),
    ("seekers.xlsx", b"external_id,last_name\nA,B\n", 400, "This file is not an XLSX workbook"),
    ("seekers.csv", _xlsx_bytes([HEADER]), 400, "This file is not a CSV text file"),
    ("seekers.csv", b"\x89PNG\r\n\x1a\n\x00\x00", 400, "This file is not a CSV text file"),
    ("seekers.csv", "external_id;last_name\nA;Ndiaye Kébé\n".encode("cp1252"), 400, "The file is not in UTF-8"),
    ("seekers.csv", ",".join(HEADER).encode() + b"\n", 400, "The file has no rows"),
    ("seekers.csv", b'a,b,c\n1,2\n"x\n', 400, "The file could not be read as a table"),
    ("seekers.xlsx", b"PK\x03\x04broken", 400, "This file is not an XLSX workbook"),
])
def test_bad_files_are_refused_with_a_message(client, agent, imports, name, data, status, message):
    english(client)
    response = upload(client, data, name)
    assert response.status_code == status
    assert message in response.text and 'id="file-errors"' in response.text
    assert not imports.exists() or not any(imports.iterdir())


def test_a_file_too_large_is_refused_with_a_message(client, agent, imports, monkeypatch):
    monkeypatch.setattr("app.jobseekers.import_jobs.MAX_BYTES", 1024 * 1024)
    english(client)
    response = upload(client, csv_bytes(GOOD) + b"#" * 1024 * 1024)
    assert response.status_code == 413
    assert "The file is larger than 1 MB: split it into several files." in response.text
    assert not imports.exists() or not any(imports.iterdir())


def test_no_file_is_a_400(client, agent):
    response = client.post("/jobseekers/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and 'id="file-errors"' in response.text


def test_missing_columns_are_shown_and_nothing_can_be_imported(client, agent):
    response = upload(client, csv_bytes([["A-1", "Diallo"]], header=["external_id", "name"]))
    job = response.headers["Location"]
    preview = client.get(job).text
    assert "Colonnes manquantes" in preview and "<code>name</code>" in preview
    assert 'id="import-start"' not in preview
    client.post(f"{job}/start")
    assert 'id="import-start"' not in client.get(job).text and "<progress" not in client.get(job).text


def test_xlsx_is_read_from_a_real_workbook(app, client, agent, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(GOOD[0][:4] + [datetime.date(1990, 5, 12)] + GOOD[0][5:])
    sheet.append(["C-1", "Ba", "Oumar", "M", "not a date", "", "", "Dakar", "F1703", "SN-DKR-01"])
    path = tmp_path / "seekers.xlsx"
    book.save(path)
    job = upload(client, path.read_bytes(), "Seekers.XLSX").headers["Location"]
    run(client, job)
    assert "La date de naissance not a date n’est ni une date ni une année." in client.get(job).text
    client.post(f"{job}/start")
    run(client, job)
    assert 'id="import-created">1<' in client.get(job).text
    with app.app_context():
        born = db.session.scalar(sa.select(JobSeeker.birth_date).where(JobSeeker.external_id == "A-1"))
        assert born == datetime.date(1990, 5, 12)


def test_rows_for_an_agency_the_user_may_not_import_into_are_bad_rows(app, client, agent, create_agency):
    create_agency("SN", region="SN-TH", code="SN-THS-01")  # same country, another agency
    job = uploaded(client, [GOOD[0], GOOD[1][:9] + ["SN-THS-01"]])
    assert "<td>3</td><td>Agence inconnue SN-THS-01.</td>" in client.get(job).text


def test_a_country_administrator_imports_into_the_agencies_of_the_country(app, client, login_as, agency,
                                                                          create_agency):
    create_agency("SN", region="SN-TH", code="SN-THS-01")
    create_agency("ML", code="ML-BKO-01")
    login_as(Role.ADMIN, agency=agency)
    rows = [GOOD[0], GOOD[1][:9] + ["SN-THS-01"], LATE[:9] + ["ML-BKO-01"]]
    job = imported(client, rows)
    report = client.get(job).text
    assert 'id="import-created">2<' in report and "Agence inconnue ML-BKO-01." in report


def test_many_bad_rows_are_listed_a_page_at_a_time(app, client, agent):
    app.config["IMPORT_CHUNK_ROWS"] = 500
    rows = [[f"X-{n}", "Sow", "Awa", "Z", "1990", "", "", "Dakar", "F1703", "SN-DKR-01"] for n in range(120)]
    job = uploaded(client, rows)
    first = client.get(job).text
    assert first.count("Sexe inconnu Z") == 50 and "Page 1 sur 3" in first
    last = client.get(f"{job}?page=3").text
    assert last.count("Sexe inconnu Z") == 20 and "<td>121</td>" in last
    assert 'id="import-start"' not in first


def test_cancel_deletes_the_job(client, agent, imports):
    job = uploaded(client, GOOD)
    response = client.post(f"{job}/cancel")
    assert response.headers["Location"] == "/jobseekers/import"
    assert client.get(job).status_code == 404 and not any(imports.iterdir())


def test_jobs_older_than_a_day_are_cleaned_up(client, agent, imports):
    old = uploaded(client, GOOD)
    recent = uploaded(client, GOOD)
    folder = imports / old.rsplit("/", 1)[1]
    day_ago = time.time() - 25 * 3600
    os.utime(folder / "state.json", (day_ago, day_ago))
    client.get("/jobseekers/import")
    assert client.get(old).status_code == 404 and client.get(recent).status_code == 200


def test_state_file_is_json_with_counts_and_no_personal_data(client, agent, imports):
    job = imported(client, GOOD)
    state = json.loads((imports / job.rsplit("/", 1)[1] / "state.json").read_text())
    assert state["phase"] == "done" and state["counts"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert "Diallo" not in json.dumps(state)


def test_a_chunk_interrupted_after_its_commit_is_run_again_without_duplicates(app, client, agent, monkeypatch):
    job = uploaded(client, GOOD + [LATE])
    client.post(f"{job}/start")  # imports rows 2 and 3
    from app.jobseekers import import_jobs

    def crash(job):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(import_jobs, "_save", crash)
        with pytest.raises(RuntimeError):
            step(client, job)  # row 4 is committed, the state is not saved
    assert count(app) == 3
    run(client, job)
    report = client.get(job).text
    assert 'id="import-created">2<' in report and 'id="import-unchanged">1<' in report
    assert count(app) == 3


def test_an_import_under_way_cannot_be_cancelled(client, agent):
    job = uploaded(client, GOOD + [LATE])
    client.post(f"{job}/start")
    assert client.post(f"{job}/cancel").headers["Location"] == job
    run(client, job)
    assert 'id="import-created">3<' in client.get(job).text
