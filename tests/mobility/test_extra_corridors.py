"""Figures per corridor on a small hand-made data set: dossiers by stage, departures, placements
and returns, by sex and by target occupation, with the programme and period filters; a fixed
number of queries; no names; the CSV file; who may read them."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.extensions import db
from app.mobility import corridors
from app.mobility.corridors import CorridorFilter, Figures
from app.offers.models import PartnerProgramme
from tests.matching.factories import add_employer, add_offer
from tests.mobility.test_extra_helpers import add_departure, add_dossier, login, moment


@pytest.fixture
def data(app, create_agency):
    """Seven dossiers (see each line); all the figures below are counted by hand from them."""
    dakar, cotonou = create_agency("SN"), create_agency("BJ")
    with app.app_context():
        programme = PartnerProgramme(name="Saisonniers Espagne", origin_country="SN", destination_country="ES",
                                     kind="seasonal")
        db.session.add(programme)
        db.session.commit()
        programme_id = programme.id
    offer = add_offer(app, add_employer(app, dakar.id), international=True, destination_country="ES")
    d1 = add_dossier(app, dakar, sex="F", destinations=("FR",), occupations=("A1401",), stage="departed",
                     created_at=moment(2025, 1, 10), last_name="Diallo")
    add_departure(app, d1, "FR", date(2025, 3, 1), employer_name="Agri Sud")  # a placement
    d2 = add_dossier(app, dakar, sex="M", destinations=("FR", "ES"), occupations=("A1401", "F1703"),
                     stage="returned", created_at=moment(2025, 1, 5), last_name="Cissé")
    add_departure(app, d2, "FR", date(2025, 2, 1), returned_on=date(2025, 8, 1))  # no employer: no placement
    add_dossier(app, dakar, sex="M", destinations=("ES",), stage="counselling", created_at=moment(2025, 5, 1))
    add_dossier(app, dakar, sex="F", destinations=(), occupations=("F1703",), stage="opened",
                created_at=moment(2025, 6, 1))
    d5 = add_dossier(app, dakar, sex=None, destinations=("ES",), occupations=("F1703",), stage="pre_departure",
                     programme_id=programme_id, created_at=moment(2025, 3, 31, 23, 30))
    add_departure(app, d5, "ES", date(2025, 4, 1), offer_id=offer)  # a placement through an offer
    add_dossier(app, cotonou, sex="F", destinations=("FR",), stage="opened", created_at=moment(2025, 2, 1))
    add_dossier(app, dakar, sex="F", destinations=("FR",), occupations=("A1401",), stage="closed",
                created_at=moment(2024, 6, 1))
    return programme_id


def figures(app, **kw):
    with app.test_request_context():
        report = corridors.corridor_figures(CorridorFilter(country="SN", **kw))
        return report, {c.destination: c for c in report.corridors}


def F(dossiers=0, departures=0, placements=0, returns=0):  # noqa: N802
    return Figures(dossiers, departures, placements, returns)


def test_every_figure_without_filter(app, data):
    report, by = figures(app)
    # Busiest first: as many dossiers each, France has more departures.
    assert [c.destination for c in report.corridors] == ["FR", "ES", None]
    assert by["FR"].totals == F(3, 2, 1, 1)
    assert by["FR"].stages == {"departed": 1, "returned": 1, "closed": 1}
    assert dict(by["FR"].by_sex) == {"F": F(2, 1, 1, 0), "M": F(1, 1, 0, 1)}
    assert dict(by["FR"].by_occupation) == {"A1401": F(3, 2, 1, 1), "F1703": F(1, 1, 0, 1)}
    assert by["ES"].totals == F(3, 1, 1, 0)
    assert by["ES"].stages == {"returned": 1, "counselling": 1, "pre_departure": 1}
    assert dict(by["ES"].by_sex) == {"M": F(2), None: F(1, 1, 1, 0)}
    assert dict(by["ES"].by_occupation) == {"A1401": F(1), "F1703": F(2, 1, 1, 0), None: F(1)}
    assert by[None].totals == F(1) and by[None].stages == {"opened": 1}
    assert dict(by[None].by_sex) == {"F": F(1)} and dict(by[None].by_occupation) == {"F1703": F(1)}
    # The national line counts each dossier once, whatever its destinations.
    assert report.totals == F(6, 3, 2, 1)
    assert report.stages == {"departed": 1, "returned": 1, "counselling": 1, "opened": 1, "pre_departure": 1,
                             "closed": 1}


def test_a_year(app, data):
    report, by = figures(app, start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert by["FR"].totals == F(2, 2, 1, 1) and "closed" not in by["FR"].stages
    assert report.totals == F(5, 3, 2, 1)


def test_one_month_counts_each_measure_by_its_own_date(app, data):
    report, by = figures(app, start=date(2025, 3, 1), end=date(2025, 3, 31))
    # Opened on 31 March at 23:30 UTC: in; departed on 1 March: in; returned in August: out.
    assert set(by) == {"ES", "FR"}
    assert by["ES"].totals == F(1, 0, 0, 0) and by["ES"].stages == {"pre_departure": 1}
    assert by["FR"].totals == F(0, 1, 1, 0) and by["FR"].stages == {}
    assert report.totals == F(1, 1, 1, 0)


def test_one_programme(app, data):
    report, by = figures(app, programme_id=data)
    assert list(by) == ["ES"] and by["ES"].totals == F(1, 1, 1, 0)
    assert dict(by["ES"].by_occupation) == {"F1703": F(1, 1, 1, 0)} and report.totals == F(1, 1, 1, 0)


def test_another_country_sees_its_own(app, data):
    with app.test_request_context():
        report = corridors.corridor_figures(CorridorFilter(country="BJ"))
    assert [(c.destination, c.totals) for c in report.corridors] == [("FR", F(1))]


def test_the_number_of_queries_does_not_grow_with_the_dossiers(app, data, create_agency):
    def count_queries():
        statements = []

        def listen(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)
        with app.test_request_context():
            sa.event.listen(db.engine, "before_cursor_execute", listen)
            try:
                corridors.corridor_figures(CorridorFilter(country="SN"))
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", listen)
        return len(statements)

    before = count_queries()
    agency = create_agency("SN")
    for n in range(6):
        dossier_id = add_dossier(app, agency, destinations=("IT",), occupations=("A1401",), stage="departed")
        add_departure(app, dossier_id, "IT", date(2025, 5, n + 1), employer_name="Campi",
                      returned_on=date(2025, 9, 1))
    assert count_queries() == before == 8
    assert figures(app)[1]["IT"].totals == F(6, 6, 6, 6)


# --- the pages ---------------------------------------------------------------------------------

def test_the_page_shows_figures_and_no_names(app, client, data, create_user, create_agency):
    login(client, create_user(Role.MANAGER, agency=create_agency("SN")))
    page = client.get("/mobility/corridors")
    assert page.status_code == 200
    text = page.text
    row = text.split('id="corridor-FR"')[1].split("</tr>")[0]
    cells = [cell.split(">")[-1] for cell in row.split("</td>")[:-1]]
    # Dossiers, the nine stages in workflow order, departures, placements, returns.
    assert cells == ["3", "0", "0", "0", "0", "0", "1", "0", "1", "1", "2", "1", "1"]
    assert "France" in text and "Spain" in text and "No destination chosen yet" in text
    assert "A1401 · " in text and "Not stated" in text and "Female" in text
    assert "Diallo" not in text and "Cissé" not in text and "Fatou" not in text
    total = text.split('id="corridor-total"')[1].split("</tr>")[0]
    assert total.count('<td class="text-end">') == 13 and '<td class="text-end">6</td>' in total
    filtered = client.get(f"/mobility/corridors?programme_id={data}&start=2025-01-01&end=2025-12-31").text
    assert 'id="corridor-ES"' in filtered and 'id="corridor-FR"' not in filtered


@pytest.mark.parametrize("query,message", [
    ("start=2025-05-01&end=2025-01-01", "The end of the period cannot come before its start."),
    ("programme_id=999999", "Choose a value from the list."),
    ("start=hier", "Not a valid date value."),
])
def test_bad_filters(client, data, create_user, create_agency, query, message):
    login(client, create_user(Role.MOBILITY_COUNSELLOR, agency=create_agency("SN")))
    response = client.get(f"/mobility/corridors?{query}")
    assert response.status_code == 400 and message in response.text
    assert client.get(f"/mobility/corridors.csv?{query}").status_code == 400


def test_the_csv_file(app, client, data, create_user, create_agency):
    login(client, create_user(Role.MOBILITY_COUNSELLOR, agency=create_agency("SN")))
    response = client.get("/mobility/corridors.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=corridors-SN-")
    assert response.data.startswith(b"\xef\xbb\xbf")  # utf-8-sig, for Excel
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Destination", "Breakdown", "Category", "Dossiers", "Departures", "Placements", "Returns"]
    assert ["France", "All", "", "3", "2", "1", "1"] in rows
    assert ["France", "Stage", "Departed", "1", "", "", ""] in rows
    assert ["France", "Sex", "Male", "1", "1", "0", "1"] in rows
    assert ["Spain", "Sex", "Not stated", "1", "1", "1", "0"] in rows
    assert ["Spain", "Occupation", "No target occupation", "1", "0", "0", "0"] in rows
    occupation = next(row for row in rows if row[:2] == ["France", "Occupation"])
    assert occupation[2].startswith("A1401 · ") and occupation[3:] == ["3", "2", "1", "1"]
    assert b"Diallo" not in response.data


def test_csv_cells_cannot_become_formulas():
    rows = [["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "Sénégal", 3]]
    text = corridors.generate_csv(rows)
    assert next(csv.reader(io.StringIO(text))) == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)",
                                                   "Sénégal", "3"]


@pytest.mark.parametrize("role,status", [(Role.MOBILITY_COUNSELLOR, 200), (Role.MANAGER, 200), (Role.ADMIN, 200),
                                         (Role.AGENT, 403), (Role.COUNSELLOR, 403), (Role.EMPLOYER, 403)])
def test_who_reads_the_corridors(client, data, create_user, create_agency, role, status):
    user = create_user(role) if role == Role.EMPLOYER else create_user(role, agency=create_agency("SN"))
    login(client, user)
    assert client.get("/mobility/corridors").status_code == status
    assert client.get("/mobility/corridors.csv").status_code == status


def test_a_national_administrator_chooses_the_country(client, data, create_user):
    login(client, create_user(Role.ADMIN, national=True))
    page = client.get("/mobility/corridors?country=BJ").text
    assert 'name="country"' in page and 'id="corridor-FR"' in page and 'id="corridor-ES"' not in page


def test_in_french(client, data, create_user, create_agency):
    login(client, create_user(Role.MANAGER, agency=create_agency("SN")))
    client.post("/language", data={"language": "fr"})
    page = client.get("/mobility/corridors").text
    assert 'lang="fr"' in page and "Espagne" in page and "Femme" in page
