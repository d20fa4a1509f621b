"""Importing offers from real CSV and XLSX files: from the command line and from the import page,
the ISCO-08/ESCO crosswalk, re-imports, dry runs, bad rows and the importer's scope."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.offers import services
from app.offers.models import Offer, OfferCounter, OfferLanguage
from tests.offers.test_offers import add_employer

NEXT_MONTH = date.today() + timedelta(days=30)
HEADER = ["external_id", "employer", "job_title", "occupation", "isco", "contract_type", "contract_months",
          "region", "destination_country", "city", "salary_min", "salary_max", "salary_currency", "salary_period",
          "closing_date", "positions"]
MASON = ["P-1", "005 123 456", "Maçon coffreur", "F1703", "", "CDD", "6", "Dakar", "", "Pikine", "150 000",
         "180000", "", "mois", NEXT_MONTH.strftime("%d/%m/%Y"), "3"]
BRICKLAYER = ["P-2", "btp sahel sarl", "Bricklayer", "", "7112", "CDI", "", "", "ES", "Madrid", "1500", "1800",
              "EUR", "month", NEXT_MONTH.isoformat(), "10"]
DRIVER = ["P-3", "005123456", "Chauffeur de taxi", "chauffeur de taxi", "", "journalier", "", "SN-TH", "", "",
          "", "", "", "", "", ""]


@pytest.fixture
def agency(create_agency):
    return create_agency("SN", region="SN-DK", code="SN-DKR-01")


@pytest.fixture
def agent(create_user, agency):
    return create_user(Role.AGENT, agency=agency, username="awa")


@pytest.fixture
def employer(app, agency):
    return add_employer(app, agency_id=agency.id)


def write_csv(path, rows, header=HEADER):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(runner, path, *options, user="awa", lang="en"):
    return runner.invoke(args=["offers", "import", str(path), "--user", user, "--lang", lang, *options])


def stored(app) -> dict[str, Offer]:
    with app.app_context():
        found = db.session.scalars(sa.select(Offer).order_by(Offer.id)).all()
        for offer in found:
            offer.flags  # loaded before the context closes
        db.session.expunge_all()
        return {offer.external_id: offer for offer in found}


def test_csv_import_creates_drafts_then_updates_without_duplicating(app, runner, agent, employer, tmp_path):
    path = write_csv(tmp_path / "offers.csv", [MASON, BRICKLAYER, DRIVER])
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert "3 rows: 3 created, 0 updated, 0 unchanged, 0 submitted, 0 rejected" in result.output
    offers = stored(app)
    mason, bricklayer, driver = offers["P-1"], offers["P-2"], offers["P-3"]
    assert {o.status for o in offers.values()} == {"draft"}
    assert {(o.employer_id, o.agency_id, o.created_by_id) for o in offers.values()} == {
        (employer, agent.agency_id, agent.id)}
    assert (mason.occupation_code, mason.contract_type, mason.contract_months, mason.positions) == (
        "F1703", "fixed_term", 6, 3)
    assert (mason.salary_min, mason.salary_currency, mason.salary_period) == (Decimal(150000), "XOF", "month")
    assert mason.closing_date == NEXT_MONTH and mason.international is False and mason.region_id is not None
    assert mason.source_code is None and mason.mapping_confirmed is True
    assert (bricklayer.international, bricklayer.destination_country, bricklayer.city) == (True, "ES", "Madrid")
    assert (bricklayer.occupation_code, bricklayer.source_code, bricklayer.mapping_confirmed) == (
        "F1703", "7112", False)
    assert (driver.occupation_code, driver.contract_type, driver.salary_currency) == ("N4102", "daily", None)
    with app.app_context():
        created = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "offer.created")).all()
        assert [e.actor_id for e in created] == [agent.id] * 3  # audited as the user named
        summary = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "offer.imported"))
        assert summary.actor_id == agent.id and summary.details["created"] == 3

    again = run(runner, path)
    assert "0 created, 0 updated, 3 unchanged" in again.output
    changed = [row[:] for row in (MASON, BRICKLAYER, DRIVER)]
    changed[0][11] = "200000"
    write_csv(path, changed)
    third = run(runner, path)
    assert "0 created, 1 updated, 2 unchanged" in third.output
    assert stored(app)["P-1"].salary_max == Decimal(200000) and len(stored(app)) == 3


def test_xlsx_with_esco_codes_number_and_date_cells(app, runner, agent, employer, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["External_ID", "Employer", "Job_Title", "ESCO", "Occupation", "Contract_Type", "Salary_Min",
                  "Salary_Period", "Closing_Date", "Region"])
    closing = datetime.combine(NEXT_MONTH, datetime.min.time())
    sheet.append(["X-1", "BTP Sahel SARL", "Bricklayer", "7112.1", "", "permanent", 175000, "month", closing, "Thiès"])
    sheet.append(["X-2", "BTP Sahel SARL", "Ouvrier viticole", "", "isco:9211", "saisonnier", 90000.5, "day",
                  closing, "Dakar"])
    sheet.append(["X-3", "BTP Sahel SARL", "Ouvrier maraîcher", "", "ISCO-08 9211", "stage", None, None, None, ""])
    sheet.append(["X-4", "BTP Sahel SARL", "Chauffeur livreur", "", "isco:8322", "CDI", None, None, None, ""])
    path = tmp_path / "partner.xlsx"
    book.save(path)
    result = run(runner, path)
    assert "4 rows: 3 created" in result.output and "Row 3: A fixed-term or seasonal contract needs" in result.output
    offers = stored(app)
    assert (offers["X-1"].source_code, offers["X-1"].occupation_code, offers["X-1"].mapping_confirmed) == (
        "7112.1", "F1703", False)
    assert offers["X-1"].salary_min == Decimal(175000) and offers["X-1"].closing_date == NEXT_MONTH
    # The crosswalk's fiche: the most typical of the group, unless the job title points to
    # another one nearly as typical.
    assert (offers["X-3"].occupation_code, offers["X-3"].source_code) == ("A1402", "9211")
    assert offers["X-4"].occupation_code == "N4105"
    sheet.cell(row=1, column=11, value="contract_months")  # the seasonal job of row 3 gets its duration
    sheet.cell(row=3, column=11, value=4)
    book.save(path)
    fixed = run(runner, path)
    assert "1 created" in fixed.output, fixed.output
    assert stored(app)["X-2"].occupation_code == "A1401"


def test_dry_run_writes_nothing(app, runner, agent, employer, tmp_path):
    def counts():
        with app.app_context():
            return [db.session.scalar(sa.select(sa.func.count()).select_from(model))
                    for model in (Offer, AuditEvent, OfferCounter)]

    before = counts()
    path = write_csv(tmp_path / "offers.csv", [MASON, BRICKLAYER])
    result = run(runner, path, "--dry-run", "--submit")
    assert result.exit_code == 0, result.output
    assert "[dry run] 2 rows: 2 created, 0 updated, 0 unchanged, 2 submitted, 0 rejected" in result.output
    assert counts() == before == [0, before[1], 0]


def test_bad_rows_are_reported_by_number_and_nothing_of_them_is_written(app, runner, agent, employer, tmp_path):
    add_employer(app, name="Attente SARL", agency_id=agent.agency_id, status="pending", registered=False)
    add_employer(app, name="Ségou Transports", country="ML")
    past = (date.today() - timedelta(days=1)).isoformat()
    bad = [
        ["B-1", "Inconnue SA", "Maçon", "F1703", "", "CDI"] + [""] * 10,
        ["B-2", "Attente SARL", "Maçon", "F1703", "", "CDI"] + [""] * 10,
        ["B-3", "005123456", "Maçon", "F1703", "", "CDD"] + [""] * 10,
        ["B-4", "005123456", "Maçon", "F1703", "", "bénévolat"] + [""] * 10,
        ["B-5", "005123456", "Maçon", "F1703", "", "CDI", "", "Dakar", "FR", "", "100", "50", "", "", past, "0"],
        ["B-6", "005123456", "Maçon", "", "isco:9999", "CDI"] + [""] * 10,
        ["P-1", "005123456", "Maçon", "F1703", "", "CDI"] + [""] * 10,
        ["B-8", "005123456", "", "", "", "CDI", "", "", "ZZ", "", "beaucoup"] + [""] * 5,
        ["B-9", "Ségou Transports", "Chauffeur", "N4102", "", "CDI"] + [""] * 10,
    ]
    path = write_csv(tmp_path / "bad.csv", [MASON] + bad)
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Row ")]
    assert lines == [
        "Row 3: Unknown employer Inconnue SA: give its registration number or its exact name.",
        "Row 4: The employer Attente SARL is not approved: an agent must approve it first.",
        "Row 5: A fixed-term or seasonal contract needs its duration in months (contract_months).",
        "Row 6: Unknown contract type bénévolat (CDI, CDD, saisonnier, stage, apprentissage, journalier).",
        "Row 7: The column positions must hold a whole number from 1 to 10000.",
        "Row 8: No fiche is linked to the ISCO-08 code 9999.",
        "Row 9: The external_id P-1 repeats row 2.",
        "Row 10: The column job_title is empty. No occupation is given (occupation, isco or esco). The column "
        "salary_min must hold an amount. Unknown destination country ZZ: give the two-letter code of another "
        "country (ES, FR, …).",
        "Row 11: Unknown employer Ségou Transports: give its registration number or its exact name.",
    ]
    assert "1 created" in result.output and "9 rejected" in result.output
    assert list(stored(app)) == ["P-1"]
    # Once every cell reads, the rules that tie fields together are checked.
    place = [bad[4][:15] + ["1"]]
    write_csv(path, place)
    assert "Row 2: Give either a region or a destination country, not both." in run(runner, path).output
    place[0][8] = ""
    write_csv(path, place)
    assert ("Row 2: The salary_max is below the salary_min. Give the currency and the period of the salary. "
            "The closing date is already past.") in run(runner, path).output
    assert list(stored(app)) == ["P-1"]


def test_messages_follow_the_language_asked(app, runner, agent, employer, tmp_path):
    path = write_csv(tmp_path / "offers.csv", [MASON, ["B-1", "005123456", "Maçon", "", "", "CDI", "", "Nulle part"]
                                               + [""] * 8])
    result = run(runner, path, lang="fr")
    assert "Ligne 3 : " in result.output and "Région inconnue Nulle part." in result.output


def test_missing_columns_and_unknown_users_stop_the_import(app, runner, agent, create_user, tmp_path):
    path = write_csv(tmp_path / "offers.csv", [["P-1", "Maçon"]], header=["external_id", "job_title"])
    result = run(runner, path)
    assert result.exit_code != 0
    assert "Missing columns: employer, contract_type, occupation / isco / esco." in result.output
    good = write_csv(tmp_path / "good.csv", [MASON])
    assert run(runner, good, user="nobody").exit_code != 0
    counsellor = create_user(Role.MOBILITY_COUNSELLOR, username="moussa")
    assert "no active user with the right to import offers" in run(runner, good, user=counsellor.username).output
    create_user(Role.ADMIN, username="root", national=True)
    refused = run(runner, good, "--submit", user="root")
    assert "You may not submit offers: import them as drafts." in refused.output
    assert stored(app) == {}


# ------------------------------------------------------------------------- re-imports
def test_published_offers_are_left_as_validated(app, runner, agent, employer, tmp_path):
    path = write_csv(tmp_path / "offers.csv", [MASON])
    run(runner, path)
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer))
        offer.status = "published"
        db.session.commit()
    assert "1 unchanged" in run(runner, path).output
    changed = [MASON[:2] + ["Maçon boiseur"] + MASON[3:]]
    write_csv(path, changed)
    refused = run(runner, path)
    assert "Row 2: Refused: the offer SN-O-" in refused.output and "can no longer be changed (Published)." in (
        refused.output)
    assert stored(app)["P-1"].job_title == "Maçon coffreur"


def test_a_reimport_keeps_what_agents_added_and_confirmed(app, runner, agent, employer, tmp_path):
    path = write_csv(tmp_path / "offers.csv", [MASON, BRICKLAYER])
    run(runner, path)
    with app.app_context():
        mason = db.session.scalar(sa.select(Offer).where(Offer.external_id == "P-1"))
        mason.benefits = "meals"  # added on the offer's page: the file has no such column
        mason.languages.append(OfferLanguage(language="wol", level="fluent", required=True))
        bricklayer = db.session.scalar(sa.select(Offer).where(Offer.external_id == "P-2"))
        bricklayer.occupation_code, bricklayer.mapping_confirmed = "F1704", True  # the agent's choice
        db.session.commit()
    versions = {key: offer.version for key, offer in stored(app).items()}
    assert "0 updated, 2 unchanged" in run(runner, path).output
    offers = stored(app)
    assert {key: offer.version for key, offer in offers.items()} == versions  # not even rewritten
    assert offers["P-1"].benefits == "meals"
    assert (offers["P-2"].occupation_code, offers["P-2"].mapping_confirmed) == ("F1704", True)
    recoded = [MASON, BRICKLAYER[:4] + ["7115"] + BRICKLAYER[5:]]  # another ISCO code: confirm again
    write_csv(path, recoded)
    assert "1 updated" in run(runner, path).output
    assert (stored(app)["P-2"].source_code, stored(app)["P-2"].mapping_confirmed) == ("7115", False)


def test_submit_runs_the_checks_and_an_unconfirmed_mapping_blocks_publication(app, runner, agency, agent, employer,
                                                                               create_user, tmp_path):
    mason = MASON[:4] + ["7112"] + MASON[5:] + [""]  # a ROAME code and the ISCO code it came with
    fee = BRICKLAYER + ["150000"]
    path = write_csv(tmp_path / "offers.csv", [mason, fee], header=HEADER + ["worker_fee"])
    result = run(runner, path, "--submit")
    assert "2 created, 0 updated, 0 unchanged, 2 submitted" in result.output, result.output
    offers = stored(app)
    assert {o.status for o in offers.values()} == {"submitted"}
    bricklayer = offers["P-2"]
    assert (bricklayer.worker_fee, bricklayer.worker_fee_currency) == (Decimal(150000), "EUR")
    assert {"worker_fee", "missing_contract", "missing_terms"} <= {f.kind for f in bricklayer.flags}
    assert (offers["P-1"].occupation_code, offers["P-1"].source_code, offers["P-1"].mapping_confirmed) == (
        "F1703", "7112", False)
    manager = create_user(Role.MANAGER, agency=agency)
    with app.test_request_context():
        mason, manager = db.session.get(Offer, offers["P-1"].id), db.session.merge(manager)
        with pytest.raises(services.WorkflowRefused) as refusal:
            services.change_status(mason, "publish", manager)
        assert refusal.value.reason == "mapping"
        mason.mapping_confirmed = True  # what the agent's tick on the offer's page does
        services.change_status(mason, "publish", manager)
        assert mason.status == "published"


# ------------------------------------------------------------------------------- scope
def test_agents_import_only_within_their_country_and_agency(app, runner, agency, agent, employer, create_agency,
                                                            create_user, tmp_path):
    other = create_agency("SN", code="SN-THS-01")
    create_user(Role.AGENT, agency=other, username="binta")
    path = write_csv(tmp_path / "offers.csv", [MASON + ["SN-THS-01"]], header=HEADER + ["agency"])
    result = run(runner, path)
    assert "Row 2: You may not import offers for the agency SN-THS-01." in result.output
    write_csv(path, [MASON + [""]], header=HEADER + ["agency"])
    run(runner, path)
    taken = run(runner, path, user="binta")  # same external_id, offer followed by another agency
    assert "Row 2: The offer SN-O-" in taken.output and "is followed by another agency." in taken.output
    create_user(Role.MANAGER, agency=agency, username="fatou")
    moved = write_csv(tmp_path / "moved.csv", [["M-1"] + MASON[1:] + ["SN-THS-01"]], header=HEADER + ["agency"])
    assert "1 created" in run(runner, moved, user="fatou").output
    assert stored(app)["M-1"].agency_id == other.id
    mali = create_agency("ML", code="ML-BKO-01")
    create_user(Role.AGENT, agency=mali, username="oumar")
    foreign = run(runner, path, user="oumar")  # the Senegalese employer is unknown in Mali
    assert "Row 2: Unknown employer 005 123 456" in foreign.output


# ------------------------------------------------------------------------------- page
@pytest.fixture
def page(app, client, agent, employer, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    client.post("/login", data={"username": "awa", "password": "Counter2024x"})
    client.post("/language", data={"language": "en"})
    return client


def csv_bytes(rows, header=HEADER) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")


def upload(client, data: bytes, name: str = "offers.csv", **fields):
    return client.post("/offers/import", data={"file": (io.BytesIO(data), name), **fields},
                       content_type="multipart/form-data")


def token_of(html: str) -> dict:
    return {name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)
            for name in ("token", "filename", "submit_offers")}


def test_the_page_checks_then_imports(app, page, tmp_path):
    form = page.get("/offers/import")
    assert form.status_code == 200 and "2,000 rows" in form.text and "isco:7112" in form.text
    assert "Import offers" in page.get("/offers/").text
    bad = ["B-1", "Inconnue SA", "Maçon", "F1703", "", "CDI"] + [""] * 10
    checked = upload(page, csv_bytes([MASON, bad, BRICKLAYER]), submit_offers="y")
    assert checked.status_code == 200
    assert "Unknown employer Inconnue SA" in checked.text and 'id="offer-import-start"' in checked.text
    assert 'id="offer-import-created">2<' in checked.text and 'id="offer-import-submitted">2<' in checked.text
    assert stored(app) == {}  # a check writes nothing
    imported = page.post("/offers/import", data=token_of(checked.text))
    assert imported.status_code == 200 and "Import report" in imported.text
    assert 'id="offer-import-created">2<' in imported.text and 'id="offer-import-rejected">1<' in imported.text
    assert {o.status for o in stored(app).values()} == {"submitted"}
    assert list((tmp_path / "offer_imports").iterdir()) == []
    again = page.post("/offers/import", data=token_of(checked.text), follow_redirects=True)
    assert "upload the file again" in again.text and len(stored(app)) == 2


def test_the_page_refuses_unreadable_and_oversized_files(app, page):
    assert "Only CSV and XLSX files" in upload(page, b"x", name="offers.pdf").text
    empty = upload(page, b"")
    assert empty.status_code == 400
    fake = upload(page, b"PK\x03\x04not a workbook", name="offers.xlsx")
    assert fake.status_code == 400 and "not an XLSX workbook" in fake.text
    many = upload(page, csv_bytes([[f"R-{n}"] + MASON[1:] for n in range(2001)]))
    assert many.status_code == 413 and "more than 2000 rows" in many.text
    assert stored(app) == {}


def test_a_check_belongs_to_its_uploader(app, page, client, create_user):
    checked = upload(page, csv_bytes([MASON]))
    fields = token_of(checked.text)
    page.post("/logout")
    create_user(Role.AGENT, agency=None, username="other")
    client.post("/login", data={"username": "other", "password": "Counter2024x"})
    response = client.post("/offers/import", data=fields, follow_redirects=True)
    assert "upload the file again" in response.text and stored(app) == {}


@pytest.mark.parametrize("role,code", [(Role.EMPLOYER, 403), (Role.MOBILITY_COUNSELLOR, 403), (Role.COUNSELLOR, 200),
                                       (Role.MANAGER, 200), (Role.AGENT, 200)])
def test_who_may_open_the_page(app, client, login_as, employer, role, code):
    extra = {"employer_id": employer} if role == Role.EMPLOYER else {}
    login_as(role, **extra)
    assert client.get("/offers/import").status_code == code
    listing = client.get("/offers/").text
    assert ("/offers/import" in listing) is (code == 200)
