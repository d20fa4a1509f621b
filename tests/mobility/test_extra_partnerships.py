"""Skills partnerships on the programme pages: target occupations, partner institutions, quota,
period and status, checked with readable errors, kept by the country's managers."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.offers.models import PartnerInstitution, PartnerProgramme
from tests.mobility.test_extra_helpers import login, read


@pytest.fixture
def manager(client, create_user, create_agency):
    user = create_user(Role.MANAGER, agency=create_agency("SN"))
    login(client, user)
    return user


def programme_data(**overrides):
    data = {"name": "Partenariat de compétences Sénégal–Allemagne", "origin_country": "SN",
            "destination_country": "DE", "kind": "skills_partnership", "status": "planned", "quota": "150",
            "starts_on": "2026-01-01", "ends_on": "2027-12-31",
            "description": "Formation au Sénégal, puis deux ans d'emploi en Allemagne.",
            "occupation_codes": "f1703, H2913  a1401",
            "institutions-0-name": "ANPEJ", "institutions-0-kind": "pes", "institutions-0-country_code": "SN",
            "institutions-1-name": "Bundesagentur für Arbeit", "institutions-1-kind": "pes",
            "institutions-1-country_code": "DE",
            "institutions-2-name": "", "institutions-2-kind": "", "institutions-2-country_code": ""}
    data.update(overrides)
    return data


def programme(app):
    with app.app_context():
        found = db.session.scalars(sa.select(PartnerProgramme).options(
            sa.orm.selectinload(PartnerProgramme.occupations), sa.orm.selectinload(PartnerProgramme.institutions))
        ).one()
        found.codes = [o.code for o in found.occupations]
        found.partners = [(i.name, i.kind, i.country_code) for i in found.institutions]
        db.session.expunge(found)
        return found


def test_a_partnership_with_all_its_terms(app, client, manager):
    response = client.post("/employers/programmes", data=programme_data())
    assert response.status_code == 302, response.text[:3000]
    saved = programme(app)
    assert (saved.status, saved.active, saved.quota, saved.starts_on, saved.ends_on) == (
        "planned", False, 150, date(2026, 1, 1), date(2027, 12, 31))
    assert saved.codes == ["A1401", "F1703", "H2913"]
    assert saved.partners == [("ANPEJ", "pes", "SN"), ("Bundesagentur für Arbeit", "pes", "DE")]
    listing = client.get("/employers/programmes").text
    assert "Planned" in listing and "150" in listing and "F1703" in listing
    form = client.get(f"/employers/programmes/{saved.id}").text
    assert 'value="A1401 F1703 H2913"' in form and 'value="Bundesagentur für Arbeit"' in form
    assert form.count('name="institutions-') >= 3 * 4  # the two partners and two blank rows


@pytest.mark.parametrize("overrides,message", [
    ({"ends_on": "2025-12-31"}, "The end of the period cannot come before its start."),
    ({"occupation_codes": "F1703 ZZ999 maçon"}, "These are not ROAME occupation codes: MAÇON, ZZ999."),
    ({"quota": "0"}, "Give a number of workers between 1 and 99,999."),
    ({"quota": "100000"}, "Give a number of workers between 1 and 99,999."),
    ({"quota": "beaucoup"}, "Not a valid integer value."),
    ({"starts_on": "janvier"}, "Not a valid date value."),
    ({"status": "frozen"}, "Not a valid choice"),
    ({"institutions-0-kind": ""}, "Choose the kind of institution."),
    ({"institutions-0-kind": "ngo"}, "Choose a value from the list."),
    ({"institutions-0-country_code": ""}, "Choose the country of the institution."),
    ({"institutions-0-country_code": "XX"}, "Choose a value from the list."),
    ({"institutions-2-kind": "employer"}, "Give the name of the institution."),
    ({"destination_country": "SN"}, "Choose a destination other than the country of origin."),
])
def test_bad_terms_are_refused(app, client, manager, overrides, message):
    response = client.post("/employers/programmes", data=programme_data(**overrides))
    assert response.status_code == 400 and message in response.text
    assert read(app, PartnerProgramme) == []
    assert 'value="Bundesagentur für Arbeit"' in response.text  # the rows typed are kept


def test_edit_the_terms_and_status(app, client, manager):
    client.post("/employers/programmes", data=programme_data())
    saved = programme(app)
    response = client.post(f"/employers/programmes/{saved.id}", data=programme_data(
        status="active", occupation_codes="F1703", **{
            "institutions-0-name": "ANPEJ", "institutions-1-name": "",
            "institutions-1-kind": "", "institutions-1-country_code": "",
            "institutions-2-name": "Centre de formation de Thiès", "institutions-2-kind": "training_centre",
            "institutions-2-country_code": "SN"}))
    assert response.status_code == 302
    edited = programme(app)
    assert edited.active and edited.status == "active" and edited.codes == ["F1703"]
    assert edited.partners == [("ANPEJ", "pes", "SN"), ("Centre de formation de Thiès", "training_centre", "SN")]
    assert len(read(app, PartnerInstitution)) == 2  # the removed partner is deleted, not orphaned
    with app.app_context():
        (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "programme.updated")).all()
        assert event.details["fields"] == ["active", "institutions", "occupations", "status"]
    for status in ("suspended", "ended"):
        client.post(f"/employers/programmes/{edited.id}", data=programme_data(status=status))
        assert not programme(app).active and programme(app).status == status


def test_saving_unchanged_changes_nothing(app, client, manager):
    client.post("/employers/programmes", data=programme_data())
    saved = programme(app)
    response = client.post(f"/employers/programmes/{saved.id}", data=programme_data())
    assert "Nothing was changed." in client.get(response.headers["Location"]).text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "programme.updated")) == 0


def test_only_active_programmes_are_offered_to_employers(app, client, manager, create_user):
    client.post("/employers/programmes", data=programme_data(name="Prévu"))
    client.post("/employers/programmes", data=programme_data(name="En cours", status="active"))
    login(client, create_user(Role.AGENT))
    form = client.get("/employers/new").text
    assert "En cours" in form and "Prévu" not in form


@pytest.mark.parametrize("role", [Role.AGENT, Role.COUNSELLOR, Role.MOBILITY_COUNSELLOR])
def test_only_managers_and_administrators_keep_programmes(app, client, create_user, create_agency, role):
    login(client, create_user(role, agency=create_agency("SN")))
    assert client.get("/employers/programmes").status_code == 403
    assert client.post("/employers/programmes", data=programme_data()).status_code == 403
    assert read(app, PartnerProgramme) == []


def test_another_country_cannot_edit(app, client, manager, create_user, create_agency):
    client.post("/employers/programmes", data=programme_data())
    saved = programme(app)
    login(client, create_user(Role.MANAGER, agency=create_agency("BJ")))
    assert client.get(f"/employers/programmes/{saved.id}").status_code == 404
    assert client.post(f"/employers/programmes/{saved.id}", data=programme_data(origin_country="BJ")) \
        .status_code == 404
