import sqlalchemy as sa

from app.auth.models import Agency, Region, Role, User
from app.extensions import db
from tests.conftest import PASSWORD


def test_non_administrators_cannot_reach_admin_pages(client, login_as):
    login_as(Role.MANAGER)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/agencies").status_code == 403


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_creates_an_agent(app, client, login_as, create_agency):
    agency = create_agency("ML")
    login_as(Role.ADMIN, national=True)
    form = client.get("/admin/users/new").text
    assert agency.name in form
    response = client.post("/admin/users/new", data={
        "username": "k.coulibaly", "full_name": "Kadiatou Coulibaly", "email": "",
        "role": "agent", "agency_id": agency.id, "employer_id": 0, "password": "Niger-river-77",
        "active": "y",
    })
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalar(sa.select(User).where(User.username == "k.coulibaly"))
        assert created.agency_id == agency.id and created.must_change_password


def test_bad_user_form_keeps_the_input_and_explains(client, login_as):
    login_as(Role.ADMIN, national=True)
    response = client.post("/admin/users/new", data={
        "username": "bad name!", "full_name": "Binta Sarr", "email": "not-an-email",
        "role": "agent", "agency_id": 0, "employer_id": 0, "password": "123",
    })
    assert response.status_code == 400
    assert 'value="Binta Sarr"' in response.text
    assert "Cette adresse électronique n’est pas valide." in response.text
    assert "Utilisez au moins 10 caractères." in response.text


def test_agent_needs_an_agency(client, login_as):
    login_as(Role.ADMIN, national=True)
    response = client.post("/admin/users/new", data={
        "username": "nobody1", "full_name": "Binta Sarr", "role": "agent", "agency_id": 0,
        "employer_id": 0, "password": "Niger-river-77",
    })
    assert response.status_code == 400
    assert "Choisissez l’agence" in response.text


def test_country_admin_cannot_touch_another_country(client, login_as, create_agency, create_user):
    home = create_agency("SN")
    abroad = create_agency("ML")
    login_as(Role.ADMIN, agency=home)
    foreign_user = create_user(Role.AGENT, agency=abroad)
    local_user = create_user(Role.AGENT, agency=home)
    assert client.get(f"/admin/users/{local_user.id}").status_code == 200
    assert client.get(f"/admin/users/{foreign_user.id}").status_code == 404
    assert client.post(f"/admin/users/{foreign_user.id}/deactivate").status_code == 404
    assert client.get(f"/admin/agencies/{abroad.id}").status_code == 404
    listing = client.get("/admin/users").text
    assert local_user.username in listing and foreign_user.username not in listing
    # Nor can they place a new user in the other country's agency.
    response = client.post("/admin/users/new", data={
        "username": "intruder", "full_name": "X Y", "role": "agent", "agency_id": abroad.id,
        "employer_id": 0, "password": "Niger-river-77"})
    assert response.status_code == 400


def test_admin_deactivates_a_user(app, client, login_as, create_user):
    admin = login_as(Role.ADMIN, national=True)
    victim = create_user(Role.AGENT)
    assert client.post(f"/admin/users/{victim.id}/deactivate").status_code == 302
    with app.app_context():
        assert db.session.get(User, victim.id).active is False
    # Nobody deactivates themselves.
    client.post(f"/admin/users/{admin.id}/deactivate")
    with app.app_context():
        assert db.session.get(User, admin.id).active is True


def test_admin_resets_a_password(app, client, login_as, create_user):
    login_as(Role.ADMIN, national=True)
    target = create_user(Role.COUNSELLOR)
    response = client.post(f"/admin/users/{target.id}/reset-password", follow_redirects=True)
    assert "Nouveau mot de passe pour" in response.text
    with app.app_context():
        assert db.session.get(User, target.id).must_change_password


def test_admin_creates_and_edits_an_agency(app, client, login_as):
    login_as(Role.ADMIN, national=True)
    with app.app_context():
        region = db.session.scalar(sa.select(Region).where(Region.code == "SN-TH"))
        region_id = region.id
        other_region = db.session.scalar(sa.select(Region).where(Region.country_code == "ML")).id
    response = client.post("/admin/agencies/new", data={
        "code": "sn-ths-01", "name": "Agence de Thiès", "country_code": "SN", "region_id": region_id,
        "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        agency = db.session.scalar(sa.select(Agency).where(Agency.code == "SN-THS-01"))
        assert agency.region_id == region_id
        agency_id = agency.id
    # A region of another country is refused, and the typed name is kept.
    response = client.post(f"/admin/agencies/{agency_id}", data={
        "code": "SN-THS-01", "name": "Agence renommée", "country_code": "SN",
        "region_id": other_region, "active": "y"})
    assert response.status_code == 400
    assert "Agence renommée" in response.text
    assert "Choisissez une région du pays de l’agence." in response.text


def test_duplicate_agency_code_is_refused(client, login_as, create_agency):
    existing = create_agency("SN")
    login_as(Role.ADMIN, national=True)
    response = client.post("/admin/agencies/new", data={
        "code": existing.code, "name": "Doublon", "country_code": "SN",
        "region_id": existing.region_id})
    assert response.status_code == 400
    assert "déjà utilisé" in response.text


def test_login_uses_the_created_password(client, auth, create_user):
    user = create_user(Role.AGENT)
    assert auth.login(user.username, PASSWORD).status_code == 302


def test_countries_and_regions_are_named_in_the_reader_language(client, login_as):
    login_as(Role.ADMIN, national=True)
    french = client.get("/admin/agencies/new").text
    assert "Extrême-Nord (Cameroun)" in french and "Côte d’Ivoire" in french
    client.post("/language", data={"language": "en"})
    english = client.get("/admin/agencies/new").text
    assert "Far North (Cameroon)" in english and "Côte d’Ivoire" in english
    assert "Senegal" in english and "Sénégal" in french
