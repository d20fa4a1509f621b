"""The weights page: administrators set their country's weights and levels; bad values are
explained on their field; a saved change is audited and reaches the next search."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.matching.engine import FACTORS, MatchingParams
from app.matching.models import MatchingSettings
from app.reference.models import OccupationSkill
from tests.matching.factories import add_employer, add_offer, add_seeker


def english(client):
    client.post("/language", data={"language": "en"})


def settings_form(country: str = "SN", params: MatchingParams | None = None, **overrides) -> dict:
    params = params or MatchingParams()
    data = {f"weight_{name}": str(getattr(params.weights, name)) for name in FACTORS}
    data.update((name, str(value)) for name, value in params.as_dict().items() if name != "weights")
    data.update(country=country, save="Save")
    data.update(overrides)
    return data


def field_errors(page: str, name: str) -> list[str]:
    return re.findall(rf'<div class="invalid-feedback d-block" id="{name}-errors">([^<]*)</div>', page)


def value(page: str, name: str) -> str:
    """What the field ``name`` shows."""
    return re.search(rf'<input[^>]* name="{name}"[^>]* value="([^"]*)"', page).group(1)


def stored(app, country: str = "SN") -> MatchingSettings | None:
    with app.app_context():
        row = db.session.get(MatchingSettings, country)
        if row is not None:
            db.session.expunge(row)
        return row


@pytest.fixture
def admin(login_as, create_agency):
    agency = create_agency("SN")
    return login_as(Role.ADMIN, agency=agency, full_name="Mariama Ba")


def test_the_page_shows_the_settings_in_force(app, client, admin):
    english(client)
    page = client.get("/matching/settings").text
    assert "Matching settings · Senegal" in page
    assert "The default settings apply" in page
    assert value(page, "weight_occupation") == "0.3"
    assert value(page, "availability_grace_days") == "90"
    assert "Related occupation (ROME mobility)" in page and "Days of delay accepted" in page
    assert 'id="country-choice"' not in page  # an agency's administrator has one country


def test_the_page_is_in_french_by_default(app, client, admin):
    page = client.get("/matching/settings").text
    assert 'lang="fr"' in page and "Sénégal" in page
    assert value(page, "weight_occupation") == "0,3"  # the locale's decimal comma


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.MANAGER, Role.AGENT, Role.EMPLOYER])
def test_only_administrators_set_the_weights(app, client, login_as, create_agency, role):
    if role == Role.EMPLOYER:
        login_as(role, employer_id=add_employer(app, None))
    else:
        login_as(role, agency=create_agency("SN"))
    assert client.get("/matching/settings").status_code == 403
    assert client.post("/matching/settings", data=settings_form()).status_code == 403


def test_an_administrator_cannot_set_another_country(app, client, admin):
    assert client.get("/matching/settings?country=ML").status_code == 404
    assert client.post("/matching/settings", data=settings_form("ML")).status_code == 404
    assert stored(app, "ML") is None


def test_saving_is_audited_and_shows_who_changed_last(app, client, admin):
    english(client)
    response = client.post("/matching/settings", data=settings_form(
        weight_skills="0,4", linked_fiche="0.6", availability_grace_days="60"))
    assert response.status_code == 302 and response.headers["Location"] == "/matching/settings?country=SN"
    row = stored(app)
    assert row.params["weights"]["skills"] == 0.4 and row.params["linked_fiche"] == 0.6
    assert row.params["availability_grace_days"] == 60 and row.updated_by_id == admin.id
    with app.app_context():
        event = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "matching.settings_changed")).one()
        assert event.object_type == "country" and event.actor_id == admin.id
        assert event.details == {"country": "SN",
                                 "changed": ["weights.skills", "linked_fiche", "availability_grace_days"]}
    page = client.get("/matching/settings?country=SN").text
    assert "are saved" in page and "Last changed by Mariama Ba on" in page
    assert value(page, "weight_skills") == "0.4"


def test_unchanged_settings_are_not_saved_again(app, client, admin):
    english(client)
    response = client.post("/matching/settings", data=settings_form(), follow_redirects=True)
    assert "Nothing was changed." in response.text
    assert stored(app) is None


@pytest.mark.parametrize("overrides, field, message", [
    ({"weight_skills": "-1"}, "weight_skills", "A weight cannot be negative."),
    ({"weight_salary": "abc"}, "weight_salary", "Give a number, for example 0.5."),
    ({"weight_location": ""}, "weight_location", "Give a number."),
    ({"unknown": "1.5"}, "unknown", "Give a number between 0 and 1."),
    ({"same_domain": "0.8"}, "same_domain",
     "Levels must not increase: related occupation ≥ same field ≥ same broad field."),
    ({"same_grand_domain": "0.6"}, "same_grand_domain",
     "Levels must not increase: related occupation ≥ same field ≥ same broad field."),
    ({"availability_grace_days": "0"}, "availability_grace_days",
     "Give a whole number of days between 1 and 3650."),
    ({"availability_grace_days": "2.5"}, "availability_grace_days",
     "Give a whole number of days between 1 and 3650."),
    ({"salary_tolerance": "0"}, "salary_tolerance", "Give a share above 0, for example 0.5 for 50 % above the offer."),
])
def test_bad_values_are_explained_on_their_field(app, client, admin, overrides, field, message):
    english(client)
    response = client.post("/matching/settings", data=settings_form(**overrides))
    assert response.status_code == 400
    assert field_errors(response.text, field) == [message]
    assert "The settings are not saved" in response.text
    assert value(response.text, field) == overrides[field]  # what was typed stays
    assert stored(app) is None


def test_all_weights_at_zero_is_refused(app, client, admin):
    english(client)
    response = client.post("/matching/settings", data=settings_form(**{f"weight_{n}": "0" for n in FACTORS}))
    assert response.status_code == 400
    assert '<div class="invalid-feedback d-block mb-2" id="weights-errors">At least one weight must be above 0.' \
           in response.text
    assert stored(app) is None


def test_restore_shows_the_defaults_without_saving(app, client, admin):
    english(client)
    client.post("/matching/settings", data=settings_form(weight_occupation="0.9"))
    assert stored(app).params["weights"]["occupation"] == 0.9
    page = client.post("/matching/settings", data={"country": "SN", "restore": "1"}).text
    assert "The form shows the default values: save to apply them." in page
    assert value(page, "weight_occupation") == "0.3"
    assert stored(app).params["weights"]["occupation"] == 0.9


def test_a_national_administrator_picks_the_country(app, client, login_as, create_agency):
    login_as(Role.ADMIN, national=True)
    english(client)
    page = client.get("/matching/settings").text
    assert 'id="country-choice"' in page and ">Mali</option>" in page and 'name="weight_skills"' not in page
    page = client.get("/matching/settings?country=ML").text
    assert "Matching settings · Mali" in page and 'name="country" value="ML"' in page
    response = client.post("/matching/settings", data=settings_form("ML", weight_salary="0.2"))
    assert response.status_code == 302
    assert stored(app, "ML").params["weights"]["salary"] == 0.2 and stored(app, "SN") is None
    assert client.get("/matching/settings?country=FR").status_code == 404  # not a PES country


def test_new_weights_change_the_next_ranking(app, client, login_as, create_agency, create_user):
    agency = create_agency("SN")
    employer = add_employer(app, agency.id)
    offer = add_offer(app, employer)
    with app.app_context():
        skills = db.session.scalars(sa.select(OccupationSkill.skill_code).where(
            OccupationSkill.occupation_code == "F1703")).all()
    mason = add_seeker(app, agency.id, "Diop", "Awa", fiche="F1703")
    skilled = add_seeker(app, agency.id, "Fall", "Ibrahima", fiche="N4101", skills=tuple(skills))
    counsellor_client = app.test_client()
    counsellor = create_user(Role.COUNSELLOR, agency=agency)
    counsellor_client.post("/login", data={"username": counsellor.username, "password": "Counter2024x"})

    def ranked() -> list[int]:
        page = counsellor_client.get(f"/matching/offers/{offer}/candidates").text
        return [int(i) for i in re.findall(r'id="seeker-(\d+)"', page)]

    assert ranked() == [mason, skilled]
    login_as(Role.ADMIN, agency=agency)
    weights = {f"weight_{name}": "1" if name == "skills" else "0" for name in FACTORS}
    response = client.post("/matching/settings", data=settings_form(**weights))
    assert response.status_code == 302
    assert ranked() == [skilled, mason]
