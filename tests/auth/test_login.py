import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from app.auth import passwords
from app.auth.models import Role, User, UserSession
from app.config import Config
from app.extensions import db
from tests.conftest import PASSWORD


def _user(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id)


def test_login_and_logout(client, auth, create_user):
    user = create_user(Role.AGENT, full_name="Moussa Keita")
    response = auth.login(user.username)
    assert response.status_code == 302
    assert "Moussa Keita" in client.get("/").text
    response = auth.logout()
    assert response.status_code == 302
    assert "Moussa Keita" not in client.get("/").text


def test_wrong_password_is_refused_with_a_translated_message(client, auth, create_user):
    user = create_user()
    response = auth.login(user.username, "not-the-password1")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in response.text
    # The username stays in the form.
    assert f'value="{user.username}"' in response.text


def test_unknown_user_gets_the_same_message(client, auth):
    response = auth.login("nobody", "whatever12345")
    assert "Identifiant ou mot de passe incorrect." in response.text


def test_failed_logins_lock_the_account_in_the_database(app, client, auth, create_user):
    user = create_user()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login(user.username, "wrong-password-9")
    stored = _user(app, user.id)
    assert stored.locked_until is not None
    # Even the right password is refused while locked, from any client (any worker).
    other = app.test_client()
    response = other.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "bloqué" in response.text


def test_logout_revokes_the_session_server_side(app, client, auth, create_user):
    user = create_user(full_name="Fatou Sow")
    auth.login(user.username)
    cookie = client.get_cookie("session")
    assert cookie is not None
    auth.logout()
    # Replaying the old cookie must not log anyone in.
    replay = app.test_client()
    replay.set_cookie("session", cookie.value)
    assert "Fatou Sow" not in replay.get("/").text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_deactivation_ends_every_session(app, client, auth, create_user):
    user = create_user(full_name="Ibrahim Traoré")
    auth.login(user.username)
    assert "Ibrahim Traoré" in client.get("/").text
    with app.app_context():
        from app.auth import services

        services.deactivate_user(db.session.get(User, user.id))
        db.session.commit()
    assert "Ibrahim Traoré" not in client.get("/").text
    assert auth.login(user.username).status_code == 200  # cannot log in again


def test_password_change_enforces_the_rules(app, client, auth, create_user):
    user = create_user(username="aissatou", full_name="Aissatou Ba")
    auth.login(user.username)
    bad = client.post("/password", data={"current_password": PASSWORD, "new_password": "short1",
                                         "confirm": "short1"})
    assert bad.status_code == 400
    assert "Utilisez au moins 10 caractères." in bad.text
    named = client.post("/password", data={"current_password": PASSWORD,
                                           "new_password": "aissatou2024", "confirm": "aissatou2024"})
    assert "N’utilisez ni votre nom" in named.text
    wrong = client.post("/password", data={"current_password": "nope", "new_password": "Baobab-4521x",
                                           "confirm": "Baobab-4521x"})
    assert "Le mot de passe actuel est incorrect." in wrong.text
    ok = client.post("/password", data={"current_password": PASSWORD, "new_password": "Baobab-4521x",
                                        "confirm": "Baobab-4521x"})
    assert ok.status_code == 302
    with app.test_request_context():
        assert passwords.verify_password(db.session.get(User, user.id).password_hash, "Baobab-4521x")


def test_user_who_must_change_password_is_sent_to_the_form(client, auth, create_user):
    user = create_user(must_change_password=True)
    auth.login(user.username)
    response = client.get("/occupations/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/password")


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example/x",
                                    "/\tevil.example", "\\\\evil.example"])
def test_next_parameter_cannot_redirect_elsewhere(client, create_user, target):
    user = create_user()
    response = client.post("/login", query_string={"next": target},
                           data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_next_parameter_keeps_a_local_page(client, create_user):
    user = create_user()
    response = client.post("/login", query_string={"next": "/offers/?q=ma%C3%A7on"},
                           data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"] == "/offers/?q=ma%C3%A7on"


def test_forms_require_a_csrf_token(app, create_user):
    user = create_user()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 400
        assert "expiré" in response.text
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_production_hash_is_argon2id_with_a_strong_cost():
    assert Config.ARGON2_MEMORY_COST >= 64 * 1024 and Config.ARGON2_TIME_COST >= 3
    hasher = PasswordHasher(time_cost=Config.ARGON2_TIME_COST, memory_cost=Config.ARGON2_MEMORY_COST,
                            parallelism=Config.ARGON2_PARALLELISM)
    assert hasher.hash("x").startswith("$argon2id$v=19$m=65536,t=3")


def test_password_change_ends_the_other_sessions(app, client, auth, create_user):
    user = create_user(full_name="Codou Faye")
    auth.login(user.username)
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"username": user.username, "password": PASSWORD})
    assert "Codou Faye" in elsewhere.get("/").text
    client.post("/password", data={"current_password": PASSWORD, "new_password": "Baobab-4521x",
                                   "confirm": "Baobab-4521x"})
    assert "Codou Faye" in client.get("/").text  # this session goes on
    assert "Codou Faye" not in elsewhere.get("/").text  # the other one is over
