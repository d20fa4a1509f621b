import sqlalchemy as sa

from app.auth.models import Agency, Role, User
from app.extensions import db


def test_ensure_admin_prints_a_generated_password_once(app, runner, monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    monkeypatch.setenv("ADMIN_USERNAME", "chef")
    first = runner.invoke(args=["users", "ensure-admin"])
    assert first.exit_code == 0, first.output
    assert "Password (shown once" in first.output
    password = first.output.rsplit(": ", 1)[1].strip()
    second = runner.invoke(args=["users", "ensure-admin"])
    assert "already exists" in second.output
    assert password not in second.output
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.username == "chef"))
        assert admin.role == Role.ADMIN and admin.must_change_password
    # The printed password works.
    client = app.test_client()
    assert client.post("/login", data={"username": "chef", "password": password}).status_code == 302


def test_ensure_admin_checks_a_given_password(runner, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "short")
    result = runner.invoke(args=["users", "ensure-admin"])
    assert result.exit_code != 0
    assert "ADMIN_PASSWORD" in result.output


def test_first_set_up_from_the_command_line(app, runner):
    result = runner.invoke(args=["agencies", "create", "ml-bko-01", "--name", "ANPE Bamako",
                                 "--region", "ML-BKO"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "s.diarra", "--name", "Seydou Diarra", "--role",
                                 "agent", "--agency", "ML-BKO-01", "--password", "Djoliba-2024x"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "s.diarra"))
        agency = db.session.scalar(sa.select(Agency).where(Agency.code == "ML-BKO-01"))
        assert user.agency_id == agency.id and agency.country_code == "ML"
    result = runner.invoke(args=["users", "deactivate", "s.diarra"])
    assert result.exit_code == 0
    with app.app_context():
        assert not db.session.scalar(sa.select(User.active).where(User.username == "s.diarra"))


def test_cli_refuses_bad_input(runner):
    assert runner.invoke(args=["agencies", "create", "X-1", "--name", "X", "--region", "ZZ-99"]).exit_code != 0
    result = runner.invoke(args=["users", "create", "x.y", "--name", "X Y", "--role", "agent",
                                 "--agency", "NOPE", "--password", "Djoliba-2024x"])
    assert result.exit_code != 0 and "NOPE" in result.output
